import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE TEMP TABLE, ON COMMIT, SELECT … INTO: a session's own tables, as PostgreSQL's pg_temp.
@Suite("Temporary tables and SELECT … INTO")
struct TemporaryTableTests {
    @Test("a temporary table is seen only by its session and shadows a permanent table of the same name there")
    func visibility() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'permanent')")
        let owner = db.session(), other = db.session()
        try owner.execute("CREATE TEMP TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'temporary'), (2, 'x')")
        #expect(try rows(owner, "SELECT v FROM t ORDER BY id") == [["temporary"], ["x"]])
        #expect(try rows(owner, "SELECT t.v FROM pg_temp.t WHERE t.id = 1") == [["temporary"]])
        #expect(try rows(owner, "SELECT v FROM public.t") == [["permanent"]], "a schema-qualified name means the permanent table")
        #expect(sqlError(other, "SELECT * FROM pg_temp.t")?.sqlState == "42P01", "the other session has no temporary t")
        #expect(try rows(other, "SELECT v FROM t") == [["permanent"]])
        try owner.execute("CREATE TEMPORARY TABLE only_mine (a int)")
        #expect(sqlError(other, "SELECT * FROM only_mine")?.sqlState == "42P01")
        try owner.execute("UPDATE t SET v = upper(v) WHERE t.id = 1; DELETE FROM t WHERE id = 2")
        try owner.execute("ALTER TABLE t ADD COLUMN n int DEFAULT 7; CREATE INDEX t_v ON t (v)")
        #expect(try rows(owner, "SELECT v, n FROM t") == [["TEMPORARY", "7"]])
        #expect(try rows(other, "SELECT * FROM t") == [["1", "permanent"]])
        let duplicate = try #require(sqlError(owner, "CREATE TEMP TABLE t (a int)"))
        #expect(duplicate.sqlState == "42P07" && duplicate.message == "relation \"t\" already exists")
        try owner.execute("DROP TABLE t")
        #expect(try rows(owner, "SELECT v FROM t") == [["permanent"]], "the permanent table shows again")
    }

    @Test("a change naming public.t while a temporary t hides it is refused (0A000), never applied to the temporary table; pg_temp.t without one is 42P01")
    func qualifiedTargets() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'permanent')")
        let session = db.session()
        try session.execute("CREATE TEMP TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'temporary')")
        for statement in ["INSERT INTO public.t VALUES (2, 'x')", "UPDATE public.t SET v = 'x'", "DELETE FROM public.t",
                          "TRUNCATE public.t", "DROP TABLE public.t", "ALTER TABLE public.t ADD COLUMN n int",
                          "CREATE INDEX ON public.t (v)", "COMMENT ON TABLE public.t IS 'x'"] {
            let error = try #require(sqlError(session, statement), "\(statement)")
            #expect(error.sqlState == "0A000", "\(statement)")
        }
        #expect(try rows(session, "SELECT v FROM t") == [["temporary"]])
        #expect(try rows(session, "SELECT v FROM public.t") == [["permanent"]])
        try session.execute("UPDATE pg_temp.t SET v = 'changed'")
        #expect(try rows(session, "SELECT v FROM t") == [["changed"]])
        try session.execute("CREATE TEMP TABLE other (a int)")
        #expect(sqlError(session, "INSERT INTO pg_temp.nothing VALUES (1)")?.sqlState == "42P01")
        try session.execute("CREATE TABLE nothing (a int)")
        #expect(sqlError(session, "INSERT INTO pg_temp.nothing VALUES (1)")?.sqlState == "42P01", "pg_temp names no permanent table")
        try session.execute("DROP TABLE IF EXISTS pg_temp.nothing; DROP TABLE t; INSERT INTO public.t VALUES (2, 'x')")
        #expect(try rows(session, "SELECT count(*) FROM t") == [["2"]], "with the temporary table gone, public.t is the permanent one")
    }

    @Test("pg_class lists a temporary table with relpersistence t in its session's pg_temp schema")
    func catalog() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TEMP TABLE tmp_items (id bigserial PRIMARY KEY, name text UNIQUE)")
        let listed = try rows(session, """
            SELECT c.relname, c.relpersistence, n.nspname LIKE 'pg_temp_%', pg_table_is_visible(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relname = 'tmp_items'
            """)
        #expect(listed == [["tmp_items", "t", "t", "t"]])
        #expect(try rows(db.session(), "SELECT pg_table_is_visible(oid) FROM pg_class WHERE relname = 'tmp_items' AND relkind = 'r'") == [["f"]])
        try session.execute("INSERT INTO tmp_items (name) VALUES ('a'), ('b')")
        #expect(sqlError(session, "INSERT INTO tmp_items (name) VALUES ('a')")?.sqlState == "23505")
        #expect(try rows(session, "SELECT max(id) FROM tmp_items") == [["2"]])
    }

    @Test("temporary tables follow transactions: a rolled-back CREATE or INSERT leaves nothing")
    func transactions() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("BEGIN; CREATE TEMP TABLE gone (a int); INSERT INTO gone VALUES (1); ROLLBACK")
        #expect(sqlError(session, "SELECT * FROM gone")?.sqlState == "42P01")
        try session.execute("CREATE TEMP TABLE kept (a int); BEGIN; INSERT INTO kept VALUES (1); SAVEPOINT s; INSERT INTO kept VALUES (2); ROLLBACK TO s; COMMIT")
        #expect(try rows(session, "SELECT a FROM kept") == [["1"]])
    }

    @Test("ON COMMIT DELETE ROWS empties the table at each commit; ON COMMIT DROP drops it; ON COMMIT needs TEMP (42P16)")
    func onCommit() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TEMP TABLE batch (a int) ON COMMIT DELETE ROWS")
        try session.execute("BEGIN; INSERT INTO batch VALUES (1), (2)")
        #expect(try rows(session, "SELECT count(*) FROM batch") == [["2"]])
        try session.execute("COMMIT")
        #expect(try rows(session, "SELECT count(*) FROM batch") == [["0"]])
        try session.execute("INSERT INTO batch VALUES (3)")
        #expect(try rows(session, "SELECT count(*) FROM batch") == [["0"]], "outside a block each statement commits")
        try session.execute("BEGIN; CREATE TEMP TABLE once ON COMMIT DROP AS SELECT 1 AS x")
        #expect(try rows(session, "SELECT x FROM once") == [["1"]])
        try session.execute("COMMIT")
        #expect(sqlError(session, "SELECT x FROM once")?.sqlState == "42P01")
        try session.execute("CREATE TEMP TABLE kept (a int) ON COMMIT PRESERVE ROWS; INSERT INTO kept VALUES (1)")
        #expect(try rows(session, "SELECT count(*) FROM kept") == [["1"]])
        let refused = try #require(sqlError(session, "CREATE TABLE p (a int) ON COMMIT DROP"))
        #expect(refused.sqlState == "42P16" && refused.message == "ON COMMIT can only be used on temporary tables")
        #expect(sqlError(session, "CREATE TEMP TABLE public.x (a int)")?.sqlState == "42P16")
    }

    @Test("a temporary table goes when its session closes, with DISCARD TEMP, and when the database reopens after a crash")
    func lifetime() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/temp.vireo"
            var survivor: Session?
            do {
                let db = try Database.open(path: path)
                let closing = db.session()
                try closing.execute("CREATE TEMP TABLE a (x int); INSERT INTO a VALUES (1)")
                closing.close()
                #expect(try rows(db, "SELECT count(*) FROM pg_class WHERE relpersistence = 't'") == [["0"]])
                let discarding = db.session()
                try discarding.execute("CREATE TEMP TABLE b (x int); DISCARD TEMP")
                #expect(sqlError(discarding, "SELECT * FROM b")?.sqlState == "42P01")
                // A process that dies leaves its sessions' tables in the file: the session below is never closed.
                let dying = db.session()
                try dying.execute("CREATE TEMP TABLE c (x int) ; INSERT INTO c VALUES (1)")
                #expect(try rows(db, "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'") == [["c"]])
                survivor = dying
                try db.close()
            }
            let reopened = try Database.open(path: path)
            #expect(try rows(reopened, "SELECT count(*) FROM pg_class WHERE relpersistence = 't'") == [["0"]])
            #expect(try rows(reopened, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pg_temp%'") == [["0"]])
            try reopened.close()
            _ = survivor
        }
    }

    @Test("SELECT … INTO makes a table as CREATE TABLE AS does (tag SELECT n); INTO TEMP makes a temporary one")
    func selectInto() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE src (id int, name text); INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        #expect(try session.execute("SELECT id, name INTO copied FROM src WHERE id > 1").commandTag == "SELECT 2")
        #expect(try rows(session, "SELECT name FROM copied ORDER BY id") == [["b"], ["c"]])
        try session.execute("SELECT count(*) AS n INTO TEMP TABLE counted FROM src")
        #expect(try rows(session, "SELECT n FROM counted") == [["3"]])
        #expect(sqlError(db.session(), "SELECT * FROM counted")?.sqlState == "42P01")
        #expect(sqlError(session, "SELECT * FROM src WHERE id IN (SELECT id INTO x FROM src)")?.sqlState == "42601")
        #expect(sqlError(session, "SELECT 1 INTO copied")?.sqlState == "42P07")
    }
}
