import Hummingbird
import VireoQuery

/// The OpenAPI 3.1 document of the REST server, written from the same route declarations
/// the router and the validation use, so it cannot drift from what the server does.
enum OpenAPIDocument {
    static let route = RouteDeclaration(
        .get, "/openapi.json", summary: "This document", requiresKey: false, response: .any
    ) { _, _ in
        RouteOutput(document)
    }

    /// Built once, at the first request: the routes do not change while the server runs.
    static let document = make(RESTRoutes.all)

    /// The error envelope every route answers failures in.
    static let errorSchema = Schema.object([
        ("error", .object([("code", .string()), ("message", .string()), ("field", .nullable(.string())), ("sqlstate", .nullable(.string()))])),
        ("detail", .string()), ("request_id", .string()),
    ], required: ["error", "detail", "request_id"])

    static func make(_ routes: [RouteDeclaration]) -> JSONValue {
        var paths: [(String, JSONValue)] = []
        for route in routes {
            let operation = (route.method.rawValue.lowercased(), self.operation(route))
            if let index = paths.firstIndex(where: { $0.0 == route.path }), case .object(var operations) = paths[index].1 {
                operations.append(operation)
                paths[index].1 = .object(operations)
            } else {
                paths.append((route.path, .object([operation])))
            }
        }
        let info = JSONValue.fields(("title", .string("Vireo REST API")), ("version", .string(VireoVersion.text)))
        return .fields(("openapi", .string("3.1.0")), ("info", info), ("paths", .object(paths)), ("components", components),
                       ("security", .array([.fields(("apiKey", .array([]))), .fields(("bearer", .array([])))])))
    }

    static var components: JSONValue {
        let schemes = JSONValue.fields(
            ("apiKey", .fields(("type", .string("apiKey")), ("in", .string("header")), ("name", .string("X-API-Key")))),
            ("bearer", .fields(("type", .string("http")), ("scheme", .string("bearer")))))
        return .fields(("securitySchemes", schemes), ("schemas", .fields(("Error", errorSchema.jsonSchema))))
    }

    static func operation(_ route: RouteDeclaration) -> JSONValue {
        let operationID = route.method.rawValue.lowercased() + route.path.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        var fields: [(String, JSONValue)] = [("operationId", .string(operationID)), ("summary", .string(route.summary))]
        if !route.parameters.isEmpty { fields.append(("parameters", .array(route.parameters.map(parameter)))) }
        if let body = route.requestBody {
            fields.append(("requestBody", .fields(("required", .bool(true)), ("content", content(body)))))
        }
        if let form = route.formBody {
            let content = JSONValue.fields(("multipart/form-data", .fields(("schema", form.jsonSchema))))
            fields.append(("requestBody", .fields(("required", .bool(true)), ("content", content))))
        }
        fields.append(("responses", responses(route)))
        if !route.requiresKey { fields.append(("security", .array([]))) }
        return .object(fields)
    }

    static func parameter(_ parameter: ParameterDeclaration) -> JSONValue {
        .fields(("name", .string(parameter.name)), ("in", .string(parameter.location.rawValue)), ("required", .bool(parameter.required)),
                ("description", .string(parameter.summary)), ("schema", parameter.schema.jsonSchema))
    }

    static func responses(_ route: RouteDeclaration) -> JSONValue {
        var responses: [(String, JSONValue)] = []
        for status in [route.status] + route.otherStatuses {
            let body = route.rawResponseType.map { JSONValue.fields(($0, .fields(("schema", .fields(("type", .string("string")), ("format", .string("binary"))))))) }
                ?? content(route.response)
            responses.append((String(status.code), .fields(("description", .string(status.reasonPhrase)), ("content", body))))
        }
        let format = ErrorFormat.of(path: route.path, in: ErrorFormat.all)
        // A path two seeds share answers in either's envelope, by the request (see WebhookRoutes).
        let shared = ErrorFormat.all.filter { $0.applies != nil && route.path.hasPrefix($0.pathPrefix) }.map(\.schema.jsonSchema)
        let error = JSONValue.fields(("schema", format.pathPrefix == ErrorFormat.vireo.pathPrefix
            ? .fields(("$ref", .string("#/components/schemas/Error")))
            : shared.isEmpty ? format.schema.jsonSchema : .fields(("oneOf", .array(shared + [format.schema.jsonSchema])))))
        let content = JSONValue.fields(("application/json", error))
        responses.append(("default", .fields(("description", .string("An error, in the envelope")), ("content", content))))
        return .object(responses)
    }

    static func content(_ schema: Schema) -> JSONValue {
        .fields(("application/json", .fields(("schema", schema.jsonSchema))))
    }
}

extension Schema {
    /// The schema in JSON Schema 2020-12, as OpenAPI 3.1 takes it.
    var jsonSchema: JSONValue {
        switch self {
        case .string(let allowed, let length, let pattern):
            return .object([("type", .string("string"))] + (allowed.map { [("enum", .array($0.map(JSONValue.string)))] } ?? [])
                + Self.bounds(length, "minLength", "maxLength") + (pattern.map { [("pattern", .string($0))] } ?? []))
        case .integer(let range):
            return .object([("type", .string("integer"))]
                + (range.map { [("minimum", .number(Double($0.lowerBound))), ("maximum", .number(Double($0.upperBound)))] } ?? []))
        case .number: return .fields(("type", .string("number")))
        case .boolean: return .fields(("type", .string("boolean")))
        case .any: return .object([])
        case .array(let element, let count):
            return .object([("type", .string("array")), ("items", element.jsonSchema)] + Self.bounds(count, "minItems", "maxItems"))
        case .object(let properties, let required):
            return .fields(("type", .string("object")), ("properties", .object(properties.map { ($0.0, $0.1.jsonSchema) })),
                           ("required", .array(required.map(JSONValue.string))), ("additionalProperties", .bool(false)))
        case .map(let element, let count):
            return .object([("type", .string("object")), ("additionalProperties", element.jsonSchema)]
                + Self.bounds(count, "minProperties", "maxProperties"))
        case .nullable(let inner): return .fields(("anyOf", .array([inner.jsonSchema, .fields(("type", .string("null")))])))
        case .described(let inner, let text):
            guard case .object(let fields) = inner.jsonSchema else { return inner.jsonSchema }
            return .object(fields + [("description", .string(text))])
        }
    }

    /// JSON Schema's min/max keywords for a count range (an open end writes nothing).
    static func bounds(_ range: ClosedRange<Int>?, _ minimumKey: String, _ maximumKey: String) -> [(String, JSONValue)] {
        guard let range else { return [] }
        return (range.lowerBound > 0 ? [(minimumKey, .integer(range.lowerBound))] : [])
            + (range.upperBound < Int.max ? [(maximumKey, .integer(range.upperBound))] : [])
    }
}
