import Testing
@testable import VireoIndex

/// The choice between a filtered graph search and an exact ranking of the matching rows
/// follows the matching count: the graph while the filter passes many rows, exact when few.
@Suite("Filtered search cost model")
struct FilteredSearchCostTests {
    @Test("20,000 live rows, 384 dimensions: graph at 50%, exact at 1% and 0.1% and with no matching row")
    func choosesByMatchingCount() {
        func exact(_ matching: Int, ef: Int = 40) -> Bool {
            let cost = FilteredSearchCost(matchingCount: matching, liveCount: 20_000, efSearch: ef, dimension: 384)
            return cost.exactNs <= cost.graphNs
        }
        #expect(!exact(10_000), "50%: expected the graph")
        #expect(exact(200), "1%: expected the exact ranking")
        #expect(exact(20), "0.1%: expected the exact ranking")
        #expect(exact(0), "no matching row: expected the exact ranking")
    }

    @Test("half of 20,000 rows whose vectors outgrow the cache: the graph up to ef 160, exact by ef 400 (as measured)")
    func streamedVectorsFavourTheGraph() {
        func exact(_ matching: Int, ef: Int, cacheBytes: Int) -> Bool {
            let cost = FilteredSearchCost(matchingCount: matching, liveCount: 20_000, efSearch: ef, dimension: 384, cacheBytes: cacheBytes)
            return cost.exactNs <= cost.graphNs
        }
        let small = 10 << 20
        #expect(![40, 100, 160].contains { exact(10_000, ef: $0, cacheBytes: small) }, "50%, 15 MB of vectors: expected the graph")
        #expect(exact(10_000, ef: 400, cacheBytes: small), "50% at ef 400: expected the exact ranking")
        #expect(exact(4_000, ef: 40, cacheBytes: small), "20%, 6 MB of vectors, cached: expected the exact ranking")
        #expect(!exact(4_000, ef: 10, cacheBytes: small), "20% at ef 10: expected the graph")
        // int8 codes are a quarter of the bytes: the same rows stay cached.
        let codes = FilteredSearchCost(matchingCount: 10_000, liveCount: 20_000, efSearch: 400, dimension: 384, vectorBytes: 384,
                                       cacheBytes: small)
        let floats = FilteredSearchCost(matchingCount: 10_000, liveCount: 20_000, efSearch: 400, dimension: 384, cacheBytes: small)
        #expect(codes.exactNs < floats.exactNs)
    }

    @Test("cache sizes as Linux writes them")
    func cacheSizes() {
        #expect(FilteredSearchCost.parseCacheSize("32768K\n") == 32 << 20)
        #expect(FilteredSearchCost.parseCacheSize("1M") == 1 << 20)
        #expect(FilteredSearchCost.parseCacheSize("4096") == 4096)
        #expect(FilteredSearchCost.parseCacheSize("") == nil)
        #expect(FilteredSearchCost.parseCacheSize("xK") == nil)
        #expect(FilteredSearchCost.cacheBudgetBytes > 0)
    }

    @Test("the exact ranking's share grows with ef: once exact at some ef, exact at every larger one")
    func exactIsMonotoneInEf() {
        for matching in stride(from: 100, through: 20_000, by: 700) {
            let decisions = [10, 40, 100, 400].map { ef in
                let cost = FilteredSearchCost(matchingCount: matching, liveCount: 20_000, efSearch: ef, dimension: 384)
                return cost.exactNs <= cost.graphNs
            }
            #expect(decisions == decisions.sorted { !$0 && $1 }, "\(matching) matching rows: \(decisions) by ef")
        }
    }

    @Test("an index asked with an exact matching count decides as the cost model does")
    func indexFollowsTheModel() throws {
        let index = try HNSWIndex(dimension: 16, metric: .l2)
        try index.insert(labels: (0..<3000).map(Int64.init), vectors: (0..<48_000).map { Float($0 % 97) }, threads: 1)
        #expect(index.prefersExactScan(matchingCount: 3, efSearch: 10), "3 of 3,000 rows: expected exact")
        #expect(!index.prefersExactScan(matchingCount: 2900, efSearch: 10), "2,900 of 3,000 rows: expected the graph")
        // Labels are node ids here; the sample's step (5) is prime to 3, so it sees a third pass.
        let estimate = index.estimatedMatching { $0 % 3 == 0 }
        #expect(estimate.live == 3000 && abs(estimate.matching - 1000) <= 30, "expected about 1,000 of 3,000, got \(estimate)")
    }
}
