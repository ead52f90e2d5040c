import Foundation
import Testing
import VireoStorage
@testable import VireoIndex

/// The rows of a real table, read at a fresh snapshot per call, as the benchmark does.
private struct StoreRows: VectorSource {
    let store: Store
    let table: TableDefinition
    let domain: UInt64?

    init(_ store: Store, _ table: TableDefinition) throws {
        self.store = store
        self.table = table
        domain = try store.read { TableVectorSource(rows: $0, table: table, column: 1).locatorDomain }
    }

    var locatorDomain: UInt64? { domain }

    func readVectors(_ labels: UnsafeBufferPointer<Int64>, dimension: Int,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        try store.read { try TableVectorSource(rows: $0, table: table, column: 1).readVectors(labels, dimension: dimension, into: destination, found: found) }
    }

    func readVectors(_ labels: UnsafeBufferPointer<Int64>, locators: UnsafeMutablePointer<RowLocator>, dimension: Int,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        try store.read {
            try TableVectorSource(rows: $0, table: table, column: 1)
                .readVectors(labels, locators: locators, dimension: dimension, into: destination, found: found)
        }
    }
}

/// An int8 index re-ranking from a table's pages through row locators
/// (`RowLocatorTable`): the same answers as brute force over the rows as they are now,
/// whatever happened to the rows since the locators were learned.
@Suite("HNSW row locators")
struct HNSWRowLocatorTests {
    static let dimension = 32

