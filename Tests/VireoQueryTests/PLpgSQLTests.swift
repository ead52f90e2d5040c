import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// DO blocks in PL/pgSQL: variables, control flow, SQL with variables as parameters,
/// INTO, EXECUTE, RAISE, EXCEPTION handlers under a savepoint, and one transaction per DO.
@Suite("PL/pgSQL DO blocks")
struct PLpgSQLTests {
    private func notices(_ session: Session, _ sql: String) throws -> [String] {
        #expect(try session.execute(sql).commandTag == "DO")
        return session.takeNotices().map { "\($0.severity.rawValue) \($0.sqlState) \($0.message)" }
    }

    @Test("RAISE formats its arguments; levels NOTICE, INFO and WARNING reach the client")
    func raiseLevels() throws {
        let session = try Database.inMemory().session()
        #expect(try notices(session, "DO $$ BEGIN RAISE NOTICE 'hello %, 100%% of %', 1 + 1, NULL; END $$") == ["NOTICE 00000 hello 2, 100% of <NULL>"])
        #expect(try notices(session, "DO $$ BEGIN RAISE INFO 'i'; RAISE WARNING 'w %', now() IS NOT NULL; RAISE DEBUG 'hidden'; END $$")
                == ["INFO 00000 i", "WARNING 01000 w t"])
        #expect(sqlError(session, "DO $$ BEGIN RAISE NOTICE '% %', 1; END $$")?.message == "too few parameters specified for RAISE")
    }

    @Test("variables, IF, WHILE, FOR over ranges and queries, EXIT and CONTINUE with labels")
    func controlFlow() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id int PRIMARY KEY, label text)")
        try session.execute("""
            DO $$
            DECLARE
                total int := 0;
                i integer;
                word text DEFAULT 'x';
                r record;
            BEGIN
                FOR i IN 1..10 LOOP
                    CONTINUE WHEN i % 2 = 0;
                    total := total + i;            -- 1 + 3 + 5 + 7 + 9
                END LOOP;
                FOR i IN REVERSE 10..1 BY 4 LOOP   -- 10, 6, 2
                    INSERT INTO t (id, label) VALUES (i, word || i);
                END LOOP;
                WHILE total < 100 LOOP total := total * 2; END LOOP;
                <<outer>> LOOP
                    LOOP
                        EXIT outer WHEN total > 150;
                        total := total + 1;
                    END LOOP;
                END LOOP;
                IF total = 151 THEN word := 'a'; ELSIF total > 151 THEN word := 'b'; ELSE word := 'c'; END IF;
                FOR r IN SELECT id, label FROM t ORDER BY id LOOP
                    UPDATE t SET label = label || '-' || word WHERE id = r.id;
                END LOOP;
                INSERT INTO t VALUES (total, word);
            END
            $$
            """)
        #expect(try rows(session, "SELECT id, label FROM t ORDER BY id") == [["2", "x2-a"], ["6", "x6-a"], ["10", "x10-a"], ["151", "a"]])
    }

    @Test("a variable named like a column is not put where a column must be named")
    func substitution() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id int, label text)")
        try session.execute("""
            DO $$ DECLARE id int := 7; label text := 'seven'; BEGIN
                INSERT INTO t (id, label) VALUES (id, label);
                UPDATE t SET label = label || '!' WHERE t.id = id;
            END $$
            """)
        #expect(try rows(session, "SELECT id, label FROM t") == [["7", "seven!"]])
    }

    @Test("SELECT INTO, STRICT, FOUND, GET DIAGNOSTICS and EXECUTE … INTO … USING")
    func into() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id int, label text); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        #expect(try notices(session, """
            DO $$ DECLARE n bigint; l text; r record; changed int; BEGIN
                SELECT count(*) INTO n FROM t;
                SELECT label INTO l FROM t WHERE id = 99;
                RAISE NOTICE 'n=% l=% found=%', n, l, FOUND;
                SELECT * INTO r FROM t WHERE id = 2;
                RAISE NOTICE 'r=% % %', r.id, r.label, r;
                UPDATE t SET label = upper(label) WHERE id >= 2;
                GET DIAGNOSTICS changed = ROW_COUNT;
                EXECUTE 'SELECT count(*) FROM t WHERE id > $1' INTO n USING 1;
                RAISE NOTICE 'changed=% n=%', changed, n;
                EXECUTE format('CREATE TABLE %I (x int)', 'made_' || n);
            END $$
            """) == ["NOTICE 00000 n=3 l=<NULL> found=f", "NOTICE 00000 r=2 b (2,b)", "NOTICE 00000 changed=2 n=2"])
        #expect(try rows(session, "SELECT count(*) FROM made_2") == [["0"]])
        #expect(sqlError(session, "DO $$ DECLARE l text; BEGIN SELECT label INTO STRICT l FROM t WHERE id > 5; END $$")?.sqlState == "P0002")
        #expect(sqlError(session, "DO $$ DECLARE l text; BEGIN SELECT label INTO STRICT l FROM t; END $$")?.sqlState == "P0003")
    }

    @Test("EXCEPTION handlers roll back their block, see SQLSTATE and SQLERRM, and re-raise")
    func exceptions() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id int PRIMARY KEY)")
        #expect(try notices(session, """
            DO $$ BEGIN
                INSERT INTO t VALUES (1);
                BEGIN
                    INSERT INTO t VALUES (2);
                    INSERT INTO t VALUES (1);
                EXCEPTION WHEN unique_violation THEN
                    RAISE NOTICE 'caught % (%)', SQLSTATE, SQLERRM;
                END;
                BEGIN
                    PERFORM 1 / 0;
                EXCEPTION WHEN integrity_constraint_violation THEN RAISE NOTICE 'wrong';
                          WHEN data_exception THEN RAISE NOTICE 'class 22';
                END;
            END $$
            """) == ["NOTICE 00000 caught 23505 (duplicate key value violates unique constraint \"t_pkey\")", "NOTICE 00000 class 22"])
        #expect(try rows(session, "SELECT id FROM t") == [["1"]], "the inner block's insert of 2 was rolled back, the outer one's kept")
        let raised = sqlError(session, "DO $$ BEGIN RAISE EXCEPTION 'bad %', 42 USING ERRCODE = 'P1234', DETAIL = 'd', HINT = 'h'; END $$")
        #expect(raised?.sqlState == "P1234")
        #expect(raised?.message == "bad 42")
        #expect(raised?.detail == "d")
        #expect(raised?.hint == "h")
        #expect(sqlError(session, "DO $$ BEGIN RAISE division_by_zero; END $$")?.sqlState == "22012")
        #expect(sqlError(session, "DO $$ BEGIN RAISE 'plain'; END $$")?.sqlState == "P0001")
        let reraised = sqlError(session, "DO $$ BEGIN INSERT INTO t VALUES (5); PERFORM 1 / 0; EXCEPTION WHEN others THEN RAISE; END $$")
        #expect(reraised?.sqlState == "22012")
        #expect(try rows(session, "SELECT id FROM t") == [["1"]])
    }

    @Test("a DO is one transaction: an error undoes all of it, inside a block it aborts the block")
    func atomicity() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id int PRIMARY KEY)")
        #expect(sqlError(session, "DO $$ BEGIN INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (1); END $$")?.sqlState == "23505")
        #expect(try rows(session, "SELECT count(*) FROM t") == [["0"]])
        try session.execute("BEGIN")
        try session.execute("DO $$ BEGIN INSERT INTO t VALUES (3); END $$")
        #expect(sqlError(session, "DO $$ BEGIN RAISE 'stop'; END $$")?.sqlState == "P0001")
        #expect(sqlError(session, "SELECT 1")?.sqlState == "25P02")
        try session.execute("ROLLBACK")
        #expect(try rows(session, "SELECT count(*) FROM t") == [["0"]])
    }

    @Test("CASE statements (simple and searched), FOREACH over an array, ASSERT")
    func caseForeachAssert() throws {
        let session = try Database.inMemory().session()
        #expect(try notices(session, """
            DO $$ DECLARE x int; word text; total int := 0; BEGIN
                FOREACH x IN ARRAY ARRAY[1, 2, 3, 7] LOOP
                    CASE x WHEN 1, 2 THEN word := 'small'; WHEN 3 THEN word := 'three'; ELSE word := 'big'; END CASE;
                    CASE WHEN x % 2 = 0 THEN total := total + 10 * x; ELSE total := total + x; END CASE;
                    RAISE NOTICE '% %', x, word;
                END LOOP;
                ASSERT total = 31, 'total is ' || total;
                RAISE NOTICE 'total %', total;
            END $$
            """) == ["NOTICE 00000 1 small", "NOTICE 00000 2 small", "NOTICE 00000 3 three", "NOTICE 00000 7 big", "NOTICE 00000 total 31"])
        #expect(sqlError(session, "DO $$ BEGIN CASE 5 WHEN 1 THEN NULL; END CASE; END $$")?.sqlState == "20000")
        let failed = sqlError(session, "DO $$ BEGIN ASSERT 1 > 2, 'one is not more'; END $$")
        #expect(failed?.sqlState == "P0004")
        #expect(failed?.message == "one is not more")
        #expect(sqlError(session, "DO $$ BEGIN ASSERT false; END $$")?.message == "assertion failed")
    }

    @Test("%TYPE copies a column's or a variable's type (modifiers too), %ROWTYPE makes a record of a table's columns")
    func copiedTypes() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE acct (id int PRIMARY KEY, owner varchar(10), balance numeric(10,2)); INSERT INTO acct VALUES (2, 'ben', 20)")
        #expect(try notices(session, """
            DO $$
            DECLARE
                b acct.balance%TYPE := 3.14159;
                c b%TYPE;
                r acct%ROWTYPE;
            BEGIN
                RAISE NOTICE 'b=% r=% r.id=%', b, r, r.id;
                c := 1.005;
                SELECT * INTO r FROM acct WHERE id = 2;
                r.balance := r.balance * 2;
                RAISE NOTICE 'c=% r=% owner=%', c, r, r.owner;
            END $$
            """) == ["NOTICE 00000 b=3.14 r=<NULL> r.id=<NULL>", "NOTICE 00000 c=1.01 r=(2,ben,40.00) owner=ben"])
        let tooLong = sqlError(session, "DO $$ DECLARE o acct.owner%TYPE; BEGIN o := 'abcdefghijk'; END $$")
        #expect(tooLong?.sqlState == "22001" && tooLong?.message == "value too long for type character varying(10)")
        #expect(try notices(session, "DO $$ DECLARE o varchar(3) := 'ab '; BEGIN o := 'abc  '; RAISE NOTICE '[%]', o; END $$") == ["NOTICE 00000 [abc]"])
        #expect(sqlError(session, "DO $$ DECLARE x acct.nosuch%TYPE; BEGIN NULL; END $$")?.sqlState == "42703")
        #expect(sqlError(session, "DO $$ DECLARE r nosuch%ROWTYPE; BEGIN NULL; END $$")?.sqlState == "42P01")
    }

    @Test("the migration idiom: create a type only when it is missing, twice")
    func idempotentMigration() throws {
        let session = try Database.inMemory().session()
        let migration = """
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
                    CREATE TYPE mood AS ENUM ('sad', 'ok');
                END IF;
            END $$;
            DO $$ BEGIN
                CREATE TYPE mood AS ENUM ('sad', 'ok');
            EXCEPTION WHEN duplicate_object THEN NULL;
            END $$;
            """
        try session.execute(migration)
        try session.execute(migration)
        #expect(try rows(session, "SELECT 'ok'::mood") == [["ok"]])
    }

    @Test("errors: syntax (42601), an unknown language (42704), an unknown condition, NOT NULL and CONSTANT variables")
    func errors() throws {
        let session = try Database.inMemory().session()
        for sql in ["DO $$ BEGIN x := ; END $$", "DO $$ BEGIN IF true THEN NULL; END; END $$", "DO $$ BEGIN END"] {
            #expect(sqlError(session, sql)?.sqlState == "42601", "\(sql)")
        }
        #expect(sqlError(session, "DO LANGUAGE plperl $$ 1 $$")?.sqlState == "42704")
        #expect(sqlError(session, "DO $$ BEGIN NULL; EXCEPTION WHEN no_such_thing THEN NULL; END $$")?.message == "unrecognized exception condition \"no_such_thing\"")
        #expect(sqlError(session, "DO $$ DECLARE n int NOT NULL := 1; BEGIN n := NULL; END $$")?.sqlState == "22004")
        #expect(sqlError(session, "DO $$ DECLARE n CONSTANT int := 1; BEGIN n := 2; END $$")?.message == "variable \"n\" is declared CONSTANT")
        #expect(sqlError(session, "DO $$ BEGIN COMMIT; END $$")?.sqlState == "2D000")
        #expect(sqlError(session, "DO $$ BEGIN EXECUTE 'SAVEPOINT s'; END $$")?.sqlState == "2D000")
        // statement_timeout ends an endless loop, even one with nothing in it.
        try session.execute("SET statement_timeout = '200ms'")
        #expect(sqlError(session, "DO $$ BEGIN LOOP END LOOP; END $$")?.sqlState == "57014")
        #expect(sqlError(session, "DO $$ DECLARE i int := 0; BEGIN WHILE true LOOP i := i + 1; END LOOP; END $$")?.sqlState == "57014")
    }
}

@Suite("PL/pgSQL functions")
struct PLpgSQLFunctionTests {
    @Test("a LANGUAGE plpgsql function runs at each call: arguments by name and $n, RETURN, loops, queries, void")
    func calls() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE t (id int PRIMARY KEY, n int);
            INSERT INTO t VALUES (1, 10), (2, 20), (3, 30);
            CREATE FUNCTION fact(k int) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
            DECLARE acc bigint := 1; i int;
            BEGIN
                FOR i IN 2..k LOOP acc := acc * i; END LOOP;
                RETURN acc;
            END $$;
            CREATE FUNCTION above(limit_ int) RETURNS int LANGUAGE plpgsql AS $$
            DECLARE c int;
            BEGIN
                SELECT count(*) INTO c FROM t WHERE n > $1;
                IF c = 0 THEN RETURN NULL; END IF;
                RETURN c;
            END $$;
            CREATE FUNCTION bump(who int) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN UPDATE t SET n = n + 1 WHERE id = who; END $$;
            """)
        #expect(try rows(session, "SELECT fact(5), fact(1), above(15), above(99)") == [["120", "1", "2", "NULL"]])
        #expect(sqlError(session, "SELECT fact(NULL)")?.message == "upper bound of FOR loop cannot be null", "not STRICT: the body runs")
        #expect(try rows(session, "SELECT id, fact(id) FROM t ORDER BY id") == [["1", "1"], ["2", "2"], ["3", "6"]])
        #expect(try rows(session, "SELECT bump(2)") == [[""]])
        #expect(try rows(session, "SELECT n FROM t WHERE id = 2") == [["21"]])
        #expect(try rows(session, "SELECT l.lanname, pg_get_function_result(p.oid) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE proname = 'bump'")
                == [["plpgsql", "void"]])
    }

    @Test("set-returning functions: RETURN NEXT of a value, of RETURNS TABLE's outputs, of a record; RETURN QUERY; in FROM, LATERAL and a select list")
    func setReturning() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE emp (id int PRIMARY KEY, name text, salary numeric, dept text);
            INSERT INTO emp VALUES (1, 'ada', 100, 'eng'), (2, 'bob', 80, 'eng'), (3, 'cy', 50, 'ops');
            CREATE FUNCTION evens(n int) RETURNS SETOF int LANGUAGE plpgsql AS $$
            DECLARE i int; BEGIN FOR i IN 1..n LOOP IF i % 2 = 0 THEN RETURN NEXT i; END IF; END LOOP; RETURN; END $$;
            CREATE FUNCTION paid(minimum numeric) RETURNS TABLE (who text, pay numeric, rank bigint) LANGUAGE plpgsql AS $$
            DECLARE r record; n int := 0;
            BEGIN
                FOR r IN SELECT name, salary FROM emp WHERE salary >= minimum ORDER BY salary DESC LOOP
                    n := n + 1; who := upper(r.name); pay := r.salary; rank := n; RETURN NEXT;
                END LOOP;
            END $$;
            CREATE FUNCTION by_dept(d text) RETURNS SETOF emp LANGUAGE plpgsql AS $$
            BEGIN RETURN QUERY SELECT * FROM emp WHERE dept = d ORDER BY id; IF NOT FOUND THEN RAISE NOTICE 'no one in %', d; END IF; END $$;
            CREATE FUNCTION words(t text) RETURNS SETOF text LANGUAGE plpgsql STRICT AS $$
            DECLARE w text; BEGIN FOREACH w IN ARRAY string_to_array(t, ' ') LOOP RETURN NEXT w || '!'; END LOOP; END $$;
            CREATE FUNCTION wrong() RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT 1, 2; END $$;
            """)
        #expect(try rows(session, "SELECT * FROM evens(7)") == [["2"], ["4"], ["6"]])
        #expect(try rows(session, "SELECT evens(4)") == [["2"], ["4"]])
        let paid = try session.execute("SELECT * FROM paid(60)")
        #expect(paid.columns.map(\.name) == ["who", "pay", "rank"] && paid.columns[2].type == .int)
        #expect(try rows(session, "SELECT who, pay, rank FROM paid(0) WHERE rank > 1") == [["BOB", "80", "2"], ["CY", "50", "3"]])
        #expect(try rows(session, "SELECT id, name FROM by_dept('eng')") == [["1", "ada"], ["2", "bob"]])
        #expect(try rows(session, "SELECT name FROM by_dept('nope')") == [])
        #expect(session.takeNotices().map(\.message) == ["no one in nope"])
        #expect(try rows(session, "SELECT e.name, w FROM emp e, LATERAL words(e.name) w WHERE e.id < 3 ORDER BY 1") == [["ada", "ada!"], ["bob", "bob!"]])
        #expect(try rows(session, "SELECT count(*) FROM words(NULL)") == [["0"]])
        let mismatch = sqlError(session, "SELECT * FROM wrong()")
        #expect(mismatch?.sqlState == "42804" && mismatch?.message == "structure of query does not match function result type")
        #expect(sqlError(session, "SELECT 1 WHERE evens(2) = 2")?.sqlState == "0A000")
        #expect(sqlError(session, "DO $$ BEGIN RETURN NEXT 1; END $$")?.message == "cannot use RETURN NEXT in a non-SETOF function")
    }

    @Test("PL/pgSQL functions: a body without RETURN is 2F005, a bad body 42601 at CREATE, other languages 42704")
    func errors() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE FUNCTION nothing() RETURNS int LANGUAGE plpgsql AS $$ BEGIN NULL; END $$")
        #expect(sqlError(session, "SELECT nothing()")?.sqlState == "2F005")
        #expect(sqlError(session, "CREATE FUNCTION bad() RETURNS int LANGUAGE plpgsql AS $$ BEGIN IF THEN END $$")?.sqlState == "42601")
        #expect(sqlError(session, "CREATE FUNCTION perl() RETURNS int LANGUAGE plperl AS '1'")?.sqlState == "42704")
    }
}
