import VireoStorage

/// Where a statement reads rows: a committed snapshot, or the session's open write
/// transaction (which sees its own changes).
enum DataAccess {
    case snapshot(StoreSnapshot)
    case transaction(StoreTransaction)
    /// No data: constant folding at bind time.
    case none

    var catalog: Catalog {
        switch self {
        case .snapshot(let snapshot): snapshot.catalog
        case .transaction(let transaction): transaction.catalog
        case .none: Catalog()
        }
    }

    static let noDataError = VireoError(.internalError, "a constant expression tried to read a table")

    func scanRows(_ table: TableDefinition, from lower: Int64? = nil, to upper: Int64? = nil,
                  _ body: (Int64, RecordView) throws -> Bool) throws {
        switch self {
        case .snapshot(let source): try source.scanRows(table, from: lower, to: upper, body)
        case .transaction(let source): try source.scanRows(table, from: lower, to: upper, body)
        case .none: throw Self.noDataError
        }
    }

    func withRow<R>(_ table: TableDefinition, rowID: Int64, _ body: (RecordView) throws -> R) throws -> R? {
        switch self {
        case .snapshot(let source): try source.withRow(table, rowID: rowID, body)
        case .transaction(let source): try source.withRow(table, rowID: rowID, body)
        case .none: throw Self.noDataError
        }
    }

    /// Calls `body` with row `rowID`'s record; false when there is none. Preferred to
    /// `withRow` on paths run per row: it reaches storage without generic entry points.
    func visitRow(_ table: TableDefinition, rowID: Int64, _ body: (RecordView) throws -> Void) throws -> Bool {
        switch self {
        case .snapshot(let source): try source.visitRow(table, rowID: rowID, body)
        case .transaction(let source): try source.visitRow(table, rowID: rowID, body)
        case .none: throw Self.noDataError
        }
    }

    func scanIndex(_ index: IndexDefinition, from lower: ValueBound?, to upper: ValueBound?, reverse: Bool = false,
                   _ body: (Int64) throws -> Bool) throws {
        switch self {
        case .snapshot(let source): try source.scanIndex(index, from: lower, to: upper, reverse: reverse, body)
        case .transaction(let source): try source.scanIndex(index, from: lower, to: upper, reverse: reverse, body)
        case .none: throw Self.noDataError
        }
    }

    func rowCount(_ table: TableDefinition) throws -> Int {
        switch self {
        case .snapshot(let source): try source.rowCount(table)
        case .transaction(let source): try source.rowCount(table)
        case .none: throw Self.noDataError
        }
    }
}

/// Caches of one statement execution (uncorrelated subquery results).
final class ExecutionCache {
    var rows: [ObjectIdentifier: [[Value]]] = [:]
    var sets: [ObjectIdentifier: (values: Set<GroupKey>, hasNull: Bool)] = [:]
    /// A recursive WITH query's rows of the previous iteration, by its CommonTable.
    var workingTables: [ObjectIdentifier: [[Value]]] = [:]
    /// BM25 corpus statistics by table and column (TextCorpusStatistics.load).
    var textStatistics: [String: TextCorpusStatistics] = [:]
    /// The tsqueries `@@` has parsed, by their text (TextMatch).
    var textQueries: [String: TSQuery] = [:]
    /// The first parameter converted (Evaluator), outside the table: most statements
    /// convert one, a point lookup once, and a dictionary entry cost it a hash and an insert.
    var firstParameter: (key: ParameterKey, value: Value)?
    /// The other parameters converted to the type they are read as (Evaluator), by their key.
    var parameters: [ParameterKey: Value] = [:]

    /// Empties the caches for another statement (the converted parameters keep their
    /// table's memory: a prepared statement converts the same ones each time).
    func clear() {
        if !rows.isEmpty { rows = [:] }
        if !sets.isEmpty { sets = [:] }
        if !workingTables.isEmpty { workingTables = [:] }
        if !textStatistics.isEmpty { textStatistics = [:] }
        if !textQueries.isEmpty { textQueries = [:] }
        firstParameter = nil
        if !parameters.isEmpty { parameters.removeAll(keepingCapacity: true) }
    }

    /// Parameter `key` as converted before in this statement, if it was.
    func parameter(_ key: ParameterKey) -> Value? {
        guard let firstParameter else { return nil }
        return firstParameter.key == key ? firstParameter.value : parameters[key]
    }

    /// Keeps `value`, parameter `key` converted, for the rest of the statement.
    func keepParameter(_ key: ParameterKey, _ value: Value) {
        if firstParameter == nil { firstParameter = (key, value) } else { parameters[key] = value }
    }

