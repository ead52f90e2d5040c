import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE TRIGGER: BEFORE and AFTER, row and statement triggers calling PL/pgSQL functions,
/// as PostgreSQL fires them.
@Suite("Triggers")
struct TriggerTests {
    private static let setUp = """
        CREATE TABLE items (id serial PRIMARY KEY, name text, price numeric DEFAULT 1, updated_at timestamptz);
        CREATE TABLE audit (n serial, op text, item int, before text, after text, note text);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated_at := '2020-01-02 03:04:05+00';
            NEW.name = upper(NEW.name);
            IF NEW.price < 0 THEN RETURN NULL; END IF;
            RETURN NEW;
        END $$;
        CREATE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO audit (op, item, before, note) VALUES (TG_OP, OLD.id, OLD.name, TG_ARGV[0] || TG_NARGS);
                RETURN OLD;
            END IF;
            INSERT INTO audit (op, item, before, after, note) VALUES (TG_OP, NEW.id, OLD.name, NEW.name, TG_ARGV[1]);
            RETURN NEW;
        END $$;
        CREATE TRIGGER a_touch BEFORE INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE TRIGGER b_audit AFTER INSERT OR UPDATE OR DELETE ON items FOR EACH ROW EXECUTE FUNCTION record_change('x', 'y');
        """

