import CVireoSupport
import VireoStorage

extension HNSWIndex {
    /// Largest k and ef_search accepted: bounds the per-search heaps.
    public static let efSearchMax = 10_000

    /// Nodes sampled to estimate a filter's selectivity.
    public static let selectivitySampleCount = 512

    /// The `k` nearest live vectors to `query`, best first, with pgvector-style distances
    /// (Euclidean for l2, negative inner product, 1 − cosine). `efSearch` (default
    /// `defaultEfSearch`, raised to k) trades speed for recall. With a `filter` only rows
    /// whose label passes are returned, and always min(k, matching rows) of them: a
    /// filter for which `FilteredSearchCost` finds an exact ranking cheaper is answered by
    /// one distance per matching row over its vector where the index keeps it.
    public func search(
        _ query: [Float], k: Int, efSearch: Int? = nil, filter: ((Int64) -> Bool)? = nil, exactScanDecided: Bool? = nil
    ) throws -> [(label: Int64, distance: Float)] {
        try query.withUnsafeBufferPointer { try search($0, k: k, efSearch: efSearch, filter: filter, exactScanDecided: exactScanDecided) }
    }

    /// Whether an exact ranking of `matchingCount` rows (one distance each, streamed) is
    /// cheaper than a graph search whose filter passes that many of the live rows.
    public func prefersExactScan(matchingCount: Int, liveCount: Int? = nil, efSearch: Int? = nil) -> Bool {
        let live = liveCount ?? count
        let cost = FilteredSearchCost(matchingCount: matchingCount, liveCount: live, efSearch: efSearch ?? defaultEfSearch,
                                      dimension: dimension)
        return cost.exactNs <= cost.graphNs
    }

    /// How many live rows pass `filter`, estimated from about `sampleCount` evenly spaced
    /// nodes (every live row on a small index), and how many rows are live.
    public func estimatedMatching(sampleCount: Int = HNSWIndex.selectivitySampleCount, filter: (Int64) -> Bool) -> (matching: Int, live: Int) {
        growthLock.withReadLock {
            let (nodeCount, tombstoneCount) = state.withLock { ($0.nodeCount, $0.tombstoneCount) }
            return estimatedMatching(graph, nodeCount: nodeCount, liveCount: nodeCount - tombstoneCount,
                                     sampleCount: sampleCount, filter: filter)
        }
    }

    /// `search` over a caller-owned buffer of `dimension` floats. `exactScanDecided` skips the
    /// sampling of a filter when the caller already asked `prefersExactScan`.
    public func search(
        _ query: UnsafeBufferPointer<Float>, k: Int, efSearch: Int? = nil, filter: ((Int64) -> Bool)? = nil,
        exactScanDecided: Bool? = nil
    ) throws -> [(label: Int64, distance: Float)] {
        let ef = try checkedSearchParameters(query, k: k, efSearch: efSearch)
        guard k > 0, let queryBase = query.baseAddress else { return [] }
        return growthLock.withReadLock {
            searchUnderLock(queryBase, k: k, ef: ef, filter: filter, exactScanDecided: exactScanDecided)!
        }
    }

    /// `search` without a filter, or nil at once when the index is being grown or rebuilt
    /// (which can take seconds) or when the graph found fewer than k live rows (an exact
    /// scan of every node would then be needed): for a thread that must not wait, such as a server's event
    /// loop, which then hands the statement to an engine thread.
    public func searchIfIdle(_ query: UnsafeBufferPointer<Float>, k: Int, efSearch: Int) throws -> [(label: Int64, distance: Float)]? {
        let ef = try checkedSearchParameters(query, k: k, efSearch: efSearch)
        guard k > 0, let queryBase = query.baseAddress else { return [] }
        return growthLock.withReadLockIfFree {
            searchUnderLock(queryBase, k: k, ef: ef, filter: nil, exactScanDecided: nil, exactFallback: false)
        } ?? nil
    }

    /// The effective ef_search, after checking the query's values, k and ef_search.
    private func checkedSearchParameters(_ query: UnsafeBufferPointer<Float>, k: Int, efSearch: Int?) throws -> Int {
        try validate(query)
        let ef = max(efSearch ?? defaultEfSearch, k)
        guard ef <= Self.efSearchMax, k >= 0 else {
            throw VireoError(.invalidParameter, "k and ef_search must be in 0...\(Self.efSearchMax), got k \(k), ef_search \(ef)")
        }
        return ef
    }

    private func searchUnderLock(_ query: UnsafePointer<Float>, k: Int, ef: Int, filter: ((Int64) -> Bool)?,
                                 exactScanDecided: Bool?, exactFallback: Bool = true) -> [(label: Int64, distance: Float)]? {
        contexts.withContext(nodeCapacity: graph.capacity) { context in
            prepare(query, into: context.query)
            return searchLocked(context, k: k, ef: ef, filter: filter, exactScanDecided: exactScanDecided,
                                exactFallback: exactFallback)
        }
    }

