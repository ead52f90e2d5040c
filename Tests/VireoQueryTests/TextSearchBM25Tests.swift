import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// BM25: `bm25()` against a reference computed here from the rows' tsvectors, with the
/// statistics of a gin index (exact through updates, deletes, rollbacks and a power loss)
/// and without one; the WAND top-k against the brute-force ranking.
@Suite("full-text search: BM25")
struct TextSearchBM25Tests {
    typealias Fixture = TextSearchIndexTests

    /// Okapi BM25 (Lucene's idf) written out from the definition, over `(id, tsv)` rows.
    struct Reference {
        var documents: [Int64: TSVector] = [:]

        init(_ db: Database, table: String) throws {
            for row in try rows(db, "SELECT id, tsv::text FROM \(table) WHERE tsv IS NOT NULL") {
                documents[Int64(row[0])!] = try TSVector(parsing: row[1])
            }
        }

        func score(_ id: Int64, _ query: String, k1: Double = 1.2, b: Double = 0.75) throws -> Double {
            guard let document = documents[id] else { return 0 }
            let terms = Set(try TSQuery(parsing: query).text.split(separator: " ").filter { $0.hasPrefix("'") && !$0.contains(":") }
                .map { String($0.dropFirst().dropLast()) })
            let count = Double(documents.count)
            let average = documents.values.map { Double($0.length) }.reduce(0, +) / count
            var total = 0.0
            for entry in document.entries where terms.contains(entry.lexeme) {
                let frequency = Double(documents.values.filter { $0.index(of: entry.lexeme) != nil }.count)
                let idf = log(1 + (count - frequency + 0.5) / (frequency + 0.5))
                let tf = Double(max(entry.positions.count, 1))
                total += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * Double(document.length) / average))
            }
            return total
        }

        /// The k best (score, id) of the rows matching `query`, ties by id.
        func topK(_ db: Database, _ query: String, k: Int) throws -> [Double] {
            let matching = try rows(db, "SELECT id FROM plain WHERE tsv @@ $1::tsquery", [.text(query)]).map { Int64($0[0])! }
            return try matching.map { try score($0, query) }.sorted(by: >).prefix(k).map { $0 }
        }
    }

    /// A query of plain operands (no prefixes: the reference splits the query's text).
    static func plainQuery(_ random: inout SplitMix64) -> String {
        let count = 1 + Int(random.next() % 4)
        let words = (0..<count).map { _ in Fixture.words[Int(random.next() % UInt64(Fixture.words.count))] }
        let joiner = random.next() % 3 == 0 ? " & " : " | "
        return words.joined(separator: joiner)
    }

    static func expectScores(_ db: Database, _ random: inout SplitMix64, queries: Int, _ context: String = "") throws {
        let reference = try Reference(db, table: "plain")
        for _ in 0..<queries {
            let query = plainQuery(&random)
            for table in ["docs", "plain"] {
                for row in try rows(db, "SELECT id, bm25(tsv, $1::tsquery) FROM \(table) ORDER BY id", [.text(query)]) {
                    let id = Int64(row[0])!, got = Double(row[1]) ?? -1
                    let want = try reference.score(id, query)
                    #expect(abs(got - want) < 1e-9, "\(context) \(table) row \(id) query \(query): bm25 \(got), reference \(want)")
                }
            }
        }
    }

    @Test("bm25() equals the reference BM25, with the index's statistics and without, through changes", arguments: [UInt64(1), 2])
    func scoresMatchReference(seed: UInt64) throws {
        let db = try Database.inMemory()
        try Fixture.setUp(db, count: 80, seed: seed)
        var random = SplitMix64(seed: seed &* 31)
        try Self.expectScores(db, &random, queries: 8)
        for _ in 0..<40 { try Fixture.change(db, &random, count: 80) }
        try Self.expectScores(db, &random, queries: 8, "after changes:")
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("ORDER BY bm25 DESC LIMIT k reads the index by WAND and returns the brute-force top k", arguments: [UInt64(3), 4])
    func wandMatchesBruteForce(seed: UInt64) throws {
        let db = try Database.inMemory()
        try Fixture.setUp(db, count: 300, seed: seed)
        var random = SplitMix64(seed: seed &* 97)
        for _ in 0..<30 { try Fixture.change(db, &random, count: 300) }
        let reference = try Reference(db, table: "plain")
        for _ in 0..<30 {
            let query = random.next() % 4 == 0 ? Fixture.query(&random) : Self.plainQuery(&random)
            let k = 1 + Int(random.next() % 15)
            let sql = "SELECT id, bm25(tsv, $1::tsquery) FROM docs WHERE tsv @@ $1::tsquery ORDER BY bm25(tsv, $1::tsquery) DESC LIMIT \(k)"
            let got = try rows(db, sql, [.text(query)]).map { Double($0[1])! }
            let brute = try rows(db, sql.replacingOccurrences(of: "FROM docs", with: "FROM plain"), [.text(query)]).map { Double($0[1])! }
            #expect(got.count == brute.count && zip(got, brute).allSatisfy { abs($0 - $1) < 1e-9 },
                    "query \(query) k \(k): index \(got), brute force \(brute)")
            if !query.contains(":*") && !query.contains("!") {
                let want = try reference.topK(db, query, k: k)
                #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-9 } && got.count == want.count, "query \(query): \(got) vs reference \(want)")
            }
        }
        for _ in 0..<10 {
            // Different queries in WHERE and ORDER BY (and a parameter, as a prepared statement has).
            let match = Self.plainQuery(&random), scored = Self.plainQuery(&random)
            let sql = "SELECT bm25(tsv, $2::tsquery) FROM docs WHERE tsv @@ $1::tsquery ORDER BY bm25(tsv, $2::tsquery) DESC LIMIT 7"
            let got = try rows(db, sql, [.text(match), .text(scored)]).map { Double($0[0])! }
            let brute = try rows(db, sql.replacingOccurrences(of: "FROM docs", with: "FROM plain"), [.text(match), .text(scored)]).map { Double($0[0])! }
            #expect(got.count == brute.count && zip(got, brute).allSatisfy { abs($0 - $1) < 1e-9 }, "\(match) / \(scored): \(got) vs \(brute)")
        }
        let prepared = try rows(db, "EXPLAIN SELECT id FROM docs WHERE tsv @@ $1::tsquery ORDER BY bm25(tsv, $1::tsquery) DESC LIMIT 5", [.text("fig")])
        #expect(prepared.map { $0[0] }.joined(separator: "\n").contains("Top-k: BM25"), "\(prepared)")
        let plan = try rows(db, "EXPLAIN SELECT id FROM docs WHERE tsv @@ 'fig | kiwi' ORDER BY bm25(tsv, 'fig | kiwi') DESC LIMIT 5")
            .map { $0[0] }.joined(separator: "\n")
        #expect(plan.contains("Index Scan using docs_tsv") && plan.contains("Top-k: BM25"), "\(plan)")
    }

    @Test("the statistics follow a transaction's own rows and vanish with its rollback")
    func rollback() throws {
        let db = try Database.inMemory()
        try Fixture.setUp(db, count: 30, seed: 9)
        let before = try rows(db, "SELECT id, bm25(tsv, 'fig') FROM docs ORDER BY id")
        let session = db.session()
        try session.execute("BEGIN")
        for id in 100..<110 { try session.execute("INSERT INTO docs VALUES (\(id), 'fig fig', to_tsvector('fig fig'))") }
        try session.execute("DELETE FROM docs WHERE id < 5")
        let inside = try session.execute("SELECT bm25(tsv, 'fig') FROM docs WHERE id = 100").rows
        if case .double(let score)? = inside.first?.first { #expect(score > 0) } else { Issue.record("no score inside: \(inside)") }
        try session.execute("ROLLBACK")
        #expect(try rows(db, "SELECT id, bm25(tsv, 'fig') FROM docs ORDER BY id") == before)
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("after a power loss the statistics are exact and the scores match the reference", arguments: [UInt64(5), 6])
    func crash(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 64 << 10)
        let path = "/sim/bm25.vireo"
        var db = try Database.open(path: path, options: options)
        try Fixture.setUp(db, count: 80, seed: seed)
        var random = SplitMix64(seed: seed &+ 3)
        for _ in 0..<30 { try Fixture.change(db, &random, count: 80) }
        let report = backend.crash()
        db = try Database.open(path: path, options: options)
        let integrity = try db.store.checkIntegrity()
        #expect(integrity.isSound, "\(report): \(integrity)")
        try Self.expectScores(db, &random, queries: 4, "\(report):")
        try db.close()
    }

    @Test("vireo check finds corpus statistics that disagree with the rows")
    func checkFindsWrongStatistics() throws {
        let db = try Database.inMemory()
        try Fixture.setUp(db, count: 10, seed: 2)
        try db.store.write { transaction in
            let (_, index) = try #require(transaction.catalog.index("docs_tsv"))
            try BTree(root: index.root).insert(key: InvertedIndex.corpusKey, value: [5, 7], in: transaction.pages)
        }
        let report = try db.store.checkIntegrity()
        #expect(report.problems.contains { $0.contains("corpus statistics") }, "\(report)")
    }

    @Test("bm25 needs a tsvector column and sane parameters")
    func errors() throws {
        let db = try Database.inMemory()
        try Fixture.setUp(db, count: 5, seed: 1)
        #expect(sqlError(db, "SELECT bm25(to_tsvector('a b'), 'a')")?.sqlState == "0A000")
        #expect(sqlError(db, "SELECT bm25(tsv, 'fig', -1) FROM docs")?.sqlState == "22023")
        #expect(sqlError(db, "SELECT bm25(tsv, 'fig', 1.2, 2) FROM docs")?.sqlState == "22023")
        #expect(sqlError(db, "SELECT bm25(tsv) FROM docs")?.sqlState == "42883")
        #expect(try rows(db, "SELECT bm25(tsv, NULL) FROM docs LIMIT 1") == [["NULL"]])
    }
}
