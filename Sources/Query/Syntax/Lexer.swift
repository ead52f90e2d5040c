import VireoStorage

/// Splits SQL text into tokens, one at a time, following PostgreSQL's lexical rules:
/// unquoted words fold to lower case, `--` and nested `/* */` comments are skipped, operators
/// are the longest run of operator characters (a run of more than one character may not end in
/// `+` or `-` unless it holds one of `~ ! @ # % ^ & | ` ?`, so `a<-1` is `a < -1`).
///
/// The lexer never throws: input it cannot read becomes an `.error` token carrying the
/// `VireoError`, which the parser throws when it reaches it.
struct Lexer {
    let bytes: [UInt8]
    var position = 0

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// The next token; `.end` forever once the input is exhausted.
    mutating func next() -> Token {
        if let failure = skipSpaceAndComments() { return failure }
        let start = position
        guard let byte = peekByte() else { return Token(kind: .end, start: start, end: start) }
        let kind = lexToken(startingWith: byte)
        return Token(kind: kind, start: start, end: position)
    }

    private mutating func lexToken(startingWith byte: UInt8) -> TokenKind {
        switch byte {
        case UInt8(ascii: "'"): return lexString(escapes: false)
        case UInt8(ascii: "\""): return lexQuotedIdentifier()
        case UInt8(ascii: "$"): return lexDollar()
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return lexNumber()
        case UInt8(ascii: "."):
            if let next = peekByte(at: 1), isDigit(next) { return lexNumber() }
            position += 1
            return .dot
        case _ where isIdentifierStart(byte): return lexWord()
        default: return lexPunctuationOrOperator(byte)
        }
    }

    /// The one-byte punctuation tokens (a switch: a dictionary cost a hash per comma).
    private static func punctuationKind(_ byte: UInt8) -> TokenKind? {
        switch byte {
        case UInt8(ascii: "("): .leftParen
        case UInt8(ascii: ")"): .rightParen
        case UInt8(ascii: "["): .leftBracket
        case UInt8(ascii: "]"): .rightBracket
        case UInt8(ascii: ","): .comma
        case UInt8(ascii: ";"): .semicolon
        default: nil
        }
    }

    /// Characters that let an operator end in `+` or `-`.
    private static let operatorOnlyCharacters = Set("~!@#%^&|`?".utf8)

    private mutating func lexPunctuationOrOperator(_ byte: UInt8) -> TokenKind {
        if let kind = Self.punctuationKind(byte) {
            position += 1
            return kind
        }
        if byte == UInt8(ascii: ":") {
            if peekByte(at: 1) == UInt8(ascii: ":") {
                position += 2
                return .doubleColon
            }
            position += 1
            return .colon
        }
        if isOperatorCharacter(byte) { return lexOperator() }
        return failure(at: position, length: 1, "syntax error at or near \"\(displayText(from: position, length: 1))\"")
    }

    /// PostgreSQL's operator rule: the longest run of operator characters that does not start a
    /// comment, then trailing `+`/`-` dropped unless the run holds a character that only
    /// operators use.
    private mutating func lexOperator() -> TokenKind {
        let start = position
        var end = start
        while end < bytes.count, isOperatorCharacter(bytes[end]) {
            if end > start, startsComment(at: end) { break }
            end += 1
        }
        if end - start > 1, !bytes[start..<end].contains(where: Self.operatorOnlyCharacters.contains) {
            while end - start > 1, bytes[end - 1] == UInt8(ascii: "+") || bytes[end - 1] == UInt8(ascii: "-") {
                end -= 1
            }
        }
        position = end
        return .op(String(decoding: bytes[start..<end], as: UTF8.self))
    }

    private mutating func lexWord() -> TokenKind {
        let start = position
        if bytes[start] | 0x20 == UInt8(ascii: "e"), peekByte(at: 1) == UInt8(ascii: "'") {
            position += 1
            return lexString(escapes: true)
        }
        while let byte = peekByte(), isIdentifierPart(byte) { position += 1 }
        let folded = bytes[start..<position].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let name = String(decoding: folded, as: UTF8.self)
        if let tooLong = checkIdentifierLength(name, start: start) { return tooLong }
        return .word(name, Keyword.byName[name])
    }

