import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// json(b)_to_record(set) with a column definition list and json(b)_populate_record(set) over a
/// table's row type; every expected answer and SQLSTATE below was read from PostgreSQL 15.
@Suite("JSON to rows: jsonb_to_record, jsonb_populate_record")
struct JSONRecordTests {
    @Test("each member converts to its declared type as PostgreSQL's input functions read it")
    func conversions() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"SELECT * FROM jsonb_to_record('{"a":1,"b":[1,2,3],"c":"bar"}') AS x(a int, b text, d text)"#)
                == [["1", "[1, 2, 3]", "NULL"]])
        // json_ reads nested values as written; jsonb_ as jsonb prints them.
        #expect(try rows(db, #"SELECT * FROM json_to_record('{"a":1,"b":[1, 2,3],"e": {"x" : 1}}') AS x(a int, b text, e text)"#)
                == [["1", "[1, 2,3]", #"{"x" : 1}"#]])
        #expect(try rows(db, #"SELECT * FROM jsonb_to_record('{"a":1,"b":[1, 2,3],"e": {"x" : 1}}') AS x(a int, b text, e text)"#)
                == [["1", "[1, 2, 3]", #"{"x": 1}"#]])
        #expect(try rows(db, #"""
            SELECT * FROM jsonb_to_record('{"a":1.50, "b": 1e2, "c": true, "d": "12", "e": null, "f": "x"}')
              AS x(a numeric, b text, c bool, d int, e int, f json)
            """#) == [["1.50", "100", "t", "12", "NULL", #""x""#]])
        #expect(try rows(db, #"""
            SELECT * FROM json_to_record('{"a":1.50, "b": 1e2, "c": true, "d": "12", "e": null, "f": "x"}')
              AS x(a numeric, b text, c bool, d int, e int, f json)
            """#) == [["1.50", "1e2", "t", "12", "NULL", #""x""#]])
        #expect(try rows(db, #"SELECT * FROM jsonb_to_record('{"a":[1,2,3], "b": "{4,5}", "d": ["a", null]}') AS x(a int[], b int[], d text[])"#)
                == [["{1,2,3}", "{4,5}", "{a,NULL}"]])
        #expect(try rows(db, #"SELECT a, b::text, octet_length(c), d FROM jsonb_to_record('{"a":"true", "b": "2024-01-02", "c": "abc", "d": 12.345}') AS x(a bool, b date, c char(5), d numeric(5,1))"#)
                == [["t", "2024-01-02", "5", "12.3"]])
        #expect(try rows(db, #"SELECT * FROM jsonb_to_record('{"a":{"b":1}}') AS x(a jsonb, b json)"#) == [[#"{"b": 1}"#, "NULL"]])
        #expect(try rows(db, #"SELECT * FROM json_to_record('{"a":{"b" : 1}, "c": "q\"x"}') AS x(a json, c json)"#)
                == [[#"{"b" : 1}"#, #""q\"x""#]])
        // Of duplicate keys the last counts, for json as for jsonb.
        #expect(try rows(db, #"SELECT * FROM json_to_record('{"a":1,"a":2}') AS x(a int)"#) == [["2"]])
        #expect(try rows(db, #"SELECT jsonb_to_record.a, pg_typeof(a) FROM jsonb_to_record('{"a":1}') AS (a int)"#) == [["1", "integer"]])
    }

    @Test("recordsets give a row per object; NULL documents give one row of NULLs or none")
    func recordsets() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"SELECT * FROM jsonb_to_recordset('[{"a":1},{"a":2,"b":"x"},{}]') AS x(a int, b text)"#)
                == [["1", "NULL"], ["2", "x"], ["NULL", "NULL"]])
        #expect(try rows(db, "SELECT * FROM jsonb_to_recordset('[]') AS x(a int, b text)").isEmpty)
        #expect(try rows(db, "SELECT * FROM jsonb_to_record(NULL) AS x(a int)") == [["NULL"]])
        #expect(try rows(db, "SELECT * FROM jsonb_to_recordset(NULL) AS x(a int)").isEmpty)
    }

    @Test("LATERAL over a table's JSON column, the common pattern")
    func lateral() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id int PRIMARY KEY, doc jsonb);
            INSERT INTO t VALUES (1, '[{"id": 10, "name": "a"}, {"id": 11}]'), (2, '[]'), (3, '[{"name": "c", "id": "12"}]')
            """)
        #expect(try rows(db, "SELECT t.id, r.id, r.name FROM t, jsonb_to_recordset(t.doc) AS r(id int, name text) ORDER BY r.id")
                == [["1", "10", "a"], ["1", "11", "NULL"], ["3", "12", "c"]])
        #expect(try rows(db, "SELECT t.id, r.name FROM t CROSS JOIN LATERAL jsonb_to_recordset(t.doc) AS r(name text) WHERE r.name IS NOT NULL ORDER BY t.id")
                == [["1", "a"], ["3", "c"]])
    }

    @Test("populate functions take a table's row type")
    func populate() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE pr (id int PRIMARY KEY, name varchar(3), score numeric(5,2), tags text[], doc jsonb, ok boolean)")
        #expect(try rows(db, #"""
            SELECT * FROM jsonb_populate_record(null::pr, '{"id": 1, "name": "abc", "score": 2.345, "tags": ["x","y"], "doc": {"k": 1}, "ok": true, "extra": 1}')
            """#) == [["1", "abc", "2.35", "{x,y}", #"{"k": 1}"#, "t"]])
        #expect(try rows(db, "SELECT * FROM jsonb_populate_record(null::pr, null)") == [Array(repeating: "NULL", count: 6)])
        #expect(try rows(db, "SELECT * FROM jsonb_populate_recordset(null::pr, null)").isEmpty)
        #expect(try rows(db, #"SELECT id, name FROM json_populate_recordset(null::pr, '[{"id":1},{"id":2,"name":"b"}]')"#)
                == [["1", "NULL"], ["2", "b"]])
        #expect(try rows(db, #"SELECT x, y, ok FROM jsonb_populate_record(null::pr, '{"id": 4}') AS p(x, y)"#) == [["4", "NULL", "NULL"]])
        #expect(try rows(db, #"SELECT id FROM json_populate_record(null::pr, '{"id": 1}', true)"#) == [["1"]])
        // `(f(…)).*` in a select list: once per row of FROM.
        #expect(try rows(db, #"SELECT (jsonb_populate_record(null::pr, '{"id": 4, "name": "q"}')).*"#)
                == [["4", "q", "NULL", "NULL", "NULL", "NULL"]])
        #expect(try rows(db, #"""
            SELECT v.n, (jsonb_populate_record(null::pr, d)).* FROM (VALUES (1, '{"id": 4}'::jsonb), (2, '{"id": 5, "ok": false}')) v(n, d) ORDER BY v.n
            """#) == [["1", "4", "NULL", "NULL", "NULL", "NULL", "NULL"], ["2", "5", "NULL", "NULL", "NULL", "NULL", "f"]])
    }

    @Test("errors carry PostgreSQL's SQLSTATEs and messages")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE pr (id int, name varchar(3))")
        let cases: [(String, String, String)] = [
            (#"SELECT * FROM jsonb_to_record('{"a":1.5}') AS x(a int)"#, "22P02", #"invalid input syntax for type integer: "1.5""#),
            (#"SELECT * FROM jsonb_to_record('{"a":true}') AS x(a int)"#, "22P02", #"invalid input syntax for type integer: "true""#),
            (#"SELECT * FROM jsonb_to_record('{"a":99999999999}') AS x(a int)"#, "22003", #"value "99999999999" is out of range for type integer"#),
            (#"SELECT * FROM jsonb_to_record('{"a":5}') AS x(a int[])"#, "22P02", "expected JSON array"),
            (#"SELECT * FROM jsonb_to_record('{"a":"abc"}') AS x(a varchar(2))"#, "22001", "value too long for type character varying(2)"),
            ("SELECT * FROM jsonb_to_record('[1]') AS x(a int)", "22023", "cannot call populate_composite on an array"),
            ("SELECT * FROM json_to_record('1') AS x(a int)", "22023", "cannot call populate_composite on a scalar"),
            (#"SELECT * FROM jsonb_to_recordset('{"a":1}') AS x(a int)"#, "22023", "cannot call jsonb_to_recordset on a non-array"),
            (#"SELECT * FROM json_to_recordset('{"a":1}') AS x(a int)"#, "22023", "cannot call json_to_recordset on an object"),
            (#"SELECT * FROM jsonb_to_recordset('[{"a":1}, 5]') AS x(a int)"#, "22023", "argument of jsonb_to_recordset must be an array of objects"),
            (#"SELECT * FROM jsonb_to_record('{"a":"x"') AS x(a int)"#, "22P02", ""),
            (#"SELECT * FROM jsonb_to_record('{"a":1}')"#, "42601", #"a column definition list is required for functions returning "record""#),
            (#"SELECT * FROM jsonb_to_record('{"a":1}') AS x(a)"#, "42601", #"a column definition list is required for functions returning "record""#),
            ("SELECT * FROM generate_series(1,2) AS x(a int)", "42601", #"a column definition list is only allowed for functions returning "record""#),
            (#"SELECT * FROM jsonb_to_record('{"a":1}') AS x(a int, a text)"#, "42701", #"column name "a" specified more than once"#),
            (#"SELECT * FROM jsonb_to_record('{"a":1}') WITH ORDINALITY AS x(a int)"#, "42601", "WITH ORDINALITY cannot be used with a column definition list"),
            (#"SELECT * FROM jsonb_to_record('{"a":1}') AS x(a nosuchtype)"#, "42704", #"type "nosuchtype" does not exist"#),
            ("SELECT * FROM jsonb_populate_record(null::nosuch, '{}')", "42704", #"type "nosuch" does not exist"#),
            ("SELECT * FROM jsonb_populate_record(null::int, '{}')", "42804", "first argument of jsonb_populate_record must be a row type"),
            ("SELECT * FROM jsonb_populate_record(null::pr, '{}') AS p(a int)", "42601",
             "a column definition list is redundant for a function returning a named composite type"),
            ("SELECT * FROM jsonb_populate_recordset(null::pr, '[1]')", "22023", "argument of jsonb_populate_recordset must be an array of objects"),
            (#"SELECT * FROM jsonb_populate_record(null::pr, '{"name": "abcd"}')"#, "22001", "value too long for type character varying(3)"),
        ]
        for (sql, state, message) in cases {
            let error = sqlError(db, sql)
            #expect(error?.sqlState == state, "\(sql): \(String(describing: error))")
            if !message.isEmpty { #expect(error?.message == message, "\(sql)") }
        }
        #expect(sqlError(db, #"SELECT * FROM jsonb_to_record('{"a":5}') AS x(a int[])"#)?.hint == #"See the value of key "a"."#)
    }

    @Test("a column definition list parses, prints and parses back the same; a view keeps it")
    func roundTrip() throws {
        for text in [#"SELECT * FROM jsonb_to_record('{}') AS x(a integer, "B" text[])"#,
                     "SELECT * FROM jsonb_to_recordset(t.doc) AS (a numeric(5,1))",
                     "SELECT (jsonb_populate_record(NULL::t, doc)).* FROM t"] {
            let parsed = try Parser.parseStatement(text).body
            #expect(try Parser.parseStatement(parsed.sql).body == parsed, "\(text) printed as \(parsed.sql)")
        }
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE src (doc jsonb);
            INSERT INTO src VALUES ('{"a": 1, "b": "x"}');
            CREATE VIEW v AS SELECT r.* FROM src, jsonb_to_record(src.doc) AS r(a int, b text)
            """)
        #expect(try rows(db, "SELECT a, b FROM v") == [["1", "x"]])
    }
}
