// Inverted (`gin`) index format, version 3: compressed blocks of postings with term
// frequencies and document lengths, and the corpus statistics BM25 needs, all in the index's
// one B+tree (so the WAL covers them, a rollback takes them back and crash recovery restores
// them with the postings).
//
// Keys are KeyCodec tuples; statistics values are LEB128 varints:
//
//   key                          value
//   (NULL)                       documentCount, totalLength            the corpus entry
//   (NULL, text lexeme)          documentFrequency, termFrequencyMax,  one per lexeme held
//                                documentLengthMin                     by at least one row
//   (text lexeme) ++ rowID       a posting block (PostingBlock.swift)  up to 128 postings
//                                whose first row is rowID              of the lexeme
//
// NULL sorts before every text, so statistics come first and a scan of a lexeme's range
// (`(text lexeme)` as a prefix) meets its blocks only, in row order. Format 2 (no blocks)
// keyed one entry per (lexeme, row), valued by termFrequency and documentLength; format 1
// (made before BM25, no `format` option) holds postings alone, valued by the row id. Both
// are still read and maintained; CREATE INDEX makes format 3.
//
// Invariants (`vireo check` verifies them):
//   G1. The postings are exactly the (lexeme, row) pairs of the table's current rows, with
//       termFrequency = the lexeme's position count (1 when stripped) and documentLength =
//       the row's tsvector length (its positions, a stripped lexeme counting 1).
//   G2. documentCount is the number of rows whose tsvector is not NULL; totalLength is the
//       sum of their lengths.
//   G3. A lexeme's entry exists iff it has postings; documentFrequency is their number.
//       termFrequencyMax ≥ and documentLengthMin ≤ those of each of its postings: they are
//       bounds for early termination, widened by inserts and never narrowed by deletes.
//   G4. (format 3) A lexeme's blocks do not overlap (InvertedIndex+Blocks.swift), and each
//       block decodes with its own invariants B1–B3 (PostingBlock.swift).

// A gin index over jsonb (option `opclass`: jsonb_ops or jsonb_path_ops) is format 1: one
// entry per (term, row), the terms derived from the row's document by the query layer
// (IndexKeyComputer.invertedTerms), no statistics.

/// The on-disk keys and values of a version 2 inverted index.
public enum InvertedIndex {
    /// The index option naming a gin index's operator class when it is not tsvector_ops.
    public static let operatorClassOption = "opclass"
    /// A term longer than this is cut and suffixed with a hash of the whole (the executor
    /// rechecks every candidate row, so a collision costs a recheck, never a wrong row).
    public static let termSizeBytesMax = 120

    /// The index option that marks the format version.
    public static let formatOption = "format"
    /// The format CREATE INDEX makes.
    public static let formatVersion = "3"
    /// The formats that keep BM25 statistics.
    static let statisticsFormats: Set<String> = ["2", "3"]

    /// The corpus entry's key.
    public static let corpusKey: [UInt8] = KeyCodec.encode([.null])

    /// The statistics entry key of `lexeme`.
    public static func lexemeKey(_ lexeme: String) -> [UInt8] { KeyCodec.encode([.null, .text(lexeme)]) }

    /// The key of the posting of `lexeme` in row `rowID`.
    public static func postingKey(_ lexeme: String, rowID: Int64) -> [UInt8] {
        var key = KeyCodec.encode([.text(lexeme)])
        KeyCodec.appendRowID(rowID, form: .fixed, to: &key)
        return key
    }

    /// Reads a value of `count` varints, all of it; a shorter or longer value is corrupt.
    static func decode(_ bytes: UnsafeRawBufferPointer, count: Int) throws -> [Int] {
        var offset = 0
        var numbers: [Int] = []
        for _ in 0..<count {
            let number = try Varint.read(from: bytes, at: &offset)
            guard number <= UInt64(Int.max) else { throw VireoError(.corruption, "inverted index statistic out of range") }
            numbers.append(Int(number))
        }
        guard offset == bytes.count else { throw VireoError(.corruption, "inverted index entry has \(bytes.count - offset) trailing bytes") }
        return numbers
    }

    static func encode(_ numbers: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        for number in numbers { Varint.append(UInt64(max(number, 0)), to: &bytes) }
        return bytes
    }
}

