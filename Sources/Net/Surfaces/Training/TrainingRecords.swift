import Foundation
import VireoQuery
import VireoStorage

/// A session's row with what its reports say (current epoch, latest metrics).
struct SessionRecord: Sendable {
    static let columns = """
        id, name, tags, config_path, config, command, total_epochs, status, created_at, started_at, stopped_at, completed_at,
        pid, process_start, exit_code, error
        """

    var id: String
    var name: String?
    var tags: JSONValue
    var configPath: String
    var config: JSONValue
    var command: [String]
    var totalEpochs: Int64
    var status: String
    var createdAt, startedAt, stoppedAt, completedAt: Value
    var pid: Int32?
    var processStart: Int64?
    var exitCode: Int64?
    var error: String?
    /// From the reports.
    var currentEpoch: Int64 = 0
    var latestMetrics: JSONValue = .object([])

    init(_ row: [Value]) {
        id = row[0].textValue ?? ""
        name = row[1].textValue
        tags = JSONValue(row[2])
        configPath = row[3].textValue ?? ""
        config = JSONValue(row[4])
        if case .array(let items) = JSONValue(row[5]) { command = items.compactMap(\.unquotedText) } else { command = [] }
        totalEpochs = row[6].intValue ?? 0
        status = row[7].textValue ?? ""
        (createdAt, startedAt, stoppedAt, completedAt) = (row[8], row[9], row[10], row[11])
        pid = row[12].intValue.map { Int32(truncatingIfNeeded: $0) }
        processStart = row[13].intValue
        exitCode = row[14].intValue
        error = row[15].textValue
    }

    /// Epochs done over epochs declared, at most 1.
    var progress: Double { totalEpochs > 0 ? min(1, Double(currentEpoch) / Double(totalEpochs)) : 0 }

    var json: JSONValue {
        .fields(("session_id", .string(id)), ("session_name", name.map(JSONValue.string) ?? .null), ("status", .string(status)),
                ("config_path", .string(configPath)), ("config", config), ("tags", tags), ("created_at", JSONValue(createdAt)),
                ("started_at", JSONValue(startedAt)), ("stopped_at", JSONValue(stoppedAt)), ("completed_at", JSONValue(completedAt)),
                ("current_epoch", .number(Double(currentEpoch))), ("total_epochs", .number(Double(totalEpochs))),
                ("progress", .number(progress)), ("latest_metrics", latestMetrics),
                ("exit_code", exitCode.map { .number(Double($0)) } ?? .null), ("error", error.map(JSONValue.string) ?? .null))
    }
}

extension Value {
    var textValue: String? { if case .text(let text) = self { text } else { nil } }
    var intValue: Int64? { if case .int(let number) = self { number } else { nil } }
    var doubleValue: Double? {
        switch self {
        case .double(let number): number
        case .int(let number): Double(number)
        default: nil
        }
    }
}

/// The statements behind sessions and their reports.
enum TrainingSQL {

    static func notFound(_ id: String) -> RESTError { .notFound("no training session '\(id)'", field: "session_id") }

    static func insert(_ session: Session, id: String, name: String?, tags: [String], config: TrainingConfig) throws {
        try session.execute("""
            INSERT INTO \(TrainingSchema.sessions) (id, name, tags, config_path, config, command, total_epochs, status, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'created', $8)
            """, [.text(id), name.map(Value.text) ?? .null, .json(JSONValue.array(tags.map(JSONValue.string)).text), .text(config.path),
                  .json(config.document.text), .json(JSONValue.array(config.command.map(JSONValue.string)).text), .int(config.totalEpochs),
                  TrainingSchema.now()])
    }

