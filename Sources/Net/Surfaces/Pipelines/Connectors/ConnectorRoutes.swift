import Foundation
import VireoQuery
import VireoStorage

/// Connectors: the catalog of types, configured connectors (tested before they are saved),
/// their schemas, and the seed's "configure with AI" (rule-based here, see `ConnectorGuess`).
enum ConnectorRoutes {
    static var all: [RouteDeclaration] { [test, schemaOf, list, create, configure, get, delete] }

    static let idParameter = ParameterDeclaration("id", in: .path, .string(length: 1...64), summary: "connector id")
    static let connector = Schema.object([
        ("id", .string()), ("connector_id", .string()), ("name", .string()), ("type", .string()), ("role", .string()),
        ("configuration", .map(of: .any)), ("secrets", .array(of: .string())), ("created_at", .string()),
        ("test_status", .string()), ("test_error", .nullable(.string())),
    ])
    static let catalogEntry = Schema.object([("type", .string()), ("available", .boolean), ("roles", .array(of: .string())),
                                             ("configuration", .array(of: .string())), ("note", .string())])
    static let tableSchema = Schema.object([
        ("name", .string()), ("row_count", .nullable(.integer())),
        ("columns", .array(of: .object([("name", .string()), ("type", .string())]))),
    ])

    static let list = RouteDeclaration.etl(
        .get, "/api/v1/connectors", summary: "The connector types (available or not, and why) and the configured connectors",
        parameters: Pagination.parameters,
        response: .object([("connectors", .array(of: connector)), ("total", .integer()), ("page", .integer()), ("per_page", .integer()),
                           ("types", .array(of: catalogEntry))])
    ) { input, session, service in
        try input.require(.viewer)
        let page = Pagination(input)
        let store = service.store
        let total = try Pagination.count(session, "SELECT count(*) FROM \(PipelineSchema.connectors)")
        let rows = try session.execute("SELECT \(ConnectorStore.columns) FROM \(PipelineSchema.connectors) ORDER BY seq" + page.sqlClause).rows
        var output = page.output(try rows.map { try store.connector($0).json }, key: "connectors", total: total,
                                 path: "/api/v1/connectors", query: input.query)
        if case .object(var fields) = output.body {
            fields.append(("types", .array(ConnectorCatalog.entries.map(ConnectorCatalog.json))))
            output.body = .object(fields)
        }
        return output
    }

    static let create = RouteDeclaration.etl(
        .post, "/api/v1/connectors", summary: "Configure a connector; it is tested first and refused (400) when it cannot connect",
        requestBody: .object([
            ("name", .string(length: 1...200)), ("type", .string(allowed: ConnectorCatalog.entries.map(\.type))),
            ("role", .string(allowed: ["source", "target"])), ("config", .map(of: .any, count: 0...64)),
            ("secrets", .described(.map(of: .any, count: 0...64), "sealed at rest, never answered")),
        ], required: ["name", "type"]),
        status: .created, response: connector
    ) { input, session, service in
        try input.require(.editor)
        let type = input.field("type")?.unquotedText ?? ""
        return RouteOutput(try make(session, service, name: input.field("name")?.unquotedText ?? type, type: type,
                                    role: input.field("role")?.unquotedText ?? "source", config: objectFields(input.field("config")),
                                    secrets: objectFields(input.field("secrets"))))
    }

    static func objectFields(_ value: JSONValue?) -> [(String, JSONValue)] {
        if case .object(let fields)? = value { return fields }
        return []
    }

    /// Tests then saves a connector; the answer says how the test went.
    static func make(_ session: Session, _ service: PipelineService, name: String, type: String, role: String, config: [(String, JSONValue)],
                     secrets: [(String, JSONValue)]) throws -> JSONValue {
        guard let entry = ConnectorCatalog.entries.first(where: { $0.type == type }) else { throw RESTError.invalid("type", "unknown connector type \(type)") }
        guard entry.available else {
            throw RESTError(.unprocessableContent, code: "connector_unavailable", "\(type) connectors cannot run here: \(entry.note)", field: "type")
        }
        guard entry.roles.contains(role) else { throw RESTError.invalid("role", "a \(type) connector can be a \(entry.roles.joined(separator: " or "))") }
                let candidate = StoredConnector(id: "", name: name, type: type, role: role, config: config, secretNames: [], createdAt: 0,
                                        secrets: secrets)
        try testConnection(candidate, session, service)
        let saved = try service.store.create(session, name: name, type: type, role: role, config: config, secrets: secrets)
        return withTest(saved.json, nil)
    }

    /// A target is tested for writing (its file need not exist yet), anything else for reading.
    static func testConnection(_ connector: StoredConnector, _ session: Session, _ service: PipelineService) throws {
        if connector.role == "target", PipelineTargets.types.contains(connector.type) {
            try service.writer(connector).testTarget()
        } else {
            try service.reader(connector, session).test()
        }
    }

    static func withTest(_ json: JSONValue, _ error: String?) -> JSONValue {
        guard case .object(var fields) = json else { return json }
        fields.append(("test_status", .string(error == nil ? "success" : "failed")))
        fields.append(("test_error", error.map(JSONValue.string) ?? .null))
        return .object(fields)
    }

    static let get = RouteDeclaration.etl(
        .get, "/api/v1/connectors/{id}", summary: "One connector (its secrets only by name)", parameters: [idParameter], response: connector
    ) { input, session, service in
        try input.require(.viewer)
        return RouteOutput(try service.store.find(session, input.path("id"), field: "id").json)
    }

