import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import VireoQuery
import VireoStorage
#if canImport(Glibc)
import Glibc
#endif

/// Seed 002's checkpoints: multipart uploads streamed to disk, listed, downloaded (whole, with
/// Content-Length and the original name, or a byte range), deleted.
enum CheckpointRoutes {
    static var all: [RouteDeclaration] { [upload, list, retrieve, download, delete] }

    static let listDefault = 100
    static let listMax = 1000
    /// Bytes one read of a download takes.
    static let readChunkBytes = 256 << 10
    static let checkpointParameter = ParameterDeclaration("checkpoint_id", in: .path, .string(), summary: "the checkpoint's id (ckpt_…)")

    static let checkpoint = Schema.object([
        ("checkpoint_id", .string()), ("session_id", .string()), ("epoch", .integer()), ("metric_name", .nullable(.string())),
        ("metric_value", .nullable(.number)), ("metrics", .map(of: .any)), ("file_size_mb", .number), ("file_size_bytes", .integer()),
        ("filename", .string()), ("sha256", .string()), ("file_path", .string()), ("is_best", .boolean), ("created_at", .string()),
    ], required: ["checkpoint_id", "session_id", "epoch", "file_size_mb", "is_best", "created_at"])

    static let upload = {
        var route = RouteDeclaration(
            .post, "/api/v1/checkpoints", summary: "Upload a checkpoint (multipart; the file is streamed to disk and checksummed)",
            formBody: .object([
                ("file", .described(.string(), "the checkpoint file")),
                ("session_id", .described(.string(), "the session it belongs to")),
                ("epoch", .described(.string(), "the epoch it was saved at")),
                ("metrics", .described(.string(), "a JSON object of the metrics at that epoch")),
                ("metric_name", .described(.string(), "which metric decides is_best (default: val_loss when present, else the first)")),
                ("mode", .described(.string(), "min or max: whether lower or higher is better (default: min for losses and errors)")),
            ], required: ["file", "session_id", "epoch"]),
            status: .created,
            response: .object([("checkpoint_id", .string()), ("file_size_mb", .number), ("uploaded_at", .string()), ("sha256", .string()),
                               ("is_best", .boolean)], required: ["checkpoint_id", "file_size_mb", "uploaded_at"])
        ) { input, services in
            let training = try services.training
            guard let body = input.bodyStream, let boundary = MultipartForm.boundary(contentType: input.headers[.contentType]) else {
                throw RESTError(.badRequest, code: "validation_error", "the body must be multipart/form-data", field: "body")
            }
            let record = try await training.storeCheckpoint(body, boundary: boundary)
            return RouteOutput(.fields(("checkpoint_id", .string(record.id)), ("file_size_mb", .number(record.sizeMB)),
                                       ("uploaded_at", JSONValue(record.createdAt)), ("sha256", .string(record.sha256)),
                                       ("is_best", .bool(record.isBest)), ("file_size_bytes", .number(Double(record.bytes)))))
        }
        route.streamsRequestBody = true
        return route
    }()

    static let list = RouteDeclaration(
        .get, "/api/v1/checkpoints", summary: "List checkpoints, newest first",
        parameters: [
            ParameterDeclaration("session_id", in: .query, .string(), summary: "only this session's"),
            ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(listMax)), summary: "at most (default \(listDefault))"),
        ],
        response: .object([("checkpoints", .array(of: checkpoint))], required: ["checkpoints"])
    ) { input, services in
        let sessionID = input.query("session_id"), limit = input.query("limit").flatMap { Int($0) } ?? listDefault
        let records = try await services.training.session { try TrainingSQL.checkpoints($0, sessionID: sessionID, limit: limit) }
        return RouteOutput(.fields(("checkpoints", .array(records.map(\.json)))))
    }

    static let retrieve = RouteDeclaration(
        .get, "/api/v1/checkpoints/{checkpoint_id}", summary: "One checkpoint's metadata", parameters: [checkpointParameter], response: checkpoint
    ) { input, services in
        let id = input.path("checkpoint_id")
        return RouteOutput(try await services.training.session { try TrainingSQL.checkpoint($0, id) }.json)
    }

    static let delete = RouteDeclaration(
        .delete, "/api/v1/checkpoints/{checkpoint_id}", summary: "Delete a checkpoint and its bytes", parameters: [checkpointParameter],
        response: .object([("message", .string()), ("checkpoint_id", .string())], required: ["message"])
    ) { input, services in
        let id = input.path("checkpoint_id")
        try await services.training.deleteCheckpoint(id)
        return RouteOutput(.fields(("message", .string("Checkpoint deleted successfully")), ("checkpoint_id", .string(id))))
    }

    static let download = RouteDeclaration(
        .get, "/api/v1/checkpoints/{checkpoint_id}/download",
        summary: "The checkpoint's bytes under its original name; Range: bytes=… answers 206 with that part",
        parameters: [checkpointParameter], response: .string(), otherStatuses: [.partialContent], rawResponseType: "application/octet-stream"
    ) { input, services in
        let training = try services.training
        let id = input.path("checkpoint_id")
        let record = try await training.session { try TrainingSQL.checkpoint($0, id) }
        let size = Int64((try? FileManager.default.attributesOfItem(atPath: record.path)[.size] as? NSNumber)??.int64Value ?? -1)
        guard size == record.bytes else {
            throw RESTError(.internalServerError, code: "checkpoint_damaged",
                            "checkpoint '\(id)' has \(size < 0 ? "no file" : "\(size) bytes") on disk, \(record.bytes) recorded")
        }
        var headers: HTTPFields = [.acceptRanges: "bytes", .contentDisposition: "attachment; filename=\"\(escaped(record.filename))\""]
        headers[HTTPField.Name("X-Checksum-SHA256")!] = record.sha256
        headers[.eTag] = "\"\(record.sha256)\""
        let range: ClosedRange<Int64>
        switch try ByteRange.parse(input.headers[.range], size: size) {
        case .whole: range = 0...max(0, size - 1)
        case .part(let part):
            range = part
            headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound)/\(size)"
        }
        let partial = headers[.contentRange] != nil
        let length = size == 0 ? 0 : Int(range.upperBound - range.lowerBound + 1)
        let body = ResponseBody(contentLength: length) { writer in
            try await training.sendFile(record, range: size == 0 ? nil : range, verify: !partial) { try await writer.write($0) }
            try await writer.finish(nil)
        }
        return RouteOutput(streamed: body, contentType: "application/octet-stream", status: partial ? .partialContent : .ok, headers: headers)
    }

    static func escaped(_ filename: String) -> String {
        filename.replacingOccurrences(of: "\\", with: "_").replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "_")
            .replacingOccurrences(of: "\n", with: "_")
    }
}