    /// A parameter read as `type`, and then cast to `cast` when the expression is one.
    struct ParameterKey: Hashable {
        var index: Int
        var type: SQLType
        var cast: SQLType?
    }
}

/// Everything a plan needs while it runs.
final class ExecutionContext {
    // Variables only for `reuse` (a session's spare context, `Session.withContext`).
    private(set) var data: DataAccess
    private(set) var parameters: [Value]
    let vectorIndexes: VectorIndexes?
    private(set) var efSearch: Int
    /// Rows of enclosing queries, innermost last (correlated subqueries).
    let outerRows: [[Value]]
    private(set) var cache: ExecutionCache
    /// The statement's work_mem budget, shared with its subqueries.
    private(set) var workMemory: WorkMemory
    /// Raised by a cancel or the statement timeout; nil while binding.
    let cancel: StatementCancel?
    /// Rows produced per plan node, when EXPLAIN ANALYZE counts them.
    var statistics: PlanStatistics?
    /// Locks rows for FOR UPDATE and for UPDATE and DELETE; nil outside a write transaction.
    var rowLocker: RowLocker?
    /// The value so far of the `.fold` being evaluated (Evaluator), read by `.accumulator`.
    var accumulator: Value = .null
    /// Whether vector searches reuse the bitmaps of rows their filters matched
    /// (`MatchingRowsCache`; setting `vireo.filter_cache`).
    var reusesFilterBitmaps = true
    /// Whether index nested-loop joins keep their probes' rows per key where the plan says
    /// so (JoinMemo; setting `enable_memoize`).
    var memoizes = true
    /// The session running the statement, for the functions that read or change it
    /// (SessionFunctions.swift); nil while binding.
    ///
    /// Unowned, not weak: a weak reference gives the session a side table for good, and
    /// every retain and release of it then takes the runtime's slow path (15% of a prepared
    /// INSERT's time, in the request's closures). A context never outlives its session: the
    /// session holds its spare context, and the others live within one of its statements.
    unowned var session: Session?

    init(data: DataAccess, parameters: [Value], vectorIndexes: VectorIndexes?, efSearch: Int, workMemory: WorkMemory,
         cancel: StatementCancel?, outerRows: [[Value]] = [], cache: ExecutionCache = ExecutionCache(),
         statistics: PlanStatistics? = nil) {
        self.data = data
        self.parameters = parameters
        self.vectorIndexes = vectorIndexes
        self.efSearch = efSearch
        self.workMemory = workMemory
        self.cancel = cancel
        self.outerRows = outerRows
        self.cache = cache
        self.statistics = statistics
    }

    /// Throws 57014 once the statement is cancelled or timed out. Loops call it for each
    /// row they read or produce: it is one atomic load.
    @inline(__always)
    func checkCancel() throws {
        try cancel?.check()
    }

    /// For evaluating constant expressions while binding (which holds no rows).
    static var constantFolding: ExecutionContext {
        ExecutionContext(data: .none, parameters: [], vectorIndexes: nil, efSearch: 40,
                         workMemory: WorkMemory(kilobytesMax: Settings.workMemKilobytesDefault), cancel: nil)
    }

    /// Makes a top-level context that ran a statement ready for the next one, as a new
    /// context with these values would be; false (nothing changed) unless `context` is
    /// the only reference to it. Its cache and work memory are emptied and kept when
    /// nothing else holds them either, else replaced.
    static func reuse(_ context: inout ExecutionContext, data: DataAccess, parameters: [Value], efSearch: Int,
                      workMemKilobytes: Int, rowLocker: RowLocker?, reusesFilterBitmaps: Bool, memoizes: Bool) -> Bool {
        guard isKnownUniquelyReferenced(&context), context.outerRows.isEmpty else { return false }
        context.data = data
        context.parameters = parameters
        context.efSearch = efSearch
        if isKnownUniquelyReferenced(&context.cache) { context.cache.clear() } else { context.cache = ExecutionCache() }
        if context.workMemory.kilobytesMax == workMemKilobytes, isKnownUniquelyReferenced(&context.workMemory) {
            context.workMemory.release(bytes: context.workMemory.usedBytes)
        } else {
            context.workMemory = WorkMemory(kilobytesMax: workMemKilobytes)
        }
        context.statistics = nil
        context.rowLocker = rowLocker
        context.accumulator = .null
        context.reusesFilterBitmaps = reusesFilterBitmaps
        context.memoizes = memoizes
        return true
    }

