import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// A session time zone other than UTC (SET TIME ZONE), with PostgreSQL 15's answers.
@Suite("session time zone")
struct SessionTimeZoneTests {
    /// The rows of `sql` in `session`, timestamptz printed in the session's zone (as a server does).
    func texts(_ session: Session, _ sql: String) throws -> [[String]] {
        let result = try session.execute(sql)
        return SessionTimeZone.withZone(session.timeZone) {
            result.rows.map { row in zip(row, result.columns).map { $0.text(as: $1.type) ?? "NULL" } }
        }
    }

    @Test("timestamptz prints in the session's zone with the offset of its date (DST), text without offset is read there")
    func outputAndInput() throws {
        let session = try Database.inMemory().session()
        try session.execute("SET TIME ZONE 'Europe/Berlin'")
        let got = try texts(session, """
            SELECT '2024-07-01 12:00'::timestamptz, '2024-01-01 12:00'::timestamptz, '2024-03-31 02:30'::timestamptz,
                   '2024-10-27 02:30'::timestamptz, '2024-07-01 10:00:00+00'::timestamptz::text
            """)
        #expect(got == [["2024-07-01 12:00:00+02", "2024-01-01 12:00:00+01", "2024-03-31 03:30:00+02",
                         "2024-10-27 02:30:00+01", "2024-07-01 12:00:00+02"]])
        try session.execute("SET timezone = 'Asia/Kolkata'")
        #expect(try texts(session, "SELECT '2024-07-01 12:00Z'::timestamptz") == [["2024-07-01 17:30:00+05:30"]])
        try session.execute("SET TIME ZONE 'America/St_Johns'")
        #expect(try texts(session, "SELECT '2024-01-01 12:00Z'::timestamptz") == [["2024-01-01 08:30:00-03:30"]])
        try session.execute("SET TIME ZONE -5")
        #expect(try texts(session, "SELECT '2024-01-01 12:00Z'::timestamptz") == [["2024-01-01 07:00:00-05"]])
        try session.execute("RESET timezone")
        #expect(try texts(session, "SELECT '2024-01-01 12:00'::timestamptz") == [["2024-01-01 12:00:00+00"]])
    }

    @Test("casts to date and timestamp, date_trunc, EXTRACT and to_char read the wall clock of the session's zone")
    func wallClockConversions() throws {
        let session = try Database.inMemory().session()
        try session.execute("SET TIME ZONE 'Europe/Berlin'; CREATE TABLE ev (id int PRIMARY KEY, at timestamptz)")
        try session.execute("INSERT INTO ev VALUES (1, '2024-07-01 23:30:00+00'), (2, '2024-03-31 23:30:00+00')")
        let got = try texts(session, """
            SELECT at::date, at::timestamp, date_trunc('day', at), date_trunc('month', at), extract(hour FROM at),
                   extract(epoch FROM at), date_part('day', at), to_char(at, 'YYYY-MM-DD HH24:MI') FROM ev ORDER BY id
            """)
        #expect(got == [["2024-07-02", "2024-07-02 01:30:00", "2024-07-02 00:00:00+02", "2024-07-01 00:00:00+02", "1",
                         "1719876600.000000", "2", "2024-07-02 01:30"],
                        ["2024-04-01", "2024-04-01 01:30:00", "2024-04-01 00:00:00+02", "2024-04-01 00:00:00+02", "1",
                         "1711927800.000000", "1", "2024-04-01 01:30"]])
        #expect(try texts(session, "SELECT '2024-07-01 10:00'::timestamp::timestamptz, '2024-07-01'::date::timestamptz") ==
                [["2024-07-01 10:00:00+02", "2024-07-01 00:00:00+02"]])
        #expect(try texts(session, "SELECT current_date = now()::date, localtimestamp - now()::timestamp < interval '1 minute'") ==
                [["t", "t"]])
    }

    @Test("an unknown zone is 22023, and the setting is left as it was")
    func unknownZone() throws {
        let session = try Database.inMemory().session()
        try session.execute("SET TIME ZONE 'Europe/Berlin'")
        #expect(sqlError(session, "SET TIME ZONE 'Nowhere/Land'")?.sqlState == "22023")
        #expect(try texts(session, "SHOW timezone") == [["Europe/Berlin"]])
    }

    @Test("timestamp and date ignore an offset in their input, as PostgreSQL does")
    func wallClockInputIgnoresOffset() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT '2024-01-01 10:00+02'::timestamp, '2024-01-01 23:00-05'::date::text") ==
                [["2024-01-01 10:00:00", "2024-01-01"]])
    }

    @Test("a timestamp or date meeting a timestamptz is read in the session's zone: comparison, subtraction, IN, joins, CASE")
    func mixedWithTimestamptz() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            SET TIME ZONE 'Europe/Berlin';
            CREATE TABLE mix (id int PRIMARY KEY, wall timestamp, instant timestamptz, day date);
            INSERT INTO mix VALUES (1, '2024-07-01 12:00', '2024-07-01 10:00+00', '2024-07-01'),
                                   (2, '2024-01-01 12:00', '2024-01-01 12:00+00', '2024-01-01')
            """)
        // PostgreSQL 15's answers.
        #expect(try texts(session, "SELECT id, wall = instant, wall < instant, day <= instant, (instant - wall)::text, (instant - day)::text FROM mix ORDER BY id")
                == [["1", "t", "f", "t", "00:00:00", "12:00:00"], ["2", "f", "t", "t", "01:00:00", "13:00:00"]])
        #expect(try texts(session, "SELECT a.id, b.id FROM mix a JOIN mix b ON a.wall = b.instant") == [["1", "1"]])
        #expect(try texts(session, "SELECT timestamp '2024-07-01 12:00' IN (timestamptz '2024-07-01 10:00+00'), timestamp '2024-03-31 02:30' BETWEEN timestamptz '2024-03-31 00:00+00' AND timestamptz '2024-03-31 01:00+00'")
                == [["t", "f"]])
        #expect(try texts(session, "SELECT (CASE WHEN true THEN timestamp '2024-07-01 12:00' ELSE timestamptz '2024-01-01 00:00+00' END)::text, greatest(timestamp '2024-07-01 12:00', timestamptz '2024-07-01 11:00+00')::text")
                == [["2024-07-01 12:00:00+02", "2024-07-01 13:00:00+02"]])
        try session.execute("SET TIME ZONE 'UTC'")
        #expect(try texts(session, "SELECT count(*) FROM mix WHERE wall = instant") == [["1"]])
    }

    @Test("a UTC session's statement run inside another zone's binding (a server writing a result) reads UTC, its prepared query too")
    func utcSessionInsideABinding() throws {
        let db = try Database.inMemory()
        let session = db.session()
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let prepared = try db.prepare("SELECT '2024-07-01 12:00'::timestamptz::text")
        let got = try SessionTimeZone.withZone(berlin) { () throws -> [Value] in
            #expect(SessionTimeZone.current == berlin)
            return [try session.execute("SELECT '2024-07-01 12:00'::timestamptz::text").rows[0][0], try prepared.execute().rows[0][0]]
        }
        #expect(got == [.text("2024-07-01 12:00:00+00"), .text("2024-07-01 12:00:00+00")], "got \(got)")
        #expect(SessionTimeZone.current == nil, "a zone outlived its binding")
    }
}
