import VireoStorage

/// The text-search functions: to_tsvector, the to_tsquery family, ts_rank, ts_rank_cd,
/// ts_headline, numnode, strip and setweight. tsvector and tsquery values travel as their canonical text.
extension Functions {
    static let textSearch: [ScalarFunction] = [
        ScalarFunction("to_tsvector", 1...2, [.text, .text], returns: .tsvector) { arguments in
            let (configuration, text) = try configured(arguments)
            return .text(configuration.vector(text).text)
        },
        queryFunction("to_tsquery") { configuration, text in
            try TSQuery(parsing: text) { configuration.operandNode($0, weightMask: $1, isPrefix: $2, phrase: true) }
        },
        queryFunction("plainto_tsquery") { configuration, text in
            TSQuery(root: TSQuery.cleaned(configuration.operandNode(text, weightMask: 0, isPrefix: false, phrase: false)))
        },
        queryFunction("phraseto_tsquery") { configuration, text in
            TSQuery(root: TSQuery.cleaned(configuration.operandNode(text, weightMask: 0, isPrefix: false, phrase: true)))
        },
        queryFunction("websearch_to_tsquery") { configuration, text in WebSearchQuery.parse(text, configuration) },
        ScalarFunction("ts_headline", 2...4, [.text, .text, .text, .text], returns: .text) { arguments in
            .text(try headline(arguments))
        },
        ScalarFunction("ts_rank", 2...3, [.tsvector, .tsquery, .int], returns: .double) { arguments in
            .double(TSRank.rank(try textVector(arguments[0]), try textQuery(arguments[1]), normalization: try normalization(arguments)))
        },
        ScalarFunction("ts_rank_cd", 2...3, [.tsvector, .tsquery, .int], returns: .double) { arguments in
            .double(TSRank.coverDensity(try textVector(arguments[0]), try textQuery(arguments[1]), normalization: try normalization(arguments)))
        },
        ScalarFunction("numnode", 1...1, [.tsquery], returns: .int) { arguments in
            .int(Int64(try textQuery(arguments[0]).root.map(nodeCount) ?? 0))
        },
        ScalarFunction("strip", 1...1, [.tsvector], returns: .tsvector) { arguments in
            let stripped = try textVector(arguments[0]).entries.map { TSVector.Entry(lexeme: $0.lexeme, positions: []) }
            return .text(TSVector(unsorted: stripped).text)
        },
        // `tsquery || tsquery` and `tsquery && tsquery`; an empty query gives the other one.
        ScalarFunction("tsquery_or", 2...2, [.tsquery, .tsquery], returns: .tsquery) { arguments in
            try combined(arguments) { .or($0, $1) }
        },
        ScalarFunction("tsquery_and", 2...2, [.tsquery, .tsquery], returns: .tsquery) { arguments in
            try combined(arguments) { .and($0, $1) }
        },
        ScalarFunction("tsvector_concat", 2...2, [.tsvector, .tsvector], returns: .tsvector) { arguments in
            .text(concatenated(try textVector(arguments[0]), try textVector(arguments[1])).text)
        },
        ScalarFunction("setweight", 2...2, [.tsvector, .text], returns: .tsvector) { arguments in
            let letter = string(arguments[1])
            guard letter.count == 1, let weight = TSVector.weight(of: Character(letter)) else {
                throw VireoError(.invalidParameter, "unrecognized weight: \"\(letter)\"")
            }
            let weighted = try textVector(arguments[0]).entries.map { entry in
                TSVector.Entry(lexeme: entry.lexeme, positions: entry.positions.map { TSVector.Position($0.position, weight: weight) })
            }
            return .text(TSVector(unsorted: weighted).text)
        },
    ]

    /// A `*_tsquery([configuration,] text)` function.
    private static func queryFunction(_ name: String, _ build: @escaping @Sendable (TextSearchConfiguration, String) throws -> TSQuery) -> ScalarFunction {
        ScalarFunction(name, 1...2, [.text, .text], returns: .tsquery) { arguments in
            let (configuration, text) = try configured(arguments)
            return .text(try build(configuration, text).text)
        }
    }

    /// Two queries joined by `join`, in PostgreSQL's text form; an empty one gives the other.
    static func combined(_ arguments: [Value], _ join: (TSQuery.Node, TSQuery.Node) -> TSQuery.Node) throws -> Value {
        let (a, b) = (try textQuery(arguments[0]), try textQuery(arguments[1]))
        guard let x = a.root else { return .text(b.text) }
        guard let y = b.root else { return .text(a.text) }
        return .text(TSQuery(root: join(x, y)).text)
    }

