import VireoQuery
import VireoStorage

/// Seed 002 (PIVOT): training sessions under `/api/v1/training/sessions`, their metrics, and
/// metric history under `/api/v1/metrics`. Every route goes through the training service,
/// whose state is the engine tables of `TrainingSchema`.
enum TrainingRoutes {
    static var all: [RouteDeclaration] { [create, list, retrieve, delete, start, stop, metrics, report, history, sse, webSocket] }

    static let statuses = ["created", "running", "stopped", "completed", "failed"]
    static let listDefault = 50
    static let listMax = 1000
    static let metricsDefault = 1000
    static let metricsMax = 100_000
    static let sessionParameter = ParameterDeclaration("session_id", in: .path, .string(), summary: "the session's id (sess_…)")
    static let timestamp = Schema.nullable(.described(.string(), "ISO 8601, UTC"))

    static let session = Schema.object([
        ("session_id", .string()), ("session_name", .nullable(.string())), ("status", .string(allowed: statuses)),
        ("config_path", .string()), ("config", .map(of: .any)), ("tags", .array(of: .string())), ("created_at", .string()),
        ("started_at", timestamp), ("stopped_at", timestamp), ("completed_at", timestamp), ("current_epoch", .integer()),
        ("total_epochs", .integer()), ("progress", .number), ("latest_metrics", .map(of: .any)),
        ("exit_code", .described(.nullable(.integer()), "the program's exit status; minus the signal that killed it")),
        ("error", .nullable(.string())),
    ], required: ["session_id", "status", "config", "created_at", "current_epoch", "total_epochs", "progress"])

    static let create = RouteDeclaration(
        .post, "/api/v1/training/sessions", summary: "Create a training session from a config file (YAML or JSON) in the configs directory",
        requestBody: .object([
            ("config_path", .described(.string(length: 1...4096), "relative to the server's configs directory (--training-configs)")),
            ("session_name", .nullable(.string(length: 1...256))),
            ("tags", .array(of: .string(length: 1...64), count: 0...32)),
        ], required: ["config_path"]),
        status: .created, response: session
    ) { input, services in
        let training = try services.training
        let tags = stringList(input.field("tags"))
        let record = try await training.create(configPath: input.field("config_path")?.unquotedText ?? "",
                                               name: input.field("session_name")?.unquotedText, tags: tags)
        return RouteOutput(record.json)
    }

    /// The strings of a JSON array (validated by the schema before).
    static func stringList(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap(\.unquotedText)
    }

