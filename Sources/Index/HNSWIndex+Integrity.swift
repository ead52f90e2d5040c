import VireoStorage

extension HNSWIndex {
    /// Every broken invariant of the graph, in words; empty when the graph is sound.
    /// Checks: link counts within capacity, links in range, no self links, no duplicate
    /// links, upper-level links only to nodes that have that level, level-0 in-link counts
    /// that match the lists, and every live node reachable on level 0 from the entry point.
    public func integrityProblems() -> [String] {
        growthLock.withWriteLock {
            let s = state.withLock { $0 }
            var problems: [String] = []
            for id in 0..<s.nodeCount {
                let level = Int(graph.levels[id])
                for l in 0...max(level, 0) {
                    problems += linkProblems(UInt32(id), level: l, nodeCount: s.nodeCount)
                }
            }
            if problems.isEmpty { problems += inLinkCountProblems(s) + reachabilityProblems(s) + codeProblems(s) }
            return problems
        }
    }

    /// Throws `corruption` naming the first broken invariant (see `integrityProblems`).
    public func checkIntegrity() throws {
        if let first = integrityProblems().first {
            throw VireoError(.corruption, "HNSW index: \(first)")
        }
    }

    func linkProblems(_ id: UInt32, level: Int, nodeCount: Int) -> [String] {
        let list = graph.linkList(id, level: level)
        let linkCount = Int(list[0])
        guard linkCount <= graph.linkCapacity(level: level) else {
            return ["node \(id) level \(level): \(linkCount) links exceed capacity \(graph.linkCapacity(level: level))"]
        }
        var seen = Set<UInt32>()
        var problems: [String] = []
        for j in 0..<linkCount {
            let link = list[1 + j]
            if Int(link) >= nodeCount {
                problems.append("node \(id) level \(level): link \(link) out of range (\(nodeCount) nodes)")
            } else if link == id {
                problems.append("node \(id) level \(level): links to itself")
            } else if !seen.insert(link).inserted {
                problems.append("node \(id) level \(level): duplicate link \(link)")
            } else if Int(graph.levels[Int(link)]) < level {
                problems.append("node \(id) level \(level): link \(link) has no level \(level)")
            }
        }
        return problems
    }

    /// Each node's level-0 in-link count against the lists (pruning relies on it).
    func inLinkCountProblems(_ s: HNSWState) -> [String] {
        let counts = graph.countInLinks(nodeCount: s.nodeCount)
        let wrong = (0..<s.nodeCount).filter { graph.inLinks[$0] != counts[$0] }
        guard let first = wrong.first else { return [] }
        return ["\(wrong.count) nodes with a wrong level-0 in-link count, first \(first): \(graph.inLinks[first]) counted, \(counts[first]) in the lists"]
    }

    /// A binary graph's centres and codes: finite, each code's centre one of them and its
    /// bit count matching its bits.
    func codeProblems(_ s: HNSWState) -> [String] {
        guard graph.quantization == .binary else { return [] }
        let centres = graph.centres
        if (0..<centres.count * dimension).contains(where: { !centres.values[$0].isFinite }) {
            return ["binary centres hold a non-finite value"]
        }
        for id in 0..<s.nodeCount where graph.tombstones[id] != NodeFlag.pending {
            if let problem = BinaryQuantizer.problems(graph.binaryCode(UInt32(id)), centreCount: centres.count, dimension: dimension) {
                return ["node \(id): \(problem)"]
            }
        }
        return []
    }

