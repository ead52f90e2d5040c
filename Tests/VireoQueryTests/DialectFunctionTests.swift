import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Functions, operators and date/time input as PostgreSQL 15 has them: overlay, SIMILAR TO,
/// to_char of numbers, make_date and make_timestamp, factorial, prefix @, gcd and lcm's
/// ranges, the date spellings of PostgreSQL's input table and ±infinity. Each expectation
/// was taken from PostgreSQL 15 running the same statement.
@Suite("PostgreSQL 15's dialect: functions, operators and date/time input")
struct DialectFunctionTests {
    /// The error a statement gives: 5-character SQLSTATE and message.
    private static func failure(_ db: Database, _ sql: String) -> String {
        guard let error = sqlError(db, sql) else { return "no error" }
        return "\(error.sqlState): \(error.message)"
    }

    @Test("overlay(s PLACING r FROM a [FOR n]) of text and bytea; a start below 1 is 22011")
    func overlay() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT overlay('Txxxxas' placing 'hom' from 2 for 4), overlay('abcdef' placing 'XY' from 3), overlay('abc' placing 'Z' from 5),
                   overlay('abcdef' placing 'Z' from 2 for 0), overlay('abc' placing 'Z' from 1 for -1), overlay('abc', 'Z', 2, 1)
            """) == [["Thomas", "abXYef", "abcZ", "aZbcdef", "Zabc", "aZc"]])
        #expect(try DialectTests.typedRows(db, "SELECT overlay('\\x1234'::bytea placing '\\xff'::bytea from 2)") == [["\\x12ff"]])
        #expect(Self.failure(db, "SELECT overlay('abc' placing 'Z' from 0)") == "22011: negative substring length not allowed")
    }

    @Test("SIMILAR TO matches the whole text with SQL's pattern syntax; ESCAPE names the escape character, 22025 for a longer one")
    func similarTo() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT 'abc' SIMILAR TO 'abc', 'abc' SIMILAR TO 'a', 'abc' SIMILAR TO '%(b|d)%', 'abc' SIMILAR TO '(b|c)%',
                   'a_c' SIMILAR TO 'a#_c' ESCAPE '#', 'abc' NOT SIMILAR TO 'a__', 'ab' SIMILAR TO 'a*b', 'xy' SIMILAR TO '[a-z]{2}',
                   'a.c' SIMILAR TO 'a.c', 'abc' SIMILAR TO 'a.c', NULL SIMILAR TO 'a', 'a' SIMILAR TO 'a' ESCAPE '',
                   'a$^c' SIMILAR TO 'a$^c', 'a%' SIMILAR TO 'a\\%'
            """) == [["t", "f", "t", "f", "t", "f", "t", "t", "t", "f", "NULL", "t", "t", "t"]])
        let error = try #require(sqlError(db, "SELECT 'a' SIMILAR TO 'a' ESCAPE 'xx'"))
        #expect(error.sqlState == "22025" && error.message == "invalid escape string" && error.hint == "Escape string must be empty or one character.")
        try db.execute("CREATE TABLE words (w text); INSERT INTO words VALUES ('apple'), ('banana'), ('cherry')")
        #expect(try rows(db, "SELECT w FROM words WHERE w SIMILAR TO '(a|c)%' ORDER BY w") == [["apple"], ["cherry"]])
    }

    @Test("to_char of numbers: digits, zeros, points, groups, fill mode, the sign patterns and overflow as PostgreSQL prints them")
    func toCharNumbers() throws {
        let db = try Database.inMemory()
        let cases: [(String, String, String)] = [
            ("485", "L999", "  485"), ("-485", "L999", " -485"), ("485", "999", " 485"), ("-485", "999", "-485"),
            ("485", "999S", "485+"), ("-485", "S999", "-485"), ("485", "FM999MI", "485"), ("485", "999MI", "485 "),
            ("-485", "999MI", "485-"), ("-485", "MI999", "-485"), ("485", "PL999", "+ 485"), ("-485", "PL999", " -485"),
            ("485", "SG999", "+485"), ("-485", "SG999", "-485"), ("-485", "999PR", "<485>"), ("485", "999PR", " 485 "),
            ("-485", "FM999PR", "<485>"), ("0.5", "9.99", "  .50"), ("0.5", "0.99", " 0.50"), ("-0.5", "9.99", " -.50"),
            ("-0.5", "FM9.99", "-.5"), ("0", "FM9.99", "0."), ("0", "FM0.99", "0."), ("1.5", "FM9.00", "1.50"),
            ("12345", "999", " ###"), ("-12345", "999", "-###"), ("12.3", "FM999.999", "12.3"), ("12.3", "999.999", "  12.300"),
            ("1234567", "9,999,999", " 1,234,567"), ("123", "9,999,999", "       123"), ("-123", "9,999,999", "      -123"),
            ("123", "FM9,999,999", "123"), ("1234.5", "99G999D99", "  1,234.50"), ("2.5", "9", " 3"), ("-2.5", "9", "-3"),
            ("0", "9", " 0"), ("5", "00", " 05"), ("-5", "00", "-05"), ("5", "FM00", "05"), ("1.999", "9.99", " 2.00"),
            ("9.999", "9.99", " #.##"), ("0.001", "9.99", "  .00"), ("-0.001", "9.99", "  .00"), ("12", "99.", " 12"),
            ("12", "FM99.", "12"), ("123.456", ".999", " .###"), ("-7", "S0000", "-0007"), ("7", "FMS0000", "+0007"),
            ("1234", "L9,999.99", "  1,234.00"), ("1234.567", "9999.99", " 1234.57"), ("-1234.567", "9999.99", "-1234.57"),
            ("12", "0009", " 0012"), ("12", "FM99th", "12th"), ("485", "9 9 9", " 4 8 5"), ("1.5", "\"val:\"9.9", "val: 1.5"),
            ("-0.1", "9.9", " -.1"), ("21", "FM99TH", "21ST"), ("113", "999th", " 113th"),
        ]
        for (number, template, expected) in cases {
            let sql = "SELECT '[' || to_char(\(number)::numeric, '\(template)') || ']', '[' || to_char(\(number), '\(template)') || ']'"
            #expect(try rows(db, sql) == [["[\(expected)]", "[\(expected)]"]], "to_char(\(number), '\(template)')")
        }
        #expect(try rows(db, "SELECT to_char(12.5::float8, '99.9'), to_char(12.5::real, '999.99'), to_char(1e20::float8, '999'), to_char(485::int2, '9999')")
                == [[" 12.5", "  12.50", " ###", "  485"]])
    }

    @Test("to_number reads text with to_char's number templates: signs, groups, points, brackets, skipped characters, as PostgreSQL 15 does")
    func toNumber() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT to_number('12,454.8-', '99G999D9S'), to_number('-12,454.8', 'S99G999D9'), to_number('$1,234.56', 'L9,999.99'),
                   to_number('1234.567', '9999.99'), to_number('12345', '999'), to_number(' 123 ', '999'), to_number('<123>', '999PR'),
                   to_number('0012', '0000'), to_number('12.3', 'FM99.99'), to_number('1,2,3', '9,9,9'), to_number('-5', '9'),
                   to_number('5-', '9MI'), to_number('12%', '99%'), to_number('1 234', '9 999'), pg_typeof(to_number('1', '9'))
            """) == [["-12454.8", "-12454.8", "1234.56", "1234.56", "123", "123", "-123", "12", "12.3", "123", "-5", "-5", "12",
                      "1234", "numeric"]])
        #expect(try rows(db, """
            SELECT to_number('12', '9,999'), to_number('1,234', 'FM9,999'), to_number('12.345', '99.99'), to_number('+12', '999'),
                   to_number('12+', '99PL'), to_number('12-', '99S'), to_number('-12', 'S99'), to_number('12th', '99th'),
                   to_number('1', ''), to_number('12 34', '99 99'), to_number('12.5', '99'), to_number('123', '9'),
                   to_number('.5', '9.9'), to_number('x12', '999'), to_number('1x2', '999'), to_number('5.', '9.'), to_number('12', '00D00')
            """) == [["12", "123", "12.34", "12", "12", "-12", "-12", "12", "NULL", "1234", "12", "1", "0.5", "12", "12", "5", "12"]])
        #expect(Self.failure(db, "SELECT to_number('abc', '999')") == "22P02: invalid input syntax for type numeric: \" \"")
        #expect(Self.failure(db, "SELECT to_number('', '999')") == "22P02: invalid input syntax for type numeric: \" \"")
        #expect(Self.failure(db, "SELECT to_number('1234', '99.9')") == "22003: numeric field overflow")
        #expect(Self.failure(db, "SELECT to_number('1.2.3', '9.9.9')") == "42601: multiple decimal points")
        #expect(Self.failure(db, "SELECT to_number('1.5e3', '9.9EEEE')") == "0A000: \"EEEE\" not supported for input")
        #expect(Self.failure(db, "SELECT to_number('123', 'RN')") == "0A000: \"RN\" not supported for input")
    }

    @Test("EXTRACT and date_part of timezone, timezone_hour and timezone_minute: the session zone's offset at the instant; 0A000 for other types")
    func extractTimeZoneFields() throws {
        let db = try Database.inMemory()
        let session = db.session()
        #expect(try rows(session, "SELECT extract(timezone FROM timestamptz '2024-01-01 00:00+00')") == [["0"]])
        try session.execute("SET timezone = 'America/St_Johns'")
        #expect(try rows(session, """
            SELECT extract(timezone FROM timestamptz '2024-07-01 00:00+00'), extract(timezone_hour FROM timestamptz '2024-07-01 00:00+00'),
                   extract(timezone_minute FROM timestamptz '2024-07-01 00:00+00'), date_part('timezone', timestamptz '2024-01-01 00:00+00'),
                   pg_typeof(extract(timezone FROM now())), extract(timezone_hour FROM timestamptz '2024-01-01 00:00+00'),
                   extract(timezone FROM timestamptz 'infinity')
            """) == [["-9000", "-2", "-30", "-12600", "numeric", "-3", "NULL"]])
        let timestamp = try #require(sqlError(session, "SELECT extract(timezone FROM timestamp '2024-01-01')"))
        #expect(timestamp.sqlState == "0A000" && timestamp.message == "unit \"timezone\" not supported for type timestamp without time zone",
                "\(timestamp.message)")
        #expect(sqlError(session, "SELECT extract(timezone FROM date '2024-01-01')")?.message == "unit \"timezone\" not supported for type date")
    }

    @Test("make_date, make_timestamp and make_timestamptz: fields checked with PostgreSQL's 22008 messages, hour 24 and second 60 roll over")
    func makeDateAndTimestamp() throws {
        let db = try Database.inMemory()
        #expect(try DialectTests.typedRows(db, """
            SELECT make_date(2013, 7, 15), make_timestamp(2013, 7, 15, 8, 15, 23.5), make_timestamptz(2013, 7, 15, 8, 15, 23.5),
                   make_timestamptz(2013, 7, 15, 8, 15, 23.5, 'America/New_York'), make_timestamp(2013, 7, 15, 8, 15, 60),
                   make_timestamp(2013, 7, 15, 8, 15, 59.9999999), make_timestamp(2013, 7, 15, 24, 0, 0),
                   make_timestamp(2013, 7, 15, 8, 15, 1.0000005), make_date(10000, 1, 1), make_date(NULL, 1, 1)
            """) == [["2013-07-15", "2013-07-15 08:15:23.5", "2013-07-15 08:15:23.5+00", "2013-07-15 12:15:23.5+00", "2013-07-15 08:16:00",
                      "2013-07-15 08:16:00", "2013-07-16 00:00:00", "2013-07-15 08:15:01.000001", "10000-01-01", "NULL"]])
        let cases: [(String, String)] = [
            ("SELECT make_date(2013, 2, 30)", "22008: date field value out of range: 2013-02-30"),
            ("SELECT make_date(0, 1, 1)", "22008: date field value out of range: 0-01-01"),
            ("SELECT make_date(2013, 13, 1)", "22008: date field value out of range: 2013-13-01"),
            ("SELECT make_timestamp(2013, 7, 15, 25, 0, 0)", "22008: time field value out of range: 25:00:00"),
            ("SELECT make_timestamp(2013, 7, 15, 8, 15, 61)", "22008: time field value out of range: 8:15:61"),
            ("SELECT make_timestamp(2013, 7, 15, 8, 60, 0)", "22008: time field value out of range: 8:60:00"),
            ("SELECT make_timestamp(2013, 7, 15, 8, 15, -1)", "22008: time field value out of range: 8:15:-1"),
            ("SELECT make_timestamp(2013, 13, 15, 8, 15, 1)", "22008: date field value out of range: 2013-13-15"),
        ]
        for (sql, expected) in cases { #expect(Self.failure(db, sql) == expected, "\(sql)") }
    }

    @Test("factorial, prefix @, and abs, gcd and lcm in their arguments' width: 22003 past it, numeric gcd and lcm exact")
    func integerFunctions() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT factorial(5), factorial(0), factorial(20), factorial(25), pg_typeof(factorial(3))")
                == [["120", "1", "2432902008176640000", "15511210043330985984000000", "numeric"]])
        #expect(try rows(db, "SELECT @ -5 + 1, @ 2 * -3, 2 + @ -3, @ -5.5, @ '-3', pg_typeof(@ (-2)::smallint)")
                == [["4", "6", "5", "5.5", "3", "smallint"]])
        #expect(try rows(db, """
            SELECT gcd(-2147483648::int8, 0), gcd(-2147483648, 1), gcd(12, -18), lcm(-4, 6), lcm(46341, 46340), gcd(1.5, 2.25), lcm(1.5, 2.25),
                   pg_typeof(gcd(2, 4)), pg_typeof(gcd(2::int8, 4))
            """) == [["2147483648", "1", "6", "12", "2147441940", "0.75", "4.50", "integer", "bigint"]])
        let cases: [(String, String)] = [
            ("SELECT factorial(-1)", "22003: factorial of a negative number is undefined"),
            ("SELECT factorial(40000)", "22003: value overflows numeric format"),
            ("SELECT gcd(-2147483648, 0)", "22003: integer out of range"),
            ("SELECT gcd((-9223372036854775808)::int8, 0)", "22003: bigint out of range"),
            ("SELECT lcm(2147483647, 2147483646)", "22003: integer out of range"),
            ("SELECT lcm(-2147483648, 1)", "22003: integer out of range"),
            ("SELECT @ (-2147483648)", "22003: integer out of range"),
            ("SELECT abs((-32768)::smallint)", "22003: smallint out of range"),
            ("SELECT @ (-32768)::smallint", "22003: smallint out of range"),
        ]
        for (sql, expected) in cases { #expect(Self.failure(db, sql) == expected, "\(sql)") }
    }

    @Test("BETWEEN SYMMETRIC takes its bounds in either order, NULLs as PostgreSQL's rewrite gives them; NOT negates it")
    func betweenSymmetric() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT 5 BETWEEN SYMMETRIC 10 AND 1, 5 NOT BETWEEN SYMMETRIC 10 AND 1, 5 BETWEEN 10 AND 1, NULL BETWEEN SYMMETRIC 1 AND 10,
                   1 BETWEEN SYMMETRIC NULL AND 1, 11 BETWEEN SYMMETRIC 10 AND 1, 5 BETWEEN ASYMMETRIC 1 AND 10, 'b' BETWEEN SYMMETRIC 'c' AND 'a'
            """) == [["t", "f", "f", "NULL", "NULL", "f", "t", "t"]])
        try db.execute("CREATE TABLE n (x int)")
        try db.execute("INSERT INTO n VALUES (1), (3), (5), (NULL)")
        #expect(try rows(db, "SELECT x FROM n WHERE x BETWEEN SYMMETRIC 4 AND 2 OR x NOT BETWEEN SYMMETRIC 6 AND 2 ORDER BY x") == [["1"], ["3"]])
    }

    @Test("ISO 8601 interval input, designators and the alternative format; 22015 for a field out of range, 22008 for a sum")
    func iso8601Intervals() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT interval 'P1Y2M3DT4H5M6S', interval 'PT1.5S', interval 'P1W', interval 'P0001-02-03T04:05:06', interval 'P1.5Y',
                   interval 'PT1H30M', interval 'P-1Y', interval 'P1Y-2M', interval 'PT'
            """) == [["1 year 2 mons 3 days 04:05:06", "00:00:01.5", "7 days", "1 year 2 mons 3 days 04:05:06", "1 year 6 mons",
                      "01:30:00", "-1 years", "10 mons", "00:00:00"]])
        #expect(try rows(db, """
            SELECT interval 'P1.5M', interval 'P1.5W', interval 'P1.5D', interval 'PT1H30.5M', interval 'P0001-02', interval 'PT04:05',
                   interval 'P1', interval 'P1YT', interval 'P0001-02-03T04:05:06.5', interval 'P-1.5Y', interval 'P1Y1Y', interval 'P1.5Y2.5M'
            """) == [["1 mon 15 days", "10 days 12:00:00", "1 day 12:00:00", "01:30:30", "1 year 2 mons", "04:05:00",
                      "1 year", "1 year", "1 year 2 mons 3 days 04:05:06.5", "-1 years -6 mons", "2 years", "1 year 8 mons 15 days"]])
        for bad in ["P", "p1y", " P1Y ", "P1H", "PT1D", "P1Y ago"] {
            #expect(Self.failure(db, "SELECT interval '\(bad)'") == "22007: invalid input syntax for type interval: \"\(bad)\"")
        }
        for field in ["2147483648 days", "2147483647 days 1 day", "2562047789 hours", "P2147483648D", "2147483648 months",
                      "3000000000 years", "306783379 weeks", "P2147483648M", "PT2562047789H"] {
            #expect(Self.failure(db, "SELECT interval '\(field)'") == "22015: interval field value out of range: \"\(field)\"")
        }
        for sum in ["178956971 years", "200000000 years", "1 year 2147483647 months"] {
            #expect(Self.failure(db, "SELECT interval '\(sum)'") == "22008: interval out of range")
        }
        #expect(try rows(db, "SELECT interval '2562047788 hours', interval '2147483647 months', interval '17895697 years 8 months'")
            == [["2562047788:00:00", "178956970 years 7 mons", "17895697 years 8 mons"]])
    }

    @Test("justify_hours, justify_days and justify_interval move whole days and 30-day months up and make the signs agree")
    func justify() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT justify_hours(interval '36 hours'), justify_hours(interval '-36 hours'), justify_hours(interval '1 day -25 hours'),
                   justify_days(interval '35 days'), justify_days(interval '-35 days'), justify_days(interval '1 mon -35 days'),
                   justify_interval(interval '1 month -1 hour'), justify_interval(interval '-1 month 1 hour'),
                   justify_interval(interval '1 mon -1 day -1 hour'), justify_interval(interval '50 hours 40 days')
            """) == [["1 day 12:00:00", "-1 days -12:00:00", "-01:00:00", "1 mon 5 days", "-1 mons -5 days", "-5 days",
                      "29 days 23:00:00", "-29 days -23:00:00", "28 days 23:00:00", "1 mon 12 days 02:00:00"]])
    }

    @Test("jsonb − key, − keys, − index; || needs text on one side (or two bytea, bit strings, jsonb); interval × and ÷ round as PostgreSQL")
    func operatorEdges() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT '{"a":1, "b":2}'::jsonb - 'a', '["a","b",1]'::jsonb - 'a', '["a","b"]'::jsonb - 0, '["a","b"]'::jsonb - -1,
                   '["a"]'::jsonb - 5, '{"a":1, "b":2, "c":3}'::jsonb - '{a,b}'::text[], jsonb_delete('{"a":1}', 'a')
            """) == [[#"{"b": 2}"#, #"["b", 1]"#, #"["b"]"#, #"["a"]"#, #"["a"]"#, #"{"c": 3}"#, "{}"]])
        #expect(Self.failure(db, #"SELECT '{"a":1}'::jsonb - 0"#) == "22023: cannot delete from object using integer index")
        #expect(Self.failure(db, "SELECT '1'::jsonb - 'a'") == "22023: cannot delete from scalar")
        #expect(try DialectTests.typedRows(db, #"SELECT 'a' || 1, 1 || 'a', 'x' || NULL, '\x01'::bytea || '\x02'::bytea, B'1' || B'0', '{"a":1}'::jsonb || '{"b":2}'::jsonb"#)
                == [["a1", "1a", "NULL", "\\x0102", "10", #"{"a": 1, "b": 2}"#]])
        #expect(Self.failure(db, "SELECT 1 || 2") == "42883: operator does not exist: integer || integer")
        #expect(Self.failure(db, "SELECT true || false") == "42883: operator does not exist: boolean || boolean")
        #expect(try rows(db, """
            SELECT interval '1 year' / 13, interval '1 mon 1 day' / 3, interval '1.5 mons 2.5 days' * 3.3, interval '-1 mon -3 days' / 7,
                   interval '10 days' * 0.1
            """) == [["27 days 16:36:55.4112", "10 days 08:00:00", "3 mons 65 days 42:00:00", "-4 days -17:08:34.261029", "1 day"]])
    }

    @Test("|| of two jsonb, bytea, bit strings or tsquery values has their type, and an untyped literal beside one takes it (read from PostgreSQL 15)")
    func concatenationKeepsTheOperandsType() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"""
            SELECT pg_typeof('{"a":1}'::jsonb || '{"b":2}'), '{"a":1}'::jsonb || '{"b":2}', pg_typeof('{"a":1}'::jsonb || 'x'::text),
                   pg_typeof('\x01'::bytea || '\x02'), '\x01'::bytea || '\x02', pg_typeof(B'10' || B'1'), B'10' || '01',
                   pg_typeof('a:1'::tsvector || 'b:2'), 'a:1'::tsvector || 'b:2',
                   'a & b'::tsquery || 'c', 'a'::tsquery && 'b|c', ''::tsquery || 'a', pg_typeof('a'::tsquery && 'b')
            """#) == [["jsonb", #"{"a": 1, "b": 2}"#, "text", "bytea", "\\x0102", "bit varying", "1001", "tsvector", "'a':1 'b':3",
                       "'a' & 'b' | 'c'", "'a' & ( 'b' | 'c' )", "'a'", "tsquery"]])
        #expect(Self.failure(db, #"SELECT '{"a":1}'::jsonb || 'nope'"#).hasPrefix("22P02"))
        // Haystack's update_by_filter: a jsonb column set to a merge, literal and parameter alike.
        try db.execute(#"CREATE TABLE t (id int PRIMARY KEY, meta jsonb); INSERT INTO t VALUES (1, '{"a":1}'), (2, NULL)"#)
        try db.execute(#"UPDATE t SET meta = COALESCE(meta, '{}'::jsonb) || '{"b":2}'::jsonb"#)
        try db.execute("UPDATE t SET meta = COALESCE(meta, '{}'::jsonb) || $1::jsonb", [.text(#"{"d":3}"#)])
        try db.execute("UPDATE t SET meta = meta || $1", [.text(#"{"e":4}"#)])
        #expect(try rows(db, "SELECT meta FROM t ORDER BY id") == [[#"{"a": 1, "b": 2, "d": 3, "e": 4}"#], [#"{"b": 2, "d": 3, "e": 4}"#]])
    }

    @Test("integer &, |, #, << and >>: the wider operand's type, shifts wrapping in the left operand's width (read from PostgreSQL 15)")
    func bitwiseIntegerOperators() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT 5 & 3, 5 | 3, 5 # 3, 1 << 4, 256 >> 2, -16 >> 2, pg_typeof(5::smallint & 3::smallint), pg_typeof(5 & 3::bigint),
                   1 << 31, 1 << 32, 1::bigint << 40, 1::smallint << 15, 1::smallint << 16, 7 >> 33, 1 << -1, 12 & 10 | 1, 2 + 3 & 6
            """) == [["1", "7", "6", "16", "64", "-4", "smallint", "bigint",
                      "-2147483648", "1", "1099511627776", "-32768", "0", "3", "-2147483648", "9", "4"]])
        #expect(Self.failure(db, "SELECT 1.5 & 1") == "42883: operator does not exist: numeric & integer")
        // An untyped operand takes the other's type: bigint here, not integer (which would overflow).
        #expect(try rows(db, "SELECT '5000000000' & 1::bigint, pg_typeof(1::smallint & '1'), 5000000001 & $1",
                         [.text("5000000001")]) == [["0", "smallint", "5000000001"]])
    }

    @Test("jsonb #- text[] and jsonb_insert edit at a path as PostgreSQL's setPath: negative indexes, missing steps, its errors")
    func pathEdits() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT '{"a":1,"b":2}'::jsonb #- '{a}', '[1,2,3]'::jsonb #- '{-1}', '[1,2,3]'::jsonb #- '{-4}', '{"a":[1,{"b":2}]}'::jsonb #- '{a,1,b}',
                   '{"a":{"b":1}}'::jsonb #- '{a,b,c}', '{}'::jsonb #- '{NULL}', '{"a":1}'::jsonb #- '{}'
            """) == [[#"{"b": 2}"#, "[1, 2]", "[1, 2, 3]", #"{"a": [1, {}]}"#, #"{"a": {"b": 1}}"#, "{}", #"{"a": 1}"#]])
        #expect(try rows(db, """
            SELECT jsonb_insert('{"a":[1,2]}', '{a,1}', '9'), jsonb_insert('{"a":[1,2]}', '{a,1}', '9', true),
                   jsonb_insert('{"a":[1,2]}', '{a,-10}', '9'), jsonb_insert('{"a":[1,2]}', '{a,10}', '"x"'),
                   jsonb_insert('{"a":[1,2]}', '{b}', '{"c":3}'), jsonb_insert('[]', '{0}', '9'), jsonb_insert('{"a":[1,2]}', '{b,c}', '9')
            """) == [[#"{"a": [1, 9, 2]}"#, #"{"a": [1, 2, 9]}"#, #"{"a": [9, 1, 2]}"#, #"{"a": [1, 2, "x"]}"#,
                      #"{"a": [1, 2], "b": {"c": 3}}"#, "[9]", #"{"a": [1, 2]}"#]])
        #expect(try rows(db, """
            SELECT jsonb_set('{"a":1}', '{a,b}', '2'), jsonb_set('{"a":[1]}', '{a,-5}', '0'), jsonb_set('{"a":[1]}', '{a,0}', '5', false),
                   jsonb_set('{}', '{a}', '2', false)
            """) == [[#"{"a": 1}"#, #"{"a": [0, 1]}"#, #"{"a": [5]}"#, "{}"]])
        #expect(Self.failure(db, #"SELECT jsonb_insert('{"a":[1,2]}', '{a}', '9')"#) == "22023: cannot replace existing key")
        #expect(Self.failure(db, #"SELECT '5'::jsonb #- '{a}'"#) == "22023: cannot delete path in scalar")
        #expect(Self.failure(db, #"SELECT jsonb_insert('5', '{a}', '9')"#) == "22023: cannot set path in scalar")
        #expect(Self.failure(db, #"SELECT '{"a":[1]}'::jsonb #- '{a,x}'"#) == #"22P02: path element at position 2 is not an integer: "x""#)
        #expect(Self.failure(db, #"SELECT '{"a":1}'::jsonb #- '{a,NULL}'"#) == "22004: path element at position 2 is null")
        #expect(Self.failure(db, #"SELECT jsonb_set('{"a":[1]}', '{a,NULL}', '2')"#) == "22004: path element at position 2 is null")
        #expect(Self.failure(db, "SELECT 1 #- '{a}'") == "42883: operator does not exist: integer #- unknown")
    }

    @Test("num_nulls and num_nonnulls count the NULLs among arguments of any types")
    func nullCounts() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT num_nonnulls(1, NULL, 2), num_nulls(1, NULL), num_nulls(NULL::int, 'a', NULL::text[]), num_nonnulls(NULL)")
                == [["2", "1", "2", "0"]])
        #expect(sqlError(db, "SELECT num_nulls()")?.sqlState == "42883")
    }

    @Test("date input as PostgreSQL's table spells it (DateStyle ISO, MDY): month names, slashes, compact and Julian forms")
    func dateSpellings() throws {
        let db = try Database.inMemory()
        let spellings = ["January 8, 1999", "1/8/1999", "1999-Jan-08", "08-Jan-1999", "Jan-08-1999", "08-Jan-99", "Jan-08-99", "19990108",
                         "990108", "1999.008", "J2451187", "1999/01/08", "jan 8 1999", "8 January 1999", "1999-1-8"]
        for spelling in spellings {
            #expect(try DialectTests.typedRows(db, "SELECT '\(spelling)'::date") == [["1999-01-08"]], "\(spelling)")
        }
        #expect(try DialectTests.typedRows(db, """
            SELECT '01/02/03'::date, 'Sept 3 2020'::date, 'December 31, 69'::date, 'January 8, 1999 04:05:06'::timestamp,
                   '1/8/1999 04:05'::timestamp, '08-Jan-1999 04:05:06+02'::timestamptz, '19990108 04:05:06'::timestamp
            """) == [["2003-01-02", "2020-09-03", "2069-12-31", "1999-01-08 04:05:06", "1999-01-08 04:05:00", "1999-01-08 02:05:06+00",
                      "1999-01-08 04:05:06"]])
        #expect(try DialectTests.typedRows(db, """
            SELECT '2024-01-01 10:00:00 UTC'::timestamp, '2024-06-01 10:00 Europe/Berlin'::timestamptz, '2024-01-01 10:00:00 utc'::timestamptz,
                   'January 8, 1999 10:00 America/New_York'::timestamptz, '2024-01-01 10:00 EST'::timestamptz
            """) == [["2024-01-01 10:00:00", "2024-06-01 08:00:00+00", "2024-01-01 10:00:00+00", "1999-01-08 15:00:00+00",
                      "2024-01-01 15:00:00+00"]])
        #expect(Self.failure(db, "SELECT '2024-01-01 10:00 Mars/Base'::timestamptz") == "22023: time zone \"mars/base\" not recognized")
        let cases: [(String, String)] = [
            ("SELECT '99-Jan-08'::date", "22008"), ("SELECT '13/8/1999'::date", "22008"), ("SELECT 'Feb 30 2020'::date", "22008"),
            ("SELECT 'Foo 8 1999'::date", "22007"), ("SELECT '1/8'::date", "22007"), ("SELECT 'next tuesday'::timestamp", "22007"),
        ]
        for (sql, state) in cases { #expect(sqlError(db, sql)?.sqlState == state, "\(sql)") }
    }

    @Test("infinity and -infinity of date, timestamp and timestamptz: order, arithmetic, casts, isfinite, EXTRACT and output")
    func infinities() throws {
        let db = try Database.inMemory()
        #expect(try DialectTests.typedRows(db, """
            SELECT 'infinity'::date, '-infinity'::date, 'Infinity'::timestamp, '-infinity'::timestamptz,
                   'infinity'::date > '2024-01-01'::date, '-infinity'::timestamp < 'epoch'::timestamp,
                   isfinite('infinity'::date), isfinite(now()), isfinite('-infinity'::timestamp), isfinite(interval '1 day')
            """) == [["infinity", "-infinity", "infinity", "-infinity", "t", "t", "f", "t", "f", "t"]])
        #expect(try DialectTests.typedRows(db, """
            SELECT 'infinity'::timestamp + interval '1 day', 'infinity'::date + 1, 'infinity'::date - 1,
                   '-infinity'::timestamptz - interval '1 year', 'infinity'::date::timestamp, 'infinity'::timestamp::date,
                   'infinity'::timestamptz::date, ('infinity'::timestamp)::timestamptz, date_trunc('day', 'infinity'::timestamp),
                   'infinity'::timestamp AT TIME ZONE 'America/New_York', to_char('infinity'::timestamp, 'YYYY'),
                   extract(year from 'infinity'::timestamp), date_part('year', '-infinity'::timestamp), extract(day from 'infinity'::date),
                   extract(epoch from 'infinity'::timestamptz)
            """) == [["infinity", "infinity", "infinity", "-infinity", "infinity", "infinity", "infinity", "infinity", "infinity",
                      "infinity", "NULL", "Infinity", "-Infinity", "NULL", "Infinity"]])
        try db.execute("CREATE TABLE days (d date PRIMARY KEY); INSERT INTO days VALUES ('infinity'), ('2024-01-01'), ('-infinity')")
        #expect(try DialectTests.typedRows(db, "SELECT max(d), min(d) FROM days") == [["infinity", "-infinity"]])
        #expect(try DialectTests.typedRows(db, "SELECT d FROM days WHERE d > '2000-01-01' ORDER BY d") == [["2024-01-01"], ["infinity"]])
        #expect(try DialectTests.typedRows(db, "SELECT d FROM days ORDER BY d DESC") == [["infinity"], ["2024-01-01"], ["-infinity"]])
        #expect(Self.failure(db, "SELECT 'infinity'::timestamp - '2024-01-01'::timestamp") == "22008: cannot subtract infinite timestamps")
        #expect(Self.failure(db, "SELECT 'infinity'::date - '2024-01-01'::date") == "22008: cannot subtract infinite dates")
        #expect(sqlError(db, "SELECT '+infinity'::timestamp")?.sqlState == "22007")
    }
}
