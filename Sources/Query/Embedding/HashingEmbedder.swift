/// The fallback embedder: feature hashing of lower-cased words and word pairs into
/// `dimension` signed buckets, L2-normalised. Deterministic across runs and machines
/// (FNV-1a, not Swift's seeded `Hasher`), so tests and a model-less server agree.
/// Texts that share words score high; it knows nothing of meaning (`isSemantic` false).
public struct HashingEmbedder: Embedder {
    public let dimension: Int
    public var name: String { "hashing-\(dimension)" }
    public var maxInputTokens: Int { 256 }
    public var isSemantic: Bool { false }

    public init(dimension: Int = 384) {
        precondition(dimension > 0, "an embedding has at least one dimension")
        self.dimension = dimension
    }

    public func tokenCount(_ text: String) -> Int { Self.words(text).count }

    public func embed(_ texts: [String]) async throws -> [[Float]] { texts.map(vector) }

    /// The vector of one text; all zeros only for a text without words.
    public func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        let words = Self.words(text)
        for word in words { add(word, to: &vector, weight: 1) }
        for (first, second) in zip(words, words.dropFirst()) { add(first + " " + second, to: &vector, weight: 0.5) }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    private func add(_ feature: String, to vector: inout [Float], weight: Float) {
        let hash = FNV1a.hash64(feature.utf8)
        let bucket = Int(hash % UInt64(dimension))
        vector[bucket] += (hash >> 63) == 0 ? weight : -weight
    }

    /// Lower-cased runs of letters and digits.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }
}
