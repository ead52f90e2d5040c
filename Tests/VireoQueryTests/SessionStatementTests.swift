import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// PREPARE / EXECUTE / DEALLOCATE, LOCK TABLE, GRANT / REVOKE and RENAME CONSTRAINT, with
/// PostgreSQL's errors.
@Suite("PREPARE, LOCK, GRANT and RENAME CONSTRAINT")
struct SessionStatementTests {
    @Test("PREPARE keeps a statement per session; EXECUTE casts its arguments to the declared types and answers its tag")
    func prepareAndExecute() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE items (id int PRIMARY KEY, label text, price numeric)")
        #expect(try session.execute("PREPARE add (int, text, numeric) AS INSERT INTO items VALUES ($1, $2, $3)").commandTag == "PREPARE")
        #expect(try session.execute("EXECUTE add (1, 'one', 1.5)").commandTag == "INSERT 0 1")
        try session.execute("EXECUTE add ('2', 'two', '2.25')")
        try session.execute("PREPARE cheap AS SELECT label FROM items WHERE price < $1 ORDER BY id")
        for _ in 0..<3 { #expect(try rows(session, "EXECUTE cheap (2)") == [["one"]]) }
        #expect(try rows(session, "EXECUTE cheap (10)") == [["one"], ["two"]])
        try session.execute("PREPARE bump (int) AS UPDATE items SET price = price + 1 WHERE id = $1 RETURNING price")
        #expect(try rows(session, "EXECUTE bump (1)") == [["2.5"]])
        #expect(sqlError(db.session(), "EXECUTE cheap (2)")?.sqlState == "26000", "prepared statements are the session's")
        let listed = try rows(session, "SELECT name, parameter_types, from_sql, statement LIKE 'PREPARE add%' FROM pg_prepared_statements ORDER BY name")
        #expect(listed == [["add", "{integer,text,numeric}", "t", "t"], ["bump", "{integer}", "t", "f"], ["cheap", "{unknown}", "t", "f"]])
    }

