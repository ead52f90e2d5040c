import Testing
@testable import VireoQuery
import VireoStorage

/// `(expression).name`, and the records information_schema._pg_expandarray gives (pgJDBC's
/// getPrimaryKeys, getIndexInfo and getBestRowIdentifier read pg_index.indkey with it). Every
/// expected answer and SQLSTATE below was read from PostgreSQL 15.
@Suite("Field selection: (record).field")
struct FieldSelectionTests {
    /// Rows as PostgreSQL prints them (a record as `(5,1)`).
    private func printed(_ db: Database, _ sql: String) throws -> [[String]] {
        let result = try db.execute(sql)
        return result.rows.map { row in zip(row, result.columns).map { $0.text(as: $1.type) ?? "NULL" } }
    }

    @Test("_pg_expandarray in FROM and in a select list, one row per element; its record prints as PostgreSQL's")
    func expandArray() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT * FROM information_schema._pg_expandarray(ARRAY[5,6])") == [["5", "1"], ["6", "2"]])
        #expect(try printed(db, "SELECT information_schema._pg_expandarray(ARRAY[5,6])") == [["(5,1)"], ["(6,2)"]])
        #expect(try printed(db, "SELECT information_schema._pg_expandarray(ARRAY['a b', NULL, ''])")
                == [[#"("a b",1)"#], ["(,2)"], [#"("",3)"#]])
        #expect(try rows(db, "SELECT (information_schema._pg_expandarray(ARRAY[5,6])).n, (information_schema._pg_expandarray(ARRAY[5,6])).x")
                == [["1", "5"], ["2", "6"]])
        // Side by side with another set-returning function: the shorter one padded with NULLs.
        #expect(try rows(db, "SELECT (information_schema._pg_expandarray(ARRAY['a b','c'])).x, generate_series(1,3)")
                == [["a b", "1"], ["c", "2"], ["NULL", "3"]])
        let result = try db.execute("SELECT (information_schema._pg_expandarray(ARRAY[5])).x AS k, pg_typeof(information_schema._pg_expandarray(ARRAY[5]))")
        #expect(result.columns.map(\.name) == ["k", "pg_typeof"])
        #expect(result.rows.map { $0.map { $0.text ?? "NULL" } } == [["5", "record"]])
    }

    @Test("a record column of a sub-select, read by field outside it (pgJDBC's getPrimaryKeys)")
    func recordColumn() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT (x.k).n FROM (SELECT information_schema._pg_expandarray(ARRAY[5,6]) AS k) x WHERE (k).x = 6")
                == [["2"]])
        #expect(try printed(db, "SELECT x.k FROM (SELECT information_schema._pg_expandarray(ARRAY[5,6]) AS k) x") == [["(5,1)"], ["(6,2)"]])
        try db.execute("CREATE TABLE tags (book_id bigint, tag text, weight real, PRIMARY KEY (book_id, tag))")
        let primaryKey = """
            SELECT result.column_name, result.key_seq FROM (SELECT a.attname AS column_name,
              (information_schema._pg_expandarray(i.indkey)).n AS key_seq, information_schema._pg_expandarray(i.indkey) AS keys,
              a.attnum AS a_attnum
              FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)
              JOIN pg_catalog.pg_index i ON (a.attrelid = i.indrelid) WHERE ct.relname = 'tags' AND i.indisprimary) result
            WHERE result.a_attnum = (result.keys).x ORDER BY result.key_seq
            """
        #expect(try rows(db, primaryKey) == [["book_id", "1"], ["tag", "2"]])
    }

    @Test("whole-row references of tables and sub-selects, and ROW(…)'s f1, f2 …")
    func wholeRowsAndRows() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, name text); INSERT INTO t VALUES (1, 'a')")
        #expect(try rows(db, "SELECT (t).name, (t).id + 1 FROM t") == [["a", "2"]])
        #expect(try rows(db, "SELECT (s).a FROM (SELECT 1 AS a) s WHERE (s).a = 1") == [["1"]])
        #expect(try rows(db, "SELECT (ROW(1, 'a')).f2, ((1, 2)).f1") == [["a", "1"]])
        #expect(try rows(db, "SELECT (NULL::t).name") == [["NULL"]])
        #expect(try db.execute("SELECT (t).name FROM t").columns.map(\.name) == ["name"])
    }

    @Test("errors as PostgreSQL's: no such field, and a value that is not a composite")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, name text)")
        // (t).z is Vireo's unknown-column error, `column "t.z" does not exist` (PostgreSQL
        // writes it without the quotes): only its SQLSTATE is checked.
        let cases: [(String, String, String?)] = [
            ("SELECT (t).z FROM t", "42703", nil),
            ("SELECT (ROW(1, 'a')).x", "42703", "could not identify column \"x\" in record data type"),
            ("SELECT (ROW(1, 'a')).f3", "42703", "could not identify column \"f3\" in record data type"),
            ("SELECT (information_schema._pg_expandarray(ARRAY[5,6])).z", "42703", "could not identify column \"z\" in record data type"),
            ("SELECT (NULL::t).z", "42703", "column \"z\" not found in data type t"),
            ("SELECT (1).x", "42809", "column notation .x applied to type integer, which is not a composite type"),
            ("SELECT (t.name).x FROM t", "42809", "column notation .x applied to type text, which is not a composite type"),
        ]
        for (sql, state, message) in cases {
            let error = sqlError(db, sql)
            #expect(error?.sqlState == state, "\(sql): \(String(describing: error))")
            if let message { #expect(error?.message == message, "\(sql)") }
        }
    }

    @Test("(expr).name round-trips through the canonical SQL")
    func canonicalSQL() throws {
        for sql in ["(t).name", "((f(x)).n)[1]", "(r.k).x + 1", "(t).\"Odd Name\""] {
            let expression = try Parser.parseExpression(sql)
            #expect(try Parser.parseExpression(expression.sql) == expression, "\(sql) printed as \(expression.sql)")
        }
        #expect(try Parser.parseExpression("(t).name") == .field(.column(ColumnReference("t")), "name"))
    }
}
