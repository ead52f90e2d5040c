import Testing
@testable import VireoQuery
import VireoStorage

/// jsonb_path_match and jsonb_path_exists over the jsonpath subset Vireo evaluates (lax
/// mode); every expected answer was read from PostgreSQL 15.
@Suite("jsonb: jsonpath predicates")
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
        #expect(sqlError(db, "SELECT jsonb_path_match('{}', '$.a ? (@ > 1)')")?.sqlState == "0A000")
        #expect(try rows(db, #"SELECT jsonb_path_match('{"a":1}', '$.a', '{}', true)"#) == [["NULL"]])
    }
}
