import Testing
@testable import VireoQuery
import VireoStorage

/// jsonb_path_match, jsonb_path_exists, jsonb_path_query(_array, _first) and the `@?` /
/// `@@` operators; every expected answer was read from PostgreSQL 15.
@Suite("jsonb: jsonpath")
struct JSONPathTests {
    static func match(_ db: Database, _ document: String, _ path: String, _ variables: String = "{}") throws -> String {
        try rows(db, "SELECT jsonb_path_match($1::jsonb, $2::jsonpath, $3::jsonb)", [.text(document), .text(path), .text(variables)])[0][0]
    }

    @Test("comparisons, variables, lax unwrapping and three-valued logic answer as in PostgreSQL")
    func answers() throws {
        let db = try Database.inMemory()
        let cases: [(String, String, String, String)] = [
            (#"{"a":[1,2]}"#, "$.a > 1", "{}", "t"),
            (#"{"a":"x"}"#, "$.a == 1", "{}", "NULL"),
            ("{}", "$.a == 1", "{}", "f"),
            (#"{"a":null}"#, "$.a != 1", "{}", "t"),
            (#"{"a":null}"#, "$.a == null", "{}", "t"),
            (#"{"a":[1,5]}"#, "$.a > 4", "{}", "t"),
            (#"{"a":true}"#, "$.a > false", "{}", "t"),
            (#"{"a":"x"}"#, "$.a == $value", #"{"value":"x"}"#, "t"),
            (#"{"a":"x"}"#, "!($.a == 1)", "{}", "NULL"),
            (#"{"a":"x"}"#, #"$.a == 1 || $.a == "x""#, "{}", "t"),
            (#"{"page":3,"t":["a","b"]}"#, #"$.t == "b" && $.page >= $v"#, #"{"v":2}"#, "t"),
            (#"{"a":{"b":[1,2]}}"#, "$.a.b[1] == 2", "{}", "t"),
            (#"{"a":"x"}"#, "exists($.a)", "{}", "t"),
            (#"{"a":true}"#, "$.a", "{}", "t"),
            (#"{"a":"b"}"#, #"$.a < "c""#, "{}", "t"),
            (#"{"a":1}"#, "$.a <> 2", "{}", "t"),
            (#"{"a":[{"b":1},{"b":2}]}"#, "$.a.b == 2", "{}", "t"),
            (#"{"a":1}"#, "$.* == 1", "{}", "t"),
            (#"{"a":1.50}"#, "$.a == 1.5", "{}", "t"),
        ]
        for (document, path, variables, expected) in cases {
            let got = try Self.match(db, document, path, variables)
            #expect(got == expected, "\(document) \(path) \(variables): expected \(expected), got \(got)")
        }
        #expect(try rows(db, "SELECT jsonb_path_exists('{}', '$.a == 1'), jsonb_path_exists('{\"a\": 1}', '$.b')") == [["t", "f"]])
        #expect(try rows(db, "SELECT jsonb_exists('{\"a\": 1}', 'a'), jsonb_exists('{\"a\": 1}', 'b')") == [["t", "f"]])
    }

    @Test("errors carry PostgreSQL's messages; silent turns evaluation errors into NULL")
    func errors() throws {
        let db = try Database.inMemory()
        #expect(sqlError(db, #"SELECT jsonb_path_match('{"a":1}', '$.a')"#)?.message == "single boolean result is expected")
        #expect(sqlError(db, "SELECT jsonb_path_match('{}', '$.a == $x')")?.sqlState == "42704")
        #expect(sqlError(db, "SELECT jsonb_path_match('{}', '$.a == $x', '[]')")?.sqlState == "22023")
        #expect(sqlError(db, "SELECT jsonb_path_match('{}', '$.a ==')")?.sqlState == "42601")
        #expect(sqlError(db, "SELECT jsonb_path_match('{}', '$.a.datetime()')")?.sqlState == "0A000")
        #expect(sqlError(db, "SELECT jsonb_path_match('{}', '$.a ? (@ > 1)')")?.sqlState == "22038")
        #expect(try rows(db, #"SELECT jsonb_path_match('{"a":1}', '$.a', '{}', true)"#) == [["NULL"]])
    }

    @Test("paths with filters, arithmetic, subscripts, item methods and strict mode yield PostgreSQL's items")
    func queries() throws {
        let db = try Database.inMemory()
        let cases: [(String, String, String)] = [
            (#"{"a":[1,2,3]}"#, #"$.a[*] ? (@ > 1)"#, #"[2, 3]"#),
            (#"{"a":[1,2,3]}"#, #"$.a[last]"#, #"[3]"#),
            (#"{"a":[1,2,3,4,5]}"#, #"$.a[1 to last, 0]"#, #"[2, 3, 4, 5, 1]"#),
            (#"{"a":{"b":1}}"#, #"lax $.a.c"#, #"[]"#),
            (#"[1, "a", null, true, {"x":1}, [1]]"#, #"$[*].type()"#, #"["number", "string", "null", "boolean", "object", "array"]"#),
            (#"{"x": "20", "y": 32}"#, #"$.keyvalue()"#, #"[{"id": 0, "key": "x", "value": "20"}, {"id": 0, "key": "y", "value": 32}]"#),
            (#"{"a":[-1.5, 2.2]}"#, #"$.a.abs()"#, #"[1.5, 2.2]"#),
            (#"{"a":[-1.5, 2.2]}"#, #"$.a.floor()"#, #"[-2, 2]"#),
            (#"{"a":[-1.5, 2.2]}"#, #"$.a.ceiling()"#, #"[-1, 3]"#),
            (#""1.23""#, #"$.double()"#, #"[1.23]"#),
            (#"{"a":[1,2]}"#, #"$.a.size()"#, #"[2]"#),
            (#"["abc", "abd", "bcd"]"#, #"$[*] ? (@ like_regex "^ab")"#, #"["abc", "abd"]"#),
            (#"["abc", "abd", "bcd"]"#, #"$[*] ? (@ starts with "b")"#, #"["bcd"]"#),
            (#"{"a":{"b":{"c":1}}}"#, #"$.**"#, #"[{"a": {"b": {"c": 1}}}, {"b": {"c": 1}}, {"c": 1}, 1]"#),
            (#"{"a":{"b":{"c":1}}}"#, #"$.**{2}"#, #"[{"c": 1}]"#),
            (#"{"a":{"b":{"c":1}}}"#, #"$.**{1 to last}"#, #"[{"b": {"c": 1}}, {"c": 1}, 1]"#),
            (#"[1, "x", 3]"#, #"$[*] ? ((@ > 1) is unknown)"#, #"["x"]"#),
            (#"{"a": 1}"#, #"$.a + 3"#, #"[4]"#),
            (#"{"a": 7}"#, #"- $.a"#, #"[-7]"#),
            (#"{"a": 7}"#, #"$.a % 4"#, #"[3]"#),
            (#"{"a":[{"b":1},{"b":5}]}"#, #"$.a[*] ? (@.b > 2).b"#, #"[5]"#),
            (#"{"a":[{"b":1},{"b":5}]}"#, #"$.a ? (exists (@.b ? (@ == 5)))"#, #"[{"b": 5}]"#),
            (#"{"a":[{"b":1},{"b":2}]}"#, #"$.a.b"#, #"[1, 2]"#),
            (#"{"a":1}"#, #"$.a[0 to 3]"#, #"[1]"#),
            (#"[{"a":"x"},{"a":null},{"b":1}]"#, #"$[*] ? (@.a == "x")"#, #"[{"a": "x"}]"#),
            (#"[{"a":"x"},{"a":null},{"b":1}]"#, #"$[*] ? (@.a != null)"#, #"[{"a": "x"}]"#),
            (#"[1,2,3]"#, #"$[*] ? (@ > 1 && @ < 3)"#, #"[2]"#),
            (#"[1,2,3]"#, #"$[*] ? (!(@ == 2))"#, #"[1, 3]"#),
            (#"[1,2,3]"#, #"$ ? (@[*] > 2)"#, #"[3]"#),
            (#"[1,2,3]"#, #"strict $ ? (@[*] > 2)"#, #"[[1, 2, 3]]"#),
            (#"[1,"a",3]"#, #"strict $[*] ? (@ > 2)"#, #"[3]"#),
            (#"{"a":{"b":1}}"#, #"$.a.keyvalue().key"#, #"["b"]"#),
            (#"7"#, #"$ / 2"#, #"[3.5000000000000000]"#),
            (#"[1,2]"#, #"-$[*]"#, #"[-1, -2]"#),
            (#""ABc""#, #"$ ? (@ like_regex "^ab" flag "i")"#, #"["ABc"]"#),
            (#"[[1,2],[3]]"#, #"$[*].size()"#, #"[2, 1]"#),
            (#"{"a":[1,2,3]}"#, #"lax $.a[10]"#, #"[]"#),
            (#"{"a":1e2}"#, #"$.a"#, #"[100]"#),
            (#"1"#, #"1.5e1 + $"#, #"[16]"#),
            (#"{"a b":1}"#, #"$."a b""#, #"[1]"#),
            (#"{"a":[1,2,3]}"#, #"$.a[*] > 1"#, #"[true]"#),
        ]
        for (document, path, expected) in cases {
            let got = try rows(db, "SELECT jsonb_path_query_array($1::jsonb, $2::jsonpath)", [.text(document), .text(path)])[0][0]
            #expect(got == expected, "\(document) \(path): expected \(expected), got \(got)")
        }
    }

    @Test("jsonb_path_query as a table and in the select list, _first, and the @? and @@ operators")
    func functionsAndOperators() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"SELECT * FROM jsonb_path_query('{"a":[1,2,3]}', '$.a[*] ? (@ >= $min)', '{"min": 2}')"#) == [["2"], ["3"]])
        #expect(try rows(db, #"SELECT jsonb_path_query('[{"b":1},{"b":2}]', '$[*].b') AS b ORDER BY 1 DESC"#) == [["2"], ["1"]])
        #expect(try rows(db, #"SELECT jsonb_path_query_first('[4,5]', '$[*]'), jsonb_path_query_first('[]', '$[*]')"#) == [["4", "NULL"]])
        #expect(try rows(db, #"SELECT '{"a":[1,2,3]}'::jsonb @? '$.a[*] ? (@ > 2)', '{"a":[1]}'::jsonb @? '$.a[*] ? (@ > 2)'"#) == [["t", "f"]])
        #expect(try rows(db, #"SELECT '{"a":[1,2,3]}'::jsonb @@ '$.a[*] > 2', '{"a":1}'::jsonb @@ '$.a'"#) == [["t", "NULL"]])
        // The operators and silent turn evaluation errors into NULL, as PostgreSQL's do.
        #expect(try rows(db, #"SELECT '{"a":1}'::jsonb @? 'strict $.b', jsonb_path_query_array('{"a":1}', 'strict $.b', '{}', true)"#) == [["NULL", "[]"]])
        // silent keeps the items found before the error; strict exists evaluates it all.
        #expect(try rows(db, #"SELECT jsonb_path_query_array('[1,"a",2]', '$[*].abs()', '{}', true), jsonb_path_query_first('[1,"a",2]', '$[*].abs()', '{}', true)"#)
                == [["[1]", "1"]])
        #expect(try rows(db, #"SELECT jsonb_path_exists('[1,"a",2]', 'strict $[*].abs()', '{}', true), jsonb_path_exists('[1,"a",2]', 'lax $[*].abs()', '{}', true)"#)
                == [["NULL", "t"]])
        #expect(try rows(db, #"SELECT count(*) FROM jsonb_path_query('{"a":1}', 'strict $.b', '{}', true)"#) == [["0"]])
        try db.execute("CREATE TABLE docs (id int PRIMARY KEY, body jsonb)")
        try db.execute(#"INSERT INTO docs VALUES (1, '{"tags":["x","y"]}'), (2, '{"tags":["z"]}'), (3, '{}')"#)
        #expect(try rows(db, #"SELECT id FROM docs WHERE body @? '$.tags[*] ? (@ == "y")' ORDER BY id"#) == [["1"]])
        #expect(try rows(db, #"SELECT id FROM docs WHERE body @@ '$.tags.size() == 1' ORDER BY id"#) == [["2"]])
    }

    @Test("strict mode, arithmetic and item methods fail with PostgreSQL's SQLSTATEs")
    func strictErrors() throws {
        let db = try Database.inMemory()
        let cases: [(String, String)] = [
            (#"SELECT jsonb_path_query('{"a":1}', 'strict $.b')"#, "2203A"),
            (#"SELECT jsonb_path_query('1', 'strict $.b')"#, "2203A"),
            (#"SELECT jsonb_path_query('{"a":1}', 'strict $.a[*]')"#, "22039"),
            (#"SELECT jsonb_path_query('[1]', 'strict $[3]')"#, "22033"),
            (#"SELECT jsonb_path_query('{"a":1}', 'strict $.a.size()')"#, "22039"),
            (#"SELECT jsonb_path_query('[1,2]', '$[*] * 2')"#, "22038"),
            (#"SELECT jsonb_path_query('"x"', '-$')"#, "2203B"),
            (#"SELECT jsonb_path_query('"x"', '$.abs()')"#, "22036"),
            (#"SELECT jsonb_path_query('"abc"', '$.double()')"#, "22036"),
            (#"SELECT jsonb_path_query('1', '$.keyvalue()')"#, "2203C"),
            (#"SELECT jsonb_path_query('1', '$ / 0')"#, "22012"),
            (#"SELECT jsonb_path_query('1', '@')"#, "42601"),
            (#"SELECT jsonb_path_query('[1]', '$[last] + last')"#, "42601"),
            (#"SELECT jsonb_path_query('[1]', '$ ? (@ like_regex "a" flag "z")')"#, "42601"),
            (#"SELECT jsonb_path_query('[1]', '$.nosuch()')"#, "42601"),
        ]
        for (sql, state) in cases {
            #expect(sqlError(db, sql)?.sqlState == state, "\(sql): expected \(state), got \(String(describing: sqlError(db, sql)))")
        }
    }

    @Test("the jsonpath functions take target, path, vars and silent by name; 42883 for a name they lack or a missing path")
    func namedArguments() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"""
            SELECT jsonb_path_exists('{"a":1}', '$.b', silent => true), jsonb_path_exists(target => '{"a":1}', path => '$.a'),
                   jsonb_path_match('{"a":1}', '$.a == $x', vars => '{"x":1}'),
                   jsonb_path_query_array(silent => true, path => '$.a[*]', target => '{"a":[1,2]}'),
                   jsonb_path_query_first('{"a":[1,2]}', 'strict $.b', silent => true)
            """#) == [["f", "t", "t", "[1, 2]", "NULL"]])
        #expect(try rows(db, #"SELECT * FROM jsonb_path_query('{"a":[1,2,3]}', '$.a[*] ? (@ > $m)', vars => '{"m":1}')"#) == [["2"], ["3"]])
        #expect(try rows(db, #"SELECT jsonb_path_query('{"a":[1,2]}', '$.a[*]', silent => true)"#) == [["1"], ["2"]])
        #expect(sqlError(db, #"SELECT jsonb_path_exists('{"a":1}', 'strict $.b', silent => false)"#)?.sqlState == "2203A")
        let failures: [(String, String)] = [
            ("SELECT jsonb_path_exists(path => '$.a', silent => true)", "function jsonb_path_exists(path => unknown, silent => boolean) does not exist"),
            (#"SELECT jsonb_path_exists('{"a":1}', target => '{}', path => '$.a')"#,
             "function jsonb_path_exists(unknown, target => unknown, path => unknown) does not exist"),
            (#"SELECT jsonb_path_exists('{"a":1}', '$.a', nope => true)"#, "function jsonb_path_exists(unknown, unknown, nope => boolean) does not exist"),
            ("SELECT abs(x => 1)", "function abs(x => integer) does not exist"),
        ]
        for (sql, message) in failures {
            let error = sqlError(db, sql)
            #expect(error?.sqlState == "42883" && error?.message == message, "\(sql): expected \(message), got \(String(describing: error))")
        }
        #expect(sqlError(db, #"SELECT jsonb_path_exists('{}', '$', silent => true, silent => false)"#)?.message == #"argument name "silent" used more than once"#)
    }
}
