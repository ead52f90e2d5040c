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

    func scanIndex(_ index: IndexDefinition, from lower: ValueBound?, to upper: ValueBound?,
                   _ body: (Int64) throws -> Bool) throws {
        switch self {
        case .snapshot(let source): try source.scanIndex(index, from: lower, to: upper, body)
        case .transaction(let source): try source.scanIndex(index, from: lower, to: upper, body)
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
}

/// Everything a plan needs while it runs.
final class ExecutionContext {
    let data: DataAccess
    let parameters: [Value]
    let vectorIndexes: VectorIndexes?
    let efSearch: Int
    /// Rows of enclosing queries, innermost last (correlated subqueries).
    let outerRows: [[Value]]
    let cache: ExecutionCache
    /// Rows produced per plan node, when EXPLAIN ANALYZE counts them.
    var statistics: PlanStatistics?

    init(data: DataAccess, parameters: [Value], vectorIndexes: VectorIndexes?, efSearch: Int,
         outerRows: [[Value]] = [], cache: ExecutionCache = ExecutionCache(), statistics: PlanStatistics? = nil) {
        self.data = data
        self.parameters = parameters
        self.vectorIndexes = vectorIndexes
        self.efSearch = efSearch
        self.outerRows = outerRows
        self.cache = cache
        self.statistics = statistics
    }

    /// For evaluating constant expressions while binding.
    static var constantFolding: ExecutionContext {
        ExecutionContext(data: .none, parameters: [], vectorIndexes: nil, efSearch: 40)
    }

    /// A context for a subquery run for `outer`.
    func nested(outer: [Value]) -> ExecutionContext {
        ExecutionContext(data: data, parameters: parameters, vectorIndexes: vectorIndexes, efSearch: efSearch,
                         outerRows: outerRows + [outer], cache: cache, statistics: nil)
    }
}

/// Row counts and times per plan node for EXPLAIN ANALYZE, keyed by the node's path
/// ("0", "0.0", "0.1" …: the root, then children by position).
final class PlanStatistics {
    var rows: [String: Int] = [:]
    var nanoseconds: [String: UInt64] = [:]
}
