import Foundation
import VireoQuery
import VireoStorage

/// Fires deployed pipelines whose `next_run_at` has come. A fired time becomes a queued run
/// with `scheduled_for` set, in the same transaction that moves `next_run_at` on; the unique
/// (pipeline_id, scheduled_for) pair makes each scheduled time fire once, across restarts
/// and whichever process sees it first.
///
/// Missed runs: when the server was down at one or more scheduled times, the pipeline runs
/// once at start (for the earliest missed time, trigger `schedule_catch_up`), then keeps its
/// schedule. A stored schedule that no longer parses is skipped, not allowed to stop the others.
enum PipelineScheduler {
    static func fireDue(_ service: PipelineService) async throws {
        let fired = try await service.engine.session { session -> Int in
            let now = PipelineIDs.nowMs
            let due = try session.execute("""
                SELECT id, schedule, timezone, next_run_at FROM \(PipelineSchema.pipelines)
                WHERE schedule IS NOT NULL AND next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at LIMIT 100
                """, [.int(now)]).rows
            var fired = 0
            for row in due {
                guard let id = row.text(0), let text = row.text(1), let scheduledFor = row.int(3) else { continue }
                guard let schedule = try? CronSchedule(text, timeZone: row.text(2) ?? "UTC") else { continue }
                let next = schedule.next(after: Date(timeIntervalSince1970: Double(now) / 1000)).map { Int64($0.timeIntervalSince1970 * 1000) }
                fired += try fire(session, pipeline: id, scheduledFor: scheduledFor, next: next, catchUp: now - scheduledFor > 60_000)
            }
            return fired
        }
        if fired > 0 { service.wake() }
    }

    /// One transaction: the run (unless that time already fired) and the next time.
    static func fire(_ session: Session, pipeline: String, scheduledFor: Int64, next: Int64?, catchUp: Bool) throws -> Int {
        try TableSQL.transaction(session) {
            try session.execute("UPDATE \(PipelineSchema.pipelines) SET next_run_at = $2 WHERE id = $1",
                                [.text(pipeline), next.map(Value.int) ?? .null])
            let inserted = try session.execute("""
                INSERT INTO \(PipelineSchema.runs) (id, pipeline_id, status, trigger, params, rows_read, rows_written, progress, scheduled_for, created_at)
                VALUES ($1, $2, 'queued', $3, NULL, 0, 0, 0, $4, $5) ON CONFLICT (pipeline_id, scheduled_for) DO NOTHING
                """, [.text(PipelineIDs.make("run")), .text(pipeline), .text(catchUp ? "schedule_catch_up" : "schedule"),
                      .int(scheduledFor), .int(PipelineIDs.nowMs)]).rowCount
            return inserted
        }
    }
}
