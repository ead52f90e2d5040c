import Foundation
import HTTPTypes
import Hummingbird

/// Refuses requests without one of the server's API keys, given as `X-API-Key: KEY` or
/// `Authorization: Bearer KEY`, or a user's access token (`Bearer`, checked by `tokens`)
/// where the server has the pipelines surface: tokens work wherever keys do. Routes declared
/// without `requiresKey` (the probes, login) pass. The caller becomes `context.principal`.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = RESTRequestContext
    static let keyHeaderName = HTTPField.Name("X-API-Key")!
    let keys: APIKeys
    /// Exact paths of the routes that need no key.
    let openPaths: Set<String>
    /// The principal of a user's access token, or nil for a bad, expired or revoked one.
    var tokens: (@Sendable (String) async -> Principal?)?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        var context = context
        guard let presented = Self.presentedKey(request.headers),
              let principal = try await Self.principal(presented, path: request.uri.path, keys: keys, tokens: tokens) else {
            var error = RESTError(.unauthorized, code: "unauthorized",
                                  "a valid API key or access token is required: send X-API-Key or Authorization: Bearer")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        context.principal = principal
        return try await next(request, context)
    }

    /// Who `presented` (a key or a user's access token) is on `path`: nil when it is neither;
    /// a 403 for a token below administrator outside the pipelines surface. REST requests and
    /// WebSocket upgrades both ask here, so they cannot disagree.
    static func principal(_ presented: String, path: String, keys: APIKeys,
                          tokens: (@Sendable (String) async -> Principal?)?) async throws -> Principal? {
        if keys.accepts(presented) { return .apiKey }
        guard let tokens, let principal = await tokens(presented) else { return nil }
        // Routes outside the pipelines surface know no roles (and /api/v1/query reaches every
        // table, the users' too): only an administrator's token passes there.
        // Webhooks (shared with seed 001) check the token's role themselves.
        guard principal.role == .admin || PipelineErrors.pathPrefixes.contains(where: { path.hasPrefix($0) })
                || path.hasPrefix(WebhookRoutes.pathPrefix) else {
            throw PipelineErrors.permissionDenied("\(path) takes an API key or an administrator's token; you are \(principal.role.rawValue)")
        }
        return principal
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let key = headers[keyHeaderName] { return key }
        guard let authorization = headers[.authorization] else { return nil }
        let prefix = "Bearer "
        guard authorization.count > prefix.count, authorization.lowercased().hasPrefix(prefix.lowercased()) else { return nil }
        return String(authorization.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
    }
}

/// CORS for the configured origins only (`*` in the list allows any): answers preflights
/// itself, before authentication (browsers send no key with them), and marks other answers
/// so the browser hands them to the page.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = RESTRequestContext
    let origins: [String]
    static let allowedHeaders = "Authorization, Content-Type, X-API-Key, X-Request-ID"
    static let preflightCacheSeconds = 600

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) || origins.contains("*") else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, PATCH, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
            response.headers[.accessControlMaxAge] = String(Self.preflightCacheSeconds)
        } else {
            response = try await next(request, context)
            response.headers[.accessControlExposeHeaders] = "X-Request-ID"
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}
