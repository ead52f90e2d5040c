import Testing
@testable import VireoQuery
import VireoStorage

/// Casts and assignments to integer columns, each expectation taken from PostgreSQL 15 (run
/// on the same statements): a float (float4, float8) becomes an integer by rint, half to
/// even; a numeric rounds half away from zero; text input skips C's blanks only.
@Suite("Assignment and cast rounding, ranges and input as PostgreSQL 15")
struct AssignmentCastTests {
    @Test("a float8 parameter assigned by UPDATE SET to smallint, integer and bigint rounds half to even, as PostgreSQL's rint")
    func updateParametersRoundHalfToEven() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE r (k int PRIMARY KEY, s smallint, i int, b bigint); INSERT INTO r VALUES (1, 0, 0, 0)")
        let session = db.session()
        for (number, expected) in [(2.5, "2"), (-2.5, "-2"), (3.5, "4"), (0.5, "0"), (-0.5, "0"), (2.4999, "2"), (2.5001, "3")] {
            try session.execute("UPDATE r SET s = $1, i = $1, b = $1 WHERE k = 1", [.double(number)])
            #expect(try rows(session, "SELECT s, i, b FROM r") == [[expected, expected, expected]], "SET = \(number)")
        }
        try session.execute("UPDATE r SET s = $1 WHERE k = 1", [.double(32766.5)])
        #expect(try rows(session, "SELECT s FROM r") == [["32766"]])
        let overflow = try #require(sqlError(db, "UPDATE r SET s = $1 WHERE k = 1", [.double(32767.5)]))
        #expect(overflow.sqlState == "22003" && overflow.message == "smallint out of range", "rint(32767.5) is 32768")
    }

    @Test("a numeric literal assigned rounds half away from zero, a float one half to even: UPDATE, INSERT … SELECT, ON CONFLICT, defaults")
    func literalAssignmentsFollowTheirType() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE r (k int PRIMARY KEY, s smallint, i int, b bigint); INSERT INTO r VALUES (1, 0, 0, 0)")
        try db.execute("UPDATE r SET s = 2.5, i = -2.5, b = 3.5")
        #expect(try rows(db, "SELECT s, i, b FROM r") == [["3", "-3", "4"]])
        try db.execute("UPDATE r SET s = 2.5::float8, i = -2.5::float8, b = 0.5::real")
        #expect(try rows(db, "SELECT s, i, b FROM r") == [["2", "-2", "0"]])
        try db.execute("INSERT INTO r SELECT 2, 2.5::float8, -2.5::float8, 3.5::float8")
        try db.execute("INSERT INTO r SELECT 3, 2.5, -2.5, 0.5")
        #expect(try rows(db, "SELECT s, i, b FROM r WHERE k > 1 ORDER BY k") == [["2", "-2", "4"], ["3", "-3", "1"]])
        let upsert = "INSERT INTO r VALUES ($1, 0, 0, 0) ON CONFLICT (k) DO UPDATE SET s = $2, i = $2, b = excluded.k + $2"
        try db.execute(upsert, [.int(1), .double(4.5)])
        #expect(try rows(db, "SELECT s, i, b FROM r WHERE k = 1") == [["4", "4", "6"]], "1 + 4.5 is a float8 5.5: 6")
        try db.execute("INSERT INTO r VALUES (1, 0, 0, 0) ON CONFLICT (k) DO UPDATE SET i = 4.5, s = -0.5, b = 5.5::float8")
        #expect(try rows(db, "SELECT s, i, b FROM r WHERE k = 1") == [["-1", "5", "6"]])
        try db.execute("CREATE TABLE d (k int, i int DEFAULT 2.5, j int DEFAULT 2.5::float8, s smallint DEFAULT -2.5::float8, b bigint DEFAULT 3.5)")
        try db.execute("INSERT INTO d (k) VALUES (1)")
        #expect(try rows(db, "SELECT i, j, s, b FROM d") == [["3", "2", "-2", "4"]])
    }

    @Test("explicit casts: float to integer types rounds half to even, numeric half away from zero; round(float8) is rint")
    func explicitCasts() throws {
        let db = try Database.inMemory()
        let casts = """
            SELECT 2.5::float8::int, 2.5::numeric::int, (-2.5)::float8::int, (-2.5)::numeric::int, 2.5::float8::int2,
                   2.5::numeric::int2, 2.5::float8::int8, (-2.5)::numeric::int8, 0.5::float4::int, 1.5::float4::int, 3.5::float8::int8
            """
        #expect(try rows(db, casts) == [["2", "3", "-2", "-3", "2", "3", "2", "-3", "0", "2", "4"]])
        #expect(try rows(db, "SELECT $1::int, $1::int2, $1::int8", [.double(-3.5)]) == [["-4", "-4", "-4"]])
        #expect(try rows(db, "SELECT round(2.5::float8), round(0.5::float8), round(2.5::numeric), round(-2.5::numeric)") == [["2", "0", "3", "-3"]])
    }

    @Test("out of range and NaN are 22003 named after the type asked for, with PostgreSQL's messages")
    func outOfRange() throws {
        let db = try Database.inMemory()
        let cases: [(String, String, String)] = [
            ("SELECT 'NaN'::float8::int", "22003", "integer out of range"),
            ("SELECT 'Infinity'::float8::int2", "22003", "smallint out of range"),
            ("SELECT '-Infinity'::float8::int8", "22003", "bigint out of range"),
            ("SELECT 1e10::float8::int", "22003", "integer out of range"),
            ("SELECT 'NaN'::numeric::int", "0A000", "cannot convert NaN to integer"),
            ("SELECT '32768'::int2", "22003", "value \"32768\" is out of range for type smallint"),
            ("SELECT '9223372036854775808'::int8", "22003", "value \"9223372036854775808\" is out of range for type bigint"),
            ("SELECT 2147483647 + 1", "22003", "integer out of range"),
            ("SELECT 9223372036854775807::int8 + 1", "22003", "bigint out of range"),
            ("SELECT (-32768)::int2 * (-1)::int2", "22003", "smallint out of range"),
            ("SELECT 1e39::real", "22003", "\"1" + String(repeating: "0", count: 39) + "\" is out of range for type real"),
            ("SELECT (-1e39)::numeric::float4", "22003", "\"-1" + String(repeating: "0", count: 39) + "\" is out of range for type real"),
            ("SELECT 1e309::numeric::float8", "22003", "\"1" + String(repeating: "0", count: 309) + "\" is out of range for type double precision"),
            ("SELECT 1e39::float8::real", "22003", "value out of range: overflow"),
        ]
        for (sql, state, message) in cases {
            let error = try #require(sqlError(db, sql), "\(sql)")
            #expect(error.sqlState == state && error.message == message, "\(sql): \(error.sqlState) \(error.message)")
        }
        #expect(try rows(db, "SELECT sum(x) FROM (VALUES (9223372036854775807::int8), (1::int8)) v(x)") == [["9223372036854775808"]])
    }

    @Test("integer, float and boolean input skip C's blanks (tab, newline …) around a value, and nothing else")
    func textInput() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT E' \\t12\\n'::int, E'\\r-7 '::int2, '+5'::int8, E'\\t2.5\\n'::float8, E' true\\n'::bool") == [["12", "-7", "5", "2.5", "t"]])
        let oid = try #require(sqlError(db, "SELECT '4294967296'::oid"))
        #expect(oid.sqlState == "22003" && oid.message == "value \"4294967296\" is out of range for type oid")
        for text in ["1e3", "2.5", "+-5", "-", "", "1 2", "0x1A", "1\u{a0}", "\u{663}"] {
            let error = try #require(sqlError(db, "SELECT '\(text)'::int"), "'\(text)'")
            #expect(error.sqlState == "22P02" && error.message == "invalid input syntax for type integer: \"\(text)\"", "'\(text)': \(error.message)")
        }
    }

    @Test("boolean casts to and from integer only: bigint and smallint have none (42846)")
    func booleanCasts() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT true::int, 0::bool, 5::bool, 'yes'::text::bool") == [["1", "f", "t", "t"]])
        #expect(try rows(db, "SELECT 'tr'::bool, 'of'::bool, 'TRU'::bool, 'ye'::bool, ' N '::bool, 'On'::bool") == [["t", "f", "t", "t", "f", "t"]],
                "any prefix of true/false/yes/no, on and off from two letters")
        for text in ["o", "2", "tx", "onn", ""] {
            #expect(sqlError(db, "SELECT '\(text)'::bool")?.message == "invalid input syntax for type boolean: \"\(text)\"", "'\(text)'")
        }
        for sql in ["SELECT true::int8", "SELECT 1::int8::bool", "SELECT 1::int2::bool", "SELECT false::smallint"] {
            #expect(sqlError(db, sql)?.sqlState == "42846", "\(sql)")
        }
    }
}
