/// pg_trgm's trigrams and similarities, answering as the extension does.
///
/// A text's trigrams come from its words (runs of letters and digits, lower-cased), each
/// padded with two blanks before and one after: `word` gives `"  w"`, `" wo"`, `"wor"`,
/// `"ord"`, `"rd "`. A trigram of three one-byte characters is those three bytes; one with
/// a longer character is three bytes of a CRC of its UTF-8 (pg_trgm's "legacy" CRC-32),
/// so that both compare, sort and print (`show_trgm`) as pg_trgm's do.
enum Trigrams {
    /// Three bytes, ordered as C's signed chars (pg_trgm's order on x86).
    struct Trigram: Hashable, Comparable {
        let bytes: (UInt8, UInt8, UInt8)

        static func == (a: Trigram, b: Trigram) -> Bool { a.bytes == b.bytes }
        func hash(into hasher: inout Hasher) { hasher.combine(bytes.0); hasher.combine(bytes.1); hasher.combine(bytes.2) }

        static func < (a: Trigram, b: Trigram) -> Bool {
            let (x, y) = (a.signed, b.signed)
            return x.0 != y.0 ? x.0 < y.0 : x.1 != y.1 ? x.1 < y.1 : x.2 < y.2
        }

        private var signed: (Int8, Int8, Int8) { (Int8(bitPattern: bytes.0), Int8(bitPattern: bytes.1), Int8(bitPattern: bytes.2)) }

        /// show_trgm's text: the characters when each is an ASCII letter, digit or blank,
        /// else the bytes in hex (`0x9a0ee4`).
        var text: String {
            let all = [bytes.0, bytes.1, bytes.2]
            if all.allSatisfy({ $0 < 0x80 && (Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber || $0 == 0x20) }) {
                return String(decoding: all, as: UTF8.self)
            }
            let value = UInt32(bytes.0) << 16 | UInt32(bytes.1) << 8 | UInt32(bytes.2)
            let hex = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: max(0, 6 - hex.count)) + hex
        }
    }

    /// A word's trigrams in order, and whether each begins or ends its word.
    struct Positioned {
        var trigrams: [Trigram] = []
        var startsWord: [Bool] = []
        var endsWord: [Bool] = []
    }

    /// The trigrams of every word of `text`, in order, duplicates kept.
    static func ordered(_ text: String) -> Positioned {
        var result = Positioned()
        for word in words(text) {
            let padded: [Character] = [" ", " "] + Array(word.lowercased()) + [" "]
            guard padded.count >= 3 else { continue }
            let first = result.trigrams.count
            for start in 0...(padded.count - 3) {
                result.trigrams.append(trigram(padded[start..<(start + 3)]))
                result.startsWord.append(result.trigrams.count - 1 == first)
                result.endsWord.append(false)
            }
            result.endsWord[result.endsWord.count - 1] = true
        }
        return result
    }

    /// The distinct trigrams of `text`, sorted (what show_trgm lists).
    static func set(_ text: String) -> [Trigram] { Array(Set(ordered(text).trigrams)).sorted() }

    /// similarity(a, b): shared trigrams over all distinct trigrams of both, 0 when either has none.
    static func similarity(_ a: String, _ b: String) -> Float {
        let (x, y) = (Set(ordered(a).trigrams), Set(ordered(b).trigrams))
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        return ratio(shared: x.intersection(y).count, x.count, y.count)
    }

    /// word_similarity(a, b) (`strict`: strict_word_similarity): the greatest similarity
    /// between a's trigrams and an extent of b's ordered trigrams (for `strict`, an extent
    /// of whole words), found by pg_trgm's greedy walk — which is not always the true
    /// maximum, and is reproduced so that answers agree with PostgreSQL's.
    static func wordSimilarity(_ a: String, _ b: String, strict: Bool) -> Float {
        let needle = Set(ordered(a).trigrams), haystack = ordered(b)
        guard !needle.isEmpty else { return 0 }
        var walk = ExtentWalk(haystack, needle: needle, strict: strict)
        return walk.bestSimilarity()
    }

    /// The gin_trgm_ops operator class: a text is listed under its distinct trigrams.
    static let operatorClass = "gin_trgm_ops"

    /// A trigram's term in a gin index: its three bytes in hex (stored on disk: never change it).
    static func term(_ trigram: Trigram) -> String {
        [trigram.bytes.0, trigram.bytes.1, trigram.bytes.2].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The trigrams every text matching a LIKE or ILIKE `pattern` holds (pg_trgm's
    /// wildcard trigrams): those of each run of word characters between wildcards, escapes
    /// and other characters, padded only where the run meets a word boundary rather than a
    /// wildcard. Empty when the pattern guarantees none (`%ab%`).
    static func requiredByPattern(_ pattern: String, escape: Character? = "\\") -> [Trigram] {
        var found = Set<Trigram>(), part: [Character] = [], afterWildcard = false, escaped = false
        func close(beforeWildcard: Bool) {
            defer { part = [] }
            guard !part.isEmpty else { return }
            let padded: [Character] = (afterWildcard ? [] : [" ", " "]) + part.flatMap { Array(String($0).lowercased()) } + (beforeWildcard ? [] : [" "])
            guard padded.count >= 3 else { return }
            for start in 0...(padded.count - 3) { found.insert(trigram(padded[start..<(start + 3)])) }
        }
        for character in pattern {
            let isWord = character.isLetter || character.isNumber
            if escaped {
                escaped = false
                if isWord { part.append(character); continue }
                close(beforeWildcard: false)
                afterWildcard = false
            } else if character == escape {
                escaped = true
            } else if character == "%" || character == "_" {
                close(beforeWildcard: true)
                afterWildcard = true
            } else if isWord {
                part.append(character)
            } else {
                close(beforeWildcard: false)
                afterWildcard = false
            }
        }
        close(beforeWildcard: false)
        return found.sorted()
    }

    static func ratio(shared: Int, _ first: Int, _ second: Int) -> Float {
        Float(shared) / Float(first + second - shared)
    }

    /// Runs of letters and digits.
    private static func words(_ text: String) -> [Substring] {
        text.split { !($0.isLetter || $0.isNumber) }
    }

    private static func trigram(_ characters: ArraySlice<Character>) -> Trigram {
        let bytes = Array(String(characters).utf8)
        if bytes.count == 3 { return Trigram(bytes: (bytes[0], bytes[1], bytes[2])) }
        let crc = legacyCRC32(bytes)
        return Trigram(bytes: (UInt8(truncatingIfNeeded: crc), UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc >> 16)))
    }

    /// PostgreSQL's legacy CRC-32: the reflected polynomial's table driven MSB-first.
    private static func legacyCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc >> 24) ^ UInt32(byte)) & 0xFF] ^ (crc << 8) }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
}