    /// `a || b`: b's positions move past a's last position, as PostgreSQL's tsvector_concat does.
    static func concatenated(_ a: TSVector, _ b: TSVector) -> TSVector {
        let shift = a.entries.flatMap(\.positions).map(\.position).max() ?? 0
        let moved = b.entries.map { entry in
            TSVector.Entry(lexeme: entry.lexeme, positions: entry.positions.map { TSVector.Position($0.position + shift, weight: $0.weight) })
        }
        return TSVector(unsorted: a.entries + moved)
    }

    private static func configured(_ arguments: [Value]) throws -> (TextSearchConfiguration, String) {
        if arguments.count == 1 { return (TextSearchConfiguration.defaultConfiguration, string(arguments[0])) }
        return (try TextSearchConfiguration(name: string(arguments[0])), string(arguments[1]))
    }

    /// `ts_headline([configuration,] document, query [, options])`. With three arguments the
    /// first is a configuration when it names one and the third holds no `=` (options do, a
    /// tsquery never does); else the third is options.
    private static func headline(_ arguments: [Value]) throws -> String {
        let texts = arguments.map(string)
        let namesConfiguration = (try? TextSearchConfiguration(name: texts[0])) != nil
        let hasConfiguration = texts.count == 4 || (texts.count == 3 && namesConfiguration && !texts[2].contains("=") && !texts[2].isEmpty)
        let rest = hasConfiguration ? Array(texts.dropFirst()) : texts
        let configuration = hasConfiguration ? try TextSearchConfiguration(name: texts[0]) : .defaultConfiguration
        let options = try TSHeadline.Options(parsing: rest.count > 2 ? rest[2] : "")
        return TSHeadline(document: rest[0], query: try TSQuery(parsing: rest[1]), configuration: configuration, options: options).headline()
    }

    static func textVector(_ value: Value) throws -> TSVector { try TSVector(parsing: string(value)) }
    static func textQuery(_ value: Value) throws -> TSQuery { try TSQuery(parsing: string(value)) }

    private static func normalization(_ arguments: [Value]) throws -> Int {
        arguments.count < 3 ? 0 : Int(try int(arguments[2]))
    }

    private static func nodeCount(_ node: TSQuery.Node) -> Int {
        switch node {
        case .operand, .stop: 1
        case .not(let child): 1 + nodeCount(child)
        case .and(let a, let b), .or(let a, let b), .phrase(let a, let b, _): 1 + nodeCount(a) + nodeCount(b)
        }
    }
}

/// websearch_to_tsquery's forgiving syntax: words are joined by `&`, `"quoted text"` is a
/// phrase, `or` between two terms is `|` (elsewhere it is a word), and `-word` is `!word`;
/// other punctuation is ignored.
enum WebSearchQuery {
    /// A written term: a word (possibly negated) or a quoted phrase.
    private struct Term {
        var text: String
        var negated = false
        var quoted = false
        var isOr: Bool { !negated && !quoted && text.lowercased() == "or" }
    }

    static func parse(_ text: String, _ configuration: TextSearchConfiguration) -> TSQuery {
        let terms = self.terms(text)
        var alternatives: [[TSQuery.Node]] = [[]]
        for (index, term) in terms.enumerated() {
            if term.isOr, !(alternatives.last?.isEmpty ?? true), index + 1 < terms.count {
                alternatives.append([])
                continue
            }
            let node = configuration.operandNode(term.text, weightMask: 0, isPrefix: false, phrase: true)
            alternatives[alternatives.count - 1].append(term.negated ? .not(node) : node)
        }
        let ands = alternatives.filter { !$0.isEmpty }.map { $0.dropFirst().reduce($0[0]) { .and($0, $1) } }
        guard let first = ands.first else { return TSQuery(root: nil) }
        return TSQuery(root: TSQuery.cleaned(ands.dropFirst().reduce(first) { .or($0, $1) }))
    }

    private static func terms(_ text: String) -> [Term] {
        var terms: [Term] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func string(_ range: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[range])) }
        while index < scalars.count {
            let scalar = scalars[index]
            let negated = scalar == "-" && index + 1 < scalars.count && (scalars[index + 1] == "\"" || TextSearchParser.isWordScalar(scalars[index + 1]))
            let start = negated ? index + 1 : index
            if scalars[start] == "\"" {
                let end = scalars[(start + 1)...].firstIndex(of: "\"") ?? scalars.count
                terms.append(Term(text: string((start + 1)..<end), negated: negated, quoted: true))
                index = end + 1
                continue
            }
            guard TextSearchParser.isWordScalar(scalars[start]) else { index += 1; continue }
            var end = start
            while end < scalars.count, !scalars[end].properties.isWhitespace, scalars[end] != "\"" { end += 1 }
            terms.append(Term(text: string(start..<end), negated: negated))
            index = end
        }
        return terms
    }
}
