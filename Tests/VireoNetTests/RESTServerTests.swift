import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOPosix
import Testing
import VireoQuery
import VireoStorage
@testable import VireoNet

@Suite("REST server: probes, keys, envelope, limits")
struct RESTServerTests {
    @Test("/health and /ready answer without a key; /health carries version and database state")
    func probesNeedNoKey() async throws {
        try await RESTFixture().test { client in
            let health = try await client.send(.get, "/health", key: nil)
            expectStatus(health, .ok)
            #expect(health["status"] == .string("ok") && health["version"] == .string(VireoVersion.text), "got \(health.body.text)")
            #expect(health["database", "status"] == .string("ok") && health["database", "detail"] == .null, "got \(health.body.text)")
            expectStatus(try await client.send(.get, "/ready", key: nil), .ok)
            let head = try await client.execute(uri: "/health", method: .head)
            #expect(head.status == .ok && head.body.readableBytes == 0, "HEAD: expected 200 without a body, got \(head.status.code)")
        }
    }

    @Test("a closed database makes /health degraded (503) and /ready 503")
    func closedDatabaseIsDegraded() async throws {
        let fixture = try RESTFixture()
        try fixture.database.close()
        try await fixture.test { client in
            let health = try await client.send(.get, "/health", key: nil)
            expectStatus(health, .serviceUnavailable)
            #expect(health["status"] == .string("degraded") && health["database", "status"] == .string("error"), "got \(health.body.text)")
            #expect(health["database", "detail"]?.unquotedText != nil, "the detail says why")
            expectStatus(try await client.send(.get, "/ready", key: nil), .serviceUnavailable)
        }
    }

    @Test("once the engine pool has stopped, routes answer 503 engine_unavailable in the envelope")
    func stoppedPool() async throws {
        let fixture = try RESTFixture()
        try await fixture.executor.shutdown()
        try await fixture.test { client in
            let answer = try await client.send(.get, "/api/v1/tables")
            expectStatus(answer, .serviceUnavailable)
            #expect(answer.errorCode == "engine_unavailable", "got \(answer.body.text)")
        }
    }

    @Test("without a valid key: 401 in the envelope; X-API-Key and Bearer are both accepted")
    func keysAreRequired() async throws {
        try await RESTFixture().test { client in
            let missing = try await client.send(.get, "/api/v1/tables", key: nil)
            expectStatus(missing, .unauthorized)
            #expect(missing.errorCode == "unauthorized", "got \(missing.body.text)")
            expectStatus(try await client.send(.get, "/api/v1/tables", key: "wrong"), .unauthorized)
            expectStatus(try await client.send(.get, "/api/v1/tables"), .ok)
            let bearer = try await client.send(.get, "/api/v1/tables", key: nil, headers: [.authorization: "Bearer \(RESTFixture.key)"])
            expectStatus(bearer, .ok)
            expectStatus(try await client.send(.get, "/api/v1/nowhere", key: nil), .unauthorized)
        }
    }

    @Test("every answer carries X-Request-ID: the client's when usable, else a new one, also in the envelope")
    func requestIDs() async throws {
        let header = HTTPField.Name("X-Request-ID")!
        try await RESTFixture().test { client in
            let echoed = try await client.send(.get, "/api/v1/tables/missing", headers: [header: "abc-123"])
            #expect(echoed.headers[header] == "abc-123", "got \(echoed.headers[header] ?? "none")")
            #expect(echoed["request_id"] == .string("abc-123"), "got \(echoed.body.text)")
            let generated = try await client.send(.get, "/health", key: nil, headers: [header: "bad id\n"])
            #expect(generated.headers[header].map { $0.count == 36 } == true, "got \(generated.headers[header] ?? "none")")
        }
    }

    @Test("unknown paths are 404 and known paths with another method 405 with Allow, both in the envelope")
    func notFoundAndWrongMethod() async throws {
        try await RESTFixture().test { client in
            let missing = try await client.send(.get, "/api/v1/nowhere")
            expectStatus(missing, .notFound)
            #expect(missing.errorCode == "not_found" && missing["detail"] != nil, "got \(missing.body.text)")
            let wrong = try await client.send(.put, "/api/v1/tables/t")
            expectStatus(wrong, .methodNotAllowed)
            #expect(wrong.headers[.allow] == "GET, DELETE", "got \(wrong.headers[.allow] ?? "none")")
        }
    }

