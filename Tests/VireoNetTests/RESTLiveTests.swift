import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VireoQuery
@testable import VireoNet

@Suite("REST server over a socket")
struct RESTLiveTests {
    @Test("makeHTTPApplication binds, answers probes, refuses keyless requests and large bodies (413), and serves /docs and /openapi.json for every route")
    func entryPointServes() async throws {
        let database = try Database.inMemory()
        let executor = EngineExecutor(threadCount: 2)
        var configuration = ServerConfiguration()
        configuration.httpPort = 0
        configuration.requestBodyBytesMax = 1024
        let app = try makeHTTPApplication(database: database, executor: executor, keys: APIKeys([RESTFixture.key]),
                                      configuration: configuration, logger: Logger(label: "vireo-rest-live-test"),
                                      vectorStores: VectorStoreService(engine: EngineAccess(database: database, executor: executor),
                                                                       embedder: HashingEmbedder(), fileBytesMax: configuration.fileBytesMax))
        try await app.test(.live) { client in
            expectStatus(try await client.send(.get, "/health", key: nil), .ok)
            expectStatus(try await client.send(.get, "/api/v1/tables", key: nil), .unauthorized)
            let large = try await client.send(.post, "/api/v1/query", "{\"sql\": \"" + String(repeating: "x", count: 4096) + "\"}")
            expectStatus(large, .contentTooLarge)
            let docs = try await client.execute(uri: "/docs", method: .get)
            #expect(docs.status == .ok && String(buffer: docs.body).contains("/openapi.json"), "expected the docs page, got \(docs.status.code)")
            let document = try await client.send(.get, "/openapi.json", key: nil)
            expectStatus(document, .ok)
            #expect(document["openapi"] == .string("3.1.0"), "got \(document["openapi"]?.text ?? "nothing")")
            for route in RESTRoutes.all {
                let operation = document["paths", route.path, route.method.rawValue.lowercased()]
                #expect(operation?.field(.text("responses")) != nil, "expected \(route.method) \(route.path) in the document")
            }
        }
        try await executor.shutdown()
    }
}
