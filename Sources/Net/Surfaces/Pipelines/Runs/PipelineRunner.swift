import Foundation
import VireoQuery
import VireoStorage

/// Executes one run: extract the source into a staging table in batches, run each SQL
/// step into the next staging table, embed a text column if asked, then write the target in
/// one transaction (append, upsert by key, or replace). Progress, the current task and
/// row counts are written to the run's row as it goes; staging tables are dropped at the
/// end, whatever happened.
struct PipelineRunner {
    /// Texts one embedder call takes.
    static let embedBatchMax = 32
    /// Rows one INSERT of staged or embedded rows carries, at most (the parameter limit
    /// lowers it for wide rows).
    static let insertRowsMax = 256

    let service: PipelineService
    let runID: String
    var engine: EngineAccess { service.engine }

    /// Runs to the end and records success or failure; never throws.
    func execute() async {
        var stages: [String] = []
        do {
            try await perform(&stages)
        } catch {
            let message = (error as? RESTError)?.message ?? (error as? VireoError).map { "\($0.message) (SQLSTATE \($0.sqlState))" } ?? "\(error)"
            _ = try? await engine.session { session in
                try session.execute("UPDATE \(PipelineSchema.runs) SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1",
                                    [.text(runID), .text(message), .int(PipelineIDs.nowMs)])
            }
        }
        let dropping = stages
        _ = try? await engine.session { session in for stage in dropping { try session.execute("DROP TABLE IF EXISTS \(quoteIdentifier(stage))") } }
    }

    func update(_ session: Session, task: String, progress: Int, _ extra: String = "", _ parameters: [Value] = []) throws {
        try session.execute("UPDATE \(PipelineSchema.runs) SET current_task = $2, progress = $3\(extra) WHERE id = $1",
                            [.text(runID), .text(task), .int(Int64(progress))] + parameters)
    }

    func perform(_ stages: inout [String]) async throws {
        let runID = self.runID
        let (definitionJSON, params) = try await engine.session { session -> (JSONValue, JSONValue) in
            let rows = try session.execute("""
                SELECT p.definition, r.params FROM \(PipelineSchema.runs) r JOIN \(PipelineSchema.pipelines) p ON p.id = r.pipeline_id WHERE r.id = $1
                """, [.text(runID)]).rows
            guard let row = rows.first else { throw RESTError.notFound("the run's pipeline was deleted") }
            return (row.json(0), row.json(1))
        }
        let definition = try PipelineDefinition(definitionJSON)
        let values = definition.values(params)
        let prefix = "vireo_stage_" + runID.replacingOccurrences(of: "-", with: "_") + "_"
        stages = (0...definition.transforms.count).map { prefix + String($0) }
        let stageNames = stages
        try await extract(definition, values, into: stageNames[0])
        for (index, step) in definition.transforms.enumerated() {
            try await engine.session { session in
                try update(session, task: "transforming_data:\(step.name)", progress: 50 + 10 * index / max(1, definition.transforms.count))
                try Self.transform(session, step.sql, values, from: stageNames[index], into: stageNames[index + 1])
            }
        }
        let final = stageNames[definition.transforms.count]
        var embedded: (columns: [ResultColumn], rows: [[Value]], dimension: Int)?
        if let column = definition.embedColumn { embedded = try await embed(final, column: column) }
        let prepared = embedded
        let written = try await engine.session { session -> Int in
            try update(session, task: "loading_data", progress: 90)
            return try TableSQL.transaction(session) { try Self.load(session, definition, from: final, embedded: prepared) }
        }
        try await engine.session { session in
            try session.execute("""
                UPDATE \(PipelineSchema.runs) SET status = 'succeeded', current_task = 'done', progress = 100, rows_written = $2, finished_at = $3
                WHERE id = $1
                """, [.text(runID), .int(Int64(written)), .int(PipelineIDs.nowMs)])
        }
    }

    // MARK: Extract

    func extract(_ definition: PipelineDefinition, _ values: [String: Value], into stage: String) async throws {
        let service = self.service
        try await engine.session { session in
            let connector = try service.store.find(session, definition.sourceConnector)
            let reader = try service.reader(connector, session)
            var total: Int?
            if case .table(let table) = definition.source { total = try reader.count(table) }
            try update(session, task: "extracting_data", progress: 0, ", rows_total = $4", [total.map { .int(Int64($0)) } ?? .null])
            var created = false, read = 0
            try reader.read(definition.source, parameters: values, batchRows: definition.batchRows) { columns, rows in
                if !created {
                    try Self.createTable(session, stage, columns.map { ($0.name, $0.type) })
                    created = true
                }
                try Self.insert(session, into: stage, columns: columns.map { ($0.name, $0.type) }, rows: rows)
                read += rows.count
                let progress = total.map { $0 > 0 ? min(50, 50 * read / $0) : 50 } ?? 25
                try update(session, task: "extracting_data", progress: progress, ", rows_read = $4", [.int(Int64(read))])
                return true
            }
            guard created else { throw RESTError(.badRequest, code: "source_empty", "the source returned no columns", field: "source") }
        }
    }

    static func createTable(_ session: Session, _ name: String, _ columns: [(name: String, type: String)]) throws {
        guard !columns.isEmpty else { throw RESTError(.badRequest, code: "source_empty", "the source has no columns", field: "source") }
        let definitions = columns.map { quoteIdentifier($0.name) + " " + storableType($0.type) }
        try session.execute("CREATE TABLE \(quoteIdentifier(name)) (\(definitions.joined(separator: ", ")))")
    }

