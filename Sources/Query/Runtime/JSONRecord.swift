import VireoStorage

/// The rows of json(b)_to_record(set) and json(b)_populate_record(set): each JSON object one
/// row of declared columns, each member converted as PostgreSQL 15's populate_record_field
/// (jsonfuncs.c) converts it:
///
/// - a missing key or a JSON null is NULL; of duplicate keys the last counts;
/// - into json or jsonb: the member itself (json keeps it as written, a string re-quoted);
/// - into an array type: a JSON array element by element, a string read as the array's text
///   (`"{1,2}"`), anything else 22P02 "expected JSON array";
/// - into any other type: the type's input, as an assignment applies it (typmod included),
///   reads a string's characters, a number's or boolean's text, or a container's JSON text
///   (as written for json, as jsonb prints it for jsonb), so `1.5` into an integer is 22P02
///   and `{"x": 1}` into text is that text.
struct JSONRecordShape: Sendable {
    /// A declared column.
    struct Column: Sendable {
        var name: String
        var type: ColumnType
        /// Declared `json` (not jsonb): a member keeps the text it was written as.
        var keepsText: Bool = false
    }

    /// The function called (one of `functions`), for errors.
    let name: String
    let columns: [Column]

    /// The functions this shape serves.
    static let functions: Set<String> = [
        "json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset",
        "json_populate_record", "jsonb_populate_record", "json_populate_recordset", "jsonb_populate_recordset",
    ]

    /// Whether `name` takes its row type from a base record argument rather than a column
    /// definition list.
    static func populates(_ name: String) -> Bool { name.contains("populate") }

    /// One row per element of an array of objects, rather than one row of an object.
    var isSet: Bool { name.hasSuffix("recordset") }

    /// Reads json (members kept as written) rather than jsonb.
    var readsJSONText: Bool { !name.hasPrefix("jsonb") }

    /// A member's value and, read from json, the text it was written as.
    private struct Member {
        var value: JSONValue
        var text: String?
    }

    /// The rows of `document` (a JSON value, or NULL: no row from a set, else one of NULLs).
    func rows(_ document: Value) throws -> [[Value]] {
        let text: String
        switch document {
        case .json(let json), .text(let json): text = json
        default: return isSet ? [] : [Array(repeating: .null, count: columns.count)]
        }
        let (top, children) = try parsed(text)
        guard isSet else {
            guard case .object = top else {
                throw VireoError(.invalidParameter, "cannot call populate_composite on \(Self.kind(top))")
            }
            return [try row(children)]
        }
        guard case .array = top else {
            let kind = readsJSONText ? Self.kind(top) : "a non-array"
            throw VireoError(.invalidParameter, "cannot call \(name) on \(kind)")
        }
        return try children.map { _, element in
            guard case .object = element.value else {
                throw VireoError(.invalidParameter, "argument of \(name) must be an array of objects")
            }
            return try row(try element.text.map { try parsed($0).1 } ?? parsed(element.value))
        }
    }

    private static func kind(_ value: JSONValue) -> String {
        switch value {
        case .object: "an object"
        case .array: "an array"
        default: "a scalar"
        }
    }

    /// The document's top value and its children (members with keys, elements without).
    private func parsed(_ text: String) throws -> (JSONValue, [(String?, Member)]) {
        guard readsJSONText else {
            let value = try JSONValue.jsonb(text)
            return (value, parsed(value))
        }
        let value = try JSONValue.parse(text)  // 22P02 for what is not JSON
        var parser = JSONParser(bytes: Array(text.utf8))
        return (value, (parser.writtenChildren() ?? []).map { ($0.key, Member(value: $0.value, text: $0.text)) })
    }

    private func parsed(_ value: JSONValue) -> [(String?, Member)] {
        switch value {
        case .object(let members): members.map { ($0.0, Member(value: $0.1)) }
        case .array(let elements): elements.map { (nil, Member(value: $0)) }
        default: []
        }
    }

    /// An object's members as a row of the declared columns.
    private func row(_ members: [(String?, Member)]) throws -> [Value] {
        var byKey: [String: Member] = [:]
        for case (let key?, let member) in members { byKey[key] = member }
        return try columns.map { column in try value(byKey[column.name], column) }
    }

    private func value(_ member: Member?, _ column: Column) throws -> Value {
        guard let member, member.value != .null else { return .null }
        switch column.type {
        case .jsonText:
            if case .string(let string) = member.value { return .json(JSONValue.quote(string)) }
            return .json(member.text ?? member.value.text)
        case .json: return .json(try member.text.map(JSONValue.normalized) ?? member.value.text)
        case .array(let element): return try array(member.value, element, key: column.name)
        default: return try Cast.assign(.text(Self.inputText(member)), to: column.type)
        }
    }

    /// The text a type's input reads for a member: a string's characters, anything else its
    /// JSON text.
    private static func inputText(_ member: Member) -> String {
        if case .string(let string) = member.value { return string }
        return member.text ?? member.value.text
    }

    /// A member into an array column: a JSON array's elements, or a string as array text.
    private func array(_ value: JSONValue, _ element: ColumnType, key: String) throws -> Value {
        switch value {
        case .string(let text): return try Cast.assign(.text(text), to: .array(element: element))
        case .array(let items):
            if case .array = items.first {
                throw VireoError(.featureNotSupported, "multidimensional arrays are not supported: \(value.text)")
            }
            return .array(try items.map { item in
                switch item {
                case .null: return .null
                case _ where element == .json: return .json(item.text)
                default: return try Cast.assign(.text(Self.inputText(Member(value: item))), to: element)
                }
            })
        default:
            throw VireoError(.invalidTextRepresentation, "expected JSON array", hint: "See the value of key \"\(key)\".")
        }
    }
}
