import VireoStorage

/// Building and changing JSON documents: json_object, jsonb_set (and jsonb_insert, `#-`:
/// JSONPathEdit.swift), the json type's path functions (JSONWritten.swift),
/// jsonb_strip_nulls, jsonb_array_length, jsonb_extract_path[_text]. Objects built here are
/// in jsonb's order (shorter keys first, then by bytes; the last of duplicate keys wins).
extension Functions {
    static let json: [ScalarFunction] = [
        // The constructors are bound with their arguments' SQL types (Binder+JSONBuild.swift);
        // these entries serve calls whose types are only the values' own.
        untypedBuild(.buildObject), untypedBuild(.buildObjectB), untypedBuild(.buildArray), untypedBuild(.buildArrayB),
        untypedBuild(.toJSON), untypedBuild(.toJSONB), untypedBuild(.arrayToJSON),
        ScalarFunction("json_object", 1...2, [.array(.text)], returns: .jsonText) { try textObject($0, jsonb: false) },
        ScalarFunction("jsonb_object", 1...2, [.array(.text)], returns: .json) { try textObject($0, jsonb: true) },
        ScalarFunction("json_extract_path", 1...100, [.jsonText, .text], returns: .jsonText) { arguments in
            try JSONWritten.path(string(arguments[0]), Array(arguments.dropFirst())).map { .json($0.text) } ?? .null
        },
        ScalarFunction("json_extract_path_text", 1...100, [.jsonText, .text], returns: .text) { arguments in
            JSONWritten.unquoted(try JSONWritten.path(string(arguments[0]), Array(arguments.dropFirst())))
        },
        ScalarFunction("json_strip_nulls", 1...1, [.jsonText], returns: .jsonText) { .json(try JSONWritten.strippingNulls(string($0[0]))) },
        // jsonb - key, jsonb - index, jsonb - keys (the binder's reading of `-` with a jsonb on the left).
        ScalarFunction("jsonb_delete", 2...2, [.json, .text], returns: .json) { arguments in
            .json(try JSONValue.deleting(arguments[1], from: JSONValue.jsonb(string(arguments[0]))).text)
        },
        ScalarFunction("jsonb_set", 3...4, [.json, .array(.text), .json, .bool], returns: .json) { arguments in
            let create = arguments.count < 4 || arguments[3] == .bool(true)
            return try editedPath(arguments[0], arguments[1], .replace(try JSONValue.jsonb(string(arguments[2])), create: create))
        },
        ScalarFunction("jsonb_insert", 3...4, [.json, .array(.text), .json, .bool], returns: .json) { arguments in
            let after = arguments.count > 3 && arguments[3] == .bool(true)
            return try editedPath(arguments[0], arguments[1], .insert(try JSONValue.jsonb(string(arguments[2])), after: after))
        },
        // jsonb #- text[] (the binder's reading of the operator).
        ScalarFunction("jsonb_delete_path", 2...2, [.json, .array(.text)], returns: .json) { arguments in
            try editedPath(arguments[0], arguments[1], .delete)
        },
        ScalarFunction("jsonb_strip_nulls", 1...1, [.json], returns: .json) { .json(try JSONValue.jsonb(string($0[0])).strippingNulls.text) },
        ScalarFunction("jsonb_array_length", 1...1, [.json], returns: .integer) { try arrayLength($0[0]) },
        ScalarFunction("json_array_length", 1...1, [.json], returns: .integer) { try arrayLength($0[0]) },
        ScalarFunction("jsonb_extract_path", 1...100, [.json, .text], returns: .json) { arguments in
            try extractPath(arguments).map { .json($0.text) } ?? .null
        },
        ScalarFunction("jsonb_extract_path_text", 1...100, [.json, .text], returns: .text) { arguments in
            try extractPath(arguments).flatMap(\.unquotedText).map(Value.text) ?? .null
        },
        ScalarFunction("jsonb_path_match", 2...4, [.json, .text, .json, .bool], returns: .bool) { arguments in
            try pathCall(arguments) { path, document, variables, silent in
                try path.match(document, variables: variables, silent: silent).map(Value.bool) ?? .null
            }
        },
        ScalarFunction("jsonb_path_exists", 2...4, [.json, .text, .json, .bool], returns: .bool) { arguments in
            try pathCall(arguments) { path, document, variables, silent in
                try path.exists(document, variables: variables, silent: silent).map(Value.bool) ?? .null
            }
        },
        ScalarFunction("jsonb_path_query_array", 2...4, [.json, .text, .json, .bool], returns: .json) { arguments in
            try pathCall(arguments) { path, document, variables, silent in
                .json(JSONValue.array(try path.query(document, variables: variables, silent: silent)).text)
            }
        },
        ScalarFunction("jsonb_path_query_first", 2...4, [.json, .text, .json, .bool], returns: .json) { arguments in
            try pathCall(arguments) { path, document, variables, silent in
                try path.query(document, variables: variables, silent: silent).first.map { .json($0.text) } ?? .null
            }
        },
        // The functions behind `?`, `?|` and `?&` (LangChain's $exists filter calls jsonb_exists).
        ScalarFunction("jsonb_exists", 2...2, [.json, .text], returns: .bool) { try JSONOperators.apply(.hasKey, $0[0], $0[1]) },
        ScalarFunction("jsonb_exists_any", 2...2, [.json, .array(.text)], returns: .bool) { try JSONOperators.apply(.hasAnyKey, $0[0], $0[1]) },
        ScalarFunction("jsonb_exists_all", 2...2, [.json, .array(.text)], returns: .bool) { try JSONOperators.apply(.hasAllKeys, $0[0], $0[1]) },
    ]

