import Foundation
import VireoQuery
import VireoStorage

/// Pipelines and runs as rows and as JSON.
enum PipelineRecords {
    static let pipelineColumns = "id, name, description, definition, code, created_at, updated_at, environment, schedule, timezone, deployed_at, next_run_at"
    static let runColumns = """
        id, pipeline_id, status, trigger, params, current_task, rows_read, rows_written, rows_total, progress, error, scheduled_for,
        created_at, started_at, finished_at
        """

    static func pipeline(_ row: [Value]) -> JSONValue {
        let definition = row.json(3)
        let deployment: JSONValue = row.text(8) == nil ? .null : .fields(
            ("environment", row.text(7).map(JSONValue.string) ?? .null), ("schedule", .string(row.text(8) ?? "")),
            ("timezone", .string(row.text(9) ?? "UTC")), ("deployed_at", PipelineIDs.iso(row.int(10))),
            ("next_run_at", PipelineIDs.iso(row.int(11), milliseconds: true)))
        return .fields(("id", .string(row.text(0) ?? "")), ("pipeline_id", .string(row.text(0) ?? "")), ("name", .string(row.text(1) ?? "")),
                       ("description", row.text(2).map(JSONValue.string) ?? .null), ("definition", definition),
                       ("code", .string(row.text(4) ?? "")), ("dag_definition", dag((try? PipelineDefinition(definition)))),
                       ("deployment", deployment), ("created_at", PipelineIDs.iso(row.int(5))), ("updated_at", PipelineIDs.iso(row.int(6))))
    }

    static func run(_ row: [Value]) -> JSONValue {
        let started = row.int(13), finished = row.int(14)
        let duration: JSONValue = if let started, let finished { .integer(Int(finished - started)) } else { .null }
        return .fields(
            ("id", .string(row.text(0) ?? "")), ("run_id", .string(row.text(0) ?? "")), ("pipeline_id", .string(row.text(1) ?? "")),
            ("status", .string(row.text(2) ?? "")), ("trigger", .string(row.text(3) ?? "")), ("params", row.json(4)),
            ("current_task", row.text(5).map(JSONValue.string) ?? .null), ("rows_read", .integer(Int(row.int(6) ?? 0))),
            ("rows_written", .integer(Int(row.int(7) ?? 0))), ("rows_total", row.int(8).map { .integer(Int($0)) } ?? .null),
            ("progress", .integer(Int(row.int(9) ?? 0))), ("error", row.text(10).map(JSONValue.string) ?? .null),
            ("scheduled_for", PipelineIDs.iso(row.int(11), milliseconds: true)), ("created_at", PipelineIDs.iso(row.int(12), milliseconds: true)),
            ("started_at", PipelineIDs.iso(started, milliseconds: true)), ("finished_at", PipelineIDs.iso(finished, milliseconds: true)),
            ("duration_ms", duration))
    }

    static func findPipeline(_ session: Session, _ id: String) throws -> [Value] {
        guard let row = try session.execute("SELECT \(pipelineColumns) FROM \(PipelineSchema.pipelines) WHERE id = $1", [.text(id)]).rows.first else {
            throw RESTError.notFound("no pipeline \(id)", field: "pipeline_id")
        }
        return row
    }

    static func findRun(_ session: Session, _ id: String) throws -> [Value] {
        guard let row = try session.execute("SELECT \(runColumns) FROM \(PipelineSchema.runs) WHERE id = $1", [.text(id)]).rows.first else {
            throw RESTError.notFound("no run \(id)", field: "run_id")
        }
        return row
    }

    /// The tasks of a run in order, each depending on the one before.
    static func dag(_ definition: PipelineDefinition?) -> JSONValue {
        guard let definition else { return .null }
        var tasks: [(String, String)] = [("extract", "extract")]
        tasks += definition.transforms.map { ("transform:" + $0.name, "transform") }
        if definition.embedColumn != nil { tasks.append(("embed", "embed")) }
        tasks.append(("load", "load"))
        let items: [JSONValue] = tasks.enumerated().map { index, task in
            .fields(("id", .string(task.0)), ("type", .string(task.1)),
                    ("depends_on", .array(index == 0 ? [] : [.string(tasks[index - 1].0)])))
        }
        return .fields(("tasks", .array(items)))
    }

