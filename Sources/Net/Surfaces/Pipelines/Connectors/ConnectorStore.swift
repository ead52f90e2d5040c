import Crypto
import Foundation
import VireoQuery
import VireoStorage

/// The connector types: those that run here, and those the seed names that do not, each
/// with the reason.
enum ConnectorCatalog {
    struct Entry {
        var type: String
        var available: Bool
        var roles: [String]
        var configuration: [String]
        var note: String
    }

    static let entries = [
        Entry(type: "csv", available: true, roles: ["source"], configuration: ["path", "delimiter", "header"],
              note: "a CSV file, or a folder of them (one table a file), under a --connector-root"),
        Entry(type: "jsonl", available: true, roles: ["source"], configuration: ["path"],
              note: "a JSON-lines file, or a folder of them, under a --connector-root"),
        Entry(type: "sqlite", available: true, roles: ["source"], configuration: ["path"],
              note: "a SQLite database file under a --connector-root, read-only; queries in SQLite's SQL with :name parameters"),
        Entry(type: "vireo", available: true, roles: ["source", "target"], configuration: [],
              note: "this server's own tables (not its internal vireo_* tables); the target of every pipeline"),
        Entry(type: "postgresql", available: true, roles: ["source"],
              configuration: ["host", "port", "database", "user", "password", "schema", "ssl_mode"],
              note: "a PostgreSQL database through postgres-nio, read with a server-side cursor; the password is sealed"),
        Entry(type: "http_json", available: true, roles: ["source"],
              configuration: ["url", "table", "records_path", "headers", "token", "pagination"],
              note: "an HTTP endpoint answering JSON, page by page (page numbers, cursors or Link headers); the token is sealed"),
        Entry(type: "clickhouse", available: false, roles: ["target"], configuration: [],
              note: "no ClickHouse server or client library on this machine's registries"),
        Entry(type: "s3", available: false, roles: ["source", "target"], configuration: [],
              note: "this machine reaches no object store; the server has no network but loopback"),
        Entry(type: "mysql", available: false, roles: ["source"], configuration: [], note: "no MySQL driver among the kept Swift packages"),
        Entry(type: "kafka", available: false, roles: ["source"], configuration: [], note: "no Kafka broker or client library here"),
    ]

    static var availableTypes: [String] { entries.filter(\.available).map(\.type) }

    static func json(_ entry: Entry) -> JSONValue {
        .fields(("type", .string(entry.type)), ("available", .bool(entry.available)), ("roles", .array(entry.roles.map(JSONValue.string))),
                ("configuration", .array(entry.configuration.map(JSONValue.string))), ("note", .string(entry.note)))
    }
}

/// A connector as stored: the configuration without secrets, and the secrets sealed.
struct StoredConnector: Sendable {
    var id: String
    var name: String
    var type: String
    var role: String
    var config: [(String, JSONValue)]
    var secretNames: [String]
    var createdAt: Int64
    /// The opened secrets, for the readers only: never part of `json`.
    var secrets: [(String, JSONValue)] = []

    func setting(_ key: String) -> JSONValue? { config.first { $0.0 == key }?.1 }

    /// A setting or a secret.
    func value(_ key: String) -> JSONValue? { setting(key) ?? secrets.first { $0.0 == key }?.1 }

    var json: JSONValue {
        .fields(("id", .string(id)), ("connector_id", .string(id)), ("name", .string(name)), ("type", .string(type)), ("role", .string(role)),
                ("configuration", .object(config)), ("secrets", .array(secretNames.map(JSONValue.string))),
                ("created_at", PipelineIDs.iso(createdAt)))
    }
}

/// Connector rows, secrets sealed with AES-GCM under the key in the data directory.
struct ConnectorStore {
    /// Configuration keys whose values are secrets wherever they appear.
    static let secretKeys: Set<String> = ["password", "token", "api_key", "secret", "access_key", "secret_key"]
    /// The built-in connector to this server's tables; it needs no row.
    static let vireoID = "vireo"

