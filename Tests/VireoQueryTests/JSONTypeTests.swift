import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// PostgreSQL's `json` beside jsonb, and the json constructors' text; every expected answer
/// is PostgreSQL 15's.
@Suite("json type")
struct JSONTypeTests {
    private static let setup = """
        CREATE TABLE jt (id int, j json, b jsonb);
        INSERT INTO jt VALUES (1, '{"b":1,  "a":2, "b": [1, 2 ]}', '{"b":1,  "a":2}')
        """

    @Test("a json column keeps its text; its type is json, jsonb's stays jsonb")
    func columnKeepsText() throws {
        let db = try Database.inMemory()
        try db.execute(Self.setup)
        #expect(try rows(db, "SELECT j, b, pg_typeof(j), pg_typeof(b), j -> 'b', j ->> 'a', j::jsonb, b::json FROM jt") ==
                [[#"{"b":1,  "a":2, "b": [1, 2 ]}"#, #"{"a": 2, "b": 1}"#, "json", "jsonb", "[1, 2 ]", "2",
                  #"{"a": 2, "b": [1, 2]}"#, #"{"a": 2, "b": 1}"#]])
        #expect(try rows(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'jt'::regclass AND attname IN ('j', 'b') ORDER BY attname") ==
                [["jsonb"], ["json"]])
        #expect(try rows(db, "SELECT data_type FROM information_schema.columns WHERE table_name = 'jt' ORDER BY ordinal_position") ==
                [["integer"], ["json"], ["jsonb"]])
        #expect(try rows(db, "SELECT key, value FROM jt, json_each(j)") == [["b", "1"], ["a", "2"], ["b", "[1, 2 ]"]])
    }

    @Test("json is checked on input (22P02), has no = (42883) and casts to no number (42846)")
    func refusals() throws {
        let db = try Database.inMemory()
        try db.execute(Self.setup)
        #expect(sqlError(db, #"INSERT INTO jt (j) VALUES ('{"a":1')"#)?.sqlState == "22P02")
        #expect(sqlError(db, #"SELECT '{}'::json = '{}'::json"#)?.sqlState == "42883")
        #expect(sqlError(db, "SELECT j FROM jt WHERE j = '{}'")?.sqlState == "42883")
        #expect(sqlError(db, "SELECT '1'::json::int")?.sqlState == "42846")
        #expect(sqlError(db, #"SELECT '{"a":1}'::json @> '{}'"#)?.sqlState == "42883")
    }

