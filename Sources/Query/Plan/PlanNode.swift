import VireoStorage

/// A physical plan. Each node pushes rows to its consumer (see Executor); rows of a
/// table scan are the table's columns followed by the row id.
indirect enum PlanNode: Sendable {
    /// Every row of a table, in row-id order, optionally filtered.
    case seqScan(TableScan)
    /// Rows by row id (a primary-key or row-id equality).
    case rowIDLookup(TableScan, rowIDs: [BoundExpression])
    /// Rows whose B+tree index values fall in a range.
    case indexScan(TableScan, IndexRange)
    /// The k nearest rows by a vector index, nearest first, filtered.
    case vectorScan(TableScan, VectorSearch)
    /// Constant rows (VALUES, or a SELECT without FROM).
    case values([[BoundExpression]])
    /// The rows of a table function in FROM (generate_series …).
    case functionScan(TableFunctionScan)
    case filter(PlanNode, BoundExpression)
    case project(PlanNode, [BoundExpression])
    case sort(PlanNode, [SortKey])
    /// Sort, keeping only the first `limit` rows (a heap).
    case topK(PlanNode, [SortKey], limit: BoundExpression, offset: BoundExpression?)
    case limit(PlanNode, limit: BoundExpression?, offset: BoundExpression?)
    /// FETCH FIRST n ROWS WITH TIES: the first n rows after the offset, then those that
    /// follow with the same keys as the last of them (the input is sorted by the keys).
    case limitWithTies(PlanNode, [SortKey], limit: BoundExpression, offset: BoundExpression?)
    case distinct(PlanNode)
    case aggregate(PlanNode, Aggregation)
    case nestedLoopJoin(PlanNode, PlanNode, JoinSpec)
    case hashJoin(PlanNode, PlanNode, JoinSpec, leftKeys: [BoundExpression], rightKeys: [BoundExpression])
    /// For each left row, the right table probed by its key (a `.rowIDLookup` or `.indexScan`
    /// whose key expressions read the left row, Plan/IndexJoin.swift); INNER or LEFT.
    case indexNestedLoopJoin(PlanNode, PlanNode, JoinSpec)
    /// The right plan run again for each left row, which it reads as its enclosing row (LATERAL).
    case lateralJoin(PlanNode, PlanNode, JoinSpec)
    /// The inputs (two or more) combined from the left by one set operator.
    case setOperation(SetOperation.Kind, all: Bool, [PlanNode])
    /// The rows of a WITH query (computed once per statement when read more than once).
    case commonTableScan(CommonTable)
    /// The rows a recursive query's previous iteration produced.
    case workingTableScan(CommonTable)
    /// `anchor UNION [ALL] recursive`, the recursive term run until it adds no row.
    case recursiveUnion(CommonTable, anchor: PlanNode, recursive: PlanNode, all: Bool)
    /// Window functions: each input row, followed by one value per call.
    case window(PlanNode, [WindowCall])
    /// DISTINCT ON: the first row of each run of equal keys (the input is sorted by them).
    case distinctOn(PlanNode, keys: [BoundExpression])
    /// SELECT … FOR UPDATE: locks the rows each input row came from, in order, leaving out
    /// those SKIP LOCKED passes over (Exec/LockRows.swift).
    case lockRows(PlanNode, [RowLockTarget])
}

/// A table read by a scan node.
struct TableScan: Sendable {
    var table: TableDefinition
    /// Applied to each row before it is emitted (row layout: columns, then row id).
    var filter: BoundExpression?
    /// Why this access path was chosen, for EXPLAIN.
    var reason: String
    /// Which columns the query reads; the others are not decoded (they read as NULL).
    /// Nil: every column.
    var neededColumns: [Bool]? = nil
    /// A primary-key range: only rows whose id lies within it are read. Nil: every row.
    var rowIDBounds: ColumnBounds? = nil
    /// With `rowIDBounds`: the filter without the comparisons the bounds come from, checked
    /// instead of `filter` when every bound is an exact integer key (the range then keeps
    /// no row they would reject).
    var filterWithinBounds: BoundExpression? = nil
    /// For a lookup by one primary-key value that is a constant or a parameter (`id = $1`,
    /// AccessPath): the filter without that equality (`.some(nil)`: nothing else), checked
    /// instead of `filter` on a row found by an integer key value that the row holds, where
    /// the equality holds exactly (`filter(forRowFoundBy:_:)`). Nil: always `filter`.
    var filterBesideKey: BoundExpression?? = nil
}

