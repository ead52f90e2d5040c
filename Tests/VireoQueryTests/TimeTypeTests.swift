import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// PostgreSQL 15's `time` (without time zone), its answers and SQLSTATEs.
@Suite("time type")
struct TimeTypeTests {
    @Test("input: hours, minutes, seconds, fractions, AM/PM, a date or offset ignored; output as PostgreSQL prints it")
    func input() throws {
        let db = try Database.inMemory()
        let got = try rows(db, """
            SELECT '12:34'::time, '12:34:56.789'::time, '24:00'::time, '2024-01-01 12:30:15'::time, '12:30+02'::time,
                   '1:2:3'::time, '12:30:15.1234567'::time, '12:30 pm'::time, time '23:59:59.999999', '12:00 am'::time
            """)
        #expect(got == [["12:34:00", "12:34:56.789", "24:00:00", "12:30:15", "12:30:00", "01:02:03", "12:30:15.123457",
                         "12:30:00", "23:59:59.999999", "00:00:00"]])
    }

    static let failures: [(String, String)] = [
        ("SELECT '25:00'::time", "22008"),
        ("SELECT '24:00:01'::time", "22008"),
        ("SELECT '12:60'::time", "22008"),
        ("SELECT '13:00 pm'::time", "22008"),
        ("SELECT 'abc'::time", "22007"),
        ("SELECT '12'::time", "22007"),
        ("SELECT extract(day FROM time '12:34')", "0A000"),
        ("SELECT time '10:00' + time '01:00'", "42725"),
        ("SELECT '12:00'::time::timestamp", "42846"),
    ]

    @Test("bad input and undefined operations fail with PostgreSQL's SQLSTATE", arguments: failures.indices)
    func failure(index: Int) throws {
        let (sql, sqlState) = Self.failures[index]
        let error = sqlError(try Database.inMemory(), sql)
        #expect(error?.sqlState == sqlState, "\(sql): expected \(sqlState), got \(String(describing: error))")
    }

    @Test("arithmetic: time ± interval wraps at midnight, time − time is an interval, date/timestamp + time a timestamp")
    func arithmetic() throws {
        let db = try Database.inMemory()
        let got = try rows(db, """
            SELECT time '08:00' + interval '20 hours', time '08:00' - interval '9 hours', time '12:00' - time '08:30',
                   date '2024-01-01' + time '10:00', timestamp '2024-01-01 05:00' + time '10:00', time '10:00' + date '2024-01-01',
                   pg_typeof(time '12:00' - time '08:30'), pg_typeof(time '12:00' + interval '1 hour'),
                   interval '1 day 1 hour' + time '23:30'
            """)
        #expect(got == [["04:00:00", "23:00:00", "03:30:00", "2024-01-01 10:00:00", "2024-01-01 15:00:00", "2024-01-01 10:00:00",
                         "interval", "time without time zone", "00:30:00"]])
    }

    @Test("EXTRACT, date_part and casts from timestamp and interval")
    func extractAndCasts() throws {
        let db = try Database.inMemory()
        let got = try rows(db, """
            SELECT extract(hour FROM time '12:34:56.5'), extract(second FROM time '12:34:56.5'), extract(epoch FROM time '01:00'),
                   date_part('minute', time '12:34'), '2024-07-01 12:34:56'::timestamp::time, '1 day 02:00'::interval::time,
                   time '12:00'::interval, time '12:00'::text
            """)
        #expect(got == [["12", "56.500000", "3600.000000", "34", "12:34:56", "02:00:00", "12:00:00", "12:00:00"]])
    }

    @Test("a time column stores, compares, sorts and is found through its index")
    func column() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE shifts (id int PRIMARY KEY, starts time NOT NULL);
            CREATE INDEX shifts_starts ON shifts (starts);
            INSERT INTO shifts VALUES (1, '22:00'), (2, '06:30'), (3, '14:00:00.25'), (4, '24:00');
            """)
        #expect(try rows(db, "SELECT id, starts FROM shifts ORDER BY starts") ==
                [["2", "06:30:00"], ["3", "14:00:00.25"], ["1", "22:00:00"], ["4", "24:00:00"]])
        #expect(try rows(db, "SELECT id FROM shifts WHERE starts BETWEEN '06:00' AND '15:00' ORDER BY id") == [["2"], ["3"]])
        #expect(try rows(db, "SELECT id FROM shifts WHERE starts = time '22:00'") == [["1"]])
        #expect(sqlError(db, "INSERT INTO shifts VALUES (5, '25:00')")?.sqlState == "22008")
        let result = try db.execute("SELECT starts FROM shifts WHERE id = 1")
        #expect(result.columns.map(\.type) == [.time])
    }
}
