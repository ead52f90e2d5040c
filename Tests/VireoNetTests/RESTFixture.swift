import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import VireoQuery
@testable import VireoNet

/// A REST application over an in-memory database, tested in-process (no sockets).
struct RESTFixture {
    static let key = "test-key"
    let database: Database
    let executor = EngineExecutor(threadCount: 2)
    var configuration = ServerConfiguration()
    /// Vector stores with the hashing embedder; its worker runs only when a test drains it.
    let vectorStores: VectorStoreService

    init(embedder: any Embedder = HashingEmbedder(), configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        database = try Database.inMemory()
        configuration.apiKeys = [Self.key]
        configure(&configuration)
        vectorStores = VectorStoreService(engine: EngineAccess(database: database, executor: executor), embedder: embedder,
                                          fileBytesMax: configuration.fileBytesMax)
    }

    /// Runs `body` against the application, then stops the engine pool.
    func test(_ routes: [RouteDeclaration] = RESTRoutes.all, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = makeRESTRouter(routes: routes, engine: RESTEngine(database: database, executor: executor, vectorStores: vectorStores),
                                    keys: APIKeys(configuration.apiKeys), configuration: configuration)
        let app = Application(router: router, logger: Logger(label: "vireo-rest-test"))
        try await app.test(.router, body)
        try? await executor.shutdown()
    }
}

/// An answer, its body parsed.
struct RESTAnswer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: JSONValue

    /// `body.a.b` by keys, nil when absent.
    subscript(_ path: String...) -> JSONValue? {
        path.reduce(Optional(body)) { value, key in value?.field(.text(key)) }
    }

    /// The envelope's error field, for 4xx answers.
    var errorField: String? { self["error", "field"]?.unquotedText }
    var errorCode: String? { self["error", "code"]?.unquotedText }
}

extension TestClientProtocol {
    /// Sends a request with the test key (unless `key` is nil) and a JSON body given as text.
    func send(_ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil, key: String? = RESTFixture.key,
              headers: HTTPFields = [:]) async throws -> RESTAnswer {
        var headers = headers
        if let key { headers[HTTPField.Name("X-API-Key")!] = key }
        if json != nil { headers[.contentType] = "application/json" }
        let response = try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        let text = String(buffer: response.body)
        let body = text.isEmpty ? JSONValue.null : try JSONValue.parse(text)
        return RESTAnswer(status: response.status, headers: response.headers, body: body)
    }
}

/// Checks the status, printing the body when it differs.
func expectStatus(_ answer: RESTAnswer, _ expected: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(answer.status == expected, "expected \(expected.code), got \(answer.status.code): \(answer.body.text)", sourceLocation: sourceLocation)
}
