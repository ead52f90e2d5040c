import HTTPTypes
import Hummingbird
import VireoQuery

/// OpenAI's error envelope, `{"error": {"message", "type", "param", "code"}}`; validation
/// errors are 400s. The SDKs retry 408, 409, 429 and 5xx, so answers a retry cannot change
/// say `x-should-retry: false`.
enum OpenAIErrors {
    static let retryHeader = HTTPField.Name("x-should-retry")!

    static let format = ErrorFormat(
        pathPrefix: "/openai/",
        schema: .object([("error", .object([("message", .string()), ("type", .string()), ("param", .nullable(.string())),
                                            ("code", .nullable(.string()))], required: ["message", "type", "param", "code"]))],
                        required: ["error"])
    ) { error, _ in
        let status: HTTPResponse.Status = error.status == .unprocessableContent ? .badRequest : error.status
        let body = JSONValue.fields(("error", .fields(
            ("message", .string(error.message)), ("type", .string(type(of: status))),
            ("param", error.field.map(JSONValue.string) ?? .null), ("code", .string(error.code)))))
        var headers = error.headers
        if ![408, 429, 502, 503, 504].contains(status.code) { headers[retryHeader] = "false" }
        return (status, body, headers)
    }

    static func type(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401: "authentication_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 400..<500: "invalid_request_error"
        default: "server_error"
        }
    }
}
