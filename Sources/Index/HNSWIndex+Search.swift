import CVireoSupport

/// Decides which nodes a search may return. Every node is still traversed.
protocol NodeFilter {
    /// Whether the filter can reject nodes (so the search must keep going until it has ef).
    var rejectsSome: Bool { get }
    func accepts(_ id: UInt32) -> Bool
}

/// Accepts every node (used while building: tombstones still guide links).
struct AcceptAll: NodeFilter {
    var rejectsSome: Bool { false }
    @inline(__always) func accepts(_ id: UInt32) -> Bool { true }
}

/// Accepts live nodes whose label passes an optional predicate.
struct LiveFilter: NodeFilter {
    let graph: HNSWGraph
    let hasTombstones: Bool
    let predicate: ((Int64) -> Bool)?

    var rejectsSome: Bool { hasTombstones || predicate != nil }

    @inline(__always)
    func accepts(_ id: UInt32) -> Bool {
        if hasTombstones && graph.isDeleted(id) { return false }
        guard let predicate else { return true }
        return predicate(graph.labels[Int(id)])
    }
}

/// The distance from one query to graph nodes, in the index's internal units.
protocol QueryDistance {
    func distance(to id: UInt32) -> Float
    /// Distances to `count` nodes at once (one C call, overlapping their cache misses).
    func distances(to ids: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Float>)
    func prefetch(_ id: UInt32)
}

extension VectorMetric {
    /// The kernels' code for `internalDistance`: 0 squared L2, 1 −dot, 2 1 − dot.
    var kernelKind: Int32 {
        switch self {
        case .l2: 0
        case .innerProduct: 1
        case .cosine: 2
        }
    }
}

/// Exact float32 distance to the node's full vector.
struct FloatQueryDistance: QueryDistance {
    let graph: HNSWGraph
    let metric: VectorMetric
    let query: UnsafePointer<Float>

    @inline(__always)
    func distance(to id: UInt32) -> Float {
        metric.internalDistance(query, graph.vector(id), count: graph.dimension)
    }

    @inline(__always)
    func distances(to ids: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        vireo_distances_f32(metric.kernelKind, query, graph.payloadBase, graph.recordBytes, ids, count, graph.dimension, out)
    }

    @inline(__always)
    func prefetch(_ id: UInt32) { vireo_prefetch(graph.vector(id), 64) }
}

/// A distance whose kernel only comes batched (the quantized ones): one node is a batch of one.
protocol BatchedQueryDistance: QueryDistance {}

extension BatchedQueryDistance {
    @inline(__always)
    func distance(to id: UInt32) -> Float {
        var one = id, out: Float = 0
        distances(to: &one, count: 1, into: &out)
        return out
    }
}

/// Approximate distance from an int8-coded query to a node's int8 codes.
struct Int8QueryDistance: BatchedQueryDistance {
    let graph: HNSWGraph
    let metric: VectorMetric
    let codes: UnsafePointer<Int8>
    /// The codes plus 128, as unsigned bytes (what VNNI's vpdpbusd multiplies).
    let biasedCodes: UnsafePointer<UInt8>
    let scale: Float
    let normSquared: Float

    /// The distance from an int8-coded query (its codes in `codes`, biased into `biasedCodes`).
    init(graph: HNSWGraph, metric: VectorMetric, codes: UnsafePointer<Int8>, biasedCodes: UnsafePointer<UInt8>,
         scale: Float, normSquared: Float) {
        self.graph = graph
        self.metric = metric
        self.codes = codes
        self.biasedCodes = biasedCodes
        self.scale = scale
        self.normSquared = normSquared
    }

    /// The distance from node `origin`'s own codes (building, which has no float vectors),
    /// biasing them into `biased` (`dimension` bytes, owned by the caller).
    init(graph: HNSWGraph, metric: VectorMetric, node origin: UInt32, biased: UnsafeMutablePointer<UInt8>) {
        let code = graph.code(origin)
        for i in 0..<graph.dimension { biased[i] = UInt8(Int(code.codes[i]) + 128) }
        self.init(graph: graph, metric: metric, codes: code.codes, biasedCodes: biased,
                  scale: code.scale, normSquared: code.normSquared)
    }

    @inline(__always)
    func distances(to ids: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        vireo_distances_i8(metric.kernelKind, codes, biasedCodes, scale, normSquared, graph.payloadBase,
                           graph.recordBytes, ids, count, graph.dimension, out)
    }

    @inline(__always)
    func prefetch(_ id: UInt32) { vireo_prefetch(graph.code(id).codes - Int(VIREO_I8_HEADER_BYTES), 64) }
}

