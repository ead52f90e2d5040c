import VireoQuery

/// The engine tables behind the jobs surface (seed 003), created on demand. Nothing about
/// jobs or nodes lives anywhere else, so a restarted server picks up exactly where it was.
///
/// - `vireo_jobs`: one row a job. `status` moves pending → assigned → running → finished |
///   failed | cancelled. `attempts` counts assignments since the job was created or
///   restarted (compared with `attempts_max`); `attempt_total` numbers every assignment ever
///   made, so logs and provenance of earlier runs stay apart. `lease_expires_at` is set while
///   a node holds the job. Times are milliseconds since 1970.
/// - `vireo_job_scripts`: the uploaded script, requirements, entrypoint and output file.
/// - `vireo_nodes`: registered nodes; only the SHA-256 of a node's token is stored.
/// - `vireo_job_logs`: lines a node streamed, numbered per attempt (`line_no`), unique per
///   (job, attempt, line), so a batch sent again after a lost answer is not stored twice.
/// - `vireo_job_events`: provenance: created, assigned, acknowledged, finished, requeued …
///   with the node, the attempt and the time.
/// - `vireo_job_log_embeddings`: each log line's vector, for semantic search (JobLogSearch);
///   `vireo_job_logs.embedded` says which lines have one.
/// - `vireo_job_usage`: usage reports (CPU, RAM, GPU) of nodes, per job when one is named.
enum JobsSchema {
    static let jobs = "vireo_jobs"
    static let scripts = "vireo_job_scripts"
    static let nodes = "vireo_nodes"
    static let logs = "vireo_job_logs"
    static let events = "vireo_job_events"
    static let usage = "vireo_job_usage"

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS \(jobs) (seq bigserial PRIMARY KEY, job_id text NOT NULL UNIQUE, status text NOT NULL,
          dataset_name text, dataset_url text, dataset_hash text, runtime_minutes_estimate double precision, meta jsonb,
          created_at bigint NOT NULL, assigned_node text, assigned_at bigint, started_at bigint, finished_at bigint,
          duration_ms bigint, model_hash text, exit_code bigint, error text, metadata jsonb, attempts bigint NOT NULL,
          attempt_total bigint NOT NULL, attempts_max bigint NOT NULL, lease_expires_at bigint, script_sha256 text)
        """,
        "CREATE INDEX IF NOT EXISTS \(jobs)_status ON \(jobs) (status)",
        """
        CREATE TABLE IF NOT EXISTS \(scripts) (job_id text PRIMARY KEY, script text NOT NULL, requirements text,
          entrypoint text NOT NULL, output_file text, sha256 text NOT NULL, uploaded_at bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(nodes) (seq bigserial PRIMARY KEY, node_id text NOT NULL UNIQUE, token_sha256 text NOT NULL UNIQUE,
          specs jsonb, usage jsonb, slots bigint NOT NULL, registered_at bigint NOT NULL, last_seen bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(logs) (id bigserial PRIMARY KEY, job_id text NOT NULL, attempt bigint NOT NULL,
          line_no bigint NOT NULL, stream text NOT NULL, line text NOT NULL, at bigint NOT NULL, node_id text,
          embedded boolean NOT NULL DEFAULT false, UNIQUE (job_id, attempt, line_no))
        """,
        "CREATE INDEX IF NOT EXISTS \(logs)_job ON \(logs) (job_id)",
        "CREATE INDEX IF NOT EXISTS \(logs)_embedded ON \(logs) (embedded)",
        """
        CREATE TABLE IF NOT EXISTS \(events) (id bigserial PRIMARY KEY, job_id text NOT NULL, event text NOT NULL,
          node_id text, attempt bigint, at bigint NOT NULL, detail jsonb)
        """,
        "CREATE INDEX IF NOT EXISTS \(events)_job ON \(events) (job_id)",
        """
        CREATE TABLE IF NOT EXISTS \(usage) (id bigserial PRIMARY KEY, node_id text NOT NULL, job_id text, report jsonb NOT NULL,
          at bigint NOT NULL)
        """,
    ]

    /// Creates what is missing; with an embedder's `dimension`, the log search's table too.
    static func create(_ session: Session, embeddingDimension: Int?) throws {
        for statement in statements { try session.execute(statement) }
        if let embeddingDimension { try JobLogSearch.create(session, dimension: embeddingDimension) }
    }
}