/// The statistics a version 2 inverted index keeps for the whole table (G2).
public struct InvertedCorpus: Equatable, Sendable {
    public var documentCount: Int
    public var totalLength: Int
    public init(documentCount: Int, totalLength: Int) {
        self.documentCount = documentCount
        self.totalLength = totalLength
    }
    /// Average document length; 0 for an empty corpus.
    public var averageLength: Double { documentCount == 0 ? 0 : Double(totalLength) / Double(documentCount) }
}

/// The statistics of one lexeme (G3).
public struct InvertedLexeme: Equatable, Sendable {
    public var documentFrequency: Int
    public var termFrequencyMax: Int
    public var documentLengthMin: Int
    public init(documentFrequency: Int, termFrequencyMax: Int, documentLengthMin: Int) {
        self.documentFrequency = documentFrequency
        self.termFrequencyMax = termFrequencyMax
        self.documentLengthMin = documentLengthMin
    }
}

/// One posting: the row, how often the lexeme occurs there, and the row's document length.
public struct InvertedPosting: Equatable, Sendable {
    public var rowID: Int64
    public var termFrequency: Int
    public var documentLength: Int

    public init(rowID: Int64, termFrequency: Int, documentLength: Int) {
        self.rowID = rowID
        self.termFrequency = termFrequency
        self.documentLength = documentLength
    }
}

/// A document as the index sees it: its lexemes with their frequencies, and its length.
public struct InvertedDocument: Equatable, Sendable {
    public var termFrequencies: [(lexeme: String, count: Int)]
    public var length: Int

    public init(_ vector: TSVector) {
        termFrequencies = vector.entries.map { ($0.lexeme, max($0.positions.count, 1)) }
        length = vector.length
    }

    public static func == (a: InvertedDocument, b: InvertedDocument) -> Bool {
        a.length == b.length && a.termFrequencies.elementsEqual(b.termFrequencies) { $0 == $1 }
    }
}

extension IndexDefinition {
    /// Whether this inverted index keeps term frequencies and BM25 statistics (format 2 or 3).
    public var keepsTextStatistics: Bool {
        isInverted && options[InvertedIndex.formatOption].map(InvertedIndex.statisticsFormats.contains) == true
    }

    /// Whether this inverted index keeps its postings in compressed blocks (format 3).
    public var storesPostingBlocks: Bool { isInverted && options[InvertedIndex.formatOption] == "3" }

    /// The operator class of a gin index over jsonb (jsonb_ops, jsonb_path_ops); nil for tsvector_ops.
    public var invertedOperatorClass: String? { isInverted ? options[InvertedIndex.operatorClassOption] : nil }
}

extension RowSource {
    /// The corpus statistics of a format 2 inverted index; nil for an older index.
    public func invertedCorpus(_ index: IndexDefinition) throws -> InvertedCorpus? {
        guard index.keepsTextStatistics else { return nil }
        let numbers = try InvertedIndex.corpusKey.withUnsafeBytes { key in
            try BTree(root: index.root).withValue(forKey: key, in: pages) { try InvertedIndex.decode($0, count: 2) }
        }
        guard let numbers else { return InvertedCorpus(documentCount: 0, totalLength: 0) }
        return InvertedCorpus(documentCount: numbers[0], totalLength: numbers[1])
    }

    /// A lexeme's statistics; nil when no row holds it.
    public func invertedLexeme(_ index: IndexDefinition, _ lexeme: String) throws -> InvertedLexeme? {
        let numbers = try InvertedIndex.lexemeKey(lexeme).withUnsafeBytes { key in
            try BTree(root: index.root).withValue(forKey: key, in: pages) { try InvertedIndex.decode($0, count: 3) }
        }
        return numbers.map { InvertedLexeme(documentFrequency: $0[0], termFrequencyMax: $0[1], documentLengthMin: $0[2]) }
    }

    /// The statistics of every lexeme starting with `prefix`, in lexeme order.
    public func invertedLexemes(_ index: IndexDefinition, prefix: String) throws -> [(String, InvertedLexeme)] {
        let lower = KeyBound(InvertedIndex.lexemeKey(prefix))
        let upper = KeyCodec.prefixUpperBound(Array(InvertedIndex.lexemeKey(prefix).dropLast(2))).map { KeyBound($0, inclusive: false) }
        var found: [(String, InvertedLexeme)] = []
        try BTree(root: index.root).scan(in: pages, from: lower, to: upper) { key, value in
            let (values, _) = try KeyCodec.decodePrefix(key, count: 2)
            guard values.count == 2, case .text(let lexeme) = values[1] else { throw VireoError(.corruption, "malformed inverted index statistics key") }
            let numbers = try InvertedIndex.decode(value, count: 3)
            found.append((lexeme, InvertedLexeme(documentFrequency: numbers[0], termFrequencyMax: numbers[1], documentLengthMin: numbers[2])))
            return true
        }
        return found
    }

