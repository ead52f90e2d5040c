import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Differences from PostgreSQL 15 a PostgreSQL user meets: assignment casts, cast errors,
/// views' names, table locks and several statements in one message. Each expectation was
/// taken from PostgreSQL 15.18 running the same statements.
@Suite("PostgreSQL 15's dialect: assignments, casts, views over shadowed tables, implicit blocks")
struct DialectTests {
    static let hint = "You will need to rewrite or cast the expression."

    /// The rows as psql prints them: each value in its column type's text (a date without a
    /// time, a timestamptz with its offset), NULL as `NULL`.
    static func typedRows(_ db: Database, _ sql: String) throws -> [[String]] {
        let result = try db.execute(sql)
        return result.rows.map { row in zip(row, result.columns).map { $0.text(as: $1.type) ?? "NULL" } }
    }

    @Test("a value whose type has no assignment cast to its column is 42804 on every path, with PostgreSQL's message and hint")
    func assignmentWithoutCastRefused() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (k int PRIMARY KEY, b boolean, i int, v varchar(5), j jsonb)")
        try db.execute("INSERT INTO t (k) VALUES (1)")
        let cases: [(String, String)] = [
            ("INSERT INTO t (k, b) VALUES (2, 1)", "column \"b\" is of type boolean but expression is of type integer"),
            ("INSERT INTO t (k, i) VALUES (2, true)", "column \"i\" is of type integer but expression is of type boolean"),
            ("INSERT INTO t (k, b) VALUES (2, 1.5)", "column \"b\" is of type boolean but expression is of type numeric"),
            ("INSERT INTO t (k, b) VALUES (2, 5000000000)", "column \"b\" is of type boolean but expression is of type bigint"),
            ("INSERT INTO t (k, b) VALUES (2, 1::text)", "column \"b\" is of type boolean but expression is of type text"),
            ("INSERT INTO t (k, i) VALUES (2, '1'::text)", "column \"i\" is of type integer but expression is of type text"),
            ("INSERT INTO t (k, i) VALUES (2, 1), (3, false)", "column \"i\" is of type integer but expression is of type boolean"),
            ("INSERT INTO t (k, i) SELECT 2, true", "column \"i\" is of type integer but expression is of type boolean"),
            ("INSERT INTO t (k, b) SELECT 2, k FROM t", "column \"b\" is of type boolean but expression is of type integer"),
            ("UPDATE t SET b = 1", "column \"b\" is of type boolean but expression is of type integer"),
            ("UPDATE t SET i = i > 0", "column \"i\" is of type integer but expression is of type boolean"),
            ("UPDATE t SET j = 'x'::text", "column \"j\" is of type jsonb but expression is of type text"),
            ("INSERT INTO t VALUES (1) ON CONFLICT (k) DO UPDATE SET b = 0",
             "column \"b\" is of type boolean but expression is of type integer"),
            ("INSERT INTO t (k, i) VALUES (2, now())", "column \"i\" is of type integer but expression is of type timestamp with time zone"),
        ]
        for (sql, message) in cases {
            let error = try #require(sqlError(db, sql), "\(sql)")
            #expect(error.sqlState == "42804" && error.message == message && error.hint == Self.hint, "\(sql): \(error.sqlState) \(error.message)")
        }
        #expect(try rows(db, "SELECT k, b, i FROM t") == [["1", "NULL", "NULL"]], "nothing changed")
    }

    @Test("defaults are checked where they are defined: 'default expression' in the message")
    func defaultsWithoutCastRefused() throws {
        let db = try Database.inMemory()
        let create = try #require(sqlError(db, "CREATE TABLE d (b boolean DEFAULT 1)"))
        #expect(create.sqlState == "42804" && create.message == "column \"b\" is of type boolean but default expression is of type integer"
                && create.hint == Self.hint, "\(create.message)")
        try db.execute("CREATE TABLE d (k int, i int DEFAULT 2.5, b boolean DEFAULT 'yes', s text DEFAULT 1, ts timestamp DEFAULT now())")
        #expect(sqlError(db, "ALTER TABLE d ADD COLUMN c int DEFAULT true")?.message == "column \"c\" is of type integer but default expression is of type boolean")
        #expect(sqlError(db, "ALTER TABLE d ALTER COLUMN i SET DEFAULT false")?.sqlState == "42804")
        try db.execute("INSERT INTO d (k) VALUES (1)")
        #expect(try rows(db, "SELECT i, b, s FROM d") == [["3", "t", "1"]])
    }

    @Test("what PostgreSQL assigns: numbers among numeric types, anything into text, string literals and NULL anywhere, timestamps among themselves")
    func assignmentCastsAccepted() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE a (i int, s smallint, n numeric, f float8, r real, t text, v varchar(8), b boolean, d date, ts timestamp, tz timestamptz)")
        try db.execute("INSERT INTO a VALUES (2.5, 7::int8, 3, 4::int2, 1.25, true, 12, 'true', now(), '2024-01-02'::date, '2024-01-02 03:04:05'::timestamp)")
        try db.execute("INSERT INTO a (i, f, t, b) SELECT 1.5::float8, 2.5::numeric, 3.5::numeric, NULL")
        try db.execute("UPDATE a SET t = now() IS NOT NULL, v = 42, b = 'off' WHERE i = 2")
        #expect(try Self.typedRows(db, "SELECT i, s, n, f, r, t, v, b, ts, tz FROM a ORDER BY i") == [
            ["2", "NULL", "NULL", "2.5", "NULL", "true", "42", "f", "NULL", "NULL"],
            ["3", "7", "3", "4", "1.25", "true", "12", "t", "2024-01-02 00:00:00", "2024-01-02 03:04:05+00"],
        ])
    }

    @Test("a cast PostgreSQL does not have is 42846 named by the types written, at bind time")
    func missingCastsAre42846() throws {
        let db = try Database.inMemory()
        let cases: [(String, String)] = [
            ("SELECT 1::uuid", "cannot cast type integer to uuid"),
            ("SELECT now()::int", "cannot cast type timestamp with time zone to integer"),
            ("SELECT 1::bytea", "cannot cast type integer to bytea"),
            ("SELECT true::numeric", "cannot cast type boolean to numeric"),
            ("SELECT 1.5::bool", "cannot cast type numeric to boolean"),
            ("SELECT 1::date", "cannot cast type integer to date"),
            ("SELECT 1::jsonb", "cannot cast type integer to jsonb"),
            ("SELECT '1 day'::interval::int", "cannot cast type interval to integer"),
            ("SELECT gen_random_uuid()::int", "cannot cast type uuid to integer"),
            ("SELECT array[1]::int", "cannot cast type integer[] to integer"),
            ("SELECT 1::int[]", "cannot cast type integer to integer[]"),
            ("SELECT '12:00'::time::timestamp", "cannot cast type time without time zone to timestamp without time zone"),
            ("SELECT true::float8 FROM (SELECT 1) s WHERE false", "cannot cast type boolean to double precision"),
        ]
        for (sql, message) in cases {
            let error = try #require(sqlError(db, sql), "\(sql)")
            #expect(error.sqlState == "42846" && error.message == message, "\(sql): \(error.sqlState) \(error.message)")
        }
    }

    @Test("jsonb casts to boolean and the numeric types: a JSON number or boolean converts, anything else is 22023")
    func jsonbScalarCasts() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT '1.5'::jsonb::int, '2.5'::jsonb::int, '1e2'::jsonb::float8, '3'::jsonb::numeric, 'true'::jsonb::bool, '7000'::jsonb::int2")
                == [["2", "3", "100", "3", "t", "7000"]])
        let cases: [(String, String, String)] = [
            ("SELECT 'null'::jsonb::int", "22023", "cannot cast jsonb null to type integer"),
            ("SELECT '\"a\"'::jsonb::int", "22023", "cannot cast jsonb string to type integer"),
            ("SELECT '1'::jsonb::bool", "22023", "cannot cast jsonb numeric to type boolean"),
            ("SELECT '{}'::jsonb::numeric", "22023", "cannot cast jsonb object to type numeric"),
            ("SELECT '70000'::jsonb::int2", "22003", "smallint out of range"),
        ]
        for (sql, state, message) in cases {
            let error = try #require(sqlError(db, sql), "\(sql)")
            #expect(error.sqlState == state && error.message == message, "\(sql): \(error.sqlState) \(error.message)")
        }
    }

    @Test("substring(s FROM pattern) with a text pattern matches a regular expression: its first group, or the whole match; NULL without one")
    func substringFromPattern() throws {
        let db = try Database.inMemory()
        let sql = "SELECT substring('abc' from 'b.'), substring('abc' from '(b)(c)'), substring('abc' from 'x') IS NULL, substring('abc'::text from 'c'::text), substring('foobar' from 'o(.)a'), substring('hello' from 2 for 3), substring('hello' from 3)"
        #expect(try rows(db, sql) == [["bc", "b", "t", "c", "b", "ell", "llo"]])
    }

    @Test("strpos and position find the empty string at 1; bit_length counts bits of text and bytea")
    func textFunctionEdges() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT strpos('abc', ''), position('' in ''), position('' in 'héllo'), strpos('héllo', 'l'), bit_length('héllo'), bit_length('\\x0102'::bytea)")
                == [["1", "1", "1", "3", "48", "16"]])
    }

    @Test("date/time input: epoch, now, today, tomorrow, yesterday in any case; a seventh fraction digit rounds the microseconds")
    func dateTimeSpecialInput() throws {
        let db = try Database.inMemory()
        let sql = """
            SELECT '2024-12-31 23:59:59.9999999'::timestamp, '2024-01-02 03:04:05.123456789'::timestamp, 'EPOCH'::timestamp,
                   'epoch'::timestamptz, 'epoch'::date, ' Today '::date = current_date, 'tomorrow'::date - 'yesterday'::date,
                   'today'::timestamp = current_date::timestamp, 'now'::timestamptz <= now() + interval '1 minute'
            """
        #expect(try Self.typedRows(db, sql) == [["2025-01-01 00:00:00", "2024-01-02 03:04:05.123457", "1970-01-01 00:00:00", "1970-01-01 00:00:00+00",
                                       "1970-01-01", "t", "2", "t", "t"]])
        #expect(sqlError(db, "SELECT 'someday'::date")?.sqlState == "22007")
    }

    @Test("a view keeps reading the permanent table it was made over when a temporary table of that name comes later")
    func viewKeepsItsPermanentTable() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1); CREATE VIEW v AS SELECT a FROM t WHERE a IN (SELECT a FROM t)")
        try db.execute("CREATE VIEW w AS SELECT a FROM t")
        let session = db.session()
        try session.execute("CREATE TEMP TABLE t (a int); INSERT INTO t VALUES (2)")
        #expect(try rows(session, "SELECT a FROM t") == [["2"]])
        #expect(try rows(session, "SELECT a FROM v") == [["1"]], "the view reads public.t")
        try session.execute("INSERT INTO w VALUES (3)")
        #expect(try rows(session, "SELECT a FROM public.t ORDER BY a") == [["1"], ["3"]], "written through to public.t")
        #expect(try rows(session, "SELECT a FROM t") == [["2"]])
        // A view over the temporary table reads it (PostgreSQL makes it a temporary view).
        try session.execute("CREATE VIEW over_temp AS SELECT a FROM t")
        #expect(try rows(session, "SELECT a FROM over_temp") == [["2"]])
    }

    @Test("LOCK TABLE public.t and a read of public.t lock the permanent table while a temporary t exists")
    func locksFollowTheWrittenSchema() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
        let shadowed = db.session(), other = db.session()
        try shadowed.execute("CREATE TEMP TABLE t (a int)")
        try shadowed.execute("BEGIN; LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE")
        let refused = try #require(sqlError(other, "BEGIN; LOCK t IN ACCESS SHARE MODE NOWAIT"))
        #expect(refused.sqlState == "55P03")
        try other.execute("ROLLBACK")
        try shadowed.execute("COMMIT; BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        try other.execute("BEGIN; LOCK t IN ACCESS SHARE MODE NOWAIT")
        try shadowed.execute("ROLLBACK")
        try other.execute("ROLLBACK")
        try shadowed.execute("SET lock_timeout = 50")
        try other.execute("BEGIN; LOCK t IN ACCESS EXCLUSIVE MODE")
        #expect(sqlError(shadowed, "SELECT a FROM public.t")?.sqlState == "55P03", "the read waits for public.t's lock")
        #expect(try rows(shadowed, "SELECT count(*) FROM t") == [["0"]], "the temporary t is not locked")
        try other.execute("ROLLBACK")
    }

    @Test("statements run in one implicit block: a failure rolls back those before it; BEGIN, COMMIT and SAVEPOINT as PostgreSQL")
    func implicitBlock() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE s (a int PRIMARY KEY)")
        let session = db.session()
        func message(_ statements: [String]) throws {
            var succeeded = false
            defer { try? session.endImplicitBlock(succeeded: succeeded) }
            for statement in statements {
                try session.beginImplicitBlock()
                try session.execute(statement)
            }
            succeeded = true
        }
        #expect(throws: VireoError.self) { try message(["INSERT INTO s VALUES (1)", "INSERT INTO s VALUES (1)"]) }
        #expect(try rows(session, "SELECT count(*) FROM s") == [["0"]])
        #expect(throws: VireoError.self) { try message(["INSERT INTO s VALUES (2)", "COMMIT", "INSERT INTO s VALUES (2)"]) }
        #expect(throws: VireoError.self) { try message(["INSERT INTO s VALUES (3)", "BEGIN", "INSERT INTO s VALUES (4)", "COMMIT", "INSERT INTO s VALUES (3)"]) }
        let savepoint = #expect(throws: VireoError.self) { try message(["INSERT INTO s VALUES (5)", "SAVEPOINT x", "SELECT 1"]) }
        #expect(savepoint?.sqlState == "25P01" && savepoint?.message == "SAVEPOINT can only be used in transaction blocks")
        try message(["INSERT INTO s VALUES (6)", "ROLLBACK", "SELECT 1"])
        #expect(try rows(session, "SELECT array_agg(a ORDER BY a) FROM s") == [["{2,3,4}"]])
        #expect(throws: VireoError.self) { try message(["BEGIN", "INSERT INTO s VALUES (7)", "SELECT 1/0"]) }
        #expect(session.transactionStatus == .failed, "an explicit block stays, aborted")
        try session.execute("ROLLBACK")
        let listener = db.session()
        try listener.execute("LISTEN implicit_channel")
        try message(["INSERT INTO s VALUES (8)", "NOTIFY implicit_channel, 'sent'", "INSERT INTO s VALUES (9)"])
        #expect(session.transactionStatus == .idle)
        #expect(listener.notificationInbox.take().map(\.payload) == ["sent"], "a NOTIFY goes out when the block commits")
        #expect(try rows(db, "SELECT count(*) FROM s WHERE a > 7") == [["2"]], "committed for other sessions")
    }
}
