import VireoQuery

/// The shape of a JSON value a route takes or returns: a small subset of JSON Schema,
/// enough to validate requests (naming the field at fault) and to write the OpenAPI
/// document from the same declaration.
public indirect enum Schema: Sendable {
    /// A string, optionally one of `allowed`, of a length (in characters) within `length`,
    /// matching `pattern` (a JSON Schema regex, documented only: the route checks it).
    case string(allowed: [String]? = nil, length: ClosedRange<Int>? = nil, pattern: String? = nil)
    /// A JSON number without a fraction, optionally within `range`.
    case integer(range: ClosedRange<Int64>? = nil)
    case number
    case boolean
    /// Any JSON value.
    case any
    /// An array of one shape, with a number of items within `count`.
    case array(of: Schema, count: ClosedRange<Int>? = nil)
    /// An object with these properties in this order; unknown keys are refused.
    case object([(String, Schema)], required: [String] = [])
    /// An object whose keys are free and whose values all have one shape.
    case map(of: Schema, count: ClosedRange<Int>? = nil)
    /// The value or JSON null.
    case nullable(Schema)
    /// A prose description attached to a schema, for the OpenAPI document.
    case described(Schema, String)
}

extension Schema {
    /// Checks `value` against the schema; the error names the first field that does not fit.
    func validate(_ value: JSONValue, at field: String) throws(RESTError) {
        switch (self, value) {
        case (.any, _), (.nullable, .null): return
        case (.nullable(let inner), _), (.described(let inner, _), _): try inner.validate(value, at: field)
        case (.string(let allowed, let length, _), .string(let text)):
            if let allowed, !allowed.contains(text) { throw .invalid(field, "must be one of \(allowed.joined(separator: ", "))") }
            try Self.checkCount(text.count, length, "characters", field)
        case (.integer(let range), .number(let number)): try Self.checkInteger(number, range, field)
        case (.number, .number), (.boolean, .bool): return
        case (.array(let element, let count), .array(let items)):
            try Self.checkCount(items.count, count, "items", field)
            for (index, item) in items.enumerated() { try element.validate(item, at: "\(field)[\(index)]") }
        case (.object(let properties, let required), .object(let fields)):
            try Self.checkObject(fields, properties, required, field)
        case (.map(let element, let count), .object(let fields)):
            try Self.checkCount(fields.count, count, "entries", field)
            for (key, item) in fields { try element.validate(item, at: Self.join(field, key)) }
        default:
            throw .invalid(field, "must be \(typeName)")
        }
    }

    private static func checkCount(_ count: Int, _ range: ClosedRange<Int>?, _ noun: String, _ field: String) throws(RESTError) {
        guard let range, !range.contains(count) else { return }
        throw .invalid(field, count < range.lowerBound ? "needs at least \(range.lowerBound) \(noun)" : "takes at most \(range.upperBound) \(noun)")
    }

    private static func checkInteger(_ number: Double, _ range: ClosedRange<Int64>?, _ field: String) throws(RESTError) {
        guard number == number.rounded(), let integer = Int64(exactly: number) else { throw .invalid(field, "must be an integer") }
        if let range, !range.contains(integer) {
            throw .invalid(field, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    private static func checkObject(_ fields: [(String, JSONValue)], _ properties: [(String, Schema)], _ required: [String],
                                    _ field: String) throws(RESTError) {
        for name in required where !fields.contains(where: { $0.0 == name }) {
            throw .invalid(join(field, name), "is required")
        }
        for (key, item) in fields {
            guard let schema = properties.first(where: { $0.0 == key })?.1 else { throw .invalid(join(field, key), "is not a known field") }
            try schema.validate(item, at: join(field, key))
        }
    }

    /// `rows[2]` + `name` → `rows[2].name`; the top level has no prefix.
    static func join(_ field: String, _ key: String) -> String {
        field.isEmpty || field == "body" ? key : field + "." + key
    }

    /// What the schema expects, for messages.
    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .any: "any JSON value"
        case .array: "an array"
        case .object, .map: "an object"
        case .nullable(let inner), .described(let inner, _): inner.typeName
        }
    }
}