    static let delete = RouteDeclaration.etl(
        .delete, "/api/v1/connectors/{id}", summary: "Remove a connector", parameters: [idParameter],
        response: .object([("id", .string()), ("deleted", .boolean)])
    ) { input, session, service in
        try input.require(.editor)
        let id = input.path("id")
        guard try session.execute("DELETE FROM \(PipelineSchema.connectors) WHERE id = $1", [.text(id)]).rowCount == 1 else {
            throw RESTError.notFound("no connector \(id)", field: "id")
        }
        return RouteOutput(.fields(("id", .string(id)), ("deleted", .bool(true))))
    }

    static let test = RouteDeclaration.etl(
        .post, "/api/v1/connectors/{id}:test", summary: "Test a connector's connection now", parameters: [idParameter],
        response: .object([("connector_id", .string()), ("test_status", .string()), ("test_error", .nullable(.string())), ("latency_ms", .number)])
    ) { input, session, service in
        try input.require(.viewer)
        let connector = try service.store.find(session, input.path("id"), field: "id")
        let start = ContinuousClock.now
        var failure: String?
        do { try testConnection(connector, session, service) } catch { failure = (error as? RESTError)?.message ?? String(describing: error) }
        let ms = (ContinuousClock.now - start) / .milliseconds(1)
        return RouteOutput(.fields(("connector_id", .string(connector.id)), ("test_status", .string(failure == nil ? "success" : "failed")),
                                   ("test_error", failure.map(JSONValue.string) ?? .null), ("latency_ms", .number(ms))))
    }

    static let schemaOf = RouteDeclaration.etl(
        .get, "/api/v1/connectors/{id}/schema", summary: "The tables a connector can read, with columns and types",
        parameters: [idParameter], response: .object([("connector_id", .string()), ("tables", .array(of: tableSchema))])
    ) { input, session, service in
        try input.require(.viewer)
        let connector = try service.store.find(session, input.path("id"), field: "id")
        let reader = try service.reader(connector, session)
        let tables: [JSONValue] = try reader.tables().map { table in
            let count = try reader.count(table.name)
            return .fields(("name", .string(table.name)), ("row_count", count.map { .integer($0) } ?? .null),
                           ("columns", .array(table.columns.map { .fields(("name", .string($0.name)), ("type", .string($0.type))) })))
        }
        return RouteOutput(.fields(("connector_id", .string(connector.id)), ("tables", .array(tables))))
    }

    static let configure = RouteDeclaration.etl(
        .post, "/api/v1/connectors-ai/configure",
        summary: "Configure a connector from a description and hints (rule-based: the type from words of the description, settings from the hints)",
        requestBody: .object([("description", .string(length: 1...2000)), ("type", .string(allowed: ["source", "target"])),
                              ("hints", .map(of: .any, count: 0...64)), ("name", .string(length: 1...200))], required: ["description"]),
        status: .created, response: connector
    ) { input, session, service in
        try input.require(.editor)
        let description = input.field("description")?.unquotedText ?? ""
        let hints = objectFields(input.field("hints"))
        guard let type = ConnectorGuess.type(description, hints: hints) else {
            throw RESTError.invalid("description", "name the kind of source: one of \(ConnectorCatalog.entries.map(\.type).joined(separator: ", "))")
        }
        let config = ConnectorGuess.configuration(type: type, hints: hints)
        return RouteOutput(try make(session, service, name: input.field("name")?.unquotedText ?? "\(type) connector", type: type,
                                    role: input.field("type")?.unquotedText ?? "source", config: config, secrets: []))
    }
}

/// The rules of `connectors-ai/configure`: which type a description names, and the
/// settings that type takes from the hints (with the type's defaults).
enum ConnectorGuess {
    static let words: [(type: String, words: [String])] = [
        ("postgresql", ["postgres", "postgresql", "psql"]), ("sqlite", ["sqlite"]), ("jsonl", ["jsonl", "json lines", "json-lines", "ndjson"]),
        ("csv", ["csv", "spreadsheet export"]), ("vireo", ["vireo"]), ("clickhouse", ["clickhouse"]), ("s3", ["s3", "bucket"]),
        ("mysql", ["mysql", "mariadb"]), ("kafka", ["kafka"]),
    ]

    static func type(_ description: String, hints: [(String, JSONValue)]) -> String? {
        let lower = description.lowercased()
        if let path = hints.first(where: { $0.0 == "path" })?.1.unquotedText?.lowercased() {
            if path.hasSuffix(".csv") { return "csv" }
            if path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") { return "jsonl" }
            if path.hasSuffix(".db") || path.hasSuffix(".sqlite") || path.hasSuffix(".sqlite3") { return "sqlite" }
        }
        return words.first { entry in entry.words.contains { lower.contains($0) } }?.type
    }

    static func configuration(type: String, hints: [(String, JSONValue)]) -> [(String, JSONValue)] {
        let allowed = ConnectorCatalog.entries.first { $0.type == type }?.configuration ?? []
        var config = hints.filter { allowed.contains($0.0) || ConnectorStore.secretKeys.contains($0.0) }
        if type == "postgresql" {
            for (key, value) in [("port", JSONValue.number(5432)), ("schema", .string("public")), ("ssl_mode", .string("disable"))]
            where !config.contains(where: { $0.0 == key }) { config.append((key, value)) }
        }
        if type == "csv" {
            if !config.contains(where: { $0.0 == "delimiter" }) { config.append(("delimiter", .string(","))) }
            if !config.contains(where: { $0.0 == "header" }) { config.append(("header", .bool(true))) }
        }
        return config
    }
}