    let secretsKey: SymmetricKey

    func seal(_ secrets: [(String, JSONValue)]) throws -> Value {
        guard !secrets.isEmpty else { return .null }
        let sealed = try AES.GCM.seal(Data(JSONValue.object(secrets).text.utf8), using: secretsKey)
        guard let combined = sealed.combined else { throw RESTError(.internalServerError, code: "internal_error", "cannot seal the secrets") }
        return .bytes(Array(combined))
    }

    func open(_ value: Value) throws -> [(String, JSONValue)] {
        guard case .bytes(let bytes) = value, !bytes.isEmpty else { return [] }
        let box = try AES.GCM.SealedBox(combined: Data(bytes))
        let plain = try AES.GCM.open(box, using: secretsKey)
        guard case .object(let fields) = try JSONValue.parse(String(decoding: plain, as: UTF8.self)) else { return [] }
        return fields
    }

    static let columns = "id, name, type, role, config, secrets, created_at"

    func connector(_ row: [Value]) throws -> StoredConnector {
        guard case .object(let config) = row.json(4) else { throw RESTError(.internalServerError, code: "internal_error", "bad connector row") }
        let secrets = try open(row[5])
        return StoredConnector(id: row.text(0) ?? "", name: row.text(1) ?? "", type: row.text(2) ?? "", role: row.text(3) ?? "",
                               config: config, secretNames: secrets.map(\.0), createdAt: row.int(6) ?? 0, secrets: secrets)
    }

    static var builtIn: StoredConnector {
        StoredConnector(id: vireoID, name: "vireo", type: "vireo", role: "source_target", config: [], secretNames: [], createdAt: 0)
    }

    func find(_ session: Session, _ id: String, field: String = "source") throws -> StoredConnector {
        if id == Self.vireoID { return Self.builtIn }
        let rows = try session.execute("SELECT \(Self.columns) FROM \(PipelineSchema.connectors) WHERE id = $1", [.text(id)]).rows
        guard let row = rows.first else { throw RESTError.notFound("no connector \(id)", field: field) }
        return try connector(row)
    }

    /// Splits `config` into settings and secrets, checks the settings for the type, and inserts.
    func create(_ session: Session, name: String, type: String, role: String, config: [(String, JSONValue)],
                secrets extra: [(String, JSONValue)]) throws -> StoredConnector {
        let settings = config.filter { !Self.secretKeys.contains($0.0.lowercased()) }
        let secrets = config.filter { Self.secretKeys.contains($0.0.lowercased()) } + extra
        let connector = StoredConnector(id: PipelineIDs.make("conn"), name: name, type: type, role: role, config: settings,
                                        secretNames: secrets.map(\.0), createdAt: PipelineIDs.nowSeconds)
        try session.execute("INSERT INTO \(PipelineSchema.connectors) (\(Self.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            [.text(connector.id), .text(name), .text(type), .text(role), .json(JSONValue.object(settings).text),
                             try seal(secrets), .int(connector.createdAt)])
        return connector
    }
}

/// Paths of file connectors, confined to the roots the server was started with: a path is
/// resolved (symbolic links and `..` included) and must then lie inside a resolved root.
struct ConnectorRoots: Sendable {
    let roots: [String]

    init(_ roots: [String]) { self.roots = roots.map { Self.resolved($0) } }

    static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    func confine(_ path: String, field: String = "config.path") throws -> String {
        guard !roots.isEmpty else {
            throw RESTError(.forbidden, code: "permission_denied", "file connectors are off: start vireo serve with --connector-root DIR", field: field)
        }
        let absolute = path.hasPrefix("/") ? path : (roots[0] + "/" + path)
        let resolved = Self.resolved(absolute)
        guard roots.contains(where: { resolved == $0 || resolved.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
            throw RESTError(.forbidden, code: "permission_denied", "\(path) is outside the connector roots (\(roots.joined(separator: ", ")))", field: field)
        }
        return resolved
    }
}
