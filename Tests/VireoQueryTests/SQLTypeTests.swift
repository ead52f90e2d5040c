import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// PostgreSQL 15's declared types: integer widths, real, varchar(n)/char(n), validated timestamps.
@Suite("SQL types: widths, lengths and validated input")
struct SQLTypeTests {
    static let setup = """
        CREATE TABLE w (s smallint, i integer, b bigint, r real, d double precision, v varchar(5), c char(3));
        CREATE TABLE gen (t text, short varchar(3) GENERATED ALWAYS AS (t) STORED);
        """

    static let failures: [(String, String)] = [
        ("INSERT INTO w (s) VALUES (32768)", "22003"),
        ("INSERT INTO w (s) VALUES (-32769)", "22003"),
        ("INSERT INTO w (i) VALUES (3000000000)", "22003"),
        ("INSERT INTO w (i) VALUES ('3000000000')", "22003"),
        ("INSERT INTO w (s) VALUES (40000.4)", "22003"),
        ("UPDATE w SET s = 99999", "22003"),
        ("SELECT 32767::smallint + 1::smallint", "22003"),
        ("SELECT 2147483647 + 1", "22003"),
        ("SELECT (-2147483647 - 1) * -1", "22003"),
        ("SELECT 70000::smallint", "22003"),
        ("SELECT '70000'::smallint", "22003"),
        ("SELECT 'x'::integer", "22P02"),
        ("SELECT 1e39::real", "22003"),
        ("SELECT '1e39'::real", "22003"),
        ("SELECT 3e38::real * 10::real", "22003"),
        ("INSERT INTO w (v) VALUES ('toolong')", "22001"),
        ("INSERT INTO w (c) VALUES ('abcd')", "22001"),
        ("INSERT INTO gen (t) VALUES ('toolong')", "22001"),
        ("SELECT '2024-02-30'::timestamp", "22008"),
        ("SELECT '2023-02-29 00:00'::timestamp", "22008"),
        ("SELECT '2024-01-01 25:00'::timestamp", "22008"),
        ("SELECT '2024-13-01'::timestamp", "22008"),
        ("SELECT 'yesterday-ish'::timestamp", "22007"),
        ("CREATE TABLE bad (v varchar(0))", "22023"),
    ]

    @Test("each statement fails with PostgreSQL's SQLSTATE", arguments: failures.indices)
    func failure(index: Int) throws {
        let (sql, sqlState) = Self.failures[index]
        let db = try Database.inMemory()
        try db.execute(Self.setup + "INSERT INTO w (s) VALUES (1);")
        let error = sqlError(db, sql)
        #expect(error?.sqlState == sqlState, "\(sql): expected \(sqlState), got \(String(describing: error))")
    }

