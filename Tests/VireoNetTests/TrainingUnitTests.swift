import Foundation
import NIOCore
import Testing
@testable import VireoNet
import VireoQuery

@Suite("Training: configs, reports, ranges, the streaming multipart reader, webhook signatures")
struct TrainingUnitTests {
    /// Collects parts as the streaming reader hands them over.
    final class Collector: MultipartStream.Sink {
        var bytes: [UInt8] = []
        func write(_ piece: ArraySlice<UInt8>) async throws { bytes += piece }
    }

    static func read(_ body: [UInt8], boundary: String, pieceBytes: Int) async throws -> [(FormPart, Collector)] {
        let pieces = stride(from: 0, to: body.count, by: pieceBytes).map { ByteBuffer(bytes: body[$0..<min($0 + pieceBytes, body.count)]) }
        var parts: [(FormPart, Collector)] = []
        try await MultipartStream.read(AsyncStream { continuation in
            for piece in pieces { continuation.yield(piece) }
            continuation.finish()
        }, boundary: boundary) { part in
            let collector = Collector()
            parts.append((part, collector))
            return collector
        }
        return parts
    }

    @Test("the streaming multipart reader gives the same parts however the body is cut, boundary look-alikes included")
    func multipartPieces() async throws {
        let file = Array("binary --bound\r\n--bounX\r\n--boun".utf8) + (0..<300).map { UInt8($0 % 256) }
        let body = Array("--bound\r\nContent-Disposition: form-data; name=\"epoch\"\r\n\r\n7\r\n--bound\r\n".utf8)
            + Array("Content-Disposition: form-data; name=\"file\"; filename=\"m.pth\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            + file + Array("\r\n--bound--\r\n".utf8)
        for pieceBytes in [1, 2, 3, 7, 64, body.count] {
            let parts = try await Self.read(body, boundary: "bound", pieceBytes: pieceBytes)
            #expect(parts.map(\.0.name) == ["epoch", "file"], "pieces of \(pieceBytes)")
            #expect(parts.count == 2 && parts[0].1.bytes == Array("7".utf8) && parts[1].1.bytes == file, "pieces of \(pieceBytes)")
            #expect(parts.last?.0.filename == "m.pth")
        }
    }

    @Test("a body without its closing boundary is refused")
    func multipartTruncated() async {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue".utf8)
        await #expect(throws: RESTError.self) { _ = try await Self.read(body, boundary: "b", pieceBytes: 5) }
    }

    @Test("Range: bytes=a-b, a-, -n; out of the file is 416; several ranges or other units get the whole file")
    func ranges() throws {
        #expect(try ByteRange.parse("bytes=0-9", size: 100) == .part(0...9))
        #expect(try ByteRange.parse("bytes=90-", size: 100) == .part(90...99))
        #expect(try ByteRange.parse("bytes=-10", size: 100) == .part(90...99))
        #expect(try ByteRange.parse("bytes=50-500", size: 100) == .part(50...99))
        #expect(try ByteRange.parse("bytes=0-1,5-6", size: 100) == .whole)
        #expect(try ByteRange.parse("items=0-1", size: 100) == .whole)
        #expect(try ByteRange.parse(nil, size: 100) == .whole)
        #expect(throws: RESTError.self) { try ByteRange.parse("bytes=100-", size: 100) }
        #expect(throws: RESTError.self) { try ByteRange.parse("bytes=0-", size: 0) }
    }

    @Test("YAML configs: typed scalars, lists, epochs and command; paths may not leave the directory")
    func configs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "command: [python3, t.py]\nepochs: 12\nlr: 1.0e-3\nflag: true\nname: run\nnothing: ~\n"
            .write(toFile: directory + "/sub/a.yaml", atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load("sub/a.yaml", directory: directory)
        #expect(config.command == ["python3", "t.py"] && config.totalEpochs == 12)
        #expect(config.document.member("lr") == .number(0.001) && config.document.member("flag") == .bool(true))
        #expect(config.document.member("name") == .string("run") && config.document.member("nothing") == .null)
        for path in ["../a.yaml", "/etc/a.yaml", "sub/../../a.yaml", "sub/missing.yaml", "sub/a.txt"] {
            #expect(throws: RESTError.self, "\(path)") { try TrainingConfig.load(path, directory: directory) }
        }
    }

    @Test("reports need an integer epoch; numbers are what history and alerts see")
    func reports() throws {
        let report = try MetricReport(JSONValue.parse(#"{"epoch": 3, "loss": 0.5, "note": "x", "timestamp": "ignored"}"#))
        #expect(report.epoch == 3 && report.numbers.map(\.0) == ["loss"] && report.fields.map(\.0) == ["loss", "note"])
        #expect(throws: RESTError.self) { try MetricReport(JSONValue.parse(#"{"epoch": 1.5}"#)) }
        #expect(MetricReport.fromOutputLine(#"VIREO_METRICS {"epoch": 1, "a": 2}"#)?.epoch == 1)
        #expect(MetricReport.fromOutputLine(#"epoch 1 loss 2"#) == nil)
    }

    @Test("webhook signatures are HMAC-SHA256 of timestamp.body (checked against Python's hmac)")
    func signature() {
        #expect(WebhookDispatcher.signature(secret: "key", timestamp: "1700000000", body: #"{"a": 1}"#)
            == "17e36a190ee125a4782d21867ffdf5712238dc71b452ba98254537bfdb4f3a77")
    }

    @Test("alert conditions")
    func conditions() {
        #expect(AlertSchema.holds("greater_than", 2, 1) && !AlertSchema.holds("greater_than", 1, 1))
        #expect(AlertSchema.holds("less_than_or_equal", 1, 1) && AlertSchema.holds("not_equals", 1, 2) && !AlertSchema.holds("sideways", 1, 1))
    }
}
