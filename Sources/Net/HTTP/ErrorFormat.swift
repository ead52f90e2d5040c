import Hummingbird
import VireoQuery

/// How one REST surface writes its errors: each seed document has its own envelope, so an
/// error is raised once as a `RESTError` and written in the shape of the surface whose
/// path it was raised under.
public struct ErrorFormat: Sendable {
    /// Paths starting with this belong to the surface (`/v1/`, `/openai/v1/`).
    public var pathPrefix: String
    /// The envelope's JSON Schema, for the OpenAPI document.
    public var schema: Schema
    /// The answer's status, body and extra headers for `error`.
    public var render: @Sendable (RESTError, _ requestID: String) -> (HTTPResponse.Status, JSONValue, HTTPFields)
    /// Where two seeds share a path: whether this format answers `request` (nil: every request).
    var applies: (@Sendable (Request) -> Bool)?

    public init(pathPrefix: String, schema: Schema,
                render: @escaping @Sendable (RESTError, String) -> (HTTPResponse.Status, JSONValue, HTTPFields)) {
        self.pathPrefix = pathPrefix
        self.schema = schema
        self.render = render
    }

    init(pathPrefix: String, schema: Schema, applies: @escaping @Sendable (Request) -> Bool,
         render: @escaping @Sendable (RESTError, String) -> (HTTPResponse.Status, JSONValue, HTTPFields)) {
        self.init(pathPrefix: pathPrefix, schema: schema, render: render)
        self.applies = applies
    }

    /// Vireo's own envelope, for the tables surface and every path no other format claims.
    static let vireo = ErrorFormat(pathPrefix: "/", schema: OpenAPIDocument.errorSchema) { error, requestID in
        (error.status, error.body(requestID: requestID), error.headers)
    }

    /// Every surface's format, most specific prefix first.
    static let all: [ErrorFormat] = [OpenAIErrors.format, MAIAErrors.format] + PipelineErrors.formats + JobsErrors.formats
        + [WebhookRoutes.seed001Errors] + PIVOTErrors.formats

    /// The format of the surface `path` belongs to (for `request`, where a format asks).
    static func of(path: String, request: Request? = nil, in formats: [ErrorFormat]) -> ErrorFormat {
        formats.first { format in
            guard path.hasPrefix(format.pathPrefix) else { return false }
            guard let applies = format.applies else { return true }
            return request.map(applies) ?? false
        } ?? vireo
    }
}
