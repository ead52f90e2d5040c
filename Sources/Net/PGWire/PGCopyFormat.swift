import VireoQuery
import VireoStorage

/// COPY's text and CSV formats: how a line splits into fields and fields join into a line;
/// and its binary format (PGCopyBinary.swift).
///
/// Text: fields separated by the delimiter (tab), `\N` for NULL, backslash escapes
/// (`\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, octal `\ooo`, hex `\xhh`).
/// CSV: fields separated by the delimiter (comma), quoted with `"` when they hold the
/// delimiter, a quote or a line break (a quote inside doubled); NULL is an unquoted
/// empty field; a quoted empty field is an empty string.
struct PGCopyFormat: Equatable {
    enum Kind: Equatable { case text, csv, binary }

    var kind = Kind.text
    var delimiter: Character = "\t"
    var null = "\\N"
    var header = false
    var quote: Character = "\""

    /// Reads `[WITH] (option, …)` or the old bare options.
    mutating func parseOptions(_ scanner: inout CopyScanner) throws {
        _ = scanner.keyword("with")
        var textOptions: [String] = []
        if scanner.accept("(") {
            repeat { textOptions += try parseOption(&scanner, parenthesised: true) } while scanner.accept(",")
            guard scanner.accept(")") else { throw VireoError(.syntaxError, "syntax error in COPY options: expected ')'") }
        } else {
            while !scanner.atEnd { textOptions += try parseOption(&scanner, parenthesised: false) }
        }
        if kind == .binary, let option = textOptions.first {
            throw VireoError(.syntaxError, "cannot specify \(option.uppercased()) in BINARY mode")
        }
    }

    /// Reads one option; returns its name when it is one of the text formats' own.
    private mutating func parseOption(_ scanner: inout CopyScanner, parenthesised: Bool) throws -> [String] {
        guard let name = scanner.word() else { throw VireoError(.syntaxError, "syntax error in COPY options") }
        switch name {
        case "format":
            switch scanner.word() {
            case "text": setKind(.text)
            case "csv": setKind(.csv)
            case "binary": setKind(.binary)
            case let other: throw PGCopyCommand.unsupported("COPY format \(other ?? "")")
            }
        case "binary": setKind(.binary)
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
        return ["header", "delimiter", "null", "quote", "escape"].contains(name) ? [name] : []
    }

    private mutating func setKind(_ newKind: Kind) {
        kind = newKind
        if newKind == .csv {
            if delimiter == "\t" { delimiter = "," }
            if null == "\\N" { null = "" }
        }
    }

    private func singleCharacter(_ text: String, _ option: String) throws -> Character {
        guard text.utf8.count == 1, let character = text.first else {
            throw VireoError(.featureNotSupported, "COPY \(option) must be a single one-byte character")
        }
        return character
    }
}

// MARK: - Encoding rows

extension PGCopyFormat {
    /// One row as a line, with its terminating newline: each value in its column's text
    /// format, as a query's rows are sent (a date without a time, a timestamptz with its offset).
    func line(_ row: [Value], types: [PGType]) -> String {
        row.enumerated().map { index, value in field(value, index < types.count ? types[index] : .text) }
            .joined(separator: String(delimiter)) + "\n"
    }

    func headerLine(_ names: [String]) -> String {
        names.map { kind == .csv ? csvQuoted($0, force: false) : escaped($0) }.joined(separator: String(delimiter)) + "\n"
    }

