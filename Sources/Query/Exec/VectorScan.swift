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

    /// Largest ef_search (k included) of a search a server's event loop runs itself: its
    /// cost grows with ef, about 0.1 ms at 80 on 20,000 384-d vectors (docs/pgwire.md).
    static let immediateEfSearchMax = 256

    /// The rows of `plan`'s vector scan, nearest first. `plan` is made once with a
    /// prepared query's plan, so its parts are read in place rather than copied.
    static func run(_ plan: NearestPlan, _ context: ExecutionContext, _ emit: PlanExecutor.Emit) throws -> Bool {
        try run(plan, context, emit, givesLabels: false, label: { _ in true })
    }

    /// `run(plan, context, emit)` for a query that reads nothing but the row id
    /// (`plan.idRow`): each row id the index found goes to `label` instead of a row to
    /// `emit` (the exact plan's rows still go to `emit`).
    static func run(_ plan: NearestPlan, _ context: ExecutionContext, _ emit: PlanExecutor.Emit,
                    label: (Int64) throws -> Bool) throws -> Bool {
        try run(plan, context, emit, givesLabels: plan.idRow != nil, label: label)
    }

    private static func run(_ plan: NearestPlan, _ context: ExecutionContext, _ emit: PlanExecutor.Emit,
                            givesLabels: Bool, label: (Int64) throws -> Bool) throws -> Bool {
        let wanted = try plan.constantRowsWanted ?? PlanExecutor.rowsWanted(limit: plan.search.limit, offset: plan.search.offset, context)
        if wanted == 0 { return true }
        // No limit (LIMIT NULL), a k past what the index searches, or a NULL query vector:
        // the exact plan answers (on an engine thread, never on an event loop).
        guard let k = wanted, k <= HNSWIndex.efSearchMax, let query = try queryVector(plan, context) else {
            if CachedPagesOnly.isActive { throw NotABoundedRead() }
            return try PlanExecutor.run(plan.search.exactPlan, context, emit)
        }
        let found = try CachedPagesOnly.isActive
            ? searchWithoutWaiting(query, k: k, plan, context)
            : self.search(query, k: k, plan, context)
        guard let found else { return try PlanExecutor.run(plan.search.exactPlan, context, emit) }
        // A query that reads nothing but the row id reuses one row for all of them.
        var idRow = givesLabels ? nil : plan.idRow
        let readsRowIDOnly = plan.idRow != nil
        // The index follows commits, not this statement's snapshot: unless it is known to
        // hold exactly the snapshot's rows, a row it holds may be gone from (or not yet in)
        // the snapshot, so each row is looked up there.
        for (rowID, _) in found.rows {
            let keepGoing: Bool
            if readsRowIDOnly {
                if !found.inSnapshot, try context.data.withRow(plan.scan.table, rowID: rowID, { _ in true }) == nil { continue }
                if givesLabels {
                    keepGoing = try label(rowID)
                } else {
                    PlanExecutor.setRowID(&idRow!, rowID, scan: plan.unfiltered)
                    keepGoing = try emit(idRow!)
                }
            } else {
                keepGoing = try PlanExecutor.emitRow(rowID, plan.unfiltered, context, emit)
            }
            if !keepGoing { return false }
        }
        return true
    }

    /// The query vector's value. A parameter's was checked (finite, a vector) by its cast to
    /// the parameter's type as it was evaluated; the scan's cast checked it a second time
    /// (the finiteness check was 132 of the 21,353 samples of prepared searches at 20,000 ×
    /// 128, docs/benchmarks-sql.md).
    /// A bit or sparsevec index's query is a bit string or a sparsevec, searched as its
    /// floats (`IndexedVector`). Nil for NULL.
    private static func queryVector(_ plan: NearestPlan, _ context: ExecutionContext) throws -> [Float]? {
        let expression = plan.search.query
        // A vector sent as a vector: the checks of its cast to the parameter's type, without
        // the evaluator's and the cast's general paths.
        if plan.textValuedType == nil, case .parameter(let index, .vector(let dimension)) = expression,
           index < context.parameters.count, case .vector(let vector) = context.parameters[index] {
            try VectorText.checkFinite(vector)
            if let dimension { try VectorText.check(vector, dimension: dimension) }
            return vector
        }
        let value = try Evaluator.evaluate(expression, [], context)
        if let type = plan.textValuedType { return IndexedVector.floats(try Cast.convert(value, to: type)) }
        if case .parameter(_, .vector) = expression, case .vector(let vector) = value { return vector }
        guard case .vector(let vector) = try Cast.convert(value, to: .vector(nil)) else { return nil }
        return vector
    }

    /// The labels an index search found, nearest first, and whether they are known to be rows
    /// of the statement's snapshot (`IndexExactness`) or must each be looked up there.
    struct Found {
        var rows: [(label: Int64, distance: Float)]
        var inSnapshot: Bool
    }

    /// `body`'s search of `index`, and whether the index held exactly the rows of the
    /// statement's snapshot all through it (never for a statement of a write transaction,
    /// whose own changes the index does not hold).
    private static func noting(_ index: HNSWIndex, _ plan: NearestPlan, _ context: ExecutionContext,
                               _ body: () throws -> [(label: Int64, distance: Float)]?) rethrows -> Found? {
        var stamp: IndexExactness.Stamp?
        if case .snapshot(let snapshot) = context.data, let exactness = context.vectorIndexes?.exactness {
            stamp = exactness.stamp(index, named: plan.search.index.name, snapshotVersion: snapshot.pages.snapshot.version,
                                    memo: plan.exactnessMemo(for: index))
        }
        guard let rows = try body() else { return nil }
        let inSnapshot = stamp.map { context.vectorIndexes?.exactness.holds($0) ?? false } ?? false
        return Found(rows: rows, inSnapshot: inSnapshot)
    }

    /// The k nearest labels by the index (the WHERE filter and text pre-filter applied), or
    /// nil when the exact plan is the better way to answer.
    private static func search(_ query: [Float], k: Int, _ plan: NearestPlan, _ context: ExecutionContext) throws -> Found? {
        guard let vectorIndexes = context.vectorIndexes, let index = try plan.index(in: vectorIndexes) else {
            throw DataAccess.noDataError
        }
        if plan.textValuedType != nil { try plan.search.checkQuery(query, dimension: index.dimension) }
        try VectorText.check(query, dimension: index.dimension)
        let candidates = try plan.search.textFilter.flatMap { try textCandidates($0, context) }
        if let candidates, candidates.count <= Self.textCandidatesExactPerEf * max(context.efSearch, k) {
            return nil
        }
        let ef = max(context.efSearch, k)
        var filter: ((Int64) -> Bool)?, exact: Bool?
        // Made only for a filter that can fail (one object less per unfiltered search).
        var failure: FilterFailure?
        if let predicate = plan.scan.filter {
            let failed = FilterFailure()
            failure = failed
            switch try filteredSearch(predicate, plan.scan, index, efSearch: ef, candidates: candidates,
                                      filterRange: plan.search.filterRange, context, failed) {
            case .exactPlan: return nil
            case .index(let labelFilter, let rankExactly): (filter, exact) = (labelFilter, rankExactly)
            }
        }
        let found = try noting(index, plan, context) {
            let candidates = candidateCount(plan, k: k, efSearch: ef)
            return try index.search(query, k: candidates, efSearch: max(ef, candidates), filter: filter,
                                    exactScanDecided: exact, source: rerankSource(index, plan, context))
        }
        if let error = failure?.error { throw error }
        try context.checkCancel()
        return try found.map { try rerankExactly($0, k: k, plan, context) }
    }

    /// A quantized (int8 or binary) index re-ranks its best candidates from the rows this statement sees.
    private static func rerankSource(_ index: HNSWIndex, _ plan: NearestPlan, _ context: ExecutionContext) -> (any VectorSource)? {
        guard index.quantization != .none, let column = plan.scan.table.columnIndex(plan.search.index.columns[0]) else { return nil }
        return context.data.vectorSource(plan.scan.table, column: column)
    }

    /// The search of a statement that a server's event loop runs itself
    /// (`Session.executeImmediately`), which must not wait or run long: only an unfiltered
    /// search, ef_search at most `immediateEfSearchMax`, on an index already in memory and
    /// not being grown. Anything else throws `NotABoundedRead` before any work, and the
    /// statement runs again on an engine thread.
    private static func searchWithoutWaiting(_ query: [Float], k: Int, _ plan: NearestPlan,
                                             _ context: ExecutionContext) throws -> Found {
        let ef = max(context.efSearch, k)
        guard plan.scan.filter == nil, plan.search.textFilter == nil, ef <= immediateEfSearchMax, let vectorIndexes = context.vectorIndexes,
              let index = try plan.index(in: vectorIndexes, loading: false),
              plan.textValuedType == nil || query.count == index.dimension else { throw NotABoundedRead() }
        try VectorText.check(query, dimension: index.dimension)
        let source = rerankSource(index, plan, context), candidates = candidateCount(plan, k: k, efSearch: ef)
        let found = try noting(index, plan, context) {
            try query.withUnsafeBufferPointer { try index.searchIfIdle($0, k: candidates, efSearch: max(ef, candidates), source: source) }
        }
        guard let found else { throw NotABoundedRead() }
        return try rerankExactly(found, k: k, plan, context)
    }

    /// A label filter that fetches the row and evaluates the WHERE predicate on it. The
    /// index calls it inside its search, which cannot throw: the first error stops every
    /// later row from passing and is thrown once the search returns.
    static func rowFilter(_ predicate: BoundExpression, _ scan: TableScan, _ context: ExecutionContext,
                          _ failure: FilterFailure, candidates: Set<Int64>?) -> (Int64) -> Bool {
        let check = RowPredicate(predicate, scan.table)
        return { rowID in
            guard failure.error == nil, candidates?.contains(rowID) ?? true else { return false }
            do {
                try context.checkCancel()
                return try check.holds(rowID, scan.table, context)
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

extension VectorScan {
    /// The rows of a nearest-neighbour query's usual plan, `[LIMIT] project(plain columns,
    /// vector scan)`, made without an operator per row (`NearestPlan.materialize`). Nil for
    /// any other plan, and under EXPLAIN ANALYZE (which counts each operator's rows).
    static func materializeNearest(_ node: PlanNode, _ context: ExecutionContext,
                                   for purpose: WorkMemory.Purpose) throws -> [[Value]]? {
        guard context.statistics == nil, let plan = NearestPlan(resultOf: node) else { return nil }
        return try plan.materialize(context, for: purpose)
    }
}
