import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import WSCore
import Logging
import NIOCore
import VireoQuery
import VireoStorage

/// The live endpoints seed 003 lists as future work: `/ws/dashboard`, `/ws/nodes` and
/// `/ws/jobs/{job_id}/logs`. Nothing is buffered in memory for a client: each stream reads
/// the engine when woken (a change, new log lines) or every `refreshMs`, and reads again
/// only after its last message was written, so a slow consumer holds back its own stream and
/// no one else's (NIO's write backpressure is the bound). The key comes as for REST, or as
/// `?api_key=` for browsers, which cannot set headers on a WebSocket.
enum JobsWebSocket {
    static let refreshMs = 1000
    /// Fewest milliseconds between two dashboard or node messages.
    static let messageIntervalMsMin = 250
    static let catchUpLinesDefault = 100
    static let catchUpLinesMax = 1000
    static let followBatchLinesMax = 500

    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    /// Whether to upgrade a request, and what then runs on the connection.
    static func shouldUpgrade(jobs: JobService, keys: APIKeys)
        -> @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<Handler> {
        { request, _, _ in
            let uri = URI(request.path ?? "")
            guard let stream = Stream(path: uri.path) else { return .dontUpgrade }
            let key = APIKeyMiddleware.presentedKey(request.headerFields) ?? uri.queryParameters.get("api_key")
            guard let key, keys.accepts(key) else { return .dontUpgrade }
            if case .logs(let jobID) = stream, (try? await jobs.session({ try JobQueue.job($0, jobID) })) == nil { return .dontUpgrade }
            let tail = min(uri.queryParameters.get("tail").flatMap { Int($0) } ?? catchUpLinesDefault, catchUpLinesMax)
            return .upgrade([:]) { inbound, outbound, _ in
                await serve(stream, jobs: jobs, tail: max(tail, 0), inbound: inbound, outbound: outbound)
            }
        }
    }

    enum Stream: Sendable {
        case dashboard, nodes
        case logs(String)

        init?(path: String) {
            let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            switch parts.count {
            case 2 where parts == ["ws", "dashboard"]: self = .dashboard
            case 2 where parts == ["ws", "nodes"]: self = .nodes
            case 4 where parts[0] == "ws" && parts[1] == "jobs" && parts[3] == "logs":
                self = .logs(parts[2].removingPercentEncoding ?? parts[2])
            default: return nil
            }
        }
    }

    /// Sends the stream until it ends or the client closes (reading its frames is how a close is noticed).
    static func serve(_ stream: Stream, jobs: JobService, tail: Int, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    switch stream {
                    case .dashboard: try await snapshots(jobs, outbound, dashboardMessage)
                    case .nodes: try await snapshots(jobs, outbound, nodesMessage)
                    case .logs(let jobID): try await followLogs(jobs, jobID, tail: tail, outbound)
                    }
                    try await outbound.close(.normalClosure, reason: "job ended")
                } catch {
                    try? await outbound.close(.unexpectedServerError, reason: "stream failed")
                }
            }
            group.addTask {
                do { for try await _ in inbound {} } catch {}
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Sends `message` at once, then again whenever its text changes, until cancelled.
    static func snapshots(_ jobs: JobService, _ outbound: WebSocketOutboundWriter,
                          _ message: @escaping @Sendable (JobService) async throws -> JSONValue) async throws {
        var last = ""
        while !Task.isCancelled {
            let generation = jobs.changes.generation
            let text = try await message(jobs).text
            if text != last {
                try await outbound.write(.text(text))
                last = text
            }
            try await Task.sleep(for: .milliseconds(messageIntervalMsMin))
            await jobs.changes.wait(after: generation, timeoutMs: refreshMs)
        }
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
    static func followLogs(_ jobs: JobService, _ jobID: String, tail: Int, _ outbound: WebSocketOutboundWriter) async throws {
        var cursor: Int64
        let catchUp = try await jobs.session { session in
            try session.execute("SELECT id, attempt, line_no, stream, line, at FROM \(JobsSchema.logs) WHERE job_id = $1 ORDER BY id DESC LIMIT $2",
                                [.text(jobID), .int(Int64(tail))]).rows.reversed().map { $0 }
        }
        if let last = try await send(catchUp, jobID, outbound) {
            cursor = last
        } else {
            cursor = try await jobs.session { try lastLogID($0, jobID) }
        }
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
            if let last = try await send(rows, jobID, outbound) { cursor = last }
            if rows.count == followBatchLinesMax { continue }
            if JobStatus.final.contains(status) {
                try await outbound.write(.text(JSONValue.fields(("type", .string("end")), ("jobId", .string(jobID)), ("status", .string(status))).text))
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
    static func send(_ rows: [[Value]], _ jobID: String, _ outbound: WebSocketOutboundWriter) async throws -> Int64? {
        var last: Int64?
        for row in rows {
            var cells = RowCells(row)
            last = cells.int()
            let attempt = cells.int() ?? 0, lineNo = cells.int() ?? 0, stream = cells.text() ?? "", line = cells.text() ?? ""
            let message = JSONValue.fields(("type", .string("log")), ("jobId", .string(jobID)), ("attempt", .integer(Int(attempt))),
                                           ("lineNo", .integer(Int(lineNo))), ("stream", .string(stream)), ("line", .string(line)),
                                           ("timestamp", JobShapes.seconds(cells.int())))
            try await outbound.write(.text(message.text))
        }
        return last
    }
}
