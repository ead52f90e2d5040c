import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Input PostgreSQL 15 refuses rather than repairs, and text functions that count code points.
@Suite("input validation and code points")
struct InputValidationTests {
    static let failures: [(String, String)] = [
        (#"SELECT E'\uD800'"#, "42601"),
        (#"SELECT E'\uDC00\uD800'"#, "42601"),
        (#"SELECT E'\uD800\u0041'"#, "42601"),
        (#"SELECT E'\U00110000'"#, "42601"),
        (#"SELECT E'\u0000'"#, "42601"),
        (#"SELECT E'\u12'"#, "22025"),
        (#"SELECT E'\xff'"#, "22021"),
        ("SELECT 1 /* unterminated", "42601"),
        ("SELECT power(10::float8, 400)", "22003"),
        ("SELECT exp(1000::float8)", "22003"),
        ("SELECT ln(0::float8)", "2201E"),
        ("SELECT sqrt(-1::float8)", "2201F"),
        ("SELECT '1e400'::float8", "22003"),
    ]

    @Test("each statement fails with PostgreSQL's SQLSTATE", arguments: failures.indices)
    func failure(index: Int) throws {
        let (sql, sqlState) = Self.failures[index]
        let error = sqlError(try Database.inMemory(), sql)
        #expect(error?.sqlState == sqlState, "\(sql): expected \(sqlState), got \(String(describing: error))")
    }

    @Test("a surrogate pair written as two escapes is one code point")
    func surrogatePair() throws {
        #expect(try rows(try Database.inMemory(), #"SELECT E'\uD83D\uDE00' = '😀', E'\U0001F600' = '😀', E'\303\251' = 'é'"#) ==
                [["t", "t", "t"]])
    }

    @Test("length, substr, strpos, left, reverse, lpad, translate and LIKE count and match code points")
    func codePoints() throws {
        let got = try rows(try Database.inMemory(), #"""
            SELECT length('🇩🇪'), length(E'e\u0301'), strpos(E'e\u0301', 'e'), strpos('ééx', 'x'), substr('🇩🇪ab', 2, 2),
                   left('🇩🇪ab', 1) = E'\U0001F1E9', reverse(E'e\u0301') = E'\u0301e', lpad('é', 3, '·'),
                   translate(E'e\u0301', E'\u0301', 'x'), E'e\u0301' LIKE '__', strpos('café', E'e\u0301')
            """#)
        #expect(got == [["2", "2", "1", "3", "🇪a", "t", "t", "··é", "ex", "t", "0"]])
    }
}
