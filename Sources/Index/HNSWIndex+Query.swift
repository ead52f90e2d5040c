import CVireoSupport
import VireoStorage

extension HNSWIndex {
    /// Largest k and ef_search accepted: bounds the per-search heaps.
    public static let efSearchMax = 10_000

    /// Candidates an int8 search re-ranks per result wanted, by default. Each costs a read of
    /// its row when the source is the table; on 100k × 384 (cosine) and 100k × 128 (L2)
    /// re-ranking 2k gave the same recall@10 as re-ranking all ef (40–160) candidates
    /// (docs/benchmarks-ann.md), and k alone lost up to 0.07.
    public static let rerankPerResult = 2

    /// Candidates a search re-ranks by default: int8 `rerankPerResult` · k; binary every
    /// one of its ef candidates, because the 1-bit estimate finds the neighbours but orders
    /// them loosely: on 100k × 384 cosine, re-ranking the best 200 of ef 320 gave recall@10
    /// 0.990, all 320 gave 0.999 (docs/benchmarks-ann.md, "1-bit quantization").
    public func defaultRerankCount(k: Int) -> Int { quantization == .binary ? Self.efSearchMax : Self.rerankPerResult * k }

    /// Nodes sampled to estimate a filter's selectivity.
    public static let selectivitySampleCount = 512

    /// The `k` nearest live vectors to `query`, best first, with pgvector-style distances
    /// (Euclidean for l2, negative inner product, 1 − cosine). `efSearch` (default
    /// `defaultEfSearch`, raised to k) trades speed for recall. With a `filter` only rows
    /// whose label passes are returned, and always min(k, matching rows) of them: a
    /// filter for which `FilteredSearchCost` finds an exact ranking cheaper is answered by
    /// one distance per matching row over its vector where the index keeps it.
    ///
    /// An int8 index ranks by its codes, then re-ranks the `rerankCount` best candidates
    /// (default `defaultRerankCount(k:)`, at least k) by their exact distance over the float vectors
    /// `source` gives (default `vectorSource`); a candidate the source has no vector for
    /// (a row deleted since, or invisible to the caller) is skipped and the next one taken.
    /// With no source at all the code ranking and its approximate distances are returned.
    public func search(
        _ query: [Float], k: Int, efSearch: Int? = nil, filter: ((Int64) -> Bool)? = nil, exactScanDecided: Bool? = nil,
        source: (any VectorSource)? = nil, rerankCount: Int? = nil
    ) throws -> [(label: Int64, distance: Float)] {
        try query.withUnsafeBufferPointer {
            try search($0, k: k, efSearch: efSearch, filter: filter, exactScanDecided: exactScanDecided,
                       source: source, rerankCount: rerankCount)
        }
    }

    /// Whether an exact ranking of `matchingCount` rows (one distance each, streamed) is
    /// cheaper than a graph search whose filter passes that many of the live rows.
    public func prefersExactScan(matchingCount: Int, liveCount: Int? = nil, efSearch: Int? = nil) -> Bool {
        let live = liveCount ?? count
        let cost = FilteredSearchCost(matchingCount: matchingCount, liveCount: live, efSearch: efSearch ?? defaultEfSearch,
                                      dimension: dimension, vectorBytes: vectorBytes)
        return cost.exactNs <= cost.graphNs
    }

    /// Bytes of one vector as the graph ranks it: float32, int8 codes, or bits.
    public var vectorBytes: Int {
        switch quantization {
        case .none: 4 * dimension
        case .int8: dimension
        case .binary: (dimension + 7) / 8
        }
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
        exactScanDecided: Bool? = nil, source: (any VectorSource)? = nil, rerankCount: Int? = nil
    ) throws -> [(label: Int64, distance: Float)] {
        let ef = try checkedSearchParameters(query, k: k, efSearch: efSearch)
        guard k > 0, let queryBase = query.baseAddress else { return [] }
        return try searchPrepared(queryBase, k: k, rerankCount: rerankCount, source: source ?? vectorSource) { context in
            growthLock.withReadLock { searchLocked(context, k: k, ef: ef, filter: filter, exactScanDecided: exactScanDecided) }
        } ?? []
    }

