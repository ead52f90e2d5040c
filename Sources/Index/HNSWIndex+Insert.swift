#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CVireoSupport
import Dispatch
import VireoStorage

extension HNSWIndex {
    /// Adds `vector` under `label`. A label already present is replaced: its old node
    /// becomes a tombstone. Throws `invalidParameter`/`dataException` for a wrong
    /// dimension or a non-finite value, `limitExceeded` when the index is full.
    public func insert(label: Int64, vector: [Float]) throws {
        try vector.withUnsafeBufferPointer { buffer in
            try validate(buffer)
            try insertValidated(label: label, vector: buffer.baseAddress!)
        }
    }

    /// Adds `labels.count` vectors stored row-major in `vectors`, using `threads` threads.
    /// Validates everything before inserting anything. `shouldStop`, asked before each
    /// vector, ends the build early (a cancelled CREATE INDEX), leaving only some vectors
    /// inserted: the caller then discards the index.
    public func insert(labels: [Int64], vectors: [Float], threads: Int = 1,
                       shouldStop: @Sendable () -> Bool = { false }) throws {
        guard vectors.count == labels.count * dimension else {
            throw VireoError(.invalidParameter,
                             "expected \(labels.count) × \(dimension) floats, got \(vectors.count)")
        }
        guard let firstError = vectors.firstIndex(where: { !$0.isFinite }) else {
            try insertBatchValidated(labels: labels, vectors: vectors, threads: threads, shouldStop: shouldStop)
            return
        }
        throw VireoError(.dataException, "vector \(firstError / dimension) contains a NaN or infinite value")
    }

