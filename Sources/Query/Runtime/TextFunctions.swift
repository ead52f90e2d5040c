import Foundation
import Crypto
import VireoStorage

/// PostgreSQL's string functions beyond the basics in ScalarFunction.swift: padding, case,
/// fields, translation, code points, quoting, format(), md5 and the SHA-2 digests. Characters are Unicode
/// extended grapheme clusters as Swift counts them, as `length` counts them.
extension Functions {
    static let moreText: [ScalarFunction] = [
        // overlay(s PLACING r FROM a [FOR n]): text or bytea; n defaults to r's length.
        ScalarFunction("overlay", 3...4, [.text, .text, .int, .int], resultType: { $0.first == .bytes ? .bytes : .text }) { arguments in
            if case .bytes(let bytes) = arguments[0], case .bytes(let replacement) = arguments[1] {
                let count = arguments.count > 3 ? try int(arguments[3]) : Int64(replacement.count)
                return .bytes(try overlaid(bytes, replacement, start: int(arguments[2]), count: count))
            }
            let text = Array(string(arguments[0]).unicodeScalars), replacement = Array(string(arguments[1]).unicodeScalars)
            let count = arguments.count > 3 ? try int(arguments[3]) : Int64(replacement.count)
            return .text(String(codePoints: try overlaid(text, replacement, start: int(arguments[2]), count: count)))
        },
        ScalarFunction("lpad", 2...3, [.text, .int, .text], returns: .text) { try padded($0, left: true) },
        ScalarFunction("rpad", 2...3, [.text, .int, .text], returns: .text) { try padded($0, left: false) },
        ScalarFunction("initcap", 1...1, [.text], returns: .text) { .text(initialCapitals(string($0[0]))) },
        ScalarFunction("split_part", 3...3, [.text, .text, .int], returns: .text) { arguments in
            let text = string(arguments[0]), delimiter = string(arguments[1]), field = try int(arguments[2])
            guard field != 0 else { throw VireoError(.invalidParameter, "field position must not be zero") }
            let parts = delimiter.isEmpty ? [text] : text.components(separatedBy: delimiter)
            let index = field > 0 ? Int(field) - 1 : parts.count + Int(field)
            return .text(parts.indices.contains(index) ? parts[index] : "")
        },
        ScalarFunction("translate", 3...3, [.text], returns: .text) { arguments in
            let from = Array(string(arguments[1]).unicodeScalars), to = Array(string(arguments[2]).unicodeScalars)
            var map: [Unicode.Scalar: Unicode.Scalar?] = [:]
            for (index, character) in from.enumerated() where map[character] == nil {
                map[character] = index < to.count ? to[index] : Unicode.Scalar?.none
            }
            var result = String.UnicodeScalarView()
            for character in string(arguments[0]).unicodeScalars {
                if let replacement = map[character] {
                    if let replacement { result.append(replacement) }
                } else {
                    result.append(character)
                }
            }
            return .text(String(result))
        },
        ScalarFunction("ascii", 1...1, [.text], returns: .integer) { arguments in
            .int(Int64(string(arguments[0]).unicodeScalars.first?.value ?? 0))
        },
        ScalarFunction("chr", 1...1, [.integer], returns: .text) { arguments in
            let code = try int(arguments[0])
            guard code != 0 else { throw VireoError(.limitExceeded, "null character not permitted") }
            guard let scalar = UInt32(exactly: code).flatMap(Unicode.Scalar.init) else {
                throw VireoError(.invalidParameter, "requested character not valid for encoding: \(code)")
            }
            return .text(String(Character(scalar)))
        },
        ScalarFunction("starts_with", 2...2, [.text], returns: .bool) { .bool(string($0[0]).utf8.starts(with: string($0[1]).utf8)) },
        ScalarFunction("to_hex", 1...1, [.int], returns: .text) { arguments in
            let number = try int(arguments[0])
            // A negative integer prints its two's complement in its own width (int4 or int8).
            if number < 0, let narrow = Int32(exactly: number) { return .text(String(UInt32(bitPattern: narrow), radix: 16)) }
            return .text(String(UInt64(bitPattern: number), radix: 16))
        },
        ScalarFunction("quote_ident", 1...1, [.text], returns: .text) { .text(quoteIdentifier(string($0[0]))) },
        ScalarFunction("quote_literal", 1...1, [.text], returns: .text) { .text(quotedLiteral(Cast.textForm($0[0]))) },
        ScalarFunction("quote_nullable", 1...1, [.text], strict: false, returns: .text) { arguments in
            .text(arguments[0].isNull ? "NULL" : quotedLiteral(Cast.textForm(arguments[0])))
        },
        ScalarFunction("md5", 1...1, [.text], returns: .text) { .text(hexDigits(Insecure.MD5.hash(data: rawBytes($0[0])))) },
        ScalarFunction("encode", 2...2, [.bytes, .text], returns: .text) { .text(try BinaryText.encode(rawBytes($0[0]), string($0[1]))) },
        ScalarFunction("decode", 2...2, [.text, .text], returns: .bytes) { .bytes(try BinaryText.decode(string($0[0]), string($0[1]))) },
        ScalarFunction("sha224", 1...1, [.bytes], returns: .bytes) { .bytes(SHA224.hash(rawBytes($0[0]))) },
        ScalarFunction("sha256", 1...1, [.bytes], returns: .bytes) { .bytes(Array(SHA256.hash(data: rawBytes($0[0])))) },
        ScalarFunction("sha384", 1...1, [.bytes], returns: .bytes) { .bytes(Array(SHA384.hash(data: rawBytes($0[0])))) },
        ScalarFunction("sha512", 1...1, [.bytes], returns: .bytes) { .bytes(Array(SHA512.hash(data: rawBytes($0[0])))) },
        ScalarFunction("format", 1...100, [.text], strict: false, returns: .text) { arguments in
            guard !arguments[0].isNull else { return .null }
            return .text(try formatted(string(arguments[0]), Array(arguments.dropFirst())))
        },
    ]

