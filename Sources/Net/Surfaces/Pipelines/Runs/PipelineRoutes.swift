import Foundation
import Hummingbird
import VireoQuery
import VireoStorage

/// Pipelines: create (validated), generate from a description, list, get, delete, deploy on
/// a schedule, run (queued or waited for), status, and runs.
enum PipelineRoutes {
    static var all: [RouteDeclaration] { [generate, list, create, deploy, undeploy, run, status, runs, getRun, get, delete] }

    static let idParameter = ParameterDeclaration("id", in: .path, .string(length: 1...64), summary: "pipeline id")
    static let pipeline = Schema.object([
        ("id", .string()), ("pipeline_id", .string()), ("name", .string()), ("description", .nullable(.string())),
        ("definition", .any), ("code", .string()), ("dag_definition", .any), ("deployment", .any),
        ("created_at", .string()), ("updated_at", .string()), ("validation", .any), ("suggested_schedule", .nullable(.string())),
    ])
    static let runSchema = Schema.object([
        ("id", .string()), ("run_id", .string()), ("pipeline_id", .string()), ("status", .string()), ("trigger", .string()),
        ("params", .any), ("current_task", .nullable(.string())), ("rows_read", .integer()), ("rows_written", .integer()),
        ("rows_total", .nullable(.integer())), ("progress", .integer()), ("error", .nullable(.string())),
        ("scheduled_for", .nullable(.string())), ("created_at", .string()), ("started_at", .nullable(.string())),
        ("finished_at", .nullable(.string())), ("duration_ms", .nullable(.integer())),
    ])

    static let create = RouteDeclaration.etl(
        .post, "/api/v1/pipelines", summary: "Save a pipeline from its definition; it is validated first (422 naming the field at fault)",
        requestBody: .object([("name", .string(length: 1...200)), ("description", .string(length: 0...2000)),
                              ("definition", PipelineDefinition.schema)], required: ["name", "definition"]),
        status: .created, response: pipeline
    ) { input, session, service in
        try input.require(.editor)
        let definitionJSON = input.field("definition") ?? .null
        let definition = try PipelineDefinition(definitionJSON)
        let warnings = try PipelineValidation.validate(session, service, definition)
        let name = input.field("name")?.unquotedText ?? ""
        return RouteOutput(try save(session, service, name: name, description: input.field("description")?.unquotedText,
                                    definition: definition, json: definitionJSON, warnings: warnings))
    }

    /// Inserts the pipeline and answers it with its validation.
    static func save(_ session: Session, _ service: PipelineService, name: String, description: String?, definition: PipelineDefinition,
                     json: JSONValue, warnings: [String], suggestedSchedule: String? = nil) throws -> JSONValue {
        let id = PipelineIDs.make("pipe")
        let source = try service.store.find(session, definition.sourceConnector)
        let code = PipelineRecords.code(definition, name: name, source: source)
        let now = PipelineIDs.nowSeconds
        try session.execute("""
            INSERT INTO \(PipelineSchema.pipelines) (id, name, description, definition, code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
            """, [.text(id), .text(name), description.map(Value.text) ?? .null, .json(json.text), .text(code), .int(now)])
        guard case .object(var fields) = PipelineRecords.pipeline(try PipelineRecords.findPipeline(session, id)) else { return .null }
        fields.append(("validation", .fields(("status", .string("passed")), ("warnings", .array(warnings.map(JSONValue.string))))))
        fields.append(("suggested_schedule", suggestedSchedule.map(JSONValue.string) ?? .null))
        return .object(fields)
    }

    static let generate = RouteDeclaration.etl(
        .post, "/api/v1/pipelines:generate",
        summary: "Turn a description into a pipeline (rule-based: source, table, filter, embedding, target, write mode and schedule from its words)",
        requestBody: .object([("description", .string(length: 1...2000)), ("project_id", .string(length: 0...200)), ("name", .string(length: 1...200)),
                              ("options", .object([("optimize", .boolean), ("validate", .boolean)]))], required: ["description"]),
        status: .created, response: pipeline
    ) { input, session, service in
        try input.require(.editor)
        let description = input.field("description")?.unquotedText ?? ""
        let generated = try PipelineGenerator.generate(description, session: session, service: service)
        let definition = try PipelineDefinition(generated.definition)
        let warnings = try PipelineValidation.validate(session, service, definition) + generated.notes
        return RouteOutput(try save(session, service, name: input.field("name")?.unquotedText ?? generated.name, description: description,
                                    definition: definition, json: generated.definition, warnings: warnings, suggestedSchedule: generated.schedule))
    }

