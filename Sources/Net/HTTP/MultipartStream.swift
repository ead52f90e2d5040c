import Foundation
import NIOCore

/// Reads a `multipart/form-data` body as it arrives, without holding it: each part's headers
/// are parsed, then its bytes are handed to the part's sink in pieces as they come. What
/// `MultipartForm` does for bodies small enough to collect, for uploads of any size.
///
/// The body is scanned for CRLF `--boundary`; the last `delimiter.count - 1` bytes of a
/// piece are held back until the next piece shows whether they start a delimiter.
struct MultipartStream {
    /// What receives one part's bytes.
    protocol Sink {
        mutating func write(_ bytes: ArraySlice<UInt8>) async throws
    }

    enum State { case preamble, afterDelimiter, headers, body, done }

    private let delimiter: [UInt8]
    private var pending: [UInt8] = [13, 10]  // the first boundary has no CRLF before it: pretend it had
    private var state = State.preamble
    private(set) var partCount = 0

    init(boundary: String) {
        delimiter = Array(("\r\n--" + boundary).utf8)
    }

    /// Feeds `body` to the sinks `open` makes for each part; throws on a malformed body.
    static func read<Body: AsyncSequence>(_ body: Body, boundary: String,
                                          open: (FormPart) async throws -> any Sink) async throws where Body.Element == ByteBuffer {
        var stream = MultipartStream(boundary: boundary)
        var sink: (any Sink)?
        for try await buffer in body {
            stream.pending += buffer.readableBytesView
            try await stream.advance(&sink, open)
        }
        guard stream.state == .done else { throw malformed("the body ends before its closing boundary") }
    }

    private mutating func advance(_ sink: inout (any Sink)?, _ open: (FormPart) async throws -> any Sink) async throws {
        while true {
            switch state {
            case .preamble:
                guard let index = find(delimiter) else { keepTail(); return }
                consume(index + delimiter.count)
                state = .afterDelimiter
            case .afterDelimiter:
                guard pending.count >= 2 else { return }
                if pending[0] == 45, pending[1] == 45 { state = .done; pending.removeAll(); return }
                guard pending[0] == 13, pending[1] == 10 else { throw Self.malformed("a boundary line is not followed by CRLF") }
                consume(2)
                state = .headers
            case .headers:
                guard let index = find([13, 10, 13, 10]) ?? (pending.starts(with: [13, 10]) ? -2 : nil) else {
                    guard pending.count <= MultipartForm.headerBytesMax else { throw Self.malformed("a part's headers are too long") }
                    return
                }
                let header = index < 0 ? "" : String(decoding: pending[0..<index], as: UTF8.self)
                consume(index + 4)
                partCount += 1
                guard partCount <= MultipartForm.partsMax else { throw Self.malformed("more than \(MultipartForm.partsMax) parts") }
                sink = try await open(try Self.part(header))
                state = .body
            case .body:
                if let index = find(delimiter) {
                    if index > 0 { try await sink?.write(pending[0..<index]) }
                    consume(index + delimiter.count)
                    sink = nil
                    state = .afterDelimiter
                } else {
                    let safe = pending.count - (delimiter.count - 1)
                    if safe > 0 {
                        try await sink?.write(pending[0..<safe])
                        consume(safe)
                    }
                    return
                }
            case .done:
                pending.removeAll()
                return
            }
        }
    }

    private mutating func consume(_ count: Int) { pending.removeFirst(min(count, pending.count)) }

    /// Before the first boundary only its possible start matters.
    private mutating func keepTail() {
        if pending.count > delimiter.count { consume(pending.count - delimiter.count) }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        MultipartForm.occurrences(of: needle, in: pending, limit: 1).first
    }

    /// A part's name, filename and content type from its header block.
    static func part(_ header: String) throws -> FormPart {
        var part = FormPart(name: "", filename: nil, contentType: nil, bytes: [])
        var named = false
        for line in header.components(separatedBy: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0].lowercased() {
            case "content-disposition":
                if let name = MultipartForm.parameter("name", in: pair[1]) { part.name = name; named = true }
                part.filename = MultipartForm.parameter("filename", in: pair[1])
            case "content-type": part.contentType = pair[1]
            default: continue
            }
        }
        guard named else { throw malformed("a part has no Content-Disposition name") }
        return part
    }

    static func malformed(_ reason: String) -> RESTError {
        RESTError(.badRequest, code: "validation_error", "the multipart body is malformed: \(reason)", field: "body")
    }
}
