import Foundation
import VireoQuery
import VireoStorage

/// The engine tables behind seed 002's training surface, created at serve start (and again by
/// a request that finds them dropped). Nothing about sessions lives anywhere else: the
/// processes the server supervises are found again from these rows after a restart.
///
/// - `vireo_training_sessions`: one row a session: its parsed config, status, the process
///   (`pid`, `process_start`: the kernel's start time of that pid, so a reused pid is not
///   taken for ours), timestamps, exit status.
/// - `vireo_training_reports`: one row for each report a program made (an epoch's metrics, as
///   sent); `seq` orders them and is the event id of the live streams.
/// - `vireo_training_metrics`: the same reports one numeric value a row (`name`, `value`), for
///   history, alerts and SQL (`SELECT epoch, value FROM vireo_training_metrics WHERE name = 'val_loss'`).
enum TrainingSchema {
    static let sessions = "vireo_training_sessions"
    static let reports = "vireo_training_reports"
    static let metrics = "vireo_training_metrics"

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS \(sessions) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, name text, tags jsonb NOT NULL,
          config_path text NOT NULL, config jsonb NOT NULL, command jsonb NOT NULL, total_epochs bigint NOT NULL, status text NOT NULL,
          created_at timestamptz NOT NULL, started_at timestamptz, stopped_at timestamptz, completed_at timestamptz,
          pid bigint, process_start bigint, exit_code bigint, error text)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(reports) (seq bigserial PRIMARY KEY, session_id text NOT NULL, epoch bigint NOT NULL,
          recorded_at timestamptz NOT NULL, metrics jsonb NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS \(reports)_session ON \(reports) (session_id)",
        """
        CREATE TABLE IF NOT EXISTS \(metrics) (seq bigserial PRIMARY KEY, session_id text NOT NULL, report bigint NOT NULL,
          epoch bigint NOT NULL, name text NOT NULL, value double precision NOT NULL, recorded_at timestamptz NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS \(metrics)_session ON \(metrics) (session_id)",
    ]

    static func create(_ session: Session) throws {
        for statement in statements + CheckpointStore.statements { try session.execute(statement) }
    }

    /// Now, as a timestamptz value.
    static func now() -> Value { .timestamp(Int64(Date().timeIntervalSince1970 * 1_000_000)) }

    /// A new id with the seed's prefix: `sess_` and 16 lowercase hex digits (the seed's `^sess_[a-z0-9]+$`).
    static func newID(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }
}
