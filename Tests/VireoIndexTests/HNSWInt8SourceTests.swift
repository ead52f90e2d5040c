import CVireoSupport
import Testing
import VireoStorage
@testable import VireoIndex

/// Vectors a test can change or delete behind the index's back, as rows change in a table
/// before the index hears of the commit.
final class MutableVectorSource: VectorSource, @unchecked Sendable {
    private let vectors: Locked<[Int64: [Float]]>

    init(_ data: [Float], dimension: Int) {
        var rows: [Int64: [Float]] = [:]
        for i in 0..<data.count / dimension { rows[Int64(i)] = TestData.row(data, i, dimension) }
        vectors = Locked(rows)
    }

    func set(_ label: Int64, _ vector: [Float]?) { vectors.withLock { $0[label] = vector } }
    func vector(_ label: Int64) -> [Float]? { vectors.withLock { $0[label] } }

    func readVectors(_ labels: UnsafeBufferPointer<Int64>, dimension: Int,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        for (i, label) in labels.enumerated() {
            let vector = vector(label)
            found[i] = vector != nil
            if let vector { (destination + i * dimension).update(from: vector, count: dimension) }
        }
    }
}

struct HNSWInt8SourceTests {
    static let dimension = 32

    static func build(count: Int, metric: VectorMetric = .l2) throws -> (HNSWIndex, [Float]) {
        let data = TestData.clustered(count: count, dimension: dimension, clusters: 10, seed: 5)
        let index = try HNSWIndex(dimension: dimension, metric: metric, m: 8, efConstruction: 64, seed: 5, quantization: .int8)
        try index.insert(labels: (0..<count).map(Int64.init), vectors: data, threads: 1)
        return (index, data)
    }

    /// With ef covering every node, re-ranking from the source must give brute force's
    /// top k and its distances: the codes only choose the candidates.
    @Test(arguments: [VectorMetric.l2, .cosine, .innerProduct])
    func int8IndexWithASourceRanksLikeBruteForceOnASmallSet(metric: VectorMetric) throws {
        let (index, data) = try Self.build(count: 300, metric: metric)
        index.vectorSource = MutableVectorSource(data, dimension: Self.dimension)
        let queries = TestData.clustered(count: 10, dimension: Self.dimension, clusters: 10, seed: 77)
        for q in 0..<10 {
            let query = TestData.row(queries, q, Self.dimension)
            let found = try index.search(query, k: 10, efSearch: 300, rerankCount: 300)
            let expected = TestData.bruteForce(query, data, dimension: Self.dimension, k: 10, metric: metric)
            #expect(found.map(\.label) == expected.map(\.label), "\(metric) query \(q): expected \(expected.map(\.label)), got \(found.map(\.label))")
            for (got, want) in zip(found, expected) {
                #expect(abs(got.distance - want.distance) <= 1e-4 * max(1, abs(want.distance)),
                        "\(metric) query \(q) label \(got.label): distance \(got.distance), exact \(want.distance)")
            }
        }
        #expect(index.integrityProblems() == [], "integrity: \(index.integrityProblems())")
    }

    /// A row deleted since the index saw it is skipped (and the next candidate taken, so k
    /// rows still come back); a row changed since is ranked by its current vector.
    @Test(arguments: [nil, 10])
    func rerankSkipsDeletedRowsAndUsesCurrentVectors(rerankCount: Int?) throws {
        let (index, data) = try Self.build(count: 400)
        let source = MutableVectorSource(data, dimension: Self.dimension)
        index.vectorSource = source
        let query = TestData.row(data, 10, Self.dimension)
        let before = try index.search(query, k: 10, efSearch: 40, rerankCount: rerankCount)
        #expect(before.first?.label == 10 && before.first?.distance == 0, "row 10 should be its own nearest: \(before)")
        source.set(10, nil)
        let moved = before[1].label
        source.set(moved, query.map { $0 + 100 })
        let after = try index.search(query, k: 10, efSearch: 40, rerankCount: rerankCount)
        #expect(after.count == 10, "expected 10 rows with one deleted, got \(after.count)")
        #expect(!after.contains { $0.label == 10 }, "the deleted row 10 was returned: \(after)")
        #expect(!after.contains { $0.label == moved }, "row \(moved), moved far away, was still ranked near: \(after)")
        for result in after {
            let exact = VectorMetric.l2.distance(query, try #require(source.vector(result.label)))
            #expect(abs(result.distance - exact) <= 1e-4 * max(1, exact), "label \(result.label): \(result.distance), current \(exact)")
        }
    }

    /// Version 3 snapshots of an int8 index hold codes but no floats; a version 2 snapshot,
    /// which carried a float copy of every vector, still loads (the floats are dropped).
    @Test func int8SnapshotsHoldNoFloatsAndVersion2SnapshotsStillLoad() throws {
        let (index, data) = try Self.build(count: 200)
        let bytes = index.serialize()
        let n = 200, packed = index.graph.packedRecordBytes
        let upper = (0..<n).reduce(0) { $0 + Int(index.graph.levels[$1]) * (1 + index.m) * 4 }
        #expect(bytes.count == 64 + n * (8 + 4 + 4 + packed) + upper + 4, "an int8 snapshot of \(bytes.count) bytes holds more than codes")
        var old = Array(bytes[0..<bytes.count - 4])
        old.replaceSubrange(8..<12, with: [2, 0, 0, 0])
        let floatsAt = 64 + n * (8 + 4 + 4 + packed)
        data.withUnsafeBytes { old.insert(contentsOf: $0, at: floatsAt) }
        let crc = old.withUnsafeBytes { vireo_crc32c(0, $0.baseAddress, $0.count) }
        withUnsafeBytes(of: crc.littleEndian) { old.append(contentsOf: $0) }
        let loaded = try HNSWIndex(deserializing: old)
        #expect(loaded.serialize() == bytes, "a version 2 snapshot did not load as the same index")
        loaded.vectorSource = MutableVectorSource(data, dimension: Self.dimension)
        index.vectorSource = loaded.vectorSource
        for q in 0..<10 {
            let query = TestData.row(data, q * 17, Self.dimension)
            let a = try index.search(query, k: 5).map(\.label), b = try loaded.search(query, k: 5).map(\.label)
            #expect(a == b, "query \(q): original \(a), loaded from version 2 \(b)")
        }
        #expect(loaded.integrityProblems() == [], "integrity: \(loaded.integrityProblems())")
    }

    /// Deleting past the rebuild threshold rebuilds an int8 graph from its codes alone.
    @Test func manyDeletesRebuildAnInt8IndexFromItsCodes() throws {
        let (index, data) = try Self.build(count: 600)
        index.vectorSource = MutableVectorSource(data, dimension: Self.dimension)
        for label in 0..<300 { index.remove(label: Int64(label)) }
        #expect(index.tombstoneCount < 151, "expected a rebuild, tombstones \(index.tombstoneCount)")
        let found = try index.search(TestData.row(data, 450, Self.dimension), k: 5)
        #expect(found.first?.label == 450 && found.first?.distance == 0, "expected row 450 first at distance 0, got \(found)")
        #expect(found.allSatisfy { $0.label >= 300 }, "deleted rows returned: \(found)")
        #expect(index.integrityProblems() == [], "integrity: \(index.integrityProblems())")
    }
}
