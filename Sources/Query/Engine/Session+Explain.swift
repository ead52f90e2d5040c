import Foundation
import VireoStorage

extension Session {
    /// EXPLAIN shows the plan; EXPLAIN ANALYZE runs it (a write inside a transaction that
    /// is rolled back unless one is open) and adds rows and time per node.
    func explain(_ explain: Explain, _ parameters: [Value]) throws -> QueryResult {
        guard case .select(let query) = explain.statement else {
            return try explainWrite(explain, parameters)
        }
        let lines = try read { data -> [String] in
            let (plan, _) = try makeBinder(data.catalog, parameters: parameters).bindQuery(query)
            guard explain.analyze else { return plan.explainLines() }
            let statistics = PlanStatistics()
            let context = self.context(data, parameters)
            context.statistics = statistics
            let start = DispatchTime.now().uptimeNanoseconds
            try PlanExecutor.run(plan, context) { _ in true }
            let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
            return plan.explainLines(statistics: statistics) + [String(format: "Execution Time: %.3f ms", total)]
        }
        return Self.planResult(lines)
    }

    private func explainWrite(_ explain: Explain, _ parameters: [Value]) throws -> QueryResult {
        let description: String
        switch explain.statement {
        case .insert(let insert): description = "Insert on \(insert.table.name)"
        case .update(let update): description = "Update on \(update.table.name)"
        case .delete(let delete): description = "Delete on \(delete.table.name)"
        default: throw VireoError(.featureNotSupported, "EXPLAIN supports SELECT, INSERT, UPDATE and DELETE")
        }
        guard explain.analyze else { return Self.planResult([description]) }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try run(explain.statement, parameters)
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        return Self.planResult([description + " (actual rows=\(result.rowCount))", String(format: "Execution Time: %.3f ms", total)])
    }

    static func planResult(_ lines: [String]) -> QueryResult {
        QueryResult(columns: [ResultColumn(name: "QUERY PLAN", type: .text)], rows: lines.map { [.text($0)] }, commandTag: "EXPLAIN")
    }
}
