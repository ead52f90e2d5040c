import CVireoSupport
import VireoStorage

extension HNSWIndex {
    /// A filter whose estimated matching rows are at most this many is answered by an
    /// exact scan over exactly those rows instead of the graph.
    public static let exactFilterRowsMax = 4096
    /// ... or whose estimated selectivity is at most this share of the live rows.
    public static let exactFilterSelectivityMax = 0.02
    /// Largest k and ef_search accepted: bounds the per-search heaps.
    public static let efSearchMax = 10_000

    /// Nodes sampled to estimate a filter's selectivity.
    static let selectivitySampleCount = 512

    /// The `k` nearest live vectors to `query`, best first, with pgvector-style distances
    /// (Euclidean for l2, negative inner product, 1 − cosine). `efSearch` (default
    /// `defaultEfSearch`, raised to k) trades speed for recall. With a `filter` only rows
    /// whose label passes are returned, and always min(k, matching rows) of them: a
    /// selective filter is answered exactly by BLAS over the matching rows.
    public func search(
        _ query: [Float], k: Int, efSearch: Int? = nil, filter: ((Int64) -> Bool)? = nil, exactScanDecided: Bool? = nil
    ) throws -> [(label: Int64, distance: Float)] {
        try query.withUnsafeBufferPointer { try search($0, k: k, efSearch: efSearch, filter: filter, exactScanDecided: exactScanDecided) }
    }

    /// Whether `search` with `filter` would rank the matching rows exactly rather than walk
    /// the graph: the filter is selective (sampled over the live rows), or the index small.
    /// A caller that can find the matching rows faster than one label at a time (a table
    /// scan) answers those itself, and passes `exactScanDecided` to `search` otherwise.
    public func prefersExactScan(filter: (Int64) -> Bool) -> Bool {
        growthLock.withReadLock {
            let (nodeCount, tombstoneCount) = state.withLock { ($0.nodeCount, $0.tombstoneCount) }
            return prefersExactScan(graph, nodeCount: nodeCount, liveCount: nodeCount - tombstoneCount, filter: filter)
        }
    }

    /// `search` over a caller-owned buffer of `dimension` floats. `exactScanDecided` skips the
    /// sampling of a filter when the caller already asked `prefersExactScan`.
    public func search(
        _ query: UnsafeBufferPointer<Float>, k: Int, efSearch: Int? = nil, filter: ((Int64) -> Bool)? = nil,
        exactScanDecided: Bool? = nil
    ) throws -> [(label: Int64, distance: Float)] {
        try validate(query)
        let ef = max(efSearch ?? defaultEfSearch, k)
        guard ef <= Self.efSearchMax, k >= 0 else {
            throw VireoError(.invalidParameter, "k and ef_search must be in 0...\(Self.efSearchMax), got k \(k), ef_search \(ef)")
        }
        guard k > 0, let queryBase = query.baseAddress else { return [] }
        return growthLock.withReadLock {
            contexts.withContext(nodeCapacity: graph.capacity) { context in
                prepare(queryBase, into: context.query)
                return searchLocked(context, k: k, ef: ef, filter: filter, exactScanDecided: exactScanDecided)
            }
        }
    }

    /// The search itself; the caller holds `growthLock` shared.
    func searchLocked(
        _ context: SearchContext, k: Int, ef: Int, filter: ((Int64) -> Bool)?, exactScanDecided: Bool? = nil
    ) -> [(label: Int64, distance: Float)] {
        let g = graph
        let snapshot = state.withLock { ($0.entryPoint, $0.maxLevel, $0.nodeCount, $0.tombstoneCount) }
        guard let entry = snapshot.0 else { return [] }
        let nodeCount = snapshot.2, liveCount = nodeCount - snapshot.3
        if let filter, exactScanDecided ?? prefersExactScan(g, nodeCount: nodeCount, liveCount: liveCount, filter: filter) {
            return exactSearchLocked(g, context.query, nodeCount: nodeCount, k: k, filter: filter)
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
            return exactSearchLocked(g, context.query, nodeCount: nodeCount, k: k, filter: filter)
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
    func prefersExactScan(_ g: HNSWGraph, nodeCount: Int, liveCount: Int, filter: (Int64) -> Bool) -> Bool {
        guard liveCount > Self.exactFilterRowsMax else { return true }
        let step = max(1, nodeCount / Self.selectivitySampleCount)
        var sampled = 0, passed = 0
        var id = 0
        while id < nodeCount {
            if vireo_load_acquire_u32(g.tombstones + id) == NodeFlag.live {
                sampled += 1
                if filter(g.labels[id]) { passed += 1 }
            }
            id += step
        }
        guard sampled > 0 else { return true }
        let selectivity = Double(passed) / Double(sampled)
        let estimatedRows = selectivity * Double(liveCount)
        return selectivity <= Self.exactFilterSelectivityMax || estimatedRows <= Double(Self.exactFilterRowsMax)
    }

    /// Exact top-k over the live rows passing `filter` (all live rows when nil), by BLAS
    /// over the stored vectors in place.
    func exactSearchLocked(
        _ g: HNSWGraph, _ query: UnsafePointer<Float>, nodeCount: Int, k: Int, filter: ((Int64) -> Bool)?
    ) -> [(label: Int64, distance: Float)] {
        var rows: [Int] = []
        for id in 0..<nodeCount where vireo_load_acquire_u32(g.tombstones + id) == NodeFlag.live {
            if filter?(g.labels[id]) ?? true { rows.append(id) }
        }
        let view = g.floatMatrix(rowCount: nodeCount)
        let found = ExactSearch.topK(queries: UnsafeBufferPointer(start: query, count: dimension),
                                     base: view, rows: rows, k: k, metric: metric)
        return (found.first ?? []).map { (g.labels[Int($0.label)], $0.distance) }
    }
}
