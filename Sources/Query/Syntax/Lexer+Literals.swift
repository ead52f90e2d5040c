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
        if !escapes, let plain = lexPlainString() { return plain }
        let start = escapes ? position - 1 : position
        let raw: [UInt8]?
        do {
            if escapes { raw = try readEscapedString() } else { raw = readQuoted(quote: UInt8(ascii: "'")) }
        } catch let error as VireoError {
            position = bytes.count
            return .error(error)
        } catch {
            return failure(at: start, length: 1, "\(error)")
        }
        guard let raw else {
            return failure(at: start, length: bytes.count - start,
                           "unterminated quoted string at or near \"\(displayText(from: start))\"")
        }
        do {
            // `\xff` and octal escapes can make bytes that are not UTF-8: refused, as PostgreSQL does.
            return .string(try VireoError.utf8Text(raw))
        } catch let error as VireoError {
            return failure(at: start, length: position - start, error.message, code: error.code)
        } catch {
            return failure(at: start, length: 1, "\(error)")
        }
    }

    /// A standard string with no doubled quote inside, consumed: its text straight from the
    /// input, which is UTF-8 already (a quote never splits a character), so it needs neither
    /// a copy of its bytes nor validation. Nil, consuming nothing, for any other string.
    private mutating func lexPlainString() -> TokenKind? {
        let quote = UInt8(ascii: "'")
        var end = position + 1
        while end < bytes.count, bytes[end] != quote { end += 1 }
        guard end < bytes.count, end + 1 == bytes.count || bytes[end + 1] != quote else { return nil }
        let text = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
        position = end + 1
        return .string(text)
    }

    /// Reads an E-string body up to its closing quote, applying escapes; nil when unterminated.
    /// Throws for a Unicode escape PostgreSQL refuses.
    private mutating func readEscapedString() throws -> [UInt8]? {
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
                index = try appendEscape(at: index + 1, to: &content)
                continue
            }
            content.append(byte)
            index += 1
        }
        return nil
    }

    /// Decodes the escape whose letter is at `index`; returns the index after it.
    private func appendEscape(at index: Int, to content: inout [UInt8]) throws -> Int {
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
        case UInt8(ascii: "u"), UInt8(ascii: "U"): return try appendUnicodeEscape(at: index, to: &content)
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

    /// `\uXXXX` / `\UXXXXXXXX` (the letter at `index`): a code point, written as UTF-8; a
    /// UTF-16 surrogate pair written as two escapes is one code point. As in PostgreSQL, too
    /// few digits is 22025, and zero, a value above U+10FFFF or a lone surrogate 42601.
    private func appendUnicodeEscape(at index: Int, to content: inout [UInt8]) throws -> Int {
        guard let (value, end) = try unicodeEscapeValue(at: index) else {
            throw VireoError(.syntaxError, "invalid Unicode escape value at or near \"\(displayText(from: index - 1, length: 2))\"", position: index - 1)
        }
        var scalarValue = value, next = end
        if (0xD800..<0xDC00).contains(value) {
            guard next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] | 0x20 == UInt8(ascii: "u"),
                  let (low, afterLow) = try unicodeEscapeValue(at: next + 1), (0xDC00..<0xE000).contains(low) else {
                throw VireoError(.syntaxError, "invalid Unicode surrogate pair at or near \"\(displayText(from: next, length: 6))\"", position: next)
            }
            scalarValue = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            next = afterLow
        } else if (0xDC00..<0xE000).contains(value) {
            throw VireoError(.syntaxError, "invalid Unicode surrogate pair at or near \"\(displayText(from: index - 1, length: end - index + 1))\"",
                             position: index - 1)
        }
        guard scalarValue != 0, let scalar = Unicode.Scalar(scalarValue) else {
            throw VireoError(.syntaxError, "invalid Unicode escape value at or near \"\(displayText(from: index - 1, length: end - index + 1))\"",
                             position: index - 1)
        }
        content.append(contentsOf: Array(String(Character(scalar)).utf8))
        return next
    }

    /// The value of the escape whose `u`/`U` is at `index`, and the index after its digits;
    /// 22025 when it has too few digits, nil when the value is above U+10FFFF.
    private func unicodeEscapeValue(at index: Int) throws -> (UInt32, Int)? {
        let count = bytes[index] == UInt8(ascii: "u") ? 4 : 8
        let digits = hexOrOctalPrefix(from: index + 1, radix: 16, digitsMax: count)
        guard digits.count == count, let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) else {
            throw VireoError(.invalidEscapeSequence, "invalid Unicode escape", position: index - 1,
                             hint: "Unicode escapes must be \\uXXXX or \\UXXXXXXXX.")
        }
        return value <= 0x10FFFF ? (value, index + 1 + count) : nil
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
