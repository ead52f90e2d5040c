import VireoQuery
import VireoStorage

/// The engine tables behind the AI-ETL surface (seed 001), created at serve start. Nothing
/// about users, connectors, pipelines or runs lives anywhere else.
///
/// - `vireo_users`: one row a user; `password_hash` is an scrypt string (PasswordHash).
/// - `vireo_refresh_tokens`: every refresh token issued, by `jti`; `family` ties the tokens
///   one login rotated into each other, so a reused one revokes them all.
/// - `vireo_revoked_tokens`: access tokens revoked by logout or by a family's revocation,
///   kept until they would have expired anyway.
/// - `vireo_login_failures`: failed logins per email in the current window (rate limit).
/// - `vireo_connectors`: a connector's typed configuration; `secrets` is AES-GCM sealed
///   with the key in the data directory (`connector-secrets.key`) and never answered.
/// - `vireo_pipelines`: the definition (jsonb), generated code, deployment and the next
///   scheduled time; `vireo_pipeline_runs`: one row a run, which is also the run queue.
///   `UNIQUE (pipeline_id, scheduled_for)` is what makes a scheduled time fire once.
enum PipelineSchema {
    static let users = "vireo_users"
    static let refreshTokens = "vireo_refresh_tokens"
    static let revokedTokens = "vireo_revoked_tokens"
    static let loginFailures = "vireo_login_failures"
    static let connectors = "vireo_connectors"
    static let pipelines = "vireo_pipelines"
    static let runs = "vireo_pipeline_runs"

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS \(users) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, email text NOT NULL UNIQUE,
          password_hash text NOT NULL, role text NOT NULL, created_at bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(refreshTokens) (jti text PRIMARY KEY, family text NOT NULL, user_id text NOT NULL,
          expires_at bigint NOT NULL, used boolean NOT NULL, revoked boolean NOT NULL, created_at bigint NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS \(refreshTokens)_family ON \(refreshTokens) (family)",
        "CREATE TABLE IF NOT EXISTS \(revokedTokens) (jti text PRIMARY KEY, expires_at bigint NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS \(loginFailures) (email text PRIMARY KEY, window_start bigint NOT NULL, failures bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(connectors) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, name text NOT NULL,
          type text NOT NULL, role text NOT NULL, config jsonb NOT NULL, secrets bytea, created_at bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(pipelines) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, name text NOT NULL,
          description text, definition jsonb NOT NULL, code text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
          environment text, schedule text, timezone text, deployed_at bigint, next_run_at bigint)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(runs) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, pipeline_id text NOT NULL,
          status text NOT NULL, trigger text NOT NULL, params jsonb, current_task text, rows_read bigint NOT NULL,
          rows_written bigint NOT NULL, rows_total bigint, progress bigint NOT NULL, error text, scheduled_for bigint, created_at bigint NOT NULL,
          started_at bigint, finished_at bigint, UNIQUE (pipeline_id, scheduled_for))
        """,
        "CREATE INDEX IF NOT EXISTS \(runs)_pipeline ON \(runs) (pipeline_id)",
        "CREATE INDEX IF NOT EXISTS \(runs)_status ON \(runs) (status)",
    ]

    static func create(_ session: Session) throws {
        for statement in statements { try session.execute(statement) }
    }
}

/// Small helpers for reading rows the surface's own statements return.
extension [Value] {
    func text(_ index: Int) -> String? { if case .text(let text) = self[index] { text } else { nil } }
    func int(_ index: Int) -> Int64? { self[index].exactInteger }
    func json(_ index: Int) -> JSONValue {
        switch self[index] {
        case .json(let text), .text(let text): (try? JSONValue.parse(text)) ?? .null
        default: .null
        }
    }
}
