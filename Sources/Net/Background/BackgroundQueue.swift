import Foundation
import VireoQuery
import VireoStorage

/// Work that outlives a request, as rows of an engine table: a job is enqueued in the same
/// transaction as the change that needs it, claimed by one worker (`state` running, `owner`
/// the worker's process), and deleted when done. A job whose owner died stays running
/// under a dead owner; `requeueAbandoned` at start puts it back, so nothing is lost.
enum BackgroundQueue {
    static let table = "vireo_background_jobs"
    /// Claims of one job before it is given up as poison (it crashed its worker each time).
    static let attemptsMax = 3

    /// A claimed job.
    struct Job: Sendable {
        var seq: Int64
        var kind: String
        var key: String
        /// Claims so far, this one included.
        var attempts: Int
    }

    static func create(_ session: Session) throws {
        try session.execute("""
            CREATE TABLE IF NOT EXISTS \(table) (seq bigserial PRIMARY KEY, kind text NOT NULL, key text NOT NULL,
              state text NOT NULL, owner text, attempts bigint NOT NULL, created_at bigint NOT NULL)
            """)
    }

    /// Adds a job; call inside the transaction that makes the work necessary.
    static func enqueue(_ session: Session, kind: String, key: String) throws {
        try session.execute("INSERT INTO \(table) (kind, key, state, attempts, created_at) VALUES ($1, $2, 'queued', 0, $3)",
                            [.text(kind), .text(key), .int(Int64(Date().timeIntervalSince1970))])
    }

    /// The oldest queued job, now running under `owner`; nil when none is queued, or when
    /// another worker claimed the same job first (its commit wins: 40001 here).
    static func claim(_ session: Session, owner: String) throws -> Job? {
        do {
            return try TableSQL.transaction(session) { () throws -> Job? in
                let result = try session.execute("SELECT seq, kind, key, attempts FROM \(table) WHERE state = 'queued' ORDER BY seq LIMIT 1")
                guard let row = result.rows.first, case .int(let seq) = row[0], case .text(let kind) = row[1],
                      case .text(let key) = row[2], case .int(let attempts) = row[3] else { return nil }
                try session.execute("UPDATE \(table) SET state = 'running', owner = $1, attempts = attempts + 1 WHERE seq = $2",
                                    [.text(owner), .int(seq)])
                return Job(seq: seq, kind: kind, key: key, attempts: Int(attempts) + 1)
            }
        } catch let error as VireoError where error.code == .serializationFailure {
            return nil
        }
    }

    /// Removes a finished job (done or given up).
    static func finish(_ session: Session, _ job: Job) throws {
        try session.execute("DELETE FROM \(table) WHERE seq = $1", [.int(job.seq)])
    }

    /// Puts back the jobs that were running under another owner (a worker that died);
    /// returns how many.
    static func requeueAbandoned(_ session: Session, owner: String) throws -> Int {
        try session.execute("UPDATE \(table) SET state = 'queued', owner = NULL WHERE state = 'running' AND owner <> $1",
                            [.text(owner)]).rowCount
    }

    /// Jobs waiting or running.
    static func pendingCount(_ session: Session) throws -> Int {
        guard case .int(let count)? = try session.execute("SELECT count(*) FROM \(table)").rows.first?.first else { return 0 }
        return Int(count)
    }
}
