import Foundation
import VireoQuery
import VireoStorage

/// Seed 003's frontend routes: dashboard, health, jobs, nodes and logs. Each answer is read
/// in one transaction by a fixed number of statements (never one a row).
enum JobsFrontendRoutes {
    static var all: [RouteDeclaration] { [dashboard, health, jobs, job, deleteJob, restart, cancel, nodes, JobLogSearchRoute.route, logs] }

    static let recentJobsCount = 10
    static let jobsLimitDefault = 50
    static let logsLimitDefault = 1000
    static let limitMax: Int64 = 10_000
    static let jobParameter = ParameterDeclaration("job_id", in: .path, .string(length: 1...128), summary: "the job")

    // MARK: Dashboard and health

    static let stats = Schema.object(JobStatus.all.map { ($0, Schema.integer()) } + [("total", .integer())],
                                     required: JobStatus.all + ["total"])

    static let dashboard = RouteDeclaration(
        .get, "/api/frontend/dashboard", summary: "Job counts by status, active nodes and the newest jobs",
        response: .object([("jobStats", stats), ("activeNodes", .integer()), ("recentJobs", .array(of: JobShapes.job)), ("timestamp", .integer())],
                          required: ["jobStats", "activeNodes", "recentJobs", "timestamp"])
    ) { input, services in
        let jobs = services.jobs, inactiveMs = jobs.configuration.nodeInactiveAfterMs
        let (counts, active, recent) = try await jobs.session { session in
            try TableSQL.transaction(session) {
                let (counts, active) = try statusCounts(session, inactiveMs: inactiveMs)
                let recent = try session.execute("SELECT \(JobRecord.columns) FROM \(JobsSchema.jobs) ORDER BY seq DESC LIMIT \(recentJobsCount)")
                    .rows.map(JobRecord.init)
                return (counts, active, recent)
            }
        }
        return RouteOutput(.fields(("jobStats", statsJSON(counts)), ("activeNodes", .integer(active)),
                                   ("recentJobs", .array(recent.map(JobShapes.json))), ("timestamp", .integer(Int(Date().timeIntervalSince1970)))))
    }

    /// Jobs by status and active nodes, in one statement.
    private static let statusCountColumns = JobStatus.all.map { "count(*) FILTER (WHERE status = '\($0)')" }.joined(separator: ", ")

    static func statusCounts(_ session: Session, inactiveMs: Int) throws -> ([String: Int], Int) {
        let row = try session.execute("""
            SELECT \(statusCountColumns), (SELECT count(*) FROM \(JobsSchema.nodes) WHERE last_seen >= $1) FROM \(JobsSchema.jobs)
            """, [.int(JobClock.nowMs() - Int64(inactiveMs))]).rows.first ?? []
        var counts: [String: Int] = [:]
        for (index, status) in JobStatus.all.enumerated() {
            if index < row.count, case .int(let count) = row[index] { counts[status] = Int(count) }
        }
        let active: Int = if let last = row.last, case .int(let count) = last { Int(count) } else { 0 }
        return (counts, active)
    }

    static func statsJSON(_ counts: [String: Int]) -> JSONValue {
        .object(JobStatus.all.map { ($0, .integer(counts[$0] ?? 0)) } + [("total", .integer(counts.values.reduce(0, +)))])
    }

