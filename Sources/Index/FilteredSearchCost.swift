/// The estimated time of the two ways to answer a filtered nearest-neighbour search, so
/// that the choice follows the rows the filter matches rather than a fixed share:
///
/// - graph: the filtered graph search (filter checked on every node it reaches, the
///   non-matching ones still routing it) reaches about `graphDistancesPerEf` × ef nodes per
///   matching node it keeps, so ef × `graphDistancesPerEf` × live / matching in all, at most
///   every live node; each costs a distance over a vector read at random, plus the filter.
/// - exact: the filter checked on every live node, then one streamed distance for each of
///   the matching rows (the graph search's distance kernel over the vectors where the index
///   keeps them, in row order).
///
/// The per-operation costs are nanoseconds estimated for a 2-core x86-64 (AVX2) at 384
/// dimensions, scaled by the dimension, not calibrated by a benchmark; only their ratios
/// matter.
public struct FilteredSearchCost: Sendable {
    /// Nodes a filtered search reaches per unit of ef and per matching node kept (level 0
    /// of an m = 16 graph holds up to 32 links; about a third of them are new to the search).
    public static let graphDistancesPerEf = 12.0
    /// One graph step: a distance over a vector read at random, the visited tag, the heaps.
    public static let graphDistanceNsPerDimension = 0.3
    public static let graphStepNs = 40.0
    /// One distance over a vector read in row order.
    public static let exactDistanceNsPerDimension = 0.08

    public let graphNs: Double
    public let exactNs: Double

    /// - Parameters:
    ///   - matchingCount: live rows passing the filter (exact or estimated).
    ///   - filterNs: the cost of asking the filter about one row (a bitmap test: a few
    ///     nanoseconds; a row look-up and the WHERE clause: about a microsecond).
    public init(matchingCount: Int, liveCount: Int, efSearch: Int, dimension: Int = 384, filterNs: Double = 2) {
        let live = Double(max(liveCount, 0)), matching = Double(max(min(matchingCount, liveCount), 0))
        let reached = matching > 0 ? min(live, Double(efSearch) * Self.graphDistancesPerEf * live / matching) : live
        let stepNs = Self.graphStepNs + Self.graphDistanceNsPerDimension * Double(dimension)
        graphNs = reached * (stepNs + filterNs)
        exactNs = live * filterNs + matching * Self.exactDistanceNsPerDimension * Double(dimension)
    }
}
