import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import VireoQuery

/// The agents' routes of seed 003: register (with the server's API key), then everything
/// else with the node's own token in `X-Node-Token`, so one node cannot act on another's job.
enum JobsAgentRoutes {
    static var all: [RouteDeclaration] { [register, deregister, heartbeat, poll, ack, fetchScript, finish, release, streamLog, usageReport] }

    static let jobIDField = Schema.string(length: 1...128)
    static let attemptField = Schema.integer(range: 1...Int64(Int32.max))
    static let ok = Schema.object([("ok", .boolean)], required: ["ok"])

    static func token(_ input: RouteInput) -> String? {
        input.headers[HTTPField.Name(JobNodes.tokenHeader)!]
    }

    static func text(_ input: RouteInput, _ name: String) -> String? { input.field(name)?.unquotedText }

    static func attempt(_ input: RouteInput) -> Int64? {
        if case .number(let number)? = input.field("attempt") { return Int64(number) }
        return nil
    }

    static let register = RouteDeclaration(
        .post, "/api/nodes/register", summary: "Register a compute node; answers the token its other calls send as X-Node-Token",
        requestBody: .object([
            ("nodeId", .string(length: 1...128)), ("specs", .map(of: .any, count: 0...64)), ("slots", .integer(range: 1...256)),
        ]),
        response: .object([("nodeId", .string()), ("token", .string()), ("leaseSeconds", .number), ("heartbeatSeconds", .number)],
                          required: ["nodeId", "token", "leaseSeconds", "heartbeatSeconds"])
    ) { input, services in
        let jobs = services.jobs
        let nodeID = text(input, "nodeId"), specs = input.field("specs") ?? .null
        let slots = input.field("slots").flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 1
        let registration = try await jobs.changing { try JobNodes.register($0, nodeID: nodeID, specs: specs, slots: slots) }
        jobs.work.notify()  // jobs it held are pending again
        return RouteOutput(.fields(("nodeId", .string(registration.nodeID)), ("token", .string(registration.token)),
                                   ("leaseSeconds", .number(Double(jobs.configuration.leaseMs) / 1000)),
                                   ("heartbeatSeconds", .number(Double(jobs.configuration.heartbeatIntervalMs) / 1000))))
    }

    static let deregister = RouteDeclaration(
        .post, "/api/nodes/deregister", summary: "A node leaving: its token stops working and jobs it still holds go back to pending",
        requiresKey: false, response: .object([("nodeId", .string()), ("requeued", .integer())], required: ["nodeId", "requeued"])
    ) { input, services in
        let jobs = services.jobs, presented = token(input)
        let (nodeID, requeued) = try await jobs.changing { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            return (nodeID, try JobNodes.deregister(session, nodeID: nodeID))
        }
        if requeued > 0 { jobs.work.notify() }
        return RouteOutput(.fields(("nodeId", .string(nodeID)), ("requeued", .integer(requeued))))
    }

    static let heartbeat = RouteDeclaration(
        .post, "/api/nodes/heartbeat", summary: "A node is alive: usage, and the jobs it runs (their leases are renewed)", requiresKey: false,
        requestBody: .object([("usage", .map(of: .any, count: 0...64)), ("jobs", .array(of: jobIDField, count: 0...256))]),
        response: .object([("nodeId", .string()), ("status", .string()), ("cancel", .array(of: .string())), ("leaseSeconds", .number)],
                          required: ["nodeId", "status", "cancel", "leaseSeconds"])
    ) { input, services in
        let jobs = services.jobs, presented = token(input), leaseMs = jobs.configuration.leaseMs
        let usage = input.field("usage")
        let claimed = (input.field("jobs")?.jobItems ?? []).compactMap(\.unquotedText)
        let (nodeID, cancel) = try await jobs.session { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            try JobNodes.touch(session, nodeID: nodeID, usage: usage)
            return (nodeID, try JobQueue.renewLeases(session, node: nodeID, claimed: claimed, leaseMs: leaseMs))
        }
        return RouteOutput(.fields(("nodeId", .string(nodeID)), ("status", .string("active")), ("cancel", .array(cancel.map(JSONValue.string))),
                                   ("leaseSeconds", .number(Double(leaseMs) / 1000))))
    }

