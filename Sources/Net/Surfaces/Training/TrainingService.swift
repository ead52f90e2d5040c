import Foundation
import Logging
import Synchronization
import VireoQuery
import VireoStorage
#if canImport(Glibc)
import Glibc
#endif

/// Where the training surface finds configs and keeps its sessions' working directories.
public struct TrainingSettings: Sendable {
    /// Config paths are relative to this directory and may not leave it.
    public var configsDirectory: String
    /// Each session runs in `workDirectory/sessions/<id>`, where its output.log and config.json are.
    public var workDirectory: String
    /// How long `stop` waits after SIGTERM before SIGKILL.
    public var stopGraceMs = 10_000
    /// Largest checkpoint file; larger uploads get 413 (and leave nothing behind).
    public var checkpointBytesMax = 64 << 30
    /// How often resources are sampled into vireo_training_resource_samples (and resource alert rules evaluated).
    public var resourceSampleIntervalMs = 10_000
    /// The first webhook retry's delay; each next one doubles it.
    public var webhookBackoffBaseMs = 1000
    /// The key a session's program gets (VIREO_API_KEY) to report metrics and upload checkpoints.
    public var apiKey: String?

    public init(configsDirectory: String, workDirectory: String, stopGraceMs: Int = 10_000, apiKey: String? = nil,
                resourceSampleIntervalMs: Int = 10_000, webhookBackoffBaseMs: Int = 1000) {
        self.configsDirectory = configsDirectory
        self.workDirectory = workDirectory
        self.stopGraceMs = stopGraceMs
        self.apiKey = apiKey
        self.resourceSampleIntervalMs = resourceSampleIntervalMs
        self.webhookBackoffBaseMs = webhookBackoffBaseMs
    }
}

/// Seed 002's training sessions: configs read, programs started and supervised (their
/// reports read from standard output), stopped, and found again after a restart. All
/// state is in the engine tables of `TrainingSchema`; the service keeps only the live wakes.
public final class TrainingService: Sendable {
    let engine: EngineAccess
    public let settings: TrainingSettings
    let live = TrainingLive()
    /// Webhook registrations and deliveries (seed 002's events; seed 001 registers on the same table).
    public let webhooks: WebhookDispatcher
    let logger = Logger(label: "vireo.training")
    private let serverURLState = Mutex<String?>(nil)
    private let schemaReady = Mutex(false)
    /// Called with each session that ended (completed, failed or stopped) after its row says so.
    let finishedHandlers = Mutex<[@Sendable (SessionRecord) -> Void]>([])
    /// Called with each report after it is stored.
    let reportHandlers = Mutex<[@Sendable (String, StoredReport) -> Void]>([])

    public init(engine: EngineAccess, settings: TrainingSettings) {
        self.engine = engine
        self.settings = settings
        webhooks = WebhookDispatcher(engine: engine, backoffBaseMs: settings.webhookBackoffBaseMs)
    }

    /// The REST server's base URL, given to programs as VIREO_SERVER_URL (known once the socket listens).
    public func setServerURL(_ url: String) { serverURLState.withLock { $0 = url } }

    /// Creates the tables and settles the sessions a previous run left running: those whose
    /// process is gone fail; those still running are watched until they end.
    public func prepare() async throws {
        try FileManager.default.createDirectory(atPath: settings.workDirectory, withIntermediateDirectories: true)
        try await ensureSchema()
        let running = try await engine.session { try TrainingSQL.running($0) }
        if !running.isEmpty {
            let ids = running.map(\.id)
            let message = "The server restarted while \(ids.count) training session(s) ran: \(ids.joined(separator: ", "))"
            _ = try await session { try AlertSchema.notify($0, type: "system", priority: "high", message: message,
                                                            data: .fields(("session_ids", .array(ids.map(JSONValue.string))))) }
        }
        for record in running {
            if let pid = record.pid, ProcessTable.isAlive(pid, start: record.processStart) {
                logger.info("training session \(record.id): its program (pid \(pid)) outlived the previous server; watching it")
                watchAdopted(record.id, pid: pid, start: record.processStart)
            } else {
                _ = try await finish(record.id, status: "failed", exitCode: nil,
                                     error: "the server restarted and the session's program was no longer running")
            }
        }
    }

    func ensureSchema() async throws {
        if schemaReady.withLock({ $0 }) { return }
        try await engine.session { session in
            try TrainingSchema.create(session)
            for statement in AlertSchema.statements { try session.execute(statement) }
        }
        schemaReady.withLock { $0 = true }
    }

    /// Runs `body` with a fresh session once the tables exist (made again if dropped behind the service's back).
    func session<Result: Sendable>(_ body: @escaping @Sendable (Session) throws -> Result) async throws -> Result {
        try await ensureSchema()
        do {
            return try await engine.session(body)
        } catch let error as VireoError where error.code == .undefinedTable {
            schemaReady.withLock { $0 = false }
            try await ensureSchema()
            return try await engine.session(body)
        }
    }

    // MARK: Sessions