    /// Lets go of what the finished statement read and was given (its transaction or
    /// snapshot, parameters, cached rows), so that a spare context holds nothing alive.
    func release() {
        data = .none
        parameters = []
        rowLocker = nil
        statistics = nil
        accumulator = .null
        if isKnownUniquelyReferenced(&cache) { cache.clear() }
    }

    /// A context for a subquery run for `outer`.
    func nested(outer: [Value]) -> ExecutionContext {
        let context = ExecutionContext(data: data, parameters: parameters, vectorIndexes: vectorIndexes, efSearch: efSearch,
                                       workMemory: workMemory, cancel: cancel, outerRows: outerRows + [outer], cache: cache,
                                       statistics: nil)
        context.rowLocker = rowLocker
        context.reusesFilterBitmaps = reusesFilterBitmaps
        context.memoizes = memoizes
        context.session = session
        return context
    }
}

/// The memory one statement holds for rows it keeps — sort input, hash tables, groups,
/// DISTINCT and set-operation keys, materialized subqueries and its result — counted against
/// work_mem. PostgreSQL gives each operation work_mem and spills past it; Vireo cannot spill,
/// so one budget covers the whole statement, and passing it fails the statement (54000)
/// rather than letting the process run out of memory. The count is an estimate from sizes
/// the values already know (no walk of the data, no allocation, no lock: a statement runs
/// on one thread).
final class WorkMemory {
    /// What holds the rows, for the error message ("… work_mem (1MB) for sorting").
    enum Purpose: String {
        case sorting, grouping, distinct = "DISTINCT", joining, setOperation = "UNION, INTERSECT or EXCEPT"
        case indexScan = "an index scan's row ids", subquery = "a subquery's rows"
        case result = "its result rows", changedRows = "the rows it changes"
        case commonTable = "a WITH query's rows", recursion = "the rows of a recursive WITH query"
        case window = "window functions"
    }

    /// Bytes counted for any value besides its payload, and for a row besides its values:
    /// roughly an enum slot and an array or string header.
    static let valueOverheadBytes = 32
    static let rowOverheadBytes = 32

    let kilobytesMax: Int
    private let bytesMax: Int
    private(set) var usedBytes = 0

    init(kilobytesMax: Int) {
        self.kilobytesMax = kilobytesMax
        bytesMax = kilobytesMax * 1024
    }

    /// Counts `row` as held for `purpose`.
    func charge(_ row: [Value], for purpose: Purpose) throws {
        try charge(bytes: Self.estimatedBytes(row), for: purpose)
    }

    /// Counts `bytes` as held for `purpose`; throws 54000 past work_mem.
    func charge(bytes: Int, for purpose: Purpose) throws {
        usedBytes += bytes
        guard usedBytes <= bytesMax else { throw exceeded(purpose) }
    }

    /// Gives back bytes counted for rows no longer held (a top-k sort's dropped rows, a
    /// correlated subquery's rows).
    func release(bytes: Int) { usedBytes -= bytes }

    private func exceeded(_ purpose: Purpose) -> VireoError {
        let now = UnitSetting.memory.text(kilobytesMax)
        let more = UnitSetting.memory.text(min(kilobytesMax * 2, UnitSetting.memory.valueRange.upperBound))
        return VireoError(.limitExceeded, "the statement needs more than work_mem (\(now)) for \(purpose.rawValue); raise it with SET work_mem = '\(more)' (or more)")
    }

    static func estimatedBytes(_ row: [Value]) -> Int {
        var bytes = rowOverheadBytes
        for value in row { bytes += estimatedBytes(value) }
        return bytes
    }

    /// Payload sizes are all O(1) to read: a native string knows its UTF-8 length.
    static func estimatedBytes(_ value: Value) -> Int {
        switch value {
        case .text(let text), .json(let text): valueOverheadBytes + text.utf8.count
        case .bytes(let bytes): valueOverheadBytes + bytes.count
        case .vector(let elements): valueOverheadBytes + elements.count * MemoryLayout<Float>.size
        case .null, .bool, .int, .double, .timestamp, .interval: valueOverheadBytes
        case .array(let elements): elements.reduce(valueOverheadBytes) { $0 + estimatedBytes($1) }
        case .numeric(let number): valueOverheadBytes + number.coefficient.byteCount
        }
    }
}

/// Row counts and times per plan node for EXPLAIN ANALYZE, keyed by the node's path
/// ("0", "0.0", "0.1" …: the root, then children by position).
final class PlanStatistics {
    var rows: [String: Int] = [:]
    var nanoseconds: [String: UInt64] = [:]
    /// What each memoizing join's memo did, keyed by the join's path.
    var memos: [String: MemoCounters] = [:]
}
