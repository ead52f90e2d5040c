import Foundation
import VireoStorage

/// A `COPY` statement as pgwire serves it: rows from the client (`FROM STDIN`) or to it
/// (`TO STDOUT`), in PostgreSQL's text or CSV format. COPY moves data between the client
/// and statements the engine already runs (a multi-row INSERT, a SELECT), so it is
/// parsed here, not by the engine's grammar.
///
///     COPY table [ ( column [, …] ) ] FROM STDIN [ [ WITH ] ( option [, …] ) ]
///     COPY { table [ ( column [, …] ) ] | ( query ) } TO STDOUT [ [ WITH ] ( option [, …] ) ]
///     option: FORMAT text|csv, DELIMITER 'c', NULL 'text', HEADER [ boolean ], QUOTE 'c', ESCAPE 'c'
///     (and the old spellings CSV, HEADER, DELIMITER [AS] 'c', NULL [AS] 'text' without parentheses)
struct PGCopyCommand: Equatable {
    enum Direction: Equatable { case from, to }

    var table: String?
    /// The table's schema when written (`public.t` is the permanent `t` even where the
    /// session's temporary `t` hides it; `pg_temp.t` the temporary one).
    var schema: String?
    var columns: [String] = []
    /// `COPY (query) TO STDOUT`.
    var query: String?
    var direction = Direction.from
    var format = PGCopyFormat()

    /// The command in `sql`, nil when `sql` is not a COPY statement.
    static func parse(_ sql: String) throws -> PGCopyCommand? {
        guard startsWithWord(sql, "copy") else { return nil }
        var scanner = CopyScanner(sql)
        guard scanner.keyword("copy") else { return nil }
        var command = PGCopyCommand()
        if scanner.accept("(") {
            command.query = try scanner.balancedParenthesised()
        } else {
            let name = try scanner.qualifiedIdentifier()
            command.schema = name.schema
            command.table = name.name
            if scanner.accept("(") { command.columns = try scanner.identifierList() }
        }
        if scanner.keyword("from") {
            guard scanner.keyword("stdin") else { throw unsupported("COPY FROM a file; use FROM STDIN (psql's \\copy)") }
        } else if scanner.keyword("to") {
            command.direction = .to
            guard scanner.keyword("stdout") else { throw unsupported("COPY TO a file; use TO STDOUT (psql's \\copy)") }
        } else {
            throw VireoError(.syntaxError, "syntax error in COPY: expected FROM STDIN or TO STDOUT")
        }
        if command.query != nil && command.direction == .from { throw VireoError(.syntaxError, "COPY (query) FROM is not allowed") }
        try command.format.parseOptions(&scanner)
        guard scanner.atEnd else { throw VireoError(.syntaxError, "syntax error in COPY at or near \"\(scanner.rest.prefix(20))\"") }
        return command
    }

    static func unsupported(_ what: String) -> VireoError {
        VireoError(.featureNotSupported, "\(what) is not supported")
    }

    /// The table as the statements COPY runs name it: `"schema"."name"` when a schema was written.
    var quotedTable: String {
        (schema.map { Self.quoted($0) + "." } ?? "") + Self.quoted(table ?? "")
    }

    /// `"name"`, with embedded quotes doubled, for the statements COPY runs.
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A small scanner for COPY's own syntax: keywords, identifiers, quoted strings.
/// Whether `sql`, after leading blanks, begins with the lower-case letters of `word` in any
/// case. Every simple query passes the pgwire layer's own statements (COPY, DEALLOCATE), so
/// they look at the first bytes before copying or scanning anything.
func startsWithWord(_ sql: String, _ word: StaticString) -> Bool {
    var bytes = sql.utf8.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.makeIterator()
    return word.withUTF8Buffer { expected in expected.allSatisfy { bytes.next().map { $0 | 0x20 } == $0 } }
}

struct CopyScanner {
    private let characters: [Character]
    private var position = 0

    init(_ text: String) {
        var characters = Array(text.trimmingCharacters(in: .whitespacesAndNewlines))
        while characters.last == ";" || characters.last?.isWhitespace == true { characters.removeLast() }
        self.characters = characters
    }

    var atEnd: Bool { mutating get { skipSpace(); return position >= characters.count } }
    var rest: String { String(characters[min(position, characters.count)...]) }

    private mutating func skipSpace() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    mutating func accept(_ character: Character) -> Bool {
        skipSpace()
        guard position < characters.count, characters[position] == character else { return false }
        position += 1
        return true
    }

    /// Consumes `word` (case-insensitive) when it is the next whole word.
    mutating func keyword(_ word: String) -> Bool {
        skipSpace()
        let end = position + word.count
        guard end <= characters.count, String(characters[position..<end]).lowercased() == word else { return false }
        if end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { return false }
        position = end
        return true
    }

    /// A plain (lower-cased) or double-quoted identifier, possibly qualified (`a.b`: the last
    /// part).
    mutating func identifier() throws -> String {
        try qualifiedIdentifier().name
    }

    /// An identifier and the part before its last dot (`public.items`: the schema), if any.
    mutating func qualifiedIdentifier() throws -> (schema: String?, name: String) {
        var schema: String?
        var name = try identifierPart()
        while accept(".") {
            schema = name
            name = try identifierPart()
        }
        return (schema, name)
    }

    private mutating func identifierPart() throws -> String {
        skipSpace()
        if accept("\"") { return try quoted(by: "\"", what: "identifier") }
        let start = position
        while position < characters.count, characters[position].isLetter || characters[position].isNumber || characters[position] == "_" {
            position += 1
        }
        guard position > start else { throw VireoError(.syntaxError, "syntax error in COPY: expected a name") }
        return String(characters[start..<position]).lowercased()
    }

    mutating func identifierList() throws -> [String] {
        var names = [try identifier()]
        while accept(",") { names.append(try identifier()) }
        guard accept(")") else { throw VireoError(.syntaxError, "syntax error in COPY: expected ')'") }
        return names
    }

    /// The text up to the parenthesis matching one just consumed (quotes respected).
    mutating func balancedParenthesised() throws -> String {
        var depth = 1, quote: Character?
        let start = position
        while position < characters.count {
            let character = characters[position]
            position += 1
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
                if depth == 0 { return String(characters[start..<(position - 1)]) }
            }
        }
        throw VireoError(.syntaxError, "syntax error in COPY: unbalanced parentheses")
    }

    /// A single-quoted string literal.
    mutating func string() throws -> String {
        guard accept("'") else { throw VireoError(.syntaxError, "syntax error in COPY: expected a quoted string") }
        return try quoted(by: "'", what: "string")
    }

    /// The text up to the closing `quote` (one just consumed opened it); a doubled quote
    /// stands for one.
    private mutating func quoted(by quote: Character, what: String) throws -> String {
        var text = ""
        while position < characters.count {
            if characters[position] == quote {
                if position + 1 < characters.count, characters[position + 1] == quote { text.append(quote); position += 2; continue }
                position += 1
                return text
            }
            text.append(characters[position])
            position += 1
        }
        throw VireoError(.syntaxError, "unterminated quoted \(what) in COPY")
    }

    /// A bare word (an option's name or value), lower-cased.
    mutating func word() -> String? {
        skipSpace()
        let start = position
        while position < characters.count, characters[position].isLetter || characters[position] == "_" { position += 1 }
        return position > start ? String(characters[start..<position]).lowercased() : nil
    }
}
