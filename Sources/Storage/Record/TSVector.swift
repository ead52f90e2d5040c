/// A `tsvector`: sorted distinct lexemes, each with its sorted distinct positions (1…16383)
/// and their weights (A, B, C or the default D), as PostgreSQL keeps it.
///
/// The storage layer reads it to maintain inverted (`gin`) indexes: one entry per lexeme.
///
/// Vireo stores a tsvector value as its canonical text (`'a':1 'b':2,3A`), which every
/// function parses back; the text form is PostgreSQL's, so clients read it unchanged.
public struct TSVector: Equatable, Sendable {
    /// A position with its weight: weight in the top two bits (A=3 … D=0), position in the low 14.
    public struct Position: Equatable, Sendable, Comparable {
        public var packed: UInt16
        public init(_ position: Int, weight: UInt16 = 0) {
            packed = UInt16(min(max(position, 1), TSVector.positionMax)) | (weight << 14)
        }
        public var position: Int { Int(packed & 0x3FFF) }
        public var weight: UInt16 { packed >> 14 }
        public static func < (a: Position, b: Position) -> Bool { a.position < b.position }
    }

    public struct Entry: Equatable, Sendable {
        public var lexeme: String
        public var positions: [Position]
        public init(lexeme: String, positions: [Position]) {
            self.lexeme = lexeme
            self.positions = positions
        }
    }

    public var entries: [Entry]

    public static let positionMax = 16383
    public static let positionsPerLexemeMax = 256
    public static let lexemeBytesMax = 2047
    public static let weightLetters: [Character] = ["D", "C", "B", "A"]

    /// Sorts lexemes by their bytes, merges duplicates, sorts and deduplicates positions
    /// (a repeated position keeps its highest weight) and keeps at most 256 per lexeme.
    public init(unsorted: [Entry]) {
        var merged: [String: [Position]] = [:]
        for entry in unsorted { merged[entry.lexeme, default: []].append(contentsOf: entry.positions) }
        entries = merged.map { Entry(lexeme: $0.key, positions: Self.normalized($0.value)) }
            .sorted { Self.lexemeOrder($0.lexeme, $1.lexeme) }
    }

    public static func normalized(_ positions: [Position]) -> [Position] {
        var result: [Position] = []
        for position in positions.sorted() {
            if let last = result.last, last.position == position.position {
                if position.weight > last.weight { result[result.count - 1] = position }
            } else {
                result.append(position)
            }
        }
        return Array(result.prefix(positionsPerLexemeMax))
    }

    /// PostgreSQL's lexeme order: bytes, then length.
    public static func lexemeOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// The entry index of `lexeme`, by binary search.
    public func index(of lexeme: String) -> Int? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].lexeme == lexeme { return middle }
            if Self.lexemeOrder(entries[middle].lexeme, lexeme) { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// The indexes of entries starting with `prefix` (a contiguous run in lexeme order).
    public func indexes(withPrefix prefix: String) -> [Int] {
        entries.indices.filter { entries[$0].lexeme.utf8.starts(with: prefix.utf8) }
    }

    /// The number of positions (a lexeme without positions counts one), PostgreSQL's document length.
    public var length: Int { entries.reduce(0) { $0 + max($1.positions.count, 1) } }

    /// PostgreSQL's text form.
    public var text: String {
        entries.map { entry in
            var item = TSVector.quoted(entry.lexeme)
            if !entry.positions.isEmpty {
                item += ":" + entry.positions.map { position in
                    String(position.position) + (position.weight == 0 ? "" : String(TSVector.weightLetters[Int(position.weight)]))
                }.joined(separator: ",")
            }
            return item
        }.joined(separator: " ")
    }

    /// `'lexeme'` with `'` and `\` doubled, as PostgreSQL prints lexemes.
    public static func quoted(_ lexeme: String) -> String {
        var result = "'"
        for character in lexeme {
            if character == "'" || character == "\\" { result.append(character) }
            result.append(character)
        }
        return result + "'"
    }

    public static func weight(of letter: Character) -> UInt16? {
        switch letter {
        case "A", "a": 3
        case "B", "b": 2
        case "C", "c": 1
        case "D", "d": 0
        default: nil
        }
    }
}

