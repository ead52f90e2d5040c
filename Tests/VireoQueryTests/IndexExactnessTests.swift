import Testing
import VireoIndex
@testable import VireoQuery
import VireoStorage

/// A vector scan returns the labels it found without looking each up in the statement's
/// snapshot only while `IndexExactness` says the index holds exactly that snapshot's rows.
@Suite("Vector scans trust the index only when it holds the snapshot's rows")
struct IndexExactnessTests {
    @Test("a stamp needs an exact index, no commit in flight and a snapshot as new as the last change")
    func stampRules() throws {
        let exactness = IndexExactness()
        let index = try HNSWIndex(dimension: 2, metric: .l2, m: 8, efConstruction: 16)
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10) == nil, "an index never marked exact")
        exactness.markExact("i", index)
        let other = try HNSWIndex(dimension: 2, metric: .l2, m: 8, efConstruction: 16)
        #expect(exactness.stamp(other, named: "i", snapshotVersion: 10) == nil, "another object under the same name")
        let stamp = try #require(exactness.stamp(index, named: "i", snapshotVersion: 10))
        #expect(exactness.holds(stamp))

        exactness.begin()
        #expect(!exactness.holds(stamp), "a commit began during the search")
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10) == nil, "a commit is in flight")
        exactness.applied(version: 12)
        exactness.end()
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 11) == nil, "the snapshot predates the last change")
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 12) != nil)
        exactness.forget("i")
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 12) == nil, "a forgotten index")
    }

    @Test("a caller's memo of an index found exact stops counting once any index is marked or forgotten")
    func memoFollowsMarksAndForgets() throws {
        let exactness = IndexExactness()
        let index = try HNSWIndex(dimension: 2, metric: .l2, m: 8, efConstruction: 16)
        let other = try HNSWIndex(dimension: 2, metric: .l2, m: 8, efConstruction: 16)
        let memo = IndexExactness.Memo()
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) == nil, "an index never marked exact")
        exactness.markExact("i", index)
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) != nil)
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) != nil, "the memo's answer")
        exactness.markExact("i", other)
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) == nil, "another object took the name")
        exactness.markExact("i", index)
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) != nil)
        exactness.forget("i")
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) == nil, "a forgotten index")
        exactness.markExact("i", index)
        exactness.begin()
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) == nil, "a commit is in flight")
        exactness.end()
        #expect(exactness.stamp(index, named: "i", snapshotVersion: 10, memo: memo) != nil)
    }

    private func ids(_ session: Session, _ sql: String) throws -> Set<Int64> {
        Set(try session.execute(sql).rows.map { row in
            guard case .int(let value) = row[0] else { return -1 }
            return value
        })
    }

    private let nearest = "SELECT id FROM items ORDER BY embedding <-> '[0,0]' LIMIT 5"

    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(2));
            INSERT INTO items SELECT i, ('[' || i || ',' || i || ']')::vector FROM generate_series(1, 200) i;
            CREATE INDEX items_embedding ON items USING hnsw (embedding vector_l2_ops);
            """)
        return db
    }

    @Test("after CREATE INDEX commits, and after each later commit, the index is trusted by newer snapshots")
    func committedIndexIsExact() throws {
        let db = try database()
        let index = try db.vectorIndex("items_embedding")
        #expect(db.vectorIndexes.exactness.stamp(index, named: "items_embedding", snapshotVersion: .max) != nil)
        try db.execute("INSERT INTO items VALUES (500, '[0.1,0.1]')")
        #expect(db.vectorIndexes.exactness.stamp(index, named: "items_embedding", snapshotVersion: .max) != nil)
        #expect(try ids(db.session(), nearest) == [500, 1, 2, 3, 4])
    }

    @Test("an older snapshot, a write transaction's own deletes and rows committed later are never returned wrongly")
    func snapshotsSeeTheirOwnRows() throws {
        let db = try database()
        let reader = db.session(), writer = db.session()
        try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(try ids(reader, nearest) == [1, 2, 3, 4, 5])
        try writer.execute("INSERT INTO items VALUES (0, '[0,0]')")
        #expect(try !ids(reader, nearest).contains(0), "a row committed after the reader's snapshot")
        try reader.execute("COMMIT")
        #expect(try ids(reader, nearest) == [0, 1, 2, 3, 4])

        try writer.execute("BEGIN")
        try writer.execute("DELETE FROM items WHERE id IN (0, 1)")
        #expect(try ids(writer, nearest) == [2, 3, 4, 5, 6], "the transaction's own deletes")
        #expect(try ids(reader, nearest) == [0, 1, 2, 3, 4], "deletes not yet committed")
        try writer.execute("COMMIT")
        #expect(try ids(reader, nearest) == [2, 3, 4, 5, 6])
    }

    @Test("an index built by a transaction not yet committed is not trusted, and is once it commits")
    func uncommittedBuildIsNotExact() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(2))")
        let builder = db.session()
        try builder.execute("BEGIN")
        try builder.execute("INSERT INTO items VALUES (1, '[1,1]'), (2, '[2,2]')")
        try builder.execute("CREATE INDEX items_embedding ON items USING hnsw (embedding vector_l2_ops)")
        let built = try #require(db.vectorIndexes.loadedIndex("items_embedding"))
        #expect(db.vectorIndexes.exactness.stamp(built, named: "items_embedding", snapshotVersion: .max) == nil)
        try builder.execute("COMMIT")
        #expect(db.vectorIndexes.exactness.stamp(built, named: "items_embedding", snapshotVersion: .max) != nil)
        #expect(try ids(db.session(), nearest) == [1, 2])
    }
}