extension HNSWIndex {
    /// Best-first search of one level from `entry` over exact float distances.
    func searchLayer<F: NodeFilter>(
        _ g: HNSWGraph, _ context: SearchContext, query: UnsafePointer<Float>, entry: UInt32,
        level: Int, ef: Int, filter: F
    ) {
        searchLayer(g, context, distance: FloatQueryDistance(graph: g, metric: metric, query: query),
                    entry: entry, level: level, ef: ef, filter: filter)
    }

    /// Best-first search of one level from `entry`, keeping the `ef` closest accepted
    /// nodes in `context.results` (worst at the root).
    func searchLayer<F: NodeFilter, D: QueryDistance>(
        _ g: HNSWGraph, _ context: SearchContext, distance measure: D, entry: UInt32,
        level: Int, ef: Int, filter: F
    ) {
        context.begin(nodeCapacity: g.capacity, ef: ef)
        guard filter.rejectsSome else {
            return searchLayerPooled(g, context, distance: measure, entry: entry, level: level)
        }
        var candidates = context.candidates, results = context.results
        defer { context.candidates = candidates; context.results = results }
        let fresh = context.neighbors, freshDistances = context.neighborDistances
        // Local copies: the hop loop then touches no class property.
        let tags = context.tags, generation = context.generation
        let entryDistance = measure.distance(to: entry)
        tags[Int(entry)] = generation
        if filter.accepts(entry) { results.push(entryDistance, entry) }
        candidates.push(entryDistance, entry)
        var bound = results.worst
        while !candidates.isEmpty {
            if candidates.bestDistance > bound { break }
            let current = candidates.popBest().id
            // The next node to expand is likely the new best: start loading its links.
            if !candidates.isEmpty { vireo_prefetch(g.linkList(candidates.bestID, level: level), 128) }
            let freshCount = measureUnvisited(g, current, level: level, tags: tags, generation: generation,
                                              distance: measure, into: fresh, freshDistances)
            for j in 0..<freshCount {
                let neighbor = fresh[j], distance = freshDistances[j]
                guard distance < bound else { continue }
                candidates.push(distance, neighbor)
                if filter.accepts(neighbor) {
                    results.offer(distance, neighbor)
                    bound = results.worst
                }
            }
        }
    }

    /// `searchLayer` when every node may be returned, over one sorted array of the ef best
    /// nodes found (`SearchPool`) instead of a candidate heap and a result heap: the same
    /// nodes are expanded (the next is the closest not yet expanded, and one farther than
    /// the ef-th could never be), with a fraction of the heap work per neighbour. Leaves the
    /// pool's nodes in `context.results`. The caller has called `context.begin`.
    private func searchLayerPooled<D: QueryDistance>(
        _ g: HNSWGraph, _ context: SearchContext, distance measure: D, entry: UInt32, level: Int
    ) {
        var pool = context.pool
        defer { context.pool = pool }
        let fresh = context.neighbors, freshDistances = context.neighborDistances
        let tags = context.tags, generation = context.generation
        tags[Int(entry)] = generation
        _ = pool.insert(measure.distance(to: entry), entry)
        var next = 0
        while next < pool.count {
            let current = pool.entries[next].id
            pool.markExpanded(next)
            // The next node to expand is likely the following unexpanded one: load its links.
            let following = pool.firstUnexpanded(from: next + 1)
            if following < pool.count { vireo_prefetch(g.linkList(pool.entries[following].id, level: level), 128) }
            let freshCount = measureUnvisited(g, current, level: level, tags: tags, generation: generation,
                                              distance: measure, into: fresh, freshDistances)
            var lowest = pool.count
            for j in 0..<freshCount {
                let position = pool.insert(freshDistances[j], fresh[j])
                if position < lowest { lowest = position }
            }
            // Everything before `next` is expanded: an entry inserted there is the next one.
            next = lowest <= next ? lowest : pool.firstUnexpanded(from: next + 1)
        }
        context.results.replace(ascending: pool.entries, count: pool.count)
    }

    /// Marks the links of `node` at `level` not yet visited as visited, copies them to
    /// `fresh` (prefetching their vectors' first line) and computes their distances into
    /// `freshDistances` with one batched call; returns how many there were.
    @inline(__always)
    private func measureUnvisited<D: QueryDistance>(
        _ g: HNSWGraph, _ node: UInt32, level: Int, tags: UnsafeMutablePointer<UInt16>, generation: UInt16,
        distance measure: D, into fresh: UnsafeMutablePointer<UInt32>, _ freshDistances: UnsafeMutablePointer<Float>
    ) -> Int {
        let list = g.linkList(node, level: level)
        let linkCount = Int(vireo_load_acquire_u32(list))
        var freshCount = 0
        for j in 0..<linkCount {
            let neighbor = vireo_load_acquire_u32(list + 1 + j)
            if tags[Int(neighbor)] != generation {
                tags[Int(neighbor)] = generation
                fresh[freshCount] = neighbor
                freshCount &+= 1
                measure.prefetch(neighbor)
            }
        }
        measure.distances(to: fresh, count: freshCount, into: freshDistances)
        return freshCount
    }

