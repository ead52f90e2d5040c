import Hummingbird
import VireoQuery

/// Seed 002's error envelope, `{"error": {"code", "message", "details": {"field"}}}` with the
/// seed's upper-case codes, for every path the training surface serves. The request id rides
/// along in `error.request_id`, where seed 001 (which shares /api/v1/webhooks) puts it.
enum PIVOTErrors {
    /// The path prefixes of seed 002 (the tables surface shares /api/v1 and keeps Vireo's envelope).
    static let pathPrefixes = [
        "/api/v1/training", "/api/v1/metrics/", "/api/v1/checkpoints", "/api/v1/monitor/", "/api/v1/alerts",
        "/api/v1/webhooks", "/api/v1/notifications", "/api/v1/ws/", "/api/v1/sse/", "/api/v1/health",
    ]

    static let schema = Schema.object([
        ("error", .object([("code", .string()), ("message", .string()), ("details", .map(of: .any)), ("request_id", .string())],
                          required: ["code", "message", "details"])),
    ], required: ["error"])

    /// One format a prefix, all rendering alike.
    static let formats = pathPrefixes.map { prefix in
        ErrorFormat(pathPrefix: prefix, schema: schema) { error, requestID in
            var details: [(String, JSONValue)] = []
            if let field = error.field { details.append(("field", .string(field))) }
            if let sqlState = error.sqlState { details.append(("sqlstate", .string(sqlState))) }
            let body = JSONValue.fields(("error", .fields(("code", .string(code(error))), ("message", .string(error.message)),
                                                          ("details", .object(details)), ("request_id", .string(requestID)))))
            return (error.status, body, error.headers)
        }
    }

    /// The seed's code for an error: its status's name, upper case.
    static func code(_ error: RESTError) -> String {
        switch error.status.code {
        case 400: "BAD_REQUEST"
        case 401: "AUTHENTICATION_REQUIRED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 405: "METHOD_NOT_ALLOWED"
        case 409: "CONFLICT"
        case 413: "PAYLOAD_TOO_LARGE"
        case 416: "RANGE_NOT_SATISFIABLE"
        case 422: "VALIDATION_ERROR"
        case 426: "UPGRADE_REQUIRED"
        case 429: "RATE_LIMIT_EXCEEDED"
        case 503: "SERVICE_UNAVAILABLE"
        default: "INTERNAL_ERROR"
        }
    }
}
