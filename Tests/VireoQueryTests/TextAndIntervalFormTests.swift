import Testing
@testable import VireoQuery
import VireoStorage

/// Interval input with units written against their numbers, to_char of an interval,
/// pg_size_bytes, and case mapping one code point at a time, each as PostgreSQL 15 answers.
@Suite("Interval input and output forms, pg_size_bytes, case mapping")
struct TextAndIntervalFormTests {
    @Test("'1h30m', '1.5h', '-1h', '1day', '1d2h' read as PostgreSQL reads them")
    func gluedUnits() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT '1h'::interval, '1h30m'::interval, '1.5h'::interval, '-1h'::interval, '1day'::interval, '1d2h'::interval")
                == ["01:00:00", "01:30:00", "01:30:00", "-01:00:00", "1 day", "1 day 02:00:00"])
        #expect(try typedValues(session, "SELECT '2 hrs 3 mins'::interval, '+1 day -2h'::interval, '10'::interval, '3 mons ago'::interval")
                == ["02:03:00", "1 day -02:00:00", "00:00:10", "-3 mons"])
        for text in ["1e5 seconds", "1x", "h", "1h 00:30x"] {
            #expect(sqlError(session, "SELECT '\(text)'::interval")?.sqlState == "22007")
        }
    }

    @Test("to_char of an interval reads its own fields; hours do not wrap; names are errors")
    func intervalToChar() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT to_char(interval '1 year 2 mons 3 days 25:04:05.678', 'YYYY-MM-DD HH24:MI:SS.MS US'), to_char(interval '3 hours', 'HH:MI')")
                == ["0001-02-03 25:04:05.678 678000", "03:00"])
        #expect(try typedValues(session, "SELECT to_char(interval '-3 hours -5 min', 'HH24:MI:SS'), to_char(interval '25 hours', 'FMHH24\"h\" SSSS HH12 AM')")
                == ["-03:-05:00", "25h 90000 01 AM"])
        #expect(try typedValues(session, "SELECT to_char(interval '1 year 2 mons 3 days', 'DDD WW Q'), to_char(interval '0', 'Q')") == ["423 61 1", ""])
        let error = sqlError(session, "SELECT to_char(interval '2 hours', 'Month')")
        #expect(error?.sqlState == "22007")
        #expect(error?.message == "invalid format specification for an interval value")
        #expect(try typedValues(session, "SELECT to_char(timestamp '2024-05-15 10:07:08', 'SSSS SSSSS')") == ["36428 36428"])
    }

    @Test("pg_size_bytes: numbers with units from bytes to PB, in any case, rounded to bigint")
    func sizeBytes() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT pg_size_bytes('10 MB'), pg_size_bytes('1GB'), pg_size_bytes('1.5 kB'), pg_size_bytes(' 12 bytes '), pg_size_bytes('-2 kB')")
                == ["10485760", "1073741824", "1536", "12", "-2048"])
        #expect(try typedValues(session, "SELECT pg_size_bytes('1 TB'), pg_size_bytes('1PB'), pg_size_bytes('10 mb'), pg_size_bytes('1e3'), pg_size_bytes('1.5')")
                == ["1099511627776", "1125899906842624", "10485760", "1000", "2"])
        #expect(sqlError(session, "SELECT pg_size_bytes('abc')")?.message == "invalid size: \"abc\"")
        let unit = sqlError(session, "SELECT pg_size_bytes('1 XB')")
        #expect(unit?.sqlState == "22023")
        #expect(unit?.detail == "Invalid size unit: \"XB\".")
        #expect(sqlError(session, "SELECT pg_size_bytes('10000000 PB')")?.sqlState == "22003")
    }

    @Test("upper, lower and initcap map one code point at a time: ß stays, İ lowers to i")
    func simpleCaseMapping() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT upper('straße'), lower('ÀÉÎ'), initcap('élan vITAL 3rd'), upper('ǆ'), lower('İ')")
                == ["STRAßE", "àéî", "Élan Vital 3rd", "Ǆ", "i"])
        #expect(try typedValues(session, "SELECT upper('abc-xyz'), lower('ABC'), initcap('hello wORLD')") == ["ABC-XYZ", "abc", "Hello World"])
    }
}