    /// Calls `body` with the distance from node `origin` to other nodes: exact over float
    /// vectors, or over int8 codes in an int8 graph (which keeps no floats). Linking and
    /// pruning use it, as hnswlib's and faiss's quantized indexes build on their codes. A
    /// binary graph measures exactly over the vectors `exact` can read (a node it cannot
    /// read counts as far), else by the estimator from `origin`'s decoded code.
    func withNodeDistance<R>(_ g: HNSWGraph, from origin: UInt32, exact: BuildVectors? = nil,
                             _ body: (_ distance: (UInt32) -> Float) throws -> R) rethrows -> R {
        if g.quantization == .binary {
            if let exact, let result = try exact.withVector(origin, { vector in
                try body { exact.distance(vector, to: $0) ?? .infinity }
            }) { return result }
            return try withBinaryNodeDistance(g, from: origin, body)
        }
        guard g.quantized else {
            let vector = g.vector(origin)
            return try body { metric.internalDistance(vector, g.vector($0), count: dimension) }
        }
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: dimension) { biased in
            let measure = Int8QueryDistance(graph: g, metric: metric, node: origin, biased: biased.baseAddress!)
            return try body { measure.distance(to: $0) }
        }
    }

    /// The binary estimator from node `origin`'s decoded code.
    func withBinaryNodeDistance<R>(_ g: HNSWGraph, from origin: UInt32, _ body: (_ distance: (UInt32) -> Float) throws -> R) rethrows -> R {
        let words = BinaryQuantizer.words(dimension: dimension)
        return try withUnsafeTemporaryAllocation(of: Float.self, capacity: dimension) { decoded in
            try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: BinaryQuantizer.queryBits * words) { planes in
                try withUnsafeTemporaryAllocation(of: Float.self, capacity: BinaryQuantizer.centreCountMax) { table in
                    BinaryQuantizer.decode(g.binaryCode(origin), centres: g.centres, into: decoded.baseAddress!)
                    let measure = BinaryQueryDistance(graph: g, metric: metric, query: decoded.baseAddress!, planes: planes.baseAddress!,
                                                      centreTable: table.baseAddress!)
                    return try body { measure.distance(to: $0) }
                }
            }
        }
    }

    /// Greedy descent (ef = 1) from `entry` through levels `fromLevel` down to
    /// `toLevel` + 1; returns the closest node found.
    func greedyDescent(
        _ g: HNSWGraph, query: UnsafePointer<Float>, entry: UInt32, fromLevel: Int, toLevel: Int
    ) -> UInt32 {
        greedyDescent(g, distance: FloatQueryDistance(graph: g, metric: metric, query: query),
                      entry: entry, fromLevel: fromLevel, toLevel: toLevel)
    }

    /// Each hop computes the distances to all of the node's links in one batched call (the
    /// links are copied first, with acquire loads), so their vectors' cache misses overlap
    /// as on level 0; one distance at a time left the upper levels waiting on memory (8% of
    /// a search's time on 100k × 384). The result is the same node: the first strictly
    /// closer minimum of each list, as a one-by-one scan picks.
    func greedyDescent<D: QueryDistance>(
        _ g: HNSWGraph, distance measure: D, entry: UInt32, fromLevel: Int, toLevel: Int
    ) -> UInt32 {
        var current = entry
        var currentDistance = measure.distance(to: entry)
        var level = fromLevel
        guard level > toLevel else { return current }
        let capacity = g.linkCapacity(level: 1)
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { idBuffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: capacity) { distanceBuffer in
                let ids = idBuffer.baseAddress!, distances = distanceBuffer.baseAddress!
                while level > toLevel {
                    var changed = true
                    while changed {
                        changed = false
                        let list = g.linkList(current, level: level)
                        let linkCount = min(Int(vireo_load_acquire_u32(list)), capacity)
                        for j in 0..<linkCount { ids[j] = vireo_load_acquire_u32(list + 1 + j) }
                        measure.distances(to: ids, count: linkCount, into: distances)
                        for j in 0..<linkCount where distances[j] < currentDistance {
                            currentDistance = distances[j]
                            current = ids[j]
                            changed = true
                        }
                    }
                    level -= 1
                }
                return current
            }
        }
    }

    /// Copies `vector` into `destination`, scaled to unit length for cosine.
    func prepare(_ vector: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>) {
        destination.update(from: vector, count: dimension)
        if metric.normalizesVectors { normalizeInPlace(destination, count: dimension) }
    }
}
