import Testing
import VireoStorage
@testable import VireoIndex

/// The sorted pool that unfiltered graph searches use in place of two heaps.
struct HNSWSearchPoolTests {
    @Test func poolKeepsTheClosestLimitSortedWithTheirFlags() {
        var pool = SearchPool(bufferCount: 16)
        defer { pool.deallocate() }
        pool.reset(limit: 8)
        var random = SplitMix64(seed: 7)
        var offered: [(distance: Float, id: UInt32)] = []
        var marked = Set<UInt32>()
        for id in 0..<200 as Range<UInt32> {
            // Few distinct values, so equal distances are common.
            let distance = Float(Int.random(in: 0..<40, using: &random))
            let before = (0..<pool.count).map { pool.entries[$0] }
            let position = pool.insert(distance, id)
            offered.append((distance, id))
            if position < pool.limit {
                #expect(pool.entries[position] == (distance, id), "insert \(id) reported position \(position)")
                #expect(!pool.expanded[position])
                // Everything before the new entry is at most as far; everything after is farther.
                #expect((0..<position).allSatisfy { pool.entries[$0].distance <= distance })
                #expect((position + 1..<pool.count).allSatisfy { pool.entries[$0].distance > distance })
            } else {
                #expect(before.count == pool.limit && distance >= before[pool.limit - 1].distance)
            }
            if id % 3 == 0 {
                let at = position < pool.limit ? position : 0
                pool.markExpanded(at)
                marked.insert(pool.entries[at].id)
            }
        }
        // The kept entries are the 8 closest, ties in arrival order (a stable sort of what was offered).
        let expected = offered.enumerated().sorted { ($0.element.distance, $0.offset) < ($1.element.distance, $1.offset) }
            .prefix(8).map(\.element)
        let kept = (0..<pool.count).map { pool.entries[$0] }
        #expect(kept.map(\.id) == expected.map(\.id) && kept.map(\.distance) == expected.map(\.distance))
        // The flags moved with their entries.
        #expect((0..<pool.count).allSatisfy { pool.expanded[$0] == marked.contains(pool.entries[$0].id) })
        let first = pool.firstUnexpanded(from: 0)
        #expect((0..<first).allSatisfy { pool.expanded[$0] } && (first == pool.count || !pool.expanded[first]))
    }

    /// With a filter that passes every row the search takes the two-heap loop; without one,
    /// the pool. Both must expand the same nodes and so return the same rows and distances.
    @Test(arguments: [VectorMetric.l2, .cosine, .innerProduct])
    func pooledSearchReturnsWhatTheTwoHeapSearchReturns(metric: VectorMetric) throws {
        let (index, _) = try HNSWTests.build(count: 1500, metric: metric, threads: 1)
        let queries = TestData.clustered(count: 40, dimension: HNSWTests.dimension, clusters: 20, seed: 3_000)
        for q in 0..<40 {
            let query = TestData.row(queries, q, HNSWTests.dimension)
            for ef in [10, 40, 100] {
                let pooled = try index.search(query, k: 10, efSearch: ef)
                let heaps = try index.search(query, k: 10, efSearch: ef, filter: { _ in true }, exactScanDecided: false)
                #expect(pooled.map(\.label) == heaps.map(\.label) && pooled.map(\.distance) == heaps.map(\.distance),
                        "\(metric) query \(q) ef \(ef): pooled \(pooled.map(\.label)), heaps \(heaps.map(\.label))")
            }
        }
    }
}