    static func withStore(_ body: (Store, String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hnsw-locators-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store.open(path: directory + "/rows.vireo")
        try body(store, directory)
        try store.close()
    }

    static func rows(_ store: Store, _ data: [Float]) throws -> TableDefinition {
        try store.write { t in
            try t.createTable(TableDefinition(name: "items", columns: [
                ColumnDefinition(name: "id", type: .int, notNull: true),
                ColumnDefinition(name: "embedding", type: .vector(dimension: dimension)),
            ], rowIDColumn: 0))
            for i in 0..<data.count / dimension { _ = try t.insert(into: "items", row: [.int(Int64(i)), .vector(TestData.row(data, i, dimension))]) }
        }
        return try store.catalog.table("items")
    }

    /// `count` clustered rows in a table of `store`, and an int8 index over them that
    /// re-ranks from the table.
    static func indexedRows(_ store: Store, count: Int, clusters: Int, seed: UInt64) throws -> (HNSWIndex, [Float]) {
        let data = TestData.clustered(count: count, dimension: dimension, clusters: clusters, seed: seed)
        let table = try rows(store, data)
        let index = try HNSWIndex(dimension: dimension, metric: .l2, m: 8, efConstruction: 64, seed: seed, quantization: .int8)
        try index.insert(labels: (0..<count).map(Int64.init), vectors: data, threads: 1)
        index.vectorSource = try StoreRows(store, table)
        return (index, data)
    }

    /// Every query's top 10 over all nodes, checked against brute force over `vectors`.
    static func expectExact(_ index: HNSWIndex, _ queries: [[Float]], _ vectors: [Int64: [Float]], _ note: String) throws {
        let labels = vectors.keys.sorted()
        let flat = labels.flatMap { vectors[$0]! }
        for (q, query) in queries.enumerated() {
            let found = try index.search(query, k: 10, efSearch: 400, rerankCount: 400)
            let expected = TestData.bruteForce(query, flat, dimension: dimension, k: 10, metric: .l2).map { labels[Int($0.label)] }
            #expect(found.map(\.label) == expected, "\(note), query \(q): expected \(expected), got \(found.map(\.label))")
        }
    }

    @Test("locators are learned and used, and stay right after updates, deletes, splits and a rebuild")
    func locatorsFollowTheRows() throws {
        try Self.withStore { store, _ in
            let count = 400
            let (index, data) = try Self.indexedRows(store, count: count, clusters: 10, seed: 9)
            var vectors: [Int64: [Float]] = [:]
            for i in 0..<count { vectors[Int64(i)] = TestData.row(data, i, Self.dimension) }
            let queries = (0..<8).map { TestData.row(TestData.clustered(count: 8, dimension: Self.dimension, clusters: 4, seed: 31), $0, Self.dimension) }

            #expect(index.rowLocators.memoryBytes == 0)
            try Self.expectExact(index, queries, vectors, "cold")
            #expect(index.rowLocators.memoryBytes > 0, "the re-ranked nodes got locators")
            try Self.expectExact(index, queries, vectors, "through locators")

            // The table changes behind the index's back: rows updated (one onto the query)
            // and deleted, and rows the index does not hold added after them.
            try store.write { t in
                for id in stride(from: 0, to: count, by: 7) {
                    let moved = TestData.row(data, (id * 13) % count, Self.dimension).map { $0 + 0.5 }
                    _ = try t.update("items", rowID: Int64(id), to: [.int(Int64(id)), .vector(moved)])
                    vectors[Int64(id)] = moved
                }
                _ = try t.update("items", rowID: 5, to: [.int(5), .vector(queries[0])])
                vectors[5] = queries[0]
                for id in stride(from: 3, to: count, by: 11) where vectors[Int64(id)] != nil && id != 5 {
                    _ = try t.delete(from: "items", rowID: Int64(id))
                    vectors[Int64(id)] = nil
                }
                for id in 0..<2_000 { _ = try t.insert(into: "items", row: [.int(Int64(10_000 + id)), .vector(TestData.row(data, id % count, Self.dimension))]) }
            }
            let found = try index.search(queries[0], k: 10, efSearch: 400, rerankCount: 400)
            #expect(found.first?.label == 5 && found.first?.distance == 0, "row 5, updated onto the query, first: \(found)")
            try Self.expectExact(index, queries, vectors, "after the changes")

            // A rebuild renumbers the nodes and forgets the locators.
            for label in vectors.keys.sorted().prefix(250) {
                index.remove(label: label)
                vectors[label] = nil
            }
            try Self.expectExact(index, queries, vectors, "after the rebuild")
            #expect(index.integrityProblems() == [])
        }
    }

    @Test("a snapshot round trip keeps no locators and answers the same")
    func snapshotRoundTrip() throws {
        try Self.withStore { store, _ in
            let (index, data) = try Self.indexedRows(store, count: 300, clusters: 10, seed: 4)
            let queries = (0..<6).map { TestData.row(data, $0 * 41, Self.dimension) }
            let before = try queries.map { try index.search($0, k: 10, efSearch: 80) }
            #expect(index.rowLocators.memoryBytes > 0)
            let loaded = try HNSWIndex(deserializing: index.serialize())
            #expect(loaded.serialize() == index.serialize(), "locators are not part of the snapshot")
            #expect(loaded.rowLocators.memoryBytes == 0)
            loaded.vectorSource = index.vectorSource
            let after = try queries.map { try loaded.search($0, k: 10, efSearch: 80) }
            #expect(before.map { $0.map(\.label) } == after.map { $0.map(\.label) })
            #expect(loaded.rowLocators.memoryBytes > 0, "the loaded index learned them again")
        }
    }

    @Test("locators from another store's life are dropped, not used")
    func domainChangeForgetsLocators() throws {
        try Self.withStore { store, directory in
            let (index, data) = try Self.indexedRows(store, count: 200, clusters: 5, seed: 2)
            let query = TestData.row(data, 17, Self.dimension)
            _ = try index.search(query, k: 10, efSearch: 200, rerankCount: 200)
            // A second store holding the same ids with other vectors: its pages, LSNs and
            // row layout are its own.
            let other = try Store.open(path: directory + "/other.vireo")
            let shifted = data.map { $0 * -1 }
            let otherTable = try Self.rows(other, shifted)
            let otherRows = try StoreRows(other, otherTable)
            #expect(otherRows.locatorDomain != index.vectorSource?.locatorDomain)
            let found = try index.search(query, k: 10, efSearch: 200, source: otherRows, rerankCount: 200)
            let expected = TestData.bruteForce(query, shifted, dimension: Self.dimension, k: 10, metric: .l2)
            #expect(found.map(\.label) == expected.map(\.label), "ranked by the other store's rows")
            try other.close()
        }
    }

    /// Two threads search (learning and using locators, pinning pages in batches) while a
    /// third commits updates that move the rows' pages on: every search still gets k rows,
    /// each at its exact distance to some version of its row. Under the thread sanitizer
    /// this is the race check of `RowLocatorTable` and `BufferPool.withCachedPages`.
    @Test("concurrent searches and commits")
    func concurrentSearchesAndCommits() throws {
        try Self.withStore { store, _ in
            let count = 300
            let (index, data) = try Self.indexedRows(store, count: count, clusters: 6, seed: 12)
            // Row i is only ever data[i] or data[i] + 1 in every coordinate.
            let versions = (0..<count).map { i in [TestData.row(data, i, Self.dimension), TestData.row(data, i, Self.dimension).map { $0 + 1 }] }
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 3) { worker in
                do {
                    if worker == 2 {
                        for round in 0..<20 {
                            try store.write { t in
                                for id in stride(from: round % 5, to: count, by: 5) {
                                    _ = try t.update("items", rowID: Int64(id), to: [.int(Int64(id)), .vector(versions[id][(round / 5) % 2])])
                                }
                            }
                        }
                        return
                    }
                    for q in 0..<60 {
                        let query = TestData.row(data, (q * 7 + worker * 13) % count, Self.dimension)
                        let found = try index.search(query, k: 10, efSearch: 60)
                        if found.count != 10 { failures.withLock { $0.append("worker \(worker) query \(q): \(found.count) rows") } }
                        for result in found {
                            let exact = versions[Int(result.label)].map { VectorMetric.l2.distance(query, $0) }
                            if !exact.contains(where: { abs($0 - result.distance) <= 1e-3 * max(1, $0) }) {
                                failures.withLock { $0.append("worker \(worker) query \(q) label \(result.label): \(result.distance) is no version's distance \(exact)") }
                            }
                        }
                    }
                } catch {
                    failures.withLock { $0.append("worker \(worker): \(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
        }
    }
}
