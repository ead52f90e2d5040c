import Testing
import VireoStorage
@testable import VireoIndex

struct ExactSearchTests {
    /// BLAS top-k (sgemm for batches, sgemv for one query) agrees with scalar brute force.
    @Test(arguments: VectorMetric.allCases)
    func blasTopKMatchesBruteForce(metric: VectorMetric) {
        for (dimension, queryCount) in [(3, 1), (17, 5), (64, 40)] {
            let base = TestData.uniform(count: 5000, dimension: dimension, seed: 11)
            let queries = TestData.uniform(count: queryCount, dimension: dimension, seed: 12)
            let got = ExactSearch.topK(queries: queries, base: base, dimension: dimension, k: 10, metric: metric)
            for q in 0..<queryCount {
                let expected = TestData.bruteForce(TestData.row(queries, q, dimension), base,
                                                   dimension: dimension, k: 10, metric: metric)
                #expect(got[q].map(\.label) == expected.map(\.label),
                        "\(metric) d \(dimension) query \(q): expected \(expected.map(\.label)), got \(got[q].map(\.label))")
                for (g, e) in zip(got[q], expected) {
                    #expect(abs(g.distance - e.distance) <= 1e-3 * max(1, abs(e.distance)),
                            "\(metric) distance expected \(e.distance), got \(g.distance)")
                }
            }
        }
    }

    @Test func subsetSearchReturnsOnlyListedRows() {
        let dimension = 16
        let base = TestData.uniform(count: 3000, dimension: dimension, seed: 21)
        let queries = TestData.uniform(count: 3, dimension: dimension, seed: 22)
        let rows = Array(stride(from: 5, to: 3000, by: 7))
        let got = base.withUnsafeBufferPointer { b in
            queries.withUnsafeBufferPointer { q in
                ExactSearch.topK(queries: q, base: MatrixView(base: b.baseAddress!, rowCount: 3000, dimension: dimension),
                                 rows: rows, k: 5, metric: .l2)
            }
        }
        for q in 0..<3 {
            let expected = TestData.bruteForce(TestData.row(queries, q, dimension), base, dimension: dimension,
                                               k: 5, metric: .l2, where: { $0 % 7 == 5 })
            #expect(got[q].map(\.label) == expected.map(\.label),
                    "query \(q): expected \(expected.map(\.label)), got \(got[q].map(\.label))")
        }
    }

    @Test func kLargerThanRowsReturnsEveryRow() {
        let got = ExactSearch.topK(queries: [0, 0], base: [1, 1, 2, 2, 0, 1], dimension: 2, k: 10, metric: .l2)
        #expect(got[0].map(\.label) == [2, 0, 1], "expected [2, 0, 1], got \(got[0].map(\.label))")
    }

    @Test func flatIndexSearchesRemovesAndFilters() throws {
        let dimension = 8
        let data = TestData.uniform(count: 500, dimension: dimension, seed: 31)
        let flat = try FlatIndex(dimension: dimension, metric: .cosine)
        for i in 0..<500 { try flat.insert(label: Int64(i * 10), vector: TestData.row(data, i, dimension)) }
        #expect(flat.remove(label: 30))
        let query = TestData.row(data, 3, dimension)
        let got = try flat.search(query, k: 5)
        #expect(!got.contains { $0.label == 30 }, "removed label 30 returned: \(got)")
        let filtered = try flat.search(query, k: 5, filter: { $0 % 20 == 0 })
        #expect(filtered.count == 5 && filtered.allSatisfy { $0.label % 20 == 0 }, "got \(filtered)")
        #expect(throws: VireoError.self) { try flat.insert(label: 1, vector: [1, 2]) }
    }
}
