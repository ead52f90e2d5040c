import Foundation
import VireoStorage

/// BERT's uncased tokenizer: the basic tokenizer (clean, split CJK, strip accents,
/// lower-case, split on whitespace and punctuation) followed by greedy longest-match
/// WordPiece over `vocab.txt`. It follows the rules of the Hugging Face fast tokenizer
/// (`BertNormalizer` + `BertPreTokenizer` + `WordPiece`), which sentence-transformers uses,
/// so the ids equal theirs; the tests check this against ids recorded from that tokenizer.
///
/// Vocabulary keys are UTF-8 bytes, not `String`s: Swift compares strings by canonical
/// equivalence, which would let a decomposed Hangul syllable match its precomposed
/// vocabulary entry where the reference tokenizer sees two different strings.
public struct WordPieceTokenizer: Sendable {
    /// Words longer than this many characters become one `[UNK]`, as in the reference.
    public static let wordCharactersMax = 100

    /// `[CLS]`, which opens every sequence.
    public let classifierTokenId: Int32
    /// `[SEP]`, which closes every sequence.
    public let separatorTokenId: Int32
    /// `[UNK]`, for a word the vocabulary cannot spell.
    public let unknownTokenId: Int32
    /// `[PAD]`; required of the vocabulary, though packed batches never pad.
    public let paddingTokenId: Int32
    /// The special tokens recognised when written in the input, with their ids.
    let specialTokens: [(name: String, id: Int32)]
    /// The number of entries in the vocabulary (ids are 0..<vocabularySize).
    public let vocabularySize: Int
    private let idsByPiece: [[UInt8]: Int32]

    /// Reads `vocab.txt`: one piece a line, the line number is the id.
    public init(vocabularyFile url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw VireoError(.ioError, "cannot read vocabulary '\(url.path)': \(error.localizedDescription)")
        }
        try self.init(vocabulary: Self.lines(of: data), source: url.path)
    }

    /// A tokenizer over `pieces`, where a piece's index is its id; `source` names it in errors.
    public init(vocabulary pieces: [[UInt8]], source: String) throws {
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(pieces.count)
        for (index, piece) in pieces.enumerated() where ids[piece] == nil { ids[piece] = Int32(index) }
        func special(_ name: String) throws -> Int32 {
            guard let id = ids[Array(name.utf8)] else {
                throw VireoError(.corruption, "vocabulary '\(source)' lacks the special token \(name)")
            }
            return id
        }
        idsByPiece = ids
        vocabularySize = pieces.count
        classifierTokenId = try special("[CLS]")
        separatorTokenId = try special("[SEP]")
        unknownTokenId = try special("[UNK]")
        paddingTokenId = try special("[PAD]")
        specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { name in
            ids[Array(name.utf8)].map { (name: name, id: $0) }
        }
    }

    /// The word-piece ids of `text` without the `[CLS]`/`[SEP]` around it, at most `limit`.
    /// A special token written literally in the text ("[SEP]", "[MASK]"…, case-sensitive)
    /// becomes that token, as in the reference tokenizer.
    public func pieceIds(_ text: String, limit: Int = .max) -> [Int32] {
        var ids: [Int32] = []
        for segment in specialTokenSegments(text) {
            if ids.count >= limit { break }
            switch segment {
            case .special(let id): ids.append(id)
            case .text(let part):
                for word in Self.words(Self.normalized(part)) {
                    if ids.count >= limit { break }
                    appendPieces(of: word, to: &ids)
                }
            }
        }
        return ids.count > limit ? Array(ids.prefix(limit)) : ids
    }

    enum Segment {
        case text(Substring.UnicodeScalarView)
        case special(Int32)
    }

    /// `text` cut around the special tokens written in it. Matched on scalars, not
    /// Characters: "[SEP]" followed by a combining mark is still "[SEP]" to the reference.
    func specialTokenSegments(_ text: String) -> [Segment] {
        let scalars = text.unicodeScalars
        var segments: [Segment] = []
        var textStart = scalars.startIndex, searchStart = scalars.startIndex
        while let open = scalars[searchStart...].firstIndex(of: "[") {
            guard let token = specialTokens.first(where: { scalars[open...].starts(with: $0.name.unicodeScalars) }) else {
                searchStart = scalars.index(after: open)
                continue
            }
            if textStart < open { segments.append(.text(scalars[textStart..<open])) }
            segments.append(.special(token.id))
            searchStart = scalars.index(open, offsetBy: token.name.unicodeScalars.count)
            textStart = searchStart
        }
        if textStart < scalars.endIndex { segments.append(.text(scalars[textStart...])) }
        return segments
    }

    /// `[CLS]` + the first `tokensMax - 2` word pieces + `[SEP]`: the model's input,
    /// truncated as sentence-transformers truncates to its `max_seq_length`.
    public func encode(_ text: String, tokensMax: Int) -> [Int32] {
        precondition(tokensMax >= 2, "a sequence holds at least [CLS] and [SEP]")
        return [classifierTokenId] + pieceIds(text, limit: tokensMax - 2) + [separatorTokenId]
    }

    /// Greedy longest-match-first split of one word; a word with an unmatched rest is one `[UNK]`.
    private func appendPieces(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        if word.count > Self.wordCharactersMax { ids.append(unknownTokenId); return }
        var boundaries = [0]  // byte offset of each scalar start, plus the end
        var bytes: [UInt8] = []
        for scalar in word {
            UTF8.encode(scalar) { bytes.append($0) }
            boundaries.append(bytes.count)
        }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            guard let (id, end) = longestPiece(bytes, boundaries, from: start) else {
                ids.append(unknownTokenId)
                return
            }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }

    /// The id and end (in scalars) of the longest vocabulary piece starting at scalar `start`.
    private func longestPiece(_ bytes: [UInt8], _ boundaries: [Int], from start: Int) -> (Int32, Int)? {
        let prefix: [UInt8] = start > 0 ? [0x23, 0x23] : []  // "##" marks a continuation
        var end = boundaries.count - 1
        while end > start {
            if let id = idsByPiece[prefix + bytes[boundaries[start]..<boundaries[end]]] { return (id, end) }
            end -= 1
        }
        return nil
    }
}

extension WordPieceTokenizer {
    /// BertNormalizer: drop NUL, U+FFFD and control characters, turn whitespace into spaces,
    /// surround CJK ideographs with spaces, strip accents (NFD, drop non-spacing marks),
    /// then lower-case, in that order.
    static func normalized(_ text: Substring.UnicodeScalarView) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isCJK(scalar) {
                cleaned.append(" "); cleaned.append(scalar); cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(cleaned.count)
        for scalar in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return result
    }

    /// BertPreTokenizer: split on whitespace, and every punctuation character is a word alone.
    static func words(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if isWhitespace(scalar) || isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
                if isPunctuation(scalar) { words.append([scalar]) }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Control (Cc), format (Cf), private-use and surrogate code points; tab, newline and
    /// carriage return count as whitespace instead. Unassigned ones (Cn, e.g. U+FFF0) are
    /// kept, as the reference keeps them.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    /// ASCII symbols such as `$`, `+`, `^` and `` ` `` count as punctuation too, as in BERT.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT splits character by character (not Hangul or kana).
    /// Extension E starts at U+2B920 here, not U+2B820, because the reference tokenizer has it
    /// so, and matching its ids matters more than the block's true start.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// The lines of `vocab.txt` as bytes, without their line ends.
    static func lines(of data: Data) -> [[UInt8]] {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            Array(line.last == 0x0D ? line.dropLast() : line)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
