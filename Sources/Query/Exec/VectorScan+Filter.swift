import VireoIndex
import VireoStorage

/// How a vector search with a WHERE filter finds the rows the filter passes.
///
/// - `lookingUpRows`: the graph search asks the filter about each node it reaches, and the
///   filter looks that row up (a B-tree descent) and evaluates the WHERE clause on it,
///   decoding only the columns the clause reads and remembering the answer. Cheapest when
///   the filter passes many rows, so the search reaches few nodes.
/// - `matchingRowsFirst`: the matching rows are marked in a bitmap first, by one pass over
///   the table decoding only the filter's columns; the index then
///   either walks the graph asking the bitmap, or ranks exactly the matching rows' vectors
///   as it keeps them, whichever `FilteredSearchCost` finds cheaper for their exact count.
///   Cheapest when the filter is selective: the graph would reach most rows one look-up at
///   a time.
///
/// A filter that a B+tree index range serves (`VectorSearch.filterRange`) takes neither
/// sample nor pass: its matching rows are read from the range's entries, up to
/// `indexEntriesMax` of them; past that the filter is broad and the rows are looked up.
enum FilterRoute: Equatable {
    case lookingUpRows
    case matchingRowsFirst

    /// One row look-up by id and the WHERE clause on it, in nanoseconds (estimated for a
    /// release build over 20,000 rows of 384-d vectors, not calibrated; only the ratios to
    /// `rowScanNs` and `indexEntryNs` matter).
    static let rowLookupNs = 1_500.0
    /// One row of a table pass decoding only the filter's columns, and the WHERE clause.
    static let rowScanNs = 250.0
    /// One entry of a B+tree index range read for its row id alone (no row, no WHERE clause).
    static let indexEntryNs = 40.0
    /// Rows looked up to estimate how many the filter passes: enough to tell the routes
    /// apart (the index's own default, 512, would cost more look-ups than a broad filter's
    /// whole graph search).
    static let sampleCount = 128

    /// The cheaper route for a filter estimated to pass `matchingEstimate` of `liveCount` rows.
    static func choose(matchingEstimate: Int, liveCount: Int, efSearch: Int, dimension: Int, vectorBytes: Int) -> FilterRoute {
        let lookingUp = FilteredSearchCost(matchingCount: matchingEstimate, liveCount: liveCount, efSearch: efSearch,
                                           dimension: dimension, vectorBytes: vectorBytes, filterNs: rowLookupNs)
        let afterPass = FilteredSearchCost(matchingCount: matchingEstimate, liveCount: liveCount, efSearch: efSearch,
                                           dimension: dimension, vectorBytes: vectorBytes)
        let passNs = Double(liveCount) * rowScanNs + min(afterPass.graphNs, afterPass.exactNs)
        return lookingUp.graphNs <= passNs ? .lookingUpRows : .matchingRowsFirst
    }

    /// The most matching rows for which reading them from an index range (`entryNs` each)
    /// and searching with their bitmap costs less than the graph search looking rows up:
    /// the range is read up to that many entries, and a filter passing more takes
    /// `lookingUpRows` (so no sample of look-ups is needed to tell the two apart).
    static func indexEntriesMax(liveCount: Int, efSearch: Int, dimension: Int, vectorBytes: Int, entryNs: Double) -> Int {
        func bitmapPays(_ matching: Int) -> Bool {
            let lookingUp = FilteredSearchCost(matchingCount: matching, liveCount: liveCount, efSearch: efSearch,
                                               dimension: dimension, vectorBytes: vectorBytes, filterNs: rowLookupNs)
            let withBitmap = FilteredSearchCost(matchingCount: matching, liveCount: liveCount, efSearch: efSearch,
                                                dimension: dimension, vectorBytes: vectorBytes)
            return Double(matching) * entryNs + min(withBitmap.graphNs, withBitmap.exactNs) <= lookingUp.graphNs
        }
        // The bitmap's cost grows with the matching rows and the look-ups' falls: the
        // largest count where the bitmap still pays, by bisection.
        guard bitmapPays(1) else { return 0 }
        if bitmapPays(liveCount) { return liveCount }
        var (paying, notPaying) = (1, liveCount)
        while notPaying - paying > 1 {
            let middle = (paying + notPaying) / 2
            if bitmapPays(middle) { paying = middle } else { notPaying = middle }
        }
        return paying
    }
}

/// What answers a vector search with a WHERE filter.
enum FilteredSearch {
    /// The plan ranking every matching row it reads from the table (or the text pre-filter).
    case exactPlan
    /// The index, with a filter on row ids; `exact`: it ranks every row passing, else it
    /// walks the graph.
    case index(filter: (Int64) -> Bool, exact: Bool)
}