extension TableScan {
    /// The filter that `row`, found by looking up the integer key value `rowID`, must pass:
    /// `filterBesideKey` when the row holds that value in its key column (`id = $1` with
    /// `$1` = `rowID` then holds exactly, integers on both sides), `filter` otherwise.
    func filter(forRowFoundBy rowID: Int64, _ row: [Value]) -> BoundExpression? {
        guard let besides = filterBesideKey, let column = table.rowIDColumn, column < row.count,
              case .int(rowID) = row[column] else { return filter }
        return besides
    }
}

/// Bounds on one column, from the comparisons of a WHERE clause with row-independent values.
struct ColumnBounds: Sendable {
    var lower: BoundExpression?
    var lowerInclusive = true
    var upper: BoundExpression?
    var upperInclusive = true
    /// Positions, among the conjuncts the bounds were taken from, of the comparisons that
    /// gave `lower` and `upper`.
    var sources: [Int] = []
}

/// Bounds over an index's leading columns.
struct IndexRange: Sendable {
    var index: IndexDefinition
    /// The bounds in value order (the range key's smallest value is in `lower`); for a DESC
    /// range key the scan swaps them into index order (`rangeKeyDescending`).
    var lower: [BoundExpression]?
    var lowerInclusive = true
    var upper: [BoundExpression]?
    var upperInclusive = true
    /// Whether the key after the equalities is stored descending: in index order its
    /// larger values, and then its NULLs, come first.
    var rangeKeyDescending = false
    /// For an inverted (gin) index: the tsquery whose lexemes select the candidate rows
    /// (the bounds are then unused); the WHERE clause rechecks every candidate.
    var textQuery: BoundExpression?
    /// With `textQuery`: the BM25 top-k search answering ORDER BY bm25(…) DESC LIMIT k.
    var textTopK: TextTopK.Search?
    /// For a gin index over jsonb: the `@>`, `?`, `?|` or `?&` whose right side's terms
    /// select the candidate rows (the bounds are then unused); the WHERE clause rechecks them.
    var jsonQuery: JSONIndexQuery?
    /// For a gin_trgm_ops index: the `%` or LIKE whose trigrams select the candidate rows;
    /// the WHERE clause rechecks them.
    var trigramQuery: TrigramIndexQuery?
    /// Whether the index is read for a term search (tsquery, jsonb or trigrams), not by key bounds.
    var isTermSearch: Bool { textQuery != nil || jsonQuery != nil || trigramQuery != nil }
    /// Rows come out in the query's ORDER BY, so no sort follows.
    var ordered = false
    /// With `ordered`: the index is read backwards (ORDER BY … DESC).
    var reverse = false
    /// With `ordered`: the entries whose key after the equalities is NULL are read at the
    /// other end from where the direction puts them (forward: after the others, for ORDER
    /// BY … NULLS LAST; in reverse: before them, for ORDER BY … DESC NULLS FIRST).
    var nullsMoved = false
    /// The conditions the bounds come from, for EXPLAIN (`a = value AND b > value`).
    var condition: String?
    /// `key IN (…)` or `key = ANY (array)` on one key within the equalities: the range is
    /// read once per distinct value, put at `position` of both bounds.
    var keyList: KeyList?
    /// Positions, among the conjuncts the range was made from, of those its bounds and key
    /// list come from (each row it reads passes them, barring NULLs and bounds widened to
    /// the key's type: `VectorScan.matchingRows(_:_:from:entriesMax:_:)`).
    var conjunctsUsed: [Int] = []

    struct KeyList: Sendable {
        var position: Int
        /// The listed values, or one expression giving an array of them.
        var values: [BoundExpression]
        var isArray: Bool
    }
}

/// `key op value` served by a gin index over jsonb; `value` is independent of the row.
struct JSONIndexQuery: Sendable {
    var op: BinaryOperator
    var value: BoundExpression
}

/// What a gin_trgm_ops index is read for: rows sharing a trigram with the value (`%`, when
/// the session's similarity threshold is above 0), or rows holding every trigram a LIKE or
/// ILIKE pattern requires.
struct TrigramIndexQuery: Sendable {
    enum Kind: Sendable { case similar, like }
    var kind: Kind
    var value: BoundExpression
}

/// A nearest-neighbour search through a vector index.
struct VectorSearch: Sendable {
    var index: IndexDefinition
    var query: BoundExpression
    /// Rows wanted: LIMIT + OFFSET.
    var limit: BoundExpression
    var offset: BoundExpression?
    /// The same rows by brute force, nearest first: for a k beyond what the index
    /// searches, a NULL query vector, or few rows matching `textFilter`.
    var exactPlan: PlanNode
    /// A `document @@ query` term of the WHERE clause that a gin index serves: the rows it
    /// may match are read from that index before the search.
    var textFilter: TextFilter?
    /// A B+tree index range over the WHERE clause's columns: when the search needs the
    /// bitmap of matching rows, it reads the range's row ids instead of the table.
    var filterRange: FilterRange?

