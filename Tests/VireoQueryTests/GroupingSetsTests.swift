import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// GROUP BY ROLLUP, CUBE, GROUPING SETS, `()`, GROUP BY DISTINCT and grouping(), as
/// PostgreSQL 15 computes them. Every expected answer is PostgreSQL 15's, over the same rows.
@Suite("GROUPING SETS, ROLLUP, CUBE and grouping()")
struct GroupingSetsTests {
    /// Rows with NULLs in every column, as the PostgreSQL 15 answers were computed over
    /// (StatisticalAggregatesTests reads them too).
    static func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int, b text, c int, x float8, y float8)")
        try db.execute("INSERT INTO t VALUES (1, 'p', 10, 1.5, 2.0), (1, 'q', 20, 2.5, 3.5), (2, 'p', 30, NULL, 1.0), "
                       + "(2, NULL, 40, 4.0, 8.5), (NULL, 'q', 50, 5.0, NULL), (3, 'r', 60, 6.5, 7.25)")
        try db.execute("CREATE TABLE p (id int PRIMARY KEY, name text, g int)")
        try db.execute("INSERT INTO p VALUES (1, 'x', 1), (2, 'y', 1), (3, 'z', 2)")
        return db
    }

    @Test("ROLLUP, CUBE and GROUPING SETS: a row per group of each set, NULL for the keys it leaves out")
    func sets() throws {
        let db = try Self.database()
        #expect(try rows(db, "SELECT a, b, count(*), sum(c) FROM t GROUP BY ROLLUP (a, b) ORDER BY 1, 2, 3, 4")
            == [["1", "p", "1", "10"], ["1", "q", "1", "20"], ["1", "NULL", "2", "30"], ["2", "p", "1", "30"], ["2", "NULL", "1", "40"], ["2", "NULL", "2", "70"], ["3", "r", "1", "60"], ["3", "NULL", "1", "60"], ["NULL", "q", "1", "50"], ["NULL", "NULL", "1", "50"], ["NULL", "NULL", "6", "210"]])
        #expect(try rows(db, "SELECT a, b, count(*) FROM t GROUP BY CUBE (a, b) ORDER BY 1, 2, 3")
            == [["1", "p", "1"], ["1", "q", "1"], ["1", "NULL", "2"], ["2", "p", "1"], ["2", "NULL", "1"], ["2", "NULL", "2"], ["3", "r", "1"], ["3", "NULL", "1"], ["NULL", "p", "2"], ["NULL", "q", "1"], ["NULL", "q", "2"], ["NULL", "r", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "6"]])
        #expect(try rows(db, "SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS ((a), (b), ()) ORDER BY 1, 2, 3")
            == [["1", "NULL", "2"], ["2", "NULL", "2"], ["3", "NULL", "1"], ["NULL", "p", "2"], ["NULL", "q", "2"], ["NULL", "r", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "6"]])
    }

    @Test("mixed and nested forms, composite elements and the empty set")
    func mixedForms() throws {
        let db = try Self.database()
        #expect(try rows(db, "SELECT a, b, c, count(*) FROM t GROUP BY a, ROLLUP (b, c) ORDER BY 1, 2, 3, 4")
            == [["1", "p", "10", "1"], ["1", "p", "NULL", "1"], ["1", "q", "20", "1"], ["1", "q", "NULL", "1"], ["1", "NULL", "NULL", "2"], ["2", "p", "30", "1"], ["2", "p", "NULL", "1"], ["2", "NULL", "40", "1"], ["2", "NULL", "NULL", "1"], ["2", "NULL", "NULL", "2"], ["3", "r", "60", "1"], ["3", "r", "NULL", "1"], ["3", "NULL", "NULL", "1"], ["NULL", "q", "50", "1"], ["NULL", "q", "NULL", "1"], ["NULL", "NULL", "NULL", "1"]])
        #expect(try rows(db, "SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS (a, ROLLUP (a, b), CUBE (b), GROUPING SETS ((), (a, b))) ORDER BY 1, 2, 3")
            == [["1", "p", "1"], ["1", "p", "1"], ["1", "q", "1"], ["1", "q", "1"], ["1", "NULL", "2"], ["1", "NULL", "2"], ["2", "p", "1"], ["2", "p", "1"], ["2", "NULL", "1"], ["2", "NULL", "1"], ["2", "NULL", "2"], ["2", "NULL", "2"], ["3", "r", "1"], ["3", "r", "1"], ["3", "NULL", "1"], ["3", "NULL", "1"], ["NULL", "p", "2"], ["NULL", "q", "1"], ["NULL", "q", "1"], ["NULL", "q", "2"], ["NULL", "r", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "6"], ["NULL", "NULL", "6"], ["NULL", "NULL", "6"]])
        #expect(try rows(db, "SELECT a, b, c, count(*) FROM t GROUP BY ROLLUP ((a, b), c) ORDER BY 1, 2, 3, 4")
            == [["1", "p", "10", "1"], ["1", "p", "NULL", "1"], ["1", "q", "20", "1"], ["1", "q", "NULL", "1"], ["2", "p", "30", "1"], ["2", "p", "NULL", "1"], ["2", "NULL", "40", "1"], ["2", "NULL", "NULL", "1"], ["3", "r", "60", "1"], ["3", "r", "NULL", "1"], ["NULL", "q", "50", "1"], ["NULL", "q", "NULL", "1"], ["NULL", "NULL", "NULL", "6"]])
        #expect(try rows(db, "SELECT a, b, count(*) FROM t GROUP BY (a, b), () ORDER BY 1, 2")
            == [["1", "p", "1"], ["1", "q", "1"], ["2", "p", "1"], ["2", "NULL", "1"], ["3", "r", "1"], ["NULL", "q", "1"]])
        #expect(try rows(db, "SELECT count(*), sum(c) FROM t GROUP BY ()")
            == [["6", "210"]])
    }

    @Test("grouping() in SELECT, HAVING and ORDER BY, over columns and expressions")
    func groupingFunction() throws {
        let db = try Self.database()
        #expect(try rows(db, "SELECT a, b, grouping(a, b), grouping(b), sum(c) FROM t GROUP BY CUBE (a, b) HAVING grouping(a) = 0 ORDER BY grouping(a, b), a, b")
            == [["1", "p", "0", "0", "10"], ["1", "q", "0", "0", "20"], ["2", "p", "0", "0", "30"], ["2", "NULL", "0", "0", "40"], ["3", "r", "0", "0", "60"], ["NULL", "q", "0", "0", "50"], ["1", "NULL", "1", "1", "30"], ["2", "NULL", "1", "1", "70"], ["3", "NULL", "1", "1", "60"], ["NULL", "NULL", "1", "1", "50"]])
        #expect(try rows(db, "SELECT a + 1, grouping(a + 1), count(*) FROM t GROUP BY ROLLUP (a + 1) ORDER BY 1, 2")
            == [["2", "0", "2"], ["3", "0", "2"], ["4", "0", "1"], ["NULL", "0", "1"], ["NULL", "1", "6"]])
        #expect(try rows(db, "SELECT t.a, grouping(t.a), grouping(a) FROM t GROUP BY ROLLUP (a) ORDER BY 1, 2")
            == [["1", "0", "0"], ["2", "0", "0"], ["3", "0", "0"], ["NULL", "0", "0"], ["NULL", "1", "1"]])
        #expect(try rows(db, "SELECT grouping(a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a) FROM t WHERE a = 1 GROUP BY ROLLUP (a) ORDER BY 1")
            == [["0"], ["2147483647"]])
    }

    @Test("GROUP BY DISTINCT computes a repeated set once; without it the set's rows repeat")
    func distinctSets() throws {
        let db = try Self.database()
        #expect(try rows(db, "SELECT a, count(*) FROM t GROUP BY DISTINCT ROLLUP (a), ROLLUP (a) ORDER BY 1, 2")
            == [["1", "2"], ["2", "2"], ["3", "1"], ["NULL", "1"], ["NULL", "6"]])
        #expect(try rows(db, "SELECT a, count(*) FROM t GROUP BY ROLLUP (a), ROLLUP (a) ORDER BY 1, 2")
            == [["1", "2"], ["1", "2"], ["1", "2"], ["2", "2"], ["2", "2"], ["2", "2"], ["3", "1"], ["3", "1"], ["3", "1"], ["NULL", "1"], ["NULL", "1"], ["NULL", "1"], ["NULL", "6"]])
    }

    @Test("DISTINCT, FILTER and ORDER BY inside aggregates, HAVING, windows and positions work per set")
    func aggregatesPerSet() throws {
        let db = try Self.database()
        #expect(try rows(db, "SELECT a, count(DISTINCT b), sum(c) FILTER (WHERE c > 20), string_agg(b, ',' ORDER BY b DESC) FROM t GROUP BY ROLLUP (a) ORDER BY 1, 2")
            == [["1", "2", "NULL", "q,p"], ["2", "1", "70", "p"], ["3", "1", "60", "r"], ["NULL", "1", "50", "q"], ["NULL", "3", "180", "r,q,q,p,p"]])
        #expect(try rows(db, "SELECT a, count(*) FROM t GROUP BY GROUPING SETS (a, ()) HAVING count(*) > 1 ORDER BY 1, 2")
            == [["1", "2"], ["2", "2"], ["NULL", "6"]])
        #expect(try rows(db, "SELECT a, sum(c), rank() OVER (ORDER BY sum(c) DESC) FROM t GROUP BY ROLLUP (a) ORDER BY 3")
            == [["NULL", "210", "1"], ["2", "70", "2"], ["3", "60", "3"], ["NULL", "50", "4"], ["1", "30", "5"]])
        #expect(try rows(db, "SELECT a, b, count(*) FROM t GROUP BY ROLLUP (1, 2) ORDER BY 1, 2, 3")
            == [["1", "p", "1"], ["1", "q", "1"], ["1", "NULL", "2"], ["2", "p", "1"], ["2", "NULL", "1"], ["2", "NULL", "2"], ["3", "r", "1"], ["3", "NULL", "1"], ["NULL", "q", "1"], ["NULL", "NULL", "1"], ["NULL", "NULL", "6"]])
        #expect(try rows(db, "SELECT a AS k, count(*) FROM t GROUP BY ROLLUP (k) ORDER BY 1, 2")
            == [["1", "2"], ["2", "2"], ["3", "1"], ["NULL", "1"], ["NULL", "6"]])
    }

    @Test("over no rows only the empty set has a group, once per time it is listed")
    func noRows() throws {
        let db = try Self.database()
        #expect(try rows(db, "SELECT a, count(*) FROM t WHERE false GROUP BY ROLLUP (a)")
            == [["NULL", "0"]])
        #expect(try rows(db, "SELECT count(*) FROM t WHERE false GROUP BY GROUPING SETS ((), ())")
            == [["0"], ["0"]])
    }

    @Test("a grouped primary key determines other columns only when every set groups by it")
    func functionalDependency() throws {
        let db = try Self.database()
        // ERROR:  42803: column "p.name" must appear in the GROUP BY clause or be used in an aggregate function
        #expect(sqlError(db, "SELECT id, name, count(*) FROM p GROUP BY ROLLUP (id)")?.sqlState == "42803")
        #expect(try rows(db, "SELECT id, name, g, count(*) FROM p GROUP BY id, ROLLUP (g) ORDER BY 1, 3")
            == [["1", "x", "1", "1"], ["1", "x", "NULL", "1"], ["2", "y", "1", "1"], ["2", "y", "NULL", "1"], ["3", "z", "2", "1"], ["3", "z", "NULL", "1"]])
    }

    @Test("EXPLAIN names the strategy and lists the sets")
    func explain() throws {
        let db = try Self.database()
        let rollup = try rows(db, "EXPLAIN SELECT a, b, count(*) FROM t GROUP BY ROLLUP (a, b)").map { $0[0].trimmingCharacters(in: .whitespaces) }
        #expect(rollup.contains("->  MixedAggregate") && rollup.contains("Grouping Sets: (a, b), (a), ()"), "\(rollup)")
        let sets = try rows(db, "EXPLAIN SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS (a, b)").map { $0[0].trimmingCharacters(in: .whitespaces) }
        #expect(sets.contains("->  HashAggregate") && sets.contains("Grouping Sets: (a), (b)"), "\(sets)")
        let plain = try rows(db, "EXPLAIN SELECT a, count(*) FROM t GROUP BY a, ()").map { $0[0] }
        #expect(!plain.contains { $0.contains("Grouping Sets") }, "\(plain)")
    }

    @Test("a view keeps its grouping sets through its SQL text")
    func view() throws {
        let db = try Self.database()
        try db.execute("CREATE VIEW totals AS SELECT a, b, grouping(a, b) AS level, count(*) AS n FROM t "
                       + "GROUP BY DISTINCT ROLLUP ((a, b)), CUBE (a), GROUPING SETS ((), a)")
        #expect(try rows(db, "SELECT level, sum(n) FROM totals GROUP BY level ORDER BY level") == [["0", "6"], ["1", "6"], ["3", "6"]])
    }

    @Test("errors as PostgreSQL raises them")
    func errors() throws {
        let db = try Self.database()
        // ERROR:  42803: column "t.c" must appear in the GROUP BY clause or be used in an aggregate function
        #expect(sqlError(db, "SELECT a, c, count(*) FROM t GROUP BY ROLLUP (a)")?.sqlState == "42803")
        // ERROR:  42803: arguments to GROUPING must be grouping expressions of the associated query level
        #expect(sqlError(db, "SELECT grouping(c) FROM t GROUP BY ROLLUP (a)")?.sqlState == "42803")
        // ERROR:  42803: arguments to GROUPING must be grouping expressions of the associated query level
        #expect(sqlError(db, "SELECT grouping(a) FROM t")?.sqlState == "42803")
        // ERROR:  42803: grouping operations are not allowed in WHERE
        #expect(sqlError(db, "SELECT a FROM t WHERE grouping(a) = 0 GROUP BY ROLLUP (a)")?.sqlState == "42803")
        // ERROR:  42803: aggregate function calls cannot be nested
        #expect(sqlError(db, "SELECT sum(grouping(a)) FROM t GROUP BY ROLLUP (a)")?.sqlState == "42803")
        // ERROR:  42601: syntax error at or near "OVER"
        #expect(sqlError(db, "SELECT grouping(a) OVER () FROM t GROUP BY a")?.sqlState == "42601")
        // ERROR:  54011: CUBE is limited to 12 elements
        #expect(sqlError(db, "SELECT count(*) FROM t GROUP BY CUBE (a, b, c, x, y, a, b, c, x, y, a, b, c)")?.sqlState == "54011")
        // ERROR:  54001: too many grouping sets present (maximum 4096)
        #expect(sqlError(db, "SELECT count(*) FROM t GROUP BY CUBE (a, b, c, x, y, a, b, c, x, y, a, b), CUBE (a)")?.sqlState == "54001")
        // ERROR:  54023: GROUPING must have fewer than 32 arguments
        #expect(sqlError(db, "SELECT grouping(a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a) FROM t GROUP BY a")?.sqlState == "54023")
        // ERROR:  42601: syntax error at or near ")"
        #expect(sqlError(db, "SELECT count(*) FROM t GROUP BY ROLLUP (())")?.sqlState == "42601")
        for (sql, message) in [
            ("SELECT a, c, count(*) FROM t GROUP BY ROLLUP (a)", "column \"t.c\" must appear in the GROUP BY clause or be used in an aggregate function"),
            ("SELECT grouping(c) FROM t GROUP BY ROLLUP (a)", "arguments to GROUPING must be grouping expressions of the associated query level"),
            ("SELECT count(*) FROM t GROUP BY CUBE (a, b, c, x, y, a, b, c, x, y, a, b, c)", "CUBE is limited to 12 elements"),
            ("SELECT count(*) FROM t GROUP BY CUBE (a, b, c, x, y, a, b, c, x, y, a, b), CUBE (a)", "too many grouping sets present (maximum 4096)"),
        ] {
            #expect(sqlError(db, sql)?.message == message, "\(sql)")
        }
    }
}
