import VireoQuery
import VireoStorage

/// COPY's text and CSV formats: how a line splits into fields and fields join into a line.
///
/// Text: fields separated by the delimiter (tab), `\N` for NULL, backslash escapes
/// (`\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, octal `\ooo`, hex `\xhh`).
/// CSV: fields separated by the delimiter (comma), quoted with `"` when they hold the
/// delimiter, a quote or a line break (a quote inside doubled); NULL is an unquoted
/// empty field; a quoted empty field is an empty string.
struct PGCopyFormat: Equatable {
    enum Kind: Equatable { case text, csv }

    var kind = Kind.text
    var delimiter: Character = "\t"
    var null = "\\N"
    var header = false
    var quote: Character = "\""

    /// Reads `[WITH] (option, …)` or the old bare options.
    mutating func parseOptions(_ scanner: inout CopyScanner) throws {
        _ = scanner.keyword("with")
        if scanner.accept("(") {
            repeat { try parseOption(&scanner, parenthesised: true) } while scanner.accept(",")
            guard scanner.accept(")") else { throw VireoError(.syntaxError, "syntax error in COPY options: expected ')'") }
        } else {
            while !scanner.atEnd { try parseOption(&scanner, parenthesised: false) }
        }
    }

    private mutating func parseOption(_ scanner: inout CopyScanner, parenthesised: Bool) throws {
        guard let name = scanner.word() else { throw VireoError(.syntaxError, "syntax error in COPY options") }
        switch name {
        case "format":
            switch scanner.word() {
            case "text": setKind(.text)
            case "csv": setKind(.csv)
            case let other: throw PGCopyCommand.unsupported("COPY format \(other ?? "")")
            }
        case "csv": setKind(.csv)
        case "text": setKind(.text)
        case "header": header = parenthesised ? (scanner.word().map { !["false", "off"].contains($0) } ?? true) : true
        case "delimiter":
            _ = scanner.keyword("as")
            delimiter = try singleCharacter(scanner.string(), "DELIMITER")
        case "null":
            _ = scanner.keyword("as")
            null = try scanner.string()
        case "quote": quote = try singleCharacter(scanner.string(), "QUOTE")
        case "escape": _ = try scanner.string()
        case "encoding":
            guard try scanner.string().uppercased().replacingOccurrences(of: "-", with: "") == "UTF8" else {
                throw PGCopyCommand.unsupported("COPY in an encoding other than UTF8")
            }
        default: throw PGCopyCommand.unsupported("COPY option \(name)")
        }
    }

    private mutating func setKind(_ newKind: Kind) {
        kind = newKind
        if newKind == .csv {
            if delimiter == "\t" { delimiter = "," }
            if null == "\\N" { null = "" }
        }
    }

    private func singleCharacter(_ text: String, _ option: String) throws -> Character {
        guard text.count == 1, let character = text.first else {
            throw VireoError(.featureNotSupported, "COPY \(option) must be a single one-byte character")
        }
        return character
    }
}

// MARK: - Encoding rows

extension PGCopyFormat {
    /// One row as a line, with its terminating newline.
    func line(_ row: [Value]) -> String {
        row.map { field($0) }.joined(separator: String(delimiter)) + "\n"
    }

    func headerLine(_ names: [String]) -> String {
        names.map { kind == .csv ? csvQuoted($0, force: false) : escaped($0) }.joined(separator: String(delimiter)) + "\n"
    }

    private func field(_ value: Value) -> String {
        guard let text = value.text else { return null }
        return kind == .csv ? csvQuoted(text, force: text == null) : escaped(text)
    }

    private func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case delimiter: result += "\\" + String(character)
            default: result.append(character)
            }
        }
        return result
    }

    private func csvQuoted(_ text: String, force: Bool) -> String {
        let needsQuotes = force || text.contains { $0 == delimiter || $0 == quote || $0 == "\n" || $0 == "\r" }
        guard needsQuotes else { return text }
        return String(quote) + text.replacingOccurrences(of: String(quote), with: String(quote) + String(quote)) + String(quote)
    }
}

// MARK: - Decoding lines

extension PGCopyFormat {
    /// Splits complete records off the front of `buffer` (CSV records may span lines
    /// inside quotes); what is left is an unfinished record.
    func takeRecords(from buffer: inout [Character]) -> [[Character]] {
        var records: [[Character]] = []
        var start = 0, inQuotes = false, index = 0
        while index < buffer.count {
            let character = buffer[index]
            if kind == .csv && character == quote { inQuotes.toggle() }
            if character == "\n" && !inQuotes {
                var record = Array(buffer[start..<index])
                if record.last == "\r" { record.removeLast() }
                records.append(record)
                start = index + 1
            }
            index += 1
        }
        buffer.removeFirst(start)
        return records
    }

    /// The fields of one record; nil for NULL.
    func fields(_ record: [Character]) throws -> [String?] {
        kind == .csv ? try csvFields(record) : try textFields(record)
    }

    private func textFields(_ record: [Character]) throws -> [String?] {
        var fields: [String?] = [], current = "", raw = "", index = 0
        func finish() { fields.append(raw == null ? nil : current); current = ""; raw = "" }
        while index < record.count {
            let character = record[index]
            if character == delimiter { finish(); index += 1; continue }
            guard character == "\\", index + 1 < record.count else {
                current.append(character); raw.append(character); index += 1; continue
            }
            let (decoded, consumed) = unescape(record, at: index + 1)
            current += decoded
            raw += String(record[index..<(index + 1 + consumed)])
            index += 1 + consumed
        }
        finish()
        return fields
    }

    /// The character(s) a backslash sequence stands for, and how many characters after
    /// the backslash it used.
    private func unescape(_ record: [Character], at index: Int) -> (String, Int) {
        let next = record[index]
        switch next {
        case "n": return ("\n", 1)
        case "t": return ("\t", 1)
        case "r": return ("\r", 1)
        case "b": return ("\u{8}", 1)
        case "f": return ("\u{c}", 1)
        case "v": return ("\u{b}", 1)
        case "x":
            let digits = record[(index + 1)...].prefix(2).prefix { $0.isHexDigit }
            guard let value = UInt8(String(digits), radix: 16) else { return ("x", 1) }
            return (String(UnicodeScalar(value)), 1 + digits.count)
        case "0"..."7":
            let digits = record[index...].prefix(3).prefix { ("0"..."7").contains($0) }
            let value = UInt8(String(digits), radix: 8) ?? 0
            return (String(UnicodeScalar(value)), digits.count)
        default: return (String(next), 1)
        }
    }

    private func csvFields(_ record: [Character]) throws -> [String?] {
        var fields: [String?] = [], current = "", quoted = false, inQuotes = false, index = 0
        func finish() { fields.append(!quoted && current == null ? nil : current); current = ""; quoted = false }
        while index < record.count {
            let character = record[index]
            if inQuotes {
                if character == quote {
                    if index + 1 < record.count, record[index + 1] == quote { current.append(quote); index += 2; continue }
                    inQuotes = false
                } else {
                    current.append(character)
                }
            } else if character == quote {
                inQuotes = true
                quoted = true
            } else if character == delimiter {
                finish()
            } else {
                current.append(character)
            }
            index += 1
        }
        if inQuotes { throw VireoError(.invalidTextRepresentation, "unterminated CSV quoted field") }
        finish()
        return fields
    }
}
