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

    public init(pathPrefix: String, schema: Schema,
                render: @escaping @Sendable (RESTError, String) -> (HTTPResponse.Status, JSONValue, HTTPFields)) {
        self.pathPrefix = pathPrefix
        self.schema = schema
        self.render = render
    }

    /// Vireo's own envelope, for the tables surface and every path no other format claims.
    static let vireo = ErrorFormat(pathPrefix: "/", schema: OpenAPIDocument.errorSchema) { error, requestID in
        (error.status, error.body(requestID: requestID), error.headers)
    }

    /// Every surface's format, most specific prefix first.
    static let all: [ErrorFormat] = [OpenAIErrors.format, MAIAErrors.format] + PipelineErrors.formats + JobsErrors.formats
        + PIVOTErrors.formats

    /// The format of the surface `path` belongs to.
    static func of(path: String, in formats: [ErrorFormat]) -> ErrorFormat {
        formats.first { path.hasPrefix($0.pathPrefix) } ?? vireo
    }
}
