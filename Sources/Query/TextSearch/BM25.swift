import Foundation
import VireoStorage

/// Okapi BM25 as Lucene and Elasticsearch compute it:
///
///     score(d, q) = Σ over the query's terms t held by d of
///                   idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · |d| / avgdl))
///     idf(t)      = ln(1 + (N − df + 0.5) / (df + 0.5))
///
/// where tf is how often t occurs in d (its positions in the tsvector), |d| the tsvector's
/// length, N the number of rows whose tsvector is not NULL, avgdl their mean length and df
/// the number of those rows holding t. The terms are the query's lexemes outside `!`, each
/// counted once; a prefix operand (`star:*`) stands for every lexeme of the corpus it starts.
/// Weights (`:A`) are ignored.
enum BM25 {
    struct Parameters: Equatable, Sendable {
        var k1 = 1.2
        var b = 0.75

        /// Checks the ranges Lucene accepts: k1 ≥ 0 and finite, b in [0, 1].
        func validated() throws -> Parameters {
            guard k1.isFinite, k1 >= 0 else { throw VireoError(.invalidParameter, "bm25 parameter k1 must be a finite number >= 0, not \(k1)") }
            guard b >= 0, b <= 1 else { throw VireoError(.invalidParameter, "bm25 parameter b must be between 0 and 1, not \(b)") }
            return self
        }
    }

    static func inverseDocumentFrequency(documentCount: Int, documentFrequency: Int) -> Double {
        log(1 + (Double(documentCount) - Double(documentFrequency) + 0.5) / (Double(documentFrequency) + 0.5))
    }

    /// One term's contribution.
    static func termScore(idf: Double, termFrequency: Int, documentLength: Int, averageLength: Double,
                          _ parameters: Parameters) -> Double {
        let lengthRatio = averageLength > 0 ? Double(documentLength) / averageLength : 1
        let norm = parameters.k1 * (1 - parameters.b + parameters.b * lengthRatio)
        let frequency = Double(termFrequency)
        return idf * frequency * (parameters.k1 + 1) / (frequency + norm)
    }

    /// The query's scored operands: exact lexemes and prefixes, outside `!`, each once.
    struct Terms: Equatable {
        var exact: [String] = []
        var prefixes: [String] = []

        init(_ query: TSQuery) {
            var exactSet = Set<String>(), prefixSet = Set<String>()
            if let root = query.root { Self.collect(root, &exactSet, &prefixSet) }
            exact = exactSet.sorted(by: TSVector.lexemeOrder)
            prefixes = prefixSet.sorted(by: TSVector.lexemeOrder)
        }

        private static func collect(_ node: TSQuery.Node, _ exact: inout Set<String>, _ prefixes: inout Set<String>) {
            switch node {
            case .operand(let operand):
                if operand.isPrefix { prefixes.insert(operand.lexeme) } else { exact.insert(operand.lexeme) }
            case .and(let a, let b), .or(let a, let b), .phrase(let a, let b, _):
                collect(a, &exact, &prefixes)
                collect(b, &exact, &prefixes)
            case .not, .stop: break
            }
        }

        /// Whether a lexeme of a document is one of the terms.
        func contains(_ lexeme: String) -> Bool {
            if exact.contains(lexeme) { return true }
            return prefixes.contains { lexeme.utf8.starts(with: $0.utf8) }
        }
    }

    /// The score of one document, from its tsvector and the corpus statistics; terms are
    /// summed in lexeme order (the index's top-k search sums in the same order, so both
    /// give the same number).
    static func score(_ vector: TSVector, _ terms: Terms, _ statistics: TextCorpusStatistics,
                      _ parameters: Parameters, _ data: DataAccess) throws -> Double {
        let length = vector.length
        var total = 0.0
        for entry in vector.entries where terms.contains(entry.lexeme) {
            let frequency = try statistics.documentFrequency(entry.lexeme, data)
            let idf = inverseDocumentFrequency(documentCount: statistics.corpus.documentCount, documentFrequency: frequency)
            total += termScore(idf: idf, termFrequency: max(entry.positions.count, 1), documentLength: length,
                               averageLength: statistics.corpus.averageLength, parameters)
        }
        return total
    }
}

/// The corpus statistics of one tsvector column during one statement: from its format 2
/// gin index when there is one, else counted from the table's rows once.
final class TextCorpusStatistics {
    let corpus: InvertedCorpus
    /// The index read for document frequencies; nil when `frequencies` holds every lexeme.
    let index: IndexDefinition?
    private var frequencies: [String: Int]

    private init(corpus: InvertedCorpus, index: IndexDefinition?, frequencies: [String: Int]) {
        self.corpus = corpus
        self.index = index
        self.frequencies = frequencies
    }

    /// The statistics of `source` in `tableName`, as the statement's data sees them.
    static func load(table tableName: String, source: TextScore.Source, _ context: ExecutionContext) throws -> TextCorpusStatistics {
        let key = "\(tableName)\u{0}\(source)"
        if let cached = context.cache.textStatistics[key] { return cached }
        let table = try context.data.catalog.table(tableName)
        let statistics: TextCorpusStatistics
        switch source {
        case .column(let column):
            if let index = textIndex(table, column: column), let corpus = try context.data.invertedCorpus(index) {
                statistics = TextCorpusStatistics(corpus: corpus, index: index, frequencies: [:])
            } else {
                statistics = try counted(table, column: column, context)
            }
        case .index(let name):
            guard let index = table.indexes.first(where: { $0.name == name && $0.keepsTextStatistics }),
                  let corpus = try context.data.invertedCorpus(index) else {
                throw VireoError(.undefinedObject, "index \"\(name)\" that bm25() reads its statistics from no longer exists")
            }
            statistics = TextCorpusStatistics(corpus: corpus, index: index, frequencies: [:])
        }
        context.cache.textStatistics[key] = statistics
        return statistics
    }

    /// The format 2 gin index on the column, if any (not a partial one: it counts only some rows).
    static func textIndex(_ table: TableDefinition, column: Int) -> IndexDefinition? {
        table.indexes.first { $0.keepsTextStatistics && $0.predicate == nil && $0.expression(at: 0) == nil && $0.columns.first == table.columns[column].name }
    }

    private static func counted(_ table: TableDefinition, column: Int, _ context: ExecutionContext) throws -> TextCorpusStatistics {
        var corpus = InvertedCorpus(documentCount: 0, totalLength: 0)
        var frequencies: [String: Int] = [:]
        try context.data.scanRows(table) { _, record in
            try context.checkCancel()
            guard case .text(let text) = try record.values()[column] else { return true }
            let vector = try TSVector(parsing: text)
            corpus.documentCount += 1
            corpus.totalLength += vector.length
            for entry in vector.entries { frequencies[entry.lexeme, default: 0] += 1 }
            return true
        }
        return TextCorpusStatistics(corpus: corpus, index: nil, frequencies: frequencies)
    }

    func documentFrequency(_ lexeme: String, _ data: DataAccess) throws -> Int {
        if let known = frequencies[lexeme] { return known }
        guard let index else { return 0 }
        let frequency = try data.invertedLexeme(index, lexeme)?.documentFrequency ?? 0
        frequencies[lexeme] = frequency
        return frequency
    }
}