    @Test("values at the edges of each width are stored and read back")
    func edges() throws {
        let db = try Database.inMemory()
        try db.execute(Self.setup)
        try db.execute("INSERT INTO w (s, i, b) VALUES (-32768, -2147483648, -9223372036854775808), (32767, 2147483647, 9223372036854775807)")
        #expect(try rows(db, "SELECT s, i, b FROM w ORDER BY s") == [
            ["-32768", "-2147483648", "-9223372036854775808"], ["32767", "2147483647", "9223372036854775807"]])
    }

    @Test("arithmetic takes PostgreSQL's result types")
    func resultTypes() throws {
        let db = try Database.inMemory()
        try db.execute(Self.setup + "INSERT INTO w VALUES (1, 2, 3, 1.5, 2.5, 'a', 'b');")
        let result = try db.execute("""
            SELECT s + s, s + i, i + b, i * 2, 2147483648, r + r, r + i, r + d, i / 2, sum(s), 1.5::real FROM w GROUP BY s, i, b, r, d
            """)
        #expect(result.columns.map(\.type) == [.smallint, .integer, .int, .integer, .int, .real, .double, .double, .integer, .int, .real])
        #expect(try rows(db, "SELECT 2147483647::bigint + 1, 32767::smallint + 1") == [["2147483648", "32768"]])
    }

    @Test("real keeps float4 precision and prints float4's digits")
    func real() throws {
        let db = try Database.inMemory()
        try db.execute(Self.setup)
        try db.execute("INSERT INTO w (r) VALUES (1.1), (0.1), (3.4e38)")
        let result = try db.execute("SELECT r, r::double precision, r::text FROM w ORDER BY 1")
        #expect(result.rows.map { zip($0, result.columns).map { $0.text(as: $1.type) ?? "NULL" } } == [
            ["0.1", "0.10000000149011612", "0.1"], ["1.1", "1.100000023841858", "1.1"], ["3.4e+38", "3.3999999521443642e+38", "3.4e+38"]])
        #expect(try rows(db, "SELECT count(*) FROM w WHERE r = 1.1") == [["0"]], "a real equals the double 1.1 as in PostgreSQL: never")
        #expect(try rows(db, "SELECT count(*) FROM w WHERE r = 1.1::real") == [["1"]])
    }

    @Test("varchar(n) and char(n): assignment checks, explicit casts truncate, char pads")
    func textLengths() throws {
        let db = try Database.inMemory()
        try db.execute(Self.setup)
        try db.execute("INSERT INTO w (v, c) VALUES ('abc', 'x'), ('abcde   ', 'ab  '), ('héllo', 'é')")
        #expect(try rows(db, "SELECT '[' || v || ']', '[' || c || ']', c, length(c) FROM w ORDER BY v") == [
            ["[abc]", "[x]", "x  ", "1"], ["[abcde]", "[ab]", "ab ", "2"], ["[héllo]", "[é]", "é  ", "1"]])
        #expect(try rows(db, "SELECT v FROM w WHERE c = 'ab'") == [["abcde"]], "char(n) compares without its padding")
        #expect(try rows(db, "SELECT * FROM w WHERE c = 'x'") == [["NULL", "NULL", "NULL", "NULL", "NULL", "abc", "x  "]])
        #expect(try rows(db, "SELECT 'toolong'::varchar(3), 'ab'::char(4), 'abcdef'::char(2), CAST('xyz' AS character varying(2))") == [
            ["too", "ab  ", "ab", "xy"]])
        #expect(try rows(db, "SELECT 'toolong'::varchar") == [["toolong"]])
    }

    @Test("varchar without a length is character varying of any length, as PostgreSQL 15 shows it")
    func unboundedVarchar() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE uv (a varchar, b character varying, c text, d varchar(3))")
        try db.execute("INSERT INTO uv VALUES ('\(String(repeating: "x", count: 20_000))', 'y', 'z', 'abc')")
        #expect(try rows(db, "SELECT length(a), b, c FROM uv") == [["20000", "y", "z"]])
        // Each expectation is PostgreSQL 15's answer to the same statement.
        #expect(try rows(db, "SELECT format_type(atttypid, atttypmod), atttypid::text, atttypmod FROM pg_attribute WHERE attrelid = 'uv'::regclass AND attnum > 0 ORDER BY attnum") == [
            ["character varying", "1043", "-1"], ["character varying", "1043", "-1"], ["text", "25", "-1"], ["character varying(3)", "1043", "7"]])
        #expect(try rows(db, "SELECT data_type, coalesce(character_maximum_length::text, 'NULL') FROM information_schema.columns WHERE table_name = 'uv' ORDER BY ordinal_position") == [
            ["character varying", "NULL"], ["character varying", "NULL"], ["text", "NULL"], ["character varying", "3"]])
        let described = try db.session().describe(Parser.parseStatement("SELECT a, c FROM uv")).columns
        #expect(described.map { $0.origin?.textTypeOID ?? 0 } == [1043, 0])
        #expect(described.map { $0.origin?.typeModifier ?? 0 } == [-1, -1])
        try withTemporaryDirectory { directory in
            let stored = try reopenedDatabase(directory, "uv.vireo", after: "CREATE TABLE uv (a varchar, d varchar(3))")
            #expect(try rows(stored, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'uv'::regclass AND attnum > 0 ORDER BY attnum")
                    == [["character varying"], ["character varying(3)"]], "the declared types survive a reopen")
            try stored.execute("INSERT INTO uv VALUES ('\(String(repeating: "y", count: 300))', 'abc')")
            #expect(sqlError(stored, "INSERT INTO uv (d) VALUES ('abcd')")?.sqlState == "22001")
            try stored.close()
        }
    }

    @Test("pg_typeof names varchar and char columns and casts as PostgreSQL 15 does; expressions over them are text")
    func textTypeNames() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE tn (a varchar(5), b varchar, c char(3), d text);
            INSERT INTO tn VALUES ('x', 'y', 'z', 'w');
            CREATE VIEW tnv AS SELECT a, c FROM tn;
            """)
        // Each expectation is PostgreSQL 15's answer to the same statement.
        #expect(try rows(db, "SELECT pg_typeof(a), pg_typeof(b), pg_typeof(c), pg_typeof(d), pg_typeof(a || 'x'), pg_typeof(upper(c)), pg_typeof(tn.a) FROM tn") == [
            ["character varying", "character varying", "character", "text", "text", "text", "character varying"]])
        #expect(try rows(db, "SELECT pg_typeof('a'::varchar), pg_typeof('a'::varchar(3)), pg_typeof('a'::char(2)), pg_typeof(CAST('a' AS character)), pg_typeof('a'::text)") == [
            ["character varying", "character varying", "character", "character", "text"]])
        #expect(try rows(db, "SELECT pg_typeof(s.a), pg_typeof(s.c) FROM (SELECT a, c FROM tn) s") == [["character varying", "character"]])
        #expect(try rows(db, "SELECT pg_typeof(a), pg_typeof(c) FROM tnv") == [["character varying", "character"]])
        #expect(try rows(db, "SELECT a FROM tn WHERE pg_typeof(c)::text = 'character'") == [["x"]])
        // RowDescription: varchar 1043 and bpchar 1042 with their typmods (n + 4), text 25.
        let described = try db.session().describe(Parser.parseStatement(
            "SELECT a, b, c, a || 'x', 'a'::varchar, 'a'::varchar(3), 'a'::char(2) FROM tn")).columns
        #expect(described.map { $0.origin?.textTypeOID ?? 25 } == [1043, 1043, 1042, 25, 1043, 1043, 1042])
        #expect(described.map { $0.origin?.typeModifier ?? -1 } == [9, -1, 7, -1, -1, 7, 6])
    }

    @Test("declared types persist: a reopened database still checks widths and lengths")
    func persistence() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "types.vireo", after: Self.setup + "INSERT INTO w VALUES (7, 8, 9, 1.25, 2.5, 'abc', 'z');")
            #expect(sqlError(db, "INSERT INTO w (s) VALUES (40000)")?.sqlState == "22003")
            #expect(sqlError(db, "INSERT INTO w (v) VALUES ('abcdef')")?.sqlState == "22001")
            #expect(try rows(db, "SELECT s, i, b, r, d, v, c || '|' FROM w") == [["7", "8", "9", "1.25", "2.5", "abc", "z|"]])
            #expect(try rows(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = (SELECT oid FROM pg_class WHERE relname = 'w') ORDER BY attnum") == [
                ["smallint"], ["integer"], ["bigint"], ["real"], ["double precision"], ["character varying(5)"], ["character(3)"]])
            try db.close()
        }
    }

    @Test("an integer primary key is range-checked and still addresses rows by id")
    func integerKey() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE k (id integer PRIMARY KEY)")
        try db.execute("INSERT INTO k VALUES (2147483647)")
        #expect(sqlError(db, "INSERT INTO k VALUES (2147483648)")?.sqlState == "22003")
        #expect(try rows(db, "SELECT id FROM k WHERE id = 2147483647") == [["2147483647"]])
    }

    @Test("timestamps: valid edges parse, leap days only in leap years")
    func timestamps() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT '2024-02-29'::timestamp, '2000-02-29 23:59:59.5'::timestamp, '2024-12-31 24:00:00'::timestamp") == [
            ["2024-02-29 00:00:00", "2000-02-29 23:59:59.5", "2025-01-01 00:00:00"]])
        #expect(sqlError(db, "SELECT '1900-02-29'::timestamp")?.sqlState == "22008")
    }
}

@Suite("Float output as PostgreSQL 15 lays it out")
struct FloatTextTests {
    @Test("double precision: plain from 1e-4 to below 1e15, exponent outside")
    func doubles() {
        let values: [Double] = [1e15, 1e14, 123456789012345678, 0.0001, 0.00001, -0.0, 100, 1e100, 1.25e-7, 2.5, -3.75]
        #expect(values.map { Value.format($0) } == ["1e+15", "100000000000000", "1.2345678901234568e+17", "0.0001", "1e-05", "-0",
                                             "100", "1e+100", "1.25e-07", "2.5", "-3.75"])
    }

    @Test("real: float4's shortest digits, exponent from 1e6")
    func reals() {
        let values: [Float] = [1e6, 123456, 0.0001, 1.5e-5, 1.1, 16777217, 3.4e38]
        #expect(values.map { Value.format(real: Double($0)) } == ["1e+06", "123456", "0.0001", "1.5e-05", "1.1", "1.6777216e+07", "3.4e+38"])
    }
}

@Suite("date and timestamptz")
struct DateTypeTests {
    @Test("dates print as dates, take day arithmetic and persist with their type")
    func datesPersist() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "dates.vireo", after: """
                CREATE TABLE ev (id integer PRIMARY KEY, day date, atz timestamptz);
                INSERT INTO ev VALUES (1, '2024-02-28', '2024-01-01 01:00:00+02:00'), (2, '1969-12-31 23:59', '1970-01-01 00:00:00Z');
                CREATE INDEX ev_day ON ev (day);
                """)
            let result = try db.execute("SELECT day, day + 1, atz, date '2024-03-01' - day FROM ev ORDER BY day")
            #expect(result.columns.map(\.type) == [.date, .date, .timestamptz, .integer])
            #expect(result.rows.map { zip($0, result.columns).map { $0.text(as: $1.type) ?? "NULL" } } == [
                ["1969-12-31", "1970-01-01", "1970-01-01 00:00:00+00", "19784"],
                ["2024-02-28", "2024-02-29", "2023-12-31 23:00:00+00", "2"]])
            #expect(try rows(db, "SELECT id FROM ev WHERE day = '2024-02-28'") == [["1"]])
            #expect(sqlError(db, "INSERT INTO ev (id, day) VALUES (3, '2023-02-29')")?.sqlState == "22008")
            try db.close()
        }
    }

    @Test("EXTRACT, date_part and date_trunc follow PostgreSQL's fields, ISO weeks included")
    func fields() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT EXTRACT(year FROM t), EXTRACT(doy FROM t), EXTRACT(dow FROM t), EXTRACT(week FROM t), EXTRACT(isoyear FROM t),
                   EXTRACT(second FROM t), EXTRACT(epoch FROM t), date_part('quarter', t)
            FROM (SELECT timestamp '2021-01-03 04:05:06.5' AS t) s
            """) == [["2021", "3", "0", "53", "2020", "6.500000", "1609646706.500000", "1"]])
        #expect(try rows(db, "SELECT date_trunc('week', timestamp '2024-02-29 13:00'), date_trunc('century', timestamp '2000-12-31')") == [
            ["2024-02-26 00:00:00", "1901-01-01 00:00:00"]])
        #expect(sqlError(db, "SELECT date_trunc('fortnight', now())")?.sqlState == "22023")
    }
}

