import Dispatch
import Testing
import VireoStorage
@testable import VireoIndex

struct HNSWTests {
    static let dimension = 32

    static func build(
        count: Int = 2000, metric: VectorMetric = .l2, seed: UInt64 = 1, threads: Int = 2,
        quantization: VectorQuantization = .none
    ) throws -> (HNSWIndex, [Float]) {
        let data = TestData.clustered(count: count, dimension: dimension, clusters: 20, seed: seed)
        let index = try HNSWIndex(dimension: dimension, metric: metric, m: 12, efConstruction: 80, seed: seed,
                                  quantization: quantization)
        try index.insert(labels: (0..<count).map(Int64.init), vectors: data, threads: threads)
        return (index, data)
    }

    /// The float vectors an int8 index re-ranks with, labelled 0..<n as `build` inserts them.
    static func source(_ data: [Float]) -> ArrayVectorSource {
        ArrayVectorSource(dimension: dimension, labels: (0..<data.count / dimension).map(Int64.init), vectors: data)
    }

    @Test(arguments: VectorMetric.allCases)
    func recallAgainstBruteForceIsAtLeastNinetyPercent(metric: VectorMetric) throws {
        // One build thread, so that the graph and its recall are the same at every run; a
        // two-thread build's recall moves with the interleaving (inner product: 0.88–0.95).
        let (index, data) = try Self.build(metric: metric, threads: 1)
        let queries = TestData.clustered(count: 50, dimension: Self.dimension, clusters: 20, seed: 1_000)
        var got: [[Int64]] = [], truth: [[Int64]] = []
        for q in 0..<50 {
            let query = TestData.row(queries, q, Self.dimension)
            // Inner product is not a metric; the graph needs a wider beam for the same recall.
            let found = try index.search(query, k: 10, efSearch: metric == .innerProduct ? 400 : 128)
            got.append(found.map(\.label))
            let expected = TestData.bruteForce(query, data, dimension: Self.dimension, k: 10, metric: metric)
            truth.append(expected.map(\.label))
            if let first = found.first, first.label == expected[0].label {
                #expect(abs(first.distance - expected[0].distance) <= 1e-3 * max(1, abs(expected[0].distance)),
                        "\(metric): distance expected \(expected[0].distance), got \(first.distance)")
            }
        }
        let recall = TestData.recall(got, truth)
        #expect(recall >= 0.9, "\(metric): expected recall@10 >= 0.9, got \(recall)")
        #expect(index.integrityProblems() == [], "integrity problems: \(index.integrityProblems())")
    }

    /// int8 codes guide the graph; float re-ranking of the ef candidates restores recall.
    @Test(arguments: [VectorMetric.l2, .cosine])
    func int8QuantizedRecallStaysAboveNinetyPercent(metric: VectorMetric) throws {
        let (index, data) = try Self.build(metric: metric, quantization: .int8)
        index.vectorSource = Self.source(data)
        let queries = TestData.clustered(count: 50, dimension: Self.dimension, clusters: 20, seed: 2_000)
        var got: [[Int64]] = [], truth: [[Int64]] = []
        for q in 0..<50 {
            let query = TestData.row(queries, q, Self.dimension)
            let found = try index.search(query, k: 10, efSearch: 128)
            got.append(found.map(\.label))
            let expected = TestData.bruteForce(query, data, dimension: Self.dimension, k: 10, metric: metric)
            truth.append(expected.map(\.label))
            if let first = found.first, first.label == expected[0].label {
                #expect(abs(first.distance - expected[0].distance) <= 1e-3 * max(1, abs(expected[0].distance)),
                        "\(metric): re-ranked distance expected \(expected[0].distance), got \(first.distance)")
            }
        }
        let recall = TestData.recall(got, truth)
        #expect(recall >= 0.9, "\(metric) int8: expected recall@10 >= 0.9, got \(recall)")
        let copy = try HNSWIndex(deserializing: index.serialize())
        copy.vectorSource = index.vectorSource
        let query = TestData.row(queries, 0, Self.dimension)
        let a = try index.search(query, k: 10).map(\.label), b = try copy.search(query, k: 10).map(\.label)
        #expect(copy.quantization == .int8 && a == b, "snapshot of an int8 index: original \(a), copy \(b)")
    }

    @Test func deletedRowsAreNeverReturned() throws {
        let (index, data) = try Self.build(count: 1000)
        let deleted = Set((0..<1000).filter { $0 % 5 == 0 }.map(Int64.init))
        for label in deleted { index.remove(label: label) }
        #expect(index.count == 800, "expected 800 live rows, got \(index.count)")
        for q in 0..<30 {
            let found = try index.search(TestData.row(data, q * 7, Self.dimension), k: 10)
            #expect(found.count == 10, "expected 10 results, got \(found.count)")
            let leaked = found.filter { deleted.contains($0.label) }
            #expect(leaked.isEmpty, "deleted labels returned: \(leaked)")
        }
        #expect(index.integrityProblems() == [], "integrity: \(index.integrityProblems())")
    }

    @Test func manyDeletesTriggerRebuildThatDropsTombstones() throws {
        let (index, data) = try Self.build(count: 600)
        for label in 0..<300 { index.remove(label: Int64(label)) }
        #expect(index.tombstoneCount < 300 * 1 / 4 + 151, "expected a rebuild, tombstones \(index.tombstoneCount)")
        #expect(index.count == 300, "expected 300 live, got \(index.count)")
        let found = try index.search(TestData.row(data, 450, Self.dimension), k: 5)
        #expect(found.first?.label == 450, "expected row 450 first, got \(found)")
        #expect(found.allSatisfy { $0.label >= 300 }, "deleted rows returned: \(found)")
        #expect(index.integrityProblems() == [], "integrity: \(index.integrityProblems())")
    }

    @Test func reinsertingALabelReplacesItsVector() throws {
        let index = try HNSWIndex(dimension: 2, metric: .l2)
        try index.insert(label: 7, vector: [0, 0])
        try index.insert(label: 8, vector: [5, 5])
        try index.insert(label: 7, vector: [10, 10])
        let found = try index.search([10, 10], k: 5)
        #expect(found.map(\.label) == [7, 8], "expected [7, 8], got \(found)")
        #expect(found[0].distance == 0, "expected distance 0, got \(found[0].distance)")
    }

    @Test(arguments: [0.001, 0.01, 0.1, 0.3, 0.5])
    func filteredSearchReturnsOnlyMatchingRowsAndEnoughOfThem(share: Double) throws {
        let (index, data) = try Self.build(count: 5000)
        let modulus = Int64((1 / share).rounded())
        let filter: (Int64) -> Bool = { $0 % modulus == 3 }
        let matching = (0..<5000).filter { filter(Int64($0)) }.count
        for q in 0..<10 {
            let query = TestData.row(data, q * 13, Self.dimension)
            let found = try index.search(query, k: 10, efSearch: 40, filter: filter)
            #expect(found.count == min(10, matching), "share \(share): expected \(min(10, matching)) rows, got \(found.count)")
            // The same search forced through the graph and through the exact ranking.
            for exact in [false, true] {
                let forced = try index.search(query, k: 10, efSearch: 40, filter: filter, exactScanDecided: exact)
                #expect(forced.count == min(10, matching), "share \(share), exact \(exact): got \(forced.count) rows")
                #expect(forced.allSatisfy { filter($0.label) }, "share \(share), exact \(exact): non-matching rows in \(forced)")
            }
            #expect(found.allSatisfy { filter($0.label) }, "share \(share): non-matching rows in \(found)")
            let expected = TestData.bruteForce(query, data, dimension: Self.dimension, k: 10, metric: .l2,
                                               where: { filter(Int64($0)) })
            let hits = Set(found.map(\.label)).intersection(expected.map(\.label)).count
            #expect(hits >= expected.count * 7 / 10, "share \(share): expected ~\(expected.map(\.label)), got \(found.map(\.label))")
        }
    }

    @Test(arguments: VectorQuantization.allCases)
    func snapshotRoundTripSearchesTheSame(quantization: VectorQuantization) throws {
        let (index, data) = try Self.build(count: 1500, metric: .cosine, quantization: quantization)
        index.vectorSource = Self.source(data)
        index.remove(label: 3)
        let bytes = index.serialize()
        let copy = try HNSWIndex(deserializing: bytes)
        copy.vectorSource = index.vectorSource
        #expect(copy.count == index.count, "expected \(index.count) rows, got \(copy.count)")
        #expect(copy.serialize() == bytes, "re-serialized snapshot differs")
        var chunked: [UInt8] = [], chunks = 0
        index.serialize(chunkBytes: 1000) { chunk in
            chunked.append(contentsOf: chunk)
            chunks += 1
        }
        #expect(chunked == bytes, "the snapshot streamed in 1000-byte chunks differs from the whole one")
        #expect(chunks > bytes.count / 12_000, "\(chunks) chunks for \(bytes.count) bytes")
        for q in 0..<20 {
            let query = TestData.row(data, q * 31, Self.dimension)
            let a = try index.search(query, k: 10).map(\.label), b = try copy.search(query, k: 10).map(\.label)
            #expect(a == b, "query \(q): original \(a), copy \(b)")
        }
        try copy.insert(label: 99_999, vector: TestData.row(data, 0, Self.dimension))
        #expect(copy.integrityProblems() == [], "integrity: \(copy.integrityProblems())")
    }

    /// Level-0 records are padded so vectors (and int8 or binary codes) start on a cache line,
    /// and snapshots keep them packed (format v3): 4·(1+2m) link bytes, then the payload; a
    /// quantized snapshot holds no float vectors.
    @Test(arguments: VectorQuantization.allCases)
    func recordsAreCacheLineAlignedAndSnapshotsPacked(quantization: VectorQuantization) throws {
        let (index, _) = try Self.build(count: 100, quantization: quantization)
        let g = index.graph
        #expect(g.recordBytes % 64 == 0)
        let payload = g.vectorOffsetBytes + [.none: 0, .int8: 16, .binary: 32][quantization]!
        #expect(payload % 64 == 0, "payload at \(payload)")
        let linkBytes = 4 * (1 + 2 * index.m)
        let packed = linkBytes + [.none: 4 * Self.dimension, .int8: 8 + (Self.dimension + 3) / 4 * 4,
                                  .binary: 32 + (Self.dimension + 63) / 64 * 8][quantization]!
        let upper = (0..<100).reduce(0) { $0 + Int(g.levels[$1]) * (1 + index.m) * 4 }
        // A binary snapshot ends with its centres: a learned flag, a count (1 while learning) and the floats.
        let centre = quantization == .binary ? 8 + 4 * Self.dimension : 0
        #expect(index.serialize().count == 64 + 100 * (8 + 4 + 4 + packed) + upper + centre + 4)
        if quantization == .int8 {
            for id in 0..<100 {
                let codes = g.code(UInt32(id)).codes
                let sum = (0..<Self.dimension).reduce(Int32(0)) { $0 + Int32(codes[$1]) }
                let stored = (g.level0 + id * g.recordBytes + g.vectorOffsetBytes).load(fromByteOffset: 8, as: Int32.self)
                #expect(stored == sum, "node \(id): code sum \(stored), expected \(sum)")
            }
        }
    }

    @Test func corruptSnapshotsThrowCorruption() throws {
        let (index, _) = try Self.build(count: 200)
        let bytes = index.serialize()
        for position in [0, 9, 40, bytes.count / 2, bytes.count - 1] {
            var damaged = bytes
            damaged[position] ^= 0x5A
            #expect(throws: VireoError.self, "flipping byte \(position) was not detected") {
                _ = try HNSWIndex(deserializing: damaged)
            }
        }
        #expect(throws: VireoError.self) { _ = try HNSWIndex(deserializing: Array(bytes.prefix(100))) }
    }

    @Test func integrityCheckFindsBrokenLinks() throws {
        let (index, _) = try Self.build(count: 300)
        #expect(index.integrityProblems() == [])
        let list = index.graph.linkList(5, level: 0)
        list[1] = 5
        let problems = index.integrityProblems()
        #expect(problems.contains { $0.contains("itself") }, "expected a self-link problem, got \(problems)")
    }

    @Test func searchesRunWhileInsertsAreUnderWay() throws {
        let dimension = Self.dimension
        let data = TestData.clustered(count: 3000, dimension: dimension, clusters: 10, seed: 5)
        let index = try HNSWIndex(dimension: dimension, metric: .l2, m: 8, efConstruction: 40, initialCapacity: 16)
        try index.insert(labels: (0..<500).map(Int64.init), vectors: Array(data[0..<500 * dimension]))
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            if worker == 0 {
                for i in 500..<3000 { try? index.insert(label: Int64(i), vector: TestData.row(data, i, dimension)) }
            } else {
                for q in 0..<400 {
                    let row = (q * 7 + worker) % 500
                    let found = (try? index.search(TestData.row(data, row, dimension), k: 5, efSearch: 100)) ?? []
                    if found.count != 5 || found[0].label != Int64(row) { failures.add() }
                }
            }
        }
        // The point is safety (no crash, no lost row, a sound graph); recall is only a sanity check.
        #expect(failures.value <= 24, "searches that missed their own row: \(failures.value) of 800")
        #expect(index.count == 3000, "expected 3000 rows, got \(index.count)")
        // Pruning never drops a node's last level-0 in-link, but a group of nodes can still
        // end up linked only from one another: the repair links it back.
        index.repairReachability()
        #expect(index.integrityProblems() == [], "integrity: \(index.integrityProblems())")
    }

    @Test func badInputThrowsAndChangesNothing() throws {
        let index = try HNSWIndex(dimension: 4, metric: .l2)
        #expect(throws: VireoError.self) { try index.insert(label: 1, vector: [1, 2, 3]) }
        #expect(throws: VireoError.self) { try index.insert(label: 1, vector: [1, .nan, 3, 4]) }
        #expect(throws: VireoError.self) { try index.search([1, 2], k: 1) }
        #expect(throws: VireoError.self) { try index.search([1, 2, 3, 4], k: 1, efSearch: 1_000_000) }
        #expect(throws: VireoError.self) { _ = try HNSWIndex(dimension: 0, metric: .l2) }
        #expect(index.count == 0)
        #expect(try index.search([1, 2, 3, 4], k: 3).isEmpty)
    }
}

/// A thread-safe tally for worker threads.
final class Counter: @unchecked Sendable {
    private let lock = ReadWriteLock()
    private var count = 0
    func add() { lock.withWriteLock { count += 1 } }
    var value: Int { lock.withReadLock { count } }
}
