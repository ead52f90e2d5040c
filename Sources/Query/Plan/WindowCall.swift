import VireoStorage

/// One window function call as the executor runs it: over rows sorted by partition, then
/// order keys (all expressions over the window node's input row).
struct WindowCall: Sendable {
    /// The functions that exist only as window functions.
    enum Function: String, Sendable {
        case rowNumber = "row_number", rank, denseRank = "dense_rank", percentRank = "percent_rank"
        case cumeDist = "cume_dist", ntile, lag, lead, firstValue = "first_value", lastValue = "last_value"
        case nthValue = "nth_value"
    }

    enum Kind: Sendable {
        case function(Function)
        /// An aggregate over the row's frame.
        case aggregate(AggregateCall)
    }

    var kind: Kind
    var arguments: [BoundExpression]
    var partitionBy: [BoundExpression]
    var orderBy: [SortKey]
    var frame: BoundFrame
    /// The partition and order written as SQL: calls with the same key share one sort.
    var sortKey: String
}

/// A frame with its offsets bound (evaluated once per execution; they read no row).
struct BoundFrame: Sendable {
    enum Bound: Sendable {
        case unboundedPreceding, preceding(BoundExpression), currentRow, following(BoundExpression), unboundedFollowing
    }

    var mode: WindowFrame.Mode
    var start: Bound
    var end: Bound
    var exclusion: WindowFrame.Exclusion = .noOthers

    /// PostgreSQL's default: RANGE UNBOUNDED PRECEDING to CURRENT ROW (with its peers).
    static let `default` = BoundFrame(mode: .range, start: .unboundedPreceding, end: .currentRow)
}