    @Test("PREPARE and EXECUTE fail as PostgreSQL does: 42P05, 26000, 42601 with the counts, 22P02, 42P01 at PREPARE")
    func errors() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE t (a int); PREPARE p (int) AS SELECT a FROM t WHERE a = $1")
        #expect(sqlError(session, "PREPARE p AS SELECT 1")?.sqlState == "42P05")
        let unknown = try #require(sqlError(session, "EXECUTE nope"))
        #expect(unknown.sqlState == "26000" && unknown.message == "prepared statement \"nope\" does not exist")
        let count = try #require(sqlError(session, "EXECUTE p (1, 2)"))
        #expect(count.sqlState == "42601" && count.message == "wrong number of parameters for prepared statement \"p\"")
        #expect(count.detail == "Expected 1 parameters but got 2.")
        #expect(sqlError(session, "EXECUTE p ('x')")?.sqlState == "22P02")
        #expect(sqlError(session, "PREPARE q AS SELECT * FROM missing")?.sqlState == "42P01")
        #expect(sqlError(session, "PREPARE q AS CREATE TABLE x (a int)")?.sqlState == "42601")
        #expect(sqlError(session, "DEALLOCATE nope")?.sqlState == "26000")
        #expect(try session.execute("DEALLOCATE PREPARE p").commandTag == "DEALLOCATE")
        try session.execute("PREPARE p AS SELECT 1; PREPARE q AS SELECT 2")
        #expect(try session.execute("DEALLOCATE ALL").commandTag == "DEALLOCATE ALL")
        #expect(try rows(session, "SELECT count(*) FROM pg_prepared_statements") == [["0"]])
        try session.execute("PREPARE prepare AS SELECT 1")
        #expect(try session.execute("DEALLOCATE prepare").commandTag == "DEALLOCATE", "a statement may be named prepare")
        try session.execute("PREPARE p AS SELECT 1; DISCARD ALL")
        #expect(sqlError(session, "EXECUTE p")?.sqlState == "26000")
    }

    @Test("a client's named statement and PREPARE share one namespace")
    func protocolStatements() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.notePreparedStatement(name: "s1", statement: try Parser.parseStatement("SELECT $1::int + 1"),
                                          text: "SELECT $1::int + 1", parameterTypes: ["int4"])
        #expect(sqlError(session, "PREPARE s1 AS SELECT 1")?.sqlState == "42P05")
        #expect(try rows(session, "EXECUTE s1 (41)") == [["42"]])
        #expect(try rows(session, "SELECT name, from_sql, parameter_types FROM pg_prepared_statements") == [["s1", "f", "{int4}"]])
        try session.execute("PREPARE s2 AS SELECT 2")
        #expect(throws: VireoError.self) {
            try session.notePreparedStatement(name: "s2", statement: nil, text: "", parameterTypes: [])
        }
        #expect(session.forgetPreparedStatement("s1"))
        #expect(!session.forgetPreparedStatement("s1"))
    }

    @Test("LOCK needs a transaction block (25P01); conflicting modes wait until COMMIT, NOWAIT fails with 55P03")
    func lockTable() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
        let holder = db.session(), other = db.session()
        let outside = try #require(sqlError(holder, "LOCK TABLE t"))
        #expect(outside.sqlState == "25P01" && outside.message == "LOCK TABLE can only be used in transaction blocks")
        #expect(sqlError(holder, "BEGIN; LOCK missing")?.sqlState == "42P01")
        try holder.execute("ROLLBACK; BEGIN; LOCK TABLE t IN SHARE MODE")
        try other.execute("BEGIN; LOCK t IN ROW SHARE MODE NOWAIT; LOCK t IN SHARE MODE NOWAIT; COMMIT")
        let refused = try #require(sqlError(other, "BEGIN; LOCK t IN ROW EXCLUSIVE MODE NOWAIT"))
        #expect(refused.sqlState == "55P03" && refused.message == "could not obtain lock on relation \"t\"")
        try other.execute("ROLLBACK")
        #expect(try rows(other, "SELECT a FROM t") == [["1"]], "SHARE lets others read")
        try other.execute("SET lock_timeout = 50")
        #expect(sqlError(other, "INSERT INTO t VALUES (2)")?.sqlState == "55P03", "SHARE blocks others' writes")
        try other.execute("PREPARE add AS INSERT INTO t VALUES ($1)")
        #expect(sqlError(other, "EXECUTE add (2)")?.sqlState == "55P03", "also through a prepared statement")
        try holder.execute("COMMIT")
        try other.execute("INSERT INTO t VALUES (2)")
        try holder.execute("BEGIN; LOCK t")
        #expect(sqlError(other, "SELECT a FROM t")?.sqlState == "55P03", "ACCESS EXCLUSIVE blocks reads too")
        try holder.execute("INSERT INTO t VALUES (3)")
        try holder.execute("ROLLBACK")
        #expect(try rows(other, "SELECT count(*) FROM t") == [["2"]])
        // A session holds every mode it took: SHARE then ROW EXCLUSIVE conflicts with both.
        try holder.execute("BEGIN; LOCK t IN SHARE MODE; LOCK t IN ROW EXCLUSIVE MODE")
        #expect(sqlError(other, "BEGIN; LOCK t IN SHARE MODE NOWAIT")?.sqlState == "55P03", "the ROW EXCLUSIVE held too")
        try other.execute("ROLLBACK")
        #expect(sqlError(other, "BEGIN; LOCK t IN ROW EXCLUSIVE MODE NOWAIT")?.sqlState == "55P03", "the SHARE held too")
        try other.execute("ROLLBACK")
        try holder.execute("COMMIT")
    }

    @Test("a write waiting for a LOCK goes on at the holder's COMMIT, and a cancel ends the wait with 57014")
    func lockWaits() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int)")
        let holder = db.session(), writer = db.session()
        try holder.execute("BEGIN; LOCK t IN EXCLUSIVE MODE")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Error?
        Thread.detachNewThread {
            do { try writer.execute("INSERT INTO t VALUES (1)") } catch { outcome = error }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut, "the INSERT waits for the lock")
        try holder.execute("COMMIT")
        done.wait()
        #expect(outcome == nil)
        #expect(try rows(holder, "SELECT count(*) FROM t") == [["1"]])
        try holder.execute("BEGIN; LOCK t")
        try writer.execute("BEGIN")
        Thread.detachNewThread {
            do { try writer.execute("LOCK t IN ACCESS SHARE MODE") } catch { outcome = error }
            done.signal()
        }
        // A cancel that arrives before the request starts is dropped: send it until the wait ends.
        while done.wait(timeout: .now() + 0.01) == .timedOut { writer.cancel() }
        #expect((outcome as? VireoError)?.sqlState == "57014")
        try holder.execute("COMMIT")
    }

    @Test("two sessions waiting for each other's table locks: one gets 40P01")
    func deadlock() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE a (x int); CREATE TABLE b (x int)")
        let first = db.session(), second = db.session()
        try first.execute("BEGIN; LOCK a")
        try second.execute("BEGIN; LOCK b")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var firstOutcome: Error?
        Thread.detachNewThread {
            do { try first.execute("LOCK b") } catch { firstOutcome = error }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.1) == .timedOut)
        let deadlock = try #require(sqlError(second, "LOCK a"))
        #expect(deadlock.sqlState == "40P01")
        #expect(deadlock.detail?.contains("waits for AccessExclusiveLock on relation \"a\"") == true, "\(String(describing: deadlock.detail))")
        try second.execute("ROLLBACK")
        done.wait()
        #expect(firstOutcome == nil, "the other one gets its lock once the victim rolls back")
        try first.execute("COMMIT")
    }

    @Test("GRANT and REVOKE check their objects and roles and change nothing; CREATE ROLE is 0A000")
    func grant() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int); CREATE SEQUENCE s; CREATE VIEW v AS SELECT a FROM t")
        #expect(try db.execute("GRANT SELECT, INSERT ON t, v TO PUBLIC").commandTag == "GRANT")
        try db.execute("GRANT ALL PRIVILEGES ON TABLE t TO vireo WITH GRANT OPTION")
        try db.execute("GRANT USAGE, SELECT ON SEQUENCE s TO CURRENT_USER")
        try db.execute("GRANT USAGE ON SCHEMA public TO PUBLIC; GRANT CONNECT ON DATABASE vireo TO PUBLIC")
        try db.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC; GRANT UPDATE (a) ON t TO PUBLIC")
        #expect(try db.execute("REVOKE ALL ON t FROM PUBLIC CASCADE").commandTag == "REVOKE")
        let role = try #require(sqlError(db, "GRANT SELECT ON t TO reporting"))
        #expect(role.sqlState == "42704" && role.message == "role \"reporting\" does not exist")
        #expect(sqlError(db, "GRANT SELECT ON missing TO PUBLIC")?.sqlState == "42P01")
        #expect(sqlError(db, "GRANT USAGE ON SCHEMA nope TO PUBLIC")?.sqlState == "3F000")
        #expect(sqlError(db, "GRANT CONNECT ON DATABASE nope TO PUBLIC")?.sqlState == "3D000")
        #expect(sqlError(db, "GRANT FLY ON t TO PUBLIC")?.sqlState == "42601")
        #expect(sqlError(db, "GRANT USAGE ON SCHEMA pu.blic TO PUBLIC")?.sqlState == "42601", "a schema's name has one part")
        #expect(sqlError(db, "REVOKE ALL ON ALL TABLES IN SCHEMA pu.blic FROM PUBLIC")?.sqlState == "42601")
        let create = try #require(sqlError(db, "CREATE ROLE app LOGIN PASSWORD 'x'"))
        #expect(create.sqlState == "0A000" && create.message.contains("API keys"))
        #expect(sqlError(db, "CREATE USER app")?.sqlState == "0A000")
    }

    @Test("CREATE SCHEMA IF NOT EXISTS of a fixed schema does nothing; a new schema is 0A000; DROP SCHEMA IF EXISTS skips a missing one")
    func schemas() throws {
        let db = try Database.inMemory()
        #expect(try db.execute("CREATE SCHEMA IF NOT EXISTS \"public\"").commandTag == "CREATE SCHEMA")
        try db.execute("CREATE SCHEMA IF NOT EXISTS public AUTHORIZATION vireo")
        #expect(sqlError(db, "CREATE SCHEMA public")?.sqlState == "42P06")
        let new = try #require(sqlError(db, "CREATE SCHEMA app"))
        #expect(new.sqlState == "0A000" && new.message.contains("public"))
        #expect(sqlError(db, "CREATE SCHEMA IF NOT EXISTS app")?.sqlState == "0A000")
        #expect(try db.execute("DROP SCHEMA IF EXISTS app, other CASCADE").commandTag == "DROP SCHEMA")
        #expect(sqlError(db, "DROP SCHEMA app")?.sqlState == "3F000")
        #expect(sqlError(db, "DROP SCHEMA public CASCADE")?.sqlState == "0A000")
        #expect(try rows(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'public'") == [["1"]])
    }

    @Test("RENAME CONSTRAINT renames CHECK, FOREIGN KEY and UNIQUE constraints (42704 unknown, 42710 taken, 0A000 primary key)")
    func renameConstraint() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE parent (id int PRIMARY KEY);
            CREATE TABLE child (id int, parent_id int, code text, CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent,
                                CONSTRAINT code_u UNIQUE (code), CONSTRAINT positive CHECK (id > 0));
            INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1, 'a');
            ALTER TABLE child RENAME CONSTRAINT positive TO id_positive;
            ALTER TABLE child RENAME CONSTRAINT child_parent TO child_parent_fk;
            ALTER TABLE child RENAME CONSTRAINT code_u TO code_unique;
            """)
        #expect(try rows(db, "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'child'::regclass ORDER BY conname")
                == [["child_parent_fk", "f"], ["code_unique", "u"], ["id_positive", "c"]])
        let check = try #require(sqlError(db, "INSERT INTO child VALUES (-1, 1, 'b')"))
        #expect(check.sqlState == "23514" && check.message.contains("id_positive"))
        #expect(sqlError(db, "INSERT INTO child VALUES (2, 1, 'a')")?.sqlState == "23505")
        #expect(sqlError(db, "INSERT INTO child VALUES (2, 9, 'c')")?.message.contains("child_parent_fk") == true)
        let unknown = try #require(sqlError(db, "ALTER TABLE child RENAME CONSTRAINT nope TO x"))
        #expect(unknown.sqlState == "42704" && unknown.message == "constraint \"nope\" for table \"child\" does not exist")
        #expect(sqlError(db, "ALTER TABLE child RENAME CONSTRAINT id_positive TO code_unique")?.sqlState == "42710")
        #expect(sqlError(db, "ALTER TABLE parent RENAME CONSTRAINT parent_pkey TO p")?.sqlState == "0A000")
        try db.execute("ALTER TABLE child DROP CONSTRAINT code_unique")
        #expect(try rows(db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'child'") == [["0"]])
    }
}
