import Foundation
import Testing
@testable import VireoQuery
import VireoIndex
import VireoStorage

@Suite("vireo check: vector indexes against their tables")
struct VectorIndexCheckTests {
    /// A table of `rows` 4-d vectors (every fifth NULL) with an HNSW index, after updates and
    /// deletes that go through the index's change tree.
    func makeDatabase(rows: Int) throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE items (id int PRIMARY KEY, embedding vector(4))")
        for id in 1...rows {
            let vector = id % 5 == 0 ? "NULL" : "'[\(id),\(id % 7),\(id % 3),1]'"
            try db.execute("INSERT INTO items VALUES (\(id), \(vector))")
        }
        try db.execute("CREATE INDEX items_embedding ON items USING hnsw (embedding vector_l2_ops)")
        try db.execute("DELETE FROM items WHERE id % 11 = 0")
        try db.execute("UPDATE items SET embedding = NULL WHERE id % 13 = 0")
        try db.execute("UPDATE items SET embedding = '[0,0,0,1]' WHERE id = 5")
        return db
    }

    @Test("a sound index: its vectors are the table's rows with a vector, no problems")
    func soundIndex() throws {
        let db = try makeDatabase(rows: 200)
        let reports = try db.checkVectorIndexes()
        let withVector = try db.query("SELECT count(*) FROM items WHERE embedding IS NOT NULL").rows[0][0]
        #expect(reports.count == 1)
        #expect(reports.first?.name == "items_embedding" && reports.first?.table == "items")
        #expect(reports.first.map { Value.int(Int64($0.vectorCount)) } == withVector)
        #expect(reports.first?.problems == [])
    }

    @Test("an index that lost a row or holds one the table does not is reported")
    func disagreementsFound() throws {
        let db = try makeDatabase(rows: 100)
        let index = try db.vectorIndex("items_embedding")
        #expect(index.remove(label: 2))
        var problems = try db.checkVectorIndexes().flatMap(\.problems)
        #expect(problems.contains { $0.contains("1 rows with a vector are not in the index, first row ids [2]") }, "\(problems)")
        try index.insert(label: 2, vector: [2, 2, 2, 1])
        try index.insert(label: 10_000, vector: [9, 9, 9, 1])
        problems = try db.checkVectorIndexes().flatMap(\.problems)
        #expect(problems.count == 1 && problems[0].contains("holds"), "\(problems)")
    }
}
