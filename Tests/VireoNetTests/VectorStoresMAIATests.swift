import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VireoQuery
@testable import VireoNet

@Suite("Vector stores: MAIA surface (seed 004)")
struct VectorStoresMAIATests {
    @Test("create (201), retrieve, list with limit/offset/order/has_more, delete (cascading), then 404")
    func storeLifecycle() async throws {
        let fixture = try RESTFixture()
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/vector_stores", #"{"name": "first", "metadata": {"project": "demo"}}"#)
            expectStatus(created, .created)
            #expect(created["object"] == .string("vector_store") && created["status"] == .string("completed"), "got \(created.body.text)")
            #expect(created["file_counts", "total"] == .number(0) && created["metadata", "project"] == .string("demo"), "got \(created.body.text)")
            let first = try #require(created["id"]?.unquotedText)
            let second = try await client.createStore("second")
            let third = try await client.createStore("third")
            let page = try await client.send(.get, "/v1/vector_stores?limit=2")
            #expect(page.items("data").compactMap { $0.field(.text("id"))?.unquotedText } == [third, second], "newest first: \(page.body.text)")
            #expect(page["has_more"] == .bool(true) && page["first_id"] == .string(third) && page["last_id"] == .string(second))
            let rest = try await client.send(.get, "/v1/vector_stores?limit=2&offset=2")
            #expect(rest.items("data").count == 1 && rest["has_more"] == .bool(false), "got \(rest.body.text)")
            let ascending = try await client.send(.get, "/v1/vector_stores?order=asc&limit=1")
            #expect(ascending["first_id"] == .string(first), "got \(ascending.body.text)")
            expectStatus(try await client.upload("/v1/vector_stores/\(first)/files", [.text("text", "some words to keep")]), .created)
            let deleted = try await client.send(.delete, "/v1/vector_stores/\(first)")
            #expect(deleted.body == .fields(("id", .string(first)), ("object", .string("vector_store.deleted")), ("deleted", .bool(true))))
            let gone = try await client.send(.get, "/v1/vector_stores/\(first)")
            expectStatus(gone, .notFound)
            #expect(gone["error", "type"] == .string("not_found") && gone["error", "code"] == .number(404), "got \(gone.body.text)")
            expectStatus(try await client.send(.delete, "/v1/vector_stores/\(first)"), .notFound)
            for table in [VectorStoreSchema.chunks, VectorStoreSchema.storeFiles] {
                let left = try fixture.database.execute("SELECT count(*) FROM \(table) WHERE store_id = $1", [.text(first)])
                #expect(left.rows.first?.first == .int(0), "\(table) keeps rows of the deleted store")
            }
        }
    }

    @Test("list and search parameters out of range are 400 in the seed's envelope")
    func parameterValidation() async throws {
        try await RESTFixture().test { client in
            let id = try await client.createStore()
            for uri in ["/v1/vector_stores?limit=0", "/v1/vector_stores?limit=101", "/v1/vector_stores?offset=-1", "/v1/vector_stores?order=up"] {
                let answer = try await client.send(.get, uri)
                expectStatus(answer, .badRequest)
                #expect(answer["error", "type"] == .string("validation_error") && answer["error", "code"] == .number(400), "\(uri): \(answer.body.text)")
            }
            for body in [#"{"query": "x", "max_results": 0}"#, #"{"query": "x", "max_results": 101}"#, #"{"max_results": 5}"#,
                         #"{"query": "x", "score_threshold": 1.5}"#, #"{"query": "x", "filter": [1]}"#, #"{"query": "  "}"#] {
                expectStatus(try await client.send(.post, "/v1/vector_stores/\(id)/search", body), .badRequest)
            }
            let missing = try await client.send(.post, "/v1/vector_stores/no-such-store/search", #"{"query": "x"}"#)
            expectStatus(missing, .notFound)
        }
    }

    @Test("API key: missing or wrong is 401 with type http_error")
    func authentication() async throws {
        try await RESTFixture().test { client in
            let answer = try await client.send(.get, "/v1/vector_stores", key: nil)
            expectStatus(answer, .unauthorized)
            #expect(answer["error", "type"] == .string("http_error") && answer["error", "code"] == .number(401), "got \(answer.body.text)")
            expectStatus(try await client.send(.get, "/v1/vector_stores", key: "wrong"), .unauthorized)
        }
    }
}
