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

    @Test("while a temporary t hides it, every change naming public.t changes the permanent t and pg_temp.t the temporary one, in and out of a transaction block; another session sees only the permanent one")
    func qualifiedTargets() throws {
        for inBlock in [false, true] {
            let db = try Database.inMemory()
            try db.execute("CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) VALUES ('permanent')")
            let session = db.session(), other = db.session()
            try session.execute("CREATE TEMP TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) VALUES ('temporary')")
            if inBlock { try session.execute("BEGIN") }
            #expect(try rows(session, "INSERT INTO public.t (v) VALUES ('p2') RETURNING id, v") == [["2", "p2"]], "block: \(inBlock)")
            #expect(try rows(session, "INSERT INTO pg_temp.t (v) VALUES ('t2') RETURNING id, v") == [["2", "t2"]])
            let updated = "UPDATE public.t SET v = v || '!' WHERE id IN (SELECT id FROM t WHERE v = 'temporary') RETURNING id, v"
            #expect(try rows(session, updated) == [["1", "permanent!"]], "the subquery's bare t is the temporary table")
            #expect(try rows(session, "UPDATE pg_temp.t SET v = upper(v) WHERE id = 2 RETURNING v") == [["T2"]])
            #expect(try rows(session, "DELETE FROM public.t WHERE id = 2 RETURNING v") == [["p2"]])
            try session.execute("INSERT INTO public.t (v) SELECT v FROM t ORDER BY id")
            try session.execute("ALTER TABLE public.t ADD COLUMN n int DEFAULT 7; CREATE INDEX t_v_permanent ON public.t (v)")
            try session.execute("COMMENT ON TABLE public.t IS 'kept'; ALTER TABLE pg_temp.t ADD COLUMN m int DEFAULT 8; ANALYZE public.t")
            let permanent: [[String]] = [["1", "permanent!", "7"], ["3", "temporary", "7"], ["4", "T2", "7"]]
            #expect(try rows(session, "SELECT id, v, n FROM public.t ORDER BY id") == permanent)
            #expect(try rows(session, "SELECT id, v, m FROM t ORDER BY id") == [["1", "temporary", "8"], ["2", "T2", "8"]])
            #expect(try rows(session, "SELECT count(*) FROM public.t WHERE v = 'T2'") == [["1"]], "the permanent table's new index answers")
            try session.execute("TRUNCATE pg_temp.t")
            #expect(try rows(session, "SELECT count(*) FROM public.t") == [["3"]])
            if inBlock { try session.execute("COMMIT") }
            #expect(try rows(other, "SELECT id, v, n FROM t ORDER BY id") == permanent)
            #expect(try rows(other, "SELECT obj_description('t'::regclass, 'pg_class')") == [["kept"]])
            #expect(try rows(other, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = 't' ORDER BY 1") == [["t_pkey"], ["t_v_permanent"]])
            try session.execute("TRUNCATE public.t; INSERT INTO t (v) VALUES ('again')")
            #expect(try rows(other, "SELECT count(*) FROM t") == [["0"]])
            #expect(try rows(session, "SELECT v FROM t") == [["again"]], "a bare name still means the temporary table")
            try session.execute("DROP TABLE public.t")
            #expect(sqlError(other, "SELECT * FROM t")?.sqlState == "42P01")
            #expect(try rows(session, "SELECT v FROM t") == [["again"]])
        }
    }

    @Test("a statement naming a temporary table is described as it would run (pgwire's Describe, COPY's columns)")
    func describesTemporaryTables() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int)")
        let session = db.session()
        try session.execute("CREATE TEMP TABLE t (b text, c int)")
        #expect(try session.describe(Parser.parseStatement("SELECT * FROM t")).columns.map(\.name) == ["b", "c"])
        #expect(try session.describe(Parser.parseStatement("SELECT * FROM pg_temp.t")).columns.map(\.name) == ["b", "c"])
        #expect(try session.describe(Parser.parseStatement("SELECT * FROM public.t")).columns.map(\.name) == ["a"])
    }

    @Test("pg_temp.t without a temporary t names nothing (42P01, or skipped with IF EXISTS), even where a permanent t exists")
    func missingTemporaryTargets() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE nothing (a int); CREATE TEMP TABLE other (a int)")
        for statement in ["INSERT INTO pg_temp.nothing VALUES (1)", "UPDATE pg_temp.nothing SET a = 1", "DELETE FROM pg_temp.nothing",
                          "TRUNCATE pg_temp.nothing", "ALTER TABLE pg_temp.nothing ADD COLUMN b int", "CREATE INDEX ON pg_temp.nothing (a)",
                          "COMMENT ON TABLE pg_temp.nothing IS 'x'", "SELECT * FROM pg_temp.nothing"] {
            #expect(sqlError(session, statement)?.sqlState == "42P01", "\(statement)")
        }
        let dropped = try #require(sqlError(session, "DROP TABLE pg_temp.nothing"))
        #expect(dropped.sqlState == "42P01" && dropped.message == "table \"nothing\" does not exist")
        try session.execute("DROP TABLE IF EXISTS pg_temp.nothing; ALTER TABLE IF EXISTS pg_temp.nothing ADD COLUMN b int")
        try session.execute("INSERT INTO public.nothing VALUES (1)")
        #expect(try rows(db.session(), "SELECT a FROM nothing") == [["1"]])
    }

    @Test("a foreign key between permanent tables checks and acts on the permanent parent where a temporary table of its name hides it")
    func foreignKeysIgnoreTheShadow() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1)")
        try db.execute("CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE)")
        let session = db.session()
        try session.execute("CREATE TEMP TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (2)")
        try session.execute("INSERT INTO child VALUES (1, 1)")
        #expect(sqlError(session, "INSERT INTO child VALUES (2, 2)")?.sqlState == "23503", "2 is only in the temporary parent")
        try session.execute("DELETE FROM parent WHERE id = 2")
        #expect(try rows(session, "SELECT count(*) FROM child") == [["1"]])
        try session.execute("DELETE FROM public.parent WHERE id = 1")
        #expect(try rows(session, "SELECT count(*) FROM child") == [["0"]], "the cascade went from the permanent parent")
        #expect(sqlError(session, "TRUNCATE public.parent")?.sqlState == "0A000", "child references the permanent parent")
        try session.execute("TRUNCATE parent")
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
