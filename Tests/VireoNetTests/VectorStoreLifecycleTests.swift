import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import VireoQuery
@testable import VireoNet

@Suite("Vector stores: expiry, query rewriting, chunking on upload, and the server's own tables")
struct VectorStoreLifecycleTests {
    static let prefix = "/openai/v1"

    @Test("a store past expires_after is 'expired', refuses searches, and the sweep deletes it; others stay")
    func expiry() async throws {
        let fixture = try RESTFixture()
        try await fixture.test { client in
            let expiring = try await client.send(.post, "\(Self.prefix)/vector_stores",
                                                 #"{"name": "short-lived", "expires_after": {"anchor": "last_active_at", "days": 1}}"#)
            let id = try #require(expiring["id"]?.unquotedText, "got \(expiring.body.text)")
            let lasting = try await client.createStore("lasting", prefix: Self.prefix)
            #expect(expiring["status"] == .string("completed") && expiring["expires_at"] != .null, "got \(expiring.body.text)")
            #expect(try await fixture.vectorStores.deleteExpiredStores().isEmpty, "nothing has expired yet")
            // Two days without activity, as if the store had been left alone.
            try fixture.database.execute("UPDATE \(VectorStoreSchema.stores) SET last_active_at = last_active_at - 172800 WHERE id = $1", [.text(id)])
            let expired = try await client.send(.get, "\(Self.prefix)/vector_stores/\(id)")
            #expect(expired["status"] == .string("expired"), "got \(expired.body.text)")
            let maia = try await client.send(.get, "/v1/vector_stores/\(id)")
            #expect(maia["status"] == .string("expired"), "got \(maia.body.text)")
            let search = try await client.send(.post, "\(Self.prefix)/vector_stores/\(id)/search", #"{"query": "anything"}"#)
            expectStatus(search, .badRequest)
            #expect(search.errorCode == "vector_store_expired", "got \(search.body.text)")
            #expect(try await fixture.vectorStores.deleteExpiredStores() == [id])
            expectStatus(try await client.send(.get, "\(Self.prefix)/vector_stores/\(id)"), .notFound)
            expectStatus(try await client.send(.get, "\(Self.prefix)/vector_stores/\(lasting)"), .ok)
        }
    }

    @Test("a search keeps its store alive: last_active_at moves forward")
    func searchTouchesStore() async throws {
        let fixture = try RESTFixture()
        try await fixture.test { client in
            let id = try await client.createStore(prefix: Self.prefix)
            try fixture.database.execute("UPDATE \(VectorStoreSchema.stores) SET last_active_at = 1000 WHERE id = $1", [.text(id)])
            expectStatus(try await client.send(.post, "\(Self.prefix)/vector_stores/\(id)/search", #"{"query": "rivers"}"#), .ok)
            let store = try await client.send(.get, "\(Self.prefix)/vector_stores/\(id)")
            let lastActive = try #require(store["last_active_at"].flatMap { if case .number(let n) = $0 { n } else { nil } })
            #expect(lastActive > 1000, "got \(store.body.text)")
        }
    }

    @Test("rewrite_query drops question framing and function words; search_query shows the rewrite")
    func rewriteQuery() async throws {
        #expect(QueryRewrite.rewrite("What is the capital of France?") == "capital france")
        #expect(QueryRewrite.rewrite("Can you tell me about the ROTATION of Mars, please?") == "rotation mars")
        #expect(QueryRewrite.rewrite("How do I bake sourdough bread") == "bake sourdough bread")
        #expect(QueryRewrite.rewrite("what is it?") == "what is it?", "a query of function words alone stays as it was")
        try await RESTFixture().test { client in
            let store = try await client.createStore(prefix: Self.prefix)
            _ = try await VectorStoresOpenAITests.addFile(client, store: store, name: "mars.txt", text: "Mars rotation takes a little over a day.",
                                                          attributes: "{}")
            let rewritten = try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/search",
                                                  #"{"query": "What is the rotation of Mars?", "rewrite_query": true}"#)
            #expect(rewritten.items("search_query") == [.string("rotation mars")], "got \(rewritten.body.text)")
            #expect(rewritten.items("data").first?.field(.text("filename")) == .string("mars.txt"))
            let plain = try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/search",
                                              #"{"query": "What is the rotation of Mars?", "rewrite_query": false}"#)
            #expect(plain.items("search_query") == [.string("What is the rotation of Mars?")], "got \(plain.body.text)")
        }
    }

    @Test("a MAIA upload may carry chunking_strategy; a malformed one is a 400 naming it")
    func uploadChunking() async throws {
        let text = (0..<60).map { "Sentence \($0) is about rivers, mountains and the weather of the valley." }.joined(separator: " ")
        try await RESTFixture().test { client in
            let store = try await client.createStore()
            let auto = try await client.upload("/v1/vector_stores/\(store)/files", [.text("text", text), .text("filename", "auto.txt")])
            let small = try await client.upload("/v1/vector_stores/\(store)/files", [
                .text("text", text), .text("filename", "small.txt"),
                .text("chunking_strategy", #"{"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 0}}"#),
            ])
            expectStatus(small, .created)
            let chunks = { (answer: RESTAnswer) in answer["chunk_count"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 0 }
            #expect(chunks(small) > chunks(auto) && chunks(small) >= 6, "auto: \(auto.body.text), small: \(small.body.text)")
            for bad in [#"{"type": "static"}"#, #"{"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 60}}"#,
                        "[1]", #"{"type": "fancy"}"#] {
                let answer = try await client.upload("/v1/vector_stores/\(store)/files", [.text("text", text), .text("chunking_strategy", bad)])
                expectStatus(answer, .badRequest)
                #expect(answer["error", "message"]?.unquotedText?.contains("chunking_strategy") == true, "\(bad): got \(answer.body.text)")
            }
        }
    }

    @Test("concurrent uploads to one store all succeed: a lost write conflict is run again, not answered 409")
    func concurrentUploads() async throws {
        try await RESTFixture().test { client in
            let store = try await client.createStore()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        try await client.upload("/v1/vector_stores/\(store)/files",
                                                [.text("text", "Document \(index) is about rivers."), .text("filename", "d\(index).txt")]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .created }, "got \(statuses)")
            let counted = try await client.send(.get, "/v1/vector_stores/\(store)")
            #expect(counted["file_counts", "completed"] == .number(12), "got \(counted.body.text)")
        }
    }

    @Test("the tables surface reads the server's vireo_* tables but neither creates, changes nor drops them (403)")
    func internalTablesProtected() async throws {
        try await RESTFixture().test { client in
            _ = try await client.createStore()
            let table = VectorStoreSchema.stores
            expectStatus(try await client.send(.get, "/api/v1/tables/\(table)"), .ok)
            expectStatus(try await client.send(.get, "/api/v1/tables/\(table)/rows"), .ok)
            let refused: [RESTAnswer] = [
                try await client.send(.delete, "/api/v1/tables/\(table)"),
                try await client.send(.post, "/api/v1/tables/\(table)/rows", #"{"rows": [{"id_text": "x"}]}"#),
                try await client.send(.patch, "/api/v1/tables/\(table)/rows/1", #"{"name": "renamed"}"#),
                try await client.send(.delete, "/api/v1/tables/\(table)/rows/1"),
                try await client.send(.post, "/api/v1/tables", #"{"name": "VIREO_mine", "columns": {"a": "int"}}"#),
            ]
            for answer in refused {
                expectStatus(answer, .forbidden)
                #expect(answer.errorCode == "internal_table" && answer.body.text.contains("belongs to the server"), "got \(answer.body.text)")
            }
            let stores = try await client.send(.get, "/v1/vector_stores")
            #expect(stores.items("data").count == 1, "the store is untouched: \(stores.body.text)")
        }
    }
}
