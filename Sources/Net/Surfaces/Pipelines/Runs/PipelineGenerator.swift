import Foundation
import VireoQuery
import VireoStorage

/// `pipelines:generate`, offline and rule-based: the description's words pick a configured
/// connector (by its name, or by its type: "csv", "sqlite" …) and one of its tables (by
/// name); "where COLUMN > 100" becomes a SQL step; "embed COLUMN" an embedding; "into
/// TABLE" the target; "upsert by KEY", "replace" or "append" the mode; "every 15 minutes",
/// "hourly", "daily at 2am" … a suggested schedule. What it cannot resolve is a 422 that
/// says which word it needs.
enum PipelineGenerator {
    struct Generated {
        var name: String
        var definition: JSONValue
        var schedule: String?
        var notes: [String]
    }

    static func generate(_ description: String, session: Session, service: PipelineService) throws -> Generated {
        let lower = description.lowercased()
        let words = Set(lower.split { !$0.isLetter && !$0.isNumber && $0 != "_" }.map(String.init))
        let (connector, table, columns) = try source(lower, words, session, service)
        var notes: [String] = []
        var transforms: [JSONValue] = []
        if let filter = filter(lower, columns) {
            transforms.append(.fields(("name", .string("filter")), ("sql", .string("SELECT * FROM input WHERE \(filter)"))))
        }
        var definition: [(String, JSONValue)] = [
            ("source", .fields(("connector_id", .string(connector.id)), ("table", .string(table)))),
            ("transforms", .array(transforms)),
        ]
        if let column = capture(#"\bembed(?:ding)?s?\s+(?:the\s+)?([a-z_][a-z0-9_]*)"#, lower), columns.contains(column) {
            definition.append(("embedding", .fields(("column", .string(column)))))
        }
        let target = targetTable(lower, words, source: table, connector: connector)
        var targetFields: [(String, JSONValue)] = [("connector_id", .string("vireo")), ("table", .string(target))]
        if let key = capture(#"\b(?:upsert|merge)\w*\s+(?:by|on)\s+([a-z_][a-z0-9_]*)"#, lower), columns.contains(key) {
            targetFields += [("mode", .string("upsert")), ("key", .array([.string(key)]))]
        } else if words.contains("replace") || words.contains("overwrite") || lower.contains("full refresh") {
            targetFields.append(("mode", .string("replace")))
        } else {
            targetFields.append(("mode", .string("append")))
            if words.contains("upsert") { notes.append("upsert needs a key (\"upsert by id\"); appending instead") }
        }
        definition.append(("target", .object(targetFields)))
        let schedule = self.schedule(lower)
        return Generated(name: "\(table)_to_\(target)", definition: .object(definition), schedule: schedule, notes: notes)
    }

    /// The connector and table the description names.
    static func source(_ lower: String, _ words: Set<String>, _ session: Session, _ service: PipelineService) throws
        -> (StoredConnector, String, [String]) {
        let rows = try session.execute("SELECT \(ConnectorStore.columns) FROM \(PipelineSchema.connectors) ORDER BY seq DESC").rows
        let connectors = try rows.map { try service.store.connector($0) } + [ConnectorStore.builtIn]
        let typeWords: [String: [String]] = ["csv": ["csv"], "jsonl": ["jsonl", "ndjson", "json"], "sqlite": ["sqlite"], "vireo": ["vireo"]]
        let named = connectors.filter { lower.contains($0.name.lowercased()) && $0.type != "vireo" }
        let typed = connectors.filter { (typeWords[$0.type] ?? []).contains(where: words.contains) }
        let candidates = named + typed + connectors
        for connector in candidates {
            guard let reader = try? service.reader(connector, session), let tables = try? reader.tables() else { continue }
            let mentioned = tables.filter { words.contains($0.name.lowercased()) }.sorted { $0.name.count > $1.name.count }
            if let table = mentioned.first { return (connector, table.name, table.columns.map(\.name)) }
        }
        throw RESTError.invalid("description", "name a table of a configured connector (for example \"load orders from the shop sqlite\")")
    }

    static func filter(_ lower: String, _ columns: [String]) -> String? {
        let pattern = #"\bwhere\s+([a-z_][a-z0-9_]*)\s*(>=|<=|<>|!=|=|>|<|is greater than|is less than|greater than|less than|equals|is)\s*('[^']*'|-?[0-9]+(?:\.[0-9]+)?|[a-z_][a-z0-9_]*)"#
        guard let match = captures(pattern, lower), match.count == 3, columns.contains(match[0]) else { return nil }
        let operators = ["is greater than": ">", "greater than": ">", "is less than": "<", "less than": "<", "equals": "=", "is": "=", "!=": "<>"]
        let op = operators[match[1]] ?? match[1]
        let value = match[2].first == "'" || Double(match[2]) != nil ? match[2] : "'" + match[2] + "'"
        return "\(quoteIdentifier(match[0])) \(op) \(value)"
    }

    static func targetTable(_ lower: String, _ words: Set<String>, source: String, connector: StoredConnector) -> String {
        let reserved: Set<String> = ["vireo", "clickhouse", "postgres", "postgresql", "the", "a", "table", "sqlite", "csv", "s3", "warehouse"]
        if let name = capture(#"\b(?:into|to)\s+(?:the\s+)?(?:vireo\s+)?(?:table\s+)?([a-z_][a-z0-9_]*)"#, lower), !reserved.contains(name),
           !name.hasPrefix(TableSQL.internalTablePrefix), !(connector.type == "vireo" && name == source) {
            return name
        }
        return connector.type == "vireo" ? source + "_etl" : source
    }

    /// A cron schedule for the words that name one.
    static func schedule(_ lower: String) -> String? {
        if let minutes = capture(#"every\s+([0-9]+)\s+minutes?"#, lower).flatMap(Int.init), (1...59).contains(minutes) { return "*/\(minutes) * * * *" }
        if lower.contains("every minute") { return "* * * * *" }
        if lower.contains("hourly") || lower.contains("every hour") { return "0 * * * *" }
        let hour = capture(#"\bat\s+([0-9]{1,2})(?::00)?\s*(?:am)?\b"#, lower).flatMap(Int.init).map { $0 % 24 }
        let pm = capture(#"\bat\s+([0-9]{1,2})(?::00)?\s*pm\b"#, lower).flatMap(Int.init).map { $0 % 12 + 12 }
        let at = pm ?? hour ?? 2
        if lower.contains("daily") || lower.contains("every day") || lower.contains("nightly") { return "0 \(at) * * *" }
        if lower.contains("weekly") || lower.contains("every week") { return "0 \(at) * * 1" }
        if lower.contains("monthly") || lower.contains("every month") { return "0 \(at) 1 * *" }
        return nil
    }

    static func capture(_ pattern: String, _ text: String) -> String? { captures(pattern, text)?.first }

    static func captures(_ pattern: String, _ text: String) -> [String]? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return (1..<match.numberOfRanges).compactMap { Range(match.range(at: $0), in: text).map { String(text[$0]) } }
    }
}