    /// Visits the postings of `lexeme` from row `startRowID` on, in row order; `body`
    /// returns false to stop.
    public func scanPostings(_ index: IndexDefinition, _ lexeme: String, from startRowID: Int64 = .min,
                             _ body: (InvertedPosting) throws -> Bool) throws {
        if index.storesPostingBlocks { return try scanBlockPostings(index, lexeme, from: startRowID, body) }
        let prefix = KeyCodec.encode([.text(lexeme)])
        let upper = KeyCodec.prefixUpperBound(prefix).map { KeyBound($0, inclusive: false) }
        try BTree(root: index.root).scan(in: pages, from: KeyBound(InvertedIndex.postingKey(lexeme, rowID: startRowID)), to: upper) { key, value in
            guard key.count == prefix.count + KeyCodec.rowIDSizeBytes else { throw VireoError(.corruption, "malformed inverted index posting key") }
            let rowID = try KeyCodec.decodeRowID(UnsafeRawBufferPointer(rebasing: key[prefix.count...]), form: .fixed)
            let numbers = try InvertedIndex.decode(value, count: 2)
            return try body(InvertedPosting(rowID: rowID, termFrequency: numbers[0], documentLength: numbers[1]))
        }
    }
}

extension StoreTransaction {
    /// Adds (`sign` 1) or removes (`sign` -1) a row's document: its postings, its lexemes'
    /// statistics and the corpus entry (G1–G3).
    func applyInvertedDocument(_ index: IndexDefinition, _ document: InvertedDocument, rowID: Int64, sign: Int) throws {
        let tree = BTree(root: index.root)
        for (lexeme, count) in document.termFrequencies {
            let key = InvertedIndex.postingKey(lexeme, rowID: rowID)
            if index.storesPostingBlocks {
                let posting = InvertedPosting(rowID: rowID, termFrequency: count, documentLength: document.length)
                if sign > 0 { try insertBlockPosting(index, lexeme, posting) } else { try removeBlockPosting(index, lexeme, rowID: rowID) }
            } else if sign > 0 {
                try tree.insert(key: key, value: InvertedIndex.encode([count, document.length]), in: pages)
            } else {
                try tree.remove(key: key, in: pages)
            }
            try adjustLexeme(index, lexeme, termFrequency: count, documentLength: document.length, sign: sign)
        }
        let corpus = try invertedCorpus(index) ?? InvertedCorpus(documentCount: 0, totalLength: 0)
        let updated = [corpus.documentCount + sign, corpus.totalLength + sign * document.length]
        guard updated[0] >= 0, updated[1] >= 0 else { throw VireoError(.corruption, "index \(index.name): corpus statistics below zero") }
        try tree.insert(key: InvertedIndex.corpusKey, value: InvertedIndex.encode(updated), in: pages)
    }

    private func adjustLexeme(_ index: IndexDefinition, _ lexeme: String, termFrequency: Int, documentLength: Int, sign: Int) throws {
        let key = InvertedIndex.lexemeKey(lexeme)
        let tree = BTree(root: index.root)
        guard var statistics = try invertedLexeme(index, lexeme) else {
            guard sign > 0 else { throw VireoError(.corruption, "index \(index.name): no statistics for lexeme being removed") }
            try tree.insert(key: key, value: InvertedIndex.encode([1, termFrequency, documentLength]), in: pages)
            return
        }
        statistics.documentFrequency += sign
        if statistics.documentFrequency == 0 {
            try tree.remove(key: key, in: pages)
            return
        }
        if sign > 0 {
            statistics.termFrequencyMax = max(statistics.termFrequencyMax, termFrequency)
            statistics.documentLengthMin = min(statistics.documentLengthMin, documentLength)
        }
        try tree.insert(key: key, value: InvertedIndex.encode([statistics.documentFrequency, statistics.termFrequencyMax,
                                                              statistics.documentLengthMin]), in: pages)
    }

    /// The document a row puts in an inverted index; nil when its tsvector is NULL.
    public static func invertedDocument(_ index: IndexDefinition, table: TableDefinition, row: [Value]) throws -> InvertedDocument? {
        guard case .text(let text)? = try IndexKeys.values(index, table: table, row: row)?.first else { return nil }
        return InvertedDocument(try TSVector(parsing: text))
    }
}
