import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import VireoQuery
@testable import VireoNet

/// One field of a multipart form a test sends: text, or a file with a name.
struct FormField {
    var name: String
    var filename: String?
    var bytes: [UInt8]

    static func text(_ name: String, _ value: String) -> FormField { FormField(name: name, bytes: Array(value.utf8)) }
    static func file(_ filename: String, _ bytes: [UInt8], name: String = "file") -> FormField { FormField(name: name, filename: filename, bytes: bytes) }
}

extension TestClientProtocol {
    /// Sends `fields` as multipart/form-data with the test key.
    func upload(_ uri: String, _ fields: [FormField]) async throws -> RESTAnswer {
        let boundary = "vireo-test-boundary-7d3f"
        var body: [UInt8] = []
        for field in fields {
            var header = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field.name)\""
            if let filename = field.filename { header += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
            body += Array((header + "\r\n\r\n").utf8) + field.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        var headers: HTTPFields = [HTTPField.Name("X-API-Key")!: RESTFixture.key]
        headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
        let response = try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body))
        let text = String(buffer: response.body)
        return RESTAnswer(status: response.status, headers: response.headers, body: text.isEmpty ? .null : try JSONValue.parse(text))
    }

    /// Creates a store and returns its id.
    func createStore(_ name: String = "docs", prefix: String = "/v1") async throws -> String {
        let answer = try await send(.post, "\(prefix)/vector_stores", #"{"name": "\#(name)"}"#)
        guard let id = answer["id"]?.unquotedText else { throw TestFailure("store not created: \(answer.body.text)") }
        return id
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension RESTAnswer {
    /// The items of the array at `path`.
    func items(_ path: String...) -> [JSONValue] {
        let value = path.reduce(Optional(body)) { $0?.field(.text($1)) }
        if case .array(let items)? = value { return items }
        return []
    }
}
