import Dispatch
import Foundation
import VireoStorage

/// all-MiniLM-L6-v2 run natively: the WordPiece tokenizer, the BERT encoder on OpenBLAS,
/// mean pooling and L2 normalisation, matching sentence-transformers' vectors.
///
/// The weights come from a model folder (`config.json`, `vocab.txt`, `model.safetensors`),
/// which `scripts/fetch-minilm.sh` (`make models`) puts into the user's cache offline.
public struct MiniLMEmbedder: Embedder {
    /// sentence-transformers' `max_seq_length` for this model: longer inputs are truncated
    /// to this many tokens, [CLS] and [SEP] included.
    public static let sequenceTokensMax = 256
    /// Texts per forward pass: bounds the scratch memory (about 10 MB at full length) and
    /// gives cancellation a chance between batches.
    public static let batchSizeMax = 32
    /// The folder name under the model cache.
    public static let modelName = "all-MiniLM-L6-v2"

    public let name = MiniLMEmbedder.modelName
    public var dimension: Int { model.configuration.hiddenSize }
    /// Word pieces per input, specials included, as sentence-transformers counts them.
    public var maxInputTokens: Int { Self.sequenceTokensMax }
    public var isSemantic: Bool { true }

    /// The tokenizer from the folder's vocab.txt.
    public let tokenizer: WordPieceTokenizer
    /// The encoder from the folder's config.json and model.safetensors.
    public let model: BertSentenceModel

    /// Loads the model folder; errors name the file that is missing or bad.
    public init(directory: URL) throws {
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory.appendingPathComponent("vocab.txt"))
        model = try BertSentenceModel(directory: directory)
        guard tokenizer.vocabularySize == model.configuration.vocabularySize else {
            throw VireoError(.corruption, "model folder '\(directory.path)': vocab.txt has \(tokenizer.vocabularySize) pieces, config.json says \(model.configuration.vocabularySize)")
        }
        guard model.configuration.positionsMax >= Self.sequenceTokensMax else {
            throw VireoError(.corruption, "model folder '\(directory.path)': \(model.configuration.positionsMax) positions are fewer than \(Self.sequenceTokensMax)")
        }
    }

    /// Word pieces of `text`, without [CLS]/[SEP] and without truncation, so a chunker can
    /// tell when a chunk would not fit.
    public func tokenCount(_ text: String) -> Int { tokenizer.pieceIds(text).count }

    /// Runs batch by batch on `forwardQueue`, never on Swift's cooperative threads (two on a
    /// two-core machine: a long embedding there would stall every other task). Checks
    /// cancellation between batches; callers' batches interleave in arrival order.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: Self.batchSizeMax) {
            try Task.checkCancellation()
            let batch = texts[start..<min(start + Self.batchSizeMax, texts.count)]
            vectors += await withCheckedContinuation { continuation in
                Self.forwardQueue.async { continuation.resume(returning: embedBatch(batch)) }
            }
        }
        return vectors
    }

    /// One forward pass at a time: OpenBLAS already spreads each matrix product over the
    /// cores, so two passes at once would only contend for them.
    static let forwardQueue = DispatchQueue(label: "vireo.embedding.minilm", qos: .userInitiated)

    /// One forward pass over at most `batchSizeMax` texts, synchronously.
    public func embedBatch(_ texts: ArraySlice<String>) -> [[Float]] {
        precondition(texts.count <= Self.batchSizeMax, "callers split inputs into batches of batchSizeMax")
        return model.embed(texts.map { tokenizer.encode($0, tokensMax: Self.sequenceTokensMax) })
    }
}

extension MiniLMEmbedder {
    /// Where the model folder is: `VIREO_MODEL_DIR` when set (even if it does not exist, so
    /// a wrong path fails loudly on loading), else `${XDG_CACHE_HOME:-$HOME/.cache}/vireo/models/
    /// all-MiniLM-L6-v2` when it holds the weights, else nil.
    public static func defaultModelDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let explicit = environment["VIREO_MODEL_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        let cache: URL
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cache = URL(fileURLWithPath: xdg, isDirectory: true)
        } else if let home = environment["HOME"], !home.isEmpty {
            cache = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache")
        } else {
            return nil
        }
        let directory = cache.appendingPathComponent("vireo/models/\(modelName)", isDirectory: true)
        let weights = directory.appendingPathComponent("model.safetensors").path
        return FileManager.default.fileExists(atPath: weights) ? directory : nil
    }
}
