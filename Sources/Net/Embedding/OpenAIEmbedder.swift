import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import VireoQuery
import VireoStorage

/// A remote OpenAI-compatible embeddings endpoint (`POST {base}/embeddings`) behind the
/// Embedder protocol: inputs go in batches of `batchSize`; a 408, 409, 429, 5xx or a
/// connection failure is retried with exponential backoff (or after the service's
/// `Retry-After`), each attempt bounded by `timeoutMs`. Vectors are L2-normalised on
/// arrival, so services that do not normalise still rank by cosine. Texts never reach the log.
public struct OpenAIEmbedder: Embedder {
    /// Largest response body read: 2048 inputs of 3072 floats as JSON text fit well inside.
    static let responseBytesMax = 256 << 20
    /// The longest wait a service's `Retry-After` may ask for.
    static let retryAfterMsMax = 60_000

    public let settings: OpenAIEmbedderSettings
    public let dimension: Int
    public var name: String { "openai:" + settings.model }
    public var maxInputTokens: Int { settings.maxInputTokens }
    public var isSemantic: Bool { true }
    let client: HTTPClient
    let logger = Logger(label: "vireo.embedder.openai")

    /// An embedder of `dimension` (from the settings, or probed with `connect`).
    init(settings: OpenAIEmbedderSettings, dimension: Int, client: HTTPClient = .shared) {
        self.settings = settings
        self.dimension = dimension
        self.client = client
    }

    /// Checks the settings and learns the vector length: the configured `dimensions`, else
    /// the length of one probe embedding (so a wrong URL, key or model fails at start).
    public static func connect(_ settings: OpenAIEmbedderSettings) async throws -> OpenAIEmbedder {
        try settings.validate()
        if let dimensions = settings.dimensions { return OpenAIEmbedder(settings: settings, dimension: dimensions) }
        let probe = OpenAIEmbedder(settings: settings, dimension: 0)
        guard let length = try await probe.request(["dimension probe"]).first?.count, length > 0 else {
            throw RemoteEmbeddingError(message: "\(settings.endpoint) returned an empty probe vector", status: nil, retryable: false)
        }
        return OpenAIEmbedder(settings: settings, dimension: length)
    }

    /// OpenAI's tokenizer is not here: about four bytes of English text a token, and never
    /// fewer tokens than words, so chunks stay under the model's limit.
    public func tokenCount(_ text: String) -> Int {
        max((text.utf8.count + 3) / 4, text.split { !($0.isLetter || $0.isNumber) }.count)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: settings.batchSize) {
            try Task.checkCancellation()
            vectors += try await request(Array(texts[start..<min(texts.count, start + settings.batchSize)]))
        }
        return vectors
    }

    /// One batch, with retries: the last failure is thrown, saying how many attempts it took.
    func request(_ texts: [String]) async throws -> [[Float]] {
        var attempt = 1
        while true {
            do {
                return try await post(texts)
            } catch var failure as RemoteEmbeddingError {
                failure.attempts = attempt
                guard failure.retryable, attempt <= settings.retries else { throw failure }
                let delayMs = failure.retryAfterMs ?? backoffMs(attempt: attempt)
                logger.warning("embeddings request failed (\(failure.summary)); retry \(attempt) of \(settings.retries) in \(delayMs) ms")
                try await Task.sleep(for: .milliseconds(delayMs))
                attempt += 1
            }
        }
    }

    /// Doubling from `retryBaseDelayMs`, capped, with up to a quarter of jitter so that
    /// clients that failed together do not come back together.
    func backoffMs(attempt: Int) -> Int {
        let base = min(settings.retryDelayMsMax, settings.retryBaseDelayMs << min(attempt - 1, 20))
        return base - Int.random(in: 0...(base / 4))
    }

    /// One attempt: the request, its status, and the vectors in input order.
    private func post(_ texts: [String]) async throws -> [[Float]] {
        var request = HTTPClientRequest(url: settings.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let body = EmbeddingsRequest(model: settings.model, input: texts, dimensions: settings.dimensions)
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let (status, headers, bytes): (UInt, HTTPHeaders, ByteBuffer)
        do {
            let deadline = NIODeadline.now() + .milliseconds(Int64(settings.timeoutMs))
            let response = try await client.execute(request, deadline: deadline)
            bytes = try await response.body.collect(upTo: Self.responseBytesMax)
            (status, headers) = (response.status.code, response.headers)
        } catch {
            throw RemoteEmbeddingError(message: "\(settings.endpoint): \(error)", status: nil, retryable: true)
        }
        guard status == 200 else { throw RemoteEmbeddingError.answer(status, headers, bytes, endpoint: settings.endpoint) }
        return try vectors(bytes, count: texts.count)
    }

    /// The response's vectors ordered by `index`, normalised, checked for count and length.
    private func vectors(_ bytes: ByteBuffer, count: Int) throws -> [[Float]] {
        let malformed = { (why: String) in RemoteEmbeddingError(message: "\(settings.endpoint) answered 200 but \(why)", status: 200, retryable: false) }
        guard let response = try? JSONDecoder().decode(EmbeddingsResponse.self, from: Data(bytes.readableBytesView)) else {
            throw malformed("not with a list of embeddings")
        }
        let items = response.data.sorted { $0.index < $1.index }
        guard items.map(\.index) == Array(0..<count) else { throw malformed("with \(items.count) embeddings for \(count) inputs") }
        let expected = dimension > 0 ? dimension : items[0].embedding.count
        guard items.allSatisfy({ $0.embedding.count == expected }) else { throw malformed("with vectors that are not all \(expected) long") }
        return items.map { Self.normalised($0.embedding) }
    }

    static func normalised(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 && norm.isFinite ? vector.map { $0 / norm } : vector
    }

    /// A line for the start-up log.
    public var description: String {
        "embedder: \(name) at \(settings.endpoint) (\(dimension) dimensions, batches of \(settings.batchSize), "
            + "\(settings.retries) retries, \(settings.timeoutMs) ms timeout, API key \(settings.apiKey == nil ? "not set" : "set"))"
    }
}

