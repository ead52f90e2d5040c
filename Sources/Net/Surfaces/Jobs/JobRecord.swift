import VireoQuery
import VireoStorage

/// One row of `vireo_jobs`, read with `JobRecord.columns` in that order.
struct JobRecord: Sendable {
    static let columns = """
        job_id, status, dataset_name, dataset_url, dataset_hash, runtime_minutes_estimate, meta, created_at, assigned_node,
        assigned_at, started_at, finished_at, duration_ms, model_hash, exit_code, error, metadata, attempts, attempt_total,
        attempts_max, lease_expires_at, script_sha256
        """

    var jobID: String
    var status: String
    var datasetName: String?
    var datasetURL: String?
    var datasetHash: String?
    var runtimeMinutesEstimate: Double?
    var meta: JSONValue
    var createdAtMs: Int64
    var assignedNode: String?
    var assignedAtMs: Int64?
    var startedAtMs: Int64?
    var finishedAtMs: Int64?
    var durationMs: Int64?
    var modelHash: String?
    var exitCode: Int64?
    var error: String?
    var metadata: JSONValue
    var attempts: Int64
    var attemptTotal: Int64
    var attemptsMax: Int64
    var leaseExpiresAtMs: Int64?
    var scriptSHA256: String?

    init(_ row: [Value]) {
        var cells = RowCells(row)
        jobID = cells.text() ?? ""
        status = cells.text() ?? ""
        datasetName = cells.text()
        datasetURL = cells.text()
        datasetHash = cells.text()
        runtimeMinutesEstimate = cells.double()
        meta = cells.json()
        createdAtMs = cells.int() ?? 0
        assignedNode = cells.text()
        assignedAtMs = cells.int()
        startedAtMs = cells.int()
        finishedAtMs = cells.int()
        durationMs = cells.int()
        modelHash = cells.text()
        exitCode = cells.int()
        error = cells.text()
        metadata = cells.json()
        attempts = cells.int() ?? 0
        attemptTotal = cells.int() ?? 0
        attemptsMax = cells.int() ?? 0
        leaseExpiresAtMs = cells.int()
        scriptSHA256 = cells.text()
    }

    /// Whether a node holds the job now.
    var isHeld: Bool { status == JobStatus.assigned || status == JobStatus.running }
}

/// The states of a job.
enum JobStatus {
    static let pending = "pending"
    static let assigned = "assigned"
    static let running = "running"
    static let finished = "finished"
    static let failed = "failed"
    static let cancelled = "cancelled"
    static let all = [pending, assigned, running, finished, failed, cancelled]
    /// States a job leaves only by restart.
    static let final = [finished, failed, cancelled]
}

/// Reads a row's values left to right by type; a NULL (or another type) is nil.
struct RowCells {
    private let row: [Value]
    private var position = 0

    init(_ row: [Value]) { self.row = row }

    private mutating func next() -> Value {
        defer { position += 1 }
        return position < row.count ? row[position] : .null
    }

    mutating func text() -> String? { if case .text(let text) = next() { text } else { nil } }

    mutating func int() -> Int64? {
        switch next() {
        case .int(let number): number
        case .double(let number): Int64(exactly: number.rounded())
        case .numeric(let number): number.roundedInt64
        default: nil
        }
    }

    mutating func double() -> Double? {
        switch next() {
        case .double(let number): number
        case .int(let number): Double(number)
        case .numeric(let number): number.double
        default: nil
        }
    }

    /// A jsonb cell as its document; NULL is JSON null.
    mutating func json() -> JSONValue {
        guard case .json(let text) = next() else { return .null }
        return (try? JSONValue.parse(text)) ?? .null
    }
}
