import Foundation
import VireoQuery
import VireoStorage

/// Semantic search over job logs: the background embeds each stored line (a batch at a
/// time, with the vector stores' embedder) into `vireo_job_log_embeddings`, whose HNSW index
/// (cosine) answers `GET /api/frontend/logs/search?q=…` by meaning across every job.
/// `vireo_job_logs.embedded` marks the lines done, so a restart resumes where it stopped.
enum JobLogSearch {
    static let table = "vireo_job_log_embeddings"
    static let index = "vireo_job_log_embeddings_embedding"
    /// Lines one embedder call takes.
    static let batchLinesMax = 64
    /// Characters of a line that are embedded (a model reads a few hundred tokens anyway).
    static let lineCharactersMax = 1000
    static let resultsMax = 100
    static let queryCharactersMax = 2000

    /// Creates the table for vectors of `dimension`; vectors of another embedder are dropped
    /// and every line is embedded again.
    static func create(_ session: Session, dimension: Int) throws {
        if let existing = try? session.tableDefinition(table),
           let column = existing.columns.first(where: { $0.name == "embedding" }), column.type != .vector(dimension: dimension) {
            try session.execute("DROP TABLE \(table)")
            try session.execute("UPDATE \(JobsSchema.logs) SET embedded = false WHERE embedded")
        }
        try session.execute("""
            CREATE TABLE IF NOT EXISTS \(table) (log_id bigint PRIMARY KEY, job_id text NOT NULL, attempt bigint NOT NULL,
              line_no bigint NOT NULL, stream text NOT NULL, line text NOT NULL, at bigint NOT NULL, embedding vector(\(dimension)) NOT NULL)
            """)
        try session.execute("CREATE INDEX IF NOT EXISTS \(table)_job ON \(table) (job_id)")
        try session.execute("CREATE INDEX IF NOT EXISTS \(index) ON \(table) USING hnsw (embedding vector_cosine_ops)")
    }

    struct PendingLine: Sendable {
        var id: Int64
        var row: [Value]
        var text: String
    }

    /// Lines not embedded yet, oldest first.
    static func pending(_ session: Session) throws -> [PendingLine] {
        try session.execute("""
            SELECT id, job_id, attempt, line_no, stream, line, at FROM \(JobsSchema.logs) WHERE embedded = false ORDER BY id LIMIT \(batchLinesMax)
            """).rows.compactMap { row in
                guard case .int(let id) = row[0], case .text(let line) = row[5] else { return nil }
                return PendingLine(id: id, row: row, text: String(line.prefix(lineCharactersMax)))
            }
    }

    /// Stores the vectors of `lines` and marks them embedded, in one transaction. A line
    /// deleted meanwhile (its job deleted) is skipped.
    static func store(_ session: Session, _ lines: [PendingLine], _ vectors: [[Float]]) throws {
        try TableSQL.transaction(session) {
            for (line, vector) in zip(lines, vectors) {
                let marked = try session.execute("UPDATE \(JobsSchema.logs) SET embedded = true WHERE id = $1 AND embedded = false",
                                                 [.int(line.id)]).rowCount
                guard marked == 1 else { continue }
                try session.execute("""
                    INSERT INTO \(table) (log_id, job_id, attempt, line_no, stream, line, at, embedding) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    ON CONFLICT (log_id) DO NOTHING
                    """, Array(line.row.prefix(7)) + [.vector(vector)])
            }
        }
    }

