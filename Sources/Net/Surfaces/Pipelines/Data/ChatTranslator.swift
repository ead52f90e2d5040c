import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import VireoQuery

/// Where `nl-query` sends questions when a chat model is configured: an OpenAI-compatible
/// `/chat/completions` endpoint (`vireo serve --nl-base-url … --nl-model …`, the key in
/// `VIREO_NL_API_KEY`).
public struct NLChatSettings: Sendable {
    public static let retriesMax = 10
    public static let timeoutMsMax = 600_000
    public var baseURL: String
    public var model: String
    public var apiKey: String?
    /// One attempt's limit.
    public var timeoutMs = 20_000
    /// Further attempts after a 408, 409, 429, 5xx or no answer, with doubling delays.
    public var retries = 2
    public var retryBaseDelayMs = 200

    public init(baseURL: String, model: String, apiKey: String? = nil) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
    }

    var endpoint: String { (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/chat/completions" }
}

/// Asks the chat model for one SELECT over the tables given; the answer is checked by Vireo
/// like the offline translator's.
struct ChatTranslator {
    static let responseBytesMax = 1 << 20
    let settings: NLChatSettings
    let logger = Logger(label: "vireo.nl-query")

    /// The prompt: the tables with their columns and types, and the rules of the answer.
    static func prompt(_ tables: [NLTranslator.Table]) -> String {
        let schema = tables.map { table in
            "\(table.name)(" + table.columns.map { "\($0.name) \($0.type.description)" }.joined(separator: ", ") + ")"
        }.joined(separator: "\n")
        return """
            You translate a question into one PostgreSQL SELECT statement over these tables:
            \(schema)
            Answer with the SQL statement only, no explanation.
            """
    }

    func translate(_ question: String, tables: [NLTranslator.Table]) async throws -> NLTranslator.Translation {
        let body = JSONValue.fields(
            ("model", .string(settings.model)), ("temperature", .number(0)),
            ("messages", .array([.fields(("role", .string("system")), ("content", .string(Self.prompt(tables)))),
                                 .fields(("role", .string("user")), ("content", .string(question)))])))
        var attempt = 1
        while true {
            do {
                let sql = Self.sql(fromAnswer: try await post(body.text))
                return NLTranslator.Translation(sql: sql, explanation: "written by \(settings.model) at \(settings.baseURL)", tables: tables.map(\.name))
            } catch let failure as RemoteEmbeddingError where failure.retryable && attempt <= settings.retries {
                let delayMs = failure.retryAfterMs ?? (settings.retryBaseDelayMs << min(attempt - 1, 10))
                logger.warning("chat request failed (\(failure.summary)); retry \(attempt) of \(settings.retries) in \(delayMs) ms")
                try await Task.sleep(for: .milliseconds(delayMs))
                attempt += 1
            }
        }
    }

    /// The message content, without a Markdown code fence or a trailing semicolon.
    static func sql(fromAnswer content: String) -> String {
        var text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("```") {
            text = String(text.drop { $0 != "\n" }.dropFirst())
            if let fence = text.range(of: "```", options: .backwards) { text = String(text[..<fence.lowerBound]) }
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(";") { text = String(text.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        return text
    }

    /// One attempt: the first choice's message content.
    func post(_ json: String) async throws -> String {
        var request = HTTPClientRequest(url: settings.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(string: json))
        let (status, headers, bytes): (UInt, HTTPHeaders, ByteBuffer)
        do {
            let response = try await HTTPClient.shared.execute(request, deadline: .now() + .milliseconds(Int64(settings.timeoutMs)))
            bytes = try await response.body.collect(upTo: Self.responseBytesMax)
            (status, headers) = (response.status.code, response.headers)
        } catch {
            throw RemoteEmbeddingError(message: "\(settings.endpoint): \(error)", status: nil, retryable: true)
        }
        guard status == 200 else { throw RemoteEmbeddingError.answer(status, headers, bytes, endpoint: settings.endpoint) }
        guard let answer = try? JSONValue.parse(String(buffer: bytes)), let first = answer.member("choices")?.items?.first,
              let content = first.member("message")?.member("content")?.unquotedText else {
            throw RemoteEmbeddingError(message: "\(settings.endpoint) answered 200 without choices[0].message.content", status: 200, retryable: false)
        }
        return content
    }
}
