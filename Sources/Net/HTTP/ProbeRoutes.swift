import VireoQuery

/// /health and /ready (what load balancers and orchestrators call) and /openapi.json: no key needed.
enum ProbeRoutes {
    static var all: [RouteDeclaration] { [health, ready, OpenAPIDocument.route] }

    static let databaseSchema = Schema.object([("status", .string(allowed: ["ok", "error"])), ("detail", .nullable(.string()))])

    /// Liveness with the database's state; 503 and `degraded` when the engine cannot read.
    static let health = RouteDeclaration(
        .get, "/health", summary: "Health of the service and its database", requiresKey: false,
        response: .object([("status", .string(allowed: ["ok", "degraded"])), ("version", .string()), ("database", databaseSchema)]),
        otherStatuses: [.serviceUnavailable]
    ) { _, session in
        let failure = probe(session)
        let database = JSONValue.fields(("status", .string(failure == nil ? "ok" : "error")), ("detail", failure.map(JSONValue.string) ?? .null))
        let body = JSONValue.fields(("status", .string(failure == nil ? "ok" : "degraded")), ("version", .string(VireoVersion.text)),
                                    ("database", database))
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
