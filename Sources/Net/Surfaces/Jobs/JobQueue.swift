import Foundation
import VireoQuery
import VireoStorage

/// The queue's statements. Every change of a job's state is one transaction that also
/// writes its provenance event, and checks the state it expects in its WHERE clause, so
/// two sessions racing for the same job cannot both win: the engine lets the first commit
/// through and fails the other with 40001, which `JobService.session` retries.
enum JobQueue {
    static let table = JobsSchema.jobs
    /// Pending jobs a poll chooses among at random, so that many agents polling at once
    /// mostly reach for different rows instead of all colliding on the oldest.
    static let claimWindow = 8
    /// Expired leases one sweep handles; the next sweep takes the rest.
    static let expireBatchMax = 100

    // MARK: Reading

    static func job(_ session: Session, _ jobID: String) throws -> JobRecord {
        let rows = try session.execute("SELECT \(JobRecord.columns) FROM \(table) WHERE job_id = $1", [.text(jobID)]).rows
        guard let row = rows.first else { throw JobsErrors.jobNotFound(jobID) }
        return JobRecord(row)
    }

    // MARK: Creating

    struct NewJob: Sendable {
        var jobID: String?
        var datasetName: String?
        var datasetURL: String?
        var datasetHash: String?
        var runtimeMinutesEstimate: Double?
        var meta: JSONValue
        var attemptsMax: Int
    }

