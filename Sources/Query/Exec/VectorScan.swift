import VireoIndex
import VireoStorage

/// The k nearest rows through an HNSW index, nearest first. A WHERE filter is checked
/// inside the search, on each row it reaches or, when selective, on a bitmap of the
/// matching rows made first (`FilterRoute`); the index ranks a very selective filter's rows
/// exactly, so the scan returns min(k, matching rows) rows. A `tsv @@ query` term that a gin index serves is a
/// pre-filter: the rows it may match are read from the gin index first; when they are few
/// the exact plan ranks them (through the gin index), else the search passes over every
/// other row without reading it.
enum VectorScan {
    /// Rows matching the text pre-filter, per unit of the search's ef, up to which an exact
    /// ranking of them (a distance each) is cheaper than the graph search, which computes some
    /// tens of distances per unit of ef: 1,000 rows at the default ef_search of 40.
    static let textCandidatesExactPerEf = 25

    static func run(_ scan: TableScan, _ search: VectorSearch, _ context: ExecutionContext,
                    _ emit: PlanExecutor.Emit) throws -> Bool {
        let wanted = try PlanExecutor.rowsWanted(limit: search.limit, offset: search.offset, context)
        if wanted == 0 { return true }
        // No limit (LIMIT NULL), a k past what the index searches, or a NULL query vector:
        // the exact plan answers.
        guard let k = wanted, k <= HNSWIndex.efSearchMax,
              case .vector(let query) = try Cast.convert(Evaluator.evaluate(search.query, [], context), to: .vector(nil)) else {
            return try PlanExecutor.run(search.exactPlan, context, emit)
        }
        guard let vectorIndexes = context.vectorIndexes else { throw DataAccess.noDataError }
        let index = try vectorIndexes.index(search.index.name)
        try VectorText.check(query, dimension: index.dimension)
        let candidates = try search.textFilter.flatMap { try textCandidates($0, context) }
        if let candidates, candidates.count <= Self.textCandidatesExactPerEf * max(context.efSearch, k) {
            return try PlanExecutor.run(search.exactPlan, context, emit)
        }
        let failure = FilterFailure()
        let ef = max(context.efSearch, k)
        var filter: ((Int64) -> Bool)?, exact: Bool?
        if let predicate = scan.filter {
            switch try filteredSearch(predicate, scan, index, efSearch: ef, candidates: candidates, context, failure) {
            case .exactPlan: return try PlanExecutor.run(search.exactPlan, context, emit)
            case .index(let labelFilter, let rankExactly): (filter, exact) = (labelFilter, rankExactly)
            }
        }
        // An int8 index re-ranks its best candidates from the rows this statement sees.
        let source = index.quantization == .int8
            ? scan.table.columnIndex(search.index.columns[0]).flatMap { context.data.vectorSource(scan.table, column: $0) } : nil
        let found = try index.search(query, k: k, efSearch: ef, filter: filter, exactScanDecided: exact, source: source)
        if let error = failure.error { throw error }
        try context.checkCancel()
        var unfiltered = scan
        unfiltered.filter = nil
        // The index follows commits, not this statement's snapshot: a row it holds may be
        // gone from (or not yet in) the snapshot, so each row is looked up there.
        for (label, _) in found {
            let keepGoing: Bool
            if let row = PlanExecutor.rowFromID(label, scan: unfiltered) {
                if try context.data.withRow(scan.table, rowID: label, { _ in true }) == nil { continue }
                keepGoing = try emit(row)
            } else {
                keepGoing = try PlanExecutor.emitRow(label, unfiltered, context, emit)
            }
            if !keepGoing { return false }
        }
        return true
    }

    /// A label filter that fetches the row and evaluates the WHERE predicate on it. The
    /// index calls it inside its search, which cannot throw: the first error stops every
    /// later row from passing and is thrown once the search returns.
    static func rowFilter(_ predicate: BoundExpression, _ scan: TableScan, _ context: ExecutionContext,
                          _ failure: FilterFailure, candidates: Set<Int64>?) -> (Int64) -> Bool {
        { rowID in
            guard failure.error == nil, candidates?.contains(rowID) ?? true else { return false }
            do {
                try context.checkCancel()
                guard let row = try context.data.withRow(scan.table, rowID: rowID, { try PlanExecutor.row($0, rowID: rowID, scan: scan) }) else {
                    return false
                }
                return try Evaluator.holds(predicate, row, context)
            } catch {
                failure.error = error
                return false
            }
        }
    }
}

extension VectorScan {
    /// The rows the text filter's gin index names for its query (a superset of those it
    /// matches; the WHERE clause still checks each); nil when the query can match rows
    /// holding none of its lexemes (`!a`), which the index cannot narrow.
    static func textCandidates(_ filter: VectorSearch.TextFilter, _ context: ExecutionContext) throws -> Set<Int64>? {
        let value = try Evaluator.evaluate(filter.query, [], context)
        if value.isNull { return [] }
        guard let root = try TSQuery(parsing: Cast.textForm(value)).root else { return [] }
        return try InvertedIndexReader(index: filter.index, context: context).rows(root)
    }
}

/// The first error a filter met inside an index search.
final class FilterFailure: @unchecked Sendable {
    var error: Error?
}