    static let list = RouteDeclaration(
        .get, "/api/v1/pipelines", summary: "List pipelines, oldest first", parameters: Pagination.parameters,
        response: .object([("pipelines", .array(of: pipeline)), ("total", .integer()), ("page", .integer()), ("per_page", .integer())])
    ) { input, session in
        try input.require(.viewer)
        let page = Pagination(input)
        let total = try Pagination.count(session, "SELECT count(*) FROM \(PipelineSchema.pipelines)")
        let rows = try session.execute("SELECT \(PipelineRecords.pipelineColumns) FROM \(PipelineSchema.pipelines) ORDER BY seq" + page.sqlClause).rows
        return page.output(rows.map(PipelineRecords.pipeline), key: "pipelines", total: total, path: "/api/v1/pipelines", query: input.query)
    }

    static let get = RouteDeclaration(
        .get, "/api/v1/pipelines/{id}", summary: "One pipeline", parameters: [idParameter], response: pipeline
    ) { input, session in
        try input.require(.viewer)
        return RouteOutput(PipelineRecords.pipeline(try PipelineRecords.findPipeline(session, input.path("id"))))
    }

    static let delete = RouteDeclaration(
        .delete, "/api/v1/pipelines/{id}", summary: "Delete a pipeline and its runs", parameters: [idParameter],
        response: .object([("id", .string()), ("deleted", .boolean)])
    ) { input, session in
        try input.require(.editor)
        let id = input.path("id")
        let deleted = try TableSQL.transaction(session) { () throws -> Int in
            try session.execute("DELETE FROM \(PipelineSchema.runs) WHERE pipeline_id = $1 AND status <> 'running'", [.text(id)])
            return try session.execute("DELETE FROM \(PipelineSchema.pipelines) WHERE id = $1", [.text(id)]).rowCount
        }
        guard deleted == 1 else { throw RESTError.notFound("no pipeline \(id)", field: "id") }
        return RouteOutput(.fields(("id", .string(id)), ("deleted", .bool(true))))
    }

    static let deploy = RouteDeclaration(
        .post, "/api/v1/pipelines/{id}:deploy", summary: "Attach a 5-field cron schedule (in a time zone) to an environment; the server's scheduler fires it",
        parameters: [idParameter],
        requestBody: .object([("environment", .string(length: 1...64)), ("schedule", .described(.string(length: 9...200), "5-field cron (minute hour day month weekday), or 6 with seconds first")),
                              ("timezone", .string(length: 1...64))], required: ["schedule"]),
        response: pipeline
    ) { input, session in
        try input.require(.editor)
        let id = input.path("id")
        _ = try PipelineRecords.findPipeline(session, id)
        let text = input.field("schedule")?.unquotedText ?? "", zone = input.field("timezone")?.unquotedText ?? "UTC"
        let schedule = try CronSchedule(text, timeZone: zone)
        guard let next = schedule.next(after: Date()) else { throw RESTError.invalid("schedule", "this schedule never fires") }
        try session.execute("""
            UPDATE \(PipelineSchema.pipelines) SET environment = $2, schedule = $3, timezone = $4, deployed_at = $5, next_run_at = $6, updated_at = $5
            WHERE id = $1
            """, [.text(id), .text(input.field("environment")?.unquotedText ?? "production"), .text(text), .text(zone),
                  .int(PipelineIDs.nowSeconds), .int(Int64(next.timeIntervalSince1970 * 1000))])
        return RouteOutput(PipelineRecords.pipeline(try PipelineRecords.findPipeline(session, id)))
    }

    static let undeploy = RouteDeclaration(
        .post, "/api/v1/pipelines/{id}:undeploy", summary: "Remove a pipeline's schedule", parameters: [idParameter], response: pipeline
    ) { input, session in
        try input.require(.editor)
        let id = input.path("id")
        _ = try PipelineRecords.findPipeline(session, id)
        try session.execute("""
            UPDATE \(PipelineSchema.pipelines) SET environment = NULL, schedule = NULL, timezone = NULL, deployed_at = NULL, next_run_at = NULL
            WHERE id = $1
            """, [.text(id)])
        return RouteOutput(PipelineRecords.pipeline(try PipelineRecords.findPipeline(session, id)))
    }

    static let run = RouteDeclaration(
        .post, "/api/v1/pipelines/{id}:run", summary: "Run now with parameters: queued (async, 202) or waited for (200 with the finished run)",
        parameters: [idParameter],
        requestBody: .object([("params", .map(of: .any, count: 0...64)), ("async", .boolean)]),
        status: .accepted, response: runSchema, otherStatuses: [.ok]
    ) { input, services in
        try input.require(.editor)
        let service = try services.pipelines
        let id = input.path("id"), runID = PipelineIDs.make("run")
        let waits: Bool = if case .bool(false)? = input.field("async") { true } else { false }
        let params = input.field("params") ?? .object([])
        try await services.session { session in
            _ = try PipelineRecords.findPipeline(session, id)
            try session.execute("""
                INSERT INTO \(PipelineSchema.runs) (id, pipeline_id, status, trigger, params, rows_read, rows_written, progress, created_at, started_at)
                VALUES ($1, $2, $3, 'manual', $4, 0, 0, 0, $5, $6)
                """, [.text(runID), .text(id), .text(waits ? "running" : "queued"), .json(params.text), .int(PipelineIDs.nowMs),
                      waits ? .int(PipelineIDs.nowMs) : .null])
        }
        if waits {
            await PipelineRunner(service: service, runID: runID).execute()
        } else {
            service.wake()
        }
        let row = try await services.session { try PipelineRecords.findRun($0, runID) }
        return RouteOutput(PipelineRecords.run(row), status: waits ? .ok : .accepted)
    }

