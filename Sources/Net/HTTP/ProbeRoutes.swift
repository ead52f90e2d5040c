import VireoQuery

/// /health and /ready (what load balancers and orchestrators call) and /openapi.json: no key needed.
enum ProbeRoutes {
    static var all: [RouteDeclaration] { [health, ready, OpenAPIDocument.route] }

    static let databaseSchema = Schema.object([("status", .string(allowed: ["ok", "error"])), ("detail", .nullable(.string()))])

    /// Liveness with the database's state (503 and `degraded` when the engine cannot read),
    /// and the embedder vector stores use, so a model-less server says it runs on the hashing
    /// fallback. `openai_api_key_set` is seed 004's field: whether the remote (`openai:…`) embedder has a key.
    static let health = RouteDeclaration(
        .get, "/health", summary: "Health of the service, its database and its embedder", requiresKey: false,
        response: .object([("status", .string(allowed: ["ok", "degraded"])), ("version", .string()), ("database", databaseSchema),
                           ("openai_api_key_set", .boolean),
                           ("embedder", .object([("name", .string()), ("dimension", .integer()), ("semantic", .boolean)]))]),
        otherStatuses: [.serviceUnavailable]
    ) { _, services in
        let failure = try await services.session { probe($0) }
        let embedder = services.vectorStores.embedder
        let database = JSONValue.fields(("status", .string(failure == nil ? "ok" : "error")), ("detail", failure.map(JSONValue.string) ?? .null))
        let body = JSONValue.fields(("status", .string(failure == nil ? "ok" : "degraded")), ("version", .string(VireoVersion.text)),
                                    ("database", database),
                                    ("openai_api_key_set", .bool((embedder as? OpenAIEmbedder)?.settings.apiKey != nil)),
                                    ("embedder", .fields(("name", .string(embedder.name)), ("dimension", .integer(embedder.dimension)),
                                                         ("semantic", .bool(embedder.isSemantic)))))
        return RouteOutput(body, status: failure == nil ? .ok : .serviceUnavailable)
    }

    /// Readiness: 200 once the engine has opened (and recovered) the database and answers.
    static let ready = RouteDeclaration(
        .get, "/ready", summary: "Whether the server accepts work", requiresKey: false,
        response: .object([("status", .string(allowed: ["ready", "not_ready"]))]), otherStatuses: [.serviceUnavailable]
    ) { _, session in
        let failure = probe(session)
        return RouteOutput(.fields(("status", .string(failure == nil ? "ready" : "not_ready"))),
                           status: failure == nil ? .ok : .serviceUnavailable)
    }

    /// Reads the schema through a snapshot, which fails once the store is closed or broken;
    /// nil when that works, else why not.
    static func probe(_ session: Session) -> String? {
        do {
            _ = try session.tableDefinitions()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
