import VireoStorage

/// A text-search configuration: how a token becomes a lexeme. `simple` lower-cases every
/// token; `english` also drops PostgreSQL's English stop words and stems words with the
/// Snowball English stemmer (other tokens, such as numbers and `abc123`, are only lower-cased).
enum TextSearchConfiguration: String, Sendable, CaseIterable {
    case simple, english

    /// The configuration `default_text_search_config` names in a database initialised with the C locale.
    static let defaultConfiguration = TextSearchConfiguration.english

    /// Looks a configuration up by name (`english`, `pg_catalog.simple`); 42704 otherwise.
    init(name: String) throws {
        let lowered = name.lowercased()
        let bare = lowered.hasPrefix("pg_catalog.") ? String(lowered.dropFirst("pg_catalog.".count)) : lowered
        guard let configuration = TextSearchConfiguration(rawValue: bare) else {
            throw VireoError(.undefinedObject, "text search configuration \"\(name)\" does not exist")
        }
        self = configuration
    }

    /// The lexeme of a token, or nil for a stop word.
    func lexeme(_ token: TextSearchToken) -> String? {
        let lowered = token.text.lowercased()
        guard self == .english, token.kind == .word else { return lowered }
        if EnglishStopWords.all.contains(lowered) { return nil }
        return EnglishStemmer.stem(lowered)
    }

    /// The lexemes of a text with their positions (1-based; stop words use a position too).
    func lexemes(_ text: String) -> [(position: Int, lexeme: String)] {
        TextSearchParser.tokens(text).enumerated().compactMap { offset, token in
            lexeme(token).map { (offset + 1, $0) }
        }
    }

    /// `to_tsvector`.
    func vector(_ text: String) -> TSVector {
        TSVector(unsorted: lexemes(text).map { TSVector.Entry(lexeme: $0.lexeme, positions: [TSVector.Position($0.position)]) })
    }

    /// The query subtree of one written operand: its lexemes joined by `joiner` (`&` for
    /// plainto_tsquery, `<->` otherwise), stop words kept as places for the cleanup to measure.
    func operandNode(_ text: String, weightMask: UInt8, isPrefix: Bool, phrase: Bool) -> TSQuery.Node {
        var node: TSQuery.Node?
        var previous = 0
        func join(_ next: TSQuery.Node) {
            node = node.map { phrase ? .phrase($0, next, distance: 1) : .and($0, next) } ?? next
        }
        for (position, lexeme) in lexemes(text) {
            if previous > 0 {
                for _ in (previous + 1)..<max(position, previous + 1) { join(.stop) }
            }
            previous = position
            join(.operand(TSQuery.Operand(lexeme: lexeme, weightMask: weightMask, isPrefix: isPrefix)))
        }
        return node ?? .stop
    }
}

/// PostgreSQL's English stop-word list (`english.stop`).
enum EnglishStopWords {
    static let all: Set<String> = Set("""
        i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers \
        herself it its itself they them their theirs themselves what which who whom this that these those am is \
        are was were be been being have has had having do does did doing a an the and but if or because as until \
        while of at by for with about against between into through during before after above below to from up \
        down in out on off over under again further then once here there when where why how all any both each \
        few more most other some such no nor not only own same so than too very s t can will just don should now
        """.split(separator: " ").map(String.init))
}
