import Hummingbird
import VireoStorage

/// Turns every error into the envelope with the right status: engine errors through
/// `RESTError.init(VireoError)`, Hummingbird's (413, 404) as themselves, a known path with
/// an unknown method as 405 with `Allow`, anything else as a logged 500.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    typealias Context = RESTRequestContext
    let routes: [RouteDeclaration]
    /// The surfaces' envelopes, chosen by the request's path.
    let formats: [ErrorFormat]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let restError = envelopeError(error, request, context)
            let (status, body, headers) = ErrorFormat.of(path: request.uri.path, request: request, in: formats).render(restError, context.requestID)
            return JSONResponse.make(body, status: status, headers: headers)
        }
    }

    func envelopeError(_ error: any Error, _ request: Request, _ context: Context) -> RESTError {
        switch error {
        case let error as RESTError: return error
        case let error as VireoError:
            if RESTError.status(of: error.code).code >= 500 { context.logger.error("engine error: \(error)") }
            return RESTError(error)
        case let error as HTTPError where error.status == .notFound: return notFoundOrWrongMethod(request)
        case let error as HTTPError: return RESTError(error)
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return RESTError(.contentTooLarge, code: "body_too_large", "the request body is larger than the server accepts")
        case let error as any HTTPResponseError: return RESTError(error.status, code: "http_error", error.status.reasonPhrase)
        default:
            context.logger.error("unexpected error: \(error)")
            return RESTError(.internalServerError, code: "internal_error", "the server failed to answer; the request id is in the logs")
        }
    }

    /// 405 when some route has this path with another method, else 404.
    func notFoundOrWrongMethod(_ request: Request) -> RESTError {
        let methods = routes.filter { $0.matches(path: request.uri.path) }.map(\.method.rawValue)
        guard !methods.isEmpty else { return .notFound("no route for \(request.method) \(request.uri.path)") }
        var error = RESTError(.methodNotAllowed, code: "method_not_allowed",
                              "\(request.method) is not allowed here; use \(methods.joined(separator: ", "))")
        error.headers[.allow] = methods.joined(separator: ", ")
        return error
    }
}