    struct FilterRange: Sendable {
        var range: IndexRange
        /// Whether the range's conditions are the whole WHERE clause, so that each row id it
        /// reads (its key not NULL, its bounds exact) passes without reading the row.
        var coversFilter: Bool
    }

    struct TextFilter: Sendable {
        var index: IndexDefinition
        var query: BoundExpression
    }
}

extension PlanNode {
    /// The same plan with its table scan told which columns the query reads.
    func readingOnly(_ needed: [Bool]) -> PlanNode {
        switch self {
        case .seqScan(var scan): scan.neededColumns = needed; return .seqScan(scan)
        case .rowIDLookup(var scan, let rowIDs): scan.neededColumns = needed; return .rowIDLookup(scan, rowIDs: rowIDs)
        case .indexScan(var scan, let range): scan.neededColumns = needed; return .indexScan(scan, range)
        case .vectorScan(var scan, var search):
            scan.neededColumns = needed
            // The exact plan sorts by the distance, so it also reads the vector column.
            if case .topK(let rows, let keys, let limit, let offset) = search.exactPlan {
                let read = Self.adding(keys.map(\.expression) + [scan.filter].compactMap { $0 }, to: needed)
                search.exactPlan = .topK(rows.readingOnly(read), keys, limit: limit, offset: offset)
            }
            return .vectorScan(scan, search)
        case .filter(let input, let condition):
            guard !condition.hasCorrelatedSubquery else { return self }
            return .filter(input.readingOnly(Self.adding([condition], to: needed)), condition)
        case .hashJoin(let left, let right, let spec, let leftKeys, let rightKeys):
            let leftWidth = needed.count - spec.rightWidth
            let keys = leftKeys + rightKeys.map { $0.shifted(by: leftWidth) }
            guard let (left, right) = Self.joinSides(left, right, spec, keys, needed) else { return self }
            return .hashJoin(left, right, spec, leftKeys: leftKeys, rightKeys: rightKeys)
        case .nestedLoopJoin(let left, let right, let spec):
            guard let (left, right) = Self.joinSides(left, right, spec, [], needed) else { return self }
            return .nestedLoopJoin(left, right, spec)
        case .indexNestedLoopJoin(let left, let probe, let spec):
            guard let (left, probe) = Self.joinSides(left, probe, spec, probe.probeKeys, needed) else { return self }
            return .indexNestedLoopJoin(left, probe, spec)
        default: return self
        }
    }

    /// `needed` with the columns `expressions` read set as well.
    private static func adding(_ expressions: [BoundExpression], to needed: [Bool]) -> [Bool] {
        var needed = needed
        for expression in expressions { expression.visitColumns { if $0 < needed.count { needed[$0] = true } } }
        return needed
    }

    /// Both sides of a join told which of their columns the query or the join itself reads
    /// (keys are given over the joined row); nil when a subquery in the condition may read more.
    private static func joinSides(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ keys: [BoundExpression],
                                  _ needed: [Bool]) -> (PlanNode, PlanNode)? {
        let leftWidth = needed.count - spec.rightWidth
        guard leftWidth >= 0, spec.condition?.hasCorrelatedSubquery != true else { return nil }
        let all = adding(keys + [spec.condition].compactMap { $0 }, to: needed)
        return (left.readingOnly(Array(all[..<leftWidth])), right.readingOnly(Array(all[leftWidth...])))
    }
}

struct SortKey: Sendable {
    var expression: BoundExpression
    var descending: Bool
    var nullsFirst: Bool
}

struct JoinSpec: Sendable {
    enum Kind: Sendable { case inner, left, right, full }
    var kind: Kind
    /// Evaluated on the joined row (left columns, then right columns).
    var condition: BoundExpression?
    var rightWidth: Int
    /// Needed by RIGHT and FULL joins, which emit right rows with NULLs for the left side.
    var leftWidth = 0
    /// An inner hash join whose hash table holds the left side (expected to be the smaller
    /// by ANALYZE's statistics, PlanNode+Estimate.swift) instead of the right.
    var hashesLeft = false
    /// An index nested-loop join's memo of its probes' rows (IndexJoin+Memo.swift); nil
    /// for every other join, and when the outer keys are not expected to repeat.
    var memo: JoinMemo? = nil

    /// LEFT and FULL joins keep unmatched left rows; RIGHT and FULL unmatched right rows.
    var keepsLeft: Bool { kind == .left || kind == .full }
    var keepsRight: Bool { kind == .right || kind == .full }
}

