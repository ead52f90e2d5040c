import Crypto
import Foundation
import Synchronization
import VireoQuery

/// How the agent runs jobs.
struct AgentRunSettings: Sendable {
    var workDirectory: String
    var python: String
    /// The time limit is the job's runtimeMinutesEstimate × this.
    var timeLimitFactor: Double
    var timeLimitSecondsMin: Double
    /// For jobs without an estimate.
    var timeLimitSecondsDefault: Double
    var memoryLimitMB: Int?
    /// After SIGTERM, then SIGKILL.
    static let killGraceMs = 3_000
    /// After the process ended, how long its output pipes may stay open (a background child).
    static let readerDrainMs = 5_000
}

/// One attempt at one job: a fresh directory, the script (in a virtualenv when it has
/// requirements), a time limit, every output line streamed, and one finish call.
final class AgentJobRun: Sendable {
    enum Stop: Sendable { case none, cancelled, timedOut, handedBack }

    private struct State {
        var child: AgentChildProcess?
        var stop = Stop.none
        /// What the job's own process (not the virtualenv's setup) used, once it ended.
        var usage: AgentChildProcess.Exit?
    }

    let jobID: String
    let attempt: Int
    let job: JSONValue
    let client: AgentClient
    let settings: AgentRunSettings
    let logs: AgentLogStream
    private let state = Mutex(State())

    init(job: JSONValue, client: AgentClient, settings: AgentRunSettings) {
        self.job = job
        jobID = job.string("jobId") ?? ""
        attempt = job.int("attempt") ?? 1
        self.client = client
        self.settings = settings
        logs = AgentLogStream(jobID: jobID, attempt: attempt, client: client)
    }

    var reference: JSONValue { .object([("jobId", .string(jobID)), ("attempt", .number(Double(attempt)))]) }

    /// The server no longer gives this node the job (cancelled, deleted, lease lost): kill it, report nothing.
    func cancel() { stop(.cancelled) }

    /// The agent is stopping: kill the job and give it back.
    func handBack() { stop(.handedBack) }

    private func stop(_ reason: Stop) {
        let child = state.withLock { state -> AgentChildProcess? in
            if state.stop == .none { state.stop = reason }
            return state.child
        }
        if let child { Self.kill(child) }
    }

    var stopReason: Stop { state.withLock { $0.stop } }

    /// Runs the job to its end and reports it.
    func run() async {
        let started = ContinuousClock.now
        let sender = Task { await logs.run() }
        var outcome: (status: Int32?, error: String?)
        do {
            let script = try await client.callRetrying("GET", "/api/jobs/fetch-script?jobId=\(Self.escaped(jobID))", giveUpAfterMs: 60_000)
            outcome = try await execute(script)
        } catch {
            outcome = (nil, "the agent could not run the job: \(error)")
            logs.append("system", "[agent] \(error)")
        }
        logs.close()
        let logsStored = await sender.value
        if !logsStored { stop(.cancelled) }
        await report(outcome, duration: ContinuousClock.now - started)
    }

    /// Prepares the directory and runs the script; the exit status, or why there is none.
    private func execute(_ script: JSONValue) async throws -> (status: Int32?, error: String?) {
        let directory = settings.workDirectory + "/\(jobID)-attempt-\(attempt)"
        let files = FileManager.default
        try? files.removeItem(atPath: directory)
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let entrypoint = script.string("entrypoint") ?? "train.py"
        outputFileBox.withLock { $0 = script.string("outputFile") }
        try Data((script.string("script") ?? "").utf8).write(to: URL(fileURLWithPath: directory + "/" + entrypoint))
        var python = settings.python
        if let requirements = script.string("requirements"), !requirements.isEmpty, entrypoint.hasSuffix(".py") {
            try Data(requirements.utf8).write(to: URL(fileURLWithPath: directory + "/requirements.txt"))
            logs.append("system", "[agent] creating a virtualenv for the requirements")
            let venv = try await spawn([settings.python, "-m", "venv", ".venv"], in: directory, limitSeconds: 600).status
            guard venv == 0 else { return (venv, "the virtualenv could not be created") }
            let pip = try await spawn([directory + "/.venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt"],
                                      in: directory, limitSeconds: 1800).status
            guard pip == 0 else { return (pip, "the requirements could not be installed") }
            python = directory + "/.venv/bin/python"
        }
        let command = entrypoint.hasSuffix(".sh") ? ["/bin/sh", entrypoint] : [python, "-u", entrypoint]
        let limit = timeLimitSeconds()
        logs.append("system", "[agent] running \(entrypoint) (attempt \(attempt), time limit \(Int(limit)) s)")
        let exit = try await spawn(command, in: directory, limitSeconds: limit)
        state.withLock { $0.usage = exit }
        let status = exit.status
        switch stopReason {
        case .timedOut: return (status, "the time limit of \(Int(limit)) s was exceeded")
        case .cancelled: return (status, "cancelled")
        case .handedBack: return (status, "handed back")
        case .none: return (status, status == 0 ? nil : "exit status \(status)")
        }
    }

    func timeLimitSeconds() -> Double {
        guard let minutes = job.double("runtimeMinutesEstimate"), minutes > 0 else { return settings.timeLimitSecondsDefault }
        return max(minutes * 60 * settings.timeLimitFactor, settings.timeLimitSecondsMin)
    }

