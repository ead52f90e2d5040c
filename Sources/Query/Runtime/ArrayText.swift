import VireoStorage

/// PostgreSQL's text form of a one-dimensional array: `{1,2,NULL}`, `{"a b","say \"hi\""}`.
/// Vireo's arrays have one dimension and lower bound 1; input with more dimensions or other
/// bounds is refused (0A000) rather than flattened.
enum ArrayText {
    /// Parses `text` as an array of `element`, each element's text converted as a literal of
    /// that type would be. Throws 22P02 `malformed array literal` as PostgreSQL words it.
    static func parse(_ text: String, element: SQLType) throws -> [Value] {
        var reader = Reader(bytes: Array(text.utf8), text: text)
        return try reader.parse().map { item in
            guard let item else { return .null }
            return try Cast.convert(.text(item), to: element)
        }
    }

    /// The array's text: elements in their own text form (as `element` prints them when
    /// given), quoted where array input would otherwise misread them.
    static func format(_ elements: [Value], element: SQLType?) -> String {
        "{" + elements.map { value -> String in
            guard let text = element.map({ value.text(as: $0) }) ?? value.text else { return "NULL" }
            return needsQuotes(text) ? quoted(text) : text
        }.joined(separator: ",") + "}"
    }

    static func needsQuotes(_ text: String) -> Bool {
        text.isEmpty || isNullWord(text) || text.utf8.contains { byte in
            byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"")
                || byte == UInt8(ascii: "\\") || isSpace(byte)
        }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "\""
    }

    /// `NULL` in any case: the word array input reads as a NULL element.
    static func isNullWord(_ text: String) -> Bool {
        text.count == 4 && text.uppercased() == "NULL"
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// A cursor over the literal's bytes; elements come back as text (nil for NULL).
    private struct Reader {
        let bytes: [UInt8]
        let text: String
        var offset = 0

        mutating func parse() throws -> [String?] {
            skipSpaces()
            if peek == UInt8(ascii: "[") {
                throw VireoError(.featureNotSupported, "array bounds other than the default (1) are not supported: \"\(text)\"")
            }
            guard peek == UInt8(ascii: "{") else { throw malformed("Array value must start with \"{\" or dimension information.") }
            offset += 1
            var items: [String?] = []
            skipSpaces()
            if peek == UInt8(ascii: "}") {
                offset += 1
                try expectEnd()
                return items
            }
            while true {
                skipSpaces()
                items.append(try element())
                skipSpaces()
                switch peek {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "}"):
                    offset += 1
                    try expectEnd()
                    return items
                default: throw malformed("Unexpected array element.")
                }
            }
        }

        private mutating func element() throws -> String? {
            switch peek {
            case UInt8(ascii: "{"):
                throw VireoError(.featureNotSupported, "multidimensional arrays are not supported: \"\(text)\"")
            case UInt8(ascii: "\""): return try quotedElement()
            case UInt8(ascii: ","), UInt8(ascii: "}"), nil: throw malformed("Unexpected \"\(peek.map { String(UnicodeScalar($0)) } ?? "end")\" character.")
            default: return try plainElement()
            }
        }

        private mutating func quotedElement() throws -> String {
            offset += 1
            var item: [UInt8] = []
            while let byte = peek {
                offset += 1
                if byte == UInt8(ascii: "\"") { return String(decoding: item, as: UTF8.self) }
                if byte == UInt8(ascii: "\\") {
                    guard let escaped = peek else { break }
                    offset += 1
                    item.append(escaped)
                } else {
                    item.append(byte)
                }
            }
            throw malformed("Unexpected end of input.")
        }

        /// An unquoted element: up to `,` or `}`, backslash escapes kept literally, trailing
        /// spaces dropped; `NULL` in any case (unquoted, unescaped) is NULL.
        private mutating func plainElement() throws -> String? {
            var item: [UInt8] = []
            var escapedLength = 0
            while let byte = peek, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}") {
                offset += 1
                if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "\"") { throw malformed("Unexpected \"\(UnicodeScalar(byte))\" character.") }
                if byte == UInt8(ascii: "\\") {
                    guard let escaped = peek else { throw malformed("Unexpected end of input.") }
                    offset += 1
                    item.append(escaped)
                    escapedLength = item.count
                } else {
                    item.append(byte)
                }
            }
            while item.count > escapedLength, let last = item.last, isSpace(last) { item.removeLast() }
            let value = String(decoding: item, as: UTF8.self)
            if escapedLength == 0, ArrayText.isNullWord(value) { return nil }
            return value
        }

        private var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        private mutating func skipSpaces() {
            while let byte = peek, ArrayText.isSpace(byte) { offset += 1 }
        }

        private mutating func expectEnd() throws {
            skipSpaces()
            guard peek == nil else { throw malformed("Junk after closing right brace.") }
        }

        /// PostgreSQL's message; `detail` (its DETAIL line) says what was wrong, for readers here.
        private func malformed(_ detail: String) -> VireoError {
            VireoError(.invalidTextRepresentation, "malformed array literal: \"\(text)\"")
        }
    }
}