    /// The lines nearest `vector`, best first, with cosine similarity as `score`.
    static func search(_ session: Session, vector: [Float], limit: Int, jobID: String?) throws -> [JSONValue] {
        var parameters: [Value] = [.vector(vector), .int(Int64(limit))]
        var filter = ""
        if let jobID {
            parameters.append(.text(jobID))
            filter = " WHERE job_id = $3"
        }
        return try session.execute("""
            SELECT job_id, attempt, line_no, stream, line, at, embedding <=> $1 AS distance FROM \(table)\(filter)
            ORDER BY embedding <=> $1 LIMIT $2
            """, parameters).rows.map { row in
                var cells = RowCells(row)
                let jobID = cells.text() ?? "", attempt = cells.int() ?? 0, lineNo = cells.int() ?? 0
                let stream = cells.text() ?? "", line = cells.text() ?? "", at = cells.int() ?? 0, distance = cells.double() ?? 1
                return .fields(("jobId", .string(jobID)), ("attempt", .integer(Int(attempt))), ("lineNo", .integer(Int(lineNo))),
                               ("stream", .string(stream)), ("line", .string(line)), ("timestamp", JobShapes.seconds(at)),
                               ("score", .number(max(0, min(1, 1 - distance)))))
            }
    }
}

extension JobService {
    /// Embeds the lines waiting; returns how many it took (0: none waiting, or no embedder).
    func embedPendingLogs() async throws -> Int {
        guard let embedder else { return 0 }
        let lines = try await session { try JobLogSearch.pending($0) }
        guard !lines.isEmpty else { return 0 }
        let vectors = try await embedder.embed(lines.map(\.text))
        try await session { try JobLogSearch.store($0, lines, vectors) }
        return lines.count
    }

    /// Embeds lines as they arrive, until cancelled.
    func embedLogsUntilCancelled() async {
        while !Task.isCancelled {
            do {
                if try await embedPendingLogs() > 0 { continue }
            } catch {
                logger.error("embedding job logs failed: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(Self.embedIdleIntervalMs))
        }
    }

    static let embedIdleIntervalMs = 300
}

/// GET /api/frontend/logs/search: job log lines by meaning.
enum JobLogSearchRoute {
    static let route = RouteDeclaration(
        .get, "/api/frontend/logs/search", summary: "Log lines of every job nearest a query by meaning (embedded in the background)",
        parameters: [
            ParameterDeclaration("q", in: .query, .string(length: 1...JobLogSearch.queryCharactersMax), required: true, summary: "what to look for"),
            ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(JobLogSearch.resultsMax)), summary: "lines (default 10)"),
            ParameterDeclaration("jobId", in: .query, .string(length: 1...128), summary: "only this job's lines"),
        ],
        response: .object([
            ("query", .string()), ("embedder", .string()), ("pending", .integer()),
            ("results", .array(of: .object([
                ("jobId", .string()), ("attempt", .integer()), ("lineNo", .integer()), ("stream", .string()), ("line", .string()),
                ("timestamp", .integer()), ("score", .number),
            ], required: ["jobId", "attempt", "lineNo", "stream", "line", "timestamp", "score"]))),
        ], required: ["query", "embedder", "pending", "results"])
    ) { input, services in
        let jobs = services.jobs
        guard let embedder = jobs.embedder else {
            throw RESTError(.serviceUnavailable, code: "no_embedder", "this server has no embedder for log search")
        }
        let query = input.query("q") ?? "", limit = input.query("limit").flatMap { Int($0) } ?? 10, jobID = input.query("jobId")
        let vector = try await embedder.embed([query]).first ?? []
        let (results, pending) = try await jobs.session { session in
            try TableSQL.transaction(session) {
                // Counted before the search: each statement of a READ COMMITTED block reads its own
                // snapshot, so a batch embedded between the two would leave `pending` at 0 beside
                // results that miss it. This way `pending` 0 means the results include every line.
                let pending = try session.execute("SELECT count(*) FROM \(JobsSchema.logs) WHERE embedded = false").rows.first?.first
                let results = try JobLogSearch.search(session, vector: vector, limit: limit, jobID: jobID)
                return (results, pending.flatMap { if case .int(let count) = $0 { Int(count) } else { nil } } ?? 0)
            }
        }
        return RouteOutput(.fields(("query", .string(query)), ("embedder", .string(embedder.name)), ("pending", .integer(pending)),
                                   ("results", .array(results))))
    }
}
