import CVireoSupport

extension HNSWIndex {
    /// Deletes `label`: its node becomes a tombstone that searches traverse but never
    /// return. When tombstones pass `tombstoneRebuildFraction` of the nodes, the graph is
    /// rebuilt from the live vectors. Returns false when the label was not present.
    @discardableResult
    public func remove(label: Int64) -> Bool {
        let outcome = growthLock.withReadLock { () -> (removed: Bool, rebuild: Bool) in
            let tombstones = graph.tombstones
            return state.withLock { s in
                guard let id = s.ids.removeValue(forKey: label) else { return (false, false) }
                vireo_store_release_u32(tombstones + Int(id), NodeFlag.deleted)
                s.tombstoneCount += 1
                let share = Double(s.tombstoneCount) / Double(max(s.nodeCount, 1))
                return (true, s.nodeCount >= 64 && share > Self.tombstoneRebuildFraction)
            }
        }
        if outcome.rebuild { rebuild() }
        return outcome.removed
    }

    /// Rebuilds the graph from the live nodes, dropping every tombstone: from their float
    /// vectors, or in an int8 graph from their codes (copied as they are; there are no
    /// floats to encode again). Searches and inserts wait while it runs.
    public func rebuild(threads: Int = 2) {
        growthLock.withWriteLock {
            if quantization == .binary { learnCentreLocked() }
            let nodeCount = state.withLock { $0.nodeCount }
            let old = graph
            let live = (0..<nodeCount).filter { old.tombstones[$0] == NodeFlag.live }.map { UInt32($0) }
            guard let fresh = try? HNSWIndex(
                dimension: dimension, metric: metric, m: m, efConstruction: efConstruction,
                seed: seed, defaultEfSearch: defaultEfSearch, quantization: quantization,
                initialCapacity: live.count)
            else { return }
            fresh.graph.centres.set(old.centres.values, count: old.centres.count)
            fresh.training.withLock { $0.trained = true }
            fresh.vectorSource = vectorSource
            let build = fresh.buildSource(batch: nil)
            try? fresh.insertConcurrently(count: live.count, threads: threads) { i in
                let source = live[i], label = old.labels[Int(source)]
                try fresh.insertNode(label: label, build: build) { g, id, level, context in
                    if old.quantized {
                        g.initializeNode(id, label: label, level: level, copyingCodesOf: source, from: old)
                        if old.quantization == .binary { fresh.decodeIntoQuery(g, id, context) }
                    } else {
                        // Linking measures from context.query: it must hold this node's vector
                        // (already prepared), not the last one the pooled context saw.
                        context.query.update(from: old.vector(source), count: g.dimension)
                        g.initializeNode(id, label: label, level: level, vector: context.query)
                    }
                }
            }
            let (freshGraph, freshState) = fresh.takeContents()
            graph.deallocate(nodeCount: nodeCount)
            graph = freshGraph
            state.withLock { $0 = freshState }
            rowLocators.removeAll()
        }
    }

    /// Hands this index's graph and state to the caller and leaves it empty.
    func takeContents() -> (HNSWGraph, HNSWState) {
        growthLock.withWriteLock {
            let taken = graph
            graph = HNSWGraph(dimension: dimension, m: m, capacity: 16, quantization: quantization)
            let takenState = state.withLock { s in
                let old = s
                s = HNSWState(seed: seed)
                return old
            }
            return (taken, takenState)
        }
    }
}