    /// A bytea's own bytes, a text's UTF-8 (PostgreSQL's md5 hashes either).
    static func rawBytes(_ value: Value) -> [UInt8] {
        if case .bytes(let bytes) = value { return bytes }
        return Array(string(value).utf8)
    }

    static func hexDigits(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// lpad/rpad: fill to `length` characters with the fill text repeated, or cut to `length`
    /// (keeping the start) when the text is longer.
    static func padded(_ arguments: [Value], left: Bool) throws -> Value {
        let text = string(arguments[0])
        let characters = Array(text.unicodeScalars)
        let length = max(0, Int(clamping: try int(arguments[1])))
        let fill = Array((arguments.count > 2 ? string(arguments[2]) : " ").unicodeScalars)
        guard length > characters.count else { return .text(String(codePoints: characters.prefix(length))) }
        guard !fill.isEmpty else { return .text(text) }
        let fillBytesMax = fill.map { UTF8.width($0) }.max() ?? 1
        try TextBuilding.checkLength(text.utf8.count + (length - characters.count) * fillBytesMax,
                                     builder: left ? "lpad()" : "rpad()")
        let padding = String(codePoints: (0..<(length - characters.count)).map { fill[$0 % fill.count] })
        return .text(left ? padding + text : text + padding)
    }

    /// initcap: the first letter of each run of letters and digits upper case, the rest lower.
    static func initialCapitals(_ text: String) -> String {
        var result = String.UnicodeScalarView(), inWord = false
        for scalar in text.unicodeScalars {
            let isWordCharacter = scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            result.append(isWordCharacter ? TextBuilding.simpleCase(scalar, upper: !inWord) : scalar)
            inWord = isWordCharacter
        }
        return String(result)
    }

    /// quote_literal: in single quotes with quotes doubled; with a backslash inside, an E''
    /// string with backslashes doubled, as PostgreSQL writes it.
    static func quotedLiteral(_ text: String) -> String {
        let body = text.replacingOccurrences(of: "'", with: "''")
        guard text.contains("\\") else { return "'" + body + "'" }
        return "E'" + body.replacingOccurrences(of: "\\", with: "\\\\") + "'"
    }

    /// format(): `%s` (NULL as nothing), `%I` (an identifier, quoted when needed; NULL is an
    /// error), `%L` (a literal, NULL as NULL), `%%`; an argument position `%2$s`, a width
    /// (`%10s`, `%-10s`, `%*s`) as PostgreSQL's format() reads them.
    static func formatted(_ template: String, _ arguments: [Value]) throws -> String {
        var result = "", next = 0
        var characters = Array(template)[...]
        func bad(_ message: String) -> VireoError { VireoError(.invalidParameter, message) }
        func argument(_ position: Int) throws -> Value {
            guard arguments.indices.contains(position) else { throw bad("too few arguments for format()") }
            return arguments[position]
        }
        func number() -> Int? {
            var digits = ""
            while let character = characters.first, character.isASCII, character.isNumber { digits.append(characters.removeFirst()) }
            return digits.isEmpty ? nil : Int(digits)
        }
        while let character = characters.popFirst() {
            guard character == "%" else { result.append(character); continue }
            guard !characters.isEmpty else { throw bad("unterminated format() type specifier") }
            if characters.first == "%" { characters.removeFirst(); result.append("%"); continue }
            // An explicit position: digits followed by `$`.
            let saved = characters
            if let position = number(), characters.first == "$" {
                characters.removeFirst()
                guard position >= 1 else { throw bad("format specifies argument 0, but arguments are numbered from 1") }
                next = position - 1
            } else {
                characters = saved
            }
            var leftAlign = characters.first == "-"
            if leftAlign { characters.removeFirst() }
            var width = 0
            if characters.first == "*" {
                characters.removeFirst()
                let value = try int(try argument(next))
                next += 1
                width = Int(clamping: value.magnitude)
                if value < 0 { leftAlign = true }
            } else if let digits = number() {
                width = digits
            }
            guard let type = characters.popFirst() else { throw bad("unterminated format() type specifier") }
            let value = try argument(next)
            next += 1
            var text: String
            switch type {
            case "s": text = value.isNull ? "" : Cast.textForm(value)
            case "I":
                guard !value.isNull else { throw VireoError(.nullValueNotAllowed, "null values cannot be formatted as an SQL identifier") }
                text = quoteIdentifier(Cast.textForm(value))
            case "L": text = value.isNull ? "NULL" : quotedLiteral(Cast.textForm(value))
            default: throw bad("unrecognized format() type specifier \"\(type)\"")
            }
            if text.count < width {
                let padding = String(repeating: " ", count: width - text.count)
                text = leftAlign ? text + padding : padding + text
            }
            result += text
            try TextBuilding.checkLength(result.utf8.count, builder: "format()")
        }
        return result
    }

    /// `elements` with `count` of them from `start` (1-based) replaced by `replacement`:
    /// PostgreSQL's substring(s, 1, start − 1) || r || substring(s, start + count), so a start
    /// below 1 is 22011 and a negative count keeps the whole of `elements` after `replacement`.
    static func overlaid<Element>(_ elements: [Element], _ replacement: [Element], start: Int64, count: Int64) throws -> [Element] {
        guard start >= 1 else { throw VireoError(.substringError, "negative substring length not allowed") }
        let (end, overflow) = start.addingReportingOverflow(count)
        guard !overflow else { throw VireoError(.numericOutOfRange, "integer out of range") }
        let prefix = elements.prefix(Int(min(start - 1, Int64(elements.count))))
        let suffix = end < 1 ? elements[...] : elements.dropFirst(Int(min(end - 1, Int64(elements.count))))
        return Array(prefix) + replacement + Array(suffix)
    }
}

/// encode/decode: bytea as text in PostgreSQL's three formats (hex, base64, escape).
enum BinaryText {
    static func encode(_ bytes: [UInt8], _ format: String) throws -> String {
        switch format.lowercased() {
        case "hex": return Functions.hexDigits(bytes)
        case "base64":
            // PostgreSQL breaks base64 output into lines of 76 characters.
            let text = Data(bytes).base64EncodedString()
            return stride(from: 0, to: text.count, by: 76).map { start in
                let from = text.index(text.startIndex, offsetBy: start)
                return String(text[from..<(text.index(from, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex)])
            }.joined(separator: "\n")
        case "escape":
            return bytes.map { byte in
                if byte == 0x5C { return "\\\\" }
                if byte == 0 || byte >= 0x80 { return "\\" + String(repeating: "0", count: 3 - String(byte, radix: 8).count) + String(byte, radix: 8) }
                return String(UnicodeScalar(byte))
            }.joined()
        default: throw unknownFormat(format)
        }
    }

    static func decode(_ text: String, _ format: String) throws -> [UInt8] {
        switch format.lowercased() {
        case "hex": return try hex(text)
        case "base64":
            let compact = text.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact) else {
                throw VireoError(.invalidParameter, "invalid base64 sequence")
            }
            return Array(data)
        case "escape": return try unescaped(text)
        default: throw unknownFormat(format)
        }
    }

