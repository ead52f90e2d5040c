import Testing
@testable import VireoQuery
import VireoStorage

/// SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE with PostgreSQL's rules (invariants S1–S3
/// of StoreTransaction+Savepoints.swift), alone and with concurrent commits in between.
@Suite("Savepoints")
struct SavepointTests {
    private func ids(_ session: Session, _ sql: String = "SELECT id FROM t ORDER BY id") throws -> [Int64] {
        try session.execute(sql).rows.map { row in
            guard case .int(let value) = row[0] else { return -1 }
            return value
        }
    }

    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        return db
    }

    private func sqlState(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as VireoError { return error.sqlState } catch { return "not a VireoError" }
        return nil
    }

    @Test("an error after a savepoint is rolled back to it and the transaction goes on to commit")
    func errorThenRollbackTo() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN; INSERT INTO t VALUES (1, 'a'); SAVEPOINT s1; INSERT INTO t VALUES (2, 'b')")
        #expect(sqlState { try session.execute("INSERT INTO t VALUES (3, 'c'), (1, 'dup')") } == "23505")
        #expect(sqlState { try session.execute("SELECT 1") } == "25P02", "the block is aborted until ROLLBACK TO")
        #expect(try session.execute("ROLLBACK TO SAVEPOINT s1").commandTag == "ROLLBACK")
        #expect(try ids(session) == [1])
        try session.execute("INSERT INTO t VALUES (4, 'd')")
        #expect(try session.execute("COMMIT").commandTag == "COMMIT")
        #expect(try ids(db.session()) == [1, 4])
    }

    @Test("nested savepoints, repeated names (the newest is meant), RELEASE keeps changes, and a rolled-back-to savepoint stays open")
    func nestingAndNames() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("SAVEPOINT a; INSERT INTO t VALUES (1, 'x')")
        try session.execute("SAVEPOINT b; INSERT INTO t VALUES (2, 'x')")
        try session.execute("SAVEPOINT a; INSERT INTO t VALUES (3, 'x')")
        try session.execute("ROLLBACK TO a")
        #expect(try ids(session) == [1, 2], "the second savepoint a is the one rolled back to")
        try session.execute("INSERT INTO t VALUES (5, 'x'); ROLLBACK TO SAVEPOINT a")
        #expect(try ids(session) == [1, 2], "a stays open after ROLLBACK TO and can be rolled back to again")
        #expect(try session.execute("RELEASE SAVEPOINT b").commandTag == "RELEASE")
        try session.execute("INSERT INTO t VALUES (6, 'x')")
        #expect(sqlState { try session.execute("ROLLBACK TO a2") } == "3B001", "an unknown name aborts the block")
        try session.execute("ROLLBACK TO a")
        #expect(try ids(session) == [], "RELEASE b closed the later a too, so this is the first a")
        try session.execute("INSERT INTO t VALUES (7, 'x'); COMMIT")
        #expect(try ids(db.session()) == [7])
    }

    @Test("outside a block savepoint commands are 25P01; an unknown name is 3B001; RELEASE of it aborts the block")
    func errors() throws {
        let db = try database()
        let session = db.session()
        #expect(sqlState { try session.execute("SAVEPOINT s") } == "25P01")
        #expect(sqlState { try session.execute("ROLLBACK TO SAVEPOINT s") } == "25P01")
        #expect(sqlState { try session.execute("RELEASE s") } == "25P01")
        try session.execute("BEGIN; INSERT INTO t VALUES (1, 'a')")
        #expect(sqlState { try session.execute("RELEASE SAVEPOINT nope") } == "3B001")
        #expect(sqlState { try session.execute("SAVEPOINT s") } == "25P02")
        #expect(try session.execute("COMMIT").commandTag == "ROLLBACK")
        #expect(try ids(session) == [])
    }

    @Test("a savepoint set before the block's first write (its transaction not yet open) rolls back to nothing")
    func savepointBeforeFirstWrite() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN; SAVEPOINT first; INSERT INTO t VALUES (1, 'a'); SAVEPOINT second; INSERT INTO t VALUES (2, 'b')")
        try session.execute("ROLLBACK TO second")
        #expect(try ids(session) == [1])
        try session.execute("ROLLBACK TO first")
        #expect(try ids(session) == [])
        try session.execute("INSERT INTO t VALUES (3, 'c'); COMMIT")
        #expect(try ids(db.session()) == [3])
    }

    @Test("schema changes after a savepoint are undone by ROLLBACK TO; the table before it keeps its rows")
    func schemaChanges() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN; INSERT INTO t VALUES (1, 'a'); SAVEPOINT s")
        try session.execute("CREATE TABLE u (x int); INSERT INTO u VALUES (1); ALTER TABLE t ADD COLUMN w int; DROP TABLE u")
        try session.execute("CREATE TABLE u2 (x int); INSERT INTO t VALUES (2, 'b', 7)")
        try session.execute("ROLLBACK TO s")
        try session.execute("INSERT INTO t VALUES (3, 'c')")
        try session.execute("COMMIT")
        let reader = db.session()
        #expect(try reader.execute("SELECT * FROM t ORDER BY id").columns.map(\.name) == ["id", "v"])
        #expect(try ids(reader) == [1, 3])
        #expect(sqlState { _ = try reader.execute("SELECT * FROM u2") } == "42P01")
    }

    @Test("READ COMMITTED: commits of others between statements keep every savepoint exact (replay in segments, S2)")
    func concurrentCommitsBetweenSavepoints() throws {
        let db = try database()
        let session = db.session(), other = db.session()
        try other.execute("INSERT INTO t VALUES (100, 'other')")
        try session.execute("BEGIN; INSERT INTO t VALUES (1, 'a'); SAVEPOINT s1; UPDATE t SET v = 'mine' WHERE id = 100")
        try other.execute("INSERT INTO t VALUES (101, 'other')")
        try session.execute("INSERT INTO t VALUES (2, 'b'); SAVEPOINT s2; DELETE FROM t WHERE id = 1")
        try other.execute("INSERT INTO t VALUES (102, 'other')")
        #expect(try ids(session) == [2, 100, 101, 102])
        try session.execute("ROLLBACK TO s2")
        #expect(try ids(session) == [1, 2, 100, 101, 102])
        try other.execute("INSERT INTO t VALUES (103, 'other')")
        try session.execute("ROLLBACK TO s1")
        #expect(try ids(session) == [1, 100, 101, 102, 103])
        #expect(try session.execute("SELECT v FROM t WHERE id = 100").rows == [[.text("other")]])
        try session.execute("COMMIT")
        #expect(try ids(db.session()) == [1, 100, 101, 102, 103])
    }

    @Test("a write conflict rolled back to a savepoint before it is forgotten (40001 comes only from rows still written)")
    func conflictUndone() throws {
        let db = try database()
        try db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
        let session = db.session(), other = db.session()
        try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ; UPDATE t SET v = 'mine' WHERE id = 2; SAVEPOINT s; UPDATE t SET v = 'mine' WHERE id = 1")
        try other.execute("UPDATE t SET v = 'theirs' WHERE id = 1")
        try session.execute("ROLLBACK TO s")
        try session.execute("COMMIT")
        #expect(try db.session().execute("SELECT v FROM t ORDER BY id").rows == [[.text("theirs")], [.text("mine")]])
    }

    @Test("savepoints survive the block taking the writer gate after them, and many savepoints in one block")
    func gateAndMany() throws {
        let db = try database()
        let session = db.session(), other = db.session()
        try session.execute("BEGIN")
        for id in 1...40 {
            try session.execute("SAVEPOINT p\(id); INSERT INTO t VALUES (\(id), 'x')")
            if id.isMultiple(of: 10) { try other.execute("INSERT INTO t VALUES (\(1000 + id), 'o')") }
        }
        try session.execute("CREATE TABLE later (x int)")
        try session.execute("ROLLBACK TO p31")
        #expect(try ids(session, "SELECT id FROM t WHERE id < 1000 ORDER BY id") == Array(1...30))
        #expect(sqlState { _ = try session.execute("SELECT count(*) FROM later") } == "42P01", "created after p31")
        try session.execute("ROLLBACK TO p31; CREATE TABLE kept (x int); RELEASE p5; COMMIT")
        #expect(try ids(db.session(), "SELECT count(*) FROM t") == [34])
        #expect(try db.session().execute("SELECT count(*) FROM kept").rows == [[.int(0)]])
    }
}
