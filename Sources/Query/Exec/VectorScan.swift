import VireoIndex
import VireoStorage

/// The k nearest rows through an HNSW index, nearest first. A WHERE filter is checked
/// inside the search; the index answers a selective filter exactly, so the scan returns
/// min(k, matching rows) rows.
enum VectorScan {
    static func run(_ scan: TableScan, _ search: VectorSearch, _ context: ExecutionContext,
                    _ emit: PlanExecutor.Emit) throws -> Bool {
        guard let k = try PlanExecutor.rowsWanted(limit: search.limit, offset: search.offset, context), k > 0 else { return true }
        guard case .vector(let query) = try Cast.convert(Evaluator.evaluate(search.query, [], context), to: .vector(nil)),
              k <= HNSWIndex.efSearchMax else {
            return try PlanExecutor.run(search.exactPlan, context, emit)
        }
        guard let vectorIndexes = context.vectorIndexes else { throw DataAccess.noDataError }
        let index = try vectorIndexes.index(search.index, of: scan.table)
        try VectorText.check(query, dimension: index.dimension)
        let filter = try scan.filter.map { predicate in try rowFilter(predicate, scan, context) }
        let found = try index.search(query, k: k, efSearch: max(context.efSearch, k), filter: filter)
        var unfiltered = scan
        unfiltered.filter = nil
        for (label, _) in found {
            let keepGoing = try PlanExecutor.rowFromID(label, scan: unfiltered).map(emit)
                ?? PlanExecutor.emitRow(label, unfiltered, context, emit)
            if !keepGoing { return false }
        }
        return true
    }

    /// A label filter that fetches the row and evaluates the WHERE predicate on it.
    /// Errors inside the search are rethrown after it.
    private static func rowFilter(_ predicate: BoundExpression, _ scan: TableScan,
                                  _ context: ExecutionContext) throws -> (Int64) -> Bool {
        { rowID in
            let row = try? context.data.withRow(scan.table, rowID: rowID) { try PlanExecutor.row($0, rowID: rowID, scan: scan) }
            guard let row = row ?? nil else { return false }
            return (try? Evaluator.holds(predicate, row, context)) ?? false
        }
    }
}