    static let status = RouteDeclaration(
        .get, "/api/v1/pipelines/{id}/status", summary: "The latest run's status, task, progress and estimated completion",
        parameters: [idParameter],
        response: .object([("pipeline_id", .string()), ("run_id", .nullable(.string())), ("status", .string()),
                           ("current_task", .nullable(.string())), ("progress", .integer()), ("started_at", .nullable(.string())),
                           ("finished_at", .nullable(.string())), ("estimated_completion", .nullable(.string())), ("error", .nullable(.string())),
                           ("rows_read", .integer()), ("rows_written", .integer())])
    ) { input, session in
        try input.require(.viewer)
        let id = input.path("id")
        _ = try PipelineRecords.findPipeline(session, id)
        let rows = try session.execute("SELECT \(PipelineRecords.runColumns) FROM \(PipelineSchema.runs) WHERE pipeline_id = $1 ORDER BY seq DESC LIMIT 1",
                                       [.text(id)]).rows
        guard let row = rows.first else {
            return RouteOutput(.fields(("pipeline_id", .string(id)), ("run_id", .null), ("status", .string("never_run")), ("current_task", .null),
                                       ("progress", .integer(0)), ("started_at", .null), ("finished_at", .null), ("estimated_completion", .null),
                                       ("error", .null), ("rows_read", .integer(0)), ("rows_written", .integer(0))))
        }
        let progress = Int(row.int(9) ?? 0)
        var estimate: JSONValue = .null
        if row.text(2) == "running", let started = row.int(13), progress > 0 {
            let elapsed = PipelineIDs.nowMs - started
            estimate = PipelineIDs.iso(started + elapsed * 100 / Int64(progress), milliseconds: true)
        }
        return RouteOutput(.fields(("pipeline_id", .string(id)), ("run_id", .string(row.text(0) ?? "")), ("status", .string(row.text(2) ?? "")),
                                   ("current_task", row.text(5).map(JSONValue.string) ?? .null), ("progress", .integer(progress)),
                                   ("started_at", PipelineIDs.iso(row.int(13), milliseconds: true)),
                                   ("finished_at", PipelineIDs.iso(row.int(14), milliseconds: true)), ("estimated_completion", estimate),
                                   ("error", row.text(10).map(JSONValue.string) ?? .null), ("rows_read", .integer(Int(row.int(6) ?? 0))),
                                   ("rows_written", .integer(Int(row.int(7) ?? 0)))))
    }

    static let runs = RouteDeclaration(
        .get, "/api/v1/pipelines/{id}/runs", summary: "A pipeline's runs, newest first",
        parameters: [idParameter] + Pagination.parameters + [ParameterDeclaration("status", in: .query, .string(allowed: ["queued", "running", "succeeded", "failed"]))],
        response: .object([("runs", .array(of: runSchema)), ("total", .integer()), ("page", .integer()), ("per_page", .integer())])
    ) { input, session in
        try input.require(.viewer)
        let id = input.path("id")
        _ = try PipelineRecords.findPipeline(session, id)
        let page = Pagination(input)
        var filter = " WHERE pipeline_id = $1", parameters: [Value] = [.text(id)]
        if let status = input.query("status") { filter += " AND status = $2"; parameters.append(.text(status)) }
        let total = try Pagination.count(session, "SELECT count(*) FROM \(PipelineSchema.runs)" + filter, parameters)
        let rows = try session.execute("SELECT \(PipelineRecords.runColumns) FROM \(PipelineSchema.runs)\(filter) ORDER BY seq DESC" + page.sqlClause,
                                       parameters).rows
        return page.output(rows.map(PipelineRecords.run), key: "runs", total: total, path: "/api/v1/pipelines/\(id)/runs", query: input.query)
    }

    static let getRun = RouteDeclaration(
        .get, "/api/v1/pipelines/{id}/runs/{run_id}", summary: "One run",
        parameters: [idParameter, ParameterDeclaration("run_id", in: .path, .string(length: 1...64))], response: runSchema
    ) { input, session in
        try input.require(.viewer)
        let row = try PipelineRecords.findRun(session, input.path("run_id"))
        guard row.text(1) == input.path("id") else { throw RESTError.notFound("no run \(input.path("run_id")) of this pipeline", field: "run_id") }
        return RouteOutput(PipelineRecords.run(row))
    }
}