    func create(configPath: String, name: String?, tags: [String]) async throws -> SessionRecord {
        let config = try TrainingConfig.load(configPath, directory: settings.configsDirectory)
        let id = TrainingSchema.newID("sess")
        return try await session { session in
            try TrainingSQL.insert(session, id: id, name: name, tags: tags, config: config)
            return try TrainingSQL.session(session, id)
        }
    }

    /// Starts a created session's program; a session that runs or ran is a 409.
    func start(_ id: String) async throws -> SessionRecord {
        let record = try await session { session -> SessionRecord in
            let record = try TrainingSQL.session(session, id)
            guard record.status == "created" else { throw Self.notStartable(record) }
            do {
                guard try TrainingSQL.transition(session, id, from: ["created"], to: "running", stamp: "started_at") else { throw Self.notStartable(record) }
            } catch let error as VireoError where error.code == .serializationFailure {
                throw RESTError(.conflict, code: "conflict", "training session '\(id)' is already being started", field: "session_id")
            }
            return try TrainingSQL.session(session, id)
        }
        let process: TrainingProcess
        do {
            process = try await engine.blocking { [self] in try launch(record) }
        } catch {
            _ = try await finish(id, status: "failed", exitCode: nil, error: "the program could not be started: \(error)")
            throw error
        }
        let start = ProcessTable.startTime(process.pid)
        try await session { try TrainingSQL.recordProcess($0, id, pid: process.pid, start: start) }
        supervise(id, process)
        live.notify(id)
        return try await session { try TrainingSQL.session($0, id) }
    }

    static func notStartable(_ record: SessionRecord) -> RESTError {
        let message = record.status == "running" ? "training session '\(record.id)' is already running"
            : "training session '\(record.id)' has status \(record.status); a session runs once, create another to run again"
        return RESTError(.conflict, code: "conflict", message, field: "session_id")
    }

    /// The session's working directory, with the parsed config beside the output log.
    func directory(_ id: String) -> String { settings.workDirectory + "/sessions/" + id }

