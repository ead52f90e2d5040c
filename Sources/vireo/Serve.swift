import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import Logging
import ServiceLifecycle
import VireoNet
import VireoQuery
import VireoStorage

extension PGAuthMethod: ExpressibleByArgument {}

/// `vireo serve`: the database over the PostgreSQL wire protocol (and REST), until
/// SIGINT or SIGTERM; a second signal exits at once (the WAL keeps every commit).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a database over the PostgreSQL wire protocol and REST.",
        discussion: "Settings come from flags, else from the environment, else from the config file (--config or VIREO_CONFIG), else defaults. Variables: "
            + ServerConfiguration.environmentVariables.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ") + ".")

    @Option(help: "A config file of 'name = value' lines (data, pg_port, api_keys … as the VIREO_* variables, lower case, without VIREO_).")
    var config: String?
    @Option(help: "Directory of the database, its WAL and the generated API key.")
    var data: String?
    @Option(help: "Address to listen on.")
    var host: String?
    @Option(help: "Port of the REST API.")
    var httpPort: Int?
    @Option(help: "Port of the PostgreSQL wire protocol (0: any free port).")
    var pgPort: Int?
    @Option(help: "pgwire authentication: scram (an API key as password), cleartext or trust.")
    var pgAuth: PGAuthMethod?
    @Option(name: .customLong("api-key"), help: "An API key to accept; may repeat. Without any, one is generated on first start.")
    var apiKeys: [String] = []
    @Option(name: .customLong("cors-origin"), help: "An origin CORS allows for REST; may repeat.")
    var corsOrigins: [String] = []
    @Option(help: "REST requests per minute per API key (default: no limit).")
    var rateLimit: Int?
    @Option(help: "TLS certificate chain (PEM) for HTTPS and pgwire's sslmode; needs --tls-key.")
    var tlsCert: String?
    @Option(help: "TLS private key (PEM).")
    var tlsKey: String?
    @Option(help: "statement_timeout of every session, e.g. 30s (default: none).")
    var statementTimeout: String?
    @Option(help: "lock_timeout of every session: how long a statement waits for a row, table or advisory lock or the writer gate (default: no limit).")
    var lockTimeout: String?
    @Option(help: "idle_in_transaction_session_timeout of every session (default: 10min; 0: none).")
    var idleInTransactionTimeout: String?
    @Option(help: "Embedder of vector stores: auto (MiniLM when its model is found, else hashing), hashing, minilm or openai (a remote OpenAI-compatible endpoint, the --openai-* settings); VIREO_MODEL_DIR names the model folder.")
    var embedder: String?
    @Option(help: "With --embedder openai: base URL of the embeddings API (default https://api.openai.com/v1).")
    var openaiBaseUrl: String?
    @Option(help: "With --embedder openai: its API key (better: VIREO_OPENAI_API_KEY or OPENAI_API_KEY, which ps does not show).")
    var openaiApiKey: String?
    @Option(help: "With --embedder openai: the embedding model (default text-embedding-3-small).")
    var openaiModel: String?
    @Option(help: "With --embedder openai: vector length asked of the model (default: the model's own, learnt by one request at start).")
    var openaiDimensions: Int?
    @Option(help: "With --embedder openai: texts per request (default 64).")
    var openaiBatchSize: Int?
    @Option(help: "With --embedder openai: retries of a request that got 408/409/429/5xx or no answer, with exponential backoff (default 4).")
    var openaiRetries: Int?
    @Option(help: "With --embedder openai: timeout of one request in milliseconds (default 30000).")
    var openaiTimeoutMs: Int?
    @Option(help: "Directory training session configs are read from; config paths may not leave it (default: the working directory).")
    var trainingConfigs: String?
    @Option(help: "Largest file a vector store takes, in bytes (default 25 MiB); larger uploads get 413.")
    var maxFileSizeBytes: Int?
    @Option(name: .customLong("connector-root"), help: "A folder whose files (CSV, JSON lines, SQLite) pipeline connectors may read; may repeat. Without one, file connectors are off.")
    var connectorRoots: [String] = []
    @Option(help: "nl-query asks this OpenAI-compatible chat API first (base URL, e.g. https://api.openai.com/v1); the key from VIREO_NL_API_KEY.")
    var nlBaseUrl: String?
    @Option(help: "With --nl-base-url: the chat model.")
    var nlModel: String?
    @Option(help: "With --nl-base-url: timeout of one request in milliseconds (default 20000).")
    var nlTimeoutMs: Int?
    @Option(help: "With --nl-base-url: retries after 408/409/429/5xx or no answer (default 2).")
    var nlRetries: Int?
    @Option(help: "Jobs: seconds a node keeps a job without ack or heartbeat before it goes back to pending (default 60; VIREO_JOB_LEASE_SECONDS).")
    var jobLeaseSeconds: Double?
    @Option(help: "Jobs: assignments of a job before a lost lease fails it (default 3; VIREO_JOB_MAX_ATTEMPTS).")
    var jobMaxAttempts: Int?
    @Option(help: "Jobs: seconds after its last call a node counts as inactive (default 60; VIREO_NODE_INACTIVE_SECONDS).")
    var nodeInactiveSeconds: Double?

    func run() async throws {
        let configuration = try settings()
        let logger = Logger(label: "vireo.serve")
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        var storageLogger = Logger(label: "vireo.storage")
        storageLogger.logLevel = .warning
        let database = try Database.open(path: configuration.databasePath, options: StorageOptions(
            busyTimeoutMs: configuration.busyTimeoutMs, logger: storageLogger))
        for (name, value) in configuration.sessionDefaults { try database.setSessionDefault(name, value) }
        database.loadVectorIndexes()  // in the background: the first search then finds its index in memory
        let (keys, generated) = try APIKeys.load(configured: configuration.apiKeys, dataDirectory: configuration.dataDirectory)
        let executor = EngineExecutor(threadCount: configuration.engineThreadCount)
        let metrics = ServerMetrics()
        let tls = try ServerTLS.load(configuration)
        let scheme = tls == nil ? "http" : "https"
        let (embedder, embedderNote) = try await EmbedderChoice.make(configuration.embedder, openAI: configuration.openAI)
        let vectorStores = VectorStoreService(engine: EngineAccess(database: database, executor: executor), embedder: embedder,
                                              fileBytesMax: configuration.fileBytesMax,
                                              expirySweepIntervalMs: configuration.expirySweepIntervalMs)
        try await vectorStores.prepare()
        // One dispatcher for every surface's webhook events (training, alerts, pipeline runs).
        let webhooks = WebhookDispatcher(engine: EngineAccess(database: database, executor: executor), backoffBaseMs: configuration.webhookBackoffMs)
        let pipelines = try await PipelineService.make(engine: EngineAccess(database: database, executor: executor),
                                                       dataDirectory: configuration.dataDirectory, connectorRoots: connectorRoots,
                                                       embedder: embedder, chat: try chatSettings(), webhooks: webhooks)
        try await pipelines.prepare()
        let pg = PGServer(database: database, executor: executor, keys: keys, configuration: configuration, logger: logger,
                          metrics: metrics, tls: tls, pipelines: pipelines)
        let training = TrainingService(engine: EngineAccess(database: database, executor: executor), settings: TrainingSettings(
            configsDirectory: configuration.trainingConfigsDirectory, workDirectory: configuration.dataDirectory + "/training",
            stopGraceMs: configuration.trainingStopGraceMs, apiKey: keys.keys.first,
            resourceSampleIntervalMs: configuration.resourceSampleIntervalMs), webhooks: webhooks)
        try await training.prepare()
        say(embedderNote)
        let jobs = JobService(engine: EngineAccess(database: database, executor: executor), configuration: try jobsSettings(configuration.variables), embedder: embedder)
        try await jobs.prepare()
        let webSocketStop = WebSocketStop()
        let http = try makeHTTPApplication(database: database, executor: executor, keys: keys, configuration: configuration,
                                           logger: logger, metrics: metrics, tls: tls, vectorStores: vectorStores,
                                           pipelines: pipelines, jobs: jobs, training: training,
                                           webhooks: webhooks, webSocketStop: webSocketStop) { channel in
            training.setServerURL("\(scheme)://\(configuration.host):\(channel.localAddress?.port ?? configuration.httpPort)")
            say("REST listening on \(scheme)://\(configuration.host):\(channel.localAddress?.port ?? configuration.httpPort) (docs at /docs, OpenAPI at /openapi.json)")
        }
        let shutdown = ShutdownSignals(graceMs: configuration.shutdownGraceMs)
        Self.announce(configuration, keys: keys, generated: generated)
        let pgService = PGService(server: pg)
        let services = ServiceGroup(configuration: .init(services: [pgService, http, WorkerService(worker: vectorStores.worker),
                                                                                PipelineLoopService(pipelines: pipelines), JobLeaseService(jobs: jobs),
                                                                                TrainingMonitorService(training: training), WebhookService(webhooks: webhooks)],
                                                         logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await shutdown.wait()
                // In-flight requests must end within the grace period: a commit's vector-index
                // catch-up (seconds after a large file) is left to the index's next load.
                database.stopVectorIndexCatchUp()
                // Every open WebSocket writes its close frame before the HTTP server's graceful
                // stop begins: that stop's own close of a socket could drop the frame.
                await webSocketStop.closeAll()
                await services.triggerGracefulShutdown()
            }
            defer { group.cancelAll() }  // the signal watcher, when a service failed instead
            try await services.run()
        }
        try await executor.shutdown()
        try database.close()
        say("vireo serve: stopped; the database is checkpointed and closed")
    }

    /// The chat model of nl-query, when --nl-base-url is given.
    private func chatSettings() throws -> NLChatSettings? {
        guard let nlBaseUrl else { return nil }
        guard let nlModel else { throw ValidationError("--nl-base-url needs --nl-model") }
        var chat = NLChatSettings(baseURL: nlBaseUrl, model: nlModel, apiKey: ProcessInfo.processInfo.environment["VIREO_NL_API_KEY"])
        if let nlTimeoutMs {
            guard (1...NLChatSettings.timeoutMsMax).contains(nlTimeoutMs) else { throw ValidationError("--nl-timeout-ms must be 1 to \(NLChatSettings.timeoutMsMax)") }
            chat.timeoutMs = nlTimeoutMs
        }
        if let nlRetries {
            guard (0...NLChatSettings.retriesMax).contains(nlRetries) else { throw ValidationError("--nl-retries must be 0 to \(NLChatSettings.retriesMax)") }
            chat.retries = nlRetries
        }
        return chat
    }

    private func settings() throws -> ServerConfiguration {
        var configuration = try ServerConfiguration.load(configFile: config ?? ProcessInfo.processInfo.environment["VIREO_CONFIG"])
        if let data { configuration.dataDirectory = data }
        if let host { configuration.host = host }
        if let httpPort { configuration.httpPort = try ServerConfiguration.port(String(httpPort), "--http-port") }
        if let pgPort { configuration.pgPort = try ServerConfiguration.port(String(pgPort), "--pg-port") }
        if let pgAuth { configuration.pgAuth = pgAuth }
        if !apiKeys.isEmpty { configuration.apiKeys = apiKeys }
        if !corsOrigins.isEmpty { configuration.corsOrigins = corsOrigins }
        if let statementTimeout { configuration.sessionDefaults["statement_timeout"] = statementTimeout }
        if let lockTimeout { configuration.sessionDefaults["lock_timeout"] = lockTimeout }
        if let idleInTransactionTimeout { configuration.sessionDefaults["idle_in_transaction_session_timeout"] = idleInTransactionTimeout }
        if let tlsCert { configuration.tlsCertificatePath = tlsCert }
        if let tlsKey { configuration.tlsKeyPath = tlsKey }
        if let embedder { configuration.embedder = embedder }
        if let openaiBaseUrl { configuration.openAI.baseURL = openaiBaseUrl }
        if let openaiApiKey { configuration.openAI.apiKey = openaiApiKey }
        if let openaiModel { configuration.openAI.model = openaiModel }
        if let openaiDimensions { configuration.openAI.dimensions = openaiDimensions }
        if let openaiBatchSize { configuration.openAI.batchSize = openaiBatchSize }
        if let openaiRetries { configuration.openAI.retries = openaiRetries }
        if let openaiTimeoutMs { configuration.openAI.timeoutMs = openaiTimeoutMs }
        if let trainingConfigs { configuration.trainingConfigsDirectory = trainingConfigs }
        if let maxFileSizeBytes {
            guard maxFileSizeBytes > 0 else { throw ValidationError("--max-file-size-bytes must be positive") }
            configuration.fileBytesMax = maxFileSizeBytes
        }
        if let rateLimit {
            guard rateLimit > 0 else { throw ValidationError("--rate-limit must be a positive number of requests per minute") }
            configuration.requestsPerMinuteMax = rateLimit
        }
        return configuration
    }

    /// The job queue's settings: flags, else VIREO_JOB_* settings (environment or config file), else defaults.
    private func jobsSettings(_ environment: [String: String]) throws -> JobsConfiguration {
        var settings = JobsConfiguration()
        func seconds(_ flag: Double?, _ variable: String, _ name: String) throws -> Int? {
            guard let value = flag ?? environment[variable].flatMap(Double.init) else { return nil }
            guard value > 0, value <= 86_400 else { throw ValidationError("\(name) must be more than 0 and at most 86400 seconds") }
            return Int(value * 1000)
        }
        if let leaseMs = try seconds(jobLeaseSeconds, "VIREO_JOB_LEASE_SECONDS", "--job-lease-seconds") { settings.leaseMs = leaseMs }
        if let inactiveMs = try seconds(nodeInactiveSeconds, "VIREO_NODE_INACTIVE_SECONDS", "--node-inactive-seconds") {
            settings.nodeInactiveAfterMs = inactiveMs
        }
        if let attempts = jobMaxAttempts ?? environment["VIREO_JOB_MAX_ATTEMPTS"].flatMap(Int.init) {
            guard (1...100).contains(attempts) else { throw ValidationError("--job-max-attempts must be from 1 to 100") }
            settings.attemptsMax = attempts
        }
        return settings
    }

    /// The first screen: the database and the API key; each listener adds where it listens.
    static func announce(_ configuration: ServerConfiguration, keys: APIKeys, generated: String?) {
        say("vireo serve: \(configuration.databasePath)")
        if let generated {
            say("API key (generated, kept in \(configuration.dataDirectory)/\(APIKeys.fileName)): \(generated)")
        } else if configuration.apiKeys.isEmpty {
            say("API key: in \(configuration.dataDirectory)/\(APIKeys.fileName)")
        }
    }
}