    @Test("a BEFORE row trigger changes NEW or skips the row; an AFTER row trigger sees the row written")
    func beforeAndAfterRows() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setUp)
        let inserted = try session.execute("INSERT INTO items (name, price) VALUES ('apple', 2), ('pear', -1), ('fig', 3) RETURNING id, name, updated_at")
        #expect(inserted.commandTag == "INSERT 0 2")
        #expect(try typedLines(session, "SELECT id, name, price, updated_at FROM items ORDER BY id")
                == ["1|APPLE|2|2020-01-02 03:04:05+00", "3|FIG|3|2020-01-02 03:04:05+00"])
        #expect(inserted.rows.count == 2 && inserted.rows[0][1] == .text("APPLE"))
        #expect(try session.execute("UPDATE items SET name = 'kiwi' WHERE id = 1").commandTag == "UPDATE 1")
        #expect(try session.execute("UPDATE items SET price = -5 WHERE id = 3").commandTag == "UPDATE 0")
        #expect(try session.execute("DELETE FROM items WHERE id = 3").commandTag == "DELETE 1")
        #expect(try rows(session, "SELECT op, item, before, after, note FROM audit ORDER BY n")
                == [["INSERT", "1", "NULL", "APPLE", "y"], ["INSERT", "3", "NULL", "FIG", "y"],
                    ["UPDATE", "1", "APPLE", "KIWI", "y"], ["DELETE", "3", "FIG", "NULL", "x2"]])
    }

    @Test("row triggers fire in name order, each seeing what the one before returned; defaults are in NEW; generated columns follow")
    func orderAndGeneratedColumns() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE t (id int PRIMARY KEY, a int DEFAULT 7, b text, doubled int GENERATED ALWAYS AS (a * 2) STORED);
            CREATE FUNCTION f1() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.a := NEW.a + 1; NEW.b := coalesce(NEW.b, '') || '1'; RETURN NEW; END $$;
            CREATE FUNCTION f2() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.b := NEW.b || '2'; RETURN NEW; END $$;
            CREATE TRIGGER z2 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f2();
            CREATE TRIGGER z1 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f1();
            INSERT INTO t (id) VALUES (1);
            INSERT INTO t (id, a, b) VALUES (2, 10, 'x');
            """)
        #expect(try rows(session, "SELECT * FROM t ORDER BY id") == [["1", "8", "12", "16"], ["2", "11", "x12", "22"]])
    }

    @Test("WHEN conditions read OLD and NEW (OLD.* too); UPDATE OF fires only for a listed column set")
    func conditions() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE t (id int PRIMARY KEY, a int, b text);
            CREATE TABLE log (msg text);
            CREATE FUNCTION loud() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO log VALUES (TG_NAME || ':' || coalesce(OLD.a::text, '-') || '->' || coalesce(NEW.a::text, '-')); RETURN NULL; END $$;
            INSERT INTO t VALUES (1, 1, 'p'), (2, 2, 'q');
            CREATE TRIGGER w AFTER UPDATE ON t FOR EACH ROW WHEN (OLD.a IS DISTINCT FROM NEW.a) EXECUTE FUNCTION loud();
            CREATE TRIGGER w2 AFTER UPDATE ON t FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION loud();
            CREATE TRIGGER x AFTER UPDATE OF b ON t FOR EACH ROW EXECUTE FUNCTION loud();
            UPDATE t SET a = a WHERE id = 1;
            UPDATE t SET a = 100 WHERE id = 1;
            UPDATE t SET b = 'r' WHERE id = 2;
            """)
        #expect(try rows(session, "SELECT msg FROM log") == [["w:1->100"], ["w2:1->100"], ["w2:2->2"], ["x:2->2"]])
        #expect(sqlError(session, "CREATE TRIGGER y BEFORE INSERT ON t FOR EACH ROW WHEN (OLD.a > 1) EXECUTE FUNCTION loud()")?.message
                == "INSERT trigger's WHEN condition cannot reference OLD values")
        #expect(sqlError(session, "CREATE TRIGGER y AFTER DELETE ON t WHEN (NEW.a > 1) EXECUTE FUNCTION loud()")?.sqlState == "0A000")
    }

    @Test("statement triggers fire once, also for no row; OLD and NEW read as NULL where PostgreSQL has none")
    func statementTriggers() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE t (id int PRIMARY KEY, a int);
            CREATE FUNCTION say() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE NOTICE '% % % on % old=% new=%', TG_WHEN, TG_LEVEL, TG_OP, TG_TABLE_NAME, OLD.a, NEW.a; RETURN NULL; END $$;
            CREATE TRIGGER s1 BEFORE UPDATE ON t FOR EACH STATEMENT EXECUTE PROCEDURE say();
            CREATE TRIGGER s2 AFTER INSERT ON t EXECUTE FUNCTION say();
            """)
        try session.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
        #expect(session.takeNotices().map(\.message) == ["AFTER STATEMENT INSERT on t old=<NULL> new=<NULL>"])
        try session.execute("UPDATE t SET a = 3 WHERE id = 99")
        #expect(session.takeNotices().map(\.message) == ["BEFORE STATEMENT UPDATE on t old=<NULL> new=<NULL>"])
    }

    @Test("the function's writes are the statement's: rolled back with it, and an error in it fails the statement")
    func sameTransaction() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setUp)
        try session.execute("""
            CREATE FUNCTION guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.name = 'KEEP' THEN RAISE EXCEPTION 'row % is protected', OLD.id USING ERRCODE = 'check_violation'; END IF;
                IF OLD.name = 'SKIP' THEN RETURN NULL; END IF;
                RETURN OLD;
            END $$;
            CREATE TRIGGER guard BEFORE DELETE ON items FOR EACH ROW EXECUTE FUNCTION guard();
            INSERT INTO items (name) VALUES ('keep'), ('skip'), ('gone');
            """)
        try session.execute("BEGIN")
        try session.execute("INSERT INTO items (name) VALUES ('temp')")
        #expect(try rows(session, "SELECT count(*) FROM audit") == [["4"]])
        try session.execute("ROLLBACK")
        #expect(try rows(session, "SELECT count(*) FROM audit") == [["3"]])
        let error = sqlError(session, "DELETE FROM items")
        #expect(error?.sqlState == "23514" && error?.message == "row 1 is protected")
        #expect(try rows(session, "SELECT count(*) FROM items") == [["3"]])
        #expect(try rows(session, "SELECT count(*) FROM audit") == [["3"]])
        #expect(try session.execute("DELETE FROM items WHERE name <> 'KEEP'").commandTag == "DELETE 1")
        #expect(try rows(session, "SELECT name FROM items ORDER BY id") == [["KEEP"], ["SKIP"]])
        try session.execute("TRUNCATE items")
        #expect(try rows(session, "SELECT op FROM audit ORDER BY n") == [["INSERT"], ["INSERT"], ["INSERT"], ["DELETE"]])
    }

    @Test("MERGE fires the triggers of the actions it takes: rows inserted, updated and deleted")
    func merge() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setUp)
        try session.execute("""
            INSERT INTO items (name, price) VALUES ('a', 1), ('b', 2);
            CREATE TABLE incoming (id int, name text, price numeric);
            INSERT INTO incoming VALUES (1, 'a2', 5), (2, NULL, 0), (7, 'new', 3);
            """)
        let result = try session.execute("""
            MERGE INTO items t USING incoming s ON t.id = s.id
            WHEN MATCHED AND s.name IS NULL THEN DELETE
            WHEN MATCHED THEN UPDATE SET name = s.name, price = s.price
            WHEN NOT MATCHED THEN INSERT (id, name, price) VALUES (s.id, s.name, s.price)
            """)
        #expect(result.commandTag == "MERGE 3")
        #expect(try rows(session, "SELECT id, name FROM items ORDER BY id") == [["1", "A2"], ["7", "NEW"]])
        // AFTER row triggers fire by kind of action: the inserted rows', then the updated, then the deleted.
        #expect(try rows(session, "SELECT op, item, before, after FROM audit WHERE n > 2 ORDER BY n")
                == [["INSERT", "7", "NULL", "NEW"], ["UPDATE", "1", "A", "A2"], ["DELETE", "2", "B", "NULL"]])
    }

    @Test("INSERT … ON CONFLICT DO UPDATE fires BEFORE INSERT for each row, and the UPDATE triggers for the rows it updates")
    func upsert() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setUp)
        try session.execute("""
            INSERT INTO items (id, name, price) VALUES (1, 'a', 1);
            CREATE FUNCTION say() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE '% %', TG_WHEN, TG_OP; RETURN NULL; END $$;
            CREATE TRIGGER s BEFORE UPDATE ON items EXECUTE FUNCTION say();
            """)
        try session.execute("INSERT INTO items (id, name, price) VALUES (1, 'b', 2), (2, 'c', 3) ON CONFLICT (id) DO UPDATE SET name = excluded.name || 'x'")
        #expect(session.takeNotices().map(\.message) == ["BEFORE UPDATE"])
        // The BEFORE UPDATE row trigger upper-cases the SET value; the proposed row went through BEFORE INSERT first.
        #expect(try rows(session, "SELECT id, name FROM items ORDER BY id") == [["1", "BX"], ["2", "C"]])
        #expect(try rows(session, "SELECT op, item, before, after FROM audit WHERE n > 1 ORDER BY n")
                == [["UPDATE", "1", "A", "BX"], ["INSERT", "2", "NULL", "C"]])
        try session.execute("INSERT INTO items (id, name) VALUES (1, 'z') ON CONFLICT (id) DO NOTHING")
        #expect(session.takeNotices().isEmpty)
    }

    @Test("a trigger that changes its own table stops at the nesting limit (54001)")
    func recursionLimit() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE log (msg text);
            CREATE FUNCTION again() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO log VALUES ('again'); RETURN NEW; END $$;
            CREATE TRIGGER r BEFORE INSERT ON log FOR EACH ROW EXECUTE FUNCTION again();
            """)
        #expect(sqlError(session, "INSERT INTO log VALUES ('start')")?.sqlState == "54001")
        #expect(try rows(session, "SELECT count(*) FROM log") == [["0"]])
    }

    @Test("a prepared INSERT made before the trigger fires it (the plan follows the schema)")
    func preparedStatementsSeeNewTriggers() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
        let statement = try Parser.parseStatement("INSERT INTO t VALUES ($1, $2)")
        let cache = PlanCache()
        try session.execute(statement, [.int(1), .text("a")], planCache: cache)
        try session.execute("""
            CREATE FUNCTION up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$;
            CREATE TRIGGER up BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION up();
            """)
        try session.execute(statement, [.int(2), .text("b")], planCache: cache)
        try session.execute("DROP TRIGGER up ON t")
        try session.execute(statement, [.int(3), .text("c")], planCache: cache)
        #expect(try rows(session, "SELECT name FROM t ORDER BY id") == [["a"], ["B"], ["c"]])
    }

    @Test("CREATE and DROP TRIGGER check what PostgreSQL checks; a trigger function is called only as a trigger")
    func definitionErrors() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setUp)
        try session.execute("CREATE FUNCTION one() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$; CREATE VIEW v AS SELECT * FROM items")
        let cases: [(String, String, String)] = [
            ("CREATE TRIGGER a_touch BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch()", "42710",
             "trigger \"a_touch\" for relation \"items\" already exists"),
            ("CREATE TRIGGER x BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION nosuch()", "42883", "function nosuch() does not exist"),
            ("CREATE TRIGGER x BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION one()", "42P17", "function one must return type trigger"),
            ("CREATE TRIGGER x BEFORE INSERT ON nosuch FOR EACH ROW EXECUTE FUNCTION touch()", "42P01", "relation \"nosuch\" does not exist"),
            ("CREATE TRIGGER x BEFORE INSERT ON v FOR EACH ROW EXECUTE FUNCTION touch()", "42809", "\"v\" is a view"),
            ("CREATE TRIGGER x BEFORE UPDATE OF nosuch ON items FOR EACH ROW EXECUTE FUNCTION touch()", "42703",
             "column \"nosuch\" of relation \"items\" does not exist"),
            ("CREATE TRIGGER x INSTEAD OF INSERT ON v FOR EACH ROW EXECUTE FUNCTION touch()", "0A000", "INSTEAD OF triggers are not supported"),
            ("CREATE FUNCTION withargs(a int) RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$", "42P13",
             "trigger functions cannot have declared arguments"),
            ("CREATE FUNCTION sqltrigger() RETURNS trigger LANGUAGE sql AS $$ SELECT 1 $$", "42P13", "SQL functions cannot return type trigger"),
            ("SELECT touch()", "0A000", "trigger functions can only be called as triggers"),
            ("DROP TRIGGER nosuch ON items", "42704", "trigger \"nosuch\" for table \"items\" does not exist"),
            ("DROP FUNCTION touch()", "2BP01", "cannot drop function touch() because other objects depend on it"),
        ]
        for (sql, state, message) in cases {
            let error = sqlError(session, sql)
            #expect(error?.sqlState == state, "\(sql)")
            #expect(error?.message == message, "\(sql)")
        }
        try session.execute("DROP TRIGGER IF EXISTS nosuch ON items")
        #expect(session.takeNotices().map(\.message).last == "trigger \"nosuch\" for relation \"items\" does not exist, skipping")
        try session.execute("CREATE OR REPLACE TRIGGER a_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch()")
        try session.execute("INSERT INTO items (name) VALUES ('lower')")
        #expect(try rows(session, "SELECT name FROM items") == [["lower"]])
        try session.execute("DROP FUNCTION touch() CASCADE")
        #expect(try rows(session, "SELECT tgname FROM pg_trigger ORDER BY 1") == [["b_audit"]])
    }

    @Test("ALTER TABLE … DISABLE TRIGGER stops a trigger until ENABLE; ALL names every trigger of the table")
    func disable() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setUp)
        try session.execute("ALTER TABLE items DISABLE TRIGGER a_touch; INSERT INTO items (name) VALUES ('one')")
        try session.execute("ALTER TABLE items DISABLE TRIGGER ALL; INSERT INTO items (name) VALUES ('two')")
        #expect(try rows(session, "SELECT tgname, tgenabled FROM pg_trigger ORDER BY 1") == [["a_touch", "D"], ["b_audit", "D"]])
        try session.execute("ALTER TABLE items ENABLE TRIGGER ALL; INSERT INTO items (name) VALUES ('three')")
        #expect(try rows(session, "SELECT name FROM items ORDER BY id") == [["one"], ["two"], ["THREE"]])
        #expect(try rows(session, "SELECT after FROM audit ORDER BY n") == [["one"], ["THREE"]])
        #expect(sqlError(session, "ALTER TABLE items ENABLE TRIGGER nosuch")?.sqlState == "42704")
    }

    @Test("pg_trigger, pg_get_triggerdef and information_schema.triggers describe the triggers")
    func catalogViews() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setUp)
        try session.execute("CREATE TRIGGER c_when AFTER UPDATE OF name, price ON items FOR EACH ROW WHEN (OLD.price <> NEW.price) EXECUTE FUNCTION record_change()")
        #expect(try rows(session, "SELECT tgname, tgtype, tgenabled, tgnargs, tgattr::text, relhastriggers FROM pg_trigger JOIN pg_class c ON c.oid = tgrelid ORDER BY 1")
                == [["a_touch", "23", "O", "0", "", "t"], ["b_audit", "29", "O", "2", "", "t"], ["c_when", "17", "O", "0", "2 3", "t"]])
        #expect(try rows(session, "SELECT pg_get_triggerdef(oid), pg_get_triggerdef(oid, true) FROM pg_trigger WHERE tgname IN ('b_audit', 'c_when') ORDER BY tgname")
                == [["CREATE TRIGGER b_audit AFTER INSERT OR DELETE OR UPDATE ON public.items FOR EACH ROW EXECUTE FUNCTION record_change('x', 'y')",
                     "CREATE TRIGGER b_audit AFTER INSERT OR DELETE OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION record_change('x', 'y')"],
                    ["CREATE TRIGGER c_when AFTER UPDATE OF name, price ON public.items FOR EACH ROW WHEN ((OLD.price <> NEW.price)) EXECUTE FUNCTION record_change()",
                     "CREATE TRIGGER c_when AFTER UPDATE OF name, price ON items FOR EACH ROW WHEN (OLD.price <> NEW.price) EXECUTE FUNCTION record_change()"]])
        #expect(try rows(session, "SELECT trigger_name, event_manipulation, action_order, action_timing, action_orientation FROM information_schema.triggers ORDER BY 1, 2")
                == [["a_touch", "INSERT", "1", "BEFORE", "ROW"], ["a_touch", "UPDATE", "1", "BEFORE", "ROW"],
                    ["b_audit", "DELETE", "1", "AFTER", "ROW"], ["b_audit", "INSERT", "1", "AFTER", "ROW"],
                    ["b_audit", "UPDATE", "1", "AFTER", "ROW"], ["c_when", "UPDATE", "2", "AFTER", "ROW"]])
    }

    @Test("triggers survive reopen, and go with their table")
    func durable() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/triggers.vireo"
            var db = try Database.open(path: path)
            try db.execute(Self.setUp)
            try db.close()
            db = try Database.open(path: path)
            try db.execute("INSERT INTO items (name) VALUES ('plum')")
            #expect(try rows(db, "SELECT name FROM items") == [["PLUM"]])
            #expect(try rows(db, "SELECT op, after FROM audit") == [["INSERT", "PLUM"]])
            try db.execute("DROP TABLE items; CREATE TABLE items (id int, name text)")
            try db.close()
            db = try Database.open(path: path)
            defer { try? db.close() }
            try db.execute("INSERT INTO items VALUES (1, 'plum')")
            #expect(try rows(db, "SELECT name FROM items") == [["plum"]])
            #expect(try rows(db, "SELECT count(*) FROM pg_trigger") == [["0"]])
        }
    }
}