    private func launch(_ record: SessionRecord) throws -> TrainingProcess {
        let directory = self.directory(record.id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configFile = directory + "/config.json"
        try Data(record.config.text.utf8).write(to: URL(fileURLWithPath: configFile))
        return try TrainingProcess.spawn(record.command, environment: environment(record, configFile: configFile),
                                         directory: directory, logPath: directory + "/output.log")
    }

    /// The server's environment without its own settings (keys among them), the config's `env`, and the session's variables.
    private func environment(_ record: SessionRecord, configFile: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VIREO_") && $0.key != "OPENAI_API_KEY" }
        if case .object(let variables)? = record.config.member("env") {
            for (name, value) in variables { environment[name] = value.unquotedText ?? value.text }
        }
        let configPath = (try? TrainingConfig.resolve(record.configPath, under: settings.configsDirectory)) ?? ""
        environment["VIREO_SESSION_ID"] = record.id
        environment["VIREO_SERVER_URL"] = serverURLState.withLock { $0 } ?? ""
        environment["VIREO_API_KEY"] = settings.apiKey ?? ""
        environment["VIREO_SESSION_CONFIG"] = configFile
        environment["VIREO_CONFIG_DIR"] = (configPath as NSString).deletingLastPathComponent
        environment["VIREO_TOTAL_EPOCHS"] = String(record.totalEpochs)
        environment["VIREO_METRICS_MARKER"] = MetricReport.marker
        environment["PYTHONUNBUFFERED"] = environment["PYTHONUNBUFFERED"] ?? "1"
        return environment
    }

    /// A thread that reads the program's reports until its output closes, then reaps it.
    private func supervise(_ id: String, _ process: TrainingProcess) {
        let database = engine.database
        let logPath = directory(id) + "/output.log"
        Thread.detachNewThread { [self] in
            let log = FileHandle(forWritingAtPath: logPath)
            log?.seekToEndOfFile()
            process.readLines { line in
                log?.write(Data((line + "\n").utf8))
                guard let report = MetricReport.fromOutputLine(line) else { return }
                do {
                    let stored = try TrainingSQL.insert(database.session(), sessionID: id, report)
                    reported(id, stored)
                } catch {
                    logger.error("training session \(id): a report could not be stored: \(error)")
                }
            }
            try? log?.close()
            let code = process.wait()
            let error = code == 0 ? nil : code < 0 ? "the program was killed by signal \(-code)" : "the program exited with status \(code)"
            Task { _ = try? await self.finish(id, status: code == 0 ? "completed" : "failed", exitCode: code, error: error) }
        }
    }

    /// A program of a previous server run: no exit status to read, so polled until gone.
    private func watchAdopted(_ id: String, pid: Int32, start: Int64?) {
        Task { [self] in
            while ProcessTable.isAlive(pid, start: start) { try? await Task.sleep(for: .seconds(1)) }
            let record = try await session { try TrainingSQL.session($0, id) }
            let done = record.currentEpoch >= record.totalEpochs
            _ = try await finish(id, status: done ? "completed" : "failed", exitCode: nil,
                                 error: done ? nil : "the server restarted while the program ran; its exit status is unknown")
        }
    }

    func finish(_ id: String, status: String, exitCode: Int64?, error: String?) async throws -> SessionRecord {
        let record = try await session { try TrainingSQL.finish($0, id, status: status, exitCode: exitCode, error: error) }
        live.notify(id)
        for handler in finishedHandlers.withLock({ $0 }) { handler(record) }
        await announce(record)
        return record
    }

    /// SIGTERM to the program's process group now, SIGKILL after the grace period if anything of it is left.
    func stop(_ id: String) async throws -> SessionRecord {
        let record = try await session { session -> SessionRecord in
            let record = try TrainingSQL.session(session, id)
            guard record.status == "running", try TrainingSQL.transition(session, id, from: ["running"], to: "stopped", stamp: "stopped_at") else {
                throw RESTError(.conflict, code: "conflict", "training session '\(id)' is not running (status \(record.status))", field: "session_id")
            }
            return try TrainingSQL.session(session, id)
        }
        if let pid = record.pid {
            ProcessTable.signalGroup(pid, SIGTERM)
            let graceMs = settings.stopGraceMs
            Task {
                try? await Task.sleep(for: .milliseconds(graceMs))
                if kill(-pid, 0) == 0 { ProcessTable.signalGroup(pid, SIGKILL) }
            }
        }
        live.notify(id)
        return record
    }

    /// Deletes a session that is not running, with its reports, checkpoints and working directory.
    func delete(_ id: String) async throws {
        let checkpoints = try await session { session in
            let record = try TrainingSQL.session(session, id)
            guard record.status != "running" else {
                throw RESTError(.conflict, code: "conflict", "training session '\(id)' is running; stop it first", field: "session_id")
            }
            let checkpoints = try TrainingSQL.checkpoints(session, sessionID: id, limit: Int(Int32.max))
            try TrainingSQL.delete(session, id)
            return checkpoints.map(\.path)
        }
        for path in checkpoints { unlink(path) }
        try? FileManager.default.removeItem(atPath: directory(id))
        live.notify(id)
    }

    // MARK: Reports

    /// Stores a report POSTed for a session (which must exist).
    func record(_ id: String, _ report: MetricReport) async throws -> StoredReport {
        let stored = try await session { session in
            _ = try TrainingSQL.session(session, id)
            return try TrainingSQL.insert(session, sessionID: id, report)
        }
        reported(id, stored)
        return stored
    }

    private func reported(_ id: String, _ stored: StoredReport) {
        live.notify(id)
        for handler in reportHandlers.withLock({ $0 }) { handler(id, stored) }
        let values = Dictionary(MetricReport.numbers(stored.metrics), uniquingKeysWith: { _, last in last })
        Task { await self.evaluate(subject: id, values: values) }
    }

    // MARK: Notifications, alerts, webhooks

    /// A session's end as a notification and a webhook event.
    func announce(_ record: SessionRecord) async {
        let (priority, verb) = switch record.status {
        case "completed": ("medium", "completed")
        case "failed": ("high", "failed")
        default: ("low", record.status)
        }
        let data = JSONValue.fields(("session_id", .string(record.id)), ("session_name", record.name.map(JSONValue.string) ?? .null),
                                    ("status", .string(record.status)), ("exit_code", record.exitCode.map { .number(Double($0)) } ?? .null),
                                    ("error", record.error.map(JSONValue.string) ?? .null), ("final_metrics", record.latestMetrics))
        let message = "Training session \(record.id) \(verb)" + (record.error.map { ": \($0)" } ?? "")
        do {
            _ = try await session { try AlertSchema.notify($0, type: "training", priority: priority, message: message, data: data) }
        } catch {
            logger.error("training session \(record.id): no notification: \(error)")
        }
        await webhooks.emit("training_\(verb)", data: data)
    }

    /// Evaluates the alert rules on `values` of `subject`; raised and resolved alerts go to the webhooks.
    func evaluate(subject: String, values: [String: Double]) async {
        do {
            let outcome = try await session { session in
                try AlertSchema.evaluate(session, subject: subject, values: values) { metric, condition, threshold, seconds in
                    try AlertSchema.resourceHeld(session, metric: metric, condition: condition, threshold: threshold, seconds: seconds)
                }
            }
            for alert in outcome.raised { await webhooks.emit("alert_triggered", data: alert) }
            for alert in outcome.resolved { await webhooks.emit("alert_resolved", data: alert) }
        } catch {
            logger.error("alert rules on \(subject): \(error)")
        }
    }

    /// Samples resources into their table every `resourceSampleIntervalMs` and evaluates the
    /// resource rules on each sample; sends webhook deliveries meanwhile. Until cancelled.
    public func runUntilCancelled() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.webhooks.runUntilCancelled() }
            group.addTask {
                while !Task.isCancelled {
                    let sample = await ResourceMonitor.sample(diskPath: self.settings.workDirectory)
                    do {
                        try await self.session { try AlertSchema.record($0, sample) }
                        await self.evaluate(subject: "system", values: sample.values)
                    } catch {
                        self.logger.error("resource sample: \(error)")
                    }
                    try? await Task.sleep(for: .milliseconds(self.settings.resourceSampleIntervalMs))
                }
            }
            await group.waitForAll()
        }
    }
}
