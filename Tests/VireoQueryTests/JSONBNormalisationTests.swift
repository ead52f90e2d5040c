import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// jsonb as PostgreSQL 15 stores and prints it: keys by (length, bytes), the last duplicate
/// kept, `{"a": 1, "b": [1, 2]}` spacing, numbers with their numeric digits.
@Suite("jsonb normalisation")
struct JSONBNormalisationTests {
    @Test("input is stored normalised: key order, duplicates, spacing, numbers as numeric")
    func inputNormalised() throws {
        let db = try Database.inMemory()
        let got = try rows(db, """
            SELECT '{"b": 1, "aa": 2,"b":3, "a":[1,2.50,1e2,-0,0.1e-5, 1E+2]}'::jsonb, '{"a":{"zz":1,"y":2}}'::jsonb -> 'a',
                   '[1.50]'::jsonb ->> 0, '"\\b\\f\\u0001"'::jsonb
            """)
        #expect(got == [[#"{"a": [1, 2.50, 100, 0, 0.000001, 100], "b": 3, "aa": 2}"#, #"{"y": 2, "zz": 1}"#, "1.50", #""\b\f\u0001""#]])
        try db.execute(#"CREATE TABLE docs (id int PRIMARY KEY, d jsonb); INSERT INTO docs VALUES (1, '{"z": 1.10, "a": true}')"#)
        #expect(try rows(db, "SELECT d FROM docs") == [[#"{"a": true, "z": 1.10}"#]])
    }

    @Test("numbers built from SQL values keep numeric digits; floats and bigints convert exactly")
    func builtNumbers() throws {
        let db = try Database.inMemory()
        let got = try rows(db, """
            SELECT jsonb_build_object('a', 1.50, 'b', 2.0), to_jsonb(1.50), to_jsonb(9007199254740993::bigint),
                   to_jsonb(1e20::float8), to_jsonb(0.1::float8), jsonb_build_array(1.50, 2.0::float8)
            """)
        #expect(got == [[#"{"a": 1.50, "b": 2.0}"#, "1.50", "9007199254740993", "100000000000000000000", "0.1", "[1.50, 2]"]])
        #expect(try rows(db, "SELECT jsonb_object_agg(k, v) FROM (VALUES ('bb', 1), ('a', 2), ('bb', 3)) t(k, v)") ==
                [[#"{"a": 2, "bb": 3}"#]])
    }

    @Test("equal numbers written differently are equal; json (not jsonb) keeps its text")
    func equalityAndPlainJSON() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, #"SELECT '{"a": 1.0}'::jsonb = '{"a": 1}'::jsonb, '{"a": 1.0}'::jsonb @> '{"a": 1}', '{"b":1,  "a":2}'::json"#) ==
                [["t", "t", #"{"b":1,  "a":2}"#]])
    }

    @Test("what RFC 8259 refuses is 22P02", arguments: ["+1", "01", ".5", "1.", "1e", "-", "[1,]", "{\"a\" 1}"])
    func refused(text: String) throws {
        let db = try Database.inMemory()
        #expect(sqlError(db, "SELECT '\(text)'::jsonb")?.sqlState == "22P02")
    }
}
