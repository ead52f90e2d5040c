import ArgumentParser
import Foundation
import VireoQuery
import VireoStorage

/// `vireo bench fts`: the engine side of Benchmarks/fts (run.py drives it). Loads a corpus
/// into a file database, builds the gin index, answers the judged queries by BM25 (and, with
/// a MiniLM model directory, by vector and hybrid search), times top-10 BM25 queries, and
/// writes everything as JSON for run.py to score beside its peers.
struct BenchFTS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fts", abstract: "Full-text search benchmark: build, BM25/vector/hybrid rankings, top-10 QPS (see Benchmarks/fts).")

    @Option(help: "corpus.json from Benchmarks/fts/build_corpus.py") var corpus: String
    @Option(help: "Where to write the results JSON.") var output: String
    @Option(help: "Directory of all-MiniLM-L6-v2 (vector and hybrid rankings); none skips them.") var modelDirectory: String?
    @Option(help: "Where the benchmark database goes (deleted first).") var database: String = "/tmp/vireo-bench-fts.vireo"
    @Option(help: "Timed passes over the speed queries; the best counts.") var rounds: Int = 3
    @Option(help: "A file of document vectors kept between runs (made if missing; a text not in it is embedded).")
    var embeddingCache: String?

    struct Corpus: Decodable {
        struct Document: Decodable { var id: Int; var text: String }
        struct Query: Decodable { var id: Int; var text: String }
        var documents: [Document]
        var queries: [Query]
        var speedQueries: [String]
        enum CodingKeys: String, CodingKey { case documents, queries, speedQueries = "speed_queries" }
    }

    static let anyWord = "CAST(replace(CAST(plainto_tsquery('english', $1) AS text), '&', '|') AS tsquery)"
    static let topKeyword = "SELECT id FROM docs WHERE tsv @@ \(anyWord) ORDER BY bm25(tsv, \(anyWord)) DESC LIMIT "
    /// The judged queries' keyword ranking, with each row's score (run.py tries fusions on them).
    static let topKeywordScored = "SELECT id, bm25(tsv, \(anyWord)) FROM docs WHERE tsv @@ \(anyWord) ORDER BY 2 DESC LIMIT 100"

    func run() throws {
        let corpus = try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: URL(fileURLWithPath: self.corpus)))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        var results: [String: Any] = ["documents": corpus.documents.count, "queries": corpus.queries.count]
        let vectors = try embedDocuments(corpus)
        results.merge(try load(corpus, vectors: vectors)) { $1 }
        let db = try Database.open(path: database)
        results["bm25"] = try rankings(db, corpus, sql: Self.topKeywordScored) { [.text($0.text)] }
        if let vectors {
            let queryVectors = try embed(corpus.queries.map(\.text))
            results["vector"] = try rankings(db, corpus, sql: "SELECT id, 1 - (emb <=> $1) FROM docs ORDER BY emb <=> $1 LIMIT 100") { query in
                [.vector(queryVectors[query.offset])]
            }
            results["hybrid"] = try rankings(db, corpus, sql: "SELECT id FROM hybrid_search('docs', 'tsv', 'emb', $1, $2, 100)") { query in
                [.text(query.text), .vector(queryVectors[query.offset])]
            }
        }
        results["top10_qps"] = try speed(db, corpus.speedQueries)
        results["lexemes"] = try lexemes(db)
        try db.close()
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: output))
        print("wrote \(output)")
    }

    /// The table, then the gin index (timed on its own), with the file's size before and after.
    private func load(_ corpus: Corpus, vectors: [[Float]]?) throws -> [String: Any] {
        var db = try Database.open(path: database)
        let vectorColumn = vectors.map { ", emb vector(\($0.first?.count ?? 384))" } ?? ""
        try db.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED\(vectorColumn))")
        let loadStart = Date()
        try db.transaction { session in
            for (position, document) in corpus.documents.enumerated() {
                if let vectors {
                    _ = try session.execute("INSERT INTO docs (id, body, emb) VALUES ($1, $2, $3)", [.int(Int64(document.id)), .text(document.text), .vector(vectors[position])])
                } else {
                    _ = try session.execute("INSERT INTO docs (id, body) VALUES ($1, $2)", [.int(Int64(document.id)), .text(document.text)])
                }
            }
        }
        let loadSeconds = Date().timeIntervalSince(loadStart)
        try db.close()
        let before = try fileSize()
        db = try Database.open(path: database)
        let indexStart = Date()
        try db.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
        let indexSeconds = Date().timeIntervalSince(indexStart)
        try db.close()
        let after = try fileSize()
        print(String(format: "loaded %d documents in %.1f s; gin index built in %.1f s, %.1f MB", corpus.documents.count, loadSeconds,
                     indexSeconds, Double(after - before) / 1e6))
        return ["load_seconds": loadSeconds, "index_seconds": indexSeconds, "index_bytes": after - before, "database_bytes": after]
    }

    private func fileSize() throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: database)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Each query's ranked ids under "ids", and under "scores" the second column when there is one.
    private func rankings(_ db: Database, _ corpus: Corpus, sql: String,
                          _ parameters: ((offset: Int, text: String)) throws -> [Value]) throws -> [String: Any] {
        var ranked: [String: [Int]] = [:], scores: [String: [Double]] = [:]
        let statement = try db.prepare(sql)
        for (offset, query) in corpus.queries.enumerated() {
            let rows = try statement.execute(try parameters((offset, query.text))).rows
            ranked[String(query.id)] = rows.compactMap { if case .int(let id) = $0.first { Int(id) } else { nil } }
            scores[String(query.id)] = rows.compactMap { row in row.count > 1 ? Self.number(row[1]) : nil }
        }
        return scores.values.contains { !$0.isEmpty } ? ["ids": ranked, "scores": scores] : ["ids": ranked]
    }

    private static func number(_ value: Value) -> Double? {
        switch value {
        case .double(let number): number
        case .int(let number): Double(number)
        default: nil
        }
    }

    /// Top-10 BM25 queries per second, single thread, best of `rounds` passes.
    private func speed(_ db: Database, _ queries: [String]) throws -> Double {
        let statement = try db.prepare(Self.topKeyword + "10")
        if let first = queries.first {
            // The plan, to show that the top 10 come from the index (WAND), not a scan.
            let plan = try db.execute("EXPLAIN ANALYZE " + Self.topKeyword + "10", [.text(first)]).rows.compactMap { $0.first?.text }
            print(plan.joined(separator: "\n"))
        }
        for query in queries { _ = try statement.execute([.text(query)]) }
        var best = 0.0
        for _ in 0..<rounds {
            let start = Date()
            for query in queries { _ = try statement.execute([.text(query)]) }
            best = max(best, Double(queries.count) / Date().timeIntervalSince(start))
        }
        print(String(format: "top-10 BM25: %.0f queries/s over %d queries", best, queries.count))
        return best
    }

    /// Every document's lexemes with their counts, for the rank_bm25 reference.
    private func lexemes(_ db: Database) throws -> [String: [String: Int]] {
        var documents: [String: [String: Int]] = [:]
        for row in try db.execute("SELECT id, tsv FROM docs").rows {
            guard case .int(let id) = row[0], case .text(let text) = row[1] else { continue }
            let vector = try TSVector(parsing: text)
            documents[String(id)] = Dictionary(uniqueKeysWithValues: vector.entries.map { ($0.lexeme, max($0.positions.count, 1)) })
        }
        return documents
    }

    private func embedDocuments(_ corpus: Corpus) throws -> [[Float]]? {
        guard modelDirectory != nil else { return nil }
        let start = Date()
        var cache = embeddingCache.map { EmbeddingCache(path: $0) } ?? EmbeddingCache()
        let missing = Array(Set(corpus.documents.map(\.text).filter { cache.vectors[$0] == nil }))
        for (text, vector) in zip(missing, try embed(missing)) { cache.vectors[text] = vector }
        if let embeddingCache, !missing.isEmpty { try cache.write(path: embeddingCache) }
        print(String(format: "embedded %d documents (%d from the cache) in %.0f s", corpus.documents.count,
                     corpus.documents.count - missing.count, Date().timeIntervalSince(start)))
        return corpus.documents.map { cache.vectors[$0.text] ?? [] }
    }

    private func embed(_ texts: [String]) throws -> [[Float]] {
        guard let modelDirectory else { return [] }
        let embedder = try MiniLMEmbedder(directory: URL(fileURLWithPath: modelDirectory))
        let box = ResultBox()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            do {
                var vectors: [[Float]] = []
                for start in stride(from: 0, to: texts.count, by: 64) {
                    vectors += try await embedder.embed(Array(texts[start..<min(start + 64, texts.count)]))
                }
                box.result = .success(vectors)
            } catch {
                box.result = .failure(error)
            }
            semaphore.signal()
        }
        semaphore.wait()
        return try box.result!.get()
    }
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<[[Float]], Error>?
}
