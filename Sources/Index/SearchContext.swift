
/// Per-thread scratch for one graph search: a generation-stamped visited array (a node
/// is visited when its tag equals the current generation, so clearing is one increment),
/// the candidate frontier, the result heap and a buffer for the prepared query. A context
/// is used by one search at a time and returned to its pool afterwards, so steady-state
/// searches allocate nothing per hop.
final class SearchContext: @unchecked Sendable {
    private(set) var tags: UnsafeMutablePointer<UInt16>
    private(set) var tagCapacity: Int
    private(set) var generation: UInt16 = 0
    var candidates = CandidateHeap(capacity: 256)
    var results: TopKHeap<UInt32>
    /// Frontier and results in one sorted array, for searches whose filter rejects nothing.
    var pool = SearchPool(bufferCount: 64)
    let query: UnsafeMutablePointer<Float>
    /// The query's int8 codes, for indexes with int8 quantization.
    let queryCodes: UnsafeMutablePointer<Int8>
    /// The same codes plus 128 as unsigned bytes, for the VNNI kernel.
    let queryBiased: UnsafeMutablePointer<UInt8>
    /// The query's bit planes, for indexes with binary quantization (`BinaryQueryDistance`).
    let binaryPlanes: UnsafeMutablePointer<UInt64>
    /// The query's distance term to each binary centre.
    let binaryCentreTable: UnsafeMutablePointer<Float>
    let neighbors: UnsafeMutablePointer<UInt32>
    let neighborDistances: UnsafeMutablePointer<Float>
    let dimension: Int

    init(dimension: Int, nodeCapacity: Int, linkCapacityMax: Int) {
        self.dimension = dimension
        tagCapacity = max(nodeCapacity, 1)
        tags = .allocate(capacity: tagCapacity)
        tags.initialize(repeating: 0, count: tagCapacity)
        results = TopKHeap(capacity: 64)
        query = .allocate(capacity: dimension)
        queryCodes = .allocate(capacity: dimension)
        queryBiased = .allocate(capacity: dimension)
        binaryPlanes = .allocate(capacity: BinaryQuantizer.queryBits * BinaryQuantizer.words(dimension: dimension))
        binaryCentreTable = .allocate(capacity: BinaryQuantizer.centreCountMax)
        neighbors = .allocate(capacity: linkCapacityMax * 2 + 2)
        neighborDistances = .allocate(capacity: linkCapacityMax * 2 + 2)
    }

    deinit {
        tags.deallocate()
        candidates.deallocate()
        results.deallocate()
        pool.deallocate()
        query.deallocate()
        queryCodes.deallocate()
        queryBiased.deallocate()
        binaryPlanes.deallocate()
        binaryCentreTable.deallocate()
        neighbors.deallocate()
        neighborDistances.deallocate()
    }

    /// Starts a new search over up to `nodeCapacity` nodes keeping `ef` results.
    func begin(nodeCapacity: Int, ef: Int) {
        if nodeCapacity > tagCapacity {
            tags.deallocate()
            tagCapacity = max(nodeCapacity, tagCapacity * 2)
            tags = .allocate(capacity: tagCapacity)
            tags.initialize(repeating: 0, count: tagCapacity)
            generation = 0
        }
        generation &+= 1
        if generation == 0 {
            tags.update(repeating: 0, count: tagCapacity)
            generation = 1
        }
        candidates.removeAll()
        if results.allocatedCapacity < ef {
            results.deallocate()
            results = TopKHeap(capacity: ef)
        }
        results.reset(capacity: ef)
        if pool.bufferCount < ef {
            pool.deallocate()
            pool = SearchPool(bufferCount: ef)
        }
        pool.reset(limit: ef)
    }
}

/// A pool of contexts shared by all searches of one index.
final class SearchContextPool: Sendable {
    private let free = Locked<[SearchContext]>([])
    private let dimension: Int
    private let linkCapacityMax: Int

    init(dimension: Int, linkCapacityMax: Int) {
        self.dimension = dimension
        self.linkCapacityMax = linkCapacityMax
    }

    func withContext<T>(nodeCapacity: Int, _ body: (SearchContext) throws -> T) rethrows -> T {
        let context = free.withLock { $0.popLast() }
            ?? SearchContext(dimension: dimension, nodeCapacity: nodeCapacity, linkCapacityMax: linkCapacityMax)
        defer { free.withLock { $0.append(context) } }
        return try body(context)
    }
}