extension TSVector {
    /// Parses PostgreSQL's tsvector input (`'a':1 b:2,3A 'it''s'`); throws 42601 for bad text.
    public init(parsing text: String) throws {
        var reader = TextSearchReader(text, typeName: "tsvector")
        var unsorted: [Entry] = []
        while true {
            reader.skipSpaces()
            if reader.atEnd { break }
            let lexeme = try reader.lexeme(stopAt: [":"])
            var positions: [Position] = []
            if reader.peek == ":", let next = reader.peek(1), next.properties.numericType != nil {
                reader.advance()
                positions = try Self.positions(&reader)
            }
            unsorted.append(Entry(lexeme: lexeme, positions: positions))
        }
        self.init(unsorted: unsorted)
    }

    private static func positions(_ reader: inout TextSearchReader) throws -> [Position] {
        var result: [Position] = []
        while true {
            let number = try reader.number()
            guard number > 0 else { throw reader.error("wrong position info in tsvector") }
            var weight: UInt16 = 0
            if let letter = reader.peek, let value = TSVector.weight(of: Character(letter)) {
                weight = value
                reader.advance()
            } else if reader.peek == "*" {
                reader.advance()
            }
            result.append(Position(min(number, positionMax), weight: weight))
            guard reader.peek == "," else { return result }
            reader.advance()
        }
    }
}

/// A cursor over the text of a tsvector or tsquery literal.
public struct TextSearchReader {
    let scalars: [Unicode.Scalar]
    let source: String
    let typeName: String
    var index = 0

    public init(_ text: String, typeName: String) {
        scalars = Array(text.unicodeScalars)
        source = text
        self.typeName = typeName
    }

    public var atEnd: Bool { index >= scalars.count }
    public var peek: Unicode.Scalar? { peek(0) }
    public func peek(_ offset: Int) -> Unicode.Scalar? { index + offset < scalars.count ? scalars[index + offset] : nil }
    public mutating func advance() { index += 1 }

    public mutating func skipSpaces() {
        while let scalar = peek, scalar.properties.isWhitespace { advance() }
    }

    /// 42601 with PostgreSQL's message (`syntax error in tsquery: "a &"`).
    public func error(_ message: String? = nil) -> VireoError {
        VireoError(.syntaxError, (message ?? "syntax error in \(typeName)") + ": \"\(source)\"")
    }

    /// A quoted (`'it''s'`, `'a\'b'`) or bare lexeme; a bare one ends at a space or one of `stops`.
    public mutating func lexeme(stopAt stops: Set<Unicode.Scalar>) throws -> String {
        var result = String.UnicodeScalarView()
        if peek == "'" {
            advance()
            while true {
                guard let scalar = peek else { throw error() }
                advance()
                if scalar == "'" {
                    if peek == "'" { advance(); result.append("'"); continue }
                    break
                }
                if scalar == "\\" {
                    guard let escaped = peek else { throw error() }
                    advance()
                    result.append(escaped)
                    continue
                }
                result.append(scalar)
            }
        } else {
            while let scalar = peek, !scalar.properties.isWhitespace, !stops.contains(scalar) {
                advance()
                if scalar == "\\" {
                    guard let escaped = peek else { throw error() }
                    advance()
                    result.append(escaped)
                } else {
                    result.append(scalar)
                }
            }
        }
        let lexeme = String(result)
        guard !lexeme.isEmpty else { throw error() }
        guard lexeme.utf8.count <= TSVector.lexemeBytesMax else {
            throw VireoError(.limitExceeded, "word is too long (\(lexeme.utf8.count) bytes, max \(TSVector.lexemeBytesMax) bytes)")
        }
        return lexeme
    }

    public mutating func number() throws -> Int {
        var value = 0, digits = 0
        while let scalar = peek, let digit = scalar.properties.numericType != nil ? Int(String(scalar)) : nil {
            value = min(value * 10 + digit, 1 << 30)
            digits += 1
            advance()
        }
        guard digits > 0 else { throw error() }
        return value
    }
}
