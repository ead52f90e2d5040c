import Foundation
import VireoStorage

/// JSON documents for the json/jsonb type and its operators (`->`, `->>`, `@>`, `?`).
///
/// REST bodies are read with `parse` (numbers as doubles, members as written); SQL's jsonb
/// with `jsonb`, which keeps what PostgreSQL's jsonb keeps: numbers as exact decimals with
/// their digits (`1.50`), object members in jsonb's order with the last duplicate winning.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    /// A number read as jsonb reads it: PostgreSQL's numeric, digits and scale kept.
    case numeric(Numeric)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.numeric(let x), .numeric(let y)): x == y
        case (.number(let x), .numeric(let y)), (.numeric(let y), .number(let x)): x == y.double
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)):
            x.count == y.count && x.allSatisfy { key, value in y.contains { $0.0 == key && $0.1 == value } }
        default: false
        }
    }

    /// Parses JSON text; malformed text is a 22P02 error.
    public static func parse(_ text: String) throws -> JSONValue {
        try parse(text, asJSONB: false)
    }

    /// Parses JSON text as PostgreSQL's jsonb stores it (exact numbers, members in jsonb's
    /// order, the last of duplicate keys kept); malformed text is a 22P02 error.
    public static func jsonb(_ text: String) throws -> JSONValue {
        try parse(text, asJSONB: true)
    }

    private static func parse(_ text: String, asJSONB: Bool) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8), asJSONB: asJSONB)
        guard let value = parser.document() else {
            // PostgreSQL's words (for jsonb too); the document itself is not repeated.
            let ended = parser.position >= parser.bytes.count
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type json",
                             detail: ended ? "The input string ended unexpectedly." : nil)
        }
        return value
    }

    /// Checks that `text` is JSON and returns it unchanged (the `json` type's input).
    public static func validated(_ text: String) throws -> String {
        _ = try parse(text)
        return text
    }

    /// `text` as jsonb prints it: `{"a": 1, "b": [1, 2]}`, keys in jsonb's order, numbers
    /// with their digits; 22P02 when it is not JSON.
    public static func normalized(_ text: String) throws -> String {
        try jsonb(text).text
    }

    /// Compact JSON text (keys in stored order).
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            return number == number.rounded() && number.magnitude < 1e15 ? String(Int64(number)) : String(number)
        case .numeric(let number): return number.description
        case .string(let string): return Self.quote(string)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.map { Self.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        }
    }

    /// JSON text over several lines, each level indented by `indent` spaces more, as
    /// PostgreSQL's EXPLAIN (FORMAT JSON) (2) and jsonb_pretty (4) print it.
    public func pretty(indent: Int, level: Int = 0) -> String {
        let inner = String(repeating: " ", count: indent * (level + 1))
        let outer = String(repeating: " ", count: indent * level)
        switch self {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + $0.pretty(indent: indent, level: level + 1) }.joined(separator: ",\n") + "\n" + outer + "]"
        case .object(let fields) where !fields.isEmpty:
            let members = fields.map { inner + Self.quote($0.0) + ": " + $0.1.pretty(indent: indent, level: level + 1) }
            return "{\n" + members.joined(separator: ",\n") + "\n" + outer + "}"
        case .array: return "[]"
        case .object: return "{}"
        default: return text
        }
    }

    /// A JSON string literal for `string`, escaped as RFC 8259 requires.
    public static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }

    /// `->`: an object field by name, or an array element by index (negative from the end).
    public func field(_ key: Value) -> JSONValue? {
        switch (self, key) {
        case (.object(let fields), .text(let name)): return fields.first { $0.0 == name }?.1
        case (.array(let items), .int(let index)):
            let position = index < 0 ? items.count + Int(index) : Int(index)
            return items.indices.contains(position) ? items[position] : nil
        default: return nil
        }
    }

    /// `->>`: like `field`, as text (strings unquoted; JSON null is SQL NULL).
    public var unquotedText: String? {
        switch self {
        case .null: nil
        case .string(let string): string
        default: text
        }
    }

    /// `@>`: whether this document contains `other` (jsonb containment). Structure must
    /// match at every level, except that a top-level array contains a scalar it holds
    /// (`'["a", "b"]' @> '"a"'`), as in PostgreSQL: `{"a": [1]}` does not contain `{"a": 1}`.
    public func contains(_ other: JSONValue) -> Bool {
        if case .array(let items) = self, !other.isContainer { return items.contains(other) }
        return containsStructurally(other)
    }

    private func containsStructurally(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.object(let fields), .object(let wanted)):
            return wanted.allSatisfy { key, value in fields.contains { $0.0 == key && $0.1.containsStructurally(value) } }
        case (.array(let items), .array(let wanted)):
            return wanted.allSatisfy { value in items.contains { $0.containsStructurally(value) } }
        case (.object, _), (.array, _), (_, .object), (_, .array):
            return false
        default:
            return self == other
        }
    }

    /// `?`: whether a string is a top-level key, or an element of a top-level array.
    public func hasKey(_ key: String) -> Bool {
        switch self {
        case .object(let fields): fields.contains { $0.0 == key }
        case .array(let items): items.contains(.string(key))
        case .string(let string): string == key
        default: false
        }
    }
}

