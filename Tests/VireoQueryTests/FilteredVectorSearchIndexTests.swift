import Testing
@testable import VireoQuery
import VireoStorage

/// A filtered vector search whose filter a B+tree index serves reads the matching rows from
/// the index's entries (no row decoded when the index's conditions are the whole filter):
/// the answers are the same as without the index, NULLs in the filtered column included,
/// and an UPDATE or the statement's own transaction changes them as it should.
@Suite("SQL: filtered vector search reading its matching rows from a B+tree index")
struct FilteredVectorSearchIndexTests {
    static let rowCount = 3_000

    /// Row `id` (1…rowCount): category NULL for every 11th id, else (id - 1) % 1000.
    static func category(_ id: Int) -> Int? { id % 11 == 0 ? nil : (id - 1) % 1000 }

    /// The rows, random vectors, an HNSW index and `index` (a CREATE INDEX's column list, or none).
    static func database(index: String?) throws -> (Database, [[Float]]) {
        let (db, vectors) = try FilteredVectorSearchTests.database(count: rowCount) { id in category(id).map { .int(Int64($0)) } ?? .null }
        if let index { try db.execute("CREATE INDEX items_category ON items \(index)") }
        return (db, vectors)
    }

    /// Index definitions the filters run under: none, ascending, DESC, and a second key.
    static let indexes: [String?] = [nil, "(category)", "(category DESC)", "(category, id)"]

    /// WHERE clauses and which (id, category) they pass: the 50%, 10%, 1% and 0.1% ranges,
    /// bounds on either side and both, equality and lists (the index's conditions are the
    /// whole filter), and filters the index only narrows (another conjunct, a bound that is
    /// not an integer), whose rows are checked one by one.
    static let filters: [(sql: String, passes: @Sendable (Int, Int) -> Bool)] = [
        ("category < 500", { $1 < 500 }), ("category < 100", { $1 < 100 }), ("category < 10", { $1 < 10 }),
        ("category < 1", { $1 < 1 }), ("category >= 990", { $1 >= 990 }), ("category > 994", { $1 > 994 }),
        ("category BETWEEN 3 AND 5", { (3...5).contains($1) }), ("category = 7", { $1 == 7 }),
        ("category IN (1, 2, 999)", { [1, 2, 999].contains($1) }), ("category < 20 AND id % 2 = 0", { $1 < 20 && $0 % 2 == 0 }),
        ("category < 10.5", { $1 <= 10 }), ("category > 989.5", { $1 >= 990 }), ("category <= 3 OR category = 900", { $1 <= 3 || $1 == 900 }),
    ]

