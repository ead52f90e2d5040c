import Testing
@testable import VireoQuery
import VireoStorage

/// A prepared INSERT keeps its plan (PlanCache) while the schema is the one it was made
/// for: every execution must still insert what an unprepared statement would.
@Suite("Prepared INSERT: the plan is kept per schema version")
struct PreparedInsertTests {
    private func prepared(_ sql: String) throws -> (Statement, PlanCache) {
        (try Parser.parseStatement(sql), PlanCache())
    }

    @Test("each execution inserts its own parameters, with defaults, serials, casts and RETURNING")
    func executionsUseTheirParameters() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id serial PRIMARY KEY, name text NOT NULL, score real DEFAULT 1.5, tag varchar(3))")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (name, tag) VALUES ($1, $2) RETURNING id, score")
        for i in 1...5 {
            let result = try session.execute(statement, [.text("n\(i)"), .text("t\(i)")], planCache: cache)
            #expect(result.rows == [[.int(Int64(i)), .double(1.5)]])
        }
        #expect(throws: VireoError.self) { try session.execute(statement, [.text("x"), .text("toolong")], planCache: cache) }
        #expect(throws: VireoError.self) { try session.execute(statement, [.null, .text("t")], planCache: cache) }
        #expect(try session.execute("SELECT count(*), min(name), max(tag) FROM t").rows == [[.int(5), .text("n1"), .text("t5")]])
    }

    @Test("a schema change between executions is seen: a new column's default fills the next row")
    func followsSchemaChanges() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (id, a) VALUES ($1, $2)")
        try session.execute(statement, [.int(1), .int(10)], planCache: cache)
        try db.execute("ALTER TABLE t ADD COLUMN b int DEFAULT 7")
        try session.execute(statement, [.int(2), .int(20)], planCache: cache)
        try db.execute("ALTER TABLE t DROP COLUMN a")
        #expect(throws: VireoError.self) { try session.execute(statement, [.int(3), .int(30)], planCache: cache) }
        #expect(try db.execute("SELECT id, b FROM t ORDER BY id").rows == [[.int(1), .int(7)], [.int(2), .int(7)]])
    }

    @Test("a plan made for a schema that was rolled back is not taken for another session's schema change")
    func rolledBackSchemaIsNotReused() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (id) VALUES ($1)")
        try session.execute("BEGIN; ALTER TABLE t ADD COLUMN x int DEFAULT 5")
        try session.execute(statement, [.int(1)], planCache: cache)
        try session.execute("ROLLBACK")
        // Another session changes the schema from the same base, as the rolled-back block did.
        try db.session().execute("ALTER TABLE t ADD COLUMN y int DEFAULT 9")
        try session.execute(statement, [.int(2)], planCache: cache)
        #expect(try db.execute("SELECT id, y FROM t").rows == [[.int(2), .int(9)]])
    }

    @Test("ON CONFLICT and a subquery in VALUES answer as the unprepared statement")
    func conflictsAndSubqueries() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, n int); CREATE TABLE seen (id int)")
        let session = db.session()
        let (upsert, upsertCache) = try prepared("INSERT INTO t VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1")
        for id in [1, 2, 1, 1] { try session.execute(upsert, [.int(Int64(id))], planCache: upsertCache) }
        #expect(try db.execute("SELECT id, n FROM t ORDER BY id").rows == [[.int(1), .int(3)], [.int(2), .int(1)]])
        let (counted, countedCache) = try prepared("INSERT INTO seen VALUES ((SELECT count(*) FROM t) + $1)")
        try session.execute(counted, [.int(0)], planCache: countedCache)
        try db.execute("INSERT INTO t VALUES (3, 1)")
        try session.execute(counted, [.int(0)], planCache: countedCache)
        #expect(try db.execute("SELECT id FROM seen ORDER BY id").rows == [[.int(2)], [.int(3)]])
    }
}
