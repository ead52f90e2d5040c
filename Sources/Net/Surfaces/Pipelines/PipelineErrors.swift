import Hummingbird
import VireoQuery

/// Seed 001's error envelope: `{"error": {"code", "message", "details": {"field", …},
/// "request_id"}}` with upper-case codes (`VALIDATION_ERROR`, `PERMISSION_DENIED`,
/// `NOT_FOUND` …), for every path of the surface.
enum PipelineErrors {
    /// The path prefixes of the surface; `/api/v1/tables` (seed 000) keeps Vireo's envelope.
    static let pathPrefixes = [
        "/api/v1/auth", "/api/v1/users", "/api/v1/pipelines", "/api/v1/connectors", "/api/v1/data/",
        "/api/v1/nl-query", "/api/v1/storage/", "/api/v1/observability/",
    ]

    static let schema = Schema.object([
        ("error", .object([
            ("code", .string()), ("message", .string()),
            ("details", .object([("field", .nullable(.string())), ("sqlstate", .nullable(.string()))])),
            ("request_id", .string()),
        ])),
    ])

    static var formats: [ErrorFormat] { pathPrefixes.map { ErrorFormat(pathPrefix: $0, schema: schema, render: render) } }

    @Sendable static func render(_ error: RESTError, _ requestID: String) -> (HTTPResponse.Status, JSONValue, HTTPFields) {
        let details = JSONValue.fields(("field", error.field.map(JSONValue.string) ?? .null),
                                       ("sqlstate", error.sqlState.map(JSONValue.string) ?? .null))
        let body = JSONValue.fields(("error", .fields(("code", .string(code(error))), ("message", .string(error.message)),
                                                      ("details", details), ("request_id", .string(requestID)))))
        return (error.status, body, error.headers)
    }

    /// Vireo's codes in the seed's style: `validation_error` → `VALIDATION_ERROR`; an engine
    /// error keeps its name (`syntaxError` → `SYNTAX_ERROR`).
    static func code(_ error: RESTError) -> String {
        var result = ""
        for character in error.code {
            if character.isUppercase, !result.isEmpty, result.last != "_" { result.append("_") }
            result.append(character == "-" ? "_" : Character(character.uppercased()))
        }
        return result
    }

    static func permissionDenied(_ message: String) -> RESTError { RESTError(.forbidden, code: "permission_denied", message) }
    static func conflict(_ message: String, field: String? = nil) -> RESTError { RESTError(.conflict, code: "conflict", message, field: field) }
}