    static let health = RouteDeclaration(
        .get, "/api/frontend/system/health", summary: "Whether the database answers, active nodes and the queue",
        response: .object([
            ("status", .string()), ("database", .string()), ("activeNodes", .integer()),
            ("jobQueue", .object([("pending", .integer()), ("running", .integer()), ("completed", .integer()), ("failed", .integer())],
                                 required: ["pending", "running", "completed", "failed"])),
            ("timestamp", .integer()),
        ], required: ["status", "database", "activeNodes", "jobQueue", "timestamp"])
    ) { input, services in
        let jobs = services.jobs, inactiveMs = jobs.configuration.nodeInactiveAfterMs
        let (counts, active) = try await jobs.session { try statusCounts($0, inactiveMs: inactiveMs) }
        let queue = JSONValue.fields(("pending", .integer(counts[JobStatus.pending] ?? 0)),
                                     ("running", .integer((counts[JobStatus.assigned] ?? 0) + (counts[JobStatus.running] ?? 0))),
                                     ("completed", .integer(counts[JobStatus.finished] ?? 0)), ("failed", .integer(counts[JobStatus.failed] ?? 0)))
        return RouteOutput(.fields(("status", .string("healthy")), ("database", .string("healthy")), ("activeNodes", .integer(active)),
                                   ("jobQueue", queue), ("timestamp", .integer(Int(Date().timeIntervalSince1970)))))
    }

    // MARK: Jobs

    static let jobs = RouteDeclaration(
        .get, "/api/frontend/jobs", summary: "Jobs, newest first, by status and node",
        parameters: [
            ParameterDeclaration("status", in: .query, .string(allowed: JobStatus.all), summary: "only jobs in this state"),
            ParameterDeclaration("nodeId", in: .query, .string(length: 1...128), summary: "only jobs assigned to this node"),
            ParameterDeclaration("limit", in: .query, .integer(range: 1...limitMax), summary: "jobs to return (default \(jobsLimitDefault))"),
            ParameterDeclaration("offset", in: .query, .integer(range: 0...Int64(Int32.max)), summary: "jobs to skip"),
        ],
        response: .object([("jobs", .array(of: JobShapes.job)), ("count", .integer())], required: ["jobs", "count"])
    ) { input, services in
        var conditions: [String] = [], parameters: [Value] = []
        for (column, name) in [("status", "status"), ("assigned_node", "nodeId")] {
            guard let value = input.query(name) else { continue }
            parameters.append(.text(value))
            conditions.append("\(column) = $\(parameters.count)")
        }
        let limit = input.query("limit").flatMap { Int($0) } ?? jobsLimitDefault
        let offset = input.query("offset").flatMap { Int($0) } ?? 0
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(JobRecord.columns) FROM \(JobsSchema.jobs)\(whereClause) ORDER BY seq DESC LIMIT \(limit) OFFSET \(offset)"
        let parametersFinal = parameters
        let records = try await services.jobs.session { try $0.execute(sql, parametersFinal).rows.map(JobRecord.init) }
        return RouteOutput(.fields(("jobs", .array(records.map(JobShapes.json))), ("count", .integer(records.count))))
    }

    static let scriptSummary = Schema.nullable(.object([("entrypoint", .string()), ("scriptHash", .string()), ("requirements", .nullable(.string())),
                                                        ("outputFile", .nullable(.string()))], required: ["entrypoint", "scriptHash"]))

    static let job = RouteDeclaration(
        .get, "/api/frontend/jobs/{job_id}", summary: "One job with its logs (the last 1000 lines) and provenance",
        parameters: [jobParameter],
        response: .object(jobDetailProperties, required: ["jobId", "status", "logs", "provenance"])
    ) { input, services in
        let jobID = input.path("job_id")
        let (record, lines, events, script, usage) = try await services.jobs.session { session in
            try TableSQL.transaction(session) {
                let record = try JobQueue.job(session, jobID)
                let lines = try JobLogs.tail(session, jobID: jobID, limit: logsLimitDefault)
                let events = try session.execute("""
                    SELECT event, node_id, attempt, at, detail FROM \(JobsSchema.events) WHERE job_id = $1 ORDER BY id
                    """, [.text(jobID)]).rows
                let usage = try session.execute("""
                    SELECT node_id, at, report FROM \(JobsSchema.usage) WHERE job_id = $1 ORDER BY id DESC LIMIT \(usageReportsCount)
                    """, [.text(jobID)]).rows
                return (record, lines, events, try JobQueue.script(session, jobID: jobID), Array(usage.reversed()))
            }
        }
        guard case .object(var fields) = JobShapes.json(record) else { preconditionFailure("a job renders as an object") }
        fields.append(("logs", .array(lines.map(JobLogs.json))))
        fields.append(("provenance", .array(events.map(eventJSON))))
        fields.append(("usage", .array(usage.map(usageJSON))))
        fields.append(("script", script.map { .fields(("entrypoint", .string($0.entrypoint)), ("scriptHash", .string($0.sha256)),
                                                      ("requirements", JobShapes.string($0.requirements)), ("outputFile", JobShapes.string($0.outputFile))) } ?? .null))
        return RouteOutput(.object(fields))
    }

