import VireoStorage

/// Literals: numbers, `'strings'` (with `''`), `E'escaped'` strings, `$tag$dollar$tag$`
/// strings and `$n` parameters.
extension Lexer {
    /// A number: digits, an optional fraction, an optional exponent. Letters straight after a
    /// number are an error, as in PostgreSQL 15 (`123abc` is not `123 AS abc`).
    mutating func lexNumber() -> TokenKind {
        let start = position
        var isDecimal = false
        skipDigits()
        if peekByte() == UInt8(ascii: "."), peekByte(at: 1) != UInt8(ascii: ".") {
            isDecimal = true
            position += 1
            skipDigits()
        }
        if let byte = peekByte(), byte | 0x20 == UInt8(ascii: "e") {
            let signLength = peekByte(at: 1) == UInt8(ascii: "+") || peekByte(at: 1) == UInt8(ascii: "-") ? 1 : 0
            if let digit = peekByte(at: 1 + signLength), isDigit(digit) {
                isDecimal = true
                position += 1 + signLength
                skipDigits()
            }
        }
        if let byte = peekByte(), isIdentifierPart(byte) {
            while let byte = peekByte(), isIdentifierPart(byte) { position += 1 }
            return failure(at: start, length: position - start,
                           "trailing junk after numeric literal at or near \"\(displayText(from: start, length: position - start))\"")
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        return isDecimal ? .decimal(text) : .integer(text)
    }

    private mutating func skipDigits() {
        while let byte = peekByte(), isDigit(byte) { position += 1 }
    }

    /// `'…'` (standard: backslash is an ordinary character) or, with `escapes`, `E'…'` whose
    /// backslash escapes are PostgreSQL's: `\b \f \n \r \t`, `\ooo`, `\xHH`, `\uXXXX`,
    /// `\UXXXXXXXX`, and `\c` for any other c. The lexer stands on the opening quote.
    mutating func lexString(escapes: Bool) -> TokenKind {
        let start = escapes ? position - 1 : position
        let raw: [UInt8]?
        if escapes { raw = readEscapedString() } else { raw = readQuoted(quote: UInt8(ascii: "'")) }
        guard let raw else {
            return failure(at: start, length: bytes.count - start,
                           "unterminated quoted string at or near \"\(displayText(from: start))\"")
        }
        guard let value = String(validating: raw, as: UTF8.self) else {
            return failure(at: start, length: position - start,
                           "invalid byte sequence for encoding \"UTF8\" in string at or near \"\(displayText(from: start, length: position - start))\"",
                           code: .invalidTextRepresentation)
        }
        return .string(value)
    }

    /// Reads an E-string body up to its closing quote, applying escapes; nil when unterminated.
    private mutating func readEscapedString() -> [UInt8]? {
        var content: [UInt8] = []
        var index = position + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "'") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
                    content.append(byte)
                    index += 2
                    continue
                }
                position = index + 1
                return content
            }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                index = appendEscape(at: index + 1, to: &content)
                continue
            }
            content.append(byte)
            index += 1
        }
        return nil
    }

    /// Decodes the escape whose letter is at `index`; returns the index after it.
    private func appendEscape(at index: Int, to content: inout [UInt8]) -> Int {
        let letter = bytes[index]
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let byte = simple[letter] {
            content.append(byte)
            return index + 1
        }
        switch letter {
        case UInt8(ascii: "x"): return appendNumericEscape(from: index + 1, radix: 16, digitsMax: 2, fallback: letter, to: &content)
        case UInt8(ascii: "0")...UInt8(ascii: "7"): return appendNumericEscape(from: index, radix: 8, digitsMax: 3, fallback: letter, to: &content)
        case UInt8(ascii: "u"): return appendUnicodeEscape(from: index + 1, digits: 4, fallback: letter, to: &content)
        case UInt8(ascii: "U"): return appendUnicodeEscape(from: index + 1, digits: 8, fallback: letter, to: &content)
        default:
            content.append(letter)
            return index + 1
        }
    }

    /// `\xHH` or `\ooo`: one byte. Without any digit the escape is just the letter.
    private func appendNumericEscape(from index: Int, radix: Int, digitsMax: Int, fallback: UInt8, to content: inout [UInt8]) -> Int {
        let digits = hexOrOctalPrefix(from: index, radix: radix, digitsMax: digitsMax)
        guard !digits.isEmpty, let value = Int(String(decoding: digits, as: UTF8.self), radix: radix) else {
            content.append(fallback)
            return index
        }
        content.append(UInt8(truncatingIfNeeded: value))
        return index + digits.count
    }

    /// `\uXXXX` / `\UXXXXXXXX`: a code point, written as UTF-8. An invalid code point (or too
    /// few digits) yields U+FFFD rather than bytes that are not UTF-8.
    private func appendUnicodeEscape(from index: Int, digits count: Int, fallback: UInt8, to content: inout [UInt8]) -> Int {
        let digits = hexOrOctalPrefix(from: index, radix: 16, digitsMax: count)
        guard digits.count == count, let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) else {
            content.append(fallback)
            return index
        }
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        content.append(contentsOf: Array(String(Character(scalar)).utf8))
        return index + count
    }

    private func hexOrOctalPrefix(from index: Int, radix: Int, digitsMax: Int) -> ArraySlice<UInt8> {
        var end = index
        while end < bytes.count, end - index < digitsMax, isRadixDigit(bytes[end], radix: radix) { end += 1 }
        return bytes[index..<end]
    }

    private func isRadixDigit(_ byte: UInt8, radix: Int) -> Bool {
        if radix == 8 { return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7") }
        return isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    /// `$n` (a parameter) or `$tag$…$tag$` (a dollar-quoted string; the tag may be empty).
    mutating func lexDollar() -> TokenKind {
        let start = position
        if let next = peekByte(at: 1), isDigit(next) { return lexParameter() }
        var tagEnd = position + 1
        while tagEnd < bytes.count, isIdentifierPart(bytes[tagEnd]), bytes[tagEnd] != UInt8(ascii: "$") {
            if tagEnd == position + 1, isDigit(bytes[tagEnd]) { break }
            tagEnd += 1
        }
        guard tagEnd < bytes.count, bytes[tagEnd] == UInt8(ascii: "$") else {
            return failure(at: start, length: 1, "syntax error at or near \"$\"")
        }
        // A bounded tag keeps the search for the closing delimiter linear in the input.
        guard tagEnd - start - 1 <= SyntaxLimits.identifierLengthBytesMax else {
            return failure(at: start, length: tagEnd - start + 1,
                           "dollar-quote tag is too long (\(SyntaxLimits.identifierLengthBytesMax) bytes max)", code: .limitExceeded)
        }
        let delimiter = Array(bytes[start...tagEnd])
        guard let close = find(delimiter, from: tagEnd + 1) else {
            return failure(at: start, length: bytes.count - start,
                           "unterminated dollar-quoted string at or near \"\(displayText(from: start))\"")
        }
        position = close + delimiter.count
        return .string(String(decoding: bytes[(tagEnd + 1)..<close], as: UTF8.self))
    }

    private func find(_ needle: [UInt8], from index: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var candidate = index
        while candidate + needle.count <= bytes.count {
            if bytes[candidate] == needle[0], bytes[candidate..<(candidate + needle.count)].elementsEqual(needle) {
                return candidate
            }
            candidate += 1
        }
        return nil
    }

    private mutating func lexParameter() -> TokenKind {
        let start = position
        position += 1
        while let byte = peekByte(), isDigit(byte) { position += 1 }
        if let byte = peekByte(), isIdentifierPart(byte) {
            while let byte = peekByte(), isIdentifierPart(byte) { position += 1 }
            return failure(at: start, length: position - start,
                           "trailing junk after parameter at or near \"\(displayText(from: start, length: position - start))\"")
        }
        let digits = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
        guard let number = Int(digits), number <= SyntaxLimits.parametersMax else {
            return failure(at: start, length: position - start,
                           "parameter $\(digits) exceeds the limit of \(SyntaxLimits.parametersMax) parameters", code: .limitExceeded)
        }
        guard number >= 1 else {
            return failure(at: start, length: position - start, "there is no parameter $\(digits)")
        }
        return .parameter(number)
    }
}
