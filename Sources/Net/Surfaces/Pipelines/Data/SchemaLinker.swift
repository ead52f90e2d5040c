import Foundation
import Synchronization
import VireoQuery

/// Schema linking through the server's embedder, for both NL→SQL paths. Every table
/// ("employees") and column ("employees salary") is embedded, and so is each word of the
/// question that names nothing in the schema by spelling and is no word of the grammar
/// ("payroll", "people", "earns"). A word whose nearest table or column is at least
/// `similarityMin` alike (cosine) is linked to it:
///
/// - the offline translator reads the question with linked words replaced by the names they
///   stand for ("total payroll of …" → "total salary of …"), so its grammar can use them;
/// - the chat prompt lists the tables most related to the question first, with the links as
///   hints ("payroll" probably means employees.salary).
///
/// A non-semantic embedder (the hashing fallback) links nothing: its vectors match spellings,
/// which the translator already matches.
struct SchemaLinker {
    /// How alike a word and a name must be (cosine of unit vectors) to be linked; measured on
    /// all-MiniLM-L6-v2, where unrelated words of one domain stay under 0.45.
    static let similarityMin: Float = 0.55
    /// Question words linked at most, and texts one embedder call takes.
    static let wordsMax = 32

    struct Link: Sendable { var word: String; var table: String; var column: String?; var similarity: Float
        var name: String { column ?? table }
    }

    struct Outcome: Sendable {
        var links: [Link] = []
        /// The tables, most related to the question first.
        var ranked: [NLTranslator.Table]

        /// `question` with each linked word replaced by the name it stands for.
        func rewritten(_ question: String) -> String {
            guard !links.isEmpty else { return question }
            let replacements = Dictionary(links.map { ($0.word, $0.name.replacingOccurrences(of: "_", with: " ")) }, uniquingKeysWith: { first, _ in first })
            return NLTranslator.words(question).map { word in word.hasPrefix("'") ? word + "'" : replacements[word] ?? word }.joined(separator: " ")
        }
    }

    /// Words the grammar reads itself: never linked.
    static let grammarWords: Set<String> = NLTranslator.stopWords
        .union(NLTranslator.aggregateWords.flatMap { $0.0.split(separator: " ").map(String.init) })
        .union(NLTranslator.comparisons.flatMap { $0.0.split(separator: " ").map(String.init) })
        .union(["top", "bottom", "first", "sorted", "order", "newest", "oldest", "ascending", "descending", "cheapest", "most", "expensive",
                "there", "do", "does", "did", "give", "get", "find", "who", "whom", "were", "was", "be", "been", "to", "on", "at", "or",
                "than", "their", "they", "it", "its", "any", "some", "every", "only", "first", "days", "weeks", "months", "years", "ago", "since"])

    let embedder: any Embedder

    /// The links of `question`'s words; `values` answers which of the words given are values of
    /// a text column (those are the translator's filters, never renamed).
    func link(_ question: String, tables: [NLTranslator.Table],
              values: @escaping @Sendable ([String]) async throws -> Set<String>) async throws -> Outcome {
        guard embedder.isSemantic, !tables.isEmpty else { return Outcome(ranked: tables) }
        let translator = NLTranslator(tables: tables) { _, _, _ in false }
        let words = NLTranslator.words(question)
        var candidates: [String] = []
        for (index, word) in words.enumerated() where Self.linkable(word, index, words, translator) && !candidates.contains(word) {
            candidates.append(word)
        }
        candidates = Array(candidates.prefix(Self.wordsMax))
        let isValue = try await values(candidates.flatMap { [$0, NLTranslator.singular($0)] })
        candidates.removeAll { isValue.contains($0) || isValue.contains(NLTranslator.singular($0)) }
        let names: [(table: String, column: String?, text: String)] = tables.flatMap { table in
            [(table.name, nil, Self.human(table.name))] + table.columns.map { (table.name, $0.name, Self.human(table.name) + " " + Self.human($0.name)) }
        }
        let vectors = try await embedInBatches(names.map(\.text) + candidates)
        let nameVectors = Array(vectors.prefix(names.count)), wordVectors = Array(vectors.dropFirst(names.count))
        var outcome = Outcome(ranked: tables)
        var relevance: [String: Float] = [:]
        for (word, vector) in zip(candidates, wordVectors) {
            let scored = zip(names, nameVectors).map { ($0, Self.cosine(vector, $1)) }
            for (name, score) in scored { relevance[name.table] = max(relevance[name.table] ?? 0, score) }
            guard let best = scored.max(by: { $0.1 < $1.1 }), best.1 >= Self.similarityMin else { continue }
            outcome.links.append(Link(word: word, table: best.0.table, column: best.0.column, similarity: best.1))
        }
        for word in words { if let table = translator.table(word) { relevance[table.name] = 2 } }
        outcome.ranked = tables.enumerated().sorted { (relevance[$0.1.name] ?? 0, -$0.0) > (relevance[$1.1.name] ?? 0, -$1.0) }.map(\.1)
        return outcome
    }

    /// A content word the schema does not name by spelling: no table, no column, no number, no grammar word.
    static func linkable(_ word: String, _ index: Int, _ words: [String], _ translator: NLTranslator) -> Bool {
        guard word.count >= 3, !word.hasPrefix("'"), Double(word) == nil, !grammarWords.contains(word) else { return false }
        guard translator.table(word) == nil else { return false }
        return !translator.tables.contains { translator.column(words, index, in: $0) != nil }
    }

    /// Vectors of texts embedded before (table and column names recur in every question), by
    /// embedder and text; emptied when it reaches `cachedVectorsMax`.
    static let cache = Mutex<[String: [Float]]>([:])
    static let cachedVectorsMax = 20_000

    /// The vectors of `texts`, from the cache or the embedder (64 texts a call).
    func embedInBatches(_ texts: [String]) async throws -> [[Float]] {
        let keys = texts.map { embedder.name + "\u{0}" + $0 }
        var known = Self.cache.withLock { cache in keys.map { cache[$0] } }
        let missing = known.indices.filter { known[$0] == nil }
        var start = 0
        while start < missing.count {
            let batch = Array(missing[start..<min(start + 64, missing.count)])
            let vectors = try await embedder.embed(batch.map { texts[$0] })
            for (index, vector) in zip(batch, vectors) { known[index] = vector }
            Self.cache.withLock { cache in
                if cache.count + batch.count > Self.cachedVectorsMax { cache.removeAll() }
                for (index, vector) in zip(batch, vectors) { cache[keys[index]] = vector }
            }
            start += batch.count
        }
        return known.map { $0 ?? [] }
    }

    static func human(_ name: String) -> String { name.replacingOccurrences(of: "_", with: " ") }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, normA: Float = 0, normB: Float = 0
        for index in 0..<min(a.count, b.count) {
            dot += a[index] * b[index]
            normA += a[index] * a[index]
            normB += b[index] * b[index]
        }
        return normA > 0 && normB > 0 ? dot / (normA.squareRoot() * normB.squareRoot()) : 0
    }
}
