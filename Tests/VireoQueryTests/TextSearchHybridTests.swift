import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// hybrid_search(): relative-score or reciprocal-rank fusion of the BM25 ranking and the
/// vector ranking, checked against the fusion computed here from each ranking on its own.
@Suite("full-text search: hybrid search")
struct TextSearchHybridTests {
    static func setUp(_ db: Database, count: Int, seed: UInt64) throws {
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, body text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED, v vector(4))")
        try db.execute("CREATE INDEX t_tsv ON t USING gin (tsv)")
        var random = SplitMix64(seed: seed)
        for id in 1...count {
            let vector = (0..<4).map { _ in String(Double(random.next() % 1000) / 1000 + 0.001) }.joined(separator: ",")
            try db.execute("INSERT INTO t (id, body, v) VALUES ($1, $2, $3::vector)",
                           [.int(Int64(id)), .text(TextSearchIndexTests.document(&random)), .text("[\(vector)]")])
        }
    }

    /// The fused ranking from the two rankings, each read by a plain query with its score.
    static func expected(_ db: Database, words: String, vector: String, k: Int, weights: (Double, Double),
                         fusion: HybridSearchSQL.Fusion) throws -> [(Int, Double)] {
        let query = words.split(separator: " ").joined(separator: " | ")
        let keyword = try rows(db, "SELECT id, bm25(tsv, to_tsquery('english', $1)) FROM t WHERE tsv @@ to_tsquery('english', $1) ORDER BY 2 DESC, id LIMIT 50", [.text(query)])
        let semantic = try rows(db, "SELECT id, -(v <=> $1::vector) FROM t ORDER BY v <=> $1::vector, id LIMIT 50", [.text(vector)])
        var scores: [Int: Double] = [:]
        for (list, weight) in [(keyword, weights.0), (semantic, weights.1)] {
            let values = list.map { Double($0[1])! }
            let low = values.min() ?? 0, high = values.max() ?? 0
            for (rank, row) in list.enumerated() {
                let part = switch fusion {
                case .rrf: 1 / Double(60 + rank + 1)
                case .relative: high > low ? (values[rank] - low) / (high - low) : 1
                }
                scores[Int(row[0])!, default: 0] += weight * part
            }
        }
        return scores.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(k).map { ($0.key, $0.value) }
    }

    @Test("hybrid_search fuses the BM25 and vector rankings by relative score (the default) or reciprocal rank, with weights")
    func fusion() throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 120, seed: 21)
        for fusion in [nil] + HybridSearchSQL.Fusion.allCases {
            for (words, vector, weights) in [("apple kiwi", "[0.1,0.9,0.3,0.5]", (1.0, 1.0)), ("grape", "[0.7,0.2,0.2,0.1]", (2.0, 0.5)),
                                             ("lemon peach sage", "[0.3,0.3,0.3,0.9]", (0.0, 1.0))] {
                let fusionArgument = fusion.map { ", '\($0.rawValue)'" } ?? ""
                let got = try rows(db, "SELECT id, score FROM hybrid_search('t', 'tsv', 'v', $1, $2, 7, $3, $4\(fusionArgument))",
                                   [.text(words), .text(vector), .double(weights.0), .double(weights.1)]).map { (Int($0[0])!, Double($0[1])!) }
                let want = try Self.expected(db, words: words, vector: vector, k: 7, weights: weights, fusion: fusion ?? .relative)
                #expect(got.count == want.count && zip(got, want).allSatisfy { $0.0 == $1.0 && abs($0.1 - $1.1) < 1e-9 },
                        "\(fusion?.rawValue ?? "default") \(words): got \(got), want \(want)")
            }
        }
        let columns = try db.execute("SELECT * FROM hybrid_search('t', 'tsv', 'v', 'kiwi', '[1,1,1,1]')").columns.map(\.name)
        #expect(columns == ["id", "body", "tsv", "v", "score", "keyword_rank", "vector_rank"])
    }

    @Test("hybrid_search over a text column with a gin index on to_tsvector('english', column) equals it over the stored tsvector")
    func textColumn() throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 120, seed: 22)
        try db.execute("CREATE INDEX t_body ON t USING gin (to_tsvector('english', body))")
        for (words, vector) in [("apple kiwi", "[0.1,0.9,0.3,0.5]"), ("grape the", "[0.7,0.2,0.2,0.1]")] {
            let sql = "SELECT id, score, keyword_rank FROM hybrid_search('t', $3, 'v', $1, $2, 9)"
            let stored = try rows(db, sql.replacingOccurrences(of: "$3", with: "'tsv'"), [.text(words), .text(vector)])
            let text = try rows(db, sql.replacingOccurrences(of: "$3", with: "'body'"), [.text(words), .text(vector)])
            #expect(stored.count == 9 && text == stored, "\(words): text column \(text), tsvector column \(stored)")
        }
    }

    @Test("hybrid_search names a table with an integer key and columns of the right types")
    func errors() throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 3, seed: 1)
        try db.execute("CREATE TABLE nokey (body text, tsv tsvector, v vector(4))")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('nokey', 'tsv', 'v', 'a', '[1,1,1,1]')")?.sqlState == "0A000")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('t', 'v', 'v', 'a', '[1,1,1,1]')")?.sqlState == "42804")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('t', 'body', 'v', 'a', '[1,1,1,1]')")?.sqlState == "0A000",
                "a text column needs a gin index on to_tsvector('english', column)")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('t', 'tsv', 'nope', 'a', '[1,1,1,1]')")?.sqlState == "42703")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('missing', 'tsv', 'v', 'a', '[1,1,1,1]')")?.sqlState == "42P01")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('t', 'tsv')")?.sqlState == "42883")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('t', 'tsv', 'v', 'a', '[1,1,1,1]', 5, 1, 1, 'borda')")?.sqlState == "22023")
        #expect(sqlError(db, "SELECT * FROM hybrid_search('t', 'tsv', 'v', 'a', '[1,1,1,1]', 5, 1, 1, $1)", [.text("rrf")])?.sqlState == "0A000")
    }
}
