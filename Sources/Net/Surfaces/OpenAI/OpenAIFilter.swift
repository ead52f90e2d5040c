import VireoQuery
import VireoStorage

/// OpenAI's attribute filters as SQL over the chunks' `attributes` (a copy of the file's):
/// a comparison `{key, type: eq|ne|gt|gte|lt|lte|in|nin, value}` or a compound
/// `{type: and|or, filters: […]}`, nested to `depthMax`.
enum OpenAIFilter {
    static let depthMax = 8
    static let termsMax = 100
    static let keyBytesMax = 64

    static func condition(_ filter: JSONValue, _ parameters: inout SQLParameters) throws -> String {
        var terms = 0
        return try condition(filter, &parameters, depth: 0, terms: &terms, field: "filters")
    }

    private static func condition(_ filter: JSONValue, _ parameters: inout SQLParameters, depth: Int, terms: inout Int,
                                  field: String) throws -> String {
        guard depth < depthMax else { throw RESTError.invalid(field, "filters nest at most \(depthMax) deep") }
        terms += 1
        guard terms <= termsMax else { throw RESTError.invalid(field, "at most \(termsMax) filters") }
        guard case .object = filter, let type = filter.field(.text("type"))?.unquotedText else {
            throw RESTError.invalid(field, "must be an object with a type")
        }
        if type == "and" || type == "or" {
            guard case .array(let items)? = filter.field(.text("filters")), !items.isEmpty else {
                throw RESTError.invalid(field + ".filters", "must be a non-empty array")
            }
            let parts = try items.enumerated().map { index, item in
                try condition(item, &parameters, depth: depth + 1, terms: &terms, field: "\(field).filters[\(index)]")
            }
            return "(" + parts.joined(separator: type == "and" ? " AND " : " OR ") + ")"
        }
        guard let key = filter.field(.text("key"))?.unquotedText, !key.isEmpty, key.utf8.count <= keyBytesMax else {
            throw RESTError.invalid(field + ".key", "must be a string of 1 to \(keyBytesMax) bytes")
        }
        guard let value = filter.field(.text("value")) else { throw RESTError.invalid(field + ".value", "is required") }
        return try comparison(type, key: key, value: value, &parameters, field: field)
    }

    private static func comparison(_ type: String, key: String, value: JSONValue, _ parameters: inout SQLParameters,
                                   field: String) throws -> String {
        switch type {
        case "eq": return try equal(key, value, &parameters, field)
        case "ne": return "(attributes IS NULL OR NOT \(try equal(key, value, &parameters, field)))"
        case "in", "nin":
            guard case .array(let items) = value, !items.isEmpty else { throw RESTError.invalid(field + ".value", "must be a non-empty array") }
            let any = "(" + (try items.map { try equal(key, $0, &parameters, field) }).joined(separator: " OR ") + ")"
            return type == "in" ? any : "(attributes IS NULL OR NOT \(any))"
        case "gt", "gte", "lt", "lte":
            return try ordered(type, key, value, &parameters, field)
        default:
            throw RESTError.invalid(field + ".type", "must be one of eq, ne, gt, gte, lt, lte, in, nin, and, or")
        }
    }

    /// jsonb containment, so 2 matches 2 and not "2".
    private static func equal(_ key: String, _ value: JSONValue, _ parameters: inout SQLParameters, _ field: String) throws -> String {
        switch value {
        case .string, .number, .bool: return "attributes @> " + parameters.add(.json(JSONValue.object([(key, value)]).text))
        default: throw RESTError.invalid(field + ".value", "must be a string, number or boolean")
        }
    }

    /// A range test on numbers (or on strings, compared as text); other types never match.
    private static func ordered(_ type: String, _ key: String, _ value: JSONValue, _ parameters: inout SQLParameters,
                                _ field: String) throws -> String {
        let op = ["gt": ">", "gte": ">=", "lt": "<", "lte": "<="][type] ?? "="
        let literal = "'" + key.replacingOccurrences(of: "'", with: "''") + "'"
        switch value {
        case .number(let number):
            let bound = parameters.add(.double(number))
            return "(CASE WHEN jsonb_typeof(attributes -> \(literal)) = 'number' "
                + "THEN CAST(attributes ->> \(literal) AS double precision) \(op) \(bound) ELSE false END)"
        case .string(let text):
            let bound = parameters.add(.text(text))
            return "(CASE WHEN jsonb_typeof(attributes -> \(literal)) = 'string' THEN attributes ->> \(literal) \(op) \(bound) ELSE false END)"
        default:
            throw RESTError.invalid(field + ".value", "\(type) compares numbers or strings")
        }
    }
}

/// OpenAI's `chunking_strategy` request field.
enum OpenAIChunking {
    static let schema = Schema.object([
        ("type", .string(allowed: ["auto", "static"])),
        ("static", .object([("max_chunk_size_tokens", .integer(range: 100...4096)), ("chunk_overlap_tokens", .integer(range: 0...4096))],
                           required: ["max_chunk_size_tokens", "chunk_overlap_tokens"])),
    ], required: ["type"])

    /// The strategy asked for; nil for `auto` (or none), which the service fits to its embedder.
    static func strategy(_ value: JSONValue?, field: String = "chunking_strategy") throws -> ChunkingStrategy? {
        guard let value, value.field(.text("type"))?.unquotedText == "static" else { return nil }
        guard let settings = value.field(.text("static")),
              case .number(let size)? = settings.field(.text("max_chunk_size_tokens")),
              case .number(let overlap)? = settings.field(.text("chunk_overlap_tokens")) else {
            throw RESTError.invalid(field + ".static", "a static strategy needs max_chunk_size_tokens and chunk_overlap_tokens")
        }
        guard ChunkingStrategy.sizeTokensRange.contains(Int(size)) else {
            throw RESTError.invalid(field + ".static.max_chunk_size_tokens", "must be between 100 and 4096")
        }
        guard overlap >= 0, overlap <= size / 2 else {
            throw RESTError.invalid(field + ".static.chunk_overlap_tokens", "must not exceed half of max_chunk_size_tokens")
        }
        return ChunkingStrategy(sizeTokens: Int(size), overlapTokens: Int(overlap))
    }

    /// How a file was chunked, as OpenAI reports it.
    static func json(_ strategy: ChunkingStrategy) -> JSONValue {
        .fields(("type", .string("static")), ("static", .fields(("max_chunk_size_tokens", .integer(strategy.sizeTokens)),
                                                               ("chunk_overlap_tokens", .integer(strategy.overlapTokens)))))
    }

    static let reportedSchema = Schema.object([
        ("type", .string(allowed: ["static"])),
        ("static", .object([("max_chunk_size_tokens", .integer()), ("chunk_overlap_tokens", .integer())],
                           required: ["max_chunk_size_tokens", "chunk_overlap_tokens"])),
    ], required: ["type", "static"])
}
