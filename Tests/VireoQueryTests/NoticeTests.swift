import Testing
@testable import VireoQuery
import VireoStorage

/// NOTICEs and WARNINGs beside a statement's result, with PostgreSQL 15's texts and
/// SQLSTATEs: what IF [NOT] EXISTS skipped, what DROP … CASCADE took along, transaction
/// commands outside a block; client_min_messages filters them.
@Suite("Notices and warnings")
struct NoticeTests {
    private func notices(_ session: Session, _ sql: String) throws -> [String] {
        try session.execute(sql)
        return session.takeNotices().map { "\($0.severity.rawValue) \($0.sqlState) \($0.message)" }
    }

    @Test("IF EXISTS and IF NOT EXISTS say what they skipped, and only then")
    func skipped() throws {
        let session = try Database.inMemory().session()
        #expect(try notices(session, "CREATE TABLE t (id int, CONSTRAINT positive CHECK (id > 0)); CREATE INDEX t_id ON t (id); CREATE SEQUENCE s; CREATE VIEW v AS SELECT id FROM t; CREATE TYPE mood AS ENUM ('ok')").isEmpty)
        let cases: [(String, String)] = [
            ("DROP TABLE IF EXISTS nope", "NOTICE 00000 table \"nope\" does not exist, skipping"),
            ("DROP INDEX IF EXISTS nope", "NOTICE 00000 index \"nope\" does not exist, skipping"),
            ("DROP VIEW IF EXISTS nope", "NOTICE 00000 view \"nope\" does not exist, skipping"),
            ("DROP MATERIALIZED VIEW IF EXISTS nope", "NOTICE 00000 materialized view \"nope\" does not exist, skipping"),
            ("DROP SEQUENCE IF EXISTS nope", "NOTICE 00000 sequence \"nope\" does not exist, skipping"),
            ("DROP TYPE IF EXISTS nope", "NOTICE 00000 type \"nope\" does not exist, skipping"),
            ("DROP DOMAIN IF EXISTS nope", "NOTICE 00000 type \"nope\" does not exist, skipping"),
            ("DROP SCHEMA IF EXISTS nope", "NOTICE 00000 schema \"nope\" does not exist, skipping"),
            ("DROP FUNCTION IF EXISTS nope", "NOTICE 00000 function nope() does not exist, skipping"),
            // Argument types as PostgreSQL's grammar names them, without modifiers or spaces.
            ("DROP FUNCTION IF EXISTS nope(int, text, double precision, varchar(3), bigint[], vector(2))",
             "NOTICE 00000 function nope(pg_catalog.int4,text,pg_catalog.float8,pg_catalog.varchar,pg_catalog.int8[],vector) does not exist, skipping"),
            ("ALTER TABLE IF EXISTS nope ADD COLUMN x int", "NOTICE 00000 relation \"nope\" does not exist, skipping"),
            ("ALTER SEQUENCE IF EXISTS nope RESTART", "NOTICE 00000 relation \"nope\" does not exist, skipping"),
            ("ALTER INDEX IF EXISTS nope RENAME TO other", "NOTICE 00000 relation \"nope\" does not exist, skipping"),
            ("ALTER TABLE t DROP COLUMN IF EXISTS nope", "NOTICE 00000 column \"nope\" of relation \"t\" does not exist, skipping"),
            ("ALTER TABLE t DROP CONSTRAINT IF EXISTS nope", "NOTICE 00000 constraint \"nope\" of relation \"t\" does not exist, skipping"),
            ("ALTER TABLE t ADD COLUMN IF NOT EXISTS id int", "NOTICE 42701 column \"id\" of relation \"t\" already exists, skipping"),
            ("CREATE TABLE IF NOT EXISTS t (x int)", "NOTICE 42P07 relation \"t\" already exists, skipping"),
            ("CREATE TABLE IF NOT EXISTS v (x int)", "NOTICE 42P07 relation \"v\" already exists, skipping"),
            ("CREATE INDEX IF NOT EXISTS t_id ON t (id)", "NOTICE 42P07 relation \"t_id\" already exists, skipping"),
            ("CREATE SEQUENCE IF NOT EXISTS s", "NOTICE 42P07 relation \"s\" already exists, skipping"),
            ("CREATE SCHEMA IF NOT EXISTS public", "NOTICE 42P06 schema \"public\" already exists, skipping"),
            ("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok'", "NOTICE 42710 enum label \"ok\" already exists, skipping"),
        ]
        for (sql, expected) in cases {
            #expect(try notices(session, sql) == [expected], "\(sql)")
        }
        // Nothing skipped, nothing said; the objects of the first statement are all still there.
        #expect(try notices(session, "ALTER TABLE t ADD COLUMN IF NOT EXISTS y int; ALTER TABLE t DROP COLUMN IF EXISTS y; DROP VIEW IF EXISTS v; DROP INDEX IF EXISTS t_id; DROP SEQUENCE IF EXISTS s; DROP TYPE IF EXISTS mood; DROP TABLE IF EXISTS t").isEmpty)
        #expect(try notices(session, "DROP TABLE IF EXISTS a, b") == ["NOTICE 00000 table \"a\" does not exist, skipping",
                                                                      "NOTICE 00000 table \"b\" does not exist, skipping"])
    }

    @Test("DROP … CASCADE names what went with the object: one line, or a count and the list as detail")
    func cascades() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int, pid int REFERENCES parent (id));
            CREATE VIEW pv AS SELECT id FROM parent; CREATE VIEW pv2 AS SELECT id FROM pv
            """)
        #expect(try notices(session, "DROP VIEW pv2 CASCADE").isEmpty, "nothing depends on pv2")
        #expect(try notices(session, "TRUNCATE parent CASCADE") == ["NOTICE 00000 truncate cascades to table \"child\""])
        try session.execute("DROP TABLE parent CASCADE")
        let notice = try #require(session.takeNotices().first)
        #expect(notice.message == "drop cascades to 2 other objects")
        #expect(notice.detail == "drop cascades to constraint child_pid_fkey on table child\ndrop cascades to view pv")
        try session.execute("CREATE TABLE base (id int); CREATE VIEW bv AS SELECT id FROM base")
        #expect(try notices(session, "DROP TABLE base CASCADE") == ["NOTICE 00000 drop cascades to view bv"])
        try session.execute("CREATE TABLE base (id int); CREATE VIEW bv AS SELECT id FROM base; CREATE VIEW bv2 AS SELECT id FROM bv")
        try session.execute("DROP TABLE base CASCADE")
        #expect(session.takeNotices().first?.detail == "drop cascades to view bv\ndrop cascades to view bv2")
    }

    @Test("transaction commands outside a block warn (25P01), BEGIN inside one warns (25001)")
    func transactionWarnings() throws {
        let session = try Database.inMemory().session()
        #expect(try notices(session, "COMMIT") == ["WARNING 25P01 there is no transaction in progress"])
        #expect(try notices(session, "ROLLBACK") == ["WARNING 25P01 there is no transaction in progress"])
        #expect(try notices(session, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ") == ["WARNING 25P01 SET TRANSACTION can only be used in transaction blocks"])
        #expect(try notices(session, "SET LOCAL work_mem = '1MB'") == ["WARNING 25P01 SET LOCAL can only be used in transaction blocks"])
        #expect(try notices(session, "BEGIN").isEmpty)
        #expect(try notices(session, "BEGIN") == ["WARNING 25001 there is already a transaction in progress"])
        #expect(try notices(session, "SET LOCAL work_mem = '1MB'; SET TRANSACTION READ ONLY; COMMIT").isEmpty)
        // START TRANSACTION is BEGIN under PostgreSQL's own tag.
        #expect(try session.execute("START TRANSACTION ISOLATION LEVEL REPEATABLE READ").commandTag == "START TRANSACTION")
        #expect(try notices(session, "START TRANSACTION") == ["WARNING 25001 there is already a transaction in progress"])
        #expect(try session.execute("COMMIT").commandTag == "COMMIT")
    }

    @Test("client_min_messages: warning keeps warnings only, error keeps none; bad values are 22023 with the list")
    func minimumLevel() throws {
        let session = try Database.inMemory().session()
        try session.execute("SET client_min_messages = warning")
        #expect(try notices(session, "DROP TABLE IF EXISTS nope; COMMIT") == ["WARNING 25P01 there is no transaction in progress"])
        try session.execute("SET client_min_messages TO 'ERROR'")
        #expect(try typedValues(session, "SHOW client_min_messages") == ["error"])
        #expect(try notices(session, "DROP TABLE IF EXISTS nope; COMMIT").isEmpty)
        try session.execute("RESET client_min_messages")
        #expect(try notices(session, "DROP TABLE IF EXISTS nope").count == 1)
        let error = #expect(throws: VireoError.self) { try session.execute("SET client_min_messages = loud") }
        #expect(error?.sqlState == "22023")
        #expect(error?.hint == "Available values: debug5, debug4, debug3, debug2, debug1, log, notice, warning, error.")
    }

    @Test("a request's notices wait until taken, across its statements and a failed one, are taken once, and the next request starts afresh")
    func takenOnce() throws {
        let session = try Database.inMemory().session()
        try session.execute("DROP TABLE IF EXISTS never_taken")
        #expect(throws: VireoError.self) { try session.execute("DROP TABLE IF EXISTS a; DROP TABLE IF EXISTS b; SELECT * FROM missing") }
        #expect(session.takeNotices().map(\.message) == ["table \"a\" does not exist, skipping", "table \"b\" does not exist, skipping"])
        #expect(session.takeNotices().isEmpty)
        #expect(!session.hasNotices)
    }
}