    func reachabilityProblems(_ s: HNSWState) -> [String] {
        guard let entry = s.entryPoint else {
            return s.nodeCount - s.tombstoneCount > 0 ? ["live nodes but no entry point"] : []
        }
        var reached = [Bool](repeating: false, count: s.nodeCount)
        var stack: [UInt32] = [entry]
        reached[Int(entry)] = true
        while let id = stack.popLast() {
            let list = graph.linkList(id, level: 0)
            for j in 0..<Int(list[0]) where !reached[Int(list[1 + j])] {
                reached[Int(list[1 + j])] = true
                stack.append(list[1 + j])
            }
        }
        let lost = (0..<s.nodeCount).filter { !reached[$0] && graph.tombstones[$0] == NodeFlag.live }
        guard !lost.isEmpty else { return [] }
        return ["\(lost.count) live nodes unreachable from the entry point, first \(lost.prefix(5).map { $0 })"]
    }
}

extension HNSWIndex {
    /// Passes of `repairReachability` before it gives up (each pass relinks every lost node).
    static let repairPassesMax = 8

    /// Links every live node that level 0 cannot reach from the entry point (pruning by
    /// the heuristic can strand a few) from its nearest reachable node. Bulk inserts and
    /// rebuilds run it; returns how many nodes were relinked.
    @discardableResult
    public func repairReachability() -> Int {
        growthLock.withWriteLock {
            var relinked = 0
            for _ in 0..<Self.repairPassesMax {
                let s = state.withLock { $0 }
                guard let entry = s.entryPoint else { return relinked }
                let reached = reachedOnLevelZero(from: entry, nodeCount: s.nodeCount)
                let lost = (0..<s.nodeCount).filter { !reached[$0] && graph.tombstones[$0] == NodeFlag.live }
                if lost.isEmpty { break }
                contexts.withContext(nodeCapacity: graph.capacity) { context in
                    for id in lost { relink(UInt32(id), entry: entry, reached: reached, context: context) }
                }
                relinked += lost.count
            }
            return relinked
        }
    }

    func reachedOnLevelZero(from entry: UInt32, nodeCount: Int) -> [Bool] {
        var reached = [Bool](repeating: false, count: nodeCount)
        var stack: [UInt32] = [entry]
        reached[Int(entry)] = true
        while let id = stack.popLast() {
            let list = graph.linkList(id, level: 0)
            for j in 0..<Int(list[0]) where !reached[Int(list[1 + j])] {
                reached[Int(list[1 + j])] = true
                stack.append(list[1 + j])
            }
        }
        return reached
    }

    /// Adds a link to `id` from the closest reachable node with a free slot, or in place of
    /// the last (farthest-added) link of the closest one that is not its target's only
    /// in-link. Runs under the exclusive lock.
    func relink(_ id: UInt32, entry: UInt32, reached: [Bool], context: SearchContext) {
        let g = graph
        switch g.quantization {
        case .int8:
            searchLayer(g, context, distance: Int8QueryDistance(graph: g, metric: metric, node: id, biased: context.queryBiased),
                        entry: entry, level: 0, ef: efConstruction, filter: AcceptAll())
        case .binary:
            decodeIntoQuery(g, id, context)
            searchLayer(g, context, distance: binaryQueryDistance(g, context), entry: entry, level: 0, ef: efConstruction,
                        filter: AcceptAll())
        case .none:
            searchLayer(g, context, query: g.vector(id), entry: entry, level: 0, ef: efConstruction, filter: AcceptAll())
        }
        let candidates = context.results.sorted().filter { $0.id != id && reached[Int($0.id)] }
        let hosts = candidates.filter { Int(g.linkList($0.id, level: 0)[0]) < g.linkCapacity0 } + candidates
        for host in hosts {
            let list = g.linkList(host.id, level: 0)
            let linkCount = Int(list[0])
            if (0..<linkCount).contains(where: { list[1 + $0] == id }) { return }
            if linkCount < g.linkCapacity0 {
                list[1 + linkCount] = id
                list[0] = UInt32(linkCount + 1)
            } else if let slot = (1...linkCount).reversed().first(where: { g.inLinks[Int(list[$0])] > 1 }) {
                g.inLinks[Int(list[slot])] -= 1
                list[slot] = id
            } else {
                continue
            }
            g.inLinks[Int(id)] += 1
            return
        }
    }
}