/// A small recursive-descent JSON parser (RFC 8259) with a nesting bound.
struct JSONParser {
    static let depthMax = 512
    let bytes: [UInt8]
    /// jsonb's reading: exact numbers, objects in jsonb's member order.
    let asJSONB: Bool
    var position = 0
    var depth = 0

    init(bytes: [UInt8], asJSONB: Bool = false) {
        self.bytes = bytes
        self.asJSONB = asJSONB
    }

    mutating func document() -> JSONValue? {
        guard let value = value() else { return nil }
        skipSpaces()
        return position == bytes.count ? value : nil
    }

    private mutating func skipSpaces() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func literal(_ word: String, _ value: JSONValue) -> JSONValue? {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<(position + expected.count)]) == expected else { return nil }
        position += expected.count
        return value
    }

    private mutating func value() -> JSONValue? {
        skipSpaces()
        guard position < bytes.count, depth < Self.depthMax else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            guard let members = container(close: UInt8(ascii: "}"), { parser in parser.member() }) else { return nil }
            return asJSONB ? JSONValue.jsonbObject(members) : .object(members)
        case UInt8(ascii: "["): return container(close: UInt8(ascii: "]")) { parser in parser.value() }.map { .array($0) }
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func container<T>(close: UInt8, _ element: (inout JSONParser) -> T?) -> [T]? {
        position += 1
        depth += 1
        defer { depth -= 1 }
        var items: [T] = []
        skipSpaces()
        if position < bytes.count, bytes[position] == close { position += 1; return items }
        while true {
            guard let item = element(&self) else { return nil }
            items.append(item)
            skipSpaces()
            guard position < bytes.count else { return nil }
            if bytes[position] == close { position += 1; return items }
            guard bytes[position] == UInt8(ascii: ",") else { return nil }
            position += 1
        }
    }

    private mutating func member() -> (String, JSONValue)? {
        skipSpaces()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
        skipSpaces()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
        position += 1
        guard let value = value() else { return nil }
        return (key, value)
    }

    /// RFC 8259's number: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func number() -> JSONValue? {
        let start = position
        _ = skip(UInt8(ascii: "-"))
        guard position < bytes.count else { return nil }
        if bytes[position] == UInt8(ascii: "0") { position += 1 } else if digits() == 0 { return nil }
        if skip(UInt8(ascii: ".")), digits() == 0 { return nil }
        if skip(UInt8(ascii: "e")) || skip(UInt8(ascii: "E")) {
            _ = skip(UInt8(ascii: "+")) || skip(UInt8(ascii: "-"))
            if digits() == 0 { return nil }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if asJSONB { return Numeric(text).map { .numeric($0) } }
        guard let number = Double(text), number.isFinite else { return nil }
        return .number(number)
    }

    private mutating func skip(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// Skips ASCII digits; how many there were.
    private mutating func digits() -> Int {
        let start = position
        while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
        return position - start
    }

    private mutating func string() -> String? {
        position += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                return String(scalars)
            }
            if byte < 0x20 { return nil }
            guard byte == UInt8(ascii: "\\") else { raw.append(byte); continue }
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
            guard let scalar = escape() else { return nil }
            scalars.append(scalar)
        }
        return nil
    }

    private mutating func escape() -> Unicode.Scalar? {
        guard position < bytes.count else { return nil }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"): return unicodeEscape()
        default: return nil
        }
    }

    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hex4() else { return nil }
        if (0xD800..<0xDC00).contains(high) {
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else { return nil }
            position += 2
            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(high)
    }

    private mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count,
              let value = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16) else { return nil }
        position += 4
        return value
    }
}

extension JSONParser {
    /// The children of the container the text holds, each with the text it was written as
    /// (the `json` type's reading, which keeps it): members with their keys, elements with
    /// nil; nil when the text is a scalar or not JSON.
    mutating func writtenChildren() -> [(key: String?, value: JSONValue, text: String)]? {
        skipSpaces()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") || bytes[position] == UInt8(ascii: "[") else { return nil }
        let isObject = bytes[position] == UInt8(ascii: "{")
        return container(close: UInt8(ascii: isObject ? "}" : "]")) { parser in
            var key: String?
            if isObject {
                parser.skipSpaces()
                guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\""),
                      let name = parser.string() else { return nil }
                key = name
                parser.skipSpaces()
                guard parser.skip(UInt8(ascii: ":")) else { return nil }
            }
            parser.skipSpaces()
            let start = parser.position
            guard let value = parser.value() else { return nil }
            return (key, value, String(decoding: parser.bytes[start..<parser.position], as: UTF8.self))
        }
    }
}

extension JSONValue {
    /// jsonb_typeof's and jsonpath's `.type()` name of the value's kind.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number, .numeric: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
