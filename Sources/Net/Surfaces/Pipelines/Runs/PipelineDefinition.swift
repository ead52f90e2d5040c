import Foundation
import VireoQuery
import VireoStorage

/// A pipeline as data: where rows come from, the SQL steps Vireo runs over them, an
/// optional embedding of a text column, and where they go and how.
///
/// ```json
/// {"source": {"connector_id": "conn_…", "table": "orders"},          // or "query": "SELECT …"
///  "transforms": [{"name": "big", "sql": "SELECT * FROM input WHERE amount > :min"}],
///  "embedding": {"column": "note", "target_column": "note_embedding"},
///  "target": {"connector_id": "vireo", "table": "big_orders", "mode": "upsert", "key": ["id"]},
///  "params": {"min": 100}, "batch_size": 500}
/// ```
struct PipelineDefinition: Sendable {
    static let modes = ["append", "upsert", "replace"]
    static let transformsMax = 32
    static let batchRowsDefault = 500
    static let batchRowsMax = 10_000

    struct Transform: Sendable { var name: String; var sql: String }

    var sourceConnector: String
    var source: SourceSelection
    var transforms: [Transform]
    var embedColumn: String?
    var embedTarget: String?
    var targetConnector: String
    var targetTable: String
    var mode: String
    var key: [String]
    var params: [(String, JSONValue)]
    var batchRows: Int

    static let schema = Schema.object([
        ("source", .object([("connector_id", .string(length: 1...64)), ("table", .string(length: 1...200)),
                            ("query", .string(length: 1...100_000))], required: ["connector_id"])),
        ("transforms", .array(of: .object([("name", .string(length: 1...63)), ("sql", .string(length: 1...100_000))], required: ["sql"]),
                              count: 0...transformsMax)),
        ("embedding", .object([("column", .string(length: 1...63)), ("target_column", .string(length: 1...63))], required: ["column"])),
        ("target", .object([("connector_id", .string(length: 1...64)), ("table", .string(length: 1...63)),
                            ("mode", .string(allowed: modes)), ("key", .array(of: .string(length: 1...63), count: 0...16))],
                           required: ["table"])),
        ("params", .map(of: .any, count: 0...64)),
        ("batch_size", .integer(range: 1...Int64(batchRowsMax))),
    ], required: ["source", "target"])

    /// The definition in `json` (already checked against `schema`), with the checks a
    /// schema cannot make; `field` prefixes the fields named in errors.
    init(_ json: JSONValue, field: String = "definition") throws {
        let source = json.member("source"), target = json.member("target")
        sourceConnector = source?.member("connector_id")?.unquotedText ?? ""
        switch (source?.member("table")?.unquotedText, source?.member("query")?.unquotedText) {
        case (let table?, nil): self.source = .table(table)
        case (nil, let query?): self.source = .query(query)
        default: throw RESTError.invalid("\(field).source", "give either a table or a query")
        }
        transforms = try (json.member("transforms")?.items ?? []).enumerated().map { index, step in
            Transform(name: step.member("name")?.unquotedText ?? "step\(index + 1)", sql: step.member("sql")?.unquotedText ?? "")
        }
        embedColumn = json.member("embedding")?.member("column")?.unquotedText
        embedTarget = json.member("embedding")?.member("target_column")?.unquotedText ?? embedColumn.map { $0 + "_embedding" }
        targetConnector = target?.member("connector_id")?.unquotedText ?? ConnectorStore.vireoID
        targetTable = try TableSQL.identifier(target?.member("table")?.unquotedText ?? "", field: "\(field).target.table")
        try TableSQL.refuseInternal(targetTable, field: "\(field).target.table")
        mode = target?.member("mode")?.unquotedText ?? "append"
        key = (target?.member("key")?.items ?? []).compactMap(\.unquotedText)
        if case .object(let pairs)? = json.member("params") { params = pairs } else { params = [] }
        batchRows = json.member("batch_size").flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? Self.batchRowsDefault
        guard targetConnector == ConnectorStore.vireoID else {
            throw RESTError.invalid("\(field).target.connector_id", "pipelines write to this server's tables: use \"vireo\"")
        }
        if mode == "upsert", key.isEmpty { throw RESTError.invalid("\(field).target.key", "upsert needs the key columns") }
        for (index, step) in transforms.enumerated() { try PipelineSQL.requireQuery(step.sql, field: "\(field).transforms[\(index)].sql") }
        if case .query(let query) = self.source, sourceConnector == ConnectorStore.vireoID {
            try PipelineSQL.refuseInternalNames(query, field: "\(field).source.query")
        }
    }

    /// Parameter values: the run's over the definition's defaults.
    func values(_ run: JSONValue?) -> [String: Value] {
        var values: [String: Value] = [:]
        for (name, value) in params { values[name] = value.parameter }
        if case .object(let pairs)? = run { for (name, value) in pairs { values[name] = value.parameter } }
        return values
    }
}

extension JSONValue {
    var items: [JSONValue]? { if case .array(let items) = self { items } else { nil } }
}

/// The checks every SQL text a pipeline carries gets before it is saved or run.
enum PipelineSQL {
    /// One SELECT (or WITH … SELECT), parsed by Vireo; anything else is a 422 on `field`.
    static func requireQuery(_ sql: String, field: String) throws {
        let statement: Statement
        do {
            statement = try Parser.parseStatement(NamedParameters.positional(sql, [:], requireAll: false).sql)
        } catch let error as VireoError {
            var failure = RESTError.invalid(field, "does not parse: \(error.message)")
            failure.sqlState = error.sqlState
            throw failure
        }
        guard case .select = statement.body else { throw RESTError.invalid(field, "must be one SELECT statement") }
        try refuseInternalNames(sql, field: field)
    }

    /// Vireo's internal tables (users, tokens, connectors' secrets) are out of a pipeline's reach.
    static func refuseInternalNames(_ sql: String, field: String) throws {
        if sql.lowercased().contains(TableSQL.internalTablePrefix) {
            throw RESTError(.forbidden, code: "internal_table", "pipelines cannot read Vireo's internal vireo_* tables", field: field)
        }
    }

    /// `sql` reading from `input` defined as `inputSQL`, folded into the step's own WITH list
    /// when it has one.
    static func step(_ sql: String, input inputSQL: String) -> String {
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        let upper = trimmed.uppercased()
        if upper.hasPrefix("WITH RECURSIVE ") {
            return "WITH RECURSIVE input AS (\(inputSQL)), " + trimmed.dropFirst("WITH RECURSIVE ".count)
        }
        if upper.hasPrefix("WITH ") { return "WITH input AS (\(inputSQL)), " + trimmed.dropFirst("WITH ".count) }
        return "WITH input AS (\(inputSQL)) " + trimmed
    }
}
