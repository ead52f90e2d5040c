import Testing
@testable import VireoStorage

@Suite("B+tree batched lookups")
struct BTreeBatchTests {
    /// A batch of row ids, in any order, with duplicates and missing ones, finds exactly the
    /// rows one-at-a-time lookups find, on a tree several levels deep.
    @Test("withRows finds what withRow finds, for every id in any order")
    func batchedLookupsAgreeWithSingleOnes() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/batch.vireo", options: testOptions(backend))
            let definition = TableDefinition(name: "t", columns: [
                ColumnDefinition(name: "id", type: .int, notNull: true), ColumnDefinition(name: "v", type: .vector(dimension: 64)),
            ], rowIDColumn: 0)
            try store.write { try $0.createTable(definition) }
            // Every third id from 0 to 6,000: about 350 rows of 300 bytes each per leaf… and interior levels above.
            try store.write { transaction in
                for id in stride(from: 0, to: 6_000, by: 3) {
                    try transaction.insert(into: "t", row: [.int(Int64(id)), .vector((0..<64).map { Float(id) + Float($0) })])
                }
            }
            let table = try store.catalog.table("t")
            var random = CodecTestRandom(seed: 17)
            try store.read { snapshot in
                for round in 0..<20 {
                    let ids = (0..<Int.random(in: 1..<80, using: &random)).map { _ in Int64.random(in: -5..<6_010, using: &random) }
                    var batched = [Float?](repeating: nil, count: ids.count)
                    try snapshot.withRows(table, rowIDs: ids) { i, record in
                        #expect(batched[i] == nil, "round \(round): row \(ids[i]) reported twice")
                        batched[i] = try record.withVector(at: 1) { $0[0] } ?? -1
                    }
                    let single = try ids.map { id in try snapshot.withRow(table, rowID: id) { try $0.withVector(at: 1) { $0[0] } ?? -1 } }
                    #expect(batched == single, "round \(round): ids \(ids)\nbatched \(batched)\nsingle \(single)")
                }
            }
            try store.close()
        }
    }
}