    static let pollJob = Schema.object([
        ("jobId", .string()), ("attempt", .integer()), ("datasetName", .nullable(.string())), ("datasetUrl", .nullable(.string())),
        ("datasetHash", .nullable(.string())), ("runtimeMinutesEstimate", .nullable(.number)), ("meta", .any),
        ("scriptHash", .nullable(.string())), ("leaseSeconds", .number),
    ], required: ["jobId", "attempt", "leaseSeconds"])

    static let poll = RouteDeclaration(
        .get, "/api/jobs/poll", summary: "Take a pending job (leased to this node); waits up to `wait` seconds for one", requiresKey: false,
        parameters: [ParameterDeclaration("wait", in: .query, .integer(range: 0...3600), summary: "seconds to wait for work (long poll; capped by the server)")],
        response: .object([("job", .nullable(pollJob))], required: ["job"])
    ) { input, services in
        let jobs = services.jobs, presented = token(input), leaseMs = jobs.configuration.leaseMs
        let waitMs = min(input.query("wait").flatMap { Int($0) } ?? 0, jobs.configuration.pollWaitSecondsMax) * 1000
        let nodeID = try await jobs.session { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            try JobNodes.touch(session, nodeID: nodeID, usage: nil)
            return nodeID
        }
        let deadline = ContinuousClock.now + .milliseconds(waitMs)
        while !jobs.isStopping {
            let generation = jobs.work.generation
            // The token is checked again at each claim: a node that left (or registered again)
            // while this poll waited must not be handed a job it will never hear of.
            let claimed = try await jobs.session { session in
                guard try JobNodes.authenticate(session, token: presented) == nodeID else { throw JobNodes.tokenInvalid }
                return try JobQueue.claim(session, node: nodeID, leaseMs: leaseMs)
            }
            if let job = claimed {
                jobs.changes.notify()
                return RouteOutput(.fields(("job", pollShape(job, leaseMs: leaseMs))))
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, !Task.isCancelled else { break }
            let remainingMs = Int(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            await jobs.work.wait(after: generation, timeoutMs: max(remainingMs, 1))
        }
        return RouteOutput(.fields(("job", .null)))
    }

    static func pollShape(_ job: JobRecord, leaseMs: Int) -> JSONValue {
        .fields(("jobId", .string(job.jobID)), ("attempt", .number(Double(job.attemptTotal))), ("datasetName", JobShapes.string(job.datasetName)),
                ("datasetUrl", JobShapes.string(job.datasetURL)), ("datasetHash", JobShapes.string(job.datasetHash)),
                ("runtimeMinutesEstimate", job.runtimeMinutesEstimate.map(JSONValue.number) ?? .null),
                ("meta", job.meta == .null ? .object([]) : job.meta), ("scriptHash", JobShapes.string(job.scriptSHA256)),
                ("leaseSeconds", .number(Double(leaseMs) / 1000)))
    }

    static let jobReference = Schema.object([("jobId", jobIDField), ("attempt", attemptField)], required: ["jobId"])

    static let ack = RouteDeclaration(
        .post, "/api/jobs/ack", summary: "Confirm an assignment: the job is running on this node", requiresKey: false,
        requestBody: jobReference, response: JobShapes.job
    ) { input, services in
        let jobs = services.jobs, presented = token(input), leaseMs = jobs.configuration.leaseMs
        let jobID = text(input, "jobId") ?? "", attempt = attempt(input)
        let job = try await jobs.changing { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            return try JobQueue.ack(session, jobID: jobID, node: nodeID, attempt: attempt, leaseMs: leaseMs)
        }
        return RouteOutput(JobShapes.json(job))
    }

    static let fetchScript = RouteDeclaration(
        .get, "/api/jobs/fetch-script", summary: "The script of a job this node holds", requiresKey: false,
        parameters: [ParameterDeclaration("jobId", in: .query, jobIDField, required: true, summary: "the job")],
        response: .object([("jobId", .string()), ("script", .string()), ("requirements", .nullable(.string())), ("entrypoint", .string()),
                           ("outputFile", .nullable(.string())), ("scriptHash", .string())],
                          required: ["jobId", "script", "requirements", "entrypoint", "outputFile", "scriptHash"])
    ) { input, services in
        let jobs = services.jobs, presented = token(input), jobID = input.query("jobId") ?? ""
        let script = try await jobs.session { session -> JobQueue.Script? in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            _ = try JobQueue.held(session, jobID: jobID, node: nodeID, attempt: nil)
            return try JobQueue.script(session, jobID: jobID)
        }
        guard let script else { throw RESTError(.notFound, code: "script_not_found", "Job \(jobID) has no script") }
        return RouteOutput(.fields(("jobId", .string(jobID)), ("script", .string(script.script)), ("requirements", JobShapes.string(script.requirements)),
                                   ("entrypoint", .string(script.entrypoint)), ("outputFile", JobShapes.string(script.outputFile)),
                                   ("scriptHash", .string(script.sha256))))
    }

    static let finish = RouteDeclaration(
        .post, "/api/jobs/finish", summary: "End this node's attempt at a job: finished or failed, once", requiresKey: false,
        requestBody: .object([
            ("jobId", jobIDField), ("attempt", attemptField), ("status", .string(allowed: [JobStatus.finished, JobStatus.failed])),
            ("exitCode", .nullable(.integer(range: -1024...1024))), ("duration", .nullable(.number)), ("modelHash", .nullable(.string(length: 0...256))),
            ("error", .nullable(.string(length: 0...4096))), ("metadata", .nullable(.map(of: .any, count: 0...256))),
        ], required: ["jobId"]),
        response: JobShapes.job
    ) { input, services in
        let jobs = services.jobs, presented = token(input), jobID = text(input, "jobId") ?? "", attempt = attempt(input)
        let exitCode: Int64? = if case .number(let code)? = input.field("exitCode") { Int64(code) } else { nil }
        let durationMs: Int64? = if case .number(let seconds)? = input.field("duration"), seconds >= 0, seconds < 1e9 { Int64(seconds * 1000) } else { nil }
        let succeeded = text(input, "status").map { $0 == JobStatus.finished } ?? (exitCode ?? 0 == 0)
        let outcome = JobQueue.Outcome(succeeded: succeeded, exitCode: exitCode, durationMs: durationMs, modelHash: text(input, "modelHash"),
                                       error: text(input, "error"), metadata: input.field("metadata") ?? .null)
        let job = try await jobs.changing { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            return try JobQueue.finish(session, jobID: jobID, node: nodeID, attempt: attempt, outcome)
        }
        return RouteOutput(JobShapes.json(job))
    }

    static let release = RouteDeclaration(
        .post, "/api/jobs/release", summary: "Give a held job back untried (the node is stopping); it is pending again", requiresKey: false,
        requestBody: jobReference, response: JobShapes.job
    ) { input, services in
        let jobs = services.jobs, presented = token(input), jobID = text(input, "jobId") ?? "", attempt = attempt(input)
        let job = try await jobs.changing { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            return try JobQueue.release(session, jobID: jobID, node: nodeID, attempt: attempt)
        }
        jobs.work.notify()
        return RouteOutput(JobShapes.json(job))
    }

    static let logLineInput = Schema.object([
        ("line", .string()), ("stream", .string(allowed: JobLogs.streams)), ("lineNo", .integer(range: 1...Int64(Int32.max))),
        ("timestamp", .number),
    ], required: ["line"])

    static let streamLog = RouteDeclaration(
        .post, "/api/jobs/stream-log", summary: "Append log lines of a job this node holds (one `line`, or a batch of `lines`)", requiresKey: false,
        requestBody: .object([("jobId", jobIDField), ("attempt", attemptField), ("line", .string()), ("lines", .array(of: logLineInput))],
                             required: ["jobId"]),
        response: .object([("jobId", .string()), ("stored", .integer()), ("status", .string())], required: ["jobId", "stored", "status"])
    ) { input, services in
        let jobs = services.jobs, presented = token(input), jobID = text(input, "jobId") ?? "", attempt = attempt(input)
        let lines = try logLines(input, jobs.configuration)
        let (stored, job) = try await jobs.session { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            return try JobLogs.append(session, jobID: jobID, node: nodeID, attempt: attempt, lines: lines)
        }
        if stored > 0 { jobs.logLines.notify() }
        return RouteOutput(.fields(("jobId", .string(jobID)), ("stored", .number(Double(stored))), ("status", .string(job.status))))
    }

    static func logLines(_ input: RouteInput, _ configuration: JobsConfiguration) throws -> [JobLogs.Line] {
        var lines: [JobLogs.Line] = []
        if let line = text(input, "line") { lines.append(JobLogs.Line(lineNo: nil, stream: "stdout", text: line, atMs: nil)) }
        for item in input.field("lines")?.jobItems ?? [] {
            let lineNo: Int64? = if case .number(let number)? = item.field(.text("lineNo")) { Int64(number) } else { nil }
            let atMs: Int64? = if case .number(let seconds)? = item.field(.text("timestamp")), seconds > 0, seconds < 1e11 { Int64(seconds * 1000) } else { nil }
            lines.append(JobLogs.Line(lineNo: lineNo, stream: item.field(.text("stream"))?.unquotedText ?? "stdout",
                                      text: item.field(.text("line"))?.unquotedText ?? "", atMs: atMs))
        }
        guard lines.count <= configuration.logBatchLinesMax else {
            throw RESTError.invalid("lines", "takes at most \(configuration.logBatchLinesMax) lines a call")
        }
        if let long = lines.firstIndex(where: { $0.text.utf8.count > configuration.logLineBytesMax }) {
            throw RESTError.invalid("lines[\(long)].line", "is longer than \(configuration.logLineBytesMax) bytes")
        }
        return lines
    }

    static let usageReport = RouteDeclaration(
        .post, "/api/usage-report",
        summary: "Resource usage: of the node (its latest figures, shown with its specs), or of one of its jobs when `jobId` is given "
            + "(the agent sends the job process's `cpuSeconds` and `peakMemoryMB` before it finishes the job)", requiresKey: false,
        requestBody: .object([
            ("jobId", jobIDField), ("attempt", attemptField), ("cpuUsage", .number), ("ramUsage", .number), ("gpuUsage", .number),
            ("ramUsedGB", .number), ("gpuMemoryUsedGB", .number), ("cpuSeconds", .number), ("peakMemoryMB", .number),
            ("extra", .map(of: .any, count: 0...64)),
        ]),
        response: ok
    ) { input, services in
        let jobs = services.jobs, presented = token(input), jobID = text(input, "jobId"), attempt = attempt(input)
        let report = input.body ?? .object([])
        try await jobs.session { session in
            let nodeID = try JobNodes.authenticate(session, token: presented)
            if let jobID { _ = try JobQueue.held(session, jobID: jobID, node: nodeID, attempt: attempt) }
            try TableSQL.transaction(session) {
                try session.execute("INSERT INTO \(JobsSchema.usage) (node_id, job_id, report, at) VALUES ($1, $2, $3, $4)",
                                    [.text(nodeID), JobQueue.text(jobID), .json(report.text), .int(JobClock.nowMs())])
                // A job's figures are not the machine's: they leave the node's latest usage alone.
                try JobNodes.touch(session, nodeID: nodeID, usage: jobID == nil ? report : nil)
            }
        }
        return RouteOutput(.fields(("ok", .bool(true))))
    }
}

extension JSONValue {
    /// The items of an array; empty for anything else.
    var jobItems: [JSONValue] { if case .array(let items) = self { items } else { [] } }
}
