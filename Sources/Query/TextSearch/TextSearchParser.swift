import VireoStorage

/// The tokens of a document, split as PostgreSQL's default text-search parser splits them
/// (the cases that occur in prose): words of letters, words mixing letters and digits,
/// hyphenated words (the whole word, then each part), numbers, versions, e-mail addresses
/// and host names. Everything else (spaces, punctuation, apostrophes, underscores) separates
/// tokens and is not indexed.
struct TextSearchToken: Equatable {
    enum Kind: Equatable {
        /// Letters only (ASCII or not): stemmed by the `english` configuration.
        case word
        /// Letters and digits (`abc123`), numbers, versions, e-mail addresses, hosts: only lower-cased.
        case other
    }

    var text: String
    var kind: Kind
}

enum TextSearchParser {
    /// The tokens of `text` in order; a hyphenated word yields itself and then its parts.
    static func tokens(_ text: String) -> [TextSearchToken] {
        let scalars = Array(text.unicodeScalars)
        var tokens: [TextSearchToken] = []
        var index = 0
        while index < scalars.count {
            if let end = signedNumberEnd(scalars, from: index) {
                tokens.append(TextSearchToken(text: String(String.UnicodeScalarView(scalars[index..<end])), kind: .other))
                index = end
                continue
            }
            guard isWordScalar(scalars[index]) else { index += 1; continue }
            let end = compoundEnd(scalars, from: index)
            tokens.append(contentsOf: classify(Array(scalars[index..<end])))
            index = end
        }
        return tokens
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    /// `-5`, `+3`, `-2.5`: a sign before a digit starts a number (so `10-20` is `10` and `-20`).
    private static func signedNumberEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        guard scalars[start] == "-" || scalars[start] == "+", start + 1 < scalars.count, isDigit(scalars[start + 1]) else { return nil }
        var index = start + 1
        while index < scalars.count, isDigit(scalars[index]) || (scalars[index] == "." && index + 1 < scalars.count && isDigit(scalars[index + 1])) {
            index += 1
        }
        return index
    }

    /// The end of a run of word characters joined by single `.` or `@` (each followed by a word
    /// character) or `-` (followed by a letter, after a part that is not all digits).
    private static func compoundEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        var index = start, segmentStart = start
        while index < scalars.count {
            if isWordScalar(scalars[index]) { index += 1; continue }
            let joiner = scalars[index]
            guard index + 1 < scalars.count, isWordScalar(scalars[index + 1]) else { break }
            if joiner == "-" {
                let segmentIsNumber = scalars[segmentStart..<index].allSatisfy(isDigit)
                guard scalars[index + 1].properties.isAlphabetic, !segmentIsNumber else { break }
            } else if joiner != "." && joiner != "@" {
                break
            }
            index += 1
            segmentStart = index
        }
        return index
    }

    /// Splits a compound into PostgreSQL's token kinds.
    private static func classify(_ compound: [Unicode.Scalar]) -> [TextSearchToken] {
        let text = String(String.UnicodeScalarView(compound))
        let hasDot = compound.contains("."), hasAt = compound.contains("@"), hasHyphen = compound.contains("-")
        if hasAt || hasDot {
            return dotted(text, hasAt: hasAt)
        }
        if hasHyphen {
            let parts = text.split(separator: "-").map(String.init)
            let whole = TextSearchToken(text: text, kind: parts.allSatisfy(isLetters) ? .word : .other)
            return [whole] + parts.map(simple)
        }
        return [simple(text)]
    }

    /// `a.b` forms: numbers (`3.14`), versions (`1.2.3`), e-mail addresses and host names;
    /// forms the parser does not join are split back into their words.
    private static func dotted(_ text: String, hasAt: Bool) -> [TextSearchToken] {
        let digitsAndDots = text.unicodeScalars.allSatisfy { $0 == "." || ("0"..."9").contains($0) }
        if digitsAndDots { return [TextSearchToken(text: text, kind: .other)] }
        if hasAt {
            let halves = text.split(separator: "@", omittingEmptySubsequences: false)
            if halves.count == 2, !halves[0].contains("-"), isHost(String(halves[1])) {
                return [TextSearchToken(text: text, kind: .other)]
            }
        } else if isHost(text) {
            return [TextSearchToken(text: text, kind: .other)]
        }
        return text.split(whereSeparator: { $0 == "." || $0 == "@" || $0 == "-" }).map { simple(String($0)) }
    }

    /// A host name: labels of letters, digits and inner hyphens; the last label has a letter.
    private static func isHost(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let last = labels.last, last.contains(where: \.isLetter) else { return false }
        return labels.allSatisfy { !$0.isEmpty && $0.first != "-" && $0.last != "-" && $0.unicodeScalars.allSatisfy { isASCIIWord($0) || $0 == "-" } }
    }

    private static func isASCIIWord(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isLetters(_ text: String) -> Bool { text.unicodeScalars.allSatisfy(\.properties.isAlphabetic) }

    private static func simple(_ text: String) -> TextSearchToken {
        TextSearchToken(text: text, kind: isLetters(text) ? .word : .other)
    }
}
