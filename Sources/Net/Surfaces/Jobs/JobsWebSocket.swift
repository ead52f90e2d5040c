import Foundation
import VireoQuery
import VireoStorage

/// The live endpoints seed 003 lists as future work: `/ws/dashboard`, `/ws/nodes` and
/// `/ws/jobs/{job_id}/logs`, declared for the server's one upgrade hook (`WebSocketDispatcher`,
/// which checks the key or token as for the REST routes). Every message is read from the
/// tables: a stream reads when woken (the jobs service notifies after each commit that
/// changes jobs, nodes or logs) or every `refreshMs` (nodes turn inactive by the clock alone),
/// and reads again only after its last message was written. So nothing is queued for a
/// client: a slow dashboard or node consumer skips to the newest snapshot, a slow log consumer
/// reads on from its own cursor in the table, and one that takes nothing for the dispatcher's
/// send timeout is disconnected.
enum JobsWebSocket {
    static let refreshMs = 1000
    /// Fewest milliseconds between two dashboard or node messages.
    static let messageIntervalMsMin = 250
    static let catchUpLinesDefault = 100
    static let catchUpLinesMax = 1000
    static let followBatchLinesMax = 500

    static let routes = [
        WebSocketRoute("/ws/dashboard") { _, services in
            let jobs = services.jobs
            return { send in try await snapshots(jobs, send, dashboardMessage) }
        },
        WebSocketRoute("/ws/nodes") { _, services in
            let jobs = services.jobs
            return { send in try await snapshots(jobs, send, nodesMessage) }
        },
        WebSocketRoute("/ws/jobs/{job_id}/logs") { request, services in
            let jobs = services.jobs, jobID = request.path("job_id")
            let tail = request.query("tail", default: catchUpLinesDefault, in: 0...catchUpLinesMax)
            guard (try? await jobs.session({ try JobQueue.job($0, jobID) })) != nil else { return nil }
            return { send in
                try await followLogs(jobs, jobID, tail: tail, send)
                return "job ended"
            }
        },
    ]

    /// Plain HTTP on the socket paths: 426 (404 for an unknown job), so that the paths are in
    /// /openapi.json and a client that forgot the upgrade learns what to send.
    static var plainRequests: [RouteDeclaration] {
        let sockets: [(String, String, [ParameterDeclaration])] = [
            ("/ws/dashboard", "a JSON snapshot of the dashboard statistics, again on every change", []),
            ("/ws/nodes", "a JSON list of the nodes with their status, again on every change", []),
            ("/ws/jobs/{job_id}/logs", "the job's last `tail` log lines (default \(catchUpLinesDefault), at most \(catchUpLinesMax)), "
                + "then each new line as it is stored, then an end message", [JobsFrontendRoutes.jobParameter,
                ParameterDeclaration("tail", in: .query, .integer(range: 0...Int64(catchUpLinesMax)), summary: "lines of catch-up")]),
        ]
        return sockets.map { path, stream, parameters in
            RouteDeclaration(
                .get, path,
                summary: "WebSocket (upgrade): \(stream); the key may come as ?api_key= since browsers cannot send headers",
                parameters: parameters, response: .object([("detail", .string())], required: ["detail"]),
                otherStatuses: [.init(code: 426, reasonPhrase: "Upgrade Required")]
            ) { input, services in
                if path.contains("{job_id}") {
                    let jobID = input.path("job_id")
                    guard (try? await services.jobs.session({ try JobQueue.job($0, jobID) })) != nil else {
                        throw JobsErrors.jobNotFound(jobID)
                    }
                }
                throw RESTError(.init(code: 426, reasonPhrase: "Upgrade Required"), code: "upgrade_required",
                                "this path speaks WebSocket: send Connection: Upgrade and Upgrade: websocket")
            }
        }
    }

    /// Sends `message` at once, then again whenever its text changes, until the client leaves.
    static func snapshots(_ jobs: JobService, _ sender: WebSocketSender,
                          _ message: @escaping @Sendable (JobService) async throws -> JSONValue) async throws -> String {
        var last = ""
        while !Task.isCancelled {
            let generation = jobs.changes.generation
            let text = try await message(jobs).text
            if text != last {
                try await sender.send(text)
                last = text
            }
            try await Task.sleep(for: .milliseconds(messageIntervalMsMin))
            await jobs.changes.wait(after: generation, timeoutMs: refreshMs)
        }
        throw CancellationError()
    }

