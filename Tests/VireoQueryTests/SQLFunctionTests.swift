import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE FUNCTION … LANGUAGE sql: calls by position, name and default, overloads, STRICT,
/// set-returning functions in FROM, pg_proc, DROP FUNCTION and reopen; errors as PostgreSQL 15's.
@Suite("SQL functions")
struct SQLFunctionTests {
    private func employees(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE emp (id int PRIMARY KEY, name text, dept int, salary int);
            INSERT INTO emp VALUES (1, 'ada', 1, 120), (2, 'bob', 1, 100), (3, 'cy', 2, 90), (4, 'di', NULL, NULL)
            """)
    }

    @Test("a scalar function's value is its body's first row: named and $n arguments, defaults, named calls")
    func scalarCalls() throws {
        let db = try Database.inMemory()
        try employees(db)
        try db.execute("""
            CREATE FUNCTION add_to(a integer, b integer DEFAULT 10) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + $2 $$;
            CREATE FUNCTION top_paid(d int) RETURNS text LANGUAGE sql STABLE AS 'SELECT name FROM emp WHERE dept = d ORDER BY salary DESC';
            CREATE FUNCTION none() RETURNS int LANGUAGE sql AS $$ SELECT 1 WHERE false $$;
            CREATE FUNCTION twice(x int) RETURNS bigint LANGUAGE sql RETURN x * 2;
            CREATE FUNCTION thrice(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT x * 3; END
            """)
        #expect(try rows(db, "SELECT add_to(1), add_to(1, 2), add_to(b => 5, a => 1), add_to('7')") == [["11", "3", "6", "17"]])
        #expect(try rows(db, "SELECT top_paid(1), top_paid(3), none(), twice(4), thrice(2)") == [["ada", "NULL", "NULL", "8", "6"]])
        #expect(try rows(db, "SELECT name, add_to(salary, id) FROM emp ORDER BY id") == [["ada", "121"], ["bob", "102"], ["cy", "93"], ["di", "NULL"]])
        #expect(try rows(db, "SELECT dept, add_to(sum(salary)::int) FROM emp GROUP BY dept ORDER BY dept") == [["1", "230"], ["2", "100"], ["NULL", "NULL"]],
                "an aggregate as an argument")
        #expect(try rows(db, "SELECT id FROM emp WHERE top_paid(dept) = name ORDER BY id") == [["1"], ["3"]])
        #expect(try rows(db, "SELECT * FROM add_to(1, 1) AS r") == [["2"]], "a scalar function in FROM is one row")
    }

    @Test("a column of the body's tables wins over an argument of the same name, as in PostgreSQL")
    func columnsBeforeArguments() throws {
        let db = try Database.inMemory()
        try employees(db)
        try db.execute("CREATE FUNCTION by_name(name text) RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM emp WHERE emp.name = by_name.name $$")
        try db.execute("CREATE FUNCTION shadowed(name text) RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM emp WHERE name = name $$")
        #expect(try rows(db, "SELECT by_name('bob'), shadowed('bob')") == [["1", "4"]])
    }

    @Test("STRICT gives NULL for a NULL argument without running the body; overloads are chosen by argument type")
    func strictAndOverloads() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE FUNCTION st(a int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT coalesce(a, 42) $$;
            CREATE FUNCTION nst(a int) RETURNS int LANGUAGE sql CALLED ON NULL INPUT AS $$ SELECT coalesce(a, 42) $$;
            CREATE FUNCTION ov(a int) RETURNS text LANGUAGE sql AS $$ SELECT 'int' $$;
            CREATE FUNCTION ov(a text) RETURNS text LANGUAGE sql AS $$ SELECT 'text' $$
            """)
        #expect(try rows(db, "SELECT st(NULL), nst(NULL), st(1)") == [["NULL", "42", "1"]])
        #expect(try rows(db, "SELECT ov(1), ov('x'), ov('1'), ov(1::smallint)") == [["int", "text", "text", "int"]])
        #expect(sqlError(db, "SELECT ov(1.5)")?.sqlState == "42883")
    }