/// The body of `POST /embeddings`.
struct EmbeddingsRequest: Encodable {
    var model: String
    var input: [String]
    var encodingFormat = "float"
    var dimensions: Int?

    init(model: String, input: [String], dimensions: Int?) {
        self.model = model
        self.input = input
        self.dimensions = dimensions
    }

    enum CodingKeys: String, CodingKey {
        case model, input, dimensions
        case encodingFormat = "encoding_format"
    }
}

/// What matters of the answer: `data[].index` and `data[].embedding`.
struct EmbeddingsResponse: Decodable {
    struct Item: Decodable {
        var index: Int
        var embedding: [Float]
    }
    var data: [Item]
}

/// A failed embeddings request: the endpoint, its status (nil: no answer), its message,
/// whether another attempt may help, and how many were made.
public struct RemoteEmbeddingError: Error, CustomStringConvertible {
    var message: String
    var status: UInt?
    var retryable: Bool
    var retryAfterMs: Int?
    var attempts = 1

    init(message: String, status: UInt?, retryable: Bool, retryAfterMs: Int? = nil) {
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retryAfterMs = retryAfterMs
    }

    /// The error for a non-200 answer, with the service's own message when it sent one.
    static func answer(_ status: UInt, _ headers: HTTPHeaders, _ body: ByteBuffer, endpoint: String) -> RemoteEmbeddingError {
        let text = String(decoding: body.readableBytesView.prefix(2048), as: UTF8.self)
        let serviceMessage = (try? JSONValue.parse(text)).flatMap { $0.field(.text("error"))?.field(.text("message")) }
        var detail = text.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines)
        if case .string(let message)? = serviceMessage { detail = message }
        let retryable = [408, 409, 429].contains(status) || status >= 500
        return RemoteEmbeddingError(message: "\(endpoint) answered \(status)" + (detail.isEmpty ? "" : ": \(detail)"), status: status,
                                    retryable: retryable, retryAfterMs: retryAfter(headers))
    }

    /// `retry-after-ms` (OpenAI's) or `Retry-After` in seconds, capped.
    static func retryAfter(_ headers: HTTPHeaders) -> Int? {
        var milliseconds: Double?
        if let text = headers.first(name: "retry-after-ms") {
            milliseconds = Double(text)
        } else if let text = headers.first(name: "retry-after"), let seconds = Double(text) {
            milliseconds = seconds * 1000
        }
        guard let milliseconds, milliseconds.isFinite, milliseconds >= 0 else { return nil }
        return min(Int(milliseconds), OpenAIEmbedder.retryAfterMsMax)
    }

    var summary: String { message }

    public var description: String { attempts > 1 ? "\(message) (after \(attempts) attempts)" : message }
}
