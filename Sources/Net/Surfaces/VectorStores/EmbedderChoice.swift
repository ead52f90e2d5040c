import Foundation
import VireoQuery
import VireoStorage

/// The `--embedder` setting: which Embedder vector stores use. `auto` takes the native MiniLM
/// model when its directory is found and falls back to the hashing embedder otherwise.
public enum EmbedderChoice {
    public static let names = ["auto", "hashing", "minilm", "openai"]

    /// The embedder for `name`, and a line saying what was chosen and why (for the log).
    public static func make(_ name: String) throws -> (embedder: any Embedder, note: String) {
        switch name {
        case "auto":
            // The seam for the native MiniLM embedder: when it lands, a found model directory selects it here.
            return (HashingEmbedder(), "embedder: hashing-384 (deterministic fallback: matches words, not meaning)")
        case "hashing":
            return (HashingEmbedder(), "embedder: hashing-384 (deterministic fallback: matches words, not meaning)")
        case "minilm", "openai":
            throw VireoError(.featureNotSupported, "the \(name) embedder is not in this build yet; use --embedder hashing or auto")
        default:
            throw VireoError(.invalidParameter, "--embedder must be one of \(names.joined(separator: ", ")), got '\(name)'")
        }
    }
}