    /// `search` without a filter, or nil at once when the index is being grown or rebuilt
    /// (which can take seconds) or when the graph found fewer than k live rows (an exact
    /// scan of every node would then be needed): for a thread that must not wait, such as a
    /// server's event loop, which then hands the statement to an engine thread.
    public func searchIfIdle(_ query: UnsafeBufferPointer<Float>, k: Int, efSearch: Int,
                             source: (any VectorSource)? = nil) throws -> [(label: Int64, distance: Float)]? {
        let ef = try checkedSearchParameters(query, k: k, efSearch: efSearch)
        guard k > 0, let queryBase = query.baseAddress else { return [] }
        return try searchPrepared(queryBase, k: k, rerankCount: nil, source: source ?? vectorSource) { context in
            growthLock.withReadLockIfFree {
                searchLocked(context, k: k, ef: ef, filter: nil, exactFallback: false)
            } ?? nil
        }
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

    /// Prepares `query` in a search context, runs `graphSearch` (which takes the lock) on it
    /// and re-ranks int8 candidates by their float vectors from `source`, outside the lock:
    /// the source reads storage pages, and inserts need not wait for that. Nil when
    /// `graphSearch` found nothing it may return.
    private func searchPrepared(_ query: UnsafePointer<Float>, k: Int, rerankCount: Int?, source: (any VectorSource)?,
                                _ graphSearch: (SearchContext) -> Found?) throws -> [(label: Int64, distance: Float)]? {
        try contexts.withContext(nodeCapacity: 0) { context in
            prepare(query, into: context.query)
            guard let found = graphSearch(context) else { return nil }
            guard found.coded else { return found.results }
            return try rerank(found.results, ids: found.ids, context, k: k,
                              count: max(k, rerankCount ?? defaultRerankCount(k: k)), source: source)
        }
    }

    /// What a search found under the lock: the best k with reported distances, or with int8
    /// codes every candidate, best first, with its code distance (internal units), to re-rank,
    /// and its node id (for its row locator).
    typealias Found = (results: [(label: Int64, distance: Float)], coded: Bool, ids: [UInt32])

    /// The search itself; the caller holds `growthLock` shared. Nil only without
    /// `exactFallback`, when the graph found fewer than k live rows.
    func searchLocked(
        _ context: SearchContext, k: Int, ef: Int, filter: ((Int64) -> Bool)?, exactScanDecided: Bool? = nil,
        exactFallback: Bool = true
    ) -> Found? {
        let g = graph
        let snapshot = state.withLock { ($0.entryPoint, $0.maxLevel, $0.nodeCount, $0.tombstoneCount) }
        guard let entry = snapshot.0 else { return ([], false, []) }
        let nodeCount = snapshot.2, liveCount = nodeCount - snapshot.3
        if let filter, exactScanDecided ?? prefersExactScan(g, nodeCount: nodeCount, liveCount: liveCount, ef: ef, filter: filter) {
            return exactSearchLocked(g, context, nodeCount: nodeCount, k: k, ef: ef, filter: filter)
        }
        let accept = LiveFilter(graph: g, hasTombstones: snapshot.3 > 0, predicate: filter)
        switch g.quantization {
        case .int8:
            let measure = queryCodeDistance(g, context)
            let start = greedyDescent(g, distance: measure, entry: entry, fromLevel: snapshot.1, toLevel: 0)
            searchLayer(g, context, distance: measure, entry: start, level: 0, ef: ef, filter: accept)
        case .binary:
            let measure = binaryQueryDistance(g, context)
            let start = greedyDescent(g, distance: measure, entry: entry, fromLevel: snapshot.1, toLevel: 0)
            searchLayer(g, context, distance: measure, entry: start, level: 0, ef: ef, filter: accept)
        case .none:
            let start = greedyDescent(g, query: context.query, entry: entry, fromLevel: snapshot.1, toLevel: 0)
            searchLayer(g, context, query: context.query, entry: start, level: 0, ef: ef, filter: accept)
        }
        let found = takeResults(g, context, k: k)
        // The graph can miss rows when a filter is selective; the exact scan cannot.
        if min(found.results.count, k) < min(k, liveCount), filter != nil || snapshot.3 > 0 {
            guard exactFallback else { return nil }
            return exactSearchLocked(g, context, nodeCount: nodeCount, k: k, ef: ef, filter: filter)
        }
        return found
    }

    /// Codes the prepared query (`context.query`) for an int8 graph.
    func queryCodeDistance(_ g: HNSWGraph, _ context: SearchContext) -> Int8QueryDistance {
        let (scale, normSquared) = Int8Quantizer.encode(context.query, count: dimension, into: context.queryCodes)
        for i in 0..<dimension { context.queryBiased[i] = UInt8(Int(context.queryCodes[i]) + 128) }
        return Int8QueryDistance(graph: g, metric: metric, codes: context.queryCodes, biasedCodes: context.queryBiased,
                                 scale: scale, normSquared: normSquared)
    }

    /// The best k of the result heap, best first, as (label, reported distance); with int8
    /// codes every candidate, best first, with its code distance, for `rerank`.
    func takeResults(_ g: HNSWGraph, _ context: SearchContext, k: Int) -> Found {
        var results = context.results
        if g.quantized {
            let sorted = results.sorted()
            return (sorted.map { (g.labels[Int($0.id)], $0.distance) }, true, sorted.map(\.id))
        }
        results.keepBest(k)
        context.results = results
        return (results.sorted().map { (g.labels[Int($0.id)], metric.reportedDistance($0.distance)) }, false, [])
    }

    /// Ranks int8 candidates (best first by code distance) by their exact distance to the
    /// prepared query over float vectors read from `source`: the first `count`, then k more
    /// at a time while fewer than k of them had a vector. Without a source, the code ranking.
    func rerank(_ candidates: [(label: Int64, distance: Float)], ids: [UInt32], _ context: SearchContext, k: Int, count: Int,
                source: (any VectorSource)?) throws -> [(label: Int64, distance: Float)] {
        guard let source else { return candidates.prefix(k).map { ($0.label, metric.reportedDistance($0.distance)) } }
        var exact: [(label: Int64, distance: Float)] = []
        var start = 0
        while start < candidates.count && exact.count < k {
            let end = min(candidates.count, start + (start == 0 ? count : k))
            exact += try exactDistances(candidates[start..<end].map(\.label), ids: Array(ids[start..<end]),
                                        to: context.query, source: source)
            start = end
        }
        exact.sort { $0.distance < $1.distance }
        return exact.prefix(k).map { ($0.label, metric.reportedDistance($0.distance)) }
    }

    /// The internal distances from `query` (prepared) to the vectors `source` has for
    /// `labels` (of nodes `ids`); labels without one are left out.
    func exactDistances(_ labels: [Int64], ids: [UInt32], to query: UnsafePointer<Float>,
                        source: any VectorSource) throws -> [(label: Int64, distance: Float)] {
        let dimension = self.dimension
        return try labels.withUnsafeBufferPointer { labelBuffer in
            try withUnsafeTemporaryAllocation(of: Float.self, capacity: labels.count * dimension) { vectors in
                try withUnsafeTemporaryAllocation(of: Bool.self, capacity: labels.count) { found in
                    guard let base = vectors.baseAddress, let foundBase = found.baseAddress else { return [] }
                    try readVectors(labelBuffer, ids: ids, source: source, into: base, found: foundBase)
                    var result: [(label: Int64, distance: Float)] = []
                    result.reserveCapacity(labels.count)
                    for i in 0..<labels.count where foundBase[i] {
                        let vector = base + i * dimension
                        if metric.normalizesVectors { normalizeInPlace(vector, count: dimension) }
                        result.append((labels[i], metric.internalDistance(query, vector, count: dimension)))
                    }
                    return result
                }
            }
        }
    }

    /// `source.readVectors`, through the nodes' row locators when the source takes them
    /// (`RowLocatorTable`), recording where the rows were found.
    func readVectors(_ labels: UnsafeBufferPointer<Int64>, ids: [UInt32], source: any VectorSource,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        guard let domain = source.locatorDomain, ids.count == labels.count else {
            return try source.readVectors(labels, dimension: dimension, into: destination, found: found)
        }
        try withUnsafeTemporaryAllocation(of: RowLocator.self, capacity: 2 * labels.count) { buffer in
            guard let locators = buffer.baseAddress else { return }
            let before = locators + labels.count
            rowLocators.read(ids, domain: domain, into: before)
            locators.update(from: before, count: labels.count)
            try source.readVectors(labels, locators: locators, dimension: dimension, into: destination, found: found)
            rowLocators.write(ids, domain: domain, locators, before: before)
        }
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
    /// distance each over the vectors where the index keeps it, through the graph search's
    /// kernel in batches of `exactBatchCount` (no copy of the vectors, no norms recomputed).
    /// An int8 graph ranks by code distance and keeps max(k, ef) candidates for `rerank`.
    func exactSearchLocked(
        _ g: HNSWGraph, _ context: SearchContext, nodeCount: Int, k: Int, ef: Int, filter: ((Int64) -> Bool)?
    ) -> Found {
        switch g.quantization {
        case .int8:
            exactRank(g, context, distance: queryCodeDistance(g, context), nodeCount: nodeCount, keep: max(k, ef), filter: filter)
        case .binary:
            exactRank(g, context, distance: binaryQueryDistance(g, context), nodeCount: nodeCount, keep: max(k, ef), filter: filter)
        case .none:
            exactRank(g, context, distance: FloatQueryDistance(graph: g, metric: metric, query: context.query),
                      nodeCount: nodeCount, keep: k, filter: filter)
        }
        return takeResults(g, context, k: k)
    }

    /// Leaves the `keep` closest live rows passing `filter` in `context.results`.
    func exactRank<D: QueryDistance>(
        _ g: HNSWGraph, _ context: SearchContext, distance measure: D, nodeCount: Int, keep: Int, filter: ((Int64) -> Bool)?
    ) {
        context.begin(nodeCapacity: g.capacity, ef: keep)
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
    }
}
