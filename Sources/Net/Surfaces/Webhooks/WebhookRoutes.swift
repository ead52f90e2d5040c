import Foundation
import Hummingbird
import VireoQuery

/// `/api/v1/webhooks`, claimed by seed 002 (training and alert events) and seed 001 (pipeline
/// runs): both register `{"url", "events", "secret"}`, so one handler takes both and answers
/// a superset of both responses. Registrations and deliveries go through the one dispatcher
/// every surface fires (`RouteServices.webhooks`).
///
/// Errors: a request made with a user's access token (seed 001's `Authorization: Bearer
/// {token}`) gets seed 001's envelope, `details` a list of `{"field", "error"}`; any other
/// gets seed 002's, `details` an object. A user's token needs the editor role to change
/// webhooks (viewer to read them), as on the rest of the pipelines surface.
enum WebhookRoutes {
    static var all: [RouteDeclaration] { [register, list, delete, test, deliveries] }

    static let pathPrefix = "/api/v1/webhooks"

    static let webhook = Schema.object([
        ("webhook_id", .string()), ("id", .string()), ("url", .string()), ("events", .array(of: .string(allowed: WebhookDispatcher.events))),
        ("status", .string()), ("created_at", .string()), ("has_secret", .boolean),
    ], required: ["webhook_id", "url", "created_at", "status"])
    static let webhookParameter = ParameterDeclaration("webhook_id", in: .path, .string())

    static let register = RouteDeclaration(
        .post, pathPrefix,
        summary: "Register a webhook (seed 002's and seed 001's shape): signed POSTs of the events named, retried with backoff",
        requestBody: .object([("url", .string(length: 1...WebhookDispatcher.urlCharactersMax)),
                              ("events", .array(of: .string(length: 1...128), count: 1...64)), ("secret", .nullable(.string(length: 0...512)))],
                             required: ["url", "events"]),
        status: .created, response: webhook
    ) { input, services in
        try requireTokenRole(input, .editor)
        let secret = input.field("secret")?.unquotedText.flatMap { $0.isEmpty ? nil : $0 }
        let events = (input.field("events")?.items ?? []).compactMap(\.unquotedText)
        return RouteOutput(try await services.webhooks.register(url: input.field("url")?.unquotedText ?? "", events: events, secret: secret))
    }

    static let list = RouteDeclaration(
        .get, pathPrefix, summary: "Registered webhooks", response: .object([("webhooks", .array(of: webhook))], required: ["webhooks"])
    ) { input, services in
        try requireTokenRole(input, .viewer)
        return RouteOutput(.fields(("webhooks", .array(try await services.webhooks.list()))))
    }

    static let delete = RouteDeclaration(
        .delete, pathPrefix + "/{webhook_id}", summary: "Remove a webhook and its deliveries", parameters: [webhookParameter],
        response: .object([("message", .string())], required: ["message"])
    ) { input, services in
        try requireTokenRole(input, .editor)
        try await services.webhooks.delete(input.path("webhook_id"))
        return RouteOutput(.fields(("message", .string("Webhook deleted"))))
    }

    static let test = RouteDeclaration(
        .post, pathPrefix + "/{webhook_id}/test", summary: "Send a test delivery now and report how it went", parameters: [webhookParameter],
        response: .object([("success", .boolean), ("status_code", .nullable(.integer())), ("response_time_ms", .number), ("error", .nullable(.string()))],
                          required: ["success", "status_code", "response_time_ms"])
    ) { input, services in
        try requireTokenRole(input, .editor)
        return RouteOutput(try await services.webhooks.test(input.path("webhook_id")))
    }

    static let deliveries = RouteDeclaration(
        .get, pathPrefix + "/{webhook_id}/deliveries", summary: "A webhook's deliveries, newest first: status, attempts, status code, latency",
        parameters: [webhookParameter], response: .object([("deliveries", .array(of: .map(of: .any)))], required: ["deliveries"])
    ) { input, services in
        try requireTokenRole(input, .viewer)
        return RouteOutput(.fields(("deliveries", .array(try await services.webhooks.deliveries(input.path("webhook_id"), limit: 100)))))
    }

    /// API keys may do everything; a user's token what its role allows.
    static func requireTokenRole(_ input: RouteInput, _ role: Principal.Role) throws {
        if let principal = input.principal, principal.tokenID != nil { try input.require(role) }
    }

    /// Whether `request` speaks seed 001: it carries a user's access token (a JWT, three
    /// dot-separated parts, the first a base64 `{"…`) rather than an API key.
    static func speaksSeed001(_ request: Request) -> Bool {
        guard request.headers[APIKeyMiddleware.keyHeaderName] == nil,
              let bearer = APIKeyMiddleware.presentedKey(request.headers) else { return false }
        return bearer.hasPrefix("eyJ") && bearer.split(separator: ".", omittingEmptySubsequences: false).count == 3
    }

    /// Seed 001's envelope on the webhook paths, for requests that speak seed 001.
    static let seed001Errors = ErrorFormat(pathPrefix: pathPrefix, schema: Schema.object([
        ("error", .object([("code", .string()), ("message", .string()),
                           ("details", .array(of: .object([("field", .string()), ("error", .string())]))), ("request_id", .string())],
                          required: ["code", "message", "details"])),
    ], required: ["error"]), applies: speaksSeed001) { error, requestID in
        let details: [JSONValue] = error.field.map { [.fields(("field", .string($0)), ("error", .string(error.message)))] } ?? []
        let body = JSONValue.fields(("error", .fields(("code", .string(PIVOTErrors.code(error))), ("message", .string(error.message)),
                                                      ("details", .array(details)), ("request_id", .string(requestID)))))
        return (error.status, body, error.headers)
    }
}
