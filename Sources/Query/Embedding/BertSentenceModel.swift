import Foundation
import VireoStorage

/// The shape of a BERT encoder, from the model folder's `config.json`.
public struct BertConfiguration: Sendable, Equatable {
    /// Width of every token's hidden state, and of the sentence vector (384 for MiniLM).
    public var hiddenSize: Int
    /// Encoder layers (6).
    public var layerCount: Int
    /// Attention heads per layer (12); each sees `headSize` of the hidden width.
    public var headCount: Int
    /// Width of the feed-forward layer (1536).
    public var intermediateSize: Int
    /// Longest sequence the position embeddings cover (512).
    public var positionsMax: Int
    /// Rows of the word embedding table; must equal the lines of vocab.txt.
    public var vocabularySize: Int
    /// Rows of the token-type table (2); single sentences use type 0.
    public var tokenTypeCount: Int
    /// LayerNorm's ε (1e-12).
    public var layerNormEpsilon: Float

    /// Width of one attention head (32).
    public var headSize: Int { hiddenSize / headCount }

    /// Reads `config.json`, refusing architectures this forward pass does not implement.
    public init(contentsOf url: URL) throws {
        let object: [String: Any]
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        } catch {
            throw VireoError(.ioError, "cannot read model configuration '\(url.path)': \(error.localizedDescription)")
        }
        func integer(_ key: String) throws -> Int {
            guard let value = (object[key] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), value > 0 else {
                throw VireoError(.corruption, "model configuration '\(url.path)' has no positive integer \(key)")
            }
            return value
        }
        for (key, expected) in [("model_type", "bert"), ("hidden_act", "gelu"), ("position_embedding_type", "absolute")]
        where (object[key] as? String ?? expected) != expected {
            throw VireoError(.featureNotSupported, "model configuration '\(url.path)': \(key) must be \(expected)")
        }
        hiddenSize = try integer("hidden_size")
        layerCount = try integer("num_hidden_layers")
        headCount = try integer("num_attention_heads")
        intermediateSize = try integer("intermediate_size")
        positionsMax = try integer("max_position_embeddings")
        vocabularySize = try integer("vocab_size")
        tokenTypeCount = try integer("type_vocab_size")
        layerNormEpsilon = (object["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        guard hiddenSize % headCount == 0 else {
            throw VireoError(.corruption, "model configuration '\(url.path)': \(headCount) heads do not divide hidden size \(hiddenSize)")
        }
    }
}

/// The weights of one encoder layer. Query, key and value are stacked into one
/// [3·hidden × hidden] matrix so that a single sgemm projects all three.
struct BertLayerWeights: Sendable {
    var queryKeyValue: [Float], queryKeyValueBias: [Float]
    var attentionOutput: [Float], attentionOutputBias: [Float]
    var attentionNormScale: [Float], attentionNormShift: [Float]
    var intermediate: [Float], intermediateBias: [Float]
    var output: [Float], outputBias: [Float]
    var outputNormScale: [Float], outputNormShift: [Float]

    init(_ file: SafeTensorsFile, layer: Int, _ configuration: BertConfiguration) throws {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            try file.floats("encoder.layer.\(layer).\(name)", shape: shape)
        }
        queryKeyValue = try ["query", "key", "value"].flatMap { try tensor("attention.self.\($0).weight", [hidden, hidden]) }
        queryKeyValueBias = try ["query", "key", "value"].flatMap { try tensor("attention.self.\($0).bias", [hidden]) }
        attentionOutput = try tensor("attention.output.dense.weight", [hidden, hidden])
        attentionOutputBias = try tensor("attention.output.dense.bias", [hidden])
        attentionNormScale = try tensor("attention.output.LayerNorm.weight", [hidden])
        attentionNormShift = try tensor("attention.output.LayerNorm.bias", [hidden])
        intermediate = try tensor("intermediate.dense.weight", [inner, hidden])
        intermediateBias = try tensor("intermediate.dense.bias", [inner])
        output = try tensor("output.dense.weight", [hidden, inner])
        outputBias = try tensor("output.dense.bias", [hidden])
        outputNormScale = try tensor("output.LayerNorm.weight", [hidden])
        outputNormShift = try tensor("output.LayerNorm.bias", [hidden])
    }
}

/// A BERT encoder with mean pooling and L2 normalisation: the sentence-transformers
/// recipe of all-MiniLM-L6-v2 (and of other BERT-shaped sentence models).
///
/// Immutable after loading, so one model serves concurrent callers; every forward pass
/// has its own scratch memory. All matrix products, attention's included, run in
/// OpenBLAS sgemm.
public struct BertSentenceModel: Sendable {
    public let configuration: BertConfiguration
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let tokenTypeEmbeddings: [Float]
    let embeddingNormScale: [Float]
    let embeddingNormShift: [Float]
    let layers: [BertLayerWeights]

    /// Loads `config.json` and `model.safetensors` from `directory`.
    public init(directory: URL) throws {
        let configuration = try BertConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        let hidden = configuration.hiddenSize
        self.configuration = configuration
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [configuration.vocabularySize, hidden])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [configuration.positionsMax, hidden])
        tokenTypeEmbeddings = try file.floats("embeddings.token_type_embeddings.weight", shape: [configuration.tokenTypeCount, hidden])
        embeddingNormScale = try file.floats("embeddings.LayerNorm.weight", shape: [hidden])
        embeddingNormShift = try file.floats("embeddings.LayerNorm.bias", shape: [hidden])
        layers = try (0..<configuration.layerCount).map { try BertLayerWeights(file, layer: $0, configuration) }
    }

    /// One unit-length sentence vector per sequence of token ids (each with its
    /// [CLS]/[SEP], at most `positionsMax` long, ids below `vocabularySize`).
    ///
    /// The sequences are packed end to end rather than padded to the longest: every
    /// per-token step runs over the real tokens only, and attention runs per sequence
    /// over its own length, which is what a padding mask achieves, without the wasted work.
    public func embed(_ sequences: [[Int32]]) -> [[Float]] {
        for sequence in sequences {
            precondition(!sequence.isEmpty && sequence.count <= configuration.positionsMax,
                         "a sequence holds 1...\(configuration.positionsMax) tokens; the embedder truncates before this")
            precondition(sequence.allSatisfy { $0 >= 0 && Int($0) < configuration.vocabularySize },
                         "token ids come from the model's own vocabulary")
        }
        if sequences.isEmpty { return [] }
        let workspace = BertWorkspace(configuration, lengths: sequences.map(\.count))
        embedTokens(sequences, into: workspace)
        for layer in layers { encode(layer, workspace) }
        return meanPooled(workspace)
    }
}
