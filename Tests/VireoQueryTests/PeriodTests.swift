import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// `(start, end) OVERLAPS (start, end)` and `date_bin`, with the answers PostgreSQL 15 gives.
@Suite("OVERLAPS and date_bin")
struct PeriodTests {
    @Test("OVERLAPS orders each pair, treats periods as half-open and follows PostgreSQL's NULL rules", arguments: [
        ("(date '2020-01-01', date '2020-02-01') OVERLAPS (date '2020-01-15', date '2020-03-01')", "t"),
        ("(date '2020-02-01', date '2020-01-01') OVERLAPS (date '2020-01-15', date '2020-03-01')", "t"),
        ("(date '2020-01-01', date '2020-01-02') OVERLAPS (date '2020-01-02', date '2020-01-03')", "f"),
        ("(date '2020-01-01', date '2020-01-01') OVERLAPS (date '2020-01-01', date '2020-01-01')", "t"),
        ("(timestamp '2020-01-01', interval '1 day') OVERLAPS (timestamp '2020-01-01 12:00', interval '1 hour')", "t"),
        ("(timestamp '2020-01-01', NULL::timestamp) OVERLAPS (timestamp '2020-01-01 12:00', interval '1 hour')", "NULL"),
        ("(timestamp '2020-01-01', NULL::timestamp) OVERLAPS (timestamp '2020-01-01', interval '1 hour')", "NULL"),
        ("(timestamp '2020-01-01', NULL::timestamp) OVERLAPS (timestamp '2019-12-01', interval '1 hour')", "NULL"),
        ("(NULL::timestamp, timestamp '2020-01-01') OVERLAPS (timestamp '2019-12-01', timestamp '2020-02-01')", "t"),
        ("(time '10:00', time '11:00') OVERLAPS (time '10:30', interval '1 hour')", "t"),
        ("(time '10:00', NULL::interval) OVERLAPS (time '10:00', time '11:00')", "NULL"),
        ("(NULL::time, NULL::time) OVERLAPS (NULL::time, NULL::time)", "NULL"),
        ("(timestamptz '2020-01-01 00:00+00', timestamptz '2020-01-02 00:00+00') OVERLAPS (timestamptz '2020-01-01 12:00+00', interval '2 days')", "t"),
        ("(date '2020-01-01', interval '1 day') OVERLAPS (date '2020-01-01', date '2020-01-03')", "t"),
        ("(timestamp '2020-01-01', date '2020-01-05') OVERLAPS (date '2020-01-03', timestamptz '2020-01-09')", "t"),
        ("ROW(date '2020-01-01', date '2020-01-02') OVERLAPS ROW(date '2020-01-03', date '2020-01-04')", "f"),
        ("overlaps(date '2020-01-01', date '2020-01-02', date '2020-01-02', date '2020-01-03')", "f"),
    ])
    func overlaps(expression: String, expected: String) throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT " + expression) == [[expected]])
    }

    @Test("OVERLAPS is boolean, and refuses what PostgreSQL refuses")
    func overlapsTypesAndErrors() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT pg_typeof((date '2020-01-01', date '2020-01-02') OVERLAPS (date '2020-01-02', date '2020-01-03'))") == [["boolean"]])
        let numbers = sqlError(db, "SELECT (1, 2) OVERLAPS (3, 4)")
        #expect(numbers?.sqlState == "42883")
        #expect(numbers?.message == "function pg_catalog.overlaps(integer, integer, integer, integer) does not exist")
        let three = sqlError(db, "SELECT (date '2020-01-01', date '2020-01-02', date '2020-01-03') OVERLAPS (date '2020-01-02', date '2020-01-03')")
        #expect(three?.sqlState == "42601")
        #expect(three?.message == "wrong number of parameters on left side of OVERLAPS expression")
        #expect(sqlError(db, "SELECT (date '2020-01-01', date '2020-01-02') OVERLAPS (date '2020-01-02')")?.sqlState == "42601")
    }

    @Test("OVERLAPS over columns, as a WHERE condition")
    func overlapsOverRows() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE booking (id int, starts timestamp, ends timestamp);
            INSERT INTO booking VALUES (1, '2024-05-01 09:00', '2024-05-01 10:00'), (2, '2024-05-01 10:00', '2024-05-01 11:00'),
                                       (3, '2024-05-01 11:30', NULL);
            """)
        let sql = "SELECT id FROM booking WHERE (starts, ends) OVERLAPS (timestamp '2024-05-01 09:30', interval '1 hour') ORDER BY id"
        #expect(try rows(db, sql) == [["1"], ["2"]])
    }

    @Test("date_bin as PostgreSQL 15 bins", arguments: [
        ("date_bin('15 minutes', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01')", "2020-02-11 15:30:00"),
        ("date_bin('15 minutes', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01 00:02:30')", "2020-02-11 15:32:30"),
        ("date_bin('1 day', timestamp '1990-02-11 15:44:17', timestamp '2001-01-01')", "1990-02-11 00:00:00"),
        ("date_bin('1 day 2 hours', timestamp '1990-02-11 15:44:17.123456', timestamp '2001-01-01 00:00:00.5')", "1990-02-11 02:00:00.5"),
        ("date_bin('1 microsecond', timestamp '2020-02-11 15:44:17.123456', timestamp '2001-01-01')", "2020-02-11 15:44:17.123456"),
        ("date_bin('1 week', timestamp 'infinity', timestamp '2001-01-01')", "infinity"),
        ("date_bin('100000000 days', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01')", "2001-01-01 00:00:00"),
        ("date_bin('15 minutes', NULL, timestamp '2001-01-01')", "NULL"),
        ("date_bin('1 hour', date '2020-02-11', timestamp '2001-01-01')", "2020-02-11 00:00:00"),
        ("pg_typeof(date_bin('15 minutes', '2020-02-11 15:44:17', '2001-01-01'))", "timestamp with time zone"),
        ("pg_typeof(date_bin('15 minutes', timestamp '2020-02-11 15:44:17', '2001-01-01'))", "timestamp without time zone"),
    ])
    func dateBin(expression: String, expected: String) throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT " + expression) == [[expected]])
    }

    @Test("date_bin of timestamptz counts from the instant, whatever the session's zone")
    func dateBinInstant() throws {
        let session = try Database.inMemory().session()
        try session.execute("SET TIME ZONE 'Asia/Kolkata'")
        let sql = "SELECT date_bin('1 hour', timestamptz '2020-02-11 15:44:17+00', timestamptz '2001-01-01 00:00+00') = timestamptz '2020-02-11 15:00+00'"
        #expect(try rows(session, sql) == [["t"]])
    }

    @Test("date_bin's errors", arguments: [
        ("date_bin('1 month', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01')", "0A000",
         "timestamps cannot be binned into intervals containing months or years"),
        ("date_bin('1 year', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01')", "0A000",
         "timestamps cannot be binned into intervals containing months or years"),
        ("date_bin('0 minutes', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01')", "22008", "stride must be greater than zero"),
        ("date_bin('-15 minutes', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01')", "22008", "stride must be greater than zero"),
        ("date_bin('1 hour', timestamp '2020-02-11 15:44:17', timestamp 'infinity')", "22008", "origin out of range"),
        ("date_bin('15 minutes', timestamp '2020-02-11 15:44:17')", "42883", nil),
        ("date_bin('15 minutes', 1, 2)", "42883", nil),
    ] as [(String, String, String?)])
    func dateBinErrors(expression: String, state: String, message: String?) throws {
        let db = try Database.inMemory()
        let error = sqlError(db, "SELECT " + expression)
        #expect(error?.sqlState == state)
        if let message { #expect(error?.message == message) }
    }
}
