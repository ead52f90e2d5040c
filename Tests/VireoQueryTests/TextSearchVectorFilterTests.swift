import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// A vector search filtered by `tsv @@ query`: the gin index is its pre-filter (the rows it
/// names are ranked exactly when few, else the graph search skips every other row unread),
/// and the answer is the brute-force one.
@Suite("full-text search: gin index as the pre-filter of a vector search")
struct TextSearchVectorFilterTests {
    typealias Fixture = TextSearchIndexTests

    /// `indexed` (gin on tsv, HNSW on emb) and `plain` (no index) with the same rows: rare
    /// words (`zebra`, a few rows) and common ones, 2-dimensional vectors.
    static func setUp(_ db: Database, count: Int, _ random: inout SplitMix64) throws {
        for table in ["indexed", "plain"] {
            try db.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, body text, "
                + "tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED, emb vector(2))")
        }
        for id in 1...count {
            let body = Fixture.document(&random) + (id % 50 == 0 ? " zebra" : "")
            let vector = [Float(Int(random.next() % 2001) - 1000) / 100, Float(Int(random.next() % 2001) - 1000) / 100]
            for table in ["indexed", "plain"] {
                try db.execute("INSERT INTO \(table) (id, body, emb) VALUES ($1, $2, $3)", [.int(Int64(id)), .text(body), .vector(vector)])
            }
        }
        try db.execute("CREATE INDEX indexed_tsv ON indexed USING gin (tsv)")
        try db.execute("CREATE INDEX indexed_emb ON indexed USING hnsw (emb vector_l2_ops)")
    }

    @Test("a @@ filter on a gin-indexed column: EXPLAIN shows the pre-filter, the answer is brute force's (few and many matching rows)")
    func matchesBruteForce() throws {
        let db = try Database.inMemory()
        var random = SplitMix64(seed: 21)
        try Self.setUp(db, count: 600, &random)
        let plan = try rows(db, "EXPLAIN SELECT id FROM indexed WHERE tsv @@ 'zebra' ORDER BY emb <-> '[0,0]' LIMIT 5")
            .map { $0[0] }.joined(separator: "\n")
        #expect(plan.contains("Vector Index Scan using indexed_emb") && plan.contains("Pre-filter: rows matching @@ from gin index indexed_tsv"), "\(plan)")
        for query in ["zebra", "zebra | kiwi", "fig & !kiwi", "zebra & fig", "nothing", "kiwi:*"] {
            let sql = "SELECT id FROM TABLE WHERE tsv @@ to_tsquery('english', $1) ORDER BY emb <-> '[1.5,-2]', id LIMIT 7"
            let brute = try rows(db, sql.replacingOccurrences(of: "TABLE", with: "plain"), [.text(query)])
            let indexed = try rows(db, sql.replacingOccurrences(of: "TABLE", with: "indexed").replacingOccurrences(of: ", id LIMIT", with: " LIMIT"),
                                   [.text(query)])
            #expect(indexed == brute, "query \(query): with the indexes \(indexed), brute force \(brute)")
        }
        let withOther = "SELECT id FROM TABLE WHERE tsv @@ 'zebra' AND id > 200 ORDER BY emb <-> '[0,0]' LIMIT 3"
        #expect(try rows(db, withOther.replacingOccurrences(of: "TABLE", with: "indexed"))
                == rows(db, withOther.replacingOccurrences(of: "TABLE", with: "plain")), "with another WHERE term")
    }

    @Test("more matching rows than the exact ranking takes: the graph search skips the others and returns only matching rows")
    func manyCandidates() throws {
        let db = try Database.inMemory()
        var random = SplitMix64(seed: 22)
        try Self.setUp(db, count: 600, &random)
        let session = try db.session()
        // The exact ranking takes up to 25 × ef_search rows: 200 here.
        try session.execute("SET hnsw.ef_search = 8")
        let filter = "tsv @@ 'apple | banana | cherry | fig | kiwi | lemon | mango'"
        let matching = try session.execute("SELECT count(*) FROM plain WHERE \(filter)").rows
        #expect((matching.first?.first?.exactInteger ?? 0) > Int64(VectorScan.textCandidatesExactPerEf * 10), "the filter must name more rows than the exact path takes")
        let found = try session.execute("SELECT id, \(filter) FROM indexed WHERE \(filter) ORDER BY emb <-> '[3,3]' LIMIT 10").rows
        #expect(found.count == 10 && found.allSatisfy { $0[1] == .bool(true) }, "\(found)")
        let brute = try session.execute("SELECT id FROM plain WHERE \(filter) ORDER BY emb <-> '[3,3]', id LIMIT 10").rows
        let overlap = Set(found.map { $0[0] }).intersection(brute.map { $0[0] }).count
        #expect(overlap >= 9, "recall of the graph search with the pre-filter: \(overlap) of 10")
    }
}