    static let list = RouteDeclaration(
        .get, "/api/v1/training/sessions", summary: "List training sessions, newest first",
        parameters: [
            ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(listMax)), summary: "sessions at most (default \(listDefault))"),
            ParameterDeclaration("offset", in: .query, .integer(range: 0...Int64(Int32.max)), summary: "sessions to skip"),
            ParameterDeclaration("status", in: .query, .string(allowed: statuses), summary: "only sessions with this status"),
        ],
        response: .object([("sessions", .array(of: session)), ("total", .integer()), ("limit", .integer()), ("offset", .integer())],
                          required: ["sessions", "total", "limit", "offset"])
    ) { input, services in
        let training = try services.training
        let limit = input.query("limit").flatMap { Int($0) } ?? listDefault, offset = input.query("offset").flatMap { Int($0) } ?? 0
        let status = input.query("status")
        let (records, total) = try await training.session { try TrainingSQL.page($0, status: status, limit: limit, offset: offset) }
        return RouteOutput(.fields(("sessions", .array(records.map(\.json))), ("total", .integer(total)), ("limit", .integer(limit)),
                                   ("offset", .integer(offset))))
    }

    static let retrieve = RouteDeclaration(
        .get, "/api/v1/training/sessions/{session_id}", summary: "A session's status, progress and latest metrics",
        parameters: [sessionParameter], response: session
    ) { input, services in
        let id = input.path("session_id")
        return RouteOutput(try await services.training.session { try TrainingSQL.session($0, id) }.json)
    }

    static let delete = RouteDeclaration(
        .delete, "/api/v1/training/sessions/{session_id}", summary: "Delete a session that is not running, with its metrics and files",
        parameters: [sessionParameter],
        response: .object([("message", .string()), ("session_id", .string())], required: ["message", "session_id"])
    ) { input, services in
        let id = input.path("session_id")
        try await services.training.delete(id)
        return RouteOutput(.fields(("message", .string("Training session deleted successfully")), ("session_id", .string(id))))
    }

    static let start = RouteDeclaration(
        .post, "/api/v1/training/sessions/{session_id}/start",
        summary: "Start the session's program (409 when it runs or ran already)", parameters: [sessionParameter],
        response: .object([("session_id", .string()), ("status", .string(allowed: statuses)), ("started_at", timestamp)],
                          required: ["session_id", "status", "started_at"])
    ) { input, services in
        let record = try await services.training.start(input.path("session_id"))
        return RouteOutput(.fields(("session_id", .string(record.id)), ("status", .string(record.status)),
                                   ("started_at", JSONValue(record.startedAt))))
    }

    static let stop = RouteDeclaration(
        .post, "/api/v1/training/sessions/{session_id}/stop",
        summary: "Stop a running session: SIGTERM to its process group, SIGKILL after the grace period", parameters: [sessionParameter],
        response: .object([("session_id", .string()), ("status", .string(allowed: statuses)), ("stopped_at", timestamp)],
                          required: ["session_id", "status", "stopped_at"])
    ) { input, services in
        let record = try await services.training.stop(input.path("session_id"))
        return RouteOutput(.fields(("session_id", .string(record.id)), ("status", .string(record.status)),
                                   ("stopped_at", JSONValue(record.stoppedAt))))
    }

    static let metricsEntry = Schema.described(.map(of: .any), "epoch, timestamp and the values the program reported")

    static let metrics = RouteDeclaration(
        .get, "/api/v1/training/sessions/{session_id}/metrics", summary: "The session's reports, one an epoch, oldest first",
        parameters: [
            sessionParameter,
            ParameterDeclaration("metric_name", in: .query, .string(length: 1...MetricReport.nameCharactersMax), summary: "only this metric"),
            ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(metricsMax)), summary: "the latest reports at most (default \(metricsDefault))"),
        ],
        response: .object([("session_id", .string()), ("metrics", .array(of: metricsEntry))], required: ["session_id", "metrics"])
    ) { input, services in
        let id = input.path("session_id"), name = input.query("metric_name")
        let limit = input.query("limit").flatMap { Int($0) } ?? metricsDefault
        let reports = try await services.training.session { session in
            _ = try TrainingSQL.session(session, id)
            return try TrainingSQL.reports(session, sessionID: id, limit: limit)
        }
        let entries = reports.map { $0.json(only: name) }.filter { name == nil || $0.member(name ?? "") != nil }
        return RouteOutput(.fields(("session_id", .string(id)), ("metrics", .array(entries))))
    }

    static let report = RouteDeclaration(
        .post, "/api/v1/training/sessions/{session_id}/metrics",
        summary: "Report an epoch's metrics (what a program may do instead of printing a VIREO_METRICS line)",
        parameters: [sessionParameter],
        requestBody: .described(.map(of: .any), "{\"epoch\": N, name: number, …}"), status: .created, response: metricsEntry
    ) { input, services in
        let report = try MetricReport(input.body ?? .null)
        return RouteOutput(try await services.training.record(input.path("session_id"), report).json())
    }

    static let history = RouteDeclaration(
        .get, "/api/v1/metrics/{session_id}/history", summary: "One metric's values by epoch",
        parameters: [
            sessionParameter,
            ParameterDeclaration("metric_name", in: .query, .string(length: 1...MetricReport.nameCharactersMax), required: true,
                                 summary: "the metric"),
            ParameterDeclaration("start_epoch", in: .query, .integer(range: 0...TrainingConfig.epochsMax), summary: "first epoch (default 0)"),
            ParameterDeclaration("end_epoch", in: .query, .integer(range: 0...TrainingConfig.epochsMax), summary: "last epoch (default: all)"),
        ],
        response: .object([("session_id", .string()), ("metric_name", .string()), ("values", .array(of: .number)),
                           ("epochs", .array(of: .integer())), ("timestamps", .array(of: .string()))],
                          required: ["metric_name", "values", "epochs", "timestamps"])
    ) { input, services in
        let id = input.path("session_id"), name = input.query("metric_name") ?? ""
        let first = input.query("start_epoch").flatMap { Int64($0) } ?? 0
        let last = input.query("end_epoch").flatMap { Int64($0) } ?? TrainingConfig.epochsMax
        guard first <= last else { throw RESTError.invalid("end_epoch", "must not be below start_epoch") }
        let points = try await services.training.session { session in
            _ = try TrainingSQL.session(session, id)
            return try TrainingSQL.history(session, sessionID: id, name: name, epochs: first...last)
        }
        return RouteOutput(.fields(("session_id", .string(id)), ("metric_name", .string(name)), ("values", .array(points.map { .number($0.1) })),
                                   ("epochs", .array(points.map { .number(Double($0.0)) })), ("timestamps", .array(points.map { JSONValue($0.2) }))))
    }
}

/// Seed 002's surface.
public enum TrainingSurface {
    public static var routes: [RouteDeclaration] { TrainingRoutes.all + CheckpointRoutes.all + MonitorRoutes.all }
}