@Suite("uuid")
struct UUIDTypeTests {
    @Test("uuid input is normalised, refused when malformed, and keys a table across a reopen")
    func uuids() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "uuid.vireo", after: """
                CREATE TABLE k (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n int);
                INSERT INTO k VALUES ('{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}', 1), ('a0eebc999c0b4ef8bb6d6bb9bd380a12', 2);
                INSERT INTO k (n) VALUES (3);
                """)
            #expect(try rows(db, "SELECT n FROM k WHERE id = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12'") == [["2"]])
            #expect(sqlError(db, "INSERT INTO k VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 4)")?.sqlState == "23505")
            #expect(sqlError(db, "INSERT INTO k VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g', 4)")?.sqlState == "22P02")
            let generated = try rows(db, "SELECT id::text FROM k WHERE n = 3")[0][0]
            #expect(generated.count == 36 && Array(generated)[14] == "4", "a version-4 uuid, got \(generated)")
            try db.close()
        }
    }
}

@Suite("interval")
struct IntervalTypeTests {
    @Test("intervals persist in rows and index keys, order by span and print as PostgreSQL does")
    func intervalsPersist() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "interval.vireo", after: """
                CREATE TABLE s (id int PRIMARY KEY, d interval);
                CREATE INDEX s_d ON s (d);
                INSERT INTO s VALUES (1, '1 mon'), (2, '-1 day 2 hours'), (3, '1 year 2 mons -3 days 04:05:06.5'), (4, '25 hours');
                """)
            #expect(try rows(db, "SELECT id, d FROM s WHERE d > '1 day' ORDER BY d") == [
                ["4", "25:00:00"], ["1", "1 mon"], ["3", "1 year 2 mons -3 days +04:05:06.5"]])
            #expect(try rows(db, "SELECT d FROM s WHERE id = 2") == [["-1 days +02:00:00"]])
            #expect(try rows(db, "SELECT count(*) FROM s WHERE d = '30 days'") == [["1"]], "a month equals 30 days")
            try db.close()
        }
    }

    @Test("calendar arithmetic: months clamp to the month's end, differences split into days and time, age borrows")
    func arithmetic() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT timestamp '2024-01-31' + interval '1 mon', timestamp '2024-03-01' - timestamp '2024-02-28 22:00',
                   age(timestamp '2024-03-01', timestamp '2023-01-31 10:00'), interval '1 day' * 1.5, make_interval(0, 0, 1)
            """) == [["2024-02-29 00:00:00", "1 day 02:00:00", "1 year 1 mon 14:00:00", "1 day 12:00:00", "7 days"]])
        #expect(sqlError(db, "SELECT 'soon'::interval")?.sqlState == "22007")
        #expect(sqlError(db, "SELECT timestamp '2024-01-02' - '1 day'")?.sqlState == "22007")
    }
}
