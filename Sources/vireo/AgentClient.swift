import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import VireoQuery
import VireoStorage

/// What a call to the server can end in, besides an answer.
enum AgentCallError: Error, CustomStringConvertible {
    /// No answer, or a 5xx/429: the server may be restarting; try again later.
    case unavailable(String)
    /// The node token is not (or no longer) valid: register again.
    case unauthorized(String)
    /// The server refused the call (4xx); trying again will not help.
    case refused(status: Int, detail: String)

    var description: String {
        switch self {
        case .unavailable(let message): "server unavailable: \(message)"
        case .unauthorized(let message): "unauthorized: \(message)"
        case .refused(let status, let detail): "refused (\(status)): \(detail)"
        }
    }
}

/// The agent's side of seed 003: JSON calls with the API key (registration) or the node's
/// token (everything else), and retries with exponential backoff while the server is away.
final class AgentClient: Sendable {
    static let backoffMsInitial = 250
    static let backoffMsMax = 10_000

    let baseURL: String
    let apiKey: String
    private let token = Mutex<String?>(nil)
    private let session: URLSession

    init(baseURL: String, apiKey: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
    }

    func setToken(_ value: String) { token.withLock { $0 = value } }

    /// One call; `timeoutSeconds` bounds it (long polls pass their wait plus a margin).
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil, timeoutSeconds: Double = 30) async throws -> JSONValue {
        guard let url = URL(string: baseURL + path) else { throw AgentCallError.refused(status: 0, detail: "not a URL: \(baseURL + path)") }
        var request = URLRequest(url: url, timeoutInterval: timeoutSeconds)
        request.httpMethod = method
        request.setValue(apiKey, forHTTPHeaderField: "X-API-Key")
        if let current = token.withLock({ $0 }) { request.setValue(current, forHTTPHeaderField: "X-Node-Token") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.text.utf8)
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw AgentCallError.unavailable("\(method) \(path): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let answer = (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null
        let detail = answer.field(.text("detail"))?.unquotedText ?? "HTTP \(status)"
        switch status {
        case 200..<300: return answer
        case 401: throw AgentCallError.unauthorized(detail)
        case 429, 500...: throw AgentCallError.unavailable("\(method) \(path): \(status) \(detail)")
        default: throw AgentCallError.refused(status: status, detail: detail)
        }
    }

    /// `call`, again and again with growing pauses while the server is unavailable, until
    /// it answers, refuses, or `giveUpAfterMs` has passed (nil: never). Cancellation ends it.
    func callRetrying(_ method: String, _ path: String, _ body: JSONValue? = nil, timeoutSeconds: Double = 30,
                      giveUpAfterMs: Int? = nil, onRetry: (AgentCallError) async throws -> Void = { _ in }) async throws -> JSONValue {
        let start = ContinuousClock.now
        var backoffMs = Self.backoffMsInitial
        while true {
            do {
                return try await call(method, path, body, timeoutSeconds: timeoutSeconds)
            } catch let error as AgentCallError {
                guard case .unavailable = error else { throw error }
                if let giveUpAfterMs, ContinuousClock.now - start > .milliseconds(giveUpAfterMs) { throw error }
                try await onRetry(error)
                try await Task.sleep(for: .milliseconds(Int.random(in: backoffMs / 2...backoffMs)))
                backoffMs = min(backoffMs * 2, Self.backoffMsMax)
            }
        }
    }
}

extension JSONValue {
    /// A number field as an integer.
    func int(_ key: String) -> Int? {
        if case .number(let number)? = field(.text(key)) { return Int(number) }
        return nil
    }

    func double(_ key: String) -> Double? {
        if case .number(let number)? = field(.text(key)) { return number }
        return nil
    }

    func string(_ key: String) -> String? { field(.text(key))?.unquotedText }
}
