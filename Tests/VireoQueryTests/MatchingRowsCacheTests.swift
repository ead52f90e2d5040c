import Testing
@testable import VireoQuery
import VireoStorage

/// A vector search reusing a filter's bitmap of matching rows answers as if it had made the
/// bitmap anew: a commit that changes which rows match is seen by the next search.
@Suite("SQL: filtered vector search reuses matching-row bitmaps only while nothing changed")
struct MatchingRowsCacheTests {
    static let search = "SELECT id, category FROM items WHERE category = $2 ORDER BY embedding <-> $1 LIMIT 10"

    /// The ids a search with `category = category` returns, after checking every row matches.
    private static func ids(_ session: Session, _ query: [Float], category: Int64) throws -> Set<Int64> {
        let rows = try session.execute(search, [.vector(query), .int(category)]).rows
        #expect(rows.allSatisfy { $0[1] == .int(category) }, "category \(category): a row outside the filter in \(rows)")
        return Set(rows.compactMap { if case .int(let id) = $0[0] { id } else { nil } })
    }

    @Test("repeated searches, then an UPDATE and a DELETE that change the matching rows, with the cache on and off")
    func commitsChangeTheAnswer() throws {
        for cache in ["on", "off"] {
            let (db, vectors) = try FilteredVectorSearchTests.database()
            let session = db.session()
            try session.execute("SET vireo.filter_cache = \(cache)")
            let query = vectors[0]
            // Rows 8, 1008, 2008, 3008, 4008 have category 7 (ids start at 1).
            let original: Set<Int64> = [8, 1008, 2008, 3008, 4008]
            for _ in 0..<3 { #expect(try Self.ids(session, query, category: 7) == original, "cache \(cache)") }
            #expect(try Self.ids(session, query, category: 8) == [9, 1009, 2009, 3009, 4009], "cache \(cache): another parameter")
            try db.execute("UPDATE items SET category = 7 WHERE id = 1")
            #expect(try Self.ids(session, query, category: 7) == original.union([1]), "cache \(cache): after the UPDATE")
            try db.execute("DELETE FROM items WHERE id = 8")
            #expect(try Self.ids(session, query, category: 7) == original.union([1]).subtracting([8]), "cache \(cache): after the DELETE")
        }
    }

    @Test("filter keys: equal for the same filter and parameter values, distinct otherwise, none for what may change")
    func keys() {
        let less = BoundExpression.binary(.less, .column(1), .parameter(1, .int))
        let key = { (expression: BoundExpression, parameters: [Value]) in FilterKey(expression, table: "t", parameters: parameters) }
        #expect(key(less, [.null, .int(5)]) != nil)
        #expect(key(less, [.null, .int(5)]) == key(less, [.vector([1, 2]), .int(5)]), "the vector parameter is not read by the filter")
        #expect(key(less, [.null, .int(5)]) != key(less, [.null, .int(6)]))
        #expect(FilterKey(less, table: "u", parameters: [.null, .int(5)]) != key(less, [.null, .int(5)]))
        let one = BoundExpression.inList(.column(0), [.constant(.text("a,b"))], negated: false)
        let two = BoundExpression.inList(.column(0), [.constant(.text("a")), .constant(.text("b"))], negated: false)
        #expect(key(one, []) != key(two, []))
        #expect(key(.binary(.add, .column(1), .constant(.int(1))), []) == nil, "arithmetic is not covered")
        #expect(key(.binary(.less, .column(1), .parameter(0, .timestamptz)), [.text("2026-01-01")]) == nil,
                "a parameter read as a time follows session settings")
        #expect(key(less, [.null]) == nil, "a missing parameter")
    }
}