    private mutating func lexQuotedIdentifier() -> TokenKind {
        let start = position
        guard let content = readQuoted(quote: UInt8(ascii: "\"")) else {
            return failure(at: start, length: bytes.count - start,
                           "unterminated quoted identifier at or near \"\(displayText(from: start))\"")
        }
        if content.isEmpty {
            return failure(at: start, length: 2, "zero-length delimited identifier at or near \"\"\"\"")
        }
        let name = String(decoding: content, as: UTF8.self)
        if let tooLong = checkIdentifierLength(name, start: start) { return tooLong }
        return .quotedIdentifier(name)
    }

    private func checkIdentifierLength(_ name: String, start: Int) -> TokenKind? {
        guard name.utf8.count > SyntaxLimits.identifierLengthBytesMax else { return nil }
        let error = VireoError(
            .limitExceeded,
            "identifier \"\(displayText(from: start))\" is too long (\(SyntaxLimits.identifierLengthBytesMax) bytes max)",
            position: start)
        return .error(error)
    }

    /// Reads from an opening quote to its closing quote, a doubled quote standing for one;
    /// nil when the input ends first.
    mutating func readQuoted(quote: UInt8) -> [UInt8]? {
        var content: [UInt8] = []
        var index = position + 1
        while index < bytes.count {
            if bytes[index] == quote {
                if index + 1 < bytes.count, bytes[index + 1] == quote {
                    content.append(quote)
                    index += 2
                    continue
                }
                position = index + 1
                return content
            }
            content.append(bytes[index])
            index += 1
        }
        return nil
    }

    /// Skips blanks and comments; returns an error token for an unterminated block comment.
    private mutating func skipSpaceAndComments() -> Token? {
        while let byte = peekByte() {
            if isSpace(byte) {
                position += 1
            } else if byte == UInt8(ascii: "-"), peekByte(at: 1) == UInt8(ascii: "-") {
                while let byte = peekByte(), byte != UInt8(ascii: "\n") { position += 1 }
            } else if byte == UInt8(ascii: "/"), peekByte(at: 1) == UInt8(ascii: "*") {
                let start = position
                guard skipBlockComment() else {
                    let kind = failure(at: start, length: bytes.count - start, "unterminated /* comment at or near \"\(displayText(from: start))\"")
                    return Token(kind: kind, start: start, end: bytes.count)
                }
            } else {
                return nil
            }
        }
        return nil
    }

    /// Skips a block comment, nested ones included as PostgreSQL does; false when unterminated.
    private mutating func skipBlockComment() -> Bool {
        var depth = 0
        while position < bytes.count {
            if startsComment(at: position), bytes[position] == UInt8(ascii: "/") {
                depth += 1
                position += 2
            } else if bytes[position] == UInt8(ascii: "*"), peekByte(at: 1) == UInt8(ascii: "/") {
                depth -= 1
                position += 2
                if depth == 0 { return true }
            } else {
                position += 1
            }
        }
        return false
    }

    private func startsComment(at index: Int) -> Bool {
        guard index + 1 < bytes.count else { return false }
        let pair = (bytes[index], bytes[index + 1])
        return pair == (UInt8(ascii: "-"), UInt8(ascii: "-")) || pair == (UInt8(ascii: "/"), UInt8(ascii: "*"))
    }

    // MARK: - Helpers

    func peekByte(at offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    /// Up to 40 bytes of source from `start`, for "at or near" messages (PostgreSQL echoes the
    /// whole rest of an unterminated literal; a bound keeps error messages readable).
    func displayText(from start: Int, length: Int? = nil) -> String {
        let end = min(bytes.count, start + min(length ?? 40, 40))
        var text = String(decoding: bytes[start..<end], as: UTF8.self)
        if let length, length > 40 { text += "…" } else if length == nil, bytes.count - start > 40 { text += "…" }
        return text
    }

    /// An error token's kind and moves past the rest of the input, so lexing stops there.
    mutating func failure(at start: Int, length: Int, _ message: String, code: VireoError.Code = .syntaxError) -> TokenKind {
        position = bytes.count
        return .error(VireoError(code, message, position: start))
    }
}

func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

func isIdentifierStart(_ byte: UInt8) -> Bool {
    (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_") || byte >= 0x80
}

func isIdentifierPart(_ byte: UInt8) -> Bool {
    isIdentifierStart(byte) || isDigit(byte) || byte == UInt8(ascii: "$")
}

private func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C || byte == 0x0B
}

private func isOperatorCharacter(_ byte: UInt8) -> Bool {
    "+-*/<>=~!@#%^&|`?".utf8.contains(byte)
}