    static var jobDetailProperties: [(String, Schema)] {
        guard case .object(let properties, _) = JobShapes.job else { return [] }
        return properties + [("logs", .array(of: JobShapes.logLine)), ("provenance", .array(of: JobShapes.event)), ("script", scriptSummary),
                             ("usage", .array(of: usageReport))]
    }

    /// The job's latest usage reports a detail shows (one per attempt from `vireo agent`).
    static let usageReportsCount = 20
    static let usageReport = Schema.object([
        ("nodeId", .string()), ("timestamp", .integer()), ("attempt", .integer()), ("cpuSeconds", .number), ("peakMemoryMB", .number),
        ("cpuUsage", .number), ("ramUsage", .number), ("gpuUsage", .number), ("ramUsedGB", .number), ("gpuMemoryUsedGB", .number),
        ("extra", .map(of: .any, count: 0...64)),
    ], required: ["nodeId", "timestamp"])

    /// A usage row as the report the node sent, with who sent it and when.
    static func usageJSON(_ row: [Value]) -> JSONValue {
        var cells = RowCells(row)
        let node = cells.text() ?? "", at = cells.int()
        guard case .object(let report) = cells.json() else { return .fields(("nodeId", .string(node)), ("timestamp", JobShapes.seconds(at))) }
        return .object([("nodeId", .string(node)), ("timestamp", JobShapes.seconds(at))] + report.filter { $0.0 != "jobId" })
    }

    static func eventJSON(_ row: [Value]) -> JSONValue {
        var cells = RowCells(row)
        return .fields(("event", .string(cells.text() ?? "")), ("nodeId", JobShapes.string(cells.text())),
                       ("attempt", cells.int().map { .number(Double($0)) } ?? .null), ("timestamp", JobShapes.seconds(cells.int())),
                       ("detail", cells.json()))
    }

    static let deleteJob = RouteDeclaration(
        .delete, "/api/frontend/jobs/{job_id}", summary: "Delete a job with its script, logs and provenance", parameters: [jobParameter],
        response: .object([("message", .string()), ("jobId", .string())], required: ["message", "jobId"])
    ) { input, services in
        let jobID = input.path("job_id")
        try await services.jobs.changing { try JobQueue.delete($0, jobID: jobID) }
        return RouteOutput(.fields(("message", .string("Job \(jobID) deleted")), ("jobId", .string(jobID))))
    }

    static let restart = RouteDeclaration(
        .post, "/api/frontend/jobs/{job_id}/restart", summary: "Put a finished, failed or cancelled job back to pending, its history kept",
        parameters: [jobParameter], response: JobShapes.job
    ) { input, services in
        let jobID = input.path("job_id")
        let record = try await services.jobs.changing { try JobQueue.restart($0, jobID: jobID) }
        services.jobs.work.notify()
        return RouteOutput(JobShapes.json(record))
    }

    static let cancel = RouteDeclaration(
        .post, "/api/frontend/jobs/{job_id}/cancel", summary: "Cancel a job that has not ended; its node stops it at its next heartbeat",
        parameters: [jobParameter], response: JobShapes.job
    ) { input, services in
        let jobID = input.path("job_id")
        let record = try await services.jobs.changing { try JobQueue.cancel($0, jobID: jobID) }
        return RouteOutput(JobShapes.json(record))
    }