/// The pgwire listener as a service: it stops accepting at graceful shutdown, and its
/// connections end after their current statement.
struct PGService: Service {
    let server: PGServer

    func run() async throws {
        do {
            try await run(server)
        } catch is CancellationError {
            // Graceful shutdown cancels the accept loop: that is how it stops, not a failure.
        }
    }

    private func run(_ server: PGServer) async throws {
        try await cancelWhenGracefulShutdown {
            try await server.run { port in
                let host = server.configuration.host
                say("pgwire listening on \(host):\(port)")
                say("  psql \"postgresql://vireo@\(host):\(port)/vireo\"   (password: an API key)")
            }
        }
    }
}

/// The background worker (vector-store files over 50 KB) as a service: it stops at graceful
/// shutdown; a job it was running is picked up again at the next start.
struct WorkerService: Service {
    let worker: BackgroundWorker

    func run() async throws {
        await withGracefulShutdownHandler {
            await worker.runUntilCancelled()
        } onGracefulShutdown: {
            worker.stop()
        }
    }
}

/// The pipelines' scheduler and run loop as a service: it stops taking new work at graceful
/// shutdown; a run cut short is marked failed at the next start.
struct PipelineLoopService: Service {
    let pipelines: PipelineService

    func run() async throws {
        await withGracefulShutdownHandler {
            await pipelines.run()
        } onGracefulShutdown: {
            pipelines.stop()
        }
    }
}

