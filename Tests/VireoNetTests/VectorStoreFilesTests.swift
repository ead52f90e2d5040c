import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VireoQuery
import VireoStorage
@testable import VireoNet

@Suite("Vector stores: files, search and background processing")
struct VectorStoreFilesTests {
    static let guide = "Machine learning is a field of artificial intelligence. Models learn patterns from data."
    static let recipe = "Bake the bread at two hundred degrees until the crust is golden brown."

    @Test("text and file uploads are processed inline (≤ 50 KB): completed, chunks, content type, attributes; GET status")
    func inlineUpload() async throws {
        try await RESTFixture().test { client in
            let id = try await client.createStore()
            let text = try await client.upload("/v1/vector_stores/\(id)/files", [.text("text", Self.guide), .text("filename", "ml.md")])
            expectStatus(text, .created)
            #expect(text["status"] == .string("completed") && text["filename"] == .string("ml.md"), "got \(text.body.text)")
            #expect(text["content_type"] == .string("text/markdown") && text["chunk_count"] == .number(1) && text["attributes"] == .null)
            #expect(text["bytes"] == .number(Double(Self.guide.utf8.count)) && text["purpose"] == .string("assistants"))
            let html = "<html><head><style>p {}</style></head><body><p>Bread &amp; butter</p><script>x()</script></body></html>"
            let file = try await client.upload("/v1/vector_stores/\(id)/files", [.file("page.html", Array(html.utf8)),
                                                                                   .text("attributes", #"{"department": "kitchen", "year": 2024}"#)])
            expectStatus(file, .created)
            #expect(file["content_type"] == .string("text/html") && file["attributes", "year"] == .number(2024), "got \(file.body.text)")
            let fileID = try #require(file["id"]?.unquotedText)
            let status = try await client.send(.get, "/v1/vector_stores/\(id)/files/\(fileID)")
            #expect(status["status"] == .string("completed") && status["id"] == .string(fileID), "got \(status.body.text)")
            let store = try await client.send(.get, "/v1/vector_stores/\(id)")
            #expect(store["file_counts", "completed"] == .number(2) && store["file_counts", "total"] == .number(2), "got \(store.body.text)")
            expectStatus(try await client.send(.get, "/v1/vector_stores/\(id)/files/nope"), .notFound)
        }
    }

    @Test("uploads refused with 400 change nothing: unsupported type, empty, invalid UTF-8, attributes not an object, both or neither of file/text")
    func uploadValidation() async throws {
        let cases: [(String, [FormField])] = [
            ("unsupported", [.file("tool.exe", [1, 2, 3])]),
            ("empty", [.file("empty.txt", [])]),
            ("blank text", [.text("text", "   \n ")]),
            ("invalid UTF-8", [.file("bad.txt", [0x66, 0xFF, 0xFE, 0x67])]),
            ("attributes array", [.text("text", "hello"), .text("attributes", "[1, 2]")]),
            ("attributes not JSON", [.text("text", "hello"), .text("attributes", "{nope")]),
            ("both", [.text("text", "hello"), .file("a.txt", Array("hi".utf8))]),
            ("neither", [.text("filename", "a.txt")]),
            ("not a PDF", [.file("fake.pdf", Array("hello".utf8))]),
            ("not a DOCX", [.file("fake.docx", Array("hello".utf8))]),
        ]
        try await RESTFixture().test { client in
            let id = try await client.createStore()
            for (name, fields) in cases {
                let answer = try await client.upload("/v1/vector_stores/\(id)/files", fields)
                expectStatus(answer, .badRequest)
                #expect(answer["error", "type"] == .string("validation_error"), "\(name): \(answer.body.text)")
            }
            let store = try await client.send(.get, "/v1/vector_stores/\(id)")
            #expect(store["file_counts", "total"] == .number(0), "nothing was stored: \(store.body.text)")
            expectStatus(try await client.upload("/v1/vector_stores/missing/files", [.text("text", "hi")]), .notFound)
        }
    }

    @Test("a file above the configured maximum is 413 file_too_large")
    func tooLarge() async throws {
        try await RESTFixture(configure: { $0.fileBytesMax = 100 }).test { client in
            let id = try await client.createStore()
            let answer = try await client.upload("/v1/vector_stores/\(id)/files", [.file("big.txt", Array(repeating: 0x61, count: 101))])
            expectStatus(answer, .contentTooLarge)
            #expect(answer["error", "type"] == .string("file_too_large") && answer["error", "code"] == .number(413), "got \(answer.body.text)")
        }
    }

    @Test("search: nearest first with scores, filters over attributes and metadata (AND), score threshold, max_results")
    func search() async throws {
        try await RESTFixture().test { client in
            let id = try await client.createStore()
            let uri = "/v1/vector_stores/\(id)/files"
            _ = try await client.upload(uri, [.text("text", Self.guide), .text("filename", "ml.txt"), .text("attributes", #"{"topic": "ai", "level": 2}"#)])
            _ = try await client.upload(uri, [.text("text", Self.recipe), .text("filename", "bread.txt"), .text("attributes", #"{"topic": "food"}"#)])
            let search = "/v1/vector_stores/\(id)/search"
            let answer = try await client.send(.post, search, #"{"query": "how do models learn from data", "max_results": 5}"#)
            let names = answer.items("data").compactMap { $0.field(.text("filename"))?.unquotedText }
            #expect(names.first == "ml.txt" && answer["search_query"] == .string("how do models learn from data"), "got \(answer.body.text)")
            let top = try #require(answer.items("data").first)
            #expect(top.field(.text("file_attributes"))?.field(.text("topic")) == .string("ai") && top.field(.text("chunk_index")) == .number(0))
            let filtered = try await client.send(.post, search, #"{"query": "models learn", "filter": {"topic": "food"}}"#)
            #expect(filtered.items("data").compactMap { $0.field(.text("filename"))?.unquotedText } == ["bread.txt"], "got \(filtered.body.text)")
            let both = try await client.send(.post, search, #"{"query": "x", "filter": {"topic": "ai", "filename": "ml.txt", "level": 2}}"#)
            #expect(both.items("data").count == 1, "attribute and metadata keys together: \(both.body.text)")
            let none = try await client.send(.post, search, #"{"query": "x", "filter": {"level": "2"}}"#)
            #expect(none.items("data").isEmpty, "2 is not \"2\": \(none.body.text)")
            // Vector ranking scores by cosine similarity, which no chunk reaches here; hybrid (the
            // default) scores 1 for a chunk first in both rankings.
            let strict = try await client.send(.post, search, #"{"query": "how do models learn from data", "score_threshold": 0.99, "ranking": "vector"}"#)
            #expect(strict.items("data").isEmpty, "got \(strict.body.text)")
            let fused = try await client.send(.post, search, #"{"query": "how do models learn from data", "score_threshold": 0.99}"#)
            #expect(fused.items("data").compactMap { $0.field(.text("filename"))?.unquotedText } == ["ml.txt"], "got \(fused.body.text)")
            let one = try await client.send(.post, search, #"{"query": "bread", "max_results": 1}"#)
            #expect(one.items("data").count == 1)
        }
    }

    @Test("hybrid ranking is hybrid_search's fusion over the store's chunks (score halved to 0…1); keyword ranking its BM25 part scaled by min-max")
    func searchFusesAsHybridSearch() async throws {
        let fixture = try RESTFixture()
        let notes = [("ml.txt", Self.guide), ("bread.txt", Self.recipe), ("rivers.txt", "Rivers carry water and data from the hills."),
                     ("mixed.txt", "Models of bread ovens learn nothing."), ("other.txt", "Violins and cellos tuned before the concert.")]
        try await fixture.test { client in
            let id = try await client.createStore()
            for (name, text) in notes { _ = try await client.upload("/v1/vector_stores/\(id)/files", [.text("text", text), .text("filename", name)]) }
            let query = "models learn from bread data", vector = Value.vector(HashingEmbedder().vector(query))
            func scores(_ ranking: String) async throws -> [String: Double] {
                let answer = try await client.send(.post, "/v1/vector_stores/\(id)/search", #"{"query": "\#(query)", "max_results": 4, "ranking": "\#(ranking)"}"#)
                return Dictionary(uniqueKeysWithValues: answer.items("data").compactMap { hit in
                    guard let name = hit.field(.text("filename"))?.unquotedText, case .number(let score)? = hit.field(.text("score")) else { return nil }
                    return (name, score)
                })
            }
            let fused = try fixture.database.execute("SELECT filename, score FROM hybrid_search('\(VectorStoreSchema.chunks)', 'content_tsv', 'embedding', $1, $2, 4)",
                                                     [.text(query), vector]).rows
            let expected = Dictionary(uniqueKeysWithValues: fused.map { ($0[0].string ?? "", (Self.number($0[1]) ?? -1) / 2) })
            let hybrid = try await scores("hybrid")
            #expect(hybrid.count == 4 && hybrid.keys.sorted() == expected.keys.sorted(), "REST \(hybrid), hybrid_search \(expected)")
            #expect(hybrid.allSatisfy { abs($0.value - (expected[$0.key] ?? -1)) < 1e-9 }, "REST \(hybrid), hybrid_search \(expected)")
            let bm25 = try fixture.database.execute("SELECT filename, bm25(content_tsv, to_tsquery('english', 'model | learn | bread | data')) FROM "
                + "\(VectorStoreSchema.chunks) WHERE content_tsv @@ to_tsquery('english', 'model | learn | bread | data')").rows
                .map { ($0[0].string ?? "", Self.number($0[1]) ?? 0) }
            let (low, high) = (bm25.map(\.1).min() ?? 0, bm25.map(\.1).max() ?? 0)
            let keyword = try await scores("keyword")
            #expect(keyword.count == min(4, bm25.count) && bm25.count >= 3, "REST \(keyword), bm25 \(bm25)")
            for (name, score) in bm25 where keyword[name] != nil {
                #expect(abs(keyword[name]! - (score - low) / (high - low)) < 1e-9, "\(name): REST \(keyword), bm25 \(bm25)")
            }
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .double(let number): number
        case .int(let number): Double(number)
        default: nil
        }
    }

    @Test("the search statement is served by the HNSW index (EXPLAIN shows a Vector Index Scan)")
    func searchUsesTheIndex() async throws {
        let fixture = try RESTFixture()
        try await fixture.vectorStores.prepare()
        let (sql, parameters) = try VectorStoreService.searchStatement(store: "s", vector: HashingEmbedder().vector("query"), limit: 5) {
            EqualityFilter.condition([("topic", .string("ai"))], &$0)
        }
        let plan = try fixture.database.execute("EXPLAIN " + sql, parameters).rows.compactMap { $0.first?.text }.joined(separator: "\n")
        #expect(plan.contains("Vector Index Scan using \(VectorStoreSchema.embeddingIndex)") && plan.contains("cosine"), "got:\n\(plan)")
        try? await fixture.executor.shutdown()
    }

    @Test("a file over 50 KB is in_progress, then completed by the worker; a job left by a dead worker is picked up again")
    func backgroundProcessing() async throws {
        let fixture = try RESTFixture()
        let big = String(repeating: "Sentences about rivers and mountains fill this long document. ", count: 1000)
        try await fixture.test { client in
            let id = try await client.createStore()
            let answer = try await client.upload("/v1/vector_stores/\(id)/files", [.file("long.txt", Array(big.utf8))])
            expectStatus(answer, .created)
            #expect(answer["status"] == .string("in_progress") && answer["chunk_count"] == .number(0), "got \(answer.body.text)")
            let fileID = try #require(answer["id"]?.unquotedText)
            // A worker claims the job and dies before finishing it.
            let claimed = try BackgroundQueue.claim(try fixture.database.session(), owner: "a-worker-that-died")
            #expect(claimed?.attempts == 1)
            try await fixture.vectorStores.worker.drain()
            let stillWaiting = try await client.send(.get, "/v1/vector_stores/\(id)/files/\(fileID)")
            #expect(stillWaiting["status"] == .string("in_progress"), "the claimed job is not this worker's: \(stillWaiting.body.text)")
            #expect(try await fixture.vectorStores.worker.requeueAbandoned() == 1)
            try await fixture.vectorStores.worker.drain()
            let done = try await client.send(.get, "/v1/vector_stores/\(id)/files/\(fileID)")
            #expect(done["status"] == .string("completed"), "got \(done.body.text)")
            let chunkCount = try #require(done["chunk_count"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } })
            #expect(chunkCount > 10, "got \(chunkCount) chunks")
            let stored = try fixture.database.execute("SELECT count(*) FROM \(VectorStoreSchema.chunks) WHERE file_id = $1", [.text(fileID)])
            #expect(stored.rows.first?.first == .int(Int64(chunkCount)))
            #expect(try BackgroundQueue.pendingCount(try fixture.database.session()) == 0)
        }
    }

    /// An embedder whose service is down.
    struct UnreachableEmbedder: Embedder {
        var name: String { "unreachable" }
        var dimension: Int { 384 }
        var maxInputTokens: Int { 256 }
        var isSemantic: Bool { true }
        func tokenCount(_ text: String) -> Int { HashingEmbedder().tokenCount(text) }
        func embed(_ texts: [String]) async throws -> [[Float]] { throw URLError(.cannotConnectToHost) }
    }

    @Test("a failing embedder is 502 embedding_service_error on upload and search, and the upload leaves nothing behind")
    func embedderDown() async throws {
        try await RESTFixture(embedder: UnreachableEmbedder()).test { client in
            let id = try await client.createStore()
            let upload = try await client.upload("/v1/vector_stores/\(id)/files", [.text("text", "hello there")])
            expectStatus(upload, .badGateway)
            #expect(upload["error", "type"] == .string("embedding_service_error") && upload["error", "code"] == .number(502), "got \(upload.body.text)")
            let search = try await client.send(.post, "/v1/vector_stores/\(id)/search", #"{"query": "hello"}"#)
            expectStatus(search, .badGateway)
            let store = try await client.send(.get, "/v1/vector_stores/\(id)")
            #expect(store["file_counts", "total"] == .number(0), "got \(store.body.text)")
        }
    }

    /// The hashing embedder under another name, as a server with another model would be.
    struct RenamedEmbedder: Embedder {
        let inner = HashingEmbedder()
        var name: String { "another-model" }
        var dimension: Int { inner.dimension }
        var maxInputTokens: Int { inner.maxInputTokens }
        var isSemantic: Bool { true }
        func tokenCount(_ text: String) -> Int { inner.tokenCount(text) }
        func embed(_ texts: [String]) async throws -> [[Float]] { try await inner.embed(texts) }
    }

    @Test("a store made by another embedder is not searched with this one (409 embedder_mismatch)")
    func embedderMismatch() async throws {
        let fixture = try RESTFixture()
        try await fixture.test { client in
            let id = try await client.createStore()
            _ = try await client.upload("/v1/vector_stores/\(id)/files", [.text("text", "words")])
            let other = VectorStoreService(engine: EngineAccess(database: fixture.database, executor: fixture.executor),
                                           embedder: RenamedEmbedder(), fileBytesMax: 1 << 20)
            await #expect(throws: RESTError.self) {
                do {
                    _ = try await other.search(store: id, queries: ["words"], limit: 1, scoreThreshold: nil) { _ in nil }
                } catch let error as RESTError {
                    #expect(error.status == .conflict && error.code == "embedder_mismatch", "got \(error)")
                    throw error
                }
            }
        }
    }

    @Test("a database that cannot serve the request now (the writer gate held past lock_timeout) is 503 database_error")
    func databaseBusy() async throws {
        let fixture = try RESTFixture()
        try fixture.database.setSessionDefault("lock_timeout", "50ms")
        try await fixture.test { client in
            let id = try await client.createStore()
            let holder = try fixture.database.session()
            // A schema change holds the writer gate until its block ends: every commit waits.
            try holder.execute("BEGIN; CREATE TABLE held_gate (x int)")
            let answer = try await client.send(.delete, "/v1/vector_stores/\(id)")
            try holder.execute("ROLLBACK")
            expectStatus(answer, .serviceUnavailable)
            #expect(answer["error", "type"] == .string("database_error") && answer["error", "code"] == .number(503), "got \(answer.body.text)")
        }
    }
}
