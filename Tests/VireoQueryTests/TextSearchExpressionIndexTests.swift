import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// bm25 over a gin index on an expression (`to_tsvector('english', body)`): the same scores
/// and top k as over a stored tsvector column with its gin index, and as a table with no
/// index (statistics counted from the rows), through updates and deletes; the planner serves
/// `@@` and the top k from the expression index.
@Suite("full-text search: bm25 through an expression gin index")
struct TextSearchExpressionIndexTests {
    typealias Fixture = TextSearchIndexTests
    static let document = "to_tsvector('english', body)"

    /// `stored` (generated tsv column, gin on it), `expr` (gin on the expression) and `brute`
    /// (generated tsv column, no index), holding the same bodies.
    static func setUp(_ db: Database, count: Int, _ random: inout SplitMix64) throws {
        for table in ["stored", "brute"] {
            try db.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, body text, tsv tsvector GENERATED ALWAYS AS (\(document)) STORED)")
        }
        try db.execute("CREATE TABLE expr (id bigint PRIMARY KEY, body text)")
        try db.execute("CREATE INDEX stored_tsv ON stored USING gin (tsv)")
        try db.execute("CREATE INDEX expr_body ON expr USING gin (\(document))")
        for id in 1...count {
            let body = Fixture.document(&random)
            for table in ["stored", "expr", "brute"] {
                try db.execute("INSERT INTO \(table) (id, body) VALUES ($1, $2)", [.int(Int64(id)), .text(body)])
            }
        }
    }

    /// The same random update of a body, or delete, in every table.
    static func change(_ db: Database, _ random: inout SplitMix64, count: Int) throws {
        let id = Int64(1 + random.next() % UInt64(count))
        let delete = random.next() % 3 == 0, body = Fixture.document(&random)
        for table in ["stored", "expr", "brute"] {
            if delete {
                try db.execute("DELETE FROM \(table) WHERE id = $1", [.int(id)])
            } else {
                try db.execute("UPDATE \(table) SET body = $1 WHERE id = $2", [.text(body), .int(id)])
            }
        }
    }

    /// `(id, score)` rows as text pairs, scores to 9 decimals.
    static func ranked(_ db: Database, _ sql: String, _ parameters: [Value]) throws -> [String] {
        try rows(db, sql, parameters).map { "\($0[0]) " + String(format: "%.9f", Double($0[1]) ?? -1) }
    }

    @Test("bm25(to_tsvector('english', body), q) and its top k equal the stored column's and brute force", arguments: [UInt64(7), 8])
    func matchesStoredColumnAndBruteForce(seed: UInt64) throws {
        let db = try Database.inMemory()
        var random = SplitMix64(seed: seed)
        try Self.setUp(db, count: 250, &random)
        for _ in 0..<40 { try Self.change(db, &random, count: 250) }
        let reference = try TextSearchBM25Tests.Reference(db, table: "brute")
        for _ in 0..<25 {
            let query = random.next() % 4 == 0 ? Fixture.query(&random) : TextSearchBM25Tests.plainQuery(&random)
            let k = 1 + Int(random.next() % 15)
            let scores = "SELECT id, bm25(\(Self.document), $1::tsquery) FROM expr ORDER BY id"
            let stored = try Self.ranked(db, "SELECT id, bm25(tsv, $1::tsquery) FROM stored ORDER BY id", [.text(query)])
            #expect(try Self.ranked(db, scores, [.text(query)]) == stored, "query \(query): every row's score")
            let topK = "SELECT id, bm25(\(Self.document), $1::tsquery) FROM expr WHERE \(Self.document) @@ $1::tsquery "
                + "ORDER BY bm25(\(Self.document), $1::tsquery) DESC LIMIT \(k)"
            // The top-k search breaks ties by row id, as `, id` does for the table with no index.
            let storedTopK = "SELECT id, bm25(tsv, $1::tsquery) FROM TABLE WHERE tsv @@ $1::tsquery ORDER BY bm25(tsv, $1::tsquery) DESC"
            let got = try Self.ranked(db, topK, [.text(query)])
            let brute = try Self.ranked(db, storedTopK.replacingOccurrences(of: "TABLE", with: "brute") + ", id LIMIT \(k)", [.text(query)])
            #expect(got == brute, "query \(query) k \(k): expression index \(got), brute force \(brute)")
            #expect(got == (try Self.ranked(db, storedTopK.replacingOccurrences(of: "TABLE", with: "stored") + " LIMIT \(k)", [.text(query)])))
            if !query.contains(":*") && !query.contains("!") {
                for line in got {
                    let parts = line.split(separator: " "), want = try reference.score(Int64(parts[0])!, query)
                    #expect(abs(Double(parts[1])! - want) < 1e-6, "query \(query) row \(parts[0]): \(parts[1]), reference \(want)")
                }
            }
            let matching = "SELECT id FROM TABLE WHERE \(Self.document) @@ $1::tsquery ORDER BY id"
            #expect(try rows(db, matching.replacingOccurrences(of: "TABLE", with: "expr"), [.text(query)])
                    == rows(db, matching.replacingOccurrences(of: "TABLE", with: "brute"), [.text(query)]), "query \(query): @@")
        }
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("EXPLAIN shows the expression index serving the top k by bm25 and the @@ filter")
    func plans() throws {
        let db = try Database.inMemory()
        var random = SplitMix64(seed: 9)
        try Self.setUp(db, count: 30, &random)
        let topK = try rows(db, "EXPLAIN SELECT id FROM expr WHERE \(Self.document) @@ $1::tsquery "
            + "ORDER BY bm25(\(Self.document), $1::tsquery) DESC LIMIT 5", [.text("fig | kiwi")]).map { $0[0] }.joined(separator: "\n")
        #expect(topK.contains("Index Scan using expr_body") && topK.contains("Top-k: BM25"), "\(topK)")
        let filter = try rows(db, "EXPLAIN SELECT id FROM expr WHERE \(Self.document) @@ 'fig'").map { $0[0] }.joined(separator: "\n")
        #expect(filter.contains("Index Scan using expr_body"), "\(filter)")
    }

    @Test("bm25 of an expression no gin index keys on is refused (0A000); a partial gin index does not serve it")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id bigint PRIMARY KEY, body text, flag bool)")
        try db.execute("INSERT INTO t VALUES (1, 'fig kiwi', true), (2, 'fig', false)")
        #expect(sqlError(db, "SELECT bm25(to_tsvector('english', body), 'fig') FROM t")?.sqlState == "0A000")
        #expect(sqlError(db, "SELECT bm25(to_tsvector('simple', body), 'fig') FROM t")?.sqlState == "0A000")
        try db.execute("CREATE INDEX t_partial ON t USING gin (to_tsvector('english', body)) WHERE flag")
        #expect(sqlError(db, "SELECT bm25(to_tsvector('english', body), 'fig') FROM t")?.sqlState == "0A000")
        try db.execute("CREATE INDEX t_body ON t USING gin (to_tsvector('english', body))")
        #expect(sqlError(db, "SELECT bm25(to_tsvector('simple', body), 'fig') FROM t")?.sqlState == "0A000", "another expression")
        #expect(try rows(db, "SELECT id FROM t WHERE to_tsvector('english', body) @@ 'fig' ORDER BY bm25(to_tsvector('english', body), 'fig') DESC, id LIMIT 2")
                == [["2"], ["1"]], "the shorter document first")
    }
}