    static func create(_ session: Session, _ new: NewJob) throws -> JobRecord {
        let jobID = new.jobID ?? "job-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            do {
                try session.execute("""
                    INSERT INTO \(table) (job_id, status, dataset_name, dataset_url, dataset_hash, runtime_minutes_estimate, meta,
                      created_at, attempts, attempt_total, attempts_max) VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, 0, 0, $8)
                    """, [.text(jobID), text(new.datasetName), text(new.datasetURL), text(new.datasetHash),
                          new.runtimeMinutesEstimate.map(Value.double) ?? .null, new.meta == .null ? .null : .json(new.meta.text),
                          .int(now), .int(Int64(new.attemptsMax))])
            } catch let error as VireoError where error.code == .uniqueViolation {
                throw RESTError(.badRequest, code: "job_exists", "Job \(jobID) already exists", field: "jobId")
            }
            try event(session, jobID, "created", node: nil, attempt: nil, at: now)
            return try job(session, jobID)
        }
    }

    static func text(_ value: String?) -> Value { value.map(Value.text) ?? .null }

    struct Script: Sendable {
        var script: String
        var requirements: String?
        var entrypoint: String
        var outputFile: String?
        var sha256: String
    }

    /// Stores (or replaces) a job's script; refused while a node holds the job.
    static func uploadScript(_ session: Session, jobID: String, _ script: Script) throws {
        let now = JobClock.nowMs()
        try TableSQL.transaction(session) {
            let current = try job(session, jobID)
            guard !current.isHeld else {
                throw RESTError(.badRequest, code: "job_active", "Job \(jobID) is \(current.status); upload its script before it is assigned or after it ends")
            }
            try session.execute("""
                INSERT INTO \(JobsSchema.scripts) (job_id, script, requirements, entrypoint, output_file, sha256, uploaded_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (job_id) DO UPDATE SET script = excluded.script, requirements = excluded.requirements,
                  entrypoint = excluded.entrypoint, output_file = excluded.output_file, sha256 = excluded.sha256, uploaded_at = excluded.uploaded_at
                """, [.text(jobID), .text(script.script), text(script.requirements), .text(script.entrypoint), text(script.outputFile),
                      .text(script.sha256), .int(now)])
            try session.execute("UPDATE \(table) SET script_sha256 = $1 WHERE job_id = $2", [.text(script.sha256), .text(jobID)])
            try event(session, jobID, "script_uploaded", node: nil, attempt: nil, at: now,
                      detail: .fields(("sha256", .string(script.sha256)), ("entrypoint", .string(script.entrypoint))))
        }
    }

    static func script(_ session: Session, jobID: String) throws -> Script? {
        let sql = "SELECT script, requirements, entrypoint, output_file, sha256 FROM \(JobsSchema.scripts) WHERE job_id = $1"
        guard let row = try session.execute(sql, [.text(jobID)]).rows.first else { return nil }
        var cells = RowCells(row)
        return Script(script: cells.text() ?? "", requirements: cells.text(), entrypoint: cells.text() ?? "",
                      outputFile: cells.text(), sha256: cells.text() ?? "")
    }

    // MARK: The agent's side

    /// Hands one pending job with a script to `node`, leased until now + `leaseMs`; nil when
    /// there is none. A concurrent claim of the same job makes this commit fail with 40001.
    static func claim(_ session: Session, node: String, leaseMs: Int) throws -> JobRecord? {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) { () throws -> JobRecord? in
            let candidates = try session.execute("""
                SELECT job_id FROM \(table) WHERE status = 'pending' AND script_sha256 IS NOT NULL ORDER BY seq LIMIT \(claimWindow)
                """).rows.compactMap { row -> String? in if case .text(let id) = row[0] { id } else { nil } }
            guard let jobID = candidates.randomElement() else { return nil }
            let updated = try session.execute("""
                UPDATE \(table) SET status = 'assigned', assigned_node = $1, assigned_at = $2, lease_expires_at = $3,
                  attempts = attempts + 1, attempt_total = attempt_total + 1, started_at = NULL, finished_at = NULL,
                  duration_ms = NULL, exit_code = NULL, error = NULL, model_hash = NULL
                WHERE job_id = $4 AND status = 'pending' RETURNING attempt_total
                """, [.text(node), .int(now), .int(now + Int64(leaseMs)), .text(jobID)])
            guard case .int(let attempt)? = updated.rows.first?.first else { return nil }
            try event(session, jobID, "assigned", node: node, attempt: attempt, at: now)
            return try job(session, jobID)
        }
    }

    /// The job `node` holds under `attempt` (any attempt when nil), or the error that says
    /// why not: 404 unknown, 403 another node's, 409 no longer held by anyone.
    static func held(_ session: Session, jobID: String, node: String, attempt: Int64?) throws -> JobRecord {
        let record = try job(session, jobID)
        if let holder = record.assignedNode, holder != node, record.isHeld {
            throw RESTError(.forbidden, code: "not_your_job", "Job \(jobID) is assigned to another node")
        }
        guard record.isHeld, record.assignedNode == node, attempt == nil || attempt == record.attemptTotal else {
            throw RESTError(.conflict, code: "job_not_held",
                            "Job \(jobID) is \(record.status) and not held by this node (attempt \(record.attemptTotal)); stop working on it")
        }
        return record
    }

    /// Confirms an assignment: the job is running, its lease renewed.
    static func ack(_ session: Session, jobID: String, node: String, attempt: Int64?, leaseMs: Int) throws -> JobRecord {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            let record = try held(session, jobID: jobID, node: node, attempt: attempt)
            guard record.status == JobStatus.assigned else { return record }
            try session.execute("""
                UPDATE \(table) SET status = 'running', started_at = $1, lease_expires_at = $2 WHERE job_id = $3 AND status = 'assigned'
                """, [.int(now), .int(now + Int64(leaseMs)), .text(jobID)])
            try event(session, jobID, "acknowledged", node: node, attempt: record.attemptTotal, at: now)
            return try job(session, jobID)
        }
    }

    struct Outcome: Sendable {
        var succeeded: Bool
        var exitCode: Int64?
        var durationMs: Int64?
        var modelHash: String?
        var error: String?
        var metadata: JSONValue
    }

    /// Ends the attempt `node` holds: finished or failed, exactly once.
    static func finish(_ session: Session, jobID: String, node: String, attempt: Int64?, _ outcome: Outcome) throws -> JobRecord {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            let record = try held(session, jobID: jobID, node: node, attempt: attempt)
            let status = outcome.succeeded ? JobStatus.finished : JobStatus.failed
            let durationMs = outcome.durationMs ?? (now - (record.startedAtMs ?? record.assignedAtMs ?? now))
            try session.execute("""
                UPDATE \(table) SET status = $1, finished_at = $2, duration_ms = $3, exit_code = $4, model_hash = $5, error = $6,
                  metadata = $7, lease_expires_at = NULL, started_at = coalesce(started_at, assigned_at)
                WHERE job_id = $8 AND status IN ('assigned', 'running')
                """, [.text(status), .int(now), .int(durationMs), outcome.exitCode.map(Value.int) ?? .null, text(outcome.modelHash),
                      text(outcome.error), outcome.metadata == .null ? .null : .json(outcome.metadata.text), .text(jobID)])
            try event(session, jobID, status, node: node, attempt: record.attemptTotal, at: now,
                      detail: .fields(("exitCode", outcome.exitCode.map { .number(Double($0)) } ?? .null),
                                      ("error", outcome.error.map(JSONValue.string) ?? .null)))
            return try job(session, jobID)
        }
    }

    /// Gives a held job back untried (an agent shutting down): pending again, and the
    /// attempt does not count against the job's maximum.
    static func release(_ session: Session, jobID: String, node: String, attempt: Int64?) throws -> JobRecord {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            let record = try held(session, jobID: jobID, node: node, attempt: attempt)
            try session.execute("""
                UPDATE \(table) SET status = 'pending', assigned_node = NULL, lease_expires_at = NULL, started_at = NULL,
                  attempts = attempts - 1 WHERE job_id = $1 AND status IN ('assigned', 'running')
                """, [.text(jobID)])
            try event(session, jobID, "released", node: node, attempt: record.attemptTotal, at: now)
            return try job(session, jobID)
        }
    }

    /// Renews the leases of the jobs `node` holds; returns those of `claimed` it no longer
    /// holds (cancelled, deleted, or lost to an expired lease), which it must stop.
    static func renewLeases(_ session: Session, node: String, claimed: [String], leaseMs: Int) throws -> [String] {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            let held = try session.execute("""
                UPDATE \(table) SET lease_expires_at = $1 WHERE assigned_node = $2 AND status IN ('assigned', 'running') RETURNING job_id
                """, [.int(now + Int64(leaseMs)), .text(node)]).rows.compactMap { row -> String? in
                    if case .text(let id) = row[0] { id } else { nil }
                }
            let heldSet = Set(held)
            return claimed.filter { !heldSet.contains($0) }
        }
    }

    /// Gives every held job a full lease from now; returns how many.
    static func renewAllLeases(_ session: Session, leaseMs: Int) throws -> Int {
        try session.execute("UPDATE \(table) SET lease_expires_at = $1 WHERE status IN ('assigned', 'running')",
                            [.int(JobClock.nowMs() + Int64(leaseMs))]).rowCount
    }

    /// Jobs whose lease ran out go back to pending, or fail when they used their attempts.
    static func expireLeases(_ session: Session, now: Int64) throws -> Int {
        try TableSQL.transaction(session) {
            let expired = try session.execute("""
                SELECT job_id, assigned_node, attempts, attempts_max, attempt_total FROM \(table)
                WHERE status IN ('assigned', 'running') AND lease_expires_at < $1 LIMIT \(expireBatchMax)
                """, [.int(now)]).rows
            for row in expired {
                var cells = RowCells(row)
                let jobID = cells.text() ?? "", node = cells.text()
                let attempts = cells.int() ?? 0, attemptsMax = cells.int() ?? 0, attempt = cells.int()
                let exhausted = attempts >= attemptsMax
                if exhausted {
                    try session.execute("""
                        UPDATE \(table) SET status = 'failed', finished_at = $1, lease_expires_at = NULL, error = $2,
                          duration_ms = $1 - coalesce(started_at, assigned_at) WHERE job_id = $3
                        """, [.int(now), .text("the node stopped heartbeating on each of \(attempts) attempts"), .text(jobID)])
                } else {
                    try session.execute("""
                        UPDATE \(table) SET status = 'pending', assigned_node = NULL, lease_expires_at = NULL, started_at = NULL WHERE job_id = $1
                        """, [.text(jobID)])
                }
                try event(session, jobID, exhausted ? "lease_expired_failed" : "lease_expired_requeued", node: node, attempt: attempt, at: now)
            }
            return expired.count
        }
    }

    // MARK: The user's side

    /// A finished, failed or cancelled job back to pending, its logs and events kept.
    static func restart(_ session: Session, jobID: String) throws -> JobRecord {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            let record = try job(session, jobID)
            guard JobStatus.final.contains(record.status) else {
                throw RESTError(.badRequest, code: "job_not_final", "Job \(jobID) is \(record.status); only finished, failed or cancelled jobs restart")
            }
            try session.execute("""
                UPDATE \(table) SET status = 'pending', attempts = 0, assigned_node = NULL, assigned_at = NULL, started_at = NULL,
                  finished_at = NULL, duration_ms = NULL, exit_code = NULL, error = NULL, model_hash = NULL, lease_expires_at = NULL
                WHERE job_id = $1
                """, [.text(jobID)])
            try event(session, jobID, "restarted", node: nil, attempt: nil, at: now, detail: .fields(("from", .string(record.status))))
            return try job(session, jobID)
        }
    }

    /// Stops a job that has not ended; the node holding it learns at its next heartbeat.
    static func cancel(_ session: Session, jobID: String) throws -> JobRecord {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            let record = try job(session, jobID)
            guard !JobStatus.final.contains(record.status) else {
                throw RESTError(.badRequest, code: "job_final", "Job \(jobID) is already \(record.status)")
            }
            try session.execute("""
                UPDATE \(table) SET status = 'cancelled', finished_at = $1, lease_expires_at = NULL,
                  duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE $1 - started_at END WHERE job_id = $2
                """, [.int(now), .text(jobID)])
            try event(session, jobID, "cancelled", node: record.assignedNode, attempt: record.isHeld ? record.attemptTotal : nil, at: now)
            return try job(session, jobID)
        }
    }

    /// Removes a job with its script, logs, events and usage reports.
    static func delete(_ session: Session, jobID: String) throws {
        let withEmbeddings = (try? session.tableDefinition(JobLogSearch.table)) != nil
        try TableSQL.transaction(session) {
            guard try session.execute("DELETE FROM \(table) WHERE job_id = $1", [.text(jobID)]).rowCount > 0 else {
                throw JobsErrors.jobNotFound(jobID)
            }
            for other in [JobsSchema.scripts, JobsSchema.logs, JobsSchema.events, JobsSchema.usage] + (withEmbeddings ? [JobLogSearch.table] : []) {
                try session.execute("DELETE FROM \(other) WHERE job_id = $1", [.text(jobID)])
            }
        }
    }

    // MARK: Provenance

    static func event(_ session: Session, _ jobID: String, _ event: String, node: String?, attempt: Int64?, at: Int64,
                      detail: JSONValue = .null) throws {
        try session.execute("INSERT INTO \(JobsSchema.events) (job_id, event, node_id, attempt, at, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                            [.text(jobID), .text(event), text(node), attempt.map(Value.int) ?? .null, .int(at),
                             detail == .null ? .null : .json(detail.text)])
    }
}
