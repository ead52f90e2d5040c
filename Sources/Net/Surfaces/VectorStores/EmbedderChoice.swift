import Foundation
import VireoQuery
import VireoStorage

/// The `--embedder` setting: which Embedder vector stores use. `auto` takes the native MiniLM
/// model when its directory is found and falls back to the hashing embedder otherwise;
/// `openai` is a remote OpenAI-compatible endpoint described by `openAI`.
public enum EmbedderChoice {
    public static let names = ["auto", "hashing", "minilm", "openai"]

    /// The embedder for `name`, and a line saying what was chosen and why (for the log).
    /// `openai` sends one probe request when its settings do not give the dimensions.
    public static func make(_ name: String, openAI: OpenAIEmbedderSettings = OpenAIEmbedderSettings()) async throws
        -> (embedder: any Embedder, note: String) {
        if name == "openai" {
            let embedder: OpenAIEmbedder
            do {
                embedder = try await OpenAIEmbedder.connect(openAI)
            } catch let error as RemoteEmbeddingError {
                throw VireoError(.invalidParameter, "--embedder openai: the probe request failed: \(error); check the base URL, "
                    + "API key and model (--openai-* flags of `vireo serve`, or VIREO_OPENAI_* variables), or give the "
                    + "dimensions to start without a probe")
            }
            return (embedder, embedder.description)
        }
        return try local(name)
    }

    /// The embedders that need no network.
    static func local(_ name: String) throws -> (embedder: any Embedder, note: String) {
        switch name {
        case "auto":
            guard let directory = MiniLMEmbedder.defaultModelDirectory() else {
                return (HashingEmbedder(), hashingNote + "; no all-MiniLM-L6-v2 found (run `make models` or set VIREO_MODEL_DIR)")
            }
            do {
                return try miniLM(directory)
            } catch {
                return (HashingEmbedder(), hashingNote + "; all-MiniLM-L6-v2 at \(directory.path) did not load: \(error)")
            }
        case "hashing":
            return (HashingEmbedder(), hashingNote)
        case "minilm":
            guard let directory = MiniLMEmbedder.defaultModelDirectory() else {
                throw VireoError(.invalidParameter, "--embedder minilm: no all-MiniLM-L6-v2 found; run `make models` or set VIREO_MODEL_DIR to its folder")
            }
            return try miniLM(directory)
        default:
            throw VireoError(.invalidParameter, "--embedder must be one of \(names.joined(separator: ", ")), got '\(name)'")
        }
    }

    private static let hashingNote = "embedder: hashing-384 (deterministic fallback: matches words, not meaning)"

    private static func miniLM(_ directory: URL) throws -> (embedder: any Embedder, note: String) {
        (try MiniLMEmbedder(directory: directory), "embedder: all-MiniLM-L6-v2 (native, from \(directory.path))")
    }
}
