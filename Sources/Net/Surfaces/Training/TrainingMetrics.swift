import Foundation
import VireoQuery
import VireoStorage

/// One report of a running program: the epoch and its values, as sent (one JSON object per
/// epoch, on a marked line of standard output or POSTed). Numeric values become rows of
/// `vireo_training_metrics`; the whole object is kept as the report.
struct MetricReport: Sendable {
    /// Values one report may carry.
    static let fieldsMax = 256
    /// Characters of a metric's name.
    static let nameCharactersMax = 128
    /// The prefix of a standard-output line that carries a report; the rest of the line is the JSON object.
    static let marker = "VIREO_METRICS "

    var epoch: Int64
    /// The other fields, in the order sent (`epoch` and `timestamp` left out: the server keeps those).
    var fields: [(String, JSONValue)]

    /// The numeric fields: what history, alerts and SQL see.
    var numbers: [(String, Double)] {
        fields.compactMap { name, value in if case .number(let number) = value { (name, number) } else { nil } }
    }

    /// Checks a report; problems are 422s naming `prefix.field`.
    init(_ value: JSONValue, field prefix: String = "body") throws {
        guard case .object(let pairs) = value else { throw RESTError.invalid(prefix, "a report is a JSON object such as {\"epoch\": 1, \"loss\": 0.5}") }
        guard case .number(let number)? = value.member("epoch"), number == number.rounded(), let epoch = Int64(exactly: number),
              (0...TrainingConfig.epochsMax).contains(epoch) else {
            throw RESTError.invalid(Schema.join(prefix, "epoch"), "is required: an integer from 0 to \(TrainingConfig.epochsMax)")
        }
        let fields = pairs.filter { $0.0 != "epoch" && $0.0 != "timestamp" }
        guard fields.count <= Self.fieldsMax else { throw RESTError.invalid(prefix, "a report carries at most \(Self.fieldsMax) values") }
        for (name, _) in fields where name.isEmpty || name.count > Self.nameCharactersMax {
            throw RESTError.invalid(Schema.join(prefix, name), "a metric's name has 1 to \(Self.nameCharactersMax) characters")
        }
        self.epoch = epoch
        self.fields = fields
    }

    /// The numeric members of a stored report's object.
    static func numbers(_ metrics: JSONValue) -> [(String, Double)] {
        guard case .object(let fields) = metrics else { return [] }
        return fields.compactMap { name, value in if case .number(let number) = value { (name, number) } else { nil } }
    }

    /// The report of a marked output line, nil for other lines (and for marked lines that are not a report).
    static func fromOutputLine(_ line: String) -> MetricReport? {
        guard line.hasPrefix(marker), let value = try? JSONValue.parse(String(line.dropFirst(marker.count))) else { return nil }
        return try? MetricReport(value)
    }
}

/// A stored report, as the API answers it: `epoch`, `timestamp`, then the values.
struct StoredReport: Sendable {
    var seq: Int64
    var sessionID: String
    var epoch: Int64
    var recordedAt: Value
    var metrics: JSONValue

    static let columns = "seq, session_id, epoch, recorded_at, metrics"

    init(_ row: [Value]) {
        seq = row[0].intValue ?? 0
        sessionID = row[1].textValue ?? ""
        epoch = row[2].intValue ?? 0
        recordedAt = row[3]
        metrics = JSONValue(row[4])
    }

    /// The seed's shape; with `only`, just that metric beside epoch and timestamp.
    func json(only name: String? = nil) -> JSONValue {
        var fields: [(String, JSONValue)] = [("epoch", .number(Double(epoch))), ("timestamp", JSONValue(recordedAt))]
        if case .object(let values) = metrics { fields += values.filter { name == nil || $0.0 == name } }
        return .object(fields)
    }
}

extension TrainingSQL {
    /// Stores a report and its numeric values in one transaction.
    static func insert(_ session: Session, sessionID: String, _ report: MetricReport) throws -> StoredReport {
        try TableSQL.transaction(session) {
            let now = TrainingSchema.now()
            let rows = try session.execute("""
                INSERT INTO \(TrainingSchema.reports) (session_id, epoch, recorded_at, metrics) VALUES ($1, $2, $3, $4) RETURNING \(StoredReport.columns)
                """, [.text(sessionID), .int(report.epoch), now, .json(JSONValue.object(report.fields).text)]).rows
            guard let row = rows.first else { throw VireoError(.internalError, "INSERT … RETURNING gave no row") }
            let stored = StoredReport(row)
            let numbers = report.numbers
            if !numbers.isEmpty {
                var parameters: [Value] = [.text(sessionID), .int(stored.seq), .int(report.epoch), now]
                var tuples: [String] = []
                for (name, value) in numbers {
                    tuples.append("($1, $2, $3, $\(parameters.count + 1), $\(parameters.count + 2), $4)")
                    parameters += [.text(name), .double(value)]
                }
                try session.execute("INSERT INTO \(TrainingSchema.metrics) (session_id, report, epoch, name, value, recorded_at) VALUES "
                                    + tuples.joined(separator: ", "), parameters)
            }
            return stored
        }
    }

    /// The last `limit` reports of a session, oldest first.
    static func reports(_ session: Session, sessionID: String, limit: Int) throws -> [StoredReport] {
        let rows = try session.execute("""
            SELECT \(StoredReport.columns) FROM \(TrainingSchema.reports) WHERE session_id = $1 ORDER BY seq DESC LIMIT \(limit)
            """, [.text(sessionID)]).rows
        return rows.reversed().map(StoredReport.init)
    }

    /// Reports after `seq`, oldest first, at most `limit`: what a live stream sends next.
    static func reports(_ session: Session, sessionID: String, after seq: Int64, limit: Int) throws -> [StoredReport] {
        try session.execute("""
            SELECT \(StoredReport.columns) FROM \(TrainingSchema.reports) WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT \(limit)
            """, [.text(sessionID), .int(seq)]).rows.map(StoredReport.init)
    }

    /// One metric's values by epoch, within an epoch range.
    static func history(_ session: Session, sessionID: String, name: String, epochs: ClosedRange<Int64>) throws -> [(Int64, Double, Value)] {
        try session.execute("""
            SELECT epoch, value, recorded_at FROM \(TrainingSchema.metrics) WHERE session_id = $1 AND name = $2 AND epoch >= $3 AND epoch <= $4
            ORDER BY seq
            """, [.text(sessionID), .text(name), .int(epochs.lowerBound), .int(epochs.upperBound)]).rows.map {
            ($0[0].intValue ?? 0, $0[1].doubleValue ?? 0, $0[2])
        }
    }
}
