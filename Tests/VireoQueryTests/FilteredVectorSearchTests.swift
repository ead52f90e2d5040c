import Testing
@testable import VireoQuery
import VireoStorage

/// `SELECT … WHERE filter ORDER BY embedding <-> $1 LIMIT k` returns min(k, matching rows)
/// rows, each matching, near the exact answer, however selective the filter and whatever
/// the statement's own transaction changed.
@Suite("SQL: filtered vector search returns min(k, matching rows)")
struct FilteredVectorSearchTests {
    static let rowCount = 5_000
    static let dimension = 8

    /// Rows `id` 1…`count` with `category = (id - 1) % 1000` (or `category(id)`) and random
    /// vectors; an HNSW index.
    static func database(count: Int = rowCount, category: (Int) -> Value = { .int(Int64(($0 - 1) % 1000)) }) throws -> (Database, [[Float]]) {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE items (id bigserial PRIMARY KEY, category int, embedding vector(\(dimension)))")
        var random = SeededRandom(seed: 17)
        let vectors = (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) } }
        try db.transaction { session in
            for (offset, vector) in vectors.enumerated() {
                try session.execute("INSERT INTO items (category, embedding) VALUES ($1, $2)", [category(offset + 1), .vector(vector)])
            }
        }
        try db.execute("CREATE INDEX items_embedding ON items USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)")
        return (db, vectors)
    }

    @Test("at 50%, 10%, 1% and 0.1% of rows matching, k = 10 and 100, ef_search 10 and 200: min(k, matching) matching rows, recall ≥ 0.9")
    func everySelectivity() throws {
        let (db, vectors) = try Self.database()
        let session = db.session()
        var random = SeededRandom(seed: 5)
        // Every search picks its route (MatchingRowsCacheTests covers reusing a bitmap):
        // ef_search 10 sends the 50% filter through the graph looking rows up, 200 to the
        // bitmap of matching rows first (FilterRoute); the others take the bitmap at both.
        try session.execute("SET vireo.filter_cache = off")
        for efSearch in [10, 200] {
            try session.execute("SET hnsw.ef_search = \(efSearch)")
            for categoriesMatching in [500, 100, 10, 1] {
                for k in [10, 100] {
                    try Self.check(session, vectors, categoriesMatching: categoriesMatching, k: k, efSearch: efSearch, &random)
                }
            }
        }
    }

    /// Five searches with `category < categoriesMatching`: each returns min(k, matching)
    /// rows, all matching, and together they find ≥ 90% of the exact answers.
    private static func check(_ session: Session, _ vectors: [[Float]], categoriesMatching: Int, k: Int, efSearch: Int,
                              _ random: inout SeededRandom) throws {
        let matching = rowCount * categoriesMatching / 1000
        var found = 0, wanted = 0
        for _ in 0..<5 {
            let query = (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) }
            let result = try session.execute("SELECT id, category FROM items WHERE category < $2 ORDER BY embedding <-> $1 LIMIT $3",
                                             [.vector(query), .int(Int64(categoriesMatching)), .int(Int64(k))])
            let label = "\(matching) matching, k \(k), ef_search \(efSearch)"
            #expect(result.rows.count == min(k, matching), "\(label): got \(result.rows.count) rows")
            #expect(result.rows.allSatisfy { if case .int(let c) = $0[1] { c < categoriesMatching } else { false } }, "\(label): a row outside the filter")
            let exact = VectorSQLTests.exactNearest(vectors, query, k: k) { $0 % 1000 < categoriesMatching }
            found += Set(result.rows.map { $0[0] }).intersection(exact.map(Value.int)).count
            wanted += exact.count
        }
        let recall = Double(found) / Double(wanted)
        #expect(recall >= 0.9, "\(matching) matching rows, k \(k), ef_search \(efSearch): recall \(recall)")
    }

    @Test("20,000 rows of 384 dimensions: a broad filter is looked up row by row in the graph, a selective one marked in one pass first")
    func routeFollowsTheEstimate() {
        func route(_ matching: Int, ef: Int) -> FilterRoute {
            FilterRoute.choose(matchingEstimate: matching, liveCount: 20_000, efSearch: ef, dimension: 384, vectorBytes: 1536)
        }
        #expect(route(10_000, ef: 10) == .lookingUpRows)
        #expect(route(2_000, ef: 10) == .lookingUpRows)
        #expect(route(200, ef: 10) == .matchingRowsFirst)
        #expect(route(20, ef: 10) == .matchingRowsFirst)
        #expect(route(0, ef: 10) == .matchingRowsFirst)
    }

    @Test("inside a transaction, a row it inserted that alone matches a selective filter comes back")
    func ownInsertMatchingASelectiveFilter() throws {
        let (db, _) = try Self.database()
        let session = db.session()
        try session.execute("BEGIN")
        let vector = [Float](repeating: 0.5, count: Self.dimension)
        try session.execute("INSERT INTO items (category, embedding) VALUES (5000, $1)", [.vector(vector)])
        let result = try session.execute("SELECT category FROM items WHERE category >= 999 ORDER BY embedding <-> $1 LIMIT 10",
                                         [.vector(vector)])
        #expect(result.rows.count == 6, "5 committed rows and the new one match; got \(result.rows.count)")
        #expect(result.rows.first == [.int(5000)], "expected the new row first, got \(result.rows.first ?? [])")
        try session.execute("ROLLBACK")
    }

    @Test("inside a transaction, rows it deleted are skipped and k rows still come back, with or without a filter")
    func ownDeletes() throws {
        let (db, vectors) = try Self.database()
        let query = vectors[0]
        let nearest = VectorSQLTests.exactNearest(vectors, query, k: 30)
        let session = db.session()
        try session.execute("BEGIN")
        for id in nearest.prefix(20) { try session.execute("DELETE FROM items WHERE id = $1", [.int(id)]) }
        for filter in ["", "WHERE category < 900"] {
            let result = try session.execute("SELECT id FROM items \(filter) ORDER BY embedding <-> $1 LIMIT 10", [.vector(query)])
            #expect(result.rows.count == 10, "\(filter): \(result.rows.count) rows")
            #expect(Set(result.rows.map { $0[0] }).isDisjoint(with: nearest.prefix(20).map(Value.int)), "\(filter): a deleted row came back")
        }
        try session.execute("ROLLBACK")
        #expect(try db.query("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 10", [.vector(query)]).rows.count == 10)
    }
}