    /// The search itself; the caller holds `growthLock` shared. Nil only without
    /// `exactFallback`, when the graph found fewer than k live rows.
    func searchLocked(
        _ context: SearchContext, k: Int, ef: Int, filter: ((Int64) -> Bool)?, exactScanDecided: Bool? = nil,
        exactFallback: Bool = true
    ) -> [(label: Int64, distance: Float)]? {
        let g = graph
        let snapshot = state.withLock { ($0.entryPoint, $0.maxLevel, $0.nodeCount, $0.tombstoneCount) }
        guard let entry = snapshot.0 else { return [] }
        let nodeCount = snapshot.2, liveCount = nodeCount - snapshot.3
        if let filter, exactScanDecided ?? prefersExactScan(g, nodeCount: nodeCount, liveCount: liveCount, ef: ef, filter: filter) {
            return exactSearchLocked(g, context, nodeCount: nodeCount, k: k, filter: filter)
        }
        let accept = LiveFilter(graph: g, hasTombstones: snapshot.3 > 0, predicate: filter)
        if g.quantized {
            let (scale, normSquared) = Int8Quantizer.encode(context.query, count: dimension, into: context.queryCodes)
            for i in 0..<dimension { context.queryBiased[i] = UInt8(Int(context.queryCodes[i]) + 128) }
            let measure = Int8QueryDistance(graph: g, metric: metric, codes: context.queryCodes, biasedCodes: context.queryBiased,
                                            scale: scale, normSquared: normSquared)
            let start = greedyDescent(g, distance: measure, entry: entry, fromLevel: snapshot.1, toLevel: 0)
            searchLayer(g, context, distance: measure, entry: start, level: 0, ef: ef, filter: accept)
        } else {
            let start = greedyDescent(g, query: context.query, entry: entry, fromLevel: snapshot.1, toLevel: 0)
            searchLayer(g, context, query: context.query, entry: start, level: 0, ef: ef, filter: accept)
        }
        let found = takeResults(g, context, k: k)
        // The graph can miss rows when a filter is selective; the exact scan cannot.
        if found.count < min(k, liveCount), filter != nil || snapshot.3 > 0 {
            guard exactFallback else { return nil }
            return exactSearchLocked(g, context, nodeCount: nodeCount, k: k, filter: filter)
        }
        return found
    }

    /// The best k of the result heap, best first, as (label, reported distance). With
    /// int8 codes, every candidate is first re-ranked by its exact float distance.
    func takeResults(_ g: HNSWGraph, _ context: SearchContext, k: Int) -> [(label: Int64, distance: Float)] {
        var results = context.results
        if g.quantized {
            var exact = results.sorted().map { candidate in
                (id: candidate.id, distance: metric.internalDistance(context.query, g.vector(candidate.id), count: dimension))
            }
            exact.sort { $0.distance < $1.distance }
            return exact.prefix(k).map { (g.labels[Int($0.id)], metric.reportedDistance($0.distance)) }
        }
        while results.count > k { results.popWorst() }
        context.results = results
        return results.sorted().map { (g.labels[Int($0.id)], metric.reportedDistance($0.distance)) }
    }

    /// Samples evenly spaced nodes to estimate how many live rows pass `filter`.
    func estimatedMatching(_ g: HNSWGraph, nodeCount: Int, liveCount: Int, sampleCount: Int = HNSWIndex.selectivitySampleCount,
                           filter: (Int64) -> Bool) -> (matching: Int, live: Int) {
        let step = max(1, nodeCount / max(sampleCount, 1))
        var sampled = 0, passed = 0
        var id = 0
        while id < nodeCount {
            if vireo_load_acquire_u32(g.tombstones + id) == NodeFlag.live {
                sampled += 1
                if filter(g.labels[id]) { passed += 1 }
            }
            id += step
        }
        guard sampled > 0 else { return (0, liveCount) }
        return (Int((Double(passed) / Double(sampled) * Double(liveCount)).rounded()), liveCount)
    }

    /// Whether the search ranks the rows passing `filter` exactly (see `prefersExactScan`).
    func prefersExactScan(_ g: HNSWGraph, nodeCount: Int, liveCount: Int, ef: Int, filter: (Int64) -> Bool) -> Bool {
        let (matching, live) = estimatedMatching(g, nodeCount: nodeCount, liveCount: liveCount, filter: filter)
        return prefersExactScan(matchingCount: matching, liveCount: live, efSearch: ef)
    }

    /// Rows whose distances the exact scan computes in one kernel call.
    static let exactBatchCount = 64

    /// Exact top-k over the live rows passing `filter` (all live rows when nil): one
    /// distance each over the vectors where the index keeps them, through the graph search's
    /// kernel in batches of `exactBatchCount` (no copy of the vectors, no norms recomputed).
    func exactSearchLocked(
        _ g: HNSWGraph, _ context: SearchContext, nodeCount: Int, k: Int, filter: ((Int64) -> Bool)?
    ) -> [(label: Int64, distance: Float)] {
        let measure = FloatQueryDistance(graph: g, metric: metric, query: context.query)
        context.begin(nodeCapacity: g.capacity, ef: k)
        var results = context.results
        defer { context.results = results }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.exactBatchCount) { ids in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Self.exactBatchCount) { distances in
                guard let idBase = ids.baseAddress, let distanceBase = distances.baseAddress else { return }
                var id = 0
                while id < nodeCount {
                    var batched = 0
                    while id < nodeCount && batched < Self.exactBatchCount {
                        if vireo_load_acquire_u32(g.tombstones + id) == NodeFlag.live, filter?(g.labels[id]) ?? true {
                            idBase[batched] = UInt32(id)
                            batched += 1
                        }
                        id += 1
                    }
                    measure.distances(to: idBase, count: batched, into: distanceBase)
                    for j in 0..<batched { results.offer(distanceBase[j], idBase[j]) }
                }
            }
        }
        return results.sorted().map { (g.labels[Int($0.id)], metric.reportedDistance($0.distance)) }
    }
}
