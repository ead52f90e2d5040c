import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// jsonb's order as PostgreSQL 15's B-tree operator class defines it (JSONOrder), for `=`,
/// `<`, ORDER BY, GROUP BY and DISTINCT. The expected orders are PostgreSQL's answers.
@Suite("jsonb ordering")
struct JSONBOrderTests {
    /// Documents in PostgreSQL's ascending order (`1` and `1.0` are equal).
    static let ascending = [
        "[]", "null", #""""#, #""a""#, #""ab""#, #""b""#, "-2.5", "1", "1.0", "10", "false", "true",
        "[null]", #"["a"]"#, "[1]", "[2]", "[[]]", "[[3]]", "[[1, 2]]", "[{}]", #"[{"a": 1}]"#, "[1, 2]", "[true, false]",
        "{}", #"{"a": null}"#, #"{"a": 1}"#, #"{"a": [3]}"#, #"{"a": [1, 2]}"#, #"{"aa": 1}"#, #"{"b": 0}"#,
        #"{"a": 1, "b": 2}"#, #"{"b": 1, "aa": 0}"#,
    ]

    @Test("the comparison puts documents in PostgreSQL's order: objects, arrays, booleans, numbers, strings, null")
    func comparison() throws {
        for (index, lower) in Self.ascending.enumerated() {
            for higher in Self.ascending[(index + 1)...] {
                let order = JSONOrder.compare(try JSONValue.normalized(lower), try JSONValue.normalized(higher))
                let equal = lower == "1" && higher == "1.0"
                #expect(order == (equal ? 0 : -1), "\(lower) vs \(higher): \(order)")
                #expect(JSONOrder.compare(try JSONValue.normalized(higher), try JSONValue.normalized(lower)) == (equal ? 0 : 1))
            }
        }
    }

    @Test("ORDER BY, GROUP BY, DISTINCT, = and an index on a jsonb column follow that order")
    func queries() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE docs (id int PRIMARY KEY, j jsonb)")
        for (id, text) in Self.ascending.reversed().enumerated() {
            try db.execute("INSERT INTO docs VALUES ($1, $2::jsonb)", [.int(Int64(id)), .text(text)])
        }
        let sorted = try rows(db, "SELECT j FROM docs ORDER BY j, id").map { $0[0] }
        #expect(sorted == Self.ascending.enumerated().map { $0.element == "1.0" ? "1" : $0.element == "1" ? "1.0" : $0.element })
        #expect(try rows(db, "SELECT count(*) FROM (SELECT DISTINCT j FROM docs) s") == [["\(Self.ascending.count - 1)"]])
        #expect(try rows(db, "SELECT count(*) FROM docs GROUP BY j HAVING count(*) > 1") == [["2"]])
        try db.execute("CREATE INDEX docs_j ON docs (j)")
        #expect(try rows(db, "SELECT count(*) FROM docs WHERE j = '1.00'") == [["2"]])
        #expect(try rows(db, "SELECT count(*) FROM docs WHERE j > '[true, false]'") == [["9"]])
        #expect(try rows(db, "SELECT j FROM docs ORDER BY j DESC LIMIT 1") == [[#"{"b": 1, "aa": 0}"#]])
    }
}
