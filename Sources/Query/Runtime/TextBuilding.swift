import Foundation
import VireoStorage

/// The text functions whose result can be larger than their inputs. Each works out the
/// result's size in bytes first and checks it (`ResultSize`) before allocating anything.
enum TextBuilding {
    /// Checks a result of `bytes` bytes (lpad, rpad, format) against the value limit.
    static func checkLength(_ bytes: Int, builder: String) throws {
        var size = ResultSize(of: builder)
        size.add(bytes)
        try size.check()
    }

    /// `parts` joined with `separator` between them (`||`, concat, concat_ws).
    static func joined(_ parts: [String], separator: String = "", builder: String) throws -> String {
        var size = ResultSize(of: builder)
        for part in parts { size.add(part.utf8.count) }
        size.add(separator.utf8.count, times: max(parts.count - 1, 0))
        try size.check()
        return parts.joined(separator: separator)
    }

    /// upper() and lower(): a case mapping may grow a character to three bytes per input
    /// byte (ß → SS, ΐ → Ϊ́), so a text past a third of the limit is sized first, character
    /// by character, without building it.
    static func changedCase(_ text: String, upper: Bool, bytesMax: Int = ValueLimits.valueSizeBytesMax) throws -> String {
        if text.utf8.count > bytesMax / 3 {
            var size = ResultSize(of: upper ? "upper()" : "lower()")
            for scalar in text.unicodeScalars { size.add(UTF8.width(simpleCase(scalar, upper: upper))) }
            try size.check(limit: bytesMax)
        }
        return simpleCase(text, upper: upper)
    }

    /// Upper or lower case one code point at a time, as PostgreSQL's towupper/towlower: a
    /// character whose full mapping is several (ß's upper case is SS) stays as it is, except
    /// İ, whose lower case is i.
    static func simpleCase(_ text: String, upper: Bool) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return upper ? text.uppercased() : text.lowercased() }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { result.append(simpleCase(scalar, upper: upper)) }
        return String(result)
    }

    static func simpleCase(_ scalar: Unicode.Scalar, upper: Bool) -> Unicode.Scalar {
        if scalar.isASCII {
            let byte = UInt8(scalar.value)
            let other = upper ? (byte >= 0x61 && byte <= 0x7A) : (byte >= 0x41 && byte <= 0x5A)
            return other ? Unicode.Scalar(byte ^ 0x20) : scalar
        }
        if !upper && scalar == "\u{130}" { return "i" }
        let mapped = (upper ? scalar.properties.uppercaseMapping : scalar.properties.lowercaseMapping).unicodeScalars
        return mapped.count == 1 ? mapped.first! : scalar
    }

    /// bytea as text (`\x` and two hex digits per byte): twice the input and two bytes.
    static func checkHexText(ofBytes count: Int) throws {
        var size = ResultSize(of: "bytea to text")
        size.add(2, times: count)
        size.add(2)
        try size.check()
    }

    /// repeat(): `text` `count` times; a count below one gives the empty string.
    static func repeated(_ text: String, count: Int) throws -> String {
        let count = max(count, 0)
        var size = ResultSize(of: "repeat()")
        size.add(text.utf8.count, times: count)
        try size.check()
        return String(repeating: text, count: count)
    }

    /// replace(): every occurrence of `target`, left to right and not overlapping, replaced
    /// by `replacement`. Matching is on bytes, as PostgreSQL matches code points: a decomposed
    /// "é" contains an "e". An empty target changes nothing.
    static func replacing(_ target: String, with replacement: String, in text: String) throws -> String {
        guard !target.isEmpty, !text.isEmpty else { return text }
        var (text, target, replacement) = (text, target, replacement)
        return try text.withUTF8 { haystack in
            try target.withUTF8 { needle in
                try replacement.withUTF8 { substitute in
                    try replacing(needle, with: substitute, in: haystack) ?? String(decoding: haystack, as: UTF8.self)
                }
            }
        }
    }

    /// The replaced text; nil when `needle` does not occur.
    private static func replacing(_ needle: UnsafeBufferPointer<UInt8>, with substitute: UnsafeBufferPointer<UInt8>,
                                  in haystack: UnsafeBufferPointer<UInt8>) throws -> String? {
        var matches = 0
        var position = 0
        while let match = firstMatch(of: needle, in: haystack, from: position) {
            matches += 1
            position = match + needle.count
        }
        guard matches > 0 else { return nil }
        var size = ResultSize(of: "replace()")
        size.add(haystack.count - matches * needle.count)
        size.add(substitute.count, times: matches)
        try size.check()
        return String(unsafeUninitializedCapacity: size.bytes) { result in
            var (written, position) = (0, 0)
            let append = { (bytes: UnsafeBufferPointer<UInt8>) in
                _ = UnsafeMutableBufferPointer(rebasing: result[written...]).initialize(from: bytes)
                written += bytes.count
            }
            while let match = firstMatch(of: needle, in: haystack, from: position) {
                append(UnsafeBufferPointer(rebasing: haystack[position..<match]))
                append(substitute)
                position = match + needle.count
            }
            append(UnsafeBufferPointer(rebasing: haystack[position...]))
            return written
        }
    }

    /// Where `needle` (not empty) next starts in `haystack` at or after `start`.
    private static func firstMatch(of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>,
                                   from start: Int) -> Int? {
        guard let base = haystack.baseAddress, let wanted = needle.baseAddress, let first = needle.first else { return nil }
        let lastStart = haystack.count - needle.count
        var position = start
        while position <= lastStart {
            // memchr and memcmp: the scan is over the whole text, and must be quick in debug builds too.
            guard let found = memchr(base + position, Int32(first), lastStart - position + 1) else { return nil }
            let offset = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
            if memcmp(base + offset, wanted, needle.count) == 0 { return offset }
            position = offset + 1
        }
        return nil
    }
}
