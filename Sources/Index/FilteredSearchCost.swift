import Foundation

/// The estimated time of the two ways to answer a filtered nearest-neighbour search, so
/// that the choice follows the rows the filter matches rather than a fixed share:
///
/// - graph: the filtered graph search (filter checked on every node it reaches, the
///   non-matching ones still routing it) reaches about `graphDistancesPerEf` × ef nodes per
///   matching node it keeps, so ef × `graphDistancesPerEf` × live / matching in all, at most
///   every live node; each costs a distance over a vector read at random, plus the filter.
/// - exact: the filter checked on every live node, then one streamed distance for each of
///   the matching rows (the graph search's distance kernel over the vectors where the index
///   keeps them, in row order). While the matching rows' vectors fit in a share of the
///   last-level cache (`cacheBudgetBytes`), a query after the first finds them there, as
///   repeated queries with one filter do; past that every query streams them from memory.
///
/// Calibrated with `vireo bench ann --filter-percent … --filter-route graph|exact` (20,000
/// MiniLM-like 384-d rows, m 16, release build, 2-core AMD EPYC with 32 MiB of L3;
/// docs/benchmarks-ann.md, "The filtered search's cost model"): a graph step took 200–280 ns,
/// an exact distance 45–50 ns while the matching vectors stayed cached and 110–140 ns once
/// they did not (30% of the rows: 9 MB, cached; 50%: 15 MB, not).
public struct FilteredSearchCost: Sendable {
    /// Nodes a filtered search reaches per unit of ef and per matching node kept (level 0
    /// of an m = 16 graph holds up to 32 links; about a third of them are new to the search).
    public static let graphDistancesPerEf = 12.0
    /// One graph step: a distance over a vector read at random, the visited tag, the heaps.
    public static let graphDistanceNsPerDimension = 0.45
    public static let graphStepNs = 50.0
    /// One distance over a vector read in row order, computing only (its bytes cached).
    public static let exactDistanceNsPerDimension = 0.13
    /// Each byte of a vector streamed from memory instead of the cache.
    public static let streamedNsPerByte = 0.055
    /// The matching vectors' bytes that stay cached between queries: a third of the
    /// last-level cache (the graph's links, the heaps and other processes share it), 8 MiB
    /// where the system does not tell its size.
    public static let cacheBudgetBytes: Int = (lastLevelCacheBytes() ?? 24 << 20) / 3

    public let graphNs: Double
    public let exactNs: Double

    /// - Parameters:
    ///   - matchingCount: live rows passing the filter (exact or estimated).
    ///   - vectorBytes: bytes of one vector as the index ranks it (4 × dimension for
    ///     float32, fewer for codes); `dimension` × 4 when nil.
    ///   - filterNs: the cost of asking the filter about one row (a bitmap test: a few
    ///     nanoseconds; a row look-up and the WHERE clause: about a microsecond).
    ///   - cacheBytes: `cacheBudgetBytes` unless a test fixes it.
    public init(matchingCount: Int, liveCount: Int, efSearch: Int, dimension: Int = 384, vectorBytes: Int? = nil,
                filterNs: Double = 3, cacheBytes: Int = FilteredSearchCost.cacheBudgetBytes) {
        let live = Double(max(liveCount, 0)), matching = Double(max(min(matchingCount, liveCount), 0))
        let reached = matching > 0 ? min(live, Double(efSearch) * Self.graphDistancesPerEf * live / matching) : live
        let stepNs = Self.graphStepNs + Self.graphDistanceNsPerDimension * Double(dimension)
        graphNs = reached * (stepNs + filterNs)
        let bytes = Double(vectorBytes ?? 4 * dimension)
        let streamed = matching * bytes > Double(cacheBytes) ? bytes * Self.streamedNsPerByte : 0
        exactNs = live * filterNs + matching * (Self.exactDistanceNsPerDimension * Double(dimension) + streamed)
    }

    /// The size of the largest CPU cache Linux reports for CPU 0, in bytes.
    static func lastLevelCacheBytes() -> Int? {
        let folder = "/sys/devices/system/cpu/cpu0/cache"
        let sizes = (0..<8).compactMap { index -> Int? in
            guard let text = try? String(contentsOfFile: "\(folder)/index\(index)/size", encoding: .utf8) else { return nil }
            return parseCacheSize(text)
        }
        return sizes.max()
    }

    /// "32768K" → 33,554,432; "1M"; a plain number of bytes.
    static func parseCacheSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let unit = trimmed.last else { return nil }
        let scale = unit == "K" ? 1 << 10 : unit == "M" ? 1 << 20 : unit == "G" ? 1 << 30 : 1
        guard let value = Int(scale == 1 ? trimmed : String(trimmed.dropLast())), value > 0 else { return nil }
        return value * scale
    }
}