    /// A type a column may be declared with (a result of unknown type is text).
    static func storableType(_ type: String) -> String { type == "unknown" || type.isEmpty ? "text" : type }

    /// Multi-row INSERTs with one cast parameter a value, bounded by the parameter limit.
    static func insert(_ session: Session, into table: String, columns: [(name: String, type: String)], rows: [[Value]],
                       suffix: String = "") throws {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let perStatement = max(1, min(insertRowsMax, SyntaxLimits.parametersMax / columns.count))
        let names = columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            var parameters: [Value] = [], tuples: [String] = []
            for row in chunk {
                let placeholders = columns.indices.map { index -> String in
                    parameters.append(index < row.count ? row[index] : .null)
                    return "$\(parameters.count)::\(storableType(columns[index].type))"
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            try session.execute("INSERT INTO \(quoteIdentifier(table)) (\(names)) VALUES \(tuples.joined(separator: ", "))\(suffix)", parameters)
            start += chunk.count
        }
    }

    // MARK: Transform

    /// The step's SELECT over `input` (the previous stage) into a new stage table.
    static func transform(_ session: Session, _ sql: String, _ values: [String: Value], from input: String, into output: String) throws {
        let (text, parameters) = try NamedParameters.positional(PipelineSQL.step(sql, input: "SELECT * FROM \(quoteIdentifier(input))"), values)
        let statement = try Parser.parseStatement(text)
        let columns = try session.describe(statement).columns
        try createTable(session, output, columns.map { ($0.name, $0.type.description) })
        try session.execute("INSERT INTO \(quoteIdentifier(output)) \(text)", parameters)
    }

    // MARK: Embed

    func embed(_ stage: String, column: String) async throws -> (columns: [ResultColumn], rows: [[Value]], dimension: Int) {
        guard let embedder = service.embedder else {
            throw RESTError(.badRequest, code: "no_embedder", "this server has no embedder for the embedding step", field: "definition.embedding")
        }
        let result = try await engine.session { session in
            try update(session, task: "embedding", progress: 70)
            return try session.execute("SELECT * FROM \(quoteIdentifier(stage))")
        }
        guard let position = result.columns.firstIndex(where: { $0.name == column }) else {
            throw RESTError.invalid("definition.embedding.column", "the rows have no column \(column)")
        }
        var rows = result.rows
        var start = 0
        while start < rows.count {
            let end = min(start + Self.embedBatchMax, rows.count)
            let texts = rows[start..<end].map { $0[position].text ?? "" }
            let vectors = try await embedder.embed(texts)
            for (offset, vector) in vectors.enumerated() {
                rows[start + offset].append(rows[start + offset][position] == .null ? .null : .vector(vector))
            }
            start = end
        }
        return (result.columns, rows, embedder.dimension)
    }

    // MARK: Load

    /// Writes the final rows to the target (inside the caller's transaction); the number written.
    static func load(_ session: Session, _ definition: PipelineDefinition, from stage: String,
                     embedded: (columns: [ResultColumn], rows: [[Value]], dimension: Int)?) throws -> Int {
        var columns = try session.describe(Parser.parseStatement("SELECT * FROM \(quoteIdentifier(stage))")).columns
            .map { (name: $0.name, type: storableType($0.type.description)) }
        if let embedded, let target = definition.embedTarget { columns.append((target, "vector(\(embedded.dimension))")) }
        try ensureTarget(session, definition, columns)
        let table = quoteIdentifier(definition.targetTable)
        if definition.mode == "replace" { try session.execute("DELETE FROM \(table)") }
        let conflict = upsertClause(definition, columns.map(\.name))
        if let embedded {
            try insert(session, into: definition.targetTable, columns: columns, rows: embedded.rows, suffix: conflict)
            return embedded.rows.count
        }
        let names = columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        return try session.execute("INSERT INTO \(table) (\(names)) SELECT \(names) FROM \(quoteIdentifier(stage))\(conflict)").rowCount
    }

    static func upsertClause(_ definition: PipelineDefinition, _ columns: [String]) -> String {
        guard definition.mode == "upsert" else { return "" }
        let key = definition.key.map(quoteIdentifier).joined(separator: ", ")
        let others = columns.filter { !definition.key.contains($0) }
        guard !others.isEmpty else { return " ON CONFLICT (\(key)) DO NOTHING" }
        return " ON CONFLICT (\(key)) DO UPDATE SET " + others.map { "\(quoteIdentifier($0)) = EXCLUDED.\(quoteIdentifier($0))" }.joined(separator: ", ")
    }

    /// Creates the target when missing (with a unique index on the upsert key), and adds
    /// the columns it lacks.
    static func ensureTarget(_ session: Session, _ definition: PipelineDefinition, _ columns: [(name: String, type: String)]) throws {
        for key in definition.key where !columns.contains(where: { $0.name == key }) {
            throw RESTError.invalid("definition.target.key", "the rows have no column \(key)")
        }
        let table = definition.targetTable
        if let existing = try? session.tableDefinition(table) {
            for column in columns where !existing.columns.contains(where: { $0.name == column.name }) {
                try session.execute("ALTER TABLE \(quoteIdentifier(table)) ADD COLUMN \(quoteIdentifier(column.name)) \(column.type)")
            }
        } else {
            try createTable(session, table, columns)
        }
        if definition.mode == "upsert" {
            try session.execute("CREATE UNIQUE INDEX IF NOT EXISTS \(quoteIdentifier(table + "_pipeline_key")) ON \(quoteIdentifier(table)) (\(definition.key.map(quoteIdentifier).joined(separator: ", ")))")
        }
    }
}