/// pg_trgm's walk over the text's trigrams for word_similarity: each position whose trigram
/// the needle has (for the strict form, each word's end) closes an extent, whose start is
/// then moved right as far as that raises the similarity.
private struct ExtentWalk {
    let ids: [Int]
    let inNeedle: [Bool]
    let needleCount: Int
    let haystack: Trigrams.Positioned
    let strict: Bool
    /// The last position at which each trigram was counted in the extent, -1 if it is not.
    var lastPosition: [Int]

    init(_ haystack: Trigrams.Positioned, needle: Set<Trigrams.Trigram>, strict: Bool) {
        var idOf: [Trigrams.Trigram: Int] = [:]
        ids = haystack.trigrams.map { trigram in
            if let id = idOf[trigram] { return id }
            idOf[trigram] = idOf.count
            return idOf.count - 1
        }
        var inNeedle = [Bool](repeating: false, count: idOf.count)
        for (trigram, id) in idOf where needle.contains(trigram) { inNeedle[id] = true }
        self.inNeedle = inNeedle
        needleCount = needle.count
        self.haystack = haystack
        self.strict = strict
        lastPosition = [Int](repeating: -1, count: idOf.count)
    }

    mutating func bestSimilarity() -> Float {
        var lower = strict ? 0 : -1, distinct = 0, shared = 0, best: Float = 0
        for position in ids.indices {
            let id = ids[position]
            if lower >= 0 || inNeedle[id] {
                if lastPosition[id] < 0 {
                    distinct += 1
                    if inNeedle[id] { shared += 1 }
                }
                lastPosition[id] = position
            }
            guard strict ? haystack.endsWord[position] : inNeedle[id] else { continue }
            if lower == -1 { (lower, distinct) = (position, 1) }
            var current = Trigrams.ratio(shared: shared, needleCount, distinct)
            // Try each later start: drop what only the positions before it counted.
            var (trialShared, trialDistinct) = (shared, distinct)
            let previousLower = lower
            for start in previousLower...position {
                if !strict || haystack.startsWord[start] {
                    let trial = Trigrams.ratio(shared: trialShared, needleCount, trialDistinct)
                    if trial > current { (current, distinct, lower, shared) = (trial, trialDistinct, start, trialShared) }
                }
                let dropped = ids[start]
                if lastPosition[dropped] == start {
                    trialDistinct -= 1
                    if inNeedle[dropped] { trialShared -= 1 }
                }
            }
            best = max(best, current)
            for start in previousLower..<lower where lastPosition[ids[start]] == start { lastPosition[ids[start]] = -1 }
        }
        return best
    }
}
