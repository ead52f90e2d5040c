/// Turns texts into vectors of one fixed dimension, for vector stores and `vireo ingest`.
/// Implementations: the native MiniLM model, a remote OpenAI-compatible endpoint, and
/// `HashingEmbedder`, the deterministic fallback used when no model is available.
public protocol Embedder: Sendable {
    /// A name for logs, /health and the vector-store records (e.g. "all-MiniLM-L6-v2").
    var name: String { get }
    /// The length of every vector `embed` returns.
    var dimension: Int { get }
    /// The most tokens one input may carry; longer inputs are truncated by the model,
    /// so chunking keeps chunks at or under this size.
    var maxInputTokens: Int { get }
    /// False for the hashing fallback: its vectors match words, not meaning.
    var isSemantic: Bool { get }
    /// How many tokens `text` counts as for this embedder (chunk sizes are in these units).
    func tokenCount(_ text: String) -> Int
    /// One unit-length vector per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}
