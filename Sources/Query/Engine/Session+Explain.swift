import Foundation
import VireoStorage

extension Session {
    /// EXPLAIN shows the plan; EXPLAIN ANALYZE runs it (a write inside a transaction that
    /// is rolled back unless one is open) and adds rows and time per node.
    func explain(_ explain: Explain, _ parameters: [Value]) throws -> QueryResult {
        let json = try Self.explainsAsJSON(explain)
        guard case .select(let query) = explain.statement else {
            return try explainWrite(explain, parameters, json: json)
        }
        return try read { data -> QueryResult in
            let (plan, _) = try makeBinder(data.catalog, parameters: parameters).bindQuery(query)
            guard explain.analyze else {
                let memoizes = settings.memoizes
                return json ? Self.planResult(json: plan.explainJSON(memoizes: memoizes)) : Self.planResult(plan.explainLines(memoizes: memoizes))
            }
            let statistics = PlanStatistics()
            let context = self.context(data, parameters)
            context.statistics = statistics
            let start = DispatchTime.now().uptimeNanoseconds
            try PlanExecutor.run(plan, context) { _ in true }
            let total = Self.milliseconds(since: start)
            if json { return Self.planResult(json: plan.explainJSON(statistics: statistics, memoizes: settings.memoizes), executionTime: total) }
            return Self.planResult(plan.explainLines(statistics: statistics, memoizes: settings.memoizes)
                + [String(format: "Execution Time: %.3f ms", total)])
        }
    }

    private func explainWrite(_ explain: Explain, _ parameters: [Value], json: Bool) throws -> QueryResult {
        let operation: String, table: String
        switch explain.statement {
        case .insert(let insert): (operation, table) = ("Insert", insert.table.name)
        case .update(let update): (operation, table) = ("Update", update.table.name)
        case .delete(let delete): (operation, table) = ("Delete", delete.table.name)
        case .merge(let merge): return try explainMerge(merge, explain, parameters, json: json)
        default: throw VireoError(.featureNotSupported, "EXPLAIN supports SELECT, INSERT, UPDATE, DELETE and MERGE")
        }
        guard explain.analyze else {
            return json ? Self.planResult(json: .object(Self.modifyTableNode(operation, table))) : Self.planResult(["\(operation) on \(table)"])
        }
        return try explainWriteRun(explain, parameters, json: json, operation: operation, table: table)
    }

    /// The JSON node of a write: PostgreSQL's ModifyTable.
    static func modifyTableNode(_ operation: String, _ table: String) -> [(String, JSONValue)] {
        [("Node Type", .string("ModifyTable")), ("Operation", .string(operation)), ("Relation Name", .string(table))]
    }

    /// EXPLAIN ANALYZE of a write: runs it, and shows the rows it changed and its time.
    func explainWriteRun(_ explain: Explain, _ parameters: [Value], json: Bool, operation: String, table: String) throws -> QueryResult {
        var node = Self.modifyTableNode(operation, table)
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try run(explain.statement, parameters)
        let total = Self.milliseconds(since: start)
        if json {
            node.append(("Actual Rows", .number(Double(result.rowCount))))
            return Self.planResult(json: .object(node), executionTime: total)
        }
        return Self.planResult(["\(operation) on \(table) (actual rows=\(result.rowCount))", String(format: "Execution Time: %.3f ms", total)])
    }

    /// Checks the options as PostgreSQL does and tells whether FORMAT JSON was asked for.
    /// Options that tune PostgreSQL's output (COSTS, BUFFERS, TIMING, …) are accepted and
    /// change nothing: Vireo's plan has no costs or buffer counts to show.
    static func explainsAsJSON(_ explain: Explain) throws -> Bool {
        let known: Set<String> = ["analyze", "verbose", "costs", "settings", "generic_plan", "buffers", "serialize", "wal",
                                  "timing", "summary", "memory", "format"]
        for option in explain.options where !known.contains(option.name) {
            throw VireoError(.syntaxError, "unrecognized EXPLAIN option \"\(option.name)\"")
        }
        guard let format = explain.options.last(where: { $0.name == "format" }) else { return false }
        let name: String
        switch format.value {
        case .word(let word)?, .string(let word)?, .number(let word)?: name = word.lowercased()
        default: name = ""
        }
        switch name {
        case "text": return false
        case "json": return true
        case "xml", "yaml": throw VireoError(.featureNotSupported, "EXPLAIN (FORMAT \(name.uppercased())) is not supported; use TEXT or JSON")
        default: throw VireoError(.invalidParameter, "unrecognized value for EXPLAIN option \"format\": \"\(name)\"")
        }
    }

    private static func milliseconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
    }

    static func planResult(_ lines: [String]) -> QueryResult {
        QueryResult(columns: [ResultColumn(name: "QUERY PLAN", type: .text)], rows: lines.map { [.text($0)] }, commandTag: "EXPLAIN")
    }

    /// FORMAT JSON: one row of type json, PostgreSQL's shape `[{"Plan": …, "Execution Time": …}]`.
    static func planResult(json plan: JSONValue, executionTime: Double? = nil) -> QueryResult {
        var document: [(String, JSONValue)] = [("Plan", plan)]
        if let executionTime { document.append(("Execution Time", .number((executionTime * 1000).rounded() / 1000))) }
        let text = JSONValue.array([.object(document)]).pretty(indent: 2)
        return QueryResult(columns: [ResultColumn(name: "QUERY PLAN", type: .json)], rows: [[.json(text)]], commandTag: "EXPLAIN")
    }
}