/// One `Range: bytes=…` (RFC 9110): several ranges, or other units, get the whole file.
enum ByteRange: Equatable {
    case whole
    case part(ClosedRange<Int64>)

    static func parse(_ header: String?, size: Int64) throws -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let pieces = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard pieces.count == 2 else { return .whole }
        let first = Int64(pieces[0]), last = Int64(pieces[1])
        // The bounds first, as numbers: a ClosedRange may only be made once lower <= upper.
        let bounds: (Int64, Int64)
        switch (pieces[0].isEmpty, first, last) {
        case (true, _, let suffix?) where suffix > 0: bounds = (max(0, size - suffix), size - 1)
        case (false, let start?, nil) where pieces[1].isEmpty: bounds = (start, size - 1)
        case (false, let start?, let end?) where end >= start: bounds = (start, min(end, size - 1))
        default: return .whole
        }
        guard size > 0, bounds.0 < size, bounds.0 <= bounds.1 else {
            var error = RESTError(.rangeNotSatisfiable, code: "range_not_satisfiable", "the range \(header) is outside the file's \(size) bytes",
                                  field: "Range")
            error.headers[.contentRange] = "bytes */\(size)"
            throw error
        }
        let range = bounds.0...bounds.1
        return .part(range)
    }
}

extension TrainingService {
    /// Where checkpoint bytes live.
    var checkpointDirectory: String { settings.workDirectory + "/checkpoints" }

    /// Streams an upload to a temporary file, checks its fields, then renames it into place and
    /// commits its row; a failure at any step leaves no file behind.
    func storeCheckpoint(_ body: RequestBody, boundary: String) async throws -> CheckpointRecord {
        let directory = checkpointDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let id = TrainingSchema.newID("ckpt")
        var file: CheckpointStore.FileSink?
        var fields: [CheckpointStore.FieldSink] = []
        do {
            try await MultipartStream.read(body, boundary: boundary) { part in
                if part.name == "file", part.filename != nil || file == nil {
                    guard file == nil else { throw RESTError.invalid("file", "send one file") }
                    let sink = try CheckpointStore.FileSink(path: directory + "/.upload-" + id, bytesMax: settings.checkpointBytesMax)
                    sink.filename = part.filename ?? "checkpoint"
                    file = sink
                    return sink
                }
                let sink = CheckpointStore.FieldSink(name: part.name)
                fields.append(sink)
                return sink
            }
            guard let file else { throw RESTError.invalid("file", "is required: the checkpoint as a file part") }
            let upload = try CheckpointUpload(fields: fields)
            let digest = try file.finish()
            let path = directory + "/" + id
            let (filename, bytes) = (file.filename, file.bytes)
            guard rename(file.path, path) == 0 else { throw VireoError(.ioError, "rename into \(path): \(String(cString: strerror(errno)))") }
            CheckpointStore.syncDirectory(directory)
            do {
                return try await session { session in
                    try TableSQL.transaction(session) {
                        _ = try TrainingSQL.session(session, upload.sessionID)
                        try upload.insert(session, id: id, filename: filename, bytes: bytes, sha256: digest, path: path)
                        if let name = upload.metricName { try TrainingSQL.markBest(session, sessionID: upload.sessionID, metricName: name) }
                        return try TrainingSQL.checkpoint(session, id)
                    }
                }
            } catch {
                unlink(path)
                throw error
            }
        } catch {
            file?.abandon()
            throw error
        }
    }

