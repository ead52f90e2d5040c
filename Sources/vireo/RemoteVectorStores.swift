import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VireoNet
import VireoQuery
import VireoStorage

/// What `vireo ingest` and `vireo search` need of vector stores, local or on a server.
protocol VectorStoreTarget: Sendable {
    func storeID(named name: String, create: Bool) async throws -> String?
    func completedFilenames(store: String) async throws -> Set<String>
    func ingest(store: String, name: String, bytes: [UInt8], attributes: String?, chunkSizeTokens: Int?, chunkOverlapTokens: Int?) async throws -> Int
    func search(store: String, query: String, limit: Int) async throws -> [(filename: String, score: Double, content: String)]
}

extension LocalVectorStores: VectorStoreTarget {}

/// The vector stores of a running `vireo serve`, through its REST surfaces: seed 004's for
/// stores, uploads and search, the OpenAI one for listing what a store already holds.
struct RemoteVectorStores: VectorStoreTarget {
    /// Pages read when looking for a store by name or listing files, at 100 items a page.
    static let pagesMax = 1000
    static let pollIntervalMs = 200
    let baseURL: String
    let apiKey: String

    func storeID(named name: String, create: Bool) async throws -> String? {
        for page in 0..<Self.pagesMax {
            let list = try await request("GET", "/v1/vector_stores?limit=100&order=desc&offset=\(page * 100)")
            for store in list.field(.text("data"))?.items ?? [] where store.field(.text("name"))?.unquotedText == name {
                return store.field(.text("id"))?.unquotedText
            }
            guard list.field(.text("has_more")) == .bool(true) else { break }
        }
        guard create else { return nil }
        let created = try await request("POST", "/v1/vector_stores", json: .object([("name", .string(name))]))
        return created.field(.text("id"))?.unquotedText
    }

    func completedFilenames(store: String) async throws -> Set<String> {
        let completed = Set(try await ids("/openai/v1/vector_stores/\(store)/files?filter=completed&limit=100"))
        var names: Set<String> = []
        var after = ""
        for _ in 0..<Self.pagesMax {
            let page = try await request("GET", "/openai/v1/files?limit=100" + after)
            for file in page.field(.text("data"))?.items ?? [] where completed.contains(file.field(.text("id"))?.unquotedText ?? "") {
                if let name = file.field(.text("filename"))?.unquotedText { names.insert(name) }
            }
            guard page.field(.text("has_more")) == .bool(true), let last = page.field(.text("last_id"))?.unquotedText else { break }
            after = "&after=" + last
        }
        return names
    }

    /// Every id of a cursor list.
    private func ids(_ path: String) async throws -> [String] {
        var ids: [String] = []
        var after = ""
        for _ in 0..<Self.pagesMax {
            let page = try await request("GET", path + after)
            ids += (page.field(.text("data"))?.items ?? []).compactMap { $0.field(.text("id"))?.unquotedText }
            guard page.field(.text("has_more")) == .bool(true), let last = page.field(.text("last_id"))?.unquotedText else { break }
            after = "&after=" + last
        }
        return ids
    }

    func ingest(store: String, name: String, bytes: [UInt8], attributes: String?, chunkSizeTokens: Int?, chunkOverlapTokens: Int?) async throws -> Int {
        var fields: [(String, String?, [UInt8])] = [("file", name, bytes)]
        if let attributes { fields.append(("attributes", nil, Array(attributes.utf8))) }
        if let chunkSizeTokens {
            let overlap = chunkOverlapTokens ?? chunkSizeTokens / 4
            let strategy = JSONValue.object([("type", .string("static")), ("static", .object([
                ("max_chunk_size_tokens", .number(Double(chunkSizeTokens))), ("chunk_overlap_tokens", .number(Double(overlap)))]))])
            fields.append(("chunking_strategy", nil, Array(strategy.text.utf8)))
        }
        var file = try await request("POST", "/v1/vector_stores/\(store)/files", form: fields)
        let fileID = file.field(.text("id"))?.unquotedText ?? ""
        while file.field(.text("status"))?.unquotedText == "in_progress" {
            try await Task.sleep(for: .milliseconds(Self.pollIntervalMs))
            file = try await request("GET", "/v1/vector_stores/\(store)/files/\(fileID)")
        }
        guard file.field(.text("status"))?.unquotedText == "completed" else {
            throw VireoError(.invalidParameter, file.field(.text("last_error"))?.field(.text("message"))?.unquotedText ?? "processing failed")
        }
        guard case .number(let chunks)? = file.field(.text("chunk_count")) else { return 0 }
        return Int(chunks)
    }

    func search(store: String, query: String, limit: Int) async throws -> [(filename: String, score: Double, content: String)] {
        let body = JSONValue.object([("query", .string(query)), ("max_results", .number(Double(limit)))])
        let answer = try await request("POST", "/v1/vector_stores/\(store)/search", json: body)
        return (answer.field(.text("data"))?.items ?? []).map { hit in
            let score: Double = if case .number(let value)? = hit.field(.text("score")) { value } else { 0 }
            return (hit.field(.text("filename"))?.unquotedText ?? "", score, hit.field(.text("content"))?.unquotedText ?? "")
        }
    }

    /// One call; an answer outside 2xx throws the server's message.
    private func request(_ method: String, _ path: String, json: JSONValue? = nil, form: [(String, String?, [UInt8])]? = nil) async throws -> JSONValue {
        guard let url = URL(string: baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw VireoError(.invalidParameter, "--url is not a URL: \(baseURL)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(apiKey, forHTTPHeaderField: "X-API-Key")
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.text.utf8)
        } else if let form {
            let boundary = "vireo-ingest-" + UUID().uuidString
            request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
            request.httpBody = Self.multipart(form, boundary: boundary)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let body = (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let message = body.field(.text("error"))?.field(.text("message"))?.unquotedText ?? "HTTP \(status)"
            throw VireoError(.invalidParameter, "\(method) \(path): \(message)")
        }
        return body
    }

    static func multipart(_ fields: [(String, String?, [UInt8])], boundary: String) -> Data {
        var body = Data()
        for (name, filename, bytes) in fields {
            let quoted = filename.map { "; filename=\"" + $0.replacingOccurrences(of: "\"", with: "\\\"") + "\"" } ?? ""
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\(quoted)\r\n\r\n".utf8))
            body.append(contentsOf: bytes)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return body
    }
}

extension JSONValue {
    /// The items of an array; empty for anything else.
    var items: [JSONValue] { if case .array(let items) = self { items } else { [] } }
}
