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
    /// dimension or a non-finite value, `limitExceeded` when the index is full. A binary
    /// index links the node by exact distances over the vectors `source` (default
    /// `vectorSource`) has for its neighbours; other indexes ignore it.
    public func insert(label: Int64, vector: [Float], source: (any VectorSource)? = nil) throws {
        try vector.withUnsafeBufferPointer { buffer in
            try validate(buffer)
            try insertValidated(label: label, vector: buffer.baseAddress!, build: buildSource(batch: nil, source: source))
        }
        learnCentreIfReady()
    }

    /// What a binary index measures exactly with while linking: the batch being inserted
    /// (its labels and row-major vectors) and the index's `vectorSource`. Nil for other
    /// indexes, and for a binary one with neither.
    func buildSource(batch: (labels: [Int64], base: UnsafePointer<Float>)?, source given: (any VectorSource)? = nil) -> BuildSource? {
        guard quantization == .binary else { return nil }
        let source = given ?? vectorSource
        guard batch != nil || source != nil else { return nil }
        let rows = batch.map { batch in
            var rows: [Int64: Int] = [:]
            rows.reserveCapacity(batch.labels.count)
            for (row, label) in batch.labels.enumerated() { rows[label] = row }
            return (rows, batch.base)
        }
        return BuildSource(batch: rows, source: source)
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
        let dimension = self.dimension
        try vectors.withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return }
            let base = SendablePointer(start)
            let build = buildSource(batch: (labels, start))
            try insertConcurrently(count: labels.count, threads: threads, shouldStop: shouldStop) { i in
                try insertValidated(label: labels[i], vector: base.pointer + i * dimension, build: build)
                if i % 64 == 0 { learnCentreIfReady() }
            }
            learnCentreIfReady()
        }
    }

    /// Calls `insertOne` for 0..<count from `threads` threads (each node's insert is
    /// independent), after growing the arrays once, then repairs level-0 reachability.
    func insertConcurrently(count: Int, threads: Int, shouldStop: @Sendable () -> Bool = { false },
                            _ insertOne: (Int) throws -> Void) throws {
        let used = state.withLock { $0.nodeCount }
        guard used + count <= Self.nodeCountMax else {
            throw VireoError(.limitExceeded, "an index holds at most \(Self.nodeCountMax) vectors")
        }
        reserveCapacity(used + count)
        let workers = max(1, min(threads, count))
        withoutActuallyEscaping(insertOne) { insertOne in
            let shared = UncheckedSendable(insertOne)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var i = worker
                while i < count && !shouldStop() {
                    try? shared.value(i)
                    i += workers
                }
            }
        }
        repairReachability()
    }

    /// Inserts one checked vector, growing the arrays when they are full.
    func insertValidated(label: Int64, vector: UnsafePointer<Float>, build: BuildSource? = nil) throws {
        try insertNode(label: label, build: build) { g, id, level, context in
            prepare(vector, into: context.query)
            g.initializeNode(id, label: label, level: level, vector: context.query)
            keepForTraining(id, context.query)
        }
    }

    /// Reserves an id for `label`, lets `write` fill the node (vector or codes, label,
    /// level), publishes it and links it in; grows the arrays and retries when they are full.
    /// A binary index's `write` leaves the node's float vector, or its decoded code, in
    /// `context.query`: linking measures from it.
    func insertNode(label: Int64, build: BuildSource? = nil, write: (HNSWGraph, UInt32, Int, SearchContext) -> Void) throws {
        while true {
            let inserted = try growthLock.withReadLock { () throws -> Bool in
                guard let reservation = try reserve(label: label) else { return false }
                contexts.withContext(nodeCapacity: graph.capacity) { context in
                    write(graph, reservation.id, reservation.level, context)
                    graph.setFlag(reservation.id, NodeFlag.live)
                    link(reservation.id, level: reservation.level, context: context, build: build)
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

    /// Connects a written node into the graph, level by level from its top, measuring from
    /// its float vector (prepared in `context.query`) or, in an int8 graph, from its codes.
    /// A binary graph searches by the estimator from `context.query` and, with a `build`
    /// source, chooses and prunes neighbours by exact distances.
    func link(_ id: UInt32, level: Int, context: SearchContext, build: BuildSource? = nil) {
        let g = graph
        switch g.quantization {
        case .int8:
            link(g, id, level: level, context: context,
                 distance: Int8QueryDistance(graph: g, metric: metric, node: id, biased: context.queryBiased))
        case .binary:
            link(g, id, level: level, context: context, distance: binaryQueryDistance(g, context),
                 exact: build.map { BuildVectors($0, index: self, graph: g) })
        case .none:
            link(g, id, level: level, context: context,
                 distance: FloatQueryDistance(graph: g, metric: metric, query: context.query))
        }
    }

    func link<D: QueryDistance>(_ g: HNSWGraph, _ id: UInt32, level: Int, context: SearchContext, distance measure: D,
                                exact: BuildVectors? = nil) {
        let start = state.withLock { s -> (entry: UInt32, maxLevel: Int)? in
            guard let entry = s.entryPoint else {
                s.entryPoint = id
                s.maxLevel = level
                return nil
            }
            return (entry, s.maxLevel)
        }
        guard let start else { return }
        var entry = greedyDescent(g, distance: measure, entry: start.entry, fromLevel: start.maxLevel, toLevel: level)
        var current = min(level, start.maxLevel)
        var found: [[UInt32]] = []
        while current >= 0 {
            searchLayer(g, context, distance: measure, entry: entry, level: current, ef: efConstruction, filter: AcceptAll())
            // Concurrent inserts may already link to this node; never link it to itself.
            var candidates = context.results.sorted().filter { $0.id != id }
            if let exact { candidates = rescore(candidates, from: context.query, exact) }
            // m links on every level, as hnswlib links (level 0's lists fill to 2m through
            // later nodes' links back). Up to 2m there, as pgvector links, gained a little
            // recall on cosine and L2 but lost it on inner product (docs/benchmarks-ann.md,
            // "Level-0 links").
            let chosen = selectNeighbors(g, candidates, limit: m, exact: exact)
            found.append(chosen)
            entry = candidates.first?.id ?? entry
            current -= 1
        }
        // Published from level 0 up, so that a concurrent insert or search that reaches
        // the node on an upper level and descends from it never finds its level-0 list
        // still empty (it then linked to it alone, or returned it alone).
        for current in 0..<found.count {
            let chosen = found[found.count - 1 - current]
            setOwnLinks(g, id, level: current, chosen: chosen)
            var linkedBack = false
            for neighbor in chosen where addLink(g, from: neighbor, to: id, level: current, exact: exact) { linkedBack = true }
            // Every neighbour pruned the link back: the closest one that can keeps it anyway,
            // so that level 0 still reaches the node.
            if current == 0 && !linkedBack && g.inLinkCount(id) == 0 {
                for neighbor in chosen where addLink(g, from: neighbor, to: id, level: 0, force: true, exact: exact) { break }
            }
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
    func selectNeighbors(_ g: HNSWGraph, _ candidates: [(distance: Float, id: UInt32)], limit: Int,
                         exact: BuildVectors? = nil) -> [UInt32] {
        guard candidates.count > limit else { return candidates.map(\.id) }
        var chosen: [UInt32] = []
        chosen.reserveCapacity(limit)
        for candidate in candidates {
            let keep = withNodeDistance(g, from: candidate.id, exact: exact) { distance in
                !chosen.contains { distance($0) < candidate.distance }
            }
            if keep {
                chosen.append(candidate.id)
                if chosen.count == limit { break }
            }
        }
        return chosen
    }

    /// Stores a new node's own links at `level`. Its list there is still empty: no other
    /// thread reaches the node on a level before it has linked that level's neighbours back
    /// to it, which `link` does only after this (and from level 0 up).
    func setOwnLinks(_ g: HNSWGraph, _ id: UInt32, level: Int, chosen: [UInt32]) {
        nodeLocks.withLock(id) { g.setLinks(id, level: level, chosen) }
        if level == 0 { for link in chosen { g.noteInLink(link) } }
    }

    /// Adds the link `from` → `to` at `level`, pruning `from`'s list by the heuristic
    /// when it is full. Returns whether the list then holds the link. With `force`, a
    /// pruned list keeps it (false only when every other link is its target's last).
    @discardableResult
    func addLink(_ g: HNSWGraph, from: UInt32, to: UInt32, level: Int, force: Bool = false, exact: BuildVectors? = nil) -> Bool {
        nodeLocks.withLock(from) {
            let list = g.linkList(from, level: level)
            let linkCount = Int(list[0]), capacity = g.linkCapacity(level: level)
            for j in 0..<linkCount where list[1 + j] == to { return true }
            if linkCount < capacity {
                vireo_store_release_u32(list + 1 + linkCount, to)
                vireo_store_release_u32(list, UInt32(linkCount + 1))
                if level == 0 { g.noteInLink(to) }
                return true
            }
            let current = (0..<linkCount).map { list[1 + $0] }
            exact?.load([from, to] + current)
            var candidates = withNodeDistance(g, from: from, exact: exact) { distance in
                [(distance: distance(to), id: to)] + current.map { (distance: distance($0), id: $0) }
            }
            candidates.sort { $0.distance < $1.distance }
            return prune(g, from, level: level, candidates: candidates, current: current, force: force ? to : nil, exact: exact)
        }
    }

    /// Replaces `from`'s list at `level` (its lock held) with the heuristic's choice among
    /// `candidates` (sorted by distance from `from`; its current links among them). On level
    /// 0 a current link that is its target's last in-link stays, and so does `force`: each
    /// takes the place of the farthest chosen link that may go. Returns whether the list
    /// then holds `force` (or, without it, the candidates that were not linked before);
    /// when `force` cannot fit, nothing changes.
    @discardableResult
    func prune(_ g: HNSWGraph, _ from: UInt32, level: Int, candidates: [(distance: Float, id: UInt32)],
               current: [UInt32], force: UInt32?, exact: BuildVectors? = nil) -> Bool {
        let capacity = g.linkCapacity(level: level)
        var kept = selectNeighbors(g, candidates, limit: capacity, exact: exact)
        guard level == 0 else {
            g.setLinks(from, level: level, kept)
            return candidates.allSatisfy { current.contains($0.id) || kept.contains($0.id) }
        }
        var released: [UInt32] = []
        var required: [UInt32] = []
        for candidate in candidates where !kept.contains(candidate.id) {
            if !current.contains(candidate.id) {
                if candidate.id == force { required.append(candidate.id) }
            } else if g.releaseInLink(candidate.id) {
                released.append(candidate.id)
            } else {
                required.append(candidate.id)
            }
        }
        // Make room for the links that must stay: drop chosen ones from the farthest.
        var slot = kept.count - 1
        while kept.count + required.count > capacity {
            guard slot >= 0 else {
                for id in released { g.noteInLink(id) }
                return false
            }
            let id = kept[slot]
            if id != force && (!current.contains(id) || g.releaseInLink(id)) {
                kept.remove(at: slot)
                if current.contains(id) { released.append(id) }
            }
            slot -= 1
        }
        kept += required
        g.setLinks(from, level: 0, kept)
        var allNewKept = true
        for candidate in candidates where !current.contains(candidate.id) {
            if kept.contains(candidate.id) { g.noteInLink(candidate.id) } else { allNewKept = false }
        }
        return force.map { kept.contains($0) } ?? allNewKept
    }
}

extension HNSWIndex {
    /// `candidates` measured again exactly from `query` (those whose vector can be had;
    /// the others keep their estimate), closest first.
    func rescore(_ candidates: [(distance: Float, id: UInt32)], from query: UnsafePointer<Float>,
                 _ exact: BuildVectors) -> [(distance: Float, id: UInt32)] {
        exact.load(candidates.map(\.id))
        return candidates.map { (exact.distance(query, to: $0.id) ?? $0.distance, $0.id) }.sorted { $0.distance < $1.distance }
    }
}

/// A value handed to worker threads that the caller knows to be safe to share (a
/// non-escaping closure that only inserts, which the index allows from any thread).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A pointer handed to worker threads that only read through it.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafePointer<T>
    init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
