import Foundation
import VireoStorage

/// PostgreSQL's string functions beyond the basics in ScalarFunction.swift: padding, case,
/// fields, translation, code points, quoting, format() and md5. Characters are Unicode
/// extended grapheme clusters as Swift counts them, as `length` counts them.
extension Functions {
    static let moreText: [ScalarFunction] = [
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
        ScalarFunction("md5", 1...1, [.text], returns: .text) { .text(MD5.hex(Array(string($0[0]).utf8))) },
        ScalarFunction("format", 1...100, [.text], strict: false, returns: .text) { arguments in
            guard !arguments[0].isNull else { return .null }
            return .text(try formatted(string(arguments[0]), Array(arguments.dropFirst())))
        },
    ]

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
        var result = "", inWord = false
        for character in text {
            let isWordCharacter = character.isLetter || character.isNumber
            result += isWordCharacter ? (inWord ? character.lowercased() : character.uppercased()) : String(character)
            inWord = isWordCharacter
        }
        return result
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
}

/// MD5 (RFC 1321), for PostgreSQL's md5(): a checksum, not a security measure.
enum MD5 {
    private static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    private static let constants: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

    static func hex(_ message: [UInt8]) -> String {
        var bytes = message
        let bitLength = UInt64(message.count) &* 8
        bytes.append(0x80)
        while bytes.count % 64 != 56 { bytes.append(0) }
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var state: [UInt32] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476]
        for chunk in stride(from: 0, to: bytes.count, by: 64) {
            let words = (0..<16).map { index -> UInt32 in
                (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[chunk + index * 4 + $1]) << UInt32($1 * 8) }
            }
            var (a, b, c, d) = (state[0], state[1], state[2], state[3])
            for round in 0..<64 {
                let (f, g): (UInt32, Int)
                switch round {
                case 0..<16: (f, g) = ((b & c) | (~b & d), round)
                case 16..<32: (f, g) = ((d & b) | (~d & c), (5 * round + 1) % 16)
                case 32..<48: (f, g) = (b ^ c ^ d, (3 * round + 5) % 16)
                default: (f, g) = (c ^ (b | ~d), (7 * round) % 16)
                }
                let sum = a &+ f &+ constants[round] &+ words[g]
                (a, d, c) = (d, c, b)
                b = b &+ (sum << shifts[round] | sum >> (32 - shifts[round]))
            }
            state = [state[0] &+ a, state[1] &+ b, state[2] &+ c, state[3] &+ d]
        }
        return state.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32($0 * 8)) } }
            .map { String(format: "%02x", $0) }.joined()
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
