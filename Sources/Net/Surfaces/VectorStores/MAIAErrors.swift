import Hummingbird
import VireoQuery

/// Seed 004's error envelope, `{"error": {"message", "type", "code"}}` with the HTTP status
/// as `code`; its validation errors are 400 (not 422) and each status has its `type`.
enum MAIAErrors {
    static let format = ErrorFormat(
        pathPrefix: "/v1/",
        schema: .object([("error", .object([("message", .string()), ("type", .string()), ("code", .integer())],
                                           required: ["message", "type", "code"]))], required: ["error"])
    ) { error, _ in
        let status: HTTPResponse.Status = error.status == .unprocessableContent ? .badRequest : error.status
        let message = error.field.map { "\($0): \(error.message)" } ?? error.message
        let body = JSONValue.fields(("error", .fields(("message", .string(message)), ("type", .string(type(of: status))),
                                                      ("code", .integer(Int(status.code))))))
        return (status, body, error.headers)
    }

    /// The seed's error type for a status.
    static func type(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "validation_error"
        case 404: "not_found"
        case 413: "file_too_large"
        case 429: "rate_limit_exceeded"
        case 502: "embedding_service_error"
        case 503: "database_error"
        case 500: "api_error"
        default: "http_error"
        }
    }
}
