import Crypto
import Foundation
import VireoQuery
import VireoStorage
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoint files: bytes in `<work>/checkpoints/<id>` (written to a temporary name while
/// they arrive, hashed as they pass, fsynced and renamed before their row commits, so a row
/// never names a half-written file), metadata in `vireo_training_checkpoints`.
///
/// `is_best` is kept per session and metric: after each upload or delete, the checkpoint
/// with the best `metric_value` (lowest for losses and errors, highest otherwise, unless
/// the upload said `mode`) is the only one marked.
enum CheckpointStore {
    static let table = "vireo_training_checkpoints"
    /// Bytes of a form field beside the file (session_id, epoch, metrics …).
    static let fieldBytesMax = 64 << 10

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS \(table) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, session_id text NOT NULL,
          epoch bigint NOT NULL, metric_name text, metric_value double precision, lower_is_better boolean NOT NULL, metrics jsonb NOT NULL,
          filename text NOT NULL, bytes bigint NOT NULL, sha256 text NOT NULL, path text NOT NULL, is_best boolean NOT NULL,
          created_at timestamptz NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS \(table)_session ON \(table) (session_id)",
    ]

    /// A file part on its way to disk: written and hashed piece by piece.
    final class FileSink: MultipartStream.Sink {
        let path: String
        let descriptor: Int32
        var hasher = SHA256()
        var bytes = 0
        let bytesMax: Int
        /// The name the client gave the file.
        var filename = "checkpoint"

        init(path: String, bytesMax: Int) throws {
            self.path = path
            self.bytesMax = bytesMax
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw VireoError(.ioError, "cannot create \(path): \(String(cString: strerror(errno)))") }
        }

        func write(_ piece: ArraySlice<UInt8>) async throws {
            bytes += piece.count
            guard bytes <= bytesMax else {
                throw RESTError(.contentTooLarge, code: "file_too_large", "the checkpoint is larger than \(bytesMax) bytes", field: "file")
            }
            hasher.update(data: piece)
            try piece.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { throw VireoError(errno == ENOSPC ? .diskFull : .ioError, "writing \(path): \(String(cString: strerror(errno)))") }
                    offset += written
                }
            }
        }

        /// fsync and close; the hex digest.
        func finish() throws -> String {
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw VireoError(.ioError, "fsync \(path): \(String(cString: strerror(errno)))") }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }

        func abandon() {
            close(descriptor)
            unlink(path)
        }
    }

    /// A text field, bounded.
    final class FieldSink: MultipartStream.Sink {
        let name: String
        var bytes: [UInt8] = []
        init(name: String) { self.name = name }

        func write(_ piece: ArraySlice<UInt8>) async throws {
            guard bytes.count + piece.count <= fieldBytesMax else { throw RESTError.invalid(name, "is longer than \(fieldBytesMax) bytes") }
            bytes += piece
        }
    }

    /// Makes a directory's entries durable (a rename into it).
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// A checkpoint's row.
struct CheckpointRecord: Sendable {
    static let columns = "id, session_id, epoch, metric_name, metric_value, metrics, filename, bytes, sha256, path, is_best, created_at"
    var id, sessionID: String
    var epoch: Int64
    var metricName: String?
    var metricValue: Double?
    var metrics: JSONValue
    var filename: String
    var bytes: Int64
    var sha256: String
    var path: String
    var isBest: Bool
    var createdAt: Value

    init(_ row: [Value]) {
        id = row[0].textValue ?? ""
        sessionID = row[1].textValue ?? ""
        epoch = row[2].intValue ?? 0
        metricName = row[3].textValue
        metricValue = row[4].doubleValue
        metrics = JSONValue(row[5])
        filename = row[6].textValue ?? ""
        bytes = row[7].intValue ?? 0
        sha256 = row[8].textValue ?? ""
        path = row[9].textValue ?? ""
        if case .bool(let flag) = row[10] { isBest = flag } else { isBest = false }
        createdAt = row[11]
    }

    var sizeMB: Double { (Double(bytes) / 1_048_576 * 10).rounded() / 10 }

    var json: JSONValue {
        .fields(("checkpoint_id", .string(id)), ("session_id", .string(sessionID)), ("epoch", .number(Double(epoch))),
                ("metric_name", metricName.map(JSONValue.string) ?? .null), ("metric_value", metricValue.map(JSONValue.number) ?? .null),
                ("metrics", metrics), ("file_size_mb", .number(sizeMB)), ("file_size_bytes", .number(Double(bytes))),
                ("filename", .string(filename)), ("sha256", .string(sha256)), ("file_path", .string(path)), ("is_best", .bool(isBest)),
                ("created_at", JSONValue(createdAt)))
    }
}

extension TrainingSQL {
    static func checkpoint(_ session: Session, _ id: String) throws -> CheckpointRecord {
        let rows = try session.execute("SELECT \(CheckpointRecord.columns) FROM \(CheckpointStore.table) WHERE id = $1", [.text(id)]).rows
        guard let row = rows.first else { throw RESTError.notFound("no checkpoint '\(id)'", field: "checkpoint_id") }
        return CheckpointRecord(row)
    }

    static func checkpoints(_ session: Session, sessionID: String?, limit: Int) throws -> [CheckpointRecord] {
        let filter = sessionID == nil ? "" : "WHERE session_id = $1"
        return try session.execute("SELECT \(CheckpointRecord.columns) FROM \(CheckpointStore.table) \(filter) ORDER BY seq DESC LIMIT \(limit)",
                                   sessionID.map { [.text($0)] } ?? []).rows.map(CheckpointRecord.init)
    }

    /// Marks the best checkpoint of a session's metric, and only it.
    static func markBest(_ session: Session, sessionID: String, metricName: String) throws {
        let rows = try session.execute("""
            SELECT id, metric_value, lower_is_better FROM \(CheckpointStore.table) WHERE session_id = $1 AND metric_name = $2
              AND metric_value IS NOT NULL ORDER BY seq
            """, [.text(sessionID), .text(metricName)]).rows
        var best: (String, Double)?
        for row in rows {
            guard let id = row[0].textValue, let value = row[1].doubleValue else { continue }
            let lower: Bool = if case .bool(true) = row[2] { true } else { false }
            if best == nil || (lower ? value < best!.1 : value > best!.1) { best = (id, value) }
        }
        try session.execute("UPDATE \(CheckpointStore.table) SET is_best = (id = $3) WHERE session_id = $1 AND metric_name = $2",
                            [.text(sessionID), .text(metricName), .text(best?.0 ?? "")])
    }
}
