import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Sequences as PostgreSQL has them: nextval/currval/lastval/setval, CREATE/ALTER/DROP
/// SEQUENCE, the implicit sequence of serial and identity columns, their catalog rows, and
/// their state surviving a crash and not rolling back.
@Suite("Sequences")
struct SequenceObjectTests {
    private func values(_ session: Session, _ sql: String) throws -> [String] {
        try session.execute(sql).rows.map { $0[0].text ?? "NULL" }
    }

    @Test("nextval and setval on a serial column's sequence drive the counter its default uses")
    func serialSequence() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id serial PRIMARY KEY, name text)")
        #expect(try values(session, "SELECT pg_get_serial_sequence('t', 'id')") == ["public.t_id_seq"])
        #expect(try values(session, "SELECT pg_get_serial_sequence('public.t', 'name')") == ["NULL"])
        // An explicit-id load, then the idiom every ORM runs afterwards.
        try session.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (40, 'c')")
        #expect(try values(session, "SELECT setval(pg_get_serial_sequence('t','id'), (SELECT max(id) FROM t))") == ["40"])
        #expect(try values(session, "INSERT INTO t (name) VALUES ('d') RETURNING id") == ["41"])
        #expect(try values(session, "SELECT currval('t_id_seq')") == ["41"], "a default's nextval sets currval, as PostgreSQL's")
        #expect(try values(session, "SELECT nextval('t_id_seq')") == ["42"])
        #expect(try values(session, "SELECT nextval('t_id_seq'::regclass), currval('t_id_seq'), lastval()") == ["43"])
        #expect(try values(session, "SELECT currval('public.t_id_seq')") == ["43"])
        #expect(try values(session, "INSERT INTO t (name) VALUES ('e') RETURNING id") == ["44"])
        #expect(try values(session, "SELECT setval('t_id_seq', 100, false)") == ["100"])
        #expect(try values(session, "INSERT INTO t (name) VALUES ('f') RETURNING id") == ["100"])
        #expect(try values(session, "SELECT nextval('t_id_seq') FROM generate_series(1, 3)") == ["101", "102", "103"])
        #expect(sqlError(session, "SELECT nextval('t')")?.sqlState == "42809")
        #expect(sqlError(session, "SELECT nextval('nope_seq')")?.sqlState == "42P01")
        #expect(sqlError(session, "SELECT setval('t_id_seq', 0)")?.sqlState == "22003")
    }

    @Test("TRUNCATE … RESTART IDENTITY starts the tables' own sequences again (as PostgreSQL 15); a ROLLBACK keeps the restart")
    func truncateRestartsIdentity() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE p (id serial PRIMARY KEY, name text)")
        try session.execute("CREATE TABLE c (id int GENERATED ALWAYS AS IDENTITY (START WITH 10), p int REFERENCES p(id))")
        try session.execute("CREATE SEQUENCE other")
        try session.execute("INSERT INTO p (name) VALUES ('a'), ('b')")
        try session.execute("INSERT INTO c (p) VALUES (1), (2)")
        #expect(try values(session, "SELECT nextval('other')") == ["1"])
        #expect(try values(session, "INSERT INTO p (name) VALUES ('c') RETURNING id") == ["3"])
        // Sequences never roll back in Vireo (nextval's advances do not either): PostgreSQL
        // would give 4 here, Vireo restarts at 1, which the rolled-back rows no longer hold.
        try session.execute("BEGIN")
        try session.execute("TRUNCATE p RESTART IDENTITY CASCADE")
        try session.execute("ROLLBACK")
        #expect(try values(session, "SELECT nextval('p_id_seq')") == ["1"])
        try session.execute("TRUNCATE p, c RESTART IDENTITY")
        #expect(try values(session, "INSERT INTO p (name) VALUES ('d') RETURNING id") == ["1"])
        #expect(try values(session, "INSERT INTO c (p) VALUES (1) RETURNING id") == ["10"])
        #expect(try values(session, "SELECT nextval('other')") == ["2"], "a sequence no truncated column owns continues")
        try session.execute("TRUNCATE p CONTINUE IDENTITY CASCADE")
        #expect(try values(session, "INSERT INTO p (name) VALUES ('e') RETURNING id") == ["2"])
        #expect(try values(session, "INSERT INTO c (p) VALUES (2) RETURNING id") == ["11"])
    }

    @Test("a prepared read of a sequence's state sees each nextval (its plan is not kept)")
    func preparedSequenceRead() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE SEQUENCE s")
        let relation = try Parser.parseStatement("SELECT last_value, is_called FROM s")
        let listed = try Parser.parseStatement("SELECT last_value FROM pg_sequences WHERE sequencename = 's'")
        let inserted = try Parser.parseStatement("INSERT INTO seen SELECT last_value FROM s")
        try session.execute("CREATE TABLE seen (v bigint)")
        let relationCache = PlanCache(), listedCache = PlanCache(), insertCache = PlanCache()
        for expected in 1...3 {
            _ = try session.execute("SELECT nextval('s')")
            let row = try session.execute(relation, [], planCache: relationCache).rows
            #expect(row == [[.int(Int64(expected)), .bool(true)]])
            #expect(try session.execute(listed, [], planCache: listedCache).rows == [[.int(Int64(expected))]])
            _ = try session.execute(inserted, [], planCache: insertCache)
        }
        #expect(try values(session, "SELECT string_agg(v::text, ',' ORDER BY v) FROM seen") == ["1,2,3"])
    }

    @Test("UPDATE … SET serial_col = DEFAULT takes the next value, as PostgreSQL")
    func updateSetDefault() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id serial, n int); INSERT INTO t (n) VALUES (1), (2)")
        try session.execute("CREATE TABLE g (id int GENERATED BY DEFAULT AS IDENTITY, n int); INSERT INTO g (n) VALUES (1)")
        #expect(try values(session, "UPDATE t SET id = DEFAULT WHERE n = 1 RETURNING id") == ["3"])
        #expect(try values(session, "UPDATE g SET id = DEFAULT RETURNING id") == ["2"])
        #expect(try values(session, "SELECT count(*) FROM t WHERE id IS NULL") == ["0"])
    }

    @Test("currval and lastval are per session: 55000 before the session's first nextval")
    func currvalPerSession() throws {
        let database = try Database.inMemory()
        let first = try database.session(), second = try database.session()
        try first.execute("CREATE SEQUENCE s")
        #expect(sqlError(first, "SELECT currval('s')")?.sqlState == "55000")
        #expect(sqlError(first, "SELECT lastval()")?.sqlState == "55000")
        #expect(try values(first, "SELECT nextval('s')") == ["1"])
        #expect(try values(second, "SELECT nextval('s')") == ["2"])
        #expect(try values(first, "SELECT currval('s'), lastval()") == ["1"])
        #expect(try values(second, "SELECT currval('s')") == ["2"])
        try first.execute("BEGIN READ ONLY")
        #expect(sqlError(first, "SELECT nextval('s')")?.sqlState == "25006")
        try first.execute("ROLLBACK")
        try first.execute("DISCARD SEQUENCES")
        #expect(sqlError(first, "SELECT currval('s')")?.sqlState == "55000")
    }

    @Test("CREATE SEQUENCE options: increment, bounds, start, cycle, and 2200H at a limit")
    func createOptions() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE SEQUENCE up INCREMENT BY 5 START WITH 10 MAXVALUE 20")
        #expect(try values(session, "SELECT nextval('up') FROM generate_series(1, 3)") == ["10", "15", "20"])
        let limit = sqlError(session, "SELECT nextval('up')")
        #expect(limit?.sqlState == "2200H" && limit?.message == "nextval: reached maximum value of sequence \"up\" (20)")
        try session.execute("CREATE SEQUENCE down INCREMENT -1 MINVALUE -2 NO MAXVALUE CYCLE")
        #expect(try values(session, "SELECT nextval('down') FROM generate_series(1, 4)") == ["-1", "-2", "-1", "-2"])
        try session.execute("CREATE SEQUENCE IF NOT EXISTS up START 99")
        #expect(sqlError(session, "CREATE SEQUENCE up")?.sqlState == "42P07")
        #expect(sqlError(session, "CREATE SEQUENCE bad INCREMENT 0")?.sqlState == "22023")
        #expect(sqlError(session, "CREATE SEQUENCE bad MINVALUE 5 MAXVALUE 5")?.sqlState == "22023")
        #expect(sqlError(session, "CREATE SEQUENCE small AS smallint START 40000")?.sqlState == "22023")
        try session.execute("CREATE TABLE t (id int)")
        #expect(sqlError(session, "CREATE SEQUENCE t")?.sqlState == "42P07")
    }

    @Test("ALTER SEQUENCE RESTART and INCREMENT; DROP SEQUENCE [IF EXISTS]; DEFAULT nextval('name')")
    func alterDropAndDefault() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE SEQUENCE order_no START 1000; CREATE TABLE o (no bigint DEFAULT nextval('order_no'), item text)")
        #expect(try values(session, "INSERT INTO o (item) VALUES ('a'), ('b') RETURNING no") == ["1000", "1001"])
        try session.execute("ALTER SEQUENCE order_no RESTART WITH 5000 INCREMENT BY 10")
        #expect(try values(session, "INSERT INTO o (item) VALUES ('c'), ('d') RETURNING no") == ["5000", "5010"])
        try session.execute("ALTER SEQUENCE order_no RESTART")
        #expect(try values(session, "SELECT nextval('order_no')") == ["1000"])
        #expect(sqlError(session, "ALTER SEQUENCE missing RESTART")?.sqlState == "42P01")
        try session.execute("ALTER SEQUENCE IF EXISTS missing RESTART")
        try session.execute("DROP SEQUENCE order_no")
        #expect(sqlError(session, "SELECT nextval('order_no')")?.sqlState == "42P01")
        #expect(sqlError(session, "DROP SEQUENCE order_no")?.sqlState == "42P01")
        try session.execute("DROP SEQUENCE IF EXISTS order_no")
        try session.execute("CREATE TABLE s (id serial)")
        #expect(sqlError(session, "DROP SEQUENCE s_id_seq")?.sqlState == "2BP01", "a serial column needs its sequence")
        try session.execute("CREATE SEQUENCE owned OWNED BY s.id; DROP TABLE s")
        #expect(sqlError(session, "SELECT nextval('owned')")?.sqlState == "42P01", "OWNED BY: dropped with its table")
    }

    @Test("identity options: START WITH and INCREMENT BY on the column's sequence")
    func identityOptions() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5), n int)")
        #expect(try values(session, "INSERT INTO t (n) VALUES (1), (2) RETURNING id") == ["10", "15"])
        #expect(try values(session, "SELECT seqstart || ',' || seqincrement || ',' || seqmax FROM pg_sequence WHERE seqrelid = 't_id_seq'::regclass")
                == ["10,5,2147483647"])
        let sql = "CREATE TABLE u (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 3 INCREMENT BY 2 NO CYCLE))"
        let body = try Parser.parseStatement(sql).body
        #expect(try Parser.parseStatement(body.sql).body == body, "rendered as \(body.sql)")
        for text in ["CREATE SEQUENCE IF NOT EXISTS s AS integer INCREMENT BY -2 MINVALUE -100 NO MAXVALUE START WITH -1 CACHE 1 CYCLE OWNED BY t.id",
                     "ALTER SEQUENCE s RESTART WITH 5 NO CYCLE OWNED BY NONE", "DROP SEQUENCE IF EXISTS a, b CASCADE"] {
            let parsed = try Parser.parseStatement(text).body
            #expect(try Parser.parseStatement(parsed.sql).body == parsed, "rendered as \(parsed.sql)")
        }
    }

    @Test("catalog: pg_class relkind S, pg_sequence, pg_sequences, information_schema.sequences, pg_depend")
    func catalogRows() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id serial, g bigint GENERATED ALWAYS AS IDENTITY); CREATE SEQUENCE s INCREMENT 3 START 7")
        #expect(try values(session, "SELECT relname FROM pg_class WHERE relkind = 'S' ORDER BY relname") == ["s", "t_g_seq", "t_id_seq"])
        #expect(try values(session, "SELECT seqtypid::regtype::text FROM pg_sequence ORDER BY seqrelid::regclass::text") == ["bigint", "bigint", "integer"])
        #expect(try values(session, "SELECT nextval('s')") == ["7"])
        #expect(try values(session, "SELECT sequencename || ':' || data_type || ':' || coalesce(last_value::text, '-') FROM pg_sequences ORDER BY 1")
                == ["s:bigint:7", "t_g_seq:bigint:-", "t_id_seq:integer:-"])
        #expect(try values(session, "SELECT sequence_name || ' ' || increment || ' ' || cycle_option FROM information_schema.sequences ORDER BY 1")
                == ["s 3 NO", "t_g_seq 1 NO", "t_id_seq 1 NO"])
        #expect(try values(session, """
            SELECT objid::regclass::text || ' ' || refobjsubid || ' ' || deptype FROM pg_depend
            WHERE refobjid = 't'::regclass ORDER BY 1
            """) == ["t_g_seq 2 i", "t_id_seq 1 a"])
        #expect(try values(session, "SELECT pg_get_serial_sequence('t', 'g')") == ["public.t_g_seq"])
    }

    @Test("nextval in a transaction that rolls back is not given back")
    func notRolledBack() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id serial, n int)")
        try session.execute("BEGIN")
        #expect(try values(session, "INSERT INTO t (n) VALUES (1) RETURNING id") == ["1"])
        #expect(try values(session, "SELECT nextval('t_id_seq')") == ["2"])
        try session.execute("ROLLBACK")
        #expect(try values(session, "SELECT nextval('t_id_seq')") == ["3"])
        try session.execute("BEGIN; SELECT setval('t_id_seq', 50); ROLLBACK")
        #expect(try values(session, "INSERT INTO t (n) VALUES (2) RETURNING id") == ["51"], "setval holds despite the rollback")
    }

    @Test("nextval and setval survive a crash, from reads, writes and rolled-back transactions")
    func durableAfterCrash() throws {
        let backend = SimulatedBackend(seed: 21)
        let options = StorageOptions(backend: backend)
        let path = "/sim/sequences.vireo"
        var database = try Database.open(path: path, options: options)
        var session = try database.session()
        try session.execute("CREATE TABLE t (id serial, n int); CREATE SEQUENCE s START 10; INSERT INTO t (n) VALUES (1), (2)")
        #expect(try values(session, "SELECT nextval('s')") == ["10"], "a plain SELECT")
        #expect(try values(session, "SELECT setval('t_id_seq', 200)") == ["200"])
        try session.execute("BEGIN; SELECT nextval('s'); SELECT nextval('s'); ROLLBACK")
        backend.crash()
        database = try Database.open(path: path, options: options)
        session = try database.session()
        #expect(try values(session, "SELECT nextval('s')") == ["13"])
        #expect(try values(session, "INSERT INTO t (n) VALUES (3) RETURNING id") == ["201"])
        try session.execute("ALTER SEQUENCE s INCREMENT BY 100")
        backend.crash()
        database = try Database.open(path: path, options: options)
        session = try database.session()
        #expect(try values(session, "SELECT nextval('s')") == ["113"], "the definition and the state survive")
        #expect(try values(session, "INSERT INTO t (n) VALUES (4) RETURNING id") == ["202"])
        try database.close()
    }

    @Test("txid_current() is one number per transaction, rising, distinct between sessions, and after a crash")
    func transactionNumbers() throws {
        let backend = SimulatedBackend(seed: 22)
        let options = StorageOptions(backend: backend)
        let path = "/sim/txid.vireo"
        var database = try Database.open(path: path, options: options)
        let session = try database.session()
        try session.execute("CREATE TABLE t (n bigint)")
        let number = { (sql: String) throws -> Int64 in Int64(try values(session, sql)[0])! }
        #expect(try values(session, "SELECT txid_current_if_assigned()") == ["NULL"])
        let first = try number("SELECT txid_current()")
        let second = try number("SELECT pg_current_xact_id()")
        #expect(second > first, "each statement outside a block is a transaction of its own")

        try session.execute("BEGIN")
        #expect(try values(session, "SELECT pg_current_xact_id_if_assigned()") == ["NULL"], "a block has none until asked")
        let inBlock = try number("SELECT txid_current()")
        try session.execute("INSERT INTO t VALUES (txid_current())")
        #expect(try values(session, "SELECT n FROM t") == ["\(inBlock)"], "the same number for the whole block")
        #expect(try number("SELECT txid_current_if_assigned()") == inBlock)
        let other = try database.session()
        let otherNumber = Int64(try other.execute("SELECT txid_current()").rows[0][0].text!)!
        #expect(otherNumber > inBlock, "a concurrent transaction gets its own")
        try session.execute("ROLLBACK")
        #expect(try values(session, "SELECT txid_current_if_assigned()") == ["NULL"])
        let afterRollback = try number("SELECT txid_current()")
        #expect(afterRollback > otherNumber)

        try session.execute("BEGIN READ ONLY")
        let readOnly = try number("SELECT txid_current()")
        try session.execute("COMMIT")
        #expect(readOnly > afterRollback, "a READ ONLY block may ask, as in PostgreSQL")
        #expect(try values(session, "SELECT count(*) FROM pg_sequences") == ["0"], "the counter is no catalog sequence")

        backend.crash()
        database = try Database.open(path: path, options: options)
        let reopened = Int64(try database.session().execute("SELECT txid_current()").rows[0][0].text!)!
        #expect(reopened > readOnly, "numbers handed out before the crash are not handed out again")
        try database.close()
    }

    @Test("txid_current() on four threads at once: every transaction's number is its own and each session's rise")
    func transactionNumbersOnThreads() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (n bigint)")
        let drawn = ProblemList(), failures = ProblemList()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let session = db.session()
            var last: Int64 = 0
            for round in 0..<40 {
                do {
                    // Alternately a statement of its own and a block that writes the number it draws.
                    let inBlock = round % 2 == 1
                    if inBlock { try session.execute("BEGIN; INSERT INTO t VALUES (txid_current())") }
                    let number = try Int64(#require(session.execute("SELECT txid_current()").rows.first?.first?.text))!
                    if inBlock { try session.execute("COMMIT") }
                    if number <= last { failures.add("worker \(worker): \(number) after \(last)") }
                    last = number
                    drawn.add("\(number)")
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        #expect(drawn.items.count == 160 && Set(drawn.items).count == 160, "no number is handed to two transactions")
        #expect(try values(db.session(), "SELECT count(DISTINCT n) FROM t") == ["80"])
    }

    @Test("Vireo's own tables (vireo_…) are listed in schema vireo, not public, and are not visible on the search path")
    func internalTablesInTheirOwnSchema() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE vireo_jobs (id serial PRIMARY KEY, kind text); CREATE TABLE notes (id int PRIMARY KEY)")
        #expect(try values(session, "SELECT schemaname || '.' || tablename FROM pg_tables ORDER BY 1") == ["public.notes", "vireo.vireo_jobs"])
        #expect(try values(session, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'") == ["notes"])
        #expect(try values(session, """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND pg_table_is_visible(c.oid) ORDER BY 1
            """) == ["notes", "notes_pkey"])
        #expect(try values(session, """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'vireo' ORDER BY 1
            """) == ["vireo_jobs", "vireo_jobs_id_seq", "vireo_jobs_pkey"])
        #expect(try values(session, "SELECT count(*) FROM pg_class WHERE pg_table_is_visible(oid) AND relname LIKE 'vireo%'") == ["0"])
        #expect(try values(session, "INSERT INTO vireo_jobs (kind) VALUES ('x') RETURNING id") == ["1"], "the tables themselves work as before")
    }
}