    /// The session with its current epoch and latest metrics, or a 404.
    static func session(_ session: Session, _ id: String) throws -> SessionRecord {
        let rows = try session.execute("SELECT \(SessionRecord.columns) FROM \(TrainingSchema.sessions) WHERE id = $1", [.text(id)]).rows
        guard let row = rows.first else { throw notFound(id) }
        var record = SessionRecord(row)
        let latest = try session.execute("SELECT epoch, metrics FROM \(TrainingSchema.reports) WHERE session_id = $1 ORDER BY seq DESC LIMIT 1", [.text(id)]).rows
        if let report = latest.first {
            record.currentEpoch = report[0].intValue ?? 0
            record.latestMetrics = JSONValue(report[1])
        }
        return record
    }

    /// A page of sessions, newest first, with their current epochs; and how many match.
    static func page(_ session: Session, status: String?, limit: Int, offset: Int) throws -> ([SessionRecord], Int) {
        let filter = status == nil ? "" : "WHERE status = $1"
        let parameters: [Value] = status.map { [.text($0)] } ?? []
        let rows = try session.execute("""
            SELECT \(SessionRecord.columns), (SELECT max(epoch) FROM \(TrainingSchema.reports) r WHERE r.session_id = s.id)
            FROM \(TrainingSchema.sessions) s \(filter) ORDER BY seq DESC LIMIT \(limit) OFFSET \(offset)
            """, parameters).rows
        let records = rows.map { row in
            var record = SessionRecord(row)
            record.currentEpoch = row[16].intValue ?? 0
            return record
        }
        let total = try session.execute("SELECT count(*) FROM \(TrainingSchema.sessions) \(filter)", parameters).rows.first?.first?.intValue ?? 0
        return (records, Int(total))
    }

    /// Moves a session from one of `from` to `to`, setting `column` to now; false when its status was another.
    static func transition(_ session: Session, _ id: String, from: [String], to: String, stamp column: String) throws -> Bool {
        let allowed = from.map { "'\($0)'" }.joined(separator: ", ")
        return try session.execute("UPDATE \(TrainingSchema.sessions) SET status = $1, \(column) = $2 WHERE id = $3 AND status IN (\(allowed))",
                                   [.text(to), TrainingSchema.now(), .text(id)]).rowCount == 1
    }

    static func recordProcess(_ session: Session, _ id: String, pid: Int32, start: Int64?) throws {
        try session.execute("UPDATE \(TrainingSchema.sessions) SET pid = $1, process_start = $2 WHERE id = $3",
                            [.int(Int64(pid)), start.map(Value.int) ?? .null, .text(id)])
    }

    /// The end of a session's process: a running session becomes `status`; a stopped one stays stopped.
    static func finish(_ session: Session, _ id: String, status: String, exitCode: Int64?, error: String?) throws -> SessionRecord {
        try TableSQL.transaction(session) {
            try session.execute("""
                UPDATE \(TrainingSchema.sessions) SET status = CASE WHEN status = 'running' THEN $1 ELSE status END, completed_at = $2,
                  exit_code = $3, error = CASE WHEN status = 'running' THEN $4 ELSE error END WHERE id = $5
                """, [.text(status), TrainingSchema.now(), exitCode.map(Value.int) ?? .null, error.map(Value.text) ?? .null, .text(id)])
            return try Self.session(session, id)
        }
    }

    static func delete(_ session: Session, _ id: String) throws {
        try TableSQL.transaction(session) {
            try session.execute("DELETE FROM \(TrainingSchema.metrics) WHERE session_id = $1", [.text(id)])
            try session.execute("DELETE FROM \(CheckpointStore.table) WHERE session_id = $1", [.text(id)])
            try session.execute("DELETE FROM \(TrainingSchema.reports) WHERE session_id = $1", [.text(id)])
            try session.execute("DELETE FROM \(TrainingSchema.sessions) WHERE id = $1", [.text(id)])
        }
    }

    /// Sessions the table says are running (after a restart: maybe orphans).
    static func running(_ session: Session) throws -> [SessionRecord] {
        try session.execute("SELECT \(SessionRecord.columns) FROM \(TrainingSchema.sessions) WHERE status = 'running'").rows.map(SessionRecord.init)
    }
}