/// The job queue's lease sweeper as a service: expired leases go back to pending.
struct JobLeaseService: Service {
    let jobs: JobService

    func run() async throws {
        // Listed after the REST service, so it hears of the shutdown first: long polls then
        // answer at once instead of holding the REST service's graceful stop.
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown { await jobs.runUntilCancelled() }
        } onGracefulShutdown: {
            jobs.stopPolls()
        }
    }
}

/// Resource samples and alert rules on them, until graceful shutdown.
struct TrainingMonitorService: Service {
    let training: TrainingService

    func run() async throws {
        try? await cancelWhenGracefulShutdown { await training.runUntilCancelled() }
    }
}

/// Webhook deliveries of every surface, until graceful shutdown.
struct WebhookService: Service {
    let webhooks: WebhookDispatcher

    func run() async throws {
        try? await cancelWhenGracefulShutdown { await webhooks.runUntilCancelled() }
    }
}

/// Writes a line to standard output at once (unbuffered), so that scripts and tests
/// waiting for it see it while the server runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// SIGINT and SIGTERM: the first starts a graceful shutdown, bounded by `graceMs`; the
/// second (or the end of the grace period) exits at once.
final class ShutdownSignals: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>
    private let graceMs: Int

    init(graceMs: Int) {
        self.graceMs = graceMs
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        // One count for both signals: SIGTERM then SIGINT (or the other way) is a second signal too.
        let received = Atomic<Int>(0)
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if received.add(1, ordering: .relaxed).newValue > 1 { _exit(130) }
                continuation.yield(number)
            }
            source.resume()
            return source
        }
    }

    /// Returns at the first signal and arms the grace-period deadline.
    func wait() async {
        for await number in stream {
            say("vireo serve: signal \(number), finishing in-flight work (a second signal exits at once)")
            let graceMs = self.graceMs
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(graceMs)) {
                say("vireo serve: in-flight work outlasted \(graceMs) ms; exiting without a checkpoint (the WAL keeps every commit)")
                _exit(1)
            }
            return
        }
    }
}