    @Test("malformed JSON is 400, an empty body 422, a body over the limit 413")
    func badBodies() async throws {
        try await RESTFixture { $0.requestBodyBytesMax = 64 }.test { client in
            let malformed = try await client.send(.post, "/api/v1/tables", "{\"name\": ")
            expectStatus(malformed, .badRequest)
            #expect(malformed.errorCode == "malformed_json", "got \(malformed.body.text)")
            let empty = try await client.send(.post, "/api/v1/tables", "")
            expectStatus(empty, .unprocessableContent)
            #expect(empty.errorField == "body", "got \(empty.body.text)")
            let large = try await client.send(.post, "/api/v1/tables", "{\"name\": \"" + String(repeating: "x", count: 100) + "\"}")
            expectStatus(large, .contentTooLarge)
            #expect(large.errorCode == "body_too_large", "got \(large.body.text)")
        }
    }

    @Test("CORS: an allowed origin's preflight is answered before auth; other origins get no CORS headers")
    func cors() async throws {
        try await RESTFixture { $0.corsOrigins = ["https://app.example"] }.test { client in
            let preflight = try await client.send(.options, "/api/v1/tables", key: nil,
                                                  headers: [.origin: "https://app.example", .accessControlRequestMethod: "POST"])
            expectStatus(preflight, .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example")
            let allowed = try await client.send(.get, "/api/v1/tables", headers: [.origin: "https://app.example"])
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://app.example")
            let other = try await client.send(.get, "/api/v1/tables", headers: [.origin: "https://evil.example"])
            #expect(other.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("past the per-key rate limit: 429 with Retry-After; answers carry X-RateLimit-*; probes are not counted")
    func rateLimit() async throws {
        let remaining = HTTPField.Name("X-RateLimit-Remaining")!
        try await RESTFixture { $0.requestsPerMinuteMax = 2 }.test { client in
            let start = ContinuousClock.now
            let first = try await client.send(.get, "/api/v1/tables")
            #expect(first.headers[remaining] == "1", "got \(first.headers[remaining] ?? "none")")
            expectStatus(try await client.send(.get, "/health", key: nil), .ok)
            expectStatus(try await client.send(.get, "/api/v1/tables"), .ok)
            let limited = try await client.send(.get, "/api/v1/tables")
            // Two a minute refill one every 30 s: a machine so loaded that these four requests
            // took longer has earned the third one back, and there is nothing to check.
            guard ContinuousClock.now - start < .seconds(25) else { return }
            expectStatus(limited, .tooManyRequests)
            #expect(limited.errorCode == "rate_limited" && limited.headers[.retryAfter].flatMap { Int($0) }.map { $0 > 0 } == true,
                    "got \(limited.body.text), Retry-After \(limited.headers[.retryAfter] ?? "none")")
        }
    }

    @Test("engine error codes map to 4xx when the client can fix the request and 5xx only for server faults")
    func statusMapping() {
        // A statement cancelled by a server timeout, like a writer that could not get the lock, may succeed later: 503.
        let serverFaults: Set<VireoError.Code> = [.readOnly, .lockNotAvailable, .ioError, .diskFull, .corruption, .internalError,
                                                  .queryCanceled, .idleInTransactionTimeout]
        for code in VireoError.Code.allCases {
            let status = RESTError.status(of: code).code
            let expected = serverFaults.contains(code) ? 500..<600 : 400..<500
            #expect(expected.contains(status), "\(code.rawValue): expected \(expected), got \(status)")
        }
        #expect(RESTError.status(of: .undefinedTable) == .notFound && RESTError.status(of: .uniqueViolation) == .conflict)
    }

    @Test("a route's plan runs on the engine pool, never on an event loop")
    func plansRunOnThePool() async throws {
        let probe = RouteDeclaration(.get, "/probe", summary: "where plans run", response: .any) { _, _ in
            // Linux names each thread in /proc; NIOThreadPool calls its threads "TP-#n".
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            let onEventLoop = MultiThreadedEventLoopGroup.currentEventLoop != nil
            return RouteOutput(.fields(("thread", .string(name)), ("event_loop", .bool(onEventLoop))))
        }
        try await RESTFixture().test([probe]) { client in
            let answer = try await client.send(.get, "/probe")
            #expect(answer["thread"]?.unquotedText?.hasPrefix("TP-#") == true, "expected a thread-pool thread, got \(answer.body.text)")
            #expect(answer["event_loop"] == .bool(false), "got \(answer.body.text)")
        }
    }
}
