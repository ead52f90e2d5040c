import VireoStorage

/// How `vireo serve --embedder openai` reaches an OpenAI-compatible embeddings endpoint
/// (OpenAI itself, or any server that answers `POST {base}/embeddings` in its shape).
/// Set by `--openai-*` flags or `VIREO_OPENAI_*` variables; the key also from `OPENAI_API_KEY`.
public struct OpenAIEmbedderSettings: Sendable, Equatable {
    /// Texts one request may carry at most (OpenAI's limit).
    public static let batchSizeMax = 2048
    /// Retries of one request at most.
    public static let retriesMax = 10
    /// Longest per-request timeout.
    public static let timeoutMsMax = 600_000
    /// Widest vector a store column takes.
    public static let dimensionsMax = 16_000

    /// Base URL; requests go to `{baseURL}/embeddings`.
    public var baseURL = "https://api.openai.com/v1"
    /// Sent as `Authorization: Bearer …` when set.
    public var apiKey: String?
    public var model = "text-embedding-3-small"
    /// Vector length asked of the service (its `dimensions` field); nil: the model's own,
    /// learnt from one request at start.
    public var dimensions: Int?
    /// Texts per request.
    public var batchSize = 64
    /// Further attempts after a 408, 409, 429, 5xx or a connection failure.
    public var retries = 4
    /// Whole-request timeout, per attempt.
    public var timeoutMs = 30_000
    /// First backoff; each retry doubles it (up to `retryDelayMsMax`), unless the service
    /// says when to come back (`Retry-After`, `retry-after-ms`).
    public var retryBaseDelayMs = 500
    public var retryDelayMsMax = 20_000
    /// Tokens one input may carry; chunking's default follows it (8191 for OpenAI's models).
    public var maxInputTokens = 8191

    public init() {}

    /// Throws a clear error for a setting out of its range.
    public func validate() throws {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw VireoError(.invalidParameter, "the openai base URL must start with http:// or https://, got '\(baseURL)'")
        }
        guard !model.isEmpty else { throw VireoError(.invalidParameter, "the openai embedding model must not be empty") }
        try Self.check("batch size", batchSize, 1...Self.batchSizeMax)
        try Self.check("retries", retries, 0...Self.retriesMax)
        try Self.check("timeout (ms)", timeoutMs, 1...Self.timeoutMsMax)
        try Self.check("max input tokens", maxInputTokens, 16...1_000_000)
        if let dimensions { try Self.check("dimensions", dimensions, 1...Self.dimensionsMax) }
    }

    private static func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw VireoError(.invalidParameter, "the openai embedder's \(name) must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
    }

    /// The settings' environment variables and what each holds.
    public static let environmentVariables = [
        "VIREO_OPENAI_BASE_URL": "base URL of an OpenAI-compatible embeddings API (https://api.openai.com/v1)",
        "VIREO_OPENAI_API_KEY": "its API key (else OPENAI_API_KEY)",
        "VIREO_OPENAI_MODEL": "its embedding model (text-embedding-3-small)",
        "VIREO_OPENAI_DIMENSIONS": "vector length asked of it (default: the model's)",
        "VIREO_OPENAI_BATCH_SIZE": "texts per embeddings request (64)",
        "VIREO_OPENAI_RETRIES": "retries of a request on 408/409/429/5xx or a connection failure (4)",
        "VIREO_OPENAI_TIMEOUT_MS": "timeout of one embeddings request (30000)",
    ]

    /// Defaults overridden by the environment; a malformed number is an error.
    public static func fromEnvironment(_ environment: [String: String]) throws -> OpenAIEmbedderSettings {
        var settings = OpenAIEmbedderSettings()
        if let url = environment["VIREO_OPENAI_BASE_URL"] { settings.baseURL = url }
        settings.apiKey = [environment["VIREO_OPENAI_API_KEY"], environment["OPENAI_API_KEY"]].compactMap { $0 }.first { !$0.isEmpty }
        if let model = environment["VIREO_OPENAI_MODEL"] { settings.model = model }
        if let text = environment["VIREO_OPENAI_DIMENSIONS"] { settings.dimensions = try integer(text, "VIREO_OPENAI_DIMENSIONS") }
        if let text = environment["VIREO_OPENAI_BATCH_SIZE"] { settings.batchSize = try integer(text, "VIREO_OPENAI_BATCH_SIZE") }
        if let text = environment["VIREO_OPENAI_RETRIES"] { settings.retries = try integer(text, "VIREO_OPENAI_RETRIES") }
        if let text = environment["VIREO_OPENAI_TIMEOUT_MS"] { settings.timeoutMs = try integer(text, "VIREO_OPENAI_TIMEOUT_MS") }
        return settings
    }

    private static func integer(_ text: String, _ variable: String) throws -> Int {
        guard let value = Int(text) else { throw VireoError(.invalidParameter, "\(variable) must be a whole number, got '\(text)'") }
        return value
    }

    /// `{baseURL}/embeddings`, whether or not the base ends in a slash.
    var endpoint: String {
        (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/embeddings"
    }
}