extension VectorScan {
    /// A bitmap of matching rows kept from an earlier search with the same filter at the
    /// same version (`MatchingRowsCache`), else the route (`FilterRoute`) picked by the
    /// matching rows estimated from the index's sample (whose look-ups the graph search then
    /// reuses); with a bitmap, the index's graph or exact ranking by the exact count.
    static func filteredSearch(_ predicate: BoundExpression, _ scan: TableScan, _ index: HNSWIndex, efSearch: Int,
                               candidates: Set<Int64>?, filterRange: VectorSearch.FilterRange?, _ context: ExecutionContext,
                               _ failure: FilterFailure) throws -> FilteredSearch {
        let slot = candidates == nil ? cacheSlot(predicate, scan, context) : nil
        let cached = slot.map { $0.cache.lookup($0.key, version: $0.version) } ?? .miss
        if case .hit(let rows) = cached { return bitmapSearch(rows, index, efSearch: efSearch) }
        let lookUp = RememberingFilter(rowFilter(predicate, scan, context, failure, candidates: candidates))
        // A B+tree index range on the filter's columns (not inside a transaction, which may
        // have added rows that only the exact plan reads).
        if candidates == nil, let filterRange, case .snapshot = context.data {
            let entryNs = FilterRoute.indexEntryNs + (filterRange.coversFilter ? 0 : FilterRoute.rowLookupNs)
            // All of them when the cache is to keep the bitmap.
            var entriesMax = FilterRoute.indexEntriesMax(liveCount: index.count, efSearch: efSearch, dimension: index.dimension,
                                                         vectorBytes: index.vectorBytes, entryNs: entryNs)
            if case .seenOnce = cached { entriesMax = .max }
            guard let rows = try matchingRows(predicate, scan, from: filterRange, entriesMax: entriesMax, context) else {
                return .index(filter: { lookUp($0) }, exact: false)
            }
            if let slot { slot.cache.remember(rows, for: slot.key, version: slot.version) }
            return bitmapSearch(rows, index, efSearch: efSearch)
        }
        var route = FilterRoute.matchingRowsFirst
        if case .miss = cached {
            let (matching, live) = index.estimatedMatching(sampleCount: FilterRoute.sampleCount, filter: { lookUp($0) })
            if let error = failure.error { throw error }
            // Text pre-filter candidates, too many for the exact plan to rank them all: the
            // exact plan or the graph, whose look-ups skip every other row at once.
            if candidates != nil {
                return index.prefersExactScan(matchingCount: matching, liveCount: live, efSearch: efSearch)
                    ? .exactPlan : .index(filter: { lookUp($0) }, exact: false)
            }
            route = FilterRoute.choose(matchingEstimate: matching, liveCount: live, efSearch: efSearch, dimension: index.dimension,
                                       vectorBytes: index.vectorBytes)
        }
        if route == .lookingUpRows { return .index(filter: { lookUp($0) }, exact: false) }
        // The index holds committed rows only: inside a transaction, which may have added
        // rows, the exact plan reads them.
        if case .transaction = context.data { return .exactPlan }
        let rows = try matchingRows(predicate, scan, context)
        if let slot { slot.cache.remember(rows, for: slot.key, version: slot.version) }
        return bitmapSearch(rows, index, efSearch: efSearch)
    }

    /// The index searching with a bitmap of the matching rows: exactly when `FilteredSearchCost`
    /// finds that cheaper for their count.
    private static func bitmapSearch(_ rows: RowIDBitmap, _ index: HNSWIndex, efSearch: Int) -> FilteredSearch {
        .index(filter: { rows.contains($0) }, exact: index.prefersExactScan(matchingCount: rows.count, efSearch: efSearch))
    }

    /// Where `MatchingRowsCache` may keep this filter's bitmap: a statement reading a
    /// committed snapshot, with the cache on and a filter it covers.
    private static func cacheSlot(_ predicate: BoundExpression, _ scan: TableScan, _ context: ExecutionContext)
        -> (cache: MatchingRowsCache, key: FilterKey, version: UInt64)? {
        guard context.reusesFilterBitmaps, case .snapshot(let snapshot) = context.data, let cache = context.vectorIndexes?.matchingRows,
              let key = FilterKey(predicate, table: "\(scan.table.name)@\(scan.table.root)", parameters: context.parameters) else { return nil }
        return (cache, key, snapshot.pages.snapshot.version)
    }

    /// The rows of `scan`'s table that `predicate` passes, in one pass decoding only the
    /// columns the predicate reads.
    static func matchingRows(_ predicate: BoundExpression, _ scan: TableScan, _ context: ExecutionContext) throws -> RowIDBitmap {
        let check = RowPredicate(predicate, scan.table)
        let rows = RowIDBitmap()
        var scanned = 0
        try context.data.scanRows(scan.table) { rowID, record in
            scanned += 1
            if scanned % Self.rowsBetweenCancelChecks == 0 { try context.checkCancel() }
            if try check.holds(record, rowID: rowID, context) { rows.insert(rowID) }
            return true
        }
        return rows
    }