    func deleteCheckpoint(_ id: String) async throws {
        let record = try await session { session in
            try TableSQL.transaction(session) {
                let record = try TrainingSQL.checkpoint(session, id)
                try session.execute("DELETE FROM \(CheckpointStore.table) WHERE id = $1", [.text(id)])
                if let name = record.metricName { try TrainingSQL.markBest(session, sessionID: record.sessionID, metricName: name) }
                return record
            }
        }
        unlink(record.path)
    }

    /// Writes `range` of the file (all of it for nil) in chunks read off the event loop; a whole
    /// file is hashed as it goes and a mismatch with the recorded sha256 breaks the download
    /// rather than finish it with bad bytes.
    func sendFile(_ record: CheckpointRecord, range: ClosedRange<Int64>?, verify: Bool,
                  write: (ByteBuffer) async throws -> Void) async throws {
        guard let range else { return }
        let descriptor = open(record.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw VireoError(.ioError, "cannot open \(record.path)") }
        defer { close(descriptor) }
        var hasher = verify ? SHA256() : nil
        var offset = range.lowerBound
        while offset <= range.upperBound {
            let count = Int(min(Int64(CheckpointRoutes.readChunkBytes), range.upperBound - offset + 1))
            let start = offset
            let bytes = try await engine.blocking { () throws -> [UInt8] in
                var buffer = [UInt8](repeating: 0, count: count)
                let read = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(start)) }
                guard read > 0 else { throw VireoError(.ioError, "reading \(record.path) at \(start) failed") }
                return Array(buffer[0..<read])
            }
            hasher?.update(data: bytes)
            try await write(ByteBuffer(bytes: bytes))
            offset += Int64(bytes.count)
        }
        if let hasher {
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard digest == record.sha256 else {
                logger.error("checkpoint \(record.id): sha256 on disk \(digest) differs from the recorded \(record.sha256)")
                throw VireoError(.corruption, "checkpoint \(record.id) does not match its sha256")
            }
        }
    }
}

/// The form fields of an upload, checked.
struct CheckpointUpload {
    var sessionID: String
    var epoch: Int64
    var metrics: [(String, JSONValue)]
    var metricName: String?
    var lowerIsBetter: Bool

    init(fields: [CheckpointStore.FieldSink]) throws {
        func text(_ name: String) throws -> String? {
            guard let field = fields.first(where: { $0.name == name }) else { return nil }
            guard let text = String(validating: field.bytes, as: UTF8.self) else { throw RESTError.invalid(name, "is not UTF-8 text") }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let sessionID = try text("session_id"), !sessionID.isEmpty else { throw RESTError.invalid("session_id", "is required") }
        guard let epochText = try text("epoch"), let epoch = Int64(epochText), (0...TrainingConfig.epochsMax).contains(epoch) else {
            throw RESTError.invalid("epoch", "is required: an integer from 0 to \(TrainingConfig.epochsMax)")
        }
        self.sessionID = sessionID
        self.epoch = epoch
        if let metricsText = try text("metrics"), !metricsText.isEmpty {
            guard let value = try? JSONValue.parse(metricsText), case .object(let pairs) = value else {
                throw RESTError.invalid("metrics", "must be a JSON object such as {\"val_loss\": 0.3}")
            }
            metrics = pairs
        } else {
            metrics = []
        }
        let numeric = metrics.filter { if case .number = $0.1 { true } else { false } }.map(\.0)
        let requested = try text("metric_name")
        if let requested, !requested.isEmpty, !numeric.contains(requested) {
            throw RESTError.invalid("metric_name", "must name a number in metrics")
        }
        metricName = requested.flatMap { $0.isEmpty ? nil : $0 } ?? (numeric.contains("val_loss") ? "val_loss" : numeric.first)
        switch try text("mode") {
        case nil, "": lowerIsBetter = metricName.map { $0.contains("loss") || $0.contains("error") } ?? true
        case "min": lowerIsBetter = true
        case "max": lowerIsBetter = false
        default: throw RESTError.invalid("mode", "must be min or max")
        }
    }

    var metricValue: Double? {
        guard let metricName, case .number(let value)? = metrics.first(where: { $0.0 == metricName })?.1 else { return nil }
        return value
    }

    func insert(_ session: Session, id: String, filename: String, bytes: Int, sha256: String, path: String) throws {
        try session.execute("""
            INSERT INTO \(CheckpointStore.table) (id, session_id, epoch, metric_name, metric_value, lower_is_better, metrics, filename, bytes,
              sha256, path, is_best, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, false, $12)
            """, [.text(id), .text(sessionID), .int(epoch), metricName.map(Value.text) ?? .null, metricValue.map(Value.double) ?? .null,
                  .bool(lowerIsBetter), .json(JSONValue.object(metrics).text), .text(filename), .int(Int64(bytes)), .text(sha256),
                  .text(path), TrainingSchema.now()])
    }
}
