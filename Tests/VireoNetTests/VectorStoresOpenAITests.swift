import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VireoQuery
@testable import VireoNet

@Suite("Vector stores: OpenAI-compatible surface (/openai/v1)")
struct VectorStoresOpenAITests {
    static let prefix = "/openai/v1"

    /// Uploads `text` as a file and adds it to `store` with `attributes`; returns the file id.
    static func addFile(_ client: some TestClientProtocol, store: String, name: String, text: String, attributes: String) async throws -> String {
        let upload = try await client.upload("\(prefix)/files", [.file(name, Array(text.utf8)), .text("purpose", "assistants")])
        let fileID = try #require(upload["id"]?.unquotedText, "upload: \(upload.body.text)")
        let added = try await client.send(.post, "\(prefix)/vector_stores/\(store)/files", #"{"file_id": "\#(fileID)", "attributes": \#(attributes)}"#)
        #expect(added["status"] == .string("completed"), "got \(added.body.text)")
        return fileID
    }

    @Test("filters: eq, ne, gt/gte/lt/lte on numbers and strings, in/nin, and/or nested")
    func filters() async throws {
        try await RESTFixture().test { client in
            let store = try await client.createStore(prefix: Self.prefix)
            _ = try await Self.addFile(client, store: store, name: "a.txt", text: "alpha river", attributes: #"{"kind": "a", "year": 2020, "draft": true}"#)
            _ = try await Self.addFile(client, store: store, name: "b.txt", text: "beta river", attributes: #"{"kind": "b", "year": 2022}"#)
            _ = try await Self.addFile(client, store: store, name: "c.txt", text: "gamma river", attributes: #"{"kind": "c", "year": "2024"}"#)
            let cases: [(String, Set<String>)] = [
                (#"{"key": "kind", "type": "eq", "value": "a"}"#, ["a.txt"]),
                (#"{"key": "kind", "type": "ne", "value": "a"}"#, ["b.txt", "c.txt"]),
                (#"{"key": "year", "type": "gt", "value": 2020}"#, ["b.txt"]),
                (#"{"key": "year", "type": "gte", "value": 2020}"#, ["a.txt", "b.txt"]),
                (#"{"key": "year", "type": "lt", "value": "2030"}"#, ["c.txt"]),
                (#"{"key": "kind", "type": "in", "value": ["a", "c"]}"#, ["a.txt", "c.txt"]),
                (#"{"key": "kind", "type": "nin", "value": ["a", "c"]}"#, ["b.txt"]),
                (#"{"key": "draft", "type": "eq", "value": true}"#, ["a.txt"]),
                (#"{"type": "or", "filters": [{"key": "kind", "type": "eq", "value": "c"}, {"type": "and", "filters": [{"key": "year", "type": "lte", "value": 2022}, {"key": "kind", "type": "ne", "value": "a"}]}]}"#, ["b.txt", "c.txt"]),
            ]
            for (filter, expected) in cases {
                let answer = try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/search", #"{"query": "river", "filters": \#(filter)}"#)
                let names = Set(answer.items("data").compactMap { $0.field(.text("filename"))?.unquotedText })
                #expect(names == expected, "\(filter): got \(answer.body.text)")
            }
        }
    }

    @Test("errors: OpenAI's envelope with param, 400 for bad input, 404, and x-should-retry: false where retrying cannot help")
    func errors() async throws {
        try await RESTFixture().test { client in
            let store = try await client.createStore(prefix: Self.prefix)
            let search = "\(Self.prefix)/vector_stores/\(store)/search"
            let bad: [(String, String)] = [
                (#"{"query": "x", "max_num_results": 51}"#, "max_num_results"),
                (#"{"query": ""}"#, "query"),
                (#"{"query": 5}"#, "query"),
                (#"{"query": "x", "filters": {"key": "a", "type": "near", "value": 1}}"#, "filters.type"),
                (#"{"query": "x", "filters": {"type": "and", "filters": []}}"#, "filters.filters"),
                (#"{"query": "x", "filters": {"key": "a", "type": "gt", "value": true}}"#, "filters.value"),
                (#"{"query": "x", "ranking_options": {"score_threshold": 2}}"#, "score_threshold"),
            ]
            for (body, param) in bad {
                let answer = try await client.send(.post, search, body)
                expectStatus(answer, .badRequest)
                #expect(answer["error", "param"] == .string(param) && answer["error", "type"] == .string("invalid_request_error"),
                        "\(body): got \(answer.body.text)")
                #expect(answer.headers[HTTPField.Name("x-should-retry")!] == "false")
            }
            let missing = try await client.send(.get, "\(Self.prefix)/vector_stores/nope")
            expectStatus(missing, .notFound)
            #expect(missing["error", "type"] == .string("not_found_error") && missing["error", "code"] == .string("vector_store_not_found"))
            let upload = try await client.upload("\(Self.prefix)/files", [.file("a.txt", Array("hello".utf8)), .text("purpose", "assistants")])
            let fileID = try #require(upload["id"]?.unquotedText)
            let overlap = #"{"file_id": "\#(fileID)", "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 51}}}"#
            expectStatus(try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/files", overlap), .badRequest)
            let tooSmall = #"{"file_id": "\#(fileID)", "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 99, "chunk_overlap_tokens": 0}}}"#
            expectStatus(try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/files", tooSmall), .badRequest)
            expectStatus(try await client.upload("\(Self.prefix)/files", [.file("a.exe", [1]), .text("purpose", "assistants")]), .badRequest)
            expectStatus(try await client.upload("\(Self.prefix)/files", [.file("a.txt", [65]), .text("purpose", "nonsense")]), .badRequest)
            let again = #"{"file_id": "\#(fileID)"}"#
            expectStatus(try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/files", again), .ok)
            let duplicate = try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/files", again)
            expectStatus(duplicate, .conflict)
            #expect(duplicate.headers[HTTPField.Name("x-should-retry")!] == "false", "a 409 the SDK would retry forever")
        }
    }

    @Test("a batch of a large file is in progress (with a poll hint), counts reach 0 in progress after the worker; cancel marks the rest cancelled")
    func batches() async throws {
        let fixture = try RESTFixture()
        try await fixture.test { client in
            let store = try await client.createStore(prefix: Self.prefix)
            let big = String(repeating: "Tides follow the moon across the wide bay. ", count: 1400)
            var ids: [String] = []
            for name in ["big-1.txt", "big-2.txt"] {
                let upload = try await client.upload("\(Self.prefix)/files", [.file(name, Array(big.utf8)), .text("purpose", "assistants")])
                ids.append(try #require(upload["id"]?.unquotedText))
            }
            let created = try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/file_batches", #"{"file_ids": ["\#(ids[0])"]}"#)
            #expect(created["status"] == .string("in_progress") && created["file_counts", "in_progress"] == .number(1), "got \(created.body.text)")
            #expect(created.headers[HTTPField.Name("openai-poll-after-ms")!] != nil)
            let batchID = try #require(created["id"]?.unquotedText)
            try await fixture.vectorStores.worker.drain()
            let done = try await client.send(.get, "\(Self.prefix)/vector_stores/\(store)/file_batches/\(batchID)")
            #expect(done["status"] == .string("completed") && done["file_counts", "completed"] == .number(1), "got \(done.body.text)")
            let second = try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/file_batches", #"{"files": [{"file_id": "\#(ids[1])", "attributes": {"k": 1}}]}"#)
            let secondID = try #require(second["id"]?.unquotedText)
            let cancelled = try await client.send(.post, "\(Self.prefix)/vector_stores/\(store)/file_batches/\(secondID)/cancel")
            #expect(cancelled["status"] == .string("cancelled") && cancelled["file_counts", "cancelled"] == .number(1), "got \(cancelled.body.text)")
            try await fixture.vectorStores.worker.drain()
            let file = try await client.send(.get, "\(Self.prefix)/vector_stores/\(store)/files/\(ids[1])")
            #expect(file["status"] == .string("cancelled"), "the worker leaves a cancelled file alone: \(file.body.text)")
            let listed = try await client.send(.get, "\(Self.prefix)/vector_stores/\(store)/files?filter=cancelled")
            #expect(listed.items("data").count == 1)
        }
    }
}
