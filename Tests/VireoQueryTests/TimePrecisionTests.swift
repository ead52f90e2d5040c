import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// `timestamp(p)`, `timestamptz(p)`, `time(p)` and `interval(p)`: a value that takes the type
/// (a cast, a column's INSERT or UPDATE) keeps p fractional digits of a second, and the
/// precision is a column's typmod wherever PostgreSQL shows one. Each expectation is
/// PostgreSQL 15's answer to the same statement.
@Suite("fractional-seconds precision of time types")
struct TimePrecisionTests {
    @Test("a cast rounds half away from zero, ties counted from PostgreSQL's 2000 epoch")
    func casts() throws {
        let db = try Database.inMemory()
        #expect(try DialectTests.typedRows(db, """
            SELECT '2024-01-01 10:00:00.125'::timestamp(2), '2024-01-01 10:00:00.135'::timestamp(2), '2024-01-01 10:00:00.115'::timestamp(2),
                   '2024-01-01 10:00:00.5'::timestamp(0), '1960-01-01 10:00:00.125'::timestamp(2), '1999-12-31 23:59:59.995'::timestamp(2)
            """) == [["2024-01-01 10:00:00.13", "2024-01-01 10:00:00.14", "2024-01-01 10:00:00.12",
                      "2024-01-01 10:00:01", "1960-01-01 10:00:00.12", "1999-12-31 23:59:59.99"]])
        #expect(try DialectTests.typedRows(db, """
            SELECT '10:00:00.125'::time(2), '23:59:59.95'::time(1), '1 day 00:00:00.125'::interval(2), '-0.125 seconds'::interval(2),
                   '2024-01-01 10:00:00.125+00'::timestamptz(2), CAST('2024-01-01 10:00:00.125' AS timestamp(2) with time zone)
            """) == [["10:00:00.13", "24:00:00", "1 day 00:00:00.13", "-00:00:00.13", "2024-01-01 10:00:00.13+00", "2024-01-01 10:00:00.13+00"]])
        #expect(try DialectTests.typedRows(db, """
            SELECT timestamp(1) '2024-01-01 00:00:00.25', time(0) '10:00:00.5', '-1 day -00:00:00.125'::interval(2),
                   '1 mon 2 days 00:00:00.999'::interval(2), '2024-01-01 10:00:00.125'::timestamp(7), 'infinity'::timestamp(2),
                   '2024-01-01 10:00:00.125'::timestamp::timestamp(2)
            """) == [["2024-01-01 00:00:00.3", "10:00:01", "-1 days -00:00:00.13", "1 mon 2 days 00:00:01", "2024-01-01 10:00:00.125",
                      "infinity", "2024-01-01 10:00:00.13"]])
        let described = try db.session().describe(Parser.parseStatement(
            "SELECT now()::timestamp(3), '1 second'::interval(2), '10:00'::time(0), now()::timestamp")).columns
        #expect(described.map { $0.origin?.typeModifier ?? -1 } == [3, 2_147_418_114, 0, -1])
    }

    @Test("a column rounds what it stores and shows its precision in the catalogs and to clients, across a reopen")
    func columns() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "precision.vireo", after: """
                CREATE TABLE tp (id int PRIMARY KEY, e timestamp(2), f timestamptz(3), g time(1), h interval(2), i timestamp, d date,
                                 w timestamp(9));
                INSERT INTO tp VALUES (1, '2024-01-01 10:00:00.125', '2024-01-01 10:00:00.12345+00', '10:00:00.16', '1.255 seconds',
                                       '2024-01-01 10:00:00.125', '2024-01-01', '2024-01-01 10:00:00.1234567');
                CREATE VIEW tpv AS SELECT e, g FROM tp;
                """)
            #expect(try DialectTests.typedRows(db, "SELECT e, f, g, h, i, w FROM tp") == [
                ["2024-01-01 10:00:00.13", "2024-01-01 10:00:00.123+00", "10:00:00.2", "00:00:01.26", "2024-01-01 10:00:00.125",
                 "2024-01-01 10:00:00.123457"]])
            try db.execute("UPDATE tp SET e = e + interval '0.004 seconds', g = '11:00:00.04'")
            #expect(try DialectTests.typedRows(db, "SELECT e, g FROM tp") == [["2024-01-01 10:00:00.13", "11:00:00"]])
            #expect(try rows(db, """
                SELECT attname, atttypmod, format_type(atttypid, atttypmod) FROM pg_attribute
                WHERE attrelid = 'tp'::regclass AND attnum > 1 ORDER BY attnum
                """) == [["e", "2", "timestamp(2) without time zone"], ["f", "3", "timestamp(3) with time zone"],
                         ["g", "1", "time(1) without time zone"], ["h", "2147418114", "interval(2)"],
                         ["i", "-1", "timestamp without time zone"], ["d", "-1", "date"], ["w", "6", "timestamp(6) without time zone"]])
            #expect(try rows(db, """
                SELECT column_name, data_type, datetime_precision FROM information_schema.columns
                WHERE table_name = 'tp' AND column_name <> 'id' ORDER BY ordinal_position
                """) == [["e", "timestamp without time zone", "2"], ["f", "timestamp with time zone", "3"], ["g", "time without time zone", "1"],
                         ["h", "interval", "2"], ["i", "timestamp without time zone", "6"], ["d", "date", "0"], ["w", "timestamp without time zone", "6"]])
            #expect(try rows(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'tpv'::regclass ORDER BY attnum") == [
                ["timestamp(2) without time zone"], ["time(1) without time zone"]], "a view column read unchanged keeps the precision")
            let described = try db.session().describe(Parser.parseStatement("SELECT e, f, g, h, i, e + interval '1 second' FROM tp")).columns
            #expect(described.map { $0.origin?.typeModifier ?? -1 } == [2, 3, 1, 2_147_418_114, -1, -1])
            try db.close()
        }
    }

    @Test("ALTER COLUMN TYPE to a precision rounds the stored values; a foreign key matches across precisions")
    func alterAndReferences() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE tp (id int PRIMARY KEY, i timestamp UNIQUE);
            INSERT INTO tp VALUES (1, '2024-01-01 10:00:00.125');
            ALTER TABLE tp ALTER COLUMN i TYPE timestamp(1);
            CREATE TABLE child (at timestamp(0) REFERENCES tp (i));
            """)
        #expect(try rows(db, "SELECT i, format_type(atttypid, atttypmod) FROM tp, pg_attribute WHERE attrelid = 'tp'::regclass AND attname = 'i'") == [
            ["2024-01-01 10:00:00.1", "timestamp(1) without time zone"]])
        #expect(sqlError(db, "INSERT INTO child VALUES ('2024-01-01 10:00:00.1')")?.sqlState == "23503",
                "the child's value is rounded to whole seconds before it is looked up")
    }

    @Test("the precision is a ColumnType case of its own: catalogs written before it read unchanged")
    func catalogForm() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(ColumnType.self, from: Data(#"{"timestamp":{}}"#.utf8)) == .timestamp)
        let precise = ColumnType.fractionalSeconds(.timestamptz, digits: 3)
        #expect(try decoder.decode(ColumnType.self, from: JSONEncoder().encode(precise)) == precise)
        #expect(precise.storageType == .timestamp && precise.withoutFractionalSeconds == .timestamptz)
        #expect([precise.name, ColumnType.fractionalSeconds(.time, digits: 0).name, ColumnType.fractionalSeconds(.interval, digits: 2).name]
                == ["timestamp(3) with time zone", "time(0) without time zone", "interval(2)"])
    }
}