    @Test("every matching row and no other, and the nearest ones first, with and without a B+tree index on the filter column", arguments: indexes)
    func sameRowsAsExact(index: String?) throws {
        let (db, vectors) = try Self.database(index: index)
        let session = db.session()
        try session.execute("SET vireo.filter_cache = off")
        if index != nil {
            let plan = try session.execute("EXPLAIN SELECT id FROM items WHERE category < 5 ORDER BY embedding <-> $1 LIMIT 10",
                                           [.vector(vectors[0])]).rows.map { "\($0)" }.joined()
            #expect(plan.contains("Matching rows: from index items_category"), "plan: \(plan)")
        }
        for (filter, passes) in Self.filters {
            let truth = Set((1...Self.rowCount).filter { id in Self.category(id).map { passes(id, $0) } ?? false }.map { Int64($0) })
            let query = vectors[truth.count % Self.rowCount]
            // LIMIT past the matching rows: the answer is the matching set itself.
            let all = try Self.ids(session, "SELECT id FROM items WHERE \(filter) ORDER BY embedding <-> $1 LIMIT \(Self.rowCount)", query)
            #expect(all.count == truth.count && Set(all) == truth, "\(index ?? "no index"), \(filter): \(all.count) rows, expected \(truth.count)")
            // A selective filter is ranked exactly: its nearest rows, in order.
            let nearest = try Self.ids(session, "SELECT id FROM items WHERE \(filter) ORDER BY embedding <-> $1 LIMIT 10", query)
            let exact = VectorSQLTests.exactNearest(vectors, query, k: 10) { truth.contains(Int64($0 + 1)) }
            #expect(nearest.count == exact.count, "\(index ?? "no index"), \(filter): \(nearest.count) of \(exact.count) rows")
            if truth.count <= 100 { #expect(nearest == exact, "\(index ?? "no index"), \(filter): \(nearest), exact \(exact)") }
        }
    }

    @Test("a filter whose bounds differ on every search, as parameters, with the cache on and off")
    func parametersChangingEverySearch() throws {
        let (db, vectors) = try Self.database(index: "(category)")
        for cache in ["on", "off"] {
            let session = db.session()
            try session.execute("SET vireo.filter_cache = \(cache)")
            for first in stride(from: 0, to: 1000, by: 97) {
                let query = vectors[first]
                let ids = try Self.ids(session, "SELECT id FROM items WHERE category >= $2 AND category < $3 ORDER BY embedding <-> $1 LIMIT 10",
                                       query, [.int(Int64(first)), .int(Int64(first + 4))])
                let exact = VectorSQLTests.exactNearest(vectors, query, k: 10) { offset in
                    Self.category(offset + 1).map { (first..<first + 4).contains($0) } ?? false
                }
                #expect(ids == exact, "cache \(cache), categories \(first)..<\(first + 4): \(ids), exact \(exact)")
            }
        }
    }

    @Test("an UPDATE moving a row into and out of the filter, and a NULL written, are seen by the next search")
    func updatesAreSeen() throws {
        let (db, vectors) = try Self.database(index: "(category)")
        let session = db.session()
        try session.execute("SET vireo.filter_cache = off")
        let search = "SELECT id FROM items WHERE category < 2 ORDER BY embedding <-> $1 LIMIT 100"
        // Categories 0 and 1: ids 1, 2, 1001, 1002, 2001, 2002, of which 1001 and 2002 are NULL.
        let before = Set(try Self.ids(session, search, vectors[0]))
        #expect(before == [1, 2, 1002, 2001], "got \(before.sorted())")
        try db.execute("UPDATE items SET category = 0 WHERE id = 500")
        try db.execute("UPDATE items SET category = 700 WHERE id = 1002")
        try db.execute("UPDATE items SET category = NULL WHERE id = 2")
        let after = Set(try Self.ids(session, search, vectors[0]))
        #expect(after == [1, 500, 2001], "got \(after.sorted())")
    }

    @Test("inside a write transaction, its own inserted, updated and deleted rows count for the filter")
    func ownChanges() throws {
        let (db, vectors) = try Self.database(index: "(category)")
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO items (category, embedding) VALUES (1, $1)", [.vector(vectors[0])])
        try session.execute("UPDATE items SET category = 1 WHERE id = 600")
        try session.execute("DELETE FROM items WHERE id = 2")
        try session.execute("UPDATE items SET category = NULL WHERE id = 1002")
        for search in ["SELECT id FROM items WHERE category = 1 ORDER BY embedding <-> $1 LIMIT 100",
                       "SELECT id FROM items WHERE category < 2 AND category > 0 ORDER BY embedding <-> $1 LIMIT 100"] {
            let ids = Set(try Self.ids(session, search, vectors[0]))
            // Category 1 was ids 2 and 1002 (2002 is NULL).
            #expect(ids == [Int64(Self.rowCount + 1), 600], "\(search): got \(ids.sorted())")
        }
        try session.execute("ROLLBACK")
    }

    /// The first column (an id) of each row `sql` returns for the query vector.
    private static func ids(_ session: Session, _ sql: String, _ query: [Float], _ parameters: [Value] = []) throws -> [Int64] {
        try session.execute(sql, [.vector(query)] + parameters).rows.compactMap { if case .int(let id) = $0[0] { id } else { nil } }
    }
}
