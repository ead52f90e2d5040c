import Testing
@testable import VireoQuery
import VireoStorage

/// Fixes found by the differential test, each pinned to PostgreSQL's answer.
@Suite("SQL: semantics found by the differential test")
struct SQLSemanticsTests {
    @Test("x IN (empty subquery) is false and NOT IN true, even when x is NULL")
    func inEmptySubquery() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE empty (v int); CREATE TABLE one (v int); INSERT INTO one VALUES (1)")
        #expect(try rows(db, "SELECT NULL IN (SELECT v FROM empty), NULL NOT IN (SELECT v FROM empty), 1 IN (SELECT v FROM empty)")
                == [["f", "t", "f"]])
        #expect(try rows(db, "SELECT NULL IN (SELECT v FROM one), NULL NOT IN (SELECT v FROM one)") == [["NULL", "NULL"]])
        try db.execute("CREATE TABLE t (id int, x int); INSERT INTO t VALUES (1, NULL), (2, 5)")
        #expect(try rows(db, "SELECT id FROM t WHERE x NOT IN (SELECT v FROM empty) ORDER BY id") == [["1"], ["2"]],
                "a correlated-free NOT IN over no rows keeps every row")
        #expect(try rows(db, "SELECT id FROM t o WHERE x NOT IN (SELECT v FROM empty WHERE v = o.id) ORDER BY id") == [["1"], ["2"]],
                "the correlated path agrees")
    }

    @Test("double arithmetic overflowing to infinity or underflowing to zero is an error, as in float8")
    func doubleOverflow() throws {
        let db = try Database.inMemory()
        #expect(sqlError(db, "SELECT 1e308::float8 * 10")?.message == "value out of range: overflow")
        #expect(sqlError(db, "SELECT 1e308::float8 + 1e308")?.message == "value out of range: overflow")
        #expect(sqlError(db, "SELECT 1e-300::float8 * 1e-300")?.message == "value out of range: underflow")
        #expect(sqlError(db, "SELECT 1e300::float8 / 1e-300")?.message == "value out of range: overflow")
        #expect(try rows(db, "SELECT 1e308::float8 * 1, 0.0::float8 * 5.5, 0.0 / 2.5, 1.5 * 2") == [["1e+308", "0", "0.00000000000000000000", "3.0"]],
                "numeric literals stay exact decimals unless a float is involved")
        #expect(try rows(db, "SELECT CAST('Infinity' AS double precision) * 2") == [["Infinity"]],
                "an infinite operand is not an overflow")
    }

    @Test("numbers out of range carry SQLSTATE 22003, as in PostgreSQL")
    func outOfRangeState() throws {
        let db = try Database.inMemory()
        for sql in ["SELECT 9223372036854775807 + 1", "SELECT (-9223372036854775807 - 1) / -1", "SELECT -(-9223372036854775807 - 1)",
                    "SELECT CAST(1e19 AS bigint)", "SELECT CAST('99999999999999999999' AS bigint)",
                    "SELECT CAST(1e308 AS double precision) * 10"] {
            let state = sqlError(db, sql)?.sqlState
            #expect(state == "22003", "\(sql): expected 22003, got \(state ?? "no error")")
        }
    }

    @Test("an index range bound of the other numeric type still finds the rows (n > 15.5, r < 0)")
    func mixedNumericIndexBounds() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id int PRIMARY KEY, n bigint, r double precision);
            CREATE INDEX t_n ON t (n); CREATE INDEX t_r ON t (r);
            INSERT INTO t VALUES (1, -10, -0.5), (2, 0, 0.0), (3, 20, 1.5), (4, 30, 2.5), (5, 9223372036854775807, 1e300), (6, NULL, NULL);
            """)
        let cases: [(String, [[String]])] = [
            ("SELECT id FROM t WHERE n > 15.5 ORDER BY id", [["3"], ["4"], ["5"]]),
            ("SELECT id FROM t WHERE n = 20.0", [["3"]]),
            ("SELECT id FROM t WHERE n = 20.5", []),
            ("SELECT id FROM t WHERE n <= 0.5 ORDER BY id", [["1"], ["2"]]),
            ("SELECT id FROM t WHERE n > 1e18", [["5"]]),
            ("SELECT id FROM t WHERE n < 1e20 AND n > -1e20 ORDER BY id", [["1"], ["2"], ["3"], ["4"], ["5"]]),
            ("SELECT id FROM t WHERE r >= 0 AND r < 2 ORDER BY id", [["2"], ["3"]]),
            ("SELECT id FROM t WHERE r < 0", [["1"]]),
            ("SELECT id FROM t WHERE r = 0", [["2"]]),
            ("SELECT id FROM t WHERE id = 1e20", []),
            ("SELECT id FROM t WHERE id IN (2.5, 1e20, 3) ORDER BY id", [["3"]]),
        ]
        for (sql, expected) in cases {
            let got = try rows(db, sql)
            #expect(got == expected, "\(sql): expected \(expected), got \(got)")
        }
    }

    @Test("SELECT DISTINCT rejects an ORDER BY key outside the select list instead of returning duplicates")
    func distinctOrderBy() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, g int, name text); INSERT INTO t VALUES (1, 1, 'b'), (2, 1, 'a'), (3, 2, 'a')")
        #expect(sqlError(db, "SELECT DISTINCT g FROM t ORDER BY id")?.message
                == "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
        #expect(sqlError(db, "SELECT DISTINCT g, count(*) FROM t GROUP BY g ORDER BY max(id)") != nil)
        #expect(try rows(db, "SELECT DISTINCT g FROM t ORDER BY g DESC") == [["2"], ["1"]])
        #expect(try rows(db, "SELECT DISTINCT lower(name) FROM t ORDER BY lower(name)") == [["a"], ["b"]],
                "a key written like a select-list expression sorts by it")
        #expect(try rows(db, "SELECT DISTINCT t.g FROM t ORDER BY t.g") == [["1"], ["2"]])
        #expect(try rows(db, "SELECT DISTINCT g, count(*) FROM t GROUP BY g ORDER BY count(*) DESC, g") == [["1", "2"], ["2", "1"]])
        #expect(try rows(db, "SELECT name FROM t ORDER BY upper(name), id") == [["a"], ["a"], ["b"]], "hidden keys still work without DISTINCT")
    }

    @Test("GROUP BY a name that is both a FROM column and a select-list alias groups by the column")
    func groupByPrefersInputColumn() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, name text, g int); INSERT INTO t VALUES (1, 'ab', 1), (2, 'ac', 1), (3, 'b', 2)")
        #expect(try rows(db, "SELECT substr(name, 1, 1) AS name, count(*) FROM t GROUP BY name ORDER BY 1, 2")
                == [["a", "1"], ["a", "1"], ["b", "1"]], "groups by t.name, as PostgreSQL does")
        #expect(try rows(db, "SELECT substr(name, 1, 1) AS initial, count(*) FROM t GROUP BY initial ORDER BY 1")
                == [["a", "2"], ["b", "1"]], "an alias that is not a column still names the select-list expression")
        #expect(try rows(db, "SELECT g AS id, count(*) FROM t GROUP BY id ORDER BY 1, 2") == [["1", "1"], ["1", "1"], ["2", "1"]],
                "GROUP BY id means t.id, the primary key, which determines g (PostgreSQL's functional dependency)")
        try db.execute("CREATE TABLE u (id int, g int)")
        #expect(sqlError(db, "SELECT g AS id, count(*) FROM u GROUP BY id")?.sqlState == "42803",
                "GROUP BY id means u.id, no key, so g is neither grouped nor aggregated")
    }

    @Test("string and number functions with extreme arguments answer instead of trapping")
    func extremeFunctionArguments() throws {
        let db = try Database.inMemory()
        let big = "9223372036854775807", small = "(-9223372036854775807 - 1)"
        let cases: [(String, [[String]])] = [
            ("SELECT substr('hello', 1, \(big)), substr('hello', \(big)), substr('hello', \(small), \(big))", [["hello", "", ""]]),
            ("SELECT left('hello', \(small)), right('hello', \(small)), left('hello', -2), right('hello', -2)", [["", "", "hel", "llo"]]),
            ("SELECT length(round(1.5, 400)::text), length(round(1e300, 20)::text), round(5.5, -400), round(1234.5, -2), round(2.345, 2)",
             [["402", "322", "0", "1200", "2.35"]]),
            ("SELECT subvector('[1,2,3]', 2, \(big))", [["[2,3]"]]),
        ]
        for (sql, expected) in cases {
            let got = try rows(db, sql)
            #expect(got == expected, "\(sql): expected \(expected), got \(got)")
        }
        #expect(sqlError(db, "SELECT repeat('ab', \(big))")?.sqlState == "54000")
        #expect(sqlError(db, "SELECT repeat('ab', 600000000)")?.sqlState == "54000")
        #expect(try rows(db, "SELECT length(repeat('ab', 3))") == [["6"]])
    }

    @Test("ORDER BY with LIMIT and OFFSET near the bigint limit returns rows instead of overflowing")
    func hugeLimitAndOffset() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3), (4)")
        #expect(try rows(db, "SELECT id FROM t ORDER BY id LIMIT 9223372036854775807 OFFSET 2") == [["3"], ["4"]])
        #expect(try rows(db, "SELECT id FROM t ORDER BY id DESC LIMIT 2 OFFSET 9223372036854775807") == [])
        #expect(try rows(db, "SELECT id FROM t ORDER BY id DESC LIMIT 2 OFFSET 1") == [["3"], ["2"]])
        #expect(try rows(db, "SELECT id FROM t ORDER BY id LIMIT NULL OFFSET 3") == [["4"]])
        #expect(try rows(db, "SELECT id FROM t ORDER BY id LIMIT 1 OFFSET NULL") == [["1"]])
    }

    @Test("ORDER BY over UNION takes result column names or positions, not expressions")
    func setOperationOrderBy() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT 2 AS x UNION SELECT 1 ORDER BY x") == [["1"], ["2"]])
        #expect(try rows(db, "SELECT 2 AS x UNION SELECT 1 ORDER BY 1 DESC") == [["2"], ["1"]])
        #expect(sqlError(db, "SELECT 2 AS x UNION SELECT 1 ORDER BY x + 1")?.sqlState == "0A000")
        #expect(sqlError(db, "SELECT 2 AS x UNION SELECT 1 ORDER BY y")?.sqlState == "0A000")
    }

    @Test("a subquery in a grouped query may refer to the outer query's GROUP BY columns")
    func correlatedSubqueryOnGroupKey() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE e (id int PRIMARY KEY, d int, pay int); CREATE TABLE p (id int PRIMARY KEY, d int);
            INSERT INTO e VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30), (4, NULL, 40);
            INSERT INTO p VALUES (1, 1), (2, 2), (3, 2);
            """)
        #expect(try rows(db, "SELECT d, count(*), (SELECT count(*) FROM p WHERE p.d = e.d) FROM e GROUP BY d ORDER BY d NULLS FIRST")
                == [["NULL", "1", "0"], ["1", "2", "1"], ["2", "1", "2"]])
        #expect(try rows(db, "SELECT d FROM e GROUP BY d HAVING count(*) > (SELECT count(*) FROM p WHERE p.d = e.d) ORDER BY d NULLS FIRST")
                == [["NULL"], ["1"]])
        #expect(try rows(db, "SELECT x.d, EXISTS (SELECT 1 FROM p WHERE p.d = x.d) FROM e x GROUP BY x.d ORDER BY 1 NULLS LAST")
                == [["1", "t"], ["2", "t"], ["NULL", "f"]])
        #expect(try rows(db, "SELECT d FROM e GROUP BY d ORDER BY (SELECT count(*) FROM p WHERE p.d = e.d) DESC, d NULLS LAST")
                == [["2"], ["1"], ["NULL"]])
        #expect(sqlError(db, "SELECT d, (SELECT count(*) FROM p WHERE p.d = e.pay) FROM e GROUP BY d") != nil,
                "an ungrouped column of the outer query is still refused")
        #expect(sqlError(db, "SELECT * FROM e GROUP BY d")?.sqlState == "42803")
    }

    @Test("a grouped column may be written qualified or not, whichever way GROUP BY wrote it")
    func groupedColumnSpelling() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE e (id int PRIMARY KEY, d int); INSERT INTO e VALUES (1, 1), (2, 1), (3, 2)")
        #expect(try rows(db, "SELECT e.d, count(*) FROM e GROUP BY d ORDER BY e.d") == [["1", "2"], ["2", "1"]])
        #expect(try rows(db, "SELECT d, count(*) FROM e x GROUP BY x.d ORDER BY d") == [["1", "2"], ["2", "1"]])
        #expect(sqlError(db, "SELECT e.id, count(*) FROM e GROUP BY d")?.sqlState == "42803")
    }
}
