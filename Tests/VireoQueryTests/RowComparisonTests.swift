import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Row constructors compared row-wise, as PostgreSQL 15 evaluates them (every expected answer
/// below was read from PostgreSQL 15).
@Suite("Row constructors and row comparisons")
struct RowComparisonTests {
    /// An expression and PostgreSQL 15's answer for it, NULL included.
    static let truthTable: [(expression: String, answer: String)] = [
        ("(1, 2) = (1, 2)", "t"),
        ("(1, NULL) = (1, 2)", "NULL"),
        ("(1, NULL) = (2, 2)", "f"),
        ("(1, NULL) <> (2, 2)", "t"),
        ("(1, NULL) <> (1, 2)", "NULL"),
        ("(1, 2) < (1, 3)", "t"),
        ("(1, NULL) < (2, 1)", "t"),
        ("(1, NULL) < (1, 2)", "NULL"),
        ("(NULL, 1) < (2, 0)", "NULL"),
        ("(1, 2) <= (1, 2)", "t"),
        ("(1, 2) >= (1, NULL)", "NULL"),
        ("(2, NULL) > (1, 5)", "t"),
        ("(1, 2, 3) > (1, 2, 2)", "t"),
        ("(1, 2, NULL) > (1, 3, 0)", "f"),
        ("ROW(1) = ROW(1)", "t"),
        ("ROW(NULL) = ROW(1)", "NULL"),
        ("(1, 'b') > (1, 'a')", "t"),
        ("((1, 2), 3) = ((1, 2), 3)", "t"),
        ("(1, NULL) IS DISTINCT FROM (1, NULL)", "f"),
        ("(1, NULL) IS NOT DISTINCT FROM (1, NULL)", "t"),
        ("(1, 2) IS DISTINCT FROM (1, 3)", "t"),
        ("(NULL, NULL) IS NULL", "t"),
        ("(1, NULL) IS NULL", "f"),
        ("(1, NULL) IS NOT NULL", "f"),
        ("(1, 2) IS NOT NULL", "t"),
        ("(1, 2) IN ((1, 2), (3, 4))", "t"),
        ("(1, NULL) IN ((1, 2), (3, 4))", "NULL"),
        ("(1, NULL) IN ((2, 2))", "f"),
        ("(1, 2) NOT IN ((1, NULL))", "NULL"),
        ("(1, 2) NOT IN ((2, NULL))", "t"),
        ("(1, 2) NOT IN ((1, 2))", "f"),
        ("(1, 2) IN (SELECT 1, 2)", "t"),
        ("(1, 2) IN (SELECT 1, NULL::int)", "NULL"),
        ("(1, 2) NOT IN (SELECT 1, NULL::int)", "NULL"),
        ("(1, 2) NOT IN (SELECT 3, NULL::int)", "t"),
        ("(1, 2) IN (SELECT 1, 2 WHERE false)", "f"),
        ("(NULL::int, NULL::int) NOT IN (SELECT 1, 2 WHERE false)", "t"),
        ("(1, 2) = ANY (SELECT 1, 2)", "t"),
        ("(1, 2) <> ALL (SELECT 1, 2)", "f"),
    ]

    @Test("each comparison gives PostgreSQL's answer, NULLs included")
    func answers() throws {
        let db = try Database.inMemory()
        for (expression, answer) in Self.truthTable {
            #expect(try rows(db, "SELECT " + expression) == [[answer]], "\(expression)")
        }
    }

    static func keyset() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE events (id int PRIMARY KEY, created int, name text);
            CREATE INDEX events_created ON events (created);
            INSERT INTO events SELECT g, g / 4, 'e' || g FROM generate_series(1, 200) g
            """)
        return db
    }

    @Test("keyset pagination with parameters walks every row once, in order")
    func keysetPages() throws {
        let db = try Self.keyset()
        var seen: [String] = []
        var after: [Value] = [.int(-1), .int(-1)]
        for _ in 0..<100 {
            let page = try db.execute("""
                SELECT created, id FROM events WHERE (created, id) > ($1, $2) ORDER BY created, id LIMIT 7
                """, after).rows
            guard let last = page.last else { break }
            seen += page.map { $0[1].text ?? "NULL" }
            after = [last[0], last[1]]
        }
        let all = try rows(db, "SELECT id FROM events ORDER BY created, id").map { $0[0] }
        #expect(seen == all)
    }

    @Test("a comparison on an indexed first column reads the index as a range")
    func indexRange() throws {
        let db = try Self.keyset()
        let sql = "SELECT id FROM events WHERE (created, id) >= (40, 163) ORDER BY id"
        let plan = try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
        #expect(plan.contains("events_created"), "\(plan)")
        #expect(try rows(db, sql) == rows(db, "SELECT id FROM events WHERE created > 40 OR (created = 40 AND id >= 163) ORDER BY id"))
        #expect(try rows(db, sql).map { $0[0] } == ["163", "164", "165", "166", "167"] + (168...200).map(String.init))
    }

    @Test("IN over rows of a table, a list and a subquery")
    func inRows() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id int, name text);
            INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL);
            CREATE TABLE pick (k int, v text);
            INSERT INTO pick VALUES (1, 'a'), (3, 'c'), (2, NULL)
            """)
        #expect(try rows(db, "SELECT id FROM t WHERE (id, name) IN ((1, 'a'), (2, 'x')) ORDER BY id") == [["1"]])
        #expect(try rows(db, "SELECT id FROM t WHERE (id, name) NOT IN ((1, 'a'), (2, 'x')) ORDER BY id") == [["2"], ["3"]])
        #expect(try rows(db, "SELECT id FROM t WHERE (id, name) IN (SELECT k, v FROM pick) ORDER BY id") == [["1"]])
        #expect(try rows(db, "SELECT id, (id, name) NOT IN (SELECT k, v FROM pick) FROM t ORDER BY id")
                == [["1", "f"], ["2", "NULL"], ["3", "NULL"]])
        #expect(try rows(db, "SELECT id FROM t WHERE (id, name) = ANY (SELECT k, v FROM pick)") == [["1"]])
        // Correlated: the subquery reads the outer row.
        #expect(try rows(db, "SELECT id FROM t WHERE (id, name) IN (SELECT k, v FROM pick WHERE k = t.id) ORDER BY id") == [["1"]])
        #expect(try rows(db, "SELECT id FROM t WHERE (id, name) IN (SELECT k, v FROM pick WHERE v = $1)", [.text("a")]) == [["1"]])
    }

    @Test("a row compared with a subquery's one row, or with ANY or ALL of its rows")
    func rowSubqueries() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE rs (k int, v text); INSERT INTO rs VALUES (1, 'a'), (2, 'b'), (3, NULL)")
        let answers: [(String, String)] = [
            ("(1, 'a') = (SELECT k, v FROM rs WHERE k = 1)", "t"),
            ("(1, 'a') = (SELECT k, v FROM rs WHERE k = 9)", "NULL"),
            ("(1, 'a') < (SELECT k, v FROM rs WHERE k = 2)", "t"),
            ("(3, 'a') <> (SELECT k, v FROM rs WHERE k = 3)", "NULL"),
            ("(2, 'a') <> (SELECT k, v FROM rs WHERE k = 3)", "t"),
            ("(2, 'a') < ANY (SELECT k, v FROM rs)", "t"),
            ("(3, 'a') < ANY (SELECT k, v FROM rs)", "NULL"),
            ("(3, 'z') < ANY (SELECT k, v FROM rs)", "NULL"),
            ("(4, 'a') < ANY (SELECT k, v FROM rs)", "f"),
            ("(0, 'a') < ALL (SELECT k, v FROM rs)", "t"),
            ("(1, 'a') < ALL (SELECT k, v FROM rs)", "f"),
            ("(3, 'a') <= ALL (SELECT k, v FROM rs WHERE k = 3)", "NULL"),
            ("(1, 'a') = ALL (SELECT k, v FROM rs WHERE k = 1)", "t"),
            ("(1, 'a') <> ANY (SELECT k, v FROM rs)", "t"),
            ("(9, 'a') < ALL (SELECT k, v FROM rs WHERE false)", "t"),
            ("(9, 'a') < ANY (SELECT k, v FROM rs WHERE false)", "f"),
        ]
        for (expression, answer) in answers {
            #expect(try rows(db, "SELECT " + expression) == [[answer]], "\(expression)")
        }
        #expect(try rows(db, "SELECT k FROM rs r WHERE (k, v) = (SELECT k, v FROM rs WHERE k = r.k) ORDER BY k") == [["1"], ["2"]])
        #expect(try rows(db, "SELECT k FROM rs r WHERE (k, 'b') <= ANY (SELECT k, v FROM rs) ORDER BY k") == [["1"], ["2"]])
        let errors: [(String, String)] = [
            ("SELECT (1, 'a') = (SELECT k, v FROM rs)", "21000"),
            ("SELECT (1, 'a') = (SELECT k FROM rs WHERE k = 1)", "42601"),
            ("SELECT (1, 'a', 2) = (SELECT k, v FROM rs WHERE k = 1)", "42601"),
            ("SELECT (1, 'a') = (SELECT 1, 2)", "22P02"),
        ]
        for (sql, state) in errors { #expect(sqlError(db, sql)?.sqlState == state, "\(sql)") }
        #expect(sqlError(db, "SELECT (1, 'a') = (SELECT k, v FROM rs)")?.message == "more than one row returned by a subquery used as an expression")
    }

    @Test("a table's whole row that an outer join added is NULL, not an object of NULLs")
    func nullExtendedWholeRow() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id int PRIMARY KEY, x int);
            CREATE TABLE b (id int PRIMARY KEY, aid int, y text);
            CREATE TABLE n (v int);
            INSERT INTO a VALUES (1, 10), (2, 20);
            INSERT INTO b VALUES (1, 1, 'p');
            INSERT INTO n VALUES (NULL)
            """)
        #expect(try rows(db, "SELECT a.id, row_to_json(b), to_jsonb(b), to_json(b), row_to_json(b) IS NULL FROM a LEFT JOIN b ON b.aid = a.id ORDER BY a.id") == [
            ["1", #"{"id":1,"aid":1,"y":"p"}"#, #"{"y": "p", "id": 1, "aid": 1}"#, #"{"id":1,"aid":1,"y":"p"}"#, "f"],
            ["2", "NULL", "NULL", "NULL", "t"],
        ])
        // A stored row whose columns are all NULL is still an object.
        #expect(try rows(db, "SELECT row_to_json(n), to_jsonb(n) FROM n") == [[#"{"v":null}"#, #"{"v": null}"#]])
    }

    @Test("errors carry PostgreSQL's SQLSTATEs")
    func errors() throws {
        let db = try Database.inMemory()
        let cases: [(String, String)] = [
            ("SELECT (1, 2) = (1, 2, 3)", "42601"),
            ("SELECT (1, 2) IN ((1, 2, 3))", "42601"),
            ("SELECT (1, 2) IN (SELECT 1)", "42601"),
            ("SELECT (1, 2) IN (SELECT 1, 2, 3)", "42601"),
            ("SELECT ROW() = ROW()", "0A000"),
            ("SELECT (1, 2) IN (1, 2)", "42883"),
            ("SELECT (1, 2) + (1, 2)", "42883"),
            ("SELECT (1, 'a'::text) = (1, true)", "42883"),
            ("SELECT (1, 2) AND true", "42804"),
        ]
        for (sql, state) in cases { #expect(sqlError(db, sql)?.sqlState == state, "\(sql)") }
        #expect(sqlError(db, "SELECT (1, 2) = (1, 2, 3)")?.message == "unequal number of entries in row expressions")
    }

    @Test("a row constructor parses, prints as ROW(…) and parses back the same")
    func roundTrip() throws {
        for text in ["(a, b) > ($1, $2)", "ROW(a) = ROW(1)", "(a, b) IN ((1, 2), (3, 4))", "ROW() IS NULL"] {
            let parsed = try Parser.parseExpression(text)
            #expect(try Parser.parseExpression(parsed.sql) == parsed, "\(text) printed as \(parsed.sql)")
        }
        #expect(try Parser.parseExpression("(a, b)") == .row([.column(ColumnReference("a")), .column(ColumnReference("b"))]))
    }

    @Test("a view with a row comparison keeps it")
    func view() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (a int, b int);
            INSERT INTO t VALUES (1, 1), (1, 2), (2, 0);
            CREATE VIEW v AS SELECT a, b FROM t WHERE (a, b) > (1, 1)
            """)
        #expect(try rows(db, "SELECT a, b FROM v ORDER BY a, b") == [["1", "2"], ["2", "0"]])
    }

    @Test("row_to_json, to_json and to_jsonb of a FROM entry's whole row")
    func wholeRowJSON() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE wr (id int, name text, score numeric, ok boolean, doc jsonb, tags text[]);
            INSERT INTO wr VALUES (1, 'a"b', 2.50, true, '{"k": [1, 2]}', '{x,y}'), (2, NULL, NULL, NULL, NULL, NULL)
            """)
        #expect(try rows(db, "SELECT row_to_json(w), to_jsonb(w), to_json(w) FROM wr w ORDER BY id") == [
            [#"{"id":1,"name":"a\"b","score":2.50,"ok":true,"doc":{"k": [1, 2]},"tags":["x","y"]}"#,
             #"{"id": 1, "ok": true, "doc": {"k": [1, 2]}, "name": "a\"b", "tags": ["x", "y"], "score": 2.50}"#,
             #"{"id":1,"name":"a\"b","score":2.50,"ok":true,"doc":{"k": [1, 2]},"tags":["x","y"]}"#],
            [#"{"id":2,"name":null,"score":null,"ok":null,"doc":null,"tags":null}"#,
             #"{"id": 2, "ok": null, "doc": null, "name": null, "tags": null, "score": null}"#,
             #"{"id":2,"name":null,"score":null,"ok":null,"doc":null,"tags":null}"#],
        ])
        #expect(try rows(db, "SELECT row_to_json(t) FROM (SELECT id, name FROM wr) t ORDER BY id")
                == [[#"{"id":1,"name":"a\"b"}"#], [#"{"id":2,"name":null}"#]])
        #expect(try rows(db, "SELECT to_jsonb(wr) ->> 'name' FROM wr WHERE id = 1") == [[#"a"b"#]])
    }
}
