import CVireoSupport

/// Binary quantization before its centres are learned: the first vectors inserted, kept as
/// floats (prepared) until `binaryTrainingCount` of them have arrived; their k-means
/// centroids then become the centres and every node is coded again. Guarded by its `Locked`.
struct BinaryTraining: Sendable {
    var pending: [(id: UInt32, vector: [Float])] = []
    var trained: Bool
}

/// Where a binary index finds float vectors of nodes already in the graph while it links
/// a new one: 1-bit codes compared with codes choose poor neighbours, so the neighbour
/// heuristic and pruning measure exactly when the vectors can be had. A batch insert
/// gives its own vectors; other labels come from the index's `VectorSource`, if any.
struct BuildSource: @unchecked Sendable {
    let batch: (rows: [Int64: Int], base: UnsafePointer<Float>)?
    let source: (any VectorSource)?
}

/// One insert's view of a `BuildSource`: the vectors it read (prepared: unit length for
/// cosine), by node id, each read once.
final class BuildVectors {
    let build: BuildSource
    let index: HNSWIndex
    let graph: HNSWGraph
    private var cache: [UInt32: [Float]] = [:]

    init(_ build: BuildSource, index: HNSWIndex, graph: HNSWGraph) {
        self.build = build
        self.index = index
        self.graph = graph
    }

    /// Reads the vectors of `ids` not read yet (one source call for those the batch lacks).
    func load(_ ids: [UInt32]) {
        let dimension = index.dimension
        var wanted: [UInt32] = []
        for id in ids where cache[id] == nil {
            let label = graph.labels[Int(id)]
            if let batch = build.batch, let row = batch.rows[label] {
                cache[id] = prepared(batch.base + row * dimension)
            } else if build.source != nil {
                wanted.append(id)
            }
        }
        guard let source = build.source, !wanted.isEmpty else { return }
        let labels = wanted.map { graph.labels[Int($0)] }
        var vectors = [Float](repeating: 0, count: wanted.count * dimension)
        var found = [Bool](repeating: false, count: wanted.count)
        let ok: Void? = labels.withUnsafeBufferPointer { labelBuffer in
            vectors.withUnsafeMutableBufferPointer { v in
                found.withUnsafeMutableBufferPointer { f in
                    try? source.readVectors(labelBuffer, dimension: dimension, into: v.baseAddress!, found: f.baseAddress!)
                }
            }
        }
        guard ok != nil else { return }
        for (i, id) in wanted.enumerated() where found[i] {
            cache[id] = vectors.withUnsafeBufferPointer { prepared($0.baseAddress! + i * dimension) }
        }
    }

    private func prepared(_ vector: UnsafePointer<Float>) -> [Float] {
        [Float](unsafeUninitializedCapacity: index.dimension) { buffer, count in
            index.prepare(vector, into: buffer.baseAddress!)
            count = index.dimension
        }
    }

    /// The exact internal distance from `vector` (prepared) to node `id`, nil when its
    /// vector cannot be had.
    func distance(_ vector: UnsafePointer<Float>, to id: UInt32) -> Float? {
        if cache[id] == nil { load([id]) }
        guard let other = cache[id] else { return nil }
        return other.withUnsafeBufferPointer { index.metric.internalDistance(vector, $0.baseAddress!, count: index.dimension) }
    }

    /// Calls `body` with node `id`'s vector, or returns nil when it cannot be had.
    func withVector<R>(_ id: UInt32, _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R? {
        if cache[id] == nil { load([id]) }
        guard let vector = cache[id] else { return nil }
        return try vector.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}

extension HNSWIndex {
    /// Whether the binary centre is still being learned (nothing to do for other indexes).
    var isTrainingCentre: Bool { quantization == .binary && !training.withLock { $0.trained } }

    /// Keeps a binary node's prepared vector until the centre is learned. Called under the
    /// shared lock, so the centre cannot change while the node is coded.
    func keepForTraining(_ id: UInt32, _ vector: UnsafePointer<Float>) {
        guard quantization == .binary else { return }
        let dimension = self.dimension
        training.withLock { t in
            if !t.trained { t.pending.append((id, Array(UnsafeBufferPointer(start: vector, count: dimension)))) }
        }
    }

    /// Learns the centres once enough vectors have arrived (takes the exclusive lock).
    func learnCentreIfReady() {
        guard quantization == .binary,
              training.withLock({ !$0.trained && $0.pending.count >= binaryTrainingCount }) else { return }
        growthLock.withWriteLock { learnCentreLocked() }
    }

    /// Sets the centres to a k-means of the kept vectors (one per `vectorsPerCentre`, at most
    /// `centreCountMax`) and codes every node again: the kept ones from their floats, any
    /// other (coded against the old centres before a snapshot reload lost their floats)
    /// from its decoded code. The caller holds the exclusive lock.
    func learnCentreLocked() {
        let pending = training.withLock { t -> [(id: UInt32, vector: [Float])]? in
            guard !t.trained else { return nil }
            t.trained = true
            defer { t.pending = [] }
            return t.pending
        }
        guard let pending, !pending.isEmpty else { return }
        let g = graph, dimension = self.dimension
        let nodeCount = state.withLock { $0.nodeCount }
        var kept = [Bool](repeating: false, count: nodeCount)
        for (id, _) in pending where Int(id) < nodeCount { kept[Int(id)] = true }
        var others: [(id: UInt32, vector: [Float])] = []
        for id in 0..<nodeCount where !kept[id] && g.tombstones[id] != NodeFlag.pending {
            var decoded = [Float](repeating: 0, count: dimension)
            decoded.withUnsafeMutableBufferPointer {
                BinaryQuantizer.decode(g.binaryCode(UInt32(id)), centres: g.centres, into: $0.baseAddress!)
            }
            others.append((UInt32(id), decoded))
        }
        let centreCount = min(BinaryQuantizer.centreCountMax, max(1, pending.count / BinaryQuantizer.vectorsPerCentre))
        let centres = BinaryQuantizer.kMeans(pending.map(\.vector), centreCount: centreCount, dimension: dimension)
        g.centres.set(centres, count: centreCount)
        for (id, vector) in pending + others where Int(id) < nodeCount {
            vector.withUnsafeBufferPointer {
                BinaryQuantizer.encode($0.baseAddress!, centres: g.centres, into: UnsafeMutableRawPointer(mutating: g.binaryCode(id)))
            }
        }
    }

    /// The binary distance from the prepared vector in `context.query`.
    func binaryQueryDistance(_ g: HNSWGraph, _ context: SearchContext) -> BinaryQueryDistance {
        BinaryQueryDistance(graph: g, metric: metric, query: context.query, planes: context.binaryPlanes,
                            centreTable: context.binaryCentreTable)
    }

    /// Writes node `id`'s decoded binary code into `context.query` (a rebuild or relink,
    /// which measure from a node that has no float vector).
    func decodeIntoQuery(_ g: HNSWGraph, _ id: UInt32, _ context: SearchContext) {
        BinaryQuantizer.decode(g.binaryCode(id), centres: g.centres, into: context.query)
    }
}
