import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// numeric's NaN, Infinity and -Infinity as PostgreSQL 15 has them.
@Suite("numeric NaN and infinities")
struct NumericSpecialValueTests {
    @Test("input in any case and spelling, output, order: -Infinity < numbers < Infinity < NaN, NaN = NaN")
    func inputOutputOrder() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT 'NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric, 'inf'::numeric, '-INF'::numeric, ' nan '::numeric") ==
                [["NaN", "Infinity", "-Infinity", "Infinity", "-Infinity", "NaN"]])
        #expect(try rows(db, """
            SELECT 'NaN'::numeric = 'NaN'::numeric, 'NaN'::numeric > 'Infinity'::numeric, 'Infinity'::numeric > 1e100,
                   '-Infinity'::numeric < -1e100, 'NaN'::numeric > 1
            """) == [["t", "t", "t", "t", "t"]])
        #expect(try rows(db, "SELECT x FROM (VALUES ('1'::numeric), ('NaN'), ('-Infinity'), ('Infinity'), ('-5.5')) t(x) ORDER BY x") ==
                [["-Infinity"], ["-5.5"], ["1"], ["Infinity"], ["NaN"]])
    }

    @Test("arithmetic and functions follow PostgreSQL's rules for the special values")
    func arithmetic() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT 'Infinity'::numeric + 1, 'Infinity'::numeric - 'Infinity'::numeric, 'Infinity'::numeric * 0,
                   'Infinity'::numeric * -2, 'NaN'::numeric + 1, 1 / 'Infinity'::numeric, 'Infinity'::numeric / -3,
                   'Infinity'::numeric % 2, 5 % 'Infinity'::numeric, 'NaN'::numeric / 0, abs('-Infinity'::numeric)
            """) == [["Infinity", "NaN", "NaN", "-Infinity", "NaN", "0", "-Infinity", "NaN", "5", "NaN", "Infinity"]])
        #expect(try rows(db, """
            SELECT round('NaN'::numeric, 2), trunc('Infinity'::numeric), floor('-Infinity'::numeric), sign('NaN'::numeric),
                   sign('-Infinity'::numeric), scale('NaN'::numeric), sqrt('Infinity'::numeric), exp('-Infinity'::numeric),
                   ln('Infinity'::numeric), power(2::numeric, '-Infinity'::numeric), power('NaN'::numeric, 0),
                   'NaN'::numeric::float8, '-Infinity'::float8::numeric, 'NaN'::numeric(5,2)
            """) == [["NaN", "Infinity", "-Infinity", "NaN", "-1", "NULL", "Infinity", "0", "Infinity", "0", "1", "NaN", "-Infinity", "NaN"]])
        #expect(try rows(db, "SELECT sum(x), avg(x), max(x), min(x), count(DISTINCT x) FROM (VALUES ('1'::numeric), ('NaN'), ('NaN'), ('2')) t(x)") ==
                [["NaN", "NaN", "NaN", "1", "3"]])
    }

    static let failures: [(String, String)] = [
        ("SELECT 'Infinity'::numeric / 0", "22012"),
        ("SELECT 'NaN'::numeric::int", "0A000"),
        ("SELECT 'Infinity'::numeric::bigint", "0A000"),
        ("SELECT sqrt('-Infinity'::numeric)", "2201F"),
        ("SELECT ln('-Infinity'::numeric)", "2201E"),
        ("SELECT 'Infinity'::numeric(5,2)", "22003"),
        ("SELECT 'nonsense'::numeric", "22P02"),
    ]

    @Test("errors have PostgreSQL's SQLSTATEs", arguments: failures.indices)
    func failure(index: Int) throws {
        let (sql, sqlState) = Self.failures[index]
        let error = sqlError(try Database.inMemory(), sql)
        #expect(error?.sqlState == sqlState, "\(sql): expected \(sqlState), got \(String(describing: error))")
    }

    @Test("stored, indexed and read back after a reopen")
    func storedAndIndexed() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/n.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("""
                    CREATE TABLE nums (id int PRIMARY KEY, v numeric); CREATE INDEX nums_v ON nums (v);
                    INSERT INTO nums VALUES (1, 'NaN'), (2, 'Infinity'), (3, '-Infinity'), (4, 0), (5, 1.5);
                    """)
                try db.close()
            }
            let db = try Database.open(path: path)
            #expect(try rows(db, "SELECT id FROM nums WHERE v > 1 ORDER BY id") == [["1"], ["2"], ["5"]])
            #expect(try rows(db, "SELECT id FROM nums WHERE v = 'NaN'") == [["1"]])
            #expect(try rows(db, "SELECT id, v FROM nums ORDER BY v DESC") ==
                    [["1", "NaN"], ["2", "Infinity"], ["5", "1.5"], ["4", "0"], ["3", "-Infinity"]])
            try db.close()
        }
    }
}
