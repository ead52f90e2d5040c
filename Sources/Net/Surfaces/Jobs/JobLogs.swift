import VireoQuery
import VireoStorage

/// Log lines of jobs: appended in batches by the node holding the job, numbered per
/// attempt so that a batch sent twice (its answer lost) is stored once, and read in order.
enum JobLogs {
    static let table = JobsSchema.logs
    static let streams = ["stdout", "stderr", "system"]

    struct Line: Sendable {
        var lineNo: Int64?
        var stream: String
        var text: String
        var atMs: Int64?
    }

    struct StoredLine: Sendable {
        var attempt: Int64
        var lineNo: Int64
        var stream: String
        var text: String
        var atMs: Int64
    }

    /// Appends `lines` to the attempt `node` holds; lines without a number follow the last
    /// one stored. Returns how many were new.
    static func append(_ session: Session, jobID: String, node: String, attempt: Int64?, lines: [Line]) throws -> (stored: Int, job: JobRecord) {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            let record = try JobQueue.held(session, jobID: jobID, node: node, attempt: attempt)
            guard !lines.isEmpty else { return (0, record) }
            var next = try lastLineNo(session, jobID: jobID, attempt: record.attemptTotal) + 1
            var parameters: [Value] = []
            var tuples: [String] = []
            for line in lines {
                let lineNo = line.lineNo ?? next
                next = max(next, lineNo + 1)
                let base = parameters.count
                tuples.append("($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5), $\(base + 6), $\(base + 7))")
                parameters += [.text(jobID), .int(record.attemptTotal), .int(lineNo), .text(line.stream), .text(line.text),
                               .int(line.atMs ?? now), .text(node)]
            }
            let stored = try session.execute("""
                INSERT INTO \(table) (job_id, attempt, line_no, stream, line, at, node_id) VALUES \(tuples.joined(separator: ", "))
                ON CONFLICT (job_id, attempt, line_no) DO NOTHING
                """, parameters).rowCount
            return (stored, record)
        }
    }

    static func lastLineNo(_ session: Session, jobID: String, attempt: Int64) throws -> Int64 {
        let rows = try session.execute("SELECT max(line_no) FROM \(table) WHERE job_id = $1 AND attempt = $2",
                                       [.text(jobID), .int(attempt)]).rows
        if case .int(let last)? = rows.first?.first { return last }
        return 0
    }

    /// The last `limit` lines of a job (every attempt), oldest first.
    static func tail(_ session: Session, jobID: String, limit: Int) throws -> [StoredLine] {
        let rows = try session.execute("""
            SELECT attempt, line_no, stream, line, at FROM \(table) WHERE job_id = $1 ORDER BY attempt DESC, line_no DESC LIMIT $2
            """, [.text(jobID), .int(Int64(limit))]).rows
        return rows.reversed().map { row in
            var cells = RowCells(row)
            return StoredLine(attempt: cells.int() ?? 0, lineNo: cells.int() ?? 0, stream: cells.text() ?? "", text: cells.text() ?? "",
                              atMs: cells.int() ?? 0)
        }
    }

    static func json(_ line: StoredLine) -> JSONValue {
        .fields(("line", .string(line.text)), ("timestamp", JobShapes.seconds(line.atMs)), ("stream", .string(line.stream)),
                ("attempt", .number(Double(line.attempt))), ("lineNo", .number(Double(line.lineNo))))
    }
}
