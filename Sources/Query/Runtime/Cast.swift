import Foundation
import VireoStorage

/// Conversions between types, as CAST and `::` perform them and as binding applies them
/// to literals of unknown type.
public enum Cast {
    /// Converts `value` to `type`; NULL stays NULL. Throws PostgreSQL's errors for
    /// malformed text (22P02), out-of-range numbers (22003) and impossible casts.
    public static func convert(_ value: Value, to type: SQLType) throws -> Value {
        if value.isNull || type == .unknown { return value }
        if case .vector(let vector) = value {
            // Parameters bypass the literal parser: check them as pgvector checks its input.
            try VectorText.checkFinite(vector)
        }
        if SQLType(of: value) == type { return value }
        switch (value, type) {
        case (.text(let text), _): return try fromText(text, to: type)
        case (.bytes(let bytes), .text):
            try TextBuilding.checkHexText(ofBytes: bytes.count)
            return .text(textForm(value))
        case (_, .text): return .text(textForm(value))
        case (.int(let number), .double): return .double(Double(number))
        case (.double(let number), .int): return .int(try roundToInt(number))
        case (.int(let number), .bool): return .bool(number != 0)
        case (.bool(let flag), .int): return .int(flag ? 1 : 0)
        case (.vector(let vector), .vector(let dimension)):
            if let dimension { try VectorText.check(vector, dimension: dimension) }
            return value
        case (.json(let text), .json): return .json(text)
        default:
            throw VireoError(.typeMismatch, "cannot cast type \(SQLType(of: value)) to \(type)")
        }
    }

    /// The text a value casts to (`true`/`false` for booleans, as `::text` gives).
    public static func textForm(_ value: Value) -> String {
        if case .bool(let flag) = value { return flag ? "true" : "false" }
        return value.text ?? ""
    }

    static func fromText(_ text: String, to type: SQLType) throws -> Value {
        switch type {
        case .text, .unknown: return .text(text)
        case .int: return .int(try parseInt(text))
        case .double: return .double(try parseDouble(text))
        case .bool: return .bool(try parseBool(text))
        case .vector(let dimension):
            let vector = try VectorText.parse(text)
            if let dimension { try VectorText.check(vector, dimension: dimension) }
            return .vector(vector)
        case .json: return .json(try JSONValue.validated(text))
        case .timestamp: return .timestamp(try TimestampText.parse(text))
        case .bytes: return .bytes(try parseBytes(text))
        case .tsvector: return .text(try TSVector(parsing: text).text)
        case .tsquery: return .text(try TSQuery(parsing: text).text)
        }
    }

    static func parseInt(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = Int64(trimmed) { return number }
        if trimmed.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" }), !trimmed.isEmpty {
            throw VireoError(.numericOutOfRange, "value \"\(text)\" is out of range for type bigint")
        }
        throw VireoError(.invalidTextRepresentation, "invalid input syntax for type bigint: \"\(text)\"")
    }

    static func parseDouble(_ text: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case "nan": return .nan
        case "infinity", "+infinity", "inf", "+inf": return .infinity
        case "-infinity", "-inf": return -.infinity
        default: break
        }
        guard let number = Double(trimmed), !trimmed.lowercased().contains("n") else {
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type double precision: \"\(text)\"")
        }
        return number
    }

    static func parseBool(_ text: String) throws -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "t", "true", "y", "yes", "on", "1": return true
        case "f", "false", "n", "no", "off", "0": return false
        default: throw VireoError(.invalidTextRepresentation, "invalid input syntax for type boolean: \"\(text)\"")
        }
    }

    /// `\x0a1b…` (hex form) or the text's own bytes.
    static func parseBytes(_ text: String) throws -> [UInt8] {
        guard text.hasPrefix("\\x") else { return Array(text.utf8) }
        let digits = Array(text.utf8.dropFirst(2))
        guard digits.count % 2 == 0 else {
            throw VireoError(.invalidTextRepresentation, "invalid hexadecimal data: odd number of digits")
        }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else {
                throw VireoError(.invalidTextRepresentation, "invalid hexadecimal digit in \"\(text)\"")
            }
            return byte
        }
    }

    /// Rounds half away from zero, as PostgreSQL's float-to-integer cast does.
    static func roundToInt(_ number: Double) throws -> Int64 {
        let rounded = number.rounded(.toNearestOrAwayFromZero)
        guard rounded.isFinite, rounded >= -9.223372036854775808e18, rounded < 9.223372036854775808e18 else {
            throw VireoError(.numericOutOfRange, "bigint out of range")
        }
        return Int64(rounded)
    }
}