    /// Runs `command` in `directory`, its output lines into the log, stopped after `limitSeconds`.
    private func spawn(_ command: [String], in directory: String, limitSeconds: Double) async throws -> AgentChildProcess.Exit {
        var arguments = command
        if let megabytes = settings.memoryLimitMB {
            arguments = ["/bin/sh", "-c", "ulimit -v \(megabytes * 1024) && exec \"$@\"", "sh"] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        environment["VIREO_JOB_ID"] = jobID
        environment["VIREO_JOB_ATTEMPT"] = String(attempt)
        environment["VIREO_DATASET_URL"] = job.string("datasetUrl") ?? ""
        let (child, stdout, stderr) = try AgentChildProcess.spawnLock.withLock { _ in
            let (stdout, stderr) = (try AgentChildProcess.pipe(), try AgentChildProcess.pipe())
            defer { _ = close(stdout.write); _ = close(stderr.write) }
            do {
                let child = try AgentChildProcess.spawn(arguments, directory: directory, environment: environment,
                                                        stdoutDescriptor: stdout.write, stderrDescriptor: stderr.write)
                return (child, stdout, stderr)
            } catch {
                _ = close(stdout.read)
                _ = close(stderr.read)
                throw error
            }
        }
        let readers = [Self.reader(stdout.read, "stdout", logs), Self.reader(stderr.read, "stderr", logs)]
        readers.forEach { $0.start() }
        let alreadyStopped = state.withLock { state -> Bool in
            state.child = child
            return state.stop != .none
        }
        if alreadyStopped { Self.kill(child) }
        let watchdog = Task {
            try await Task.sleep(for: .milliseconds(Int(limitSeconds * 1000)))
            self.stop(.timedOut)
        }
        let exit = await withCheckedContinuation { (continuation: CheckedContinuation<AgentChildProcess.Exit, Never>) in
            Thread { continuation.resume(returning: child.wait()) }.start()
        }
        watchdog.cancel()
        state.withLock { $0.child = nil }
        await Self.join(readers)
        return exit
    }

    /// A thread that reads `descriptor` to its end, a line at a time into `logs`, then closes it.
    static func reader(_ descriptor: Int32, _ stream: String, _ logs: AgentLogStream) -> Thread {
        Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                pending += buffer[0..<count]
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    logs.append(stream, String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { logs.append(stream, String(decoding: pending, as: UTF8.self)) }
            _ = close(descriptor)
        }
    }

    /// Waits (a bounded time) for the readers to reach the end of their pipes.
    static func join(_ readers: [Thread]) async {
        let deadline = ContinuousClock.now + .milliseconds(AgentRunSettings.readerDrainMs)
        while readers.contains(where: { !$0.isFinished }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// SIGTERM to the job's process group, SIGKILL after the grace period if it still runs.
    static func kill(_ child: AgentChildProcess) {
        child.signalGroup(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(AgentRunSettings.killGraceMs)) {
            child.signalGroup(SIGKILL)
        }
    }

    /// Finishes the attempt (or gives it back), retrying while the server is away.
    private func report(_ outcome: (status: Int32?, error: String?), duration: Duration) async {
        let stop = stopReason
        if stop == .cancelled { return }
        if stop == .handedBack {
            _ = try? await client.callRetrying("POST", "/api/jobs/release", reference, giveUpAfterMs: 10_000)
            return
        }
        let succeeded = outcome.status == 0 && outcome.error == nil
        var fields: [(String, JSONValue)] = [("jobId", .string(jobID)), ("attempt", .number(Double(attempt))),
                                             ("status", .string(succeeded ? "finished" : "failed")),
                                             ("exitCode", outcome.status.map { .number(Double($0)) } ?? .null),
                                             ("duration", .number(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)),
                                             ("error", outcome.error.map(JSONValue.string) ?? .null)]
        if succeeded, let hash = outputHash() { fields.append(("modelHash", .string(hash))) }
        await reportUsage()
        do {
            _ = try await client.callRetrying("POST", "/api/jobs/finish", .object(fields), giveUpAfterMs: 600_000)
        } catch {
            FileHandle.standardError.write(Data("vireo agent: could not finish \(jobID): \(error)\n".utf8))
        }
    }

    /// The job process's CPU time and peak memory, into the server's usage table before the
    /// finish (after it the node no longer holds the job). A lost report loses a figure, not the job.
    private func reportUsage() async {
        guard let usage = state.withLock({ $0.usage }) else { return }
        let body = JSONValue.object([("jobId", .string(jobID)), ("attempt", .number(Double(attempt))),
                                     ("cpuSeconds", .number((usage.cpuSeconds * 1000).rounded() / 1000)),
                                     ("peakMemoryMB", .number((Double(usage.peakMemoryBytes) / 1_048_576 * 10).rounded() / 10))])
        do {
            _ = try await client.callRetrying("POST", "/api/usage-report", body, giveUpAfterMs: 60_000)
        } catch {
            FileHandle.standardError.write(Data("vireo agent: could not report the usage of \(jobID): \(error)\n".utf8))
        }
    }

    /// The SHA-256 of the output file the script declared, when it wrote one.
    private func outputHash() -> String? {
        guard let output = outputFile, let handle = FileHandle(forReadingAtPath: settings.workDirectory + "/\(jobID)-attempt-\(attempt)/" + output) else {
            return nil
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private let outputFileBox = Mutex<String?>(nil)
    private var outputFile: String? { outputFileBox.withLock { $0 } }

    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