    @Test("json's operators and functions read members as written")
    func writtenMembers() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"""
            SELECT '{"a":1,"a":2}'::json->'a', '[1, {"x" : [ 2 ]}]'::json #> '{1,x}', '[1, {"x" : [ 2 ]}]'::json #>> '{1,x,0}',
                   '[1,2]'::json -> -1, '{"a":null}'::json ->> 'a', '{"a":null}'::json -> 'a', '{"a": 1.50}'::json->>'a',
                   '{"a": "\u00e9"}'::json->'a', pg_typeof('{}'::json -> 'a')
            """#) == [["2", "[ 2 ]", "2", "2", "NULL", "null", "1.50", #""\u00e9""#, "json"]])
        #expect(try rows(db, #"""
            SELECT json_extract_path_text('{"a": {"b": [10, "x\"y"]}}', 'a', 'b', '1'), json_extract_path('{"a": {"b": [10, 20 ]}}', 'a', 'b'),
                   json_typeof('[1]'::json), json_array_length('[1, 2,3]'::json), json_strip_nulls('[{"a":null, "b" : [null]}]')
            """#) == [[#"x"y"#, "[10, 20 ]", "array", "3", #"[{"b":[null]}]"#]])
        #expect(try rows(db, #"SELECT * FROM json_array_elements_text('[1, "x", {"a" : 1}, null]')"#) ==
                [["1"], ["x"], [#"{"a" : 1}"#], ["NULL"]])
        #expect(try rows(db, #"SELECT * FROM json_object_keys('{"b":1, "a": 2, "b": 3}')"#) == [["b"], ["a"], ["b"]])
        #expect(sqlError(db, "SELECT * FROM json_each('[1]')")?.message == "cannot deconstruct an array as an object")
    }

    @Test("the json constructors print PostgreSQL's text")
    func constructors() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT json_build_object('a', 1, 'b', array[1,2], 'c', json_build_object('d', 'x')),
                   json_build_array(1, 'a', null, array[1,2]), json_object('{a,b,c,d}'), json_object('{a,b}', '{1,NULL}'),
                   json_build_object(1, 2, 2.5, true), json_build_array(), json_build_object()
            """) == [[#"{"a" : 1, "b" : [1,2], "c" : {"d" : "x"}}"#, #"[1, "a", null, [1,2]]"#, #"{"a" : "b", "c" : "d"}"#,
                      #"{"a" : "1", "b" : null}"#, #"{"1" : 2, "2.5" : true}"#, "[]", "{}"]])
        #expect(try rows(db, "SELECT json_object_agg(k, v) FROM (VALUES ('a', 1), ('b', 2)) t(k, v)") == [[#"{ "a" : 1, "b" : 2 }"#]])
        #expect(try rows(db, "SELECT json_agg(t) FROM (VALUES (1, 'a'), (2, 'b')) t(x, y)") == [["[{\"x\":1,\"y\":\"a\"}, \n {\"x\":2,\"y\":\"b\"}]"]])
        #expect(try rows(db, "SELECT json_agg(x) FROM (VALUES (NULL::int[]), (array[1]), (array[2])) t(x)") == [["[null, \n [1], \n [2]]"]])
        #expect(try rows(db, "SELECT json_agg(x ORDER BY x DESC) FROM (VALUES (1), (2), (NULL)) t(x)") == [["[null, 2, 1]"]])
        #expect(try rows(db, "SELECT array_to_json(array[1,2], true), array_to_json(array['a','b']), row_to_json(t, true) FROM (VALUES (1, 'x')) t(a, b)") ==
                [["[1,\n 2]", #"["a","b"]"#, "{\"a\":1,\n \"b\":\"x\"}"]])
        #expect(try rows(db, "SELECT pg_typeof(json_build_object()), pg_typeof(json_agg(1)), pg_typeof(jsonb_agg(1)), pg_typeof(to_json(1))") ==
                [["json", "json", "jsonb", "json"]])
        #expect(sqlError(db, "SELECT json_build_object(array[1], 2)")?.message == "key value must be scalar, not array, composite, or json")
        #expect(sqlError(db, "SELECT json_object('{a,b,c}')")?.sqlState == "2202E")
    }

    @Test("values take their SQL type's JSON form")
    func valueForms() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"""
            SELECT json_build_object('d', date '2024-01-02', 't', timestamp '2024-01-02 03:04:05', 'z', timestamptz '2024-01-02 03:04:05.25+00',
                   'n', 'NaN'::float8, 'u', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 'i', interval '1 day 2 hours', 'y', '\x0a'::bytea, 'r', 1.5::real)
            """#) == [[#"{"d" : "2024-01-02", "t" : "2024-01-02T03:04:05", "z" : "2024-01-02T03:04:05.25+00:00", "n" : "NaN", "u" : "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "i" : "1 day 02:00:00", "y" : "\\x0a", "r" : 1.5}"#]])
        #expect(try rows(db, """
            SELECT jsonb_build_object('d', date '2024-01-02', 't', timestamp '2024-01-02 03:04:05'), to_jsonb(date '2024-01-02'),
                   to_json('2020-01-02 03:04:05.5'::timestamp), to_json('12:00'::time), to_json(1e20::float8), to_json('a'::char(3))
            """) == [[#"{"d": "2024-01-02", "t": "2024-01-02T03:04:05"}"#, #""2024-01-02""#, #""2020-01-02T03:04:05.5""#,
                      #""12:00:00""#, "1e+20", #""a  ""#]])
        #expect(try rows(db, "SELECT json_object_agg(k, d) FROM (VALUES ('a', date '2024-01-02')) t(k, d)") == [[#"{ "a" : "2024-01-02" }"#]])
        // An embedded caller's untyped parameters take their values' own types.
        #expect(try rows(db, "SELECT to_json($1), json_build_object('a', $2), to_jsonb($1)", [.int(5), .text("x")]) ==
                [["5", #"{"a" : "x"}"#, "5"]])
        #expect(try rows(db, #"SELECT json_build_object('a', '{"x": 1}'::jsonb, 'b', '{"y":  2}'::json)"#) == [[#"{"a" : {"x": 1}, "b" : {"y":  2}}"#]])
    }

    @Test("json and jsonb columns keep their types across a reopen; an older catalog's json is jsonb")
    func reopen() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "json.vireo", after: Self.setup)
            #expect(try rows(db, "SELECT j, b, pg_typeof(j), pg_typeof(b) FROM jt") ==
                    [[#"{"b":1,  "a":2, "b": [1, 2 ]}"#, #"{"a": 2, "b": 1}"#, "json", "jsonb"]])
            try db.close()
        }
        // What a build before the json type wrote for a column declared json (or jsonb).
        let older = try JSONDecoder().decode(ColumnDefinition.self, from: Data(#"{"name":"j","type":{"json":{}},"notNull":false,"isSerial":false}"#.utf8))
        #expect(older.type == .json && SQLType(older.type) == .json)
        let written = String(decoding: try JSONEncoder().encode(ColumnType.jsonText), as: UTF8.self)
        #expect(written == #"{"jsonText":{}}"#)
    }
}
