import Dispatch
import Testing
import VireoStorage
@testable import VireoIndex

/// Single-row inserts (no repair pass runs after them) must leave every node reachable on
/// level 0: pruning a full neighbour list never drops a node's last in-link.
struct HNSWReachabilityTests {
    /// Low-dimensional points with a small m: the heuristic keeps few links per list, so
    /// re-pruning a full list drops many at once (without the guarantee, one thread
    /// inserting this data strands a node on level 0).
    static let dimension = 8, m = 4, count = 3000

    static func makeIndex() throws -> HNSWIndex {
        try HNSWIndex(dimension: dimension, metric: .l2, m: m, efConstruction: 32, seed: 3, initialCapacity: 16)
    }

    static var data: [Float] { TestData.uniform(count: count, dimension: dimension, seed: 11) }

    /// Nodes other than the entry point that no level-0 list links to.
    static func unlinkedNodes(_ index: HNSWIndex) -> [Int] {
        let g = index.graph
        let s = index.state.withLock { $0 }
        var linked = [Bool](repeating: false, count: s.nodeCount)
        for id in 0..<s.nodeCount {
            let list = g.linkList(UInt32(id), level: 0)
            for j in 0..<Int(list[0]) { linked[Int(list[1 + j])] = true }
        }
        return (0..<s.nodeCount).filter { !linked[$0] && UInt32($0) != s.entryPoint }
    }

    /// Rows that a search at a modest ef does not return as their own nearest neighbour.
    static func rowsNotFound(_ index: HNSWIndex, _ data: [Float]) throws -> [Int] {
        try (0..<count).filter { row in
            try index.search(TestData.row(data, row, dimension), k: 1, efSearch: 64).first?.label != Int64(row)
        }
    }

    @Test func oneAtATimeInsertsKeepEveryNodeLinkedOnLevelZero() throws {
        let data = Self.data
        let index = try Self.makeIndex()
        for row in 0..<Self.count { try index.insert(label: Int64(row), vector: TestData.row(data, row, Self.dimension)) }
        let unlinked = Self.unlinkedNodes(index)
        #expect(unlinked.isEmpty, "\(unlinked.count) nodes without a level-0 in-link, first \(unlinked.prefix(5))")
        #expect(index.integrityProblems() == [], "\(index.integrityProblems())")
        let missed = try Self.rowsNotFound(index, data)
        #expect(missed.isEmpty, "\(missed.count) rows not found as their own nearest neighbour, first \(missed.prefix(5))")
    }

    /// With several threads the graph depends on timing: what is checked is what the
    /// guarantee promises whatever the interleaving (reachability from the entry point
    /// is likely too, but a group of nodes linking only to one another is not ruled out).
    @Test func concurrentOneAtATimeInsertsKeepEveryNodeLinkedOnLevelZero() throws {
        let data = Self.data
        let index = try Self.makeIndex()
        let threads = 4
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for row in stride(from: worker, to: Self.count, by: threads) {
                try? index.insert(label: Int64(row), vector: TestData.row(data, row, Self.dimension))
            }
        }
        #expect(index.count == Self.count)
        let unlinked = Self.unlinkedNodes(index)
        #expect(unlinked.isEmpty, "\(unlinked.count) nodes without a level-0 in-link, first \(unlinked.prefix(5))")
        let counts = index.growthLock.withWriteLock { index.inLinkCountProblems(index.state.withLock { $0 }) }
        #expect(counts == [], "\(counts)")
    }

    /// What ConcurrencyTests' vector test does through SQL, without the database: four
    /// threads each insert a row and at once look it up as its own nearest neighbour, in
    /// small 4-d indexes with the default m and ef_construction; once all are in, every
    /// row is looked up again. Before a node published its level-0 links ahead of its
    /// upper ones, an insert or search that reached it on an upper level could find its
    /// level-0 list still empty: the search returned it alone, and the insert linked to it
    /// alone, a link the node's own list then overwrote (the row kept no in-link).
    @Test func rowsAreFoundRightAfterConcurrentOneAtATimeInserts() throws {
        let threads = 4, perThread = 40, trials = 100
        let misses = Counter()
        for trial in 0..<trials {
            let index = try HNSWIndex(dimension: 4, metric: .l2, m: 16, efConstruction: 64, seed: UInt64(trial))
            let rows = (0..<threads).map { worker in
                var random = SplitMix64(seed: UInt64(trial * threads + worker))
                return (0..<perThread).map { i in
                    (label: Int64(worker * 1000 + i), vector: (0..<4).map { _ in Float(random.next() % 10_000) / 100 })
                }
            }
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                for (label, vector) in rows[worker] {
                    try? index.insert(label: label, vector: vector)
                    if (try? index.search(vector, k: 1, efSearch: 40))?.first?.label != label { misses.add() }
                }
            }
            let unlinked = Self.unlinkedNodes(index)
            #expect(unlinked.isEmpty, "trial \(trial): nodes without a level-0 in-link \(unlinked)")
            let lost = try rows.joined().filter { try index.search($0.vector, k: 1, efSearch: 40).first?.label != $0.label }
            #expect(lost.isEmpty, "trial \(trial): rows not found after all inserts \(lost.map(\.label))")
        }
        #expect(misses.value == 0, "rows not found right after their insert: \(misses.value) of \(trials * threads * perThread)")
    }
}
