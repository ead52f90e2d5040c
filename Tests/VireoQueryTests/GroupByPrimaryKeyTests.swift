import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// PostgreSQL's functional dependency in GROUP BY: grouped by a table's whole primary key,
/// its other columns (and `*`) may be selected as they are. Expected rows from PostgreSQL 15.
@Suite("GROUP BY a primary key: the table's other columns")
struct GroupByPrimaryKeyTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE a (id int PRIMARY KEY, name text, score int)")
        try db.execute("CREATE TABLE b (id int PRIMARY KEY, a_id int, v int)")
        try db.execute("CREATE TABLE nopk (id int, name text)")
        try db.execute("CREATE TABLE two (x int, y int, label text, PRIMARY KEY (x, y))")
        try db.execute("INSERT INTO a VALUES (1, 'x', 10), (2, 'y', NULL), (3, 'z', 5)")
        try db.execute("INSERT INTO b VALUES (1, 1, 4), (2, 1, 6), (3, 2, 1)")
        try db.execute("INSERT INTO two VALUES (1, 1, 'p'), (1, 2, 'q')")
        return db
    }

    @Test("columns, expressions, HAVING, ORDER BY and * of a table grouped by its key")
    func dependentColumns() throws {
        let db = try database()
        #expect(try rows(db, "SELECT a.name, a.score, count(b.id) AS n FROM a LEFT JOIN b ON b.a_id = a.id GROUP BY a.id ORDER BY a.name")
            == [["x", "10", "2"], ["y", "NULL", "1"], ["z", "5", "0"]])
        #expect(try rows(db, "SELECT name, score + 1, sum(v) FROM a JOIN b ON b.a_id = a.id GROUP BY a.id ORDER BY 1")
            == [["x", "11", "10"], ["y", "NULL", "1"]])
        #expect(try rows(db, "SELECT a.*, count(*) FROM a JOIN b ON b.a_id = a.id GROUP BY a.id ORDER BY a.id")
            == [["1", "x", "10", "2"], ["2", "y", "NULL", "1"]])
        #expect(try rows(db, "SELECT * FROM a GROUP BY id ORDER BY score DESC NULLS LAST") == [["1", "x", "10"], ["3", "z", "5"], ["2", "y", "NULL"]])
        #expect(try rows(db, "SELECT a.name, count(*) FROM a GROUP BY a.id HAVING a.score > 4 ORDER BY 1") == [["x", "1"], ["z", "1"]])
        #expect(try rows(db, "SELECT label, count(*) FROM two GROUP BY y, x ORDER BY 1") == [["p", "1"], ["q", "1"]])
    }

    @Test("without the whole key it is still 42803, naming the column by its table")
    func notDetermined() throws {
        let db = try database()
        for (sql, column) in [("SELECT a.name FROM a JOIN b ON b.a_id = a.id GROUP BY b.id", "a.name"),
                              ("SELECT name, count(*) FROM nopk GROUP BY id", "nopk.name"),
                              ("SELECT x.name, count(*) FROM (SELECT * FROM a) x GROUP BY x.id", "x.name"),
                              ("SELECT label FROM two GROUP BY x", "two.label"),
                              ("SELECT * FROM b GROUP BY a_id", "b.id")] {
            let error = sqlError(db, sql)
            #expect(error?.sqlState == "42803", "\(sql)")
            #expect(error?.message == "column \"\(column)\" must appear in the GROUP BY clause or be used in an aggregate function", "\(sql)")
        }
    }
}
