import Foundation
import VireoStorage

/// `ts_headline([configuration,] document, query [, options])`: an excerpt of the document
/// around the query's matches with them marked, by PostgreSQL 15's algorithm for a single
/// fragment (`mark_hl_words`): find each cover (the shortest run of words, starting at a match,
/// that satisfies the query), widen or trim it to between MinWords and MaxWords words without
/// ending on a short or numeric word, and keep the best (one holding its whole cover, then the
/// most distinct matches, then a good end); with no cover, the first MinWords words.
struct TSHeadline {
    /// The options PostgreSQL accepts, with its defaults.
    struct Options: Equatable {
        var startSelection = "<b>"
        var stopSelection = "</b>"
        var maxWords = 35
        var minWords = 15
        var shortWord = 3
        var highlightAll = false
        var maxFragments = 0
        var fragmentDelimiter = " ... "

        /// Reads `MaxWords=10, StartSel="<em>"`: names case-insensitive, values optionally quoted.
        init(parsing text: String = "") throws {
            for item in Self.items(text) {
                guard let equals = item.firstIndex(of: "=") else {
                    throw VireoError(.syntaxError, "invalid parameter list format: \"\(text)\"")
                }
                let name = item[..<equals].trimmingCharacters(in: .whitespaces)
                try set(name, Self.unquoted(item[item.index(after: equals)...]))
            }
            try validate()
        }

        private mutating func set(_ name: String, _ value: String) throws {
            switch name.lowercased() {
            case "startsel": startSelection = value
            case "stopsel": stopSelection = value
            case "fragmentdelimiter": fragmentDelimiter = value
            case "maxwords": maxWords = try Self.integer(value)
            case "minwords": minWords = try Self.integer(value)
            case "shortword": shortWord = try Self.integer(value)
            case "maxfragments": maxFragments = try Self.integer(value)
            case "highlightall": highlightAll = ["1", "on", "true", "t", "y", "yes"].contains(value.lowercased())
            default: throw VireoError(.invalidParameter, "unrecognized headline parameter: \"\(name)\"")
            }
        }

        private func validate() throws {
            guard !highlightAll else { return }
            if minWords >= maxWords { throw VireoError(.invalidParameter, "MinWords should be less than MaxWords") }
            if minWords <= 0 { throw VireoError(.invalidParameter, "MinWords should be positive") }
            if shortWord < 0 { throw VireoError(.invalidParameter, "ShortWord should be >= 0") }
            if maxFragments < 0 { throw VireoError(.invalidParameter, "MaxFragments should be >= 0") }
        }

        private static func integer(_ value: String) throws -> Int {
            guard let number = Int32(value.trimmingCharacters(in: .whitespaces)) else {
                throw VireoError(.invalidTextRepresentation, "invalid input syntax for type integer: \"\(value)\"")
            }
            return Int(number)
        }

        /// The comma-separated items of an options string; commas inside quotes do not split.
        private static func items(_ text: String) -> [String] {
            var items: [String] = [], current = "", quoted = false
            for character in text {
                if character == "\"" { quoted.toggle() }
                if character == "," && !quoted {
                    items.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            items.append(current)
            return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        private static func unquoted(_ value: Substring) -> String {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard trimmed.count >= 2, trimmed.first == "\"", trimmed.last == "\"" else { return trimmed }
            return String(trimmed.dropFirst().dropLast())
        }
    }

    /// One token of the document, as the headline sees it.
    struct Word {
        enum Kind { case word, number, blank, skipped }
        var text: String
        var kind: Kind
        /// The position `to_tsvector` gives the token (0 for a blank).
        var position: Int
        /// The lexeme when it matches one of the query's operands.
        var match: String?

        /// Blanks and the whole of a hyphenated word (its parts follow) are not counted.
        var isCounted: Bool { kind == .word || kind == .number }
    }

    let words: [Word]
    let query: TSQuery
    let options: Options

    init(document: String, query: TSQuery, configuration: TextSearchConfiguration, options: Options) {
        self.query = query
        self.options = options
        words = Self.words(document, configuration, BM25.Terms(query))
    }

    /// The document's tokens with the text between them, so that concatenating every word's
    /// text (skipping `.skipped`) gives the document back.
    static func words(_ document: String, _ configuration: TextSearchConfiguration, _ terms: BM25.Terms) -> [Word] {
        let scalars = Array(document.unicodeScalars)
        let tokens = TextSearchParser.tokens(document)
        var words: [Word] = [], emittedEnd = 0, cursor = 0
        func blank(upTo end: Int) {
            if end > emittedEnd { words.append(Word(text: text(scalars[emittedEnd..<end]), kind: .blank, position: 0)) }
            emittedEnd = max(emittedEnd, end)
        }
        for (offset, token) in tokens.enumerated() {
            let tokenScalars = Array(token.text.unicodeScalars)
            guard let start = find(tokenScalars, in: scalars, from: cursor) else { continue }
            blank(upTo: start)
            let lexeme = configuration.lexeme(token)
            let match = lexeme.flatMap { terms.contains($0) ? $0 : nil }
            let isWhole = offset + 1 < tokens.count && token.text.hasPrefix(tokens[offset + 1].text + "-")
            if isWhole {
                words.append(Word(text: token.text, kind: .skipped, position: offset + 1, match: match))
                cursor = start
                continue
            }
            words.append(Word(text: token.text, kind: isNumber(token.text) ? .number : .word, position: offset + 1, match: match))
            emittedEnd = start + tokenScalars.count
            cursor = emittedEnd
        }
        blank(upTo: scalars.count)
        return words
    }

    private static func text(_ scalars: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(scalars)) }

    private static func find(_ needle: [Unicode.Scalar], in haystack: [Unicode.Scalar], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// Numbers and versions: PostgreSQL never ends a headline on one.
    private static func isNumber(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "+" }
    }
}

extension TSHeadline {
    /// The headline text. With MaxFragments > 0 PostgreSQL takes fragments even when
    /// HighlightAll is on.
    func headline() -> String {
        if options.maxFragments > 0 { return fragmentsHeadline() }
        let range = options.highlightAll ? 0..<words.count : bestRange()
        return words[range].map(marked).joined()
    }