    /// The jsonb_path_* functions' arguments: (target, path, vars = '{}', silent = false).
    /// `silent` is handed to the path, which then answers a data error of its evaluation
    /// as PostgreSQL does (NULL, or the items found before it), not errors of its syntax.
    static func pathCall(_ arguments: [Value], _ body: (JSONPath, JSONValue, JSONValue, Bool) throws -> Value) throws -> Value {
        let path = try JSONPath(parsing: string(arguments[1]))
        let document = try JSONValue.jsonb(string(arguments[0]))
        let variables = arguments.count > 2 ? try JSONValue.jsonb(string(arguments[2])) : .object([])
        return try body(path, document, variables, arguments.count > 3 && arguments[3] == .bool(true))
    }

    /// A constructor over values typed by themselves (a date reads as a timestamp here).
    private static func untypedBuild(_ build: JSONBuild) -> ScalarFunction {
        ScalarFunction(build.rawValue, build.arity, [.text], strict: build.isStrict, returns: build.resultType) { arguments in
            try build.build(arguments, arguments.map(SQLType.init(of:)))
        }
    }

    /// json_object(text[]) (alternating keys and values, or {key, value} pairs: Vireo's arrays
    /// are flat, so both read alike) and json_object(keys text[], values text[]).
    private static func textObject(_ arguments: [Value], jsonb: Bool) throws -> Value {
        let first = ArrayFunctions.elements(arguments[0]) ?? []
        guard arguments.count == 2 else { return try JSONBuild.object(pairs: first, jsonb: jsonb) }
        return try JSONBuild.object(keys: first, values: ArrayFunctions.elements(arguments[1]) ?? [], jsonb: jsonb)
    }

    static func arrayLength(_ value: Value) throws -> Value {
        switch try JSONValue.jsonb(string(value)) {
        case .array(let items): return .int(Int64(items.count))
        case .object: throw VireoError(.invalidParameter, "cannot get array length of a non-array")
        default: throw VireoError(.invalidParameter, "cannot get array length of a scalar")
        }
    }

    static func extractPath(_ arguments: [Value]) throws -> JSONValue? {
        var current: JSONValue? = try JSONValue.jsonb(string(arguments[0]))
        for step in arguments.dropFirst() {
            guard let document = current else { return nil }
            let key = string(step)
            if case .array = document, let index = Int64(key) { current = document.field(.int(index)) } else { current = document.field(.text(key)) }
        }
        return current
    }
}

extension JSONValue {
    /// An object in jsonb's order: keys by length, then by bytes; the last duplicate wins.
    static func jsonbObject(_ members: [(String, JSONValue)]) -> JSONValue {
        var latest: [String: JSONValue] = [:]
        for (key, value) in members { latest[key] = value }
        return .object(latest.sorted { a, b in
            let x = Array(a.key.utf8), y = Array(b.key.utf8)
            return x.count != y.count ? x.count < y.count : x.lexicographicallyPrecedes(y)
        }.map { ($0.key, $0.value) })
    }

    /// jsonb_strip_nulls: every object member whose value is null removed, at any depth.
    var strippingNulls: JSONValue {
        switch self {
        case .object(let members): .object(members.filter { $0.1 != .null }.map { ($0.0, $0.1.strippingNulls) })
        case .array(let items): .array(items.map(\.strippingNulls))
        default: self
        }
    }

    /// PostgreSQL's jsonb − text (an object's key, or an array's string elements equal to
    /// it), − text[] (each of the keys) and − integer (an array's element, from the end when
    /// negative); 22023 for a scalar, or an integer index into an object.
    static func deleting(_ key: Value, from document: JSONValue) throws -> JSONValue {
        if case .int(let index) = key {
            switch document {
            case .array(let items):
                let position = index < 0 ? Int64(items.count) + index : index
                guard position >= 0 && position < Int64(items.count) else { return document }
                var remaining = items
                remaining.remove(at: Int(position))
                return .array(remaining)
            case .object: throw VireoError(.invalidParameter, "cannot delete from object using integer index")
            default: throw VireoError(.invalidParameter, "cannot delete from scalar")
            }
        }
        let keys = Set((ArrayFunctions.elements(key) ?? [key]).filter { !$0.isNull }.map(Cast.textForm))
        switch document {
        case .object(let fields): return .object(fields.filter { !keys.contains($0.0) })
        case .array(let items):
            return .array(items.filter { item in
                if case .string(let text) = item { return !keys.contains(text) }
                return true
            })
        default: throw VireoError(.invalidParameter, "cannot delete from scalar")
        }
    }

    /// jsonb || jsonb: two objects merged (the right one's keys win), two arrays joined, and
    /// otherwise the non-array sides taken as one-element arrays, as PostgreSQL does.
    static func concatenated(_ leftText: String, _ rightText: String) throws -> JSONValue {
        let left = try jsonb(leftText), right = try jsonb(rightText)
        switch (left, right) {
        case (.object(let x), .object(let y)):
            let replaced = Set(y.map(\.0))
            return try jsonb(JSONValue.object(x.filter { !replaced.contains($0.0) } + y).text)
        case (.array(let x), .array(let y)): return .array(x + y)
        case (.array(let x), _): return .array(x + [right])
        case (_, .array(let y)): return .array([left] + y)
        default: return .array([left, right])
        }
    }
}