    private static func hex(_ text: String) throws -> [UInt8] {
        var bytes: [UInt8] = [], high: UInt8?
        for character in text where !character.isWhitespace {
            guard let digit = character.hexDigitValue else {
                throw VireoError(.invalidParameter, "invalid hexadecimal digit: \"\(character)\"")
            }
            if let first = high { bytes.append(first << 4 | UInt8(digit)); high = nil } else { high = UInt8(digit) }
        }
        guard high == nil else { throw VireoError(.invalidParameter, "invalid hexadecimal data: odd number of digits") }
        return bytes
    }

    /// The escape format: `\\` is a backslash, `\ooo` an octal byte, anything else itself.
    private static func unescaped(_ text: String) throws -> [UInt8] {
        let input = Array(text.utf8)
        var bytes: [UInt8] = [], index = 0
        while index < input.count {
            guard input[index] == 0x5C else { bytes.append(input[index]); index += 1; continue }
            if index + 1 < input.count, input[index + 1] == 0x5C { bytes.append(0x5C); index += 2; continue }
            let digits = input.dropFirst(index + 1).prefix(3)
            guard digits.count == 3, digits.allSatisfy({ (0x30...0x37).contains($0) }), digits.first! <= 0x33 else {
                throw VireoError(.invalidTextRepresentation, "invalid input syntax for type bytea")
            }
            bytes.append(digits.reduce(0) { $0 << 3 | ($1 - 0x30) })
            index += 4
        }
        return bytes
    }

    private static func unknownFormat(_ format: String) -> VireoError {
        VireoError(.invalidParameter, "unrecognized encoding: \"\(format)\"")
    }
}

extension String {
    /// Text of the code points given (SQL's characters are code points, not graphemes).
    init(codePoints: some Sequence<Unicode.Scalar>) {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: codePoints)
        self = String(scalars)
    }
}