    func insertBatchValidated(labels: [Int64], vectors: [Float], threads: Int,
                              shouldStop: @Sendable () -> Bool = { false }) throws {
        let used = state.withLock { $0.nodeCount }
        guard used + labels.count <= Self.nodeCountMax else {
            throw VireoError(.limitExceeded, "an index holds at most \(Self.nodeCountMax) vectors")
        }
        reserveCapacity(used + labels.count)
        let workers = max(1, min(threads, labels.count))
        vectors.withUnsafeBufferPointer { buffer in
            let base = SendablePointer(buffer.baseAddress!)
            let dimension = self.dimension
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var i = worker
                while i < labels.count && !shouldStop() {
                    try? insertValidated(label: labels[i], vector: base.pointer + i * dimension)
                    i += workers
                }
            }
        }
        repairReachability()
    }

    /// Inserts one checked vector, growing the arrays when they are full.
    func insertValidated(label: Int64, vector: UnsafePointer<Float>) throws {
        while true {
            let inserted = try growthLock.withReadLock { () throws -> Bool in
                guard let reservation = try reserve(label: label) else { return false }
                contexts.withContext(nodeCapacity: graph.capacity) { context in
                    prepare(vector, into: context.query)
                    graph.initializeNode(reservation.id, label: label, level: reservation.level, vector: context.query)
                    graph.setFlag(reservation.id, NodeFlag.live)
                    link(reservation.id, level: reservation.level, context: context)
                }
                return true
            }
            if inserted { return }
            grow()
        }
    }

    /// Hands out the next id and its random level, tombstoning any node the label had.
    /// Nil when the arrays are full (the caller grows them and retries).
    func reserve(label: Int64) throws -> (id: UInt32, level: Int)? {
        let capacity = graph.capacity, tombstones = graph.tombstones
        return try state.withLock { s -> (id: UInt32, level: Int)? in
            guard s.nodeCount < capacity else {
                if s.nodeCount >= Self.nodeCountMax {
                    throw VireoError(.limitExceeded, "an index holds at most \(Self.nodeCountMax) vectors")
                }
                return nil
            }
            let id = UInt32(s.nodeCount)
            s.nodeCount += 1
            vireo_store_release_u32(tombstones + Int(id), NodeFlag.pending)
            if let old = s.ids.updateValue(id, forKey: label) {
                vireo_store_release_u32(tombstones + Int(old), NodeFlag.deleted)
                s.tombstoneCount += 1
            }
            let uniform = Double(s.random.next() >> 11 | 1) / Double(1 << 53)
            return (id, min(Int(-log(uniform) * levelMultiplier), Self.levelMax))
        }
    }

    func grow() {
        growthLock.withWriteLock {
            let used = state.withLock { $0.nodeCount }
            if used >= graph.capacity { graph.grow(to: max(16, graph.capacity * 2), nodeCount: used) }
        }
    }

    /// Connects a written node into the graph, level by level from its top.
    func link(_ id: UInt32, level: Int, context: SearchContext) {
        let g = graph
        let start = state.withLock { s -> (entry: UInt32, maxLevel: Int)? in
            guard let entry = s.entryPoint else {
                s.entryPoint = id
                s.maxLevel = level
                return nil
            }
            return (entry, s.maxLevel)
        }
        guard let start else { return }
        let query = UnsafePointer(context.query)
        var entry = greedyDescent(g, query: query, entry: start.entry, fromLevel: start.maxLevel, toLevel: level)
        var current = min(level, start.maxLevel)
        while current >= 0 {
            searchLayer(g, context, query: query, entry: entry, level: current, ef: efConstruction, filter: AcceptAll())
            // Concurrent inserts may already link to this node; never link it to itself.
            let candidates = context.results.sorted().filter { $0.id != id }
            // m links on every level, as hnswlib links. Up to 2m on level 0 (pgvector's choice)
            // gave more recall per ef_search but was reverted: see docs/benchmarks-ann.md,
            // "Level-0 links".
            let chosen = selectNeighbors(g, candidates, limit: m)
            nodeLocks.withLock(id) { g.setLinks(id, level: current, chosen) }
            for neighbor in chosen { addLink(g, from: neighbor, to: id, level: current) }
            entry = candidates.first?.id ?? entry
            current -= 1
        }
        if level > start.maxLevel {
            state.withLock { s in
                if level > s.maxLevel { s.entryPoint = id; s.maxLevel = level }
            }
        }
    }

    /// The HNSW heuristic: walk candidates from the closest and keep one only if it is
    /// closer to the query than to every candidate already kept, which spreads links
    /// over directions instead of clustering them.
    func selectNeighbors(_ g: HNSWGraph, _ candidates: [(distance: Float, id: UInt32)], limit: Int) -> [UInt32] {
        guard candidates.count > limit else { return candidates.map(\.id) }
        var chosen: [UInt32] = []
        chosen.reserveCapacity(limit)
        for candidate in candidates {
            let vector = g.vector(candidate.id)
            var keep = true
            for other in chosen where metric.internalDistance(vector, g.vector(other), count: dimension) < candidate.distance {
                keep = false
                break
            }
            if keep {
                chosen.append(candidate.id)
                if chosen.count == limit { break }
            }
        }
        return chosen
    }

    /// Adds the link `from` → `to` at `level`, pruning `from`'s list by the heuristic
    /// when it is full.
    func addLink(_ g: HNSWGraph, from: UInt32, to: UInt32, level: Int) {
        nodeLocks.withLock(from) {
            let list = g.linkList(from, level: level)
            let linkCount = Int(list[0]), capacity = g.linkCapacity(level: level)
            for j in 0..<linkCount where list[1 + j] == to { return }
            if linkCount < capacity {
                vireo_store_release_u32(list + 1 + linkCount, to)
                vireo_store_release_u32(list, UInt32(linkCount + 1))
                return
            }
            let origin = g.vector(from)
            var candidates = [(distance: Float, id: UInt32)]()
            candidates.reserveCapacity(linkCount + 1)
            candidates.append((metric.internalDistance(origin, g.vector(to), count: dimension), to))
            for j in 0..<linkCount {
                let other = list[1 + j]
                candidates.append((metric.internalDistance(origin, g.vector(other), count: dimension), other))
            }
            candidates.sort { $0.distance < $1.distance }
            let kept = selectNeighbors(g, candidates, limit: capacity)
            g.setLinks(from, level: level, kept)
        }
    }
}

/// A pointer handed to worker threads that only read through it.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafePointer<T>
    init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
