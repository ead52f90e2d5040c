import HTTPTypes
import Hummingbird
import Synchronization

/// At most `requestsPerWindowMax` requests per API key in each fixed window of
/// `windowSeconds`; more get 429 with `Retry-After`. Answers carry `X-RateLimit-Limit`,
/// `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the window ends). Keyless
/// routes (the probes) are not counted. The table holds one entry per accepted key, so it
/// is as bounded as the key list.
final class RateLimitMiddleware: RouterMiddleware, Sendable {
    typealias Context = RESTRequestContext
    static let limitHeader = HTTPField.Name("X-RateLimit-Limit")!
    static let remainingHeader = HTTPField.Name("X-RateLimit-Remaining")!
    static let resetHeader = HTTPField.Name("X-RateLimit-Reset")!
    static let windowSeconds = 60

    struct Window {
        var start: ContinuousClock.Instant
        var count: Int
    }

    let requestsPerWindowMax: Int
    let openPaths: Set<String>
    private let windows = Mutex<[String: Window]>([:])

    init(requestsPerWindowMax: Int, openPaths: Set<String>) {
        self.requestsPerWindowMax = requestsPerWindowMax
        self.openPaths = openPaths
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !openPaths.contains(request.uri.path), let key = APIKeyMiddleware.presentedKey(request.headers) else {
            return try await next(request, context)
        }
        let (count, resetSeconds) = take(key)
        let headers = headers(count: count, resetSeconds: resetSeconds)
        guard count <= requestsPerWindowMax else {
            var error = RESTError(.tooManyRequests, code: "rate_limited",
                                  "more than \(requestsPerWindowMax) requests in \(Self.windowSeconds) s; retry in \(resetSeconds) s")
            error.headers = headers
            error.headers[.retryAfter] = String(resetSeconds)
            throw error
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// Counts one request for `key`: its number in the current window and the seconds left.
    func take(_ key: String) -> (count: Int, resetSeconds: Int) {
        let now = ContinuousClock.now
        let window = Duration.seconds(Self.windowSeconds)
        return windows.withLock { windows in
            var entry = windows[key] ?? Window(start: now, count: 0)
            if now - entry.start >= window { entry = Window(start: now, count: 0) }
            entry.count += 1
            windows[key] = entry
            let left = window - (now - entry.start)
            return (entry.count, max(1, Int(left.components.seconds)))
        }
    }

    func headers(count: Int, resetSeconds: Int) -> HTTPFields {
        [Self.limitHeader: String(requestsPerWindowMax), Self.remainingHeader: String(max(0, requestsPerWindowMax - count)),
         Self.resetHeader: String(resetSeconds)]
    }
}