    // MARK: Nodes and logs

    static let nodeShape = Schema.object([
        ("nodeId", .string()), ("status", .string(allowed: ["active", "inactive"])), ("lastSeen", .integer()), ("lastSeenAgo", .integer()),
        ("registeredAt", .integer()), ("slots", .integer()), ("runningJobs", .integer()), ("specs", .any),
    ], required: ["nodeId", "status", "lastSeen", "lastSeenAgo", "specs"])

    static let nodes = RouteDeclaration(
        .get, "/api/frontend/nodes", summary: "Compute nodes, active or not by when they were last seen",
        response: .object([("nodes", .array(of: nodeShape)), ("count", .integer())], required: ["nodes", "count"])
    ) { input, services in
        let inactiveMs = Int64(services.jobs.configuration.nodeInactiveAfterMs)
        let (rows, running) = try await services.jobs.session { session in
            try TableSQL.transaction(session) {
                let rows = try session.execute("SELECT node_id, specs, usage, slots, registered_at, last_seen FROM \(JobsSchema.nodes) ORDER BY seq").rows
                let running = try session.execute("""
                    SELECT assigned_node, count(*) FROM \(JobsSchema.jobs) WHERE status IN ('assigned', 'running') GROUP BY assigned_node
                    """).rows
                return (rows, running)
            }
        }
        var runningByNode: [String: Int] = [:]
        for row in running { if case .text(let node) = row[0], case .int(let count) = row[1] { runningByNode[node] = Int(count) } }
        let now = JobClock.nowMs()
        let nodes = rows.map { row -> JSONValue in
            var cells = RowCells(row)
            let nodeID = cells.text() ?? "", specs = cells.json(), usage = cells.json()
            let slots = cells.int() ?? 1, registered = cells.int() ?? 0, lastSeen = cells.int() ?? 0
            return .fields(("nodeId", .string(nodeID)), ("status", .string(now - lastSeen <= inactiveMs ? "active" : "inactive")),
                           ("lastSeen", JobShapes.seconds(lastSeen)), ("lastSeenAgo", .integer(Int(max(0, now - lastSeen) / 1000))),
                           ("registeredAt", JobShapes.seconds(registered)), ("slots", .integer(Int(slots))),
                           ("runningJobs", .integer(runningByNode[nodeID] ?? 0)), ("specs", merged(specs, usage)))
        }
        return RouteOutput(.fields(("nodes", .array(nodes)), ("count", .integer(nodes.count))))
    }

    /// The node's specs with its latest usage figures beside them, as the seed shows them.
    static func merged(_ specs: JSONValue, _ usage: JSONValue) -> JSONValue {
        var fields: [(String, JSONValue)] = if case .object(let specFields) = specs { specFields } else { [] }
        if case .object(let usageFields) = usage {
            for (key, value) in usageFields where key != "jobId" {
                fields.removeAll { $0.0 == key }
                fields.append((key, value))
            }
        }
        return .object(fields)
    }

    static let logs = RouteDeclaration(
        .get, "/api/frontend/logs/{job_id}", summary: "The last log lines of a job, oldest first",
        parameters: [jobParameter, ParameterDeclaration("limit", in: .query, .integer(range: 1...limitMax), summary: "lines (default \(logsLimitDefault))")],
        response: .object([("jobId", .string()), ("logs", .array(of: JobShapes.logLine))], required: ["jobId", "logs"])
    ) { input, services in
        let jobID = input.path("job_id"), limit = input.query("limit").flatMap { Int($0) } ?? logsLimitDefault
        let lines = try await services.jobs.session { session in
            try TableSQL.transaction(session) {
                _ = try JobQueue.job(session, jobID)
                return try JobLogs.tail(session, jobID: jobID, limit: limit)
            }
        }
        return RouteOutput(.fields(("jobId", .string(jobID)), ("logs", .array(lines.map(JobLogs.json)))))
    }
}