    /// The rows `predicate` passes among the row ids of `range`'s index entries, each row
    /// looked up and checked unless the range's conditions are exactly the predicate (then
    /// no row is read); nil when the range holds more than `entriesMax` entries.
    static func matchingRows(_ predicate: BoundExpression, _ scan: TableScan, from range: VectorSearch.FilterRange, entriesMax: Int,
                             _ context: ExecutionContext) throws -> RowIDBitmap? {
        var candidates: [Int64] = []
        let exact = try PlanExecutor.scanRange(range.range, scan.table, context, skippingNullKeys: true) { rowID in
            candidates.append(rowID)
            return candidates.count <= entriesMax
        }
        guard candidates.count <= entriesMax else { return nil }
        let rows = RowIDBitmap()
        if exact && range.coversFilter {
            for rowID in candidates { rows.insert(rowID) }
            return rows
        }
        let check = RowPredicate(predicate, scan.table)
        for rowID in candidates {
            if try check.holds(rowID, scan.table, context) { rows.insert(rowID) }
        }
        return rows
    }

    /// Rows a pass reads between two checks for a cancelled statement.
    static let rowsBetweenCancelChecks = 256
}

/// A WHERE clause evaluated on stored records, decoding only the columns it reads (every
/// column when it has a correlated subquery) into one row buffer reused from row to row.
final class RowPredicate {
    private let predicate: BoundExpression
    private let read: [Bool]
    private var row: [Value]

    init(_ predicate: BoundExpression, _ table: TableDefinition) {
        let columnCount = table.columns.count
        self.predicate = predicate
        read = predicate.hasCorrelatedSubquery
            ? [Bool](repeating: true, count: columnCount + 1)
            : Binder.columnsRead(by: [predicate], width: columnCount + 1)
        row = PlanExecutor.nullRow(columnCount + 1)
    }

    /// Whether the predicate holds for the row `record` stores.
    func holds(_ record: RecordView, rowID: Int64, _ context: ExecutionContext) throws -> Bool {
        // Columns added after this row was written read as NULL (refill).
        try PlanExecutor.refill(&row, columnCount: row.count - 1, record, columns: read, rowID: rowID)
        return try Evaluator.holds(predicate, row, context)
    }

    /// Whether row `rowID` of `table` exists in the statement's data and the predicate holds for it.
    func holds(_ rowID: Int64, _ table: TableDefinition, _ context: ExecutionContext) throws -> Bool {
        var passes = false
        _ = try context.data.visitRow(table, rowID: rowID) { passes = try holds($0, rowID: rowID, context) }
        return passes
    }
}

/// A set of row ids: one bit per id in 0..<`bitsMax` (ids are mostly small and dense), a
/// hash set for the others. A class so that a filter closure can fill it as it goes.
final class RowIDBitmap {
    /// 2^26 bits: 8 MiB at most.
    static let bitsMax: Int64 = 1 << 26
    private var words: [UInt64] = []
    private var outside: Set<Int64> = []
    private(set) var count = 0

    /// What the set holds in memory, roughly.
    var memoryBytes: Int { words.count * 8 + outside.count * 16 }

    func insert(_ rowID: Int64) {
        guard rowID >= 0, rowID < Self.bitsMax else {
            if outside.insert(rowID).inserted { count += 1 }
            return
        }
        let word = Int(rowID >> 6), bit = UInt64(1) << UInt64(rowID & 63)
        if word >= words.count {
            let grown = min(max(word + 1, words.count * 2), Int(Self.bitsMax >> 6))
            words.append(contentsOf: repeatElement(0, count: grown - words.count))
        }
        if words[word] & bit == 0 {
            words[word] |= bit
            count += 1
        }
    }

    @inline(__always)
    func contains(_ rowID: Int64) -> Bool {
        guard rowID >= 0, rowID < Self.bitsMax else { return outside.contains(rowID) }
        let word = Int(rowID >> 6)
        return word < words.count && words[word] & (UInt64(1) << UInt64(rowID & 63)) != 0
    }
}

/// A row filter that answers each row id once: the sample that estimates the filter's
/// selectivity and the graph search then never look the same row up twice.
final class RememberingFilter {
    private let check: (Int64) -> Bool
    private let known = RowIDBitmap(), passed = RowIDBitmap()

    init(_ check: @escaping (Int64) -> Bool) { self.check = check }

    func callAsFunction(_ rowID: Int64) -> Bool {
        if known.contains(rowID) { return passed.contains(rowID) }
        known.insert(rowID)
        let passes = check(rowID)
        if passes { passed.insert(rowID) }
        return passes
    }
}