/// GROUP BY keys and aggregate calls; output rows are the keys, then the aggregates.
struct Aggregation: Sendable {
    var groupKeys: [BoundExpression]
    var aggregates: [AggregateCall]
    /// GROUPING SETS, ROLLUP and CUBE: each set the positions of the keys it groups by; a
    /// row of a set holds NULL for the other keys. nil: one set of every key.
    var groupingSets: [[Int]]? = nil
    /// The keys as written, for EXPLAIN.
    var keyNames: [String] = []

    /// Every expression evaluated on an input row: the group keys, and each call's
    /// argument, second argument, FILTER and ORDER BY keys.
    var inputExpressions: [BoundExpression] {
        groupKeys + aggregates.flatMap { call in
            [call.argument, call.second, call.filter].compactMap { $0?.expression } + call.order.map(\.key.expression)
        }
    }
}

struct AggregateCall: Sendable, Equatable {
    enum Function: String, Sendable {
        case count, sum, avg, min, max, every, stddev, variance, mode
        case stringAgg = "string_agg", boolAnd = "bool_and", boolOr = "bool_or", bitAnd = "bit_and", bitOr = "bit_or"
        case stddevSamp = "stddev_samp", stddevPop = "stddev_pop", varSamp = "var_samp", varPop = "var_pop"
        case jsonbAgg = "jsonb_agg", jsonAgg = "json_agg", jsonbObjectAgg = "jsonb_object_agg", jsonObjectAgg = "json_object_agg"
        case percentileCont = "percentile_cont", percentileDisc = "percentile_disc"
        case arrayAgg = "array_agg"
        /// A non-NULL value of the group (PostgreSQL 16's any_value); what a column that the
        /// grouped primary key determines is bound as.
        case anyValue = "any_value"
        /// `grouping(a, …)`: which of its arguments the row's grouping set leaves out, as bits.
        case grouping
        /// The statistics of pairs (Y, X), PostgreSQL's float8 aggregates; pairs with a NULL
        /// are skipped.
        case corr, covarPop = "covar_pop", covarSamp = "covar_samp", regrSlope = "regr_slope"
        case regrIntercept = "regr_intercept", regrR2 = "regr_r2", regrCount = "regr_count", regrAvgx = "regr_avgx"
        case regrAvgy = "regr_avgy", regrSxx = "regr_sxx", regrSyy = "regr_syy", regrSxy = "regr_sxy"

        /// stddev, variance and their sample and population forms.
        /// (A switch, not an array's contains: the accumulators ask for every row.)
        var isVariance: Bool {
            switch self {
            case .stddev, .stddevSamp, .stddevPop, .variance, .varSamp, .varPop: true
            default: false
            }
        }

        /// corr, covar_pop, covar_samp and the regr_ aggregates: two double precision
        /// arguments, the dependent Y first.
        var isRegression: Bool {
            switch self {
            case .corr, .covarPop, .covarSamp, .regrSlope, .regrIntercept, .regrR2, .regrCount, .regrAvgx, .regrAvgy,
                 .regrSxx, .regrSyy, .regrSxy: true
            default: false
            }
        }
    }
    var function: Function
    /// The aggregated value (an ordered-set aggregate's WITHIN GROUP key); nil for count(*).
    var argument: BoundExpressionBox?
    var distinct: Bool
    /// `FILTER (WHERE …)`: rows where it does not hold are skipped.
    var filter: BoundExpressionBox? = nil
    /// string_agg's delimiter, an object aggregate's value, a percentile's fraction.
    var second: BoundExpressionBox? = nil
    /// `agg(x ORDER BY …)`, or the direction of a WITHIN GROUP key.
    var order: [AggregateOrder] = []
    /// sum, avg and the variances answer in numeric (PostgreSQL's result type for bigint,
    /// and for integer and numeric input to avg and the variances).
    var exact = false
    /// sum and avg of halfvecs: the result rounded to half precision, as pgvector's is.
    var halfPrecision = false
    /// json_agg of arrays or records: each element after the first on a line of its own.
    var jsonStructured = false
    /// grouping(): the positions of its arguments among the GROUP BY keys.
    var groupingKeys: [Int] = []
}

/// One key of an aggregate's ORDER BY.
struct AggregateOrder: Sendable, Equatable {
    var key: BoundExpressionBox
    var descending: Bool
    var nullsFirst: Bool
}

/// Boxes a bound expression so aggregate calls can be compared while binding.
struct BoundExpressionBox: Sendable, Equatable {
    var expression: BoundExpression
    var key: String
    static func == (a: BoundExpressionBox, b: BoundExpressionBox) -> Bool { a.key == b.key }
}
