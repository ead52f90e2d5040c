import VireoStorage

/// The json and jsonb constructors (to_json, json_build_object, array_to_json, json_agg …)
/// over values whose SQL types the binder knows (Binder+JSONBuild.swift). Each prints
/// exactly what PostgreSQL 15's prints: json's constructors have their own spacing
/// (`{"a" : 1}`, `[1, 2]`, `{ "a" : 1 }` for json_object_agg, compact `[1,2]` for arrays and
/// records inside), the jsonb ones jsonb's text (`{"a": 1}`, keys in jsonb's order).
enum JSONBuild: String, Sendable {
    case toJSON = "to_json", toJSONB = "to_jsonb"
    case buildObject = "json_build_object", buildObjectB = "jsonb_build_object"
    case buildArray = "json_build_array", buildArrayB = "jsonb_build_array"
    case arrayToJSON = "array_to_json"

    /// Whether the result is jsonb (else json).
    var isJSONB: Bool { self == .toJSONB || self == .buildObjectB || self == .buildArrayB }

    var resultType: SQLType { isJSONB ? .json : .jsonText }

    /// to_json and array_to_json give NULL for NULL; the builders take NULL as JSON null.
    var isStrict: Bool { self == .toJSON || self == .toJSONB || self == .arrayToJSON }

    /// The argument counts PostgreSQL has a function for.
    var arity: ClosedRange<Int> {
        switch self {
        case .toJSON, .toJSONB: 1...1
        case .arrayToJSON: 1...2
        default: 0...100
        }
    }

    /// The result for `values` of SQL types `types`.
    func build(_ values: [Value], _ declared: [SQLType]) throws -> Value {
        // An untyped parameter's type is its value's.
        let types = zip(values, declared).map { $1 == .unknown ? SQLType(of: $0) : $1 }
        switch self {
        case .toJSON: return .json(JSONDatum.text(values[0], types[0]))
        case .toJSONB: return .json(try JSONDatum.jsonb(values[0], types[0]).text)
        case .buildObject, .buildObjectB: return try Self.object(values, types, name: rawValue, jsonb: isJSONB)
        case .buildArray:
            return .json("[" + zip(values, types).map { JSONDatum.text($0, $1) }.joined(separator: ", ") + "]")
        case .buildArrayB: return .json(JSONValue.array(try zip(values, types).map { try JSONDatum.jsonb($0, $1) }).text)
        case .arrayToJSON:
            let pretty = values.count > 1 && values[1] == .bool(true)
            guard pretty, case .array(let elements) = values[0] else { return .json(JSONDatum.text(values[0], types[0])) }
            let element = types[0].elementType ?? .text
            return .json("[" + elements.map { JSONDatum.text($0, element) }.joined(separator: ",\n ") + "]")
        }
    }

    /// json_build_object's `{"k" : v, …}` or jsonb_build_object's jsonb object.
    private static func object(_ values: [Value], _ types: [SQLType], name: String, jsonb: Bool) throws -> Value {
        guard values.count % 2 == 0 else {
            throw VireoError(.invalidParameter, "argument list must have even number of elements",
                             hint: "The arguments of \(name)() must consist of alternating keys and values.")
        }
        var members: [(String, Value, SQLType)] = []
        for index in stride(from: 0, to: values.count, by: 2) {
            let nullMessage = jsonb ? "argument \(index + 1): key must not be null" : "argument \(index + 1) cannot be null"
            let key = try JSONDatum.key(values[index], types[index], nullMessage: nullMessage)
            members.append((key, values[index + 1], types[index + 1]))
        }
        if jsonb { return .json(JSONValue.jsonbObject(try members.map { ($0.0, try JSONDatum.jsonb($0.1, $0.2)) }).text) }
        return .json("{" + members.map { JSONValue.quote($0.0) + " : " + JSONDatum.text($0.1, $0.2) }.joined(separator: ", ") + "}")
    }

    /// json_agg's text of its elements' json texts (NULL for a SQL NULL): `[a, b]`, a line
    /// break before each element after the first when they are arrays or records.
    static func aggregatedArray(_ elements: [Value], structured: Bool) -> String {
        var text = "["
        for (index, element) in elements.enumerated() {
            if index > 0 { text += structured && !element.isNull ? ", \n " : ", " }
            text += element.isNull ? "null" : Cast.textForm(element)
        }
        return text + "]"
    }

    /// json_object_agg's text of its members (keys as strings, values' json texts).
    static func aggregatedObject(_ members: [(String, Value)]) -> String {
        "{ " + members.map { JSONValue.quote($0.0) + " : " + ($0.1.isNull ? "null" : Cast.textForm($0.1)) }.joined(separator: ", ") + " }"
    }

    /// json_object(text[]) of alternating keys and values, or of {key, value} pairs, and
    /// json_object(keys, values): `{"a" : "1", …}` (jsonb_object: a jsonb object).
    static func object(keys: [Value], values: [Value], jsonb: Bool) throws -> Value {
        guard keys.count == values.count else { throw VireoError(.arraySubscriptError, "mismatched array dimensions") }
        var members: [(String, Value)] = []
        for (key, value) in zip(keys, values) {
            guard !key.isNull else { throw VireoError(.nullValueNotAllowed, "null value not allowed for object key") }
            members.append((Cast.textForm(key), value))
        }
        if jsonb { return .json(JSONValue.jsonbObject(members.map { ($0.0, $0.1.isNull ? .null : .string(Cast.textForm($0.1))) }).text) }
        return .json("{" + members.map { JSONValue.quote($0.0) + " : " + JSONDatum.text($0.1, .text) }.joined(separator: ", ") + "}")
    }

    /// json_object's one-array form: alternating keys and values (an even count, else 2202E).
    static func object(pairs: [Value], jsonb: Bool) throws -> Value {
        guard pairs.count % 2 == 0 else { throw VireoError(.arraySubscriptError, "array must have even number of elements") }
        let keys = stride(from: 0, to: pairs.count, by: 2).map { pairs[$0] }
        return try object(keys: keys, values: keys.indices.map { pairs[2 * $0 + 1] }, jsonb: jsonb)
    }
}
