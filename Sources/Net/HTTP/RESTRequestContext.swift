import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Hummingbird's per-request context plus the request id every answer and log line carries.
public struct RESTRequestContext: RequestContext {
    /// Hummingbird's own per-request state (logger, path parameters).
    public var coreContext: CoreRequestContextStorage
    /// From the client's `X-Request-ID` when it sent a usable one, else generated.
    public var requestID = ""
    /// Who the request is from, set by the access middleware (nil on keyless routes).
    public var principal: Principal?

    /// A context for a request arriving from `source`; the id is set by the first middleware.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// Gives each request its id (echoed or generated), puts it on the logger and on the answer,
/// and logs one line per request: method, path, status and time, never the query string
/// or the body (they hold data).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = RESTRequestContext
    static let headerName = HTTPField.Name("X-Request-ID")!
    /// Longer client ids are replaced, so logs stay bounded.
    static let requestIDBytesMax = 128
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(from: request.headers[Self.headerName])
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let start = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[Self.headerName] = context.requestID
        let elapsedMs = (ContinuousClock.now - start) / .milliseconds(1)
        metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: "\(request.method)",
                              status: Int(response.status.code), seconds: elapsedMs / 1000)
        context.logger.info("\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", elapsedMs)) ms")
        return response
    }

    /// The client's id when it is short and plain (letters, digits, `-_.:`), else a new UUID.
    static func requestID(from header: String?) -> String {
        if let header, !header.isEmpty, header.utf8.count <= requestIDBytesMax,
           header.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.:".unicodeScalars.contains($0)) }) {
            return header
        }
        return UUID().uuidString.lowercased()
    }
}
