import Foundation
import VireoStorage

/// JSON documents for the json/jsonb type and its operators (`->`, `->>`, `@>`, `?`).
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)):
            x.count == y.count && x.allSatisfy { key, value in y.contains { $0.0 == key && $0.1 == value } }
        default: false
        }
    }

    /// Parses JSON text; malformed text is a 22P02 error.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        guard let value = parser.document() else {
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type json: \"\(text)\"")
        }
        return value
    }

    /// Checks that `text` is JSON and returns it unchanged.
    public static func validated(_ text: String) throws -> String {
        _ = try parse(text)
        return text
    }

    /// Compact JSON text (keys in stored order).
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            return number == number.rounded() && number.magnitude < 1e15 ? String(Int64(number)) : String(number)
        case .string(let string): return Self.quote(string)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.map { Self.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
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

    /// `@>`: whether this document contains `other` (jsonb containment).
    public func contains(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.object(let fields), .object(let wanted)):
            return wanted.allSatisfy { key, value in fields.contains { $0.0 == key && $0.1.contains(value) } }
        case (.array(let items), .array(let wanted)):
            return wanted.allSatisfy { value in items.contains { $0.contains(value) } }
        case (.array(let items), _):
            return items.contains { $0 == other }
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
    var position = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

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
        case UInt8(ascii: "{"): return container(close: UInt8(ascii: "}")) { parser in parser.member() }.map { .object($0) }
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

    private mutating func number() -> JSONValue? {
        let start = position
        while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
        guard position > start, let number = Double(String(decoding: bytes[start..<position], as: UTF8.self)),
              number.isFinite else { return nil }
        return .number(number)
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