    /// A word as the headline prints it: a match between StartSel and StopSel.
    func marked(_ word: Word) -> String {
        if word.kind == .skipped { return "" }
        return word.match != nil && word.kind != .blank ? options.startSelection + word.text + options.stopSelection : word.text
    }

    private func isInteresting(_ index: Int) -> Bool { words[index].match != nil }

    /// PostgreSQL's BADENDPOINT: a blank, number or short word that is not a match.
    func isBadEnd(_ index: Int) -> Bool {
        let word = words[index]
        return (word.kind != .word || word.text.utf8.count <= options.shortWord) && !isInteresting(index)
    }

    private func firstMatch(from start: Int) -> Int? {
        (start..<max(start, words.count)).first { words[$0].match != nil }
    }

    /// Whether the words `first...last` satisfy the query.
    private func satisfies(_ first: Int, _ last: Int) -> Bool {
        var positions: [String: [TSVector.Position]] = [:]
        for word in words[first...last] {
            if let lexeme = word.match { positions[lexeme, default: []].append(TSVector.Position(word.position)) }
        }
        return query.matches(TSVector(unsorted: positions.map { TSVector.Entry(lexeme: $0.key, positions: $0.value) }))
    }

    /// The earliest shortest cover starting at or after `start` (hlCover).
    func cover(from start: Int) -> (Int, Int)? {
        let coverMax = max(options.maxWords * 10, 100)
        var first = firstMatch(from: start)
        while let low = first {
            var high: Int? = low
            var next: Int?
            while let end = high, end - low < coverMax {
                if satisfies(low, end) { return (low, end) }
                high = firstMatch(from: end + 1)
                if end == low { next = high }
            }
            first = next
        }
        return nil
    }
}

extension TSHeadline {
    /// A candidate headline: its words, whether it holds its whole cover, its distinct matches.
    private struct Candidate {
        var first: Int
        var last: Int
        var holdsCover: Bool
        var matches: Int
    }

    /// The words of the best headline (mark_hl_words without HighlightAll).
    func bestRange() -> Range<Int> {
        var best: Candidate?
        var start = 0
        while let (p, q) = cover(from: start) {
            let candidate = fitted(p, q)
            if let current = best {
                let better = (candidate.holdsCover && !current.holdsCover)
                    || (candidate.holdsCover == current.holdsCover && candidate.matches > current.matches)
                    || (candidate.holdsCover == current.holdsCover && candidate.matches == current.matches
                        && !isBadEnd(candidate.last) && isBadEnd(current.last))
                if better { best = candidate }
            } else {
                best = candidate
            }
            start = p + 1
        }
        if let best { return best.first..<(best.last + 1) }
        return 0..<min(leadingWordsEnd() + 1, words.count)
    }

    /// The first MinWords counted words (a headline for a document without a cover).
    private func leadingWordsEnd() -> Int {
        var counted = 0, end = 0
        var index = 0
        while index < words.count && counted < options.minWords {
            if words[index].isCounted { counted += 1 }
            end = index
            index += 1
        }
        return end
    }

    /// The cover `p...q` widened to MinWords (right first, then left) or cut to MaxWords,
    /// moving the end off bad end points as PostgreSQL does.
    private func fitted(_ p: Int, _ q: Int) -> Candidate {
        var counted = 0, matches = 0, first = p, last = p
        var index = p
        while index <= q && counted < options.maxWords {
            if words[index].isCounted { counted += 1 }
            if isInteresting(index) { matches += 1 }
            last = index
            index += 1
        }
        if counted < options.maxWords {
            index -= 1
            while index < words.count && counted < options.maxWords {
                if index > q {
                    if words[index].isCounted { counted += 1 }
                    if isInteresting(index) { matches += 1 }
                }
                last = index
                if !isBadEnd(index) && counted >= options.minWords { break }
                index += 1
            }
            if counted < options.minWords {
                index = p - 1
                while index >= 0 {
                    if words[index].isCounted { counted += 1 }
                    if isInteresting(index) { matches += 1 }
                    if counted >= options.maxWords { break }
                    if !isBadEnd(index) && counted >= options.minWords { break }
                    index -= 1
                }
                first = max(index, 0)
            }
        } else {
            index = min(index, q)
            while counted > options.minWords {
                if !isBadEnd(index) { break }
                if words[index].isCounted { counted -= 1 }
                if isInteresting(index) { matches -= 1 }
                last = index - 1
                index -= 1
            }
        }
        return Candidate(first: first, last: last, holdsCover: first <= p && last >= q, matches: matches)
    }
}