    @Test("SETOF and RETURNS TABLE functions are row sources in FROM, also LATERAL")
    func setReturning() throws {
        let db = try Database.inMemory()
        try employees(db)
        try db.execute("""
            CREATE FUNCTION upto(n int) RETURNS SETOF int LANGUAGE sql AS $$ SELECT g FROM generate_series(1, n) g $$;
            CREATE FUNCTION in_dept(d int) RETURNS TABLE (id int, name text) LANGUAGE sql AS $$ SELECT id, name FROM emp WHERE dept = d ORDER BY id $$;
            CREATE FUNCTION everyone() RETURNS SETOF emp LANGUAGE sql AS $$ SELECT * FROM emp $$
            """)
        #expect(try rows(db, "SELECT * FROM upto(3)") == [["1"], ["2"], ["3"]])
        #expect(try rows(db, "SELECT upto FROM upto(2) ORDER BY upto DESC") == [["2"], ["1"]], "the column is named after the function")
        #expect(try rows(db, "SELECT name FROM in_dept(1) ORDER BY id") == [["ada"], ["bob"]])
        #expect(try rows(db, "SELECT d.id, f.name FROM (VALUES (1), (2)) d(id), LATERAL in_dept(d.id) f ORDER BY f.id") == [["1", "ada"], ["1", "bob"], ["2", "cy"]])
        #expect(try rows(db, "SELECT count(*), max(salary) FROM everyone()") == [["4", "120"]])
        #expect(try rows(db, "SELECT id, upto(id) FROM emp WHERE id <= 2 ORDER BY id, 2") == [["1", "1"], ["2", "1"], ["2", "2"]],
                "a SETOF function in a select list runs once per row, as generate_series does")
    }

    @Test("pg_proc lists the functions as psql's \\df and pgJDBC read them")
    func catalogRows() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE FUNCTION add_to(a integer, b integer DEFAULT 10) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
            CREATE FUNCTION pairs(n int) RETURNS TABLE (k int, v text) LANGUAGE sql AS $$ SELECT 1, 'x' $$
            """)
        #expect(try rows(db, """
            SELECT proname, pronamespace, prorettype, proargtypes::text, l.lanname, prosrc, proretset, provolatile, proargnames, pronargdefaults
            FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE pronamespace = 2200 ORDER BY proname
            """) == [["add_to", "2200", "23", "23 23", "sql", " SELECT a + b ", "f", "i", "{a,b}", "1"],
                     ["pairs", "2200", "2249", "23", "sql", " SELECT 1, 'x' ", "t", "v", "{n,k,v}", "0"]])
        #expect(try rows(db, "SELECT pg_get_function_result(oid), pg_get_function_arguments(oid) FROM pg_proc WHERE pronamespace = 2200 ORDER BY proname")
                == [["integer", "a integer, b integer DEFAULT 10"], ["TABLE(k integer, v text)", "n integer"]])
        // psql's \sf: PostgreSQL 15 prints these two exactly so.
        #expect(try rows(db, "SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = 2200 ORDER BY proname") == [
            ["CREATE OR REPLACE FUNCTION public.add_to(a integer, b integer DEFAULT 10)\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\nAS $function$ SELECT a + b $function$\n"],
            ["CREATE OR REPLACE FUNCTION public.pairs(n integer)\n RETURNS TABLE(k integer, v text)\n LANGUAGE sql\nAS $function$ SELECT 1, 'x' $function$\n"]])
        #expect(try rows(db, "SELECT pg_get_functiondef(0)") == [["NULL"]])
    }

    @Test("regproc and regprocedure name functions by their pg_proc OIDs, both ways")
    func procedureIdentifiers() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE FUNCTION add_to(a integer, b integer DEFAULT 10) RETURNS integer LANGUAGE sql AS $$ SELECT a + b $$;
            CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql AS 'SELECT 2 * x';
            CREATE FUNCTION twice(x text, sep varchar(3)) RETURNS text LANGUAGE sql AS 'SELECT x || sep || x'
            """)
        #expect(try rows(db, "SELECT oid = 'add_to'::regproc, oid = 'public.ADD_TO'::regproc, oid::regproc, oid::regprocedure FROM pg_proc WHERE proname = 'add_to'")
                == [["t", "t", "add_to", "add_to(integer,integer)"]])
        #expect(try rows(db, "SELECT proname, oid::regprocedure FROM pg_proc WHERE oid IN ('twice(int)'::regprocedure, 'twice(text, character varying)'::regprocedure) ORDER BY 2")
                == [["twice", "twice(integer)"], ["twice", "twice(text,character varying)"]])
        #expect(try rows(db, "SELECT 0::regproc, 12345::regprocedure") == [["-", "12345"]])
        #expect(sqlError(db, "SELECT 'twice'::regproc")?.sqlState == "42725")
        #expect(sqlError(db, "SELECT 'twice(bigint)'::regprocedure")?.message == "function \"twice(bigint)\" does not exist")
        #expect(sqlError(db, "SELECT 'twice'::regprocedure")?.sqlState == "22P02")
        // pg_type's input functions keep the OIDs pgJDBC compares with.
        #expect(try rows(db, "SELECT count(*) > 0 FROM pg_type WHERE typinput = 'pg_catalog.array_in'::regproc") == [["t"]])
    }

    @Test("information_schema.routines and .parameters describe the functions as PostgreSQL 15 does")
    func informationSchema() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE rt (a int);
            CREATE FUNCTION f1(a int, b text DEFAULT 'x') RETURNS int LANGUAGE sql IMMUTABLE STRICT AS 'SELECT a';
            CREATE FUNCTION f2(n int) RETURNS TABLE (x int, y varchar(3)) LANGUAGE sql AS 'SELECT n, ''a''';
            CREATE FUNCTION f3() RETURNS SETOF rt LANGUAGE sql AS 'SELECT * FROM rt'
            """)
        #expect(try rows(db, """
            SELECT routine_name, routine_type, data_type, type_udt_schema, type_udt_name, routine_body, routine_definition,
                   external_language, is_deterministic, is_null_call, security_type, specific_name = routine_name || '_' || p.oid
            FROM information_schema.routines r JOIN pg_proc p ON p.proname = r.routine_name ORDER BY routine_name
            """) == [["f1", "FUNCTION", "integer", "pg_catalog", "int4", "SQL", "SELECT a", "SQL", "YES", "YES", "INVOKER", "t"],
                     ["f2", "FUNCTION", "record", "pg_catalog", "record", "SQL", "SELECT n, 'a'", "SQL", "NO", "NO", "INVOKER", "t"],
                     ["f3", "FUNCTION", "USER-DEFINED", "public", "rt", "SQL", "SELECT * FROM rt", "SQL", "NO", "NO", "INVOKER", "t"]])
        #expect(try rows(db, """
            SELECT split_part(specific_name, '_', 1), ordinal_position, parameter_mode, parameter_name, data_type, udt_name, parameter_default IS NOT NULL
            FROM information_schema.parameters ORDER BY specific_name, ordinal_position
            """) == [["f1", "1", "IN", "a", "integer", "int4", "f"], ["f1", "2", "IN", "b", "text", "text", "t"],
                     ["f2", "1", "IN", "n", "integer", "int4", "f"], ["f2", "2", "OUT", "x", "integer", "int4", "f"],
                     ["f2", "3", "OUT", "y", "character varying", "varchar", "f"]])
        #expect(try rows(db, "SELECT count(*) FROM information_schema.routines r, information_schema.parameters") == [["15"]])
    }

    @Test("CREATE, REPLACE and DROP errors carry PostgreSQL's SQLSTATEs and messages")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a'")
        #expect(sqlError(db, "CREATE FUNCTION f(b int) RETURNS int LANGUAGE sql AS 'SELECT 1'")?.message == "function \"f\" already exists with same argument types")
        #expect(sqlError(db, "CREATE OR REPLACE FUNCTION f(a int) RETURNS text LANGUAGE sql AS 'SELECT 1'")?.sqlState == "42P13")
        try db.execute("CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a * 10'")
        #expect(try rows(db, "SELECT f(2)") == [["20"]])
        #expect(sqlError(db, "CREATE FUNCTION g() RETURNS int AS 'SELECT 1'")?.message == "no language specified")
        let perl = sqlError(db, "CREATE FUNCTION g() RETURNS int LANGUAGE plperl AS 'return 1'")
        #expect(perl?.sqlState == "42704" && perl?.message == "language \"plperl\" does not exist")
        let mismatch = sqlError(db, "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT ''x'''")
        #expect(mismatch?.sqlState == "42P13" && mismatch?.detail == "Actual return type is text.")
        #expect(sqlError(db, "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1, 2'")?.detail == "Final statement must return exactly one column.")
        #expect(sqlError(db, "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT * FROM nosuch'")?.sqlState == "42P01")
        #expect(sqlError(db, "CREATE FUNCTION g(a int, a int) RETURNS int LANGUAGE sql AS 'SELECT 1'")?.message == "parameter name \"a\" used more than once")
        #expect(sqlError(db, "CREATE FUNCTION g(a int DEFAULT 1, b int) RETURNS int LANGUAGE sql AS 'SELECT 1'")?.sqlState == "42P13")
        #expect(sqlError(db, "CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql AS 'SELECT $2'")?.message == "there is no parameter $2")
        try db.execute("CREATE FUNCTION g() RETURNS bigint LANGUAGE sql AS 'SELECT 1'")
        #expect(sqlError(db, "SELECT nosuch(1)")?.sqlState == "42883")
        #expect(sqlError(db, "SELECT g(1)")?.sqlState == "42883")
        #expect(sqlError(db, "DROP FUNCTION nosuch")?.message == "could not find a function named \"nosuch\"")
        #expect(sqlError(db, "DROP FUNCTION g(int)")?.message == "function g(integer) does not exist")
        try db.execute("DROP FUNCTION IF EXISTS nosuch(int), g; DROP FUNCTION f(integer)")
        #expect(sqlError(db, "SELECT f(1)")?.sqlState == "42883")
    }

    @Test("functions survive reopen")
    func durable() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/functions.vireo"
            var db = try Database.open(path: path)
            try db.execute("CREATE FUNCTION add_to(a int, b int DEFAULT 10) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT a + b $$")
            try db.close()
            db = try Database.open(path: path)
            defer { try? db.close() }
            #expect(try rows(db, "SELECT add_to(1), add_to(NULL), proisstrict FROM pg_proc WHERE proname = 'add_to'") == [["11", "NULL", "t"]])
            try db.execute("DROP FUNCTION add_to")
            try db.close()
            db = try Database.open(path: path)
            #expect(sqlError(db, "SELECT add_to(1)")?.sqlState == "42883")
        }
    }
}