    private func field(_ value: Value, _ type: PGType) -> String {
        guard !value.isNull, let text = value.text(as: type) else { return null }
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
    private static let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r"), backslash = UInt8(ascii: "\\")

    /// The delimiter and quote as bytes (both are one-byte characters: `singleCharacter`).
    private var delimiterByte: UInt8 { delimiter.utf8.first ?? 0 }
    private var quoteByte: UInt8 { quote.utf8.first ?? 0 }

    /// Splits complete records off the front of `buffer` (CSV records may span lines
    /// inside quotes); what is left is an unfinished record. Works on bytes: a line
    /// break byte never occurs inside a multi-byte UTF-8 character.
    func takeRecords(from buffer: inout [UInt8]) -> [[UInt8]] {
        var records: [[UInt8]] = []
        var start = 0, inQuotes = false
        let csv = kind == .csv, quote = quoteByte
        for index in buffer.indices {
            let byte = buffer[index]
            if csv && byte == quote { inQuotes.toggle() }
            guard byte == Self.newline, !inQuotes else { continue }
            let end = index > start && buffer[index - 1] == Self.carriageReturn ? index - 1 : index
            records.append(Array(buffer[start..<end]))
            start = index + 1
        }
        buffer.removeFirst(start)
        return records
    }

    /// The fields of one record; nil for NULL.
    func fields(_ record: [UInt8]) throws -> [String?] {
        kind == .csv ? try csvFields(record) : try textFields(record)
    }

    private func textFields(_ record: [UInt8]) throws -> [String?] {
        var fields: [String?] = []
        var start = 0, index = 0, escaped = false
        let delimiter = delimiterByte
        while index <= record.count {
            if index == record.count || record[index] == delimiter {
                fields.append(try textField(record[start..<index], escaped: escaped))
                start = index + 1
                escaped = false
            } else if record[index] == Self.backslash {
                escaped = true
                index += 1  // an escaped delimiter is data
            }
            index += 1
        }
        return fields
    }

    /// A text-format field: NULL when its raw bytes are the NULL string, else its
    /// backslash sequences decoded.
    private func textField(_ raw: ArraySlice<UInt8>, escaped: Bool) throws -> String? {
        if raw.elementsEqual(null.utf8) { return nil }
        guard escaped else { return try Self.utf8(raw) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            guard raw[index] == Self.backslash, index + 1 < raw.endIndex else {
                bytes.append(raw[index])
                index += 1
                continue
            }
            let (byte, consumed) = Self.unescape(raw, at: index + 1)
            bytes.append(byte)
            index += 1 + consumed
        }
        return try Self.utf8(bytes[...])
    }

    /// The byte a backslash sequence stands for, and how many bytes after the backslash
    /// it used: `\n` and the other letters, octal `\ooo`, hex `\xhh`, else the byte itself.
    private static func unescape(_ raw: ArraySlice<UInt8>, at index: Int) -> (UInt8, Int) {
        let next = raw[index]
        switch next {
        case UInt8(ascii: "n"): return (newline, 1)
        case UInt8(ascii: "t"): return (UInt8(ascii: "\t"), 1)
        case UInt8(ascii: "r"): return (carriageReturn, 1)
        case UInt8(ascii: "b"): return (0x08, 1)
        case UInt8(ascii: "f"): return (0x0C, 1)
        case UInt8(ascii: "v"): return (0x0B, 1)
        case UInt8(ascii: "x"):
            let digits = raw[(index + 1)...].prefix(2).prefix { hexValue($0) != nil }
            guard !digits.isEmpty else { return (next, 1) }
            return (digits.reduce(0) { $0 << 4 | hexValue($1)! }, 1 + digits.count)
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            let digits = raw[index...].prefix(3).prefix { (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }
            return (digits.reduce(0) { $0 &<< 3 | ($1 - UInt8(ascii: "0")) }, digits.count)
        default: return (next, 1)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The field as text; bytes that are not UTF-8 are refused, as PostgreSQL refuses them.
    private static func utf8(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VireoError(.characterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\" in COPY data")
        }
        return text
    }

    private func csvFields(_ record: [UInt8]) throws -> [String?] {
        var fields: [String?] = [], current: [UInt8] = [], quoted = false, inQuotes = false, index = 0
        let (delimiter, quote) = (delimiterByte, quoteByte)
        func finish() throws {
            fields.append(!quoted && current.elementsEqual(null.utf8) ? nil : try Self.utf8(current[...]))
            current.removeAll(keepingCapacity: true)
            quoted = false
        }
        while index < record.count {
            let byte = record[index]
            if inQuotes {
                if byte == quote {
                    if index + 1 < record.count, record[index + 1] == quote { current.append(quote); index += 2; continue }
                    inQuotes = false
                } else {
                    current.append(byte)
                }
            } else if byte == quote {
                inQuotes = true
                quoted = true
            } else if byte == delimiter {
                try finish()
            } else {
                current.append(byte)
            }
            index += 1
        }
        if inQuotes { throw VireoError(.invalidTextRepresentation, "unterminated CSV quoted field") }
        try finish()
        return fields
    }
}