    static func dashboardMessage(_ jobs: JobService) async throws -> JSONValue {
        let inactiveMs = jobs.configuration.nodeInactiveAfterMs
        let (counts, active) = try await jobs.session { try JobsFrontendRoutes.statusCounts($0, inactiveMs: inactiveMs) }
        return .fields(("type", .string("dashboard")), ("jobStats", JobsFrontendRoutes.statsJSON(counts)), ("activeNodes", .integer(active)))
    }

    /// Nodes with what changes when they do (status, running jobs), not `lastSeenAgo`, which
    /// would make every second a change.
    static func nodesMessage(_ jobs: JobService) async throws -> JSONValue {
        let inactiveMs = Int64(jobs.configuration.nodeInactiveAfterMs)
        let rows = try await jobs.session { session in
            try session.execute("""
                SELECT n.node_id, n.last_seen, (SELECT count(*) FROM \(JobsSchema.jobs) j
                  WHERE j.assigned_node = n.node_id AND j.status IN ('assigned', 'running')) FROM \(JobsSchema.nodes) n ORDER BY n.seq
                """).rows
        }
        let now = JobClock.nowMs()
        let nodes = rows.map { row -> JSONValue in
            var cells = RowCells(row)
            let nodeID = cells.text() ?? "", lastSeen = cells.int() ?? 0, running = cells.int() ?? 0
            return .fields(("nodeId", .string(nodeID)), ("status", .string(now - lastSeen <= inactiveMs ? "active" : "inactive")),
                           ("runningJobs", .integer(Int(running))))
        }
        return .fields(("type", .string("nodes")), ("nodes", .array(nodes)), ("count", .integer(nodes.count)))
    }

    /// The last `tail` lines, then each new one as it is stored, until the job has ended and
    /// every line was sent; then one `end` message.
    static func followLogs(_ jobs: JobService, _ jobID: String, tail: Int, _ sender: WebSocketSender) async throws {
        // The catch-up and the cursor from one snapshot, so no line falls between them.
        let (catchUp, lastID) = try await jobs.session { session in
            try TableSQL.transaction(session) {
                let rows = try session.execute("""
                    SELECT id, attempt, line_no, stream, line, at FROM \(JobsSchema.logs) WHERE job_id = $1 ORDER BY id DESC LIMIT \(tail)
                    """, [.text(jobID)]).rows
                return (Array(rows.reversed()), try lastLogID(session, jobID))
            }
        }
        _ = try await send(catchUp, jobID, sender)
        var cursor = lastID
        while !Task.isCancelled {
            let generation = jobs.logLines.generation, after = cursor
            let (rows, status) = try await jobs.session { session in
                try TableSQL.transaction(session) {
                    let rows = try session.execute("""
                        SELECT id, attempt, line_no, stream, line, at FROM \(JobsSchema.logs) WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT \(followBatchLinesMax)
                        """, [.text(jobID), .int(after)]).rows
                    return (rows, try JobQueue.job(session, jobID).status)
                }
            }
            if let last = try await send(rows, jobID, sender) { cursor = last }
            if rows.count == followBatchLinesMax { continue }
            if JobStatus.final.contains(status) {
                try await sender.send(JSONValue.fields(("type", .string("end")), ("jobId", .string(jobID)), ("status", .string(status))).text)
                return
            }
            await jobs.logLines.wait(after: generation, timeoutMs: refreshMs)
        }
    }

    static func lastLogID(_ session: Session, _ jobID: String) throws -> Int64 {
        let rows = try session.execute("SELECT max(id) FROM \(JobsSchema.logs) WHERE job_id = $1", [.text(jobID)]).rows
        if case .int(let id)? = rows.first?.first { return id }
        return 0
    }

    /// Writes each row as a `log` message; the last row's id, or nil when there were none.
    static func send(_ rows: [[Value]], _ jobID: String, _ sender: WebSocketSender) async throws -> Int64? {
        var last: Int64?
        for row in rows {
            var cells = RowCells(row)
            last = cells.int()
            let attempt = cells.int() ?? 0, lineNo = cells.int() ?? 0, stream = cells.text() ?? "", line = cells.text() ?? ""
            let message = JSONValue.fields(("type", .string("log")), ("jobId", .string(jobID)), ("attempt", .integer(Int(attempt))),
                                           ("lineNo", .integer(Int(lineNo))), ("stream", .string(stream)), ("line", .string(line)),
                                           ("timestamp", JobShapes.seconds(cells.int())))
            try await sender.send(message.text)
        }
        return last
    }
}
