#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VireoStorage

/// An HNSW (hierarchical navigable small world) graph index over float32 vectors,
/// keyed by caller labels (Int64 row ids).
///
/// Concurrency: any number of threads may search, insert and remove at once. Searches
/// and inserts hold `growthLock` shared; only growing the arrays, rebuilding and
/// deserializing hold it exclusively. Writers of a node's link list hold that node's
/// stripe of `nodeLocks`; readers load links with acquire ordering and take no lock.
/// Node bookkeeping (count, entry point, label map, random levels) sits in `state`.
public final class HNSWIndex: @unchecked Sendable {
    /// Largest dimension accepted: pgvector's limit for indexed bit(n), whose bits a bit
    /// index holds as 0/1 floats (its limit for indexed vectors is lower).
    public static let dimensionMax = 64_000
    /// Largest `m` accepted.
    public static let mMax = 256
    /// Largest number of nodes one index holds (ids are UInt32, the top value marks "none").
    public static let nodeCountMax = Int(UInt32.max - 1)
    /// Share of tombstoned nodes above which `remove` rebuilds the graph.
    public static let tombstoneRebuildFraction = 0.25
    /// Highest level a node may draw; keeps a pathological random draw bounded.
    static let levelMax = 30

    /// Floats per vector.
    public let dimension: Int
    /// How vectors are compared; also fixes the meaning of returned distances.
    public let metric: VectorMetric
    /// Links per node on upper levels; level 0 keeps 2·m.
    public let m: Int
    /// Candidate list size while inserting.
    public let efConstruction: Int
    /// Seed of the level generator: the same seed and insertion order give the same graph.
    public let seed: UInt64
    /// ef used by `search` when the caller gives none.
    public let defaultEfSearch: Int
    /// What the graph search reads per node: float32 vectors or int8 codes.
    public let quantization: VectorQuantization

    let levelMultiplier: Double
    let growthLock = ReadWriteLock()
    let nodeLocks = StripedLocks()
    let contexts: SearchContextPool
    private let defaultSource = Locked<(any VectorSource)?>(nil)
    /// Where each node's row was last found by the re-ranking (int8, binary).
    let rowLocators = RowLocatorTable()
    /// Replaced only under `growthLock` held exclusively.
    var graph: HNSWGraph
    let state: Locked<HNSWState>
    /// Binary quantization's centre while it is being learned (see `BinaryTraining`).
    let training: Locked<BinaryTraining>
    /// Vectors a binary index learns its centres from (tests set it lower before inserting).
    var binaryTrainingCount = BinaryQuantizer.trainingCount

    /// Creates an empty index. Throws `invalidParameter` for a dimension, m or
    /// ef_construction out of range.
    public init(
        dimension: Int, metric: VectorMetric, m: Int = 16, efConstruction: Int = 200,
        seed: UInt64 = 42, defaultEfSearch: Int = 40, quantization: VectorQuantization = .none,
        initialCapacity: Int = 1024
    ) throws {
        guard (1...Self.dimensionMax).contains(dimension) else {
            throw VireoError(.invalidParameter, "dimension must be in 1...\(Self.dimensionMax), got \(dimension)")
        }
        guard (2...Self.mMax).contains(m) else {
            throw VireoError(.invalidParameter, "m must be in 2...\(Self.mMax), got \(m)")
        }
        guard efConstruction >= 1, defaultEfSearch >= 1 else {
            throw VireoError(.invalidParameter, "ef_construction and ef_search must be positive")
        }
        self.dimension = dimension
        self.metric = metric
        self.m = m
        self.efConstruction = efConstruction
        self.seed = seed
        self.defaultEfSearch = defaultEfSearch
        self.quantization = quantization
        levelMultiplier = 1 / log(Double(m))
        contexts = SearchContextPool(dimension: dimension, linkCapacityMax: 2 * m)
        graph = HNSWGraph(dimension: dimension, m: m, capacity: max(initialCapacity, 16),
                          quantization: quantization)
        state = Locked(HNSWState(seed: seed))
        training = Locked(BinaryTraining(trained: quantization != .binary))
    }

    deinit {
        graph.deallocate(nodeCount: state.withLock { $0.nodeCount })
    }

    /// Where a quantized (int8 or binary) index reads the float vectors it re-ranks with when
    /// a search names no source of its own (see `VectorSource`); a binary index also builds
    /// with it (exact distances for neighbour selection); unused by a float index.
    public var vectorSource: (any VectorSource)? {
        get { defaultSource.withLock { $0 } }
        set { defaultSource.withLock { $0 = newValue } }
    }

    /// Number of live (not deleted) vectors.
    public var count: Int { state.withLock { $0.nodeCount - $0.tombstoneCount } }

    /// Number of deleted vectors still in the graph.
    public var tombstoneCount: Int { state.withLock { $0.tombstoneCount } }

    /// Whether `label` is in the index and not deleted.
    public func contains(label: Int64) -> Bool { state.withLock { $0.ids[label] != nil } }

    /// Bytes held by the graph, the vectors or codes and the labels (arrays at their current
    /// capacity); an int8 index holds no float vectors, so its source's memory is not here.
    public var memoryBytes: Int {
        growthLock.withReadLock {
            let (nodeCount, labelSlots) = state.withLock { ($0.nodeCount, $0.ids.capacity) }
            // The label → id map: a key, a value and about a bit of occupancy per slot.
            return graph.memoryBytes(nodeCount: nodeCount) + labelSlots * (8 + 4) + labelSlots / 8 + rowLocators.memoryBytes
        }
    }

    /// Grows the arrays to hold at least `nodeCount` nodes, so a bulk load does not copy.
    public func reserveCapacity(_ nodeCount: Int) {
        growthLock.withWriteLock {
            let used = state.withLock { $0.nodeCount }
            if nodeCount > graph.capacity { graph.grow(to: nodeCount, nodeCount: used) }
        }
    }

    /// Throws `invalidParameter` unless `vector` has `dimension` finite values.
    func validate(_ vector: UnsafeBufferPointer<Float>) throws {
        guard vector.count == dimension else {
            throw VireoError(.invalidParameter, "expected a vector of \(dimension) dimensions, got \(vector.count)")
        }
        // An exponent of all ones (an infinity or a NaN) is the only one that carries into
        // the sign bit when one more exponent unit is added; or-ing those sums over every
        // value (no early exit, no branch) lets the loop run on vector registers.
        var carries: UInt32 = 0
        for value in vector { carries |= (value.bitPattern & 0x7f80_0000) &+ 0x0080_0000 }
        if carries & 0x8000_0000 != 0 { throw VireoError(.dataException, "vector contains a NaN or infinite value") }
    }
}

/// The index's bookkeeping, guarded by `HNSWIndex.state`.
struct HNSWState: Sendable {
    /// Ids handed out so far; ids below it are reserved or published.
    var nodeCount = 0
    var entryPoint: UInt32?
    var maxLevel = -1
    var tombstoneCount = 0
    /// Live labels only; a deleted or replaced label's old node is a tombstone.
    var ids: [Int64: UInt32] = [:]
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }
}

/// Node states kept in the tombstone array.
enum NodeFlag {
    static let live: UInt32 = 0
    static let deleted: UInt32 = 1
    /// Reserved by an insert that has not yet written the node.
    static let pending: UInt32 = 2
}