    /// The pipeline as a readable script: the SQL Vireo runs, in order, with what each step does.
    static func code(_ definition: PipelineDefinition, name: String, source: StoredConnector) -> String {
        var lines = ["-- pipeline \(name), run by Vireo; :name placeholders are run parameters"]
        let origin = source.setting("path")?.unquotedText.map { " (\($0))" } ?? ""
        switch definition.source {
        case .table(let table): lines.append("-- 1. extract: \(source.type) connector \(source.id)\(origin), table \(table), \(definition.batchRows) rows a batch, into staging table input")
        case .query(let query): lines += ["-- 1. extract: \(source.type) connector \(source.id)\(origin), \(definition.batchRows) rows a batch, into staging table input:", query + ";"]
        }
        for (index, step) in definition.transforms.enumerated() {
            lines += ["-- \(index + 2). transform \(step.name) (reads input, the previous step's rows):", step.sql.trimmingCharacters(in: .whitespacesAndNewlines) + ";"]
        }
        if let column = definition.embedColumn {
            lines.append("-- embed: \(column) → \(definition.embedTarget ?? column + "_embedding") with the server's embedder")
        }
        let target = quoteIdentifier(definition.targetTable)
        lines.append("-- load: \(definition.mode) into \(definition.targetTable), in one transaction")
        switch definition.mode {
        case "replace": lines += ["DELETE FROM \(target);", "INSERT INTO \(target) SELECT * FROM input;"]
        case "upsert":
            let key = definition.key.map(quoteIdentifier).joined(separator: ", ")
            lines.append("INSERT INTO \(target) SELECT * FROM input ON CONFLICT (\(key)) DO UPDATE SET …;")
        default: lines.append("INSERT INTO \(target) SELECT * FROM input;")
        }
        return lines.joined(separator: "\n")
    }
}

/// The checks made when a pipeline is saved: the source is reachable and has the table, and
/// every SQL step binds against the columns it will get (run inside a transaction that is
/// rolled back, so nothing stays).
enum PipelineValidation {
    static func validate(_ session: Session, _ service: PipelineService, _ definition: PipelineDefinition) throws -> [String] {
        let source = try service.store.find(session, definition.sourceConnector, field: "definition.source.connector_id")
        let reader = try service.reader(source, session)
        try reader.test()
        var warnings: [String] = []
        guard case .table(let tableName) = definition.source else {
            warnings.append("the source is a query: its columns, and the steps over them, are checked when it runs")
            return warnings
        }
        guard let table = try reader.tables().first(where: { $0.name == tableName }) else {
            throw RESTError.invalid("definition.source.table", "connector \(source.id) has no table \(tableName)")
        }
        try session.execute("BEGIN")
        defer { _ = try? session.execute("ROLLBACK") }
        let prefix = "vireo_stage_validate_" + PipelineIDs.make("v").dropFirst(2) + "_"
        try PipelineRunner.createTable(session, prefix + "0", table.columns.map { ($0.name, $0.type) })
        let values = definition.values(nil)
        for (index, step) in definition.transforms.enumerated() {
            do {
                let text = try NamedParameters.positional(PipelineSQL.step(step.sql, input: "SELECT * FROM \(quoteIdentifier(prefix + String(index)))"),
                                                          values, requireAll: false).sql
                let columns = try session.describe(Parser.parseStatement(text)).columns
                try PipelineRunner.createTable(session, prefix + String(index + 1), columns.map { ($0.name, $0.type.description) })
            } catch let error as VireoError {
                var failure = RESTError.invalid("definition.transforms[\(index)].sql", error.message)
                failure.sqlState = error.sqlState
                throw failure
            }
        }
        let final = try session.tableDefinition(prefix + String(definition.transforms.count)).columns.map(\.name)
        if let column = definition.embedColumn, !final.contains(column) {
            throw RESTError.invalid("definition.embedding.column", "the rows have no column \(column); they have \(final.joined(separator: ", "))")
        }
        for key in definition.key where !final.contains(key) {
            throw RESTError.invalid("definition.target.key", "the rows have no column \(key); they have \(final.joined(separator: ", "))")
        }
        if definition.embedColumn != nil, service.embedder == nil { warnings.append("this server has no embedder: the embedding step will fail") }
        return warnings
    }
}
