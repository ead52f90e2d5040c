import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Where types come from, as PostgreSQL 15 decides them: PREPARE's declared parameter types,
/// a nested query's string-literal columns (text), an altered column's default. Each
/// expectation was taken from PostgreSQL 15 running the same statements.
@Suite("PostgreSQL 15's dialect: declared parameter types, subquery literals, defaults under ALTER TYPE")
struct DialectBindingTests {
    @Test("PREPARE's declared types are the parameters' types: EXECUTE's arguments are cast to them, the statement is bound with them")
    func prepareUsesDeclaredTypes() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("PREPARE p(int, text) AS SELECT $1 + 1, $2 || 'x', pg_typeof($1), pg_typeof($2)")
        #expect(try rows(session, "EXECUTE p('12', 'a')") == [["13", "ax", "integer", "text"]])
        #expect(try rows(session, "EXECUTE p(12.5, 3)") == [["14", "3x", "integer", "text"]])
        let bad = try #require(sqlError(session, "EXECUTE p('abc', 'a')"))
        #expect(bad.sqlState == "22P02" && bad.message == "invalid input syntax for type integer: \"abc\"", "\(bad.message)")
        let few = try #require(sqlError(session, "EXECUTE p(1)"))
        #expect(few.sqlState == "42601" && few.message == "wrong number of parameters for prepared statement \"p\""
                && few.detail == "Expected 2 parameters but got 1.", "\(few.message) \(few.detail ?? "")")
        #expect(sqlError(session, "EXECUTE p(1, 'a', 'b')")?.detail == "Expected 2 parameters but got 3.")
        // A text parameter is text, not an untyped literal: text + integer does not exist.
        let text = try #require(sqlError(session, "PREPARE q(text) AS SELECT $1 + 1"))
        #expect(text.sqlState == "42883" && text.message == "operator does not exist: text + integer", "\(text.message)")
        try session.execute("PREPARE r(int) AS SELECT $1 || 'a'")
        #expect(try rows(session, "EXECUTE r(5)") == [["5a"]])
        try session.execute("PREPARE s(text) AS SELECT $1 = 'a'")
        #expect(try rows(session, "EXECUTE s(5)") == [["f"]])
    }

    @Test("a Parse message's parameter OIDs are resolved as PREPARE's type names: 0 and unknown leave the use to decide, an OID of no type is 42704")
    func parameterTypesByOID() throws {
        let db = try Database.inMemory()
        let session = db.session()
        let oids: [Int32] = [23, 20, 701, 1700, 25, 1043, 16, 1082, 1114, 1184, 3802, 2950, 16_385, 1007, 0, 705]
        let expected: [SQLType] = [.integer, .int, .double, .numeric, .text, .text, .bool, .date, .timestamp, .timestamptz, .json,
                                   .uuid, .vector(nil), .array(.integer), .unknown, .unknown]
        #expect(try session.parameterTypes(oids: oids) == expected)
        #expect(try session.parameterTypes(oids: [0, 0]) == [])
        do {
            _ = try session.parameterTypes(oids: [23, 99_999])
            Issue.record("OID 99999 was accepted")
        } catch let error as VireoError {
            #expect(error.sqlState == "42704" && error.message == "type with OID 99999 does not exist", "\(error.message)")
        }
    }

    @Test("a statement whose plan cache carries declared types is described, planned and run with $n of those types, as PostgreSQL 15 answers a Parse with OIDs")
    func declaredTypesBindParsedStatements() throws {
        let db = try Database.inMemory()
        let session = db.session()
        // PostgreSQL 15, Parse "SELECT $1, $2, $2 || 'x', pg_typeof($2)" with OIDs 25, 23: text, int4, text, regtype.
        let statement = try Parser.parseStatement("SELECT $1, $2, $2 || 'x', pg_typeof($2)")
        let types = try session.parameterTypes(oids: [25, 23])
        let description = try session.describe(statement, parameterTypes: types)
        #expect(description.parameterTypes == [.text, .integer])
        #expect(description.columns.map(\.type).prefix(3) == [.text, .integer, .text])
        let cache = PlanCache(parameterTypes: types)
        let result = try session.execute(statement, [.text("hello"), .text("41")], planCache: cache)
        #expect(result.columns.map(\.type).prefix(3) == [.text, .integer, .text])
        #expect(result.rows.map { $0.map { $0.text ?? "NULL" } } == [["hello", "41", "41x", "integer"]])
        #expect(try session.resultColumns(statement, [.text("a"), .int(1)], planCache: cache)?.map(\.type).prefix(2) == [.text, .integer])
        // Declared text, `$1 = 1` has no operator (42883); undeclared, $1 takes the integer's type.
        let compare = try Parser.parseStatement("SELECT $1 = 1")
        do {
            _ = try session.execute(compare, [.text("4")], planCache: PlanCache(parameterTypes: [.text]))
            Issue.record("text = integer was accepted")
        } catch let error as VireoError {
            #expect(error.sqlState == "42883" && error.message == "operator does not exist: text = integer", "\(error.message)")
        }
        #expect(try session.execute(compare, [.text("4")], planCache: PlanCache()).rows.first?.first == .bool(false))
    }

    @Test("PREPARE names an unknown type as 42704 at once; a statement without parameters ignores EXECUTE's arguments")
    func prepareTypeErrors() throws {
        let db = try Database.inMemory()
        let session = db.session()
        let unknown = try #require(sqlError(session, "PREPARE p(nosuch) AS SELECT $1"))
        #expect(unknown.sqlState == "42704" && unknown.message == "type \"nosuch\" does not exist", "\(unknown.message)")
        try session.execute("PREPARE none AS SELECT 1")
        #expect(try rows(session, "EXECUTE none(1)") == [["1"]])
        try session.execute("PREPARE one(int) AS SELECT 1")
        #expect(sqlError(session, "EXECUTE one")?.detail == "Expected 1 parameters but got 0.")
    }

    @Test("a declared type decides assignments too: an integer parameter into a boolean column is 42804 at PREPARE")
    func prepareDeclaredTypeAssignment() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE flags (k int, b boolean, t text)")
        try session.execute("PREPARE put(int, int) AS INSERT INTO flags (k, t) VALUES ($1, $2)")
        try session.execute("EXECUTE put(1, '42')")
        #expect(try rows(session, "SELECT k, t FROM flags") == [["1", "42"]])
        let error = try #require(sqlError(session, "PREPARE bad(int) AS INSERT INTO flags (b) VALUES ($1)"))
        #expect(error.sqlState == "42804" && error.message == "column \"b\" is of type boolean but expression is of type integer", "\(error.message)")
    }

    @Test("a nested query's string literal or NULL column is text, as PostgreSQL resolves it; a top-level literal still adapts")
    func subqueryLiteralColumnsAreText() throws {
        let db = try Database.inMemory()
        let operatorCases: [(String, String)] = [
            ("SELECT 1 + x FROM (SELECT '1' AS x) s", "operator does not exist: integer + text"),
            ("WITH s AS (SELECT '1' AS x) SELECT 1 + x FROM s", "operator does not exist: integer + text"),
            ("SELECT x FROM (SELECT '1' AS x UNION ALL SELECT '2') s WHERE x = 1", "operator does not exist: text = integer"),
            ("SELECT 1 + x FROM (SELECT NULL AS x) s", "operator does not exist: integer + text"),
            ("SELECT 1 + (SELECT '1')", "operator does not exist: integer + text"),
            ("SELECT 1 IN (SELECT '1')", "operator does not exist: integer = text"),
            ("SELECT 1 = ANY (SELECT '1')", "operator does not exist: integer = text"),
            ("SELECT 1 + x FROM LATERAL (SELECT '1' AS x) s", "operator does not exist: integer + text"),
        ]
        for (sql, message) in operatorCases {
            let error = try #require(sqlError(db, sql), "\(sql)")
            #expect(error.sqlState == "42883" && error.message == message, "\(sql): \(error.sqlState) \(error.message)")
        }
        #expect(try rows(db, "SELECT pg_typeof(x), x || 'a', x = '1' FROM (SELECT '1' AS x) s") == [["text", "1a", "t"]])
        #expect(try rows(db, "SELECT pg_typeof((SELECT '1')), (SELECT '2') || 'a', x::int + 1 FROM (SELECT '1' AS x) s")
                == [["text", "2a", "2"]])
        #expect(try rows(db, "SELECT 1 + '1', x FROM (SELECT 'a' AS x) s JOIN (SELECT 'a' AS y) r ON x = y") == [["2", "a"]])
        try db.execute("CREATE TABLE n (i int)")
        let insert = try #require(sqlError(db, "INSERT INTO n SELECT x FROM (SELECT '1' AS x) s"))
        #expect(insert.sqlState == "42804" && insert.message == "column \"i\" is of type integer but expression is of type text")
        try db.execute("INSERT INTO n SELECT '1'")
        #expect(try rows(db, "SELECT i FROM n") == [["1"]])
    }

    @Test("COALESCE of varchar and a literal is varchar; num_nulls and num_nonnulls count a VARIADIC array")
    func coalesceTypeAndVariadicCounts() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE vc (v varchar(3), t text); INSERT INTO vc VALUES ('ab', 'x')")
        // PostgreSQL 15's answers.
        #expect(try rows(db, "SELECT pg_typeof(coalesce('x'::varchar, 'y')), pg_typeof(coalesce(null::varchar(3), 'y')), pg_typeof(coalesce('y', 'x'::varchar))")
                == [["character varying", "character varying", "character varying"]])
        #expect(try rows(db, "SELECT pg_typeof(coalesce(v, 'x')), pg_typeof(coalesce(v, t)), coalesce(v, 'x') FROM vc") == [["character varying", "character varying", "ab"]])
        #expect(try rows(db, "SELECT num_nulls(VARIADIC ARRAY[1, null, 3]), num_nonnulls(VARIADIC ARRAY[1, null, 3]), num_nulls(VARIADIC NULL::int[]), num_nulls(VARIADIC '{}'::int[])")
                == [["1", "2", "NULL", "0"]])
        #expect(sqlError(db, "SELECT num_nulls(VARIADIC 1)")?.sqlState == "42804")
        let parsed = try Parser.parseExpression("num_nulls(VARIADIC b)")
        #expect(try Parser.parseExpression(parsed.sql) == parsed, "\(parsed.sql)")
    }

    @Test("ALTER COLUMN … TYPE converts the default by an assignment cast or refuses: 42804 with PostgreSQL's message")
    func alterTypeChecksDefault() throws {
        let db = try Database.inMemory()
        let cases: [(String, String)] = [
            ("CREATE TABLE a1 (a int DEFAULT 1); ALTER TABLE a1 ALTER COLUMN a TYPE boolean USING a <> 0", "boolean"),
            ("CREATE TABLE a2 (a text DEFAULT 'x'); ALTER TABLE a2 ALTER COLUMN a TYPE int USING length(a)", "integer"),
            ("CREATE TABLE a3 (a varchar(3) DEFAULT 'ab'); ALTER TABLE a3 ALTER COLUMN a TYPE int USING 1", "integer"),
            ("CREATE TABLE a4 (a int DEFAULT '7'); ALTER TABLE a4 ALTER COLUMN a TYPE bigint; ALTER TABLE a4 ALTER COLUMN a TYPE boolean USING a <> 0",
             "boolean"),
        ]
        for (sql, type) in cases {
            let error = try #require(sqlError(db, sql), "\(sql)")
            #expect(error.sqlState == "42804" && error.message == "default for column \"a\" cannot be cast automatically to type \(type)",
                    "\(sql): \(error.sqlState) \(error.message)")
        }
        try db.execute("CREATE TABLE b1 (a int DEFAULT 1.5); ALTER TABLE b1 ALTER COLUMN a TYPE text; INSERT INTO b1 DEFAULT VALUES")
        #expect(try rows(db, "SELECT a FROM b1") == [["1.5"]])
        try db.execute("CREATE TABLE b2 (a int DEFAULT NULL); ALTER TABLE b2 ALTER COLUMN a TYPE boolean USING a <> 0")
        try db.execute("CREATE TABLE b3 (a int DEFAULT 7); ALTER TABLE b3 ALTER COLUMN a TYPE bigint; INSERT INTO b3 DEFAULT VALUES")
        #expect(try rows(db, "SELECT a FROM b3") == [["7"]])
    }
}
