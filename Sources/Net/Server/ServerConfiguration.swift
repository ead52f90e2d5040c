import Foundation
import VireoStorage

/// How pgwire clients prove who they are.
public enum PGAuthMethod: String, Sendable, CaseIterable {
    /// SCRAM-SHA-256 with one of the server's API keys as the password (the default).
    case scram
    /// The password in clear text, checked against the API keys; only over TLS or loopback.
    case cleartext
    /// No password at all: for local development only.
    case trust
}

/// Everything `vireo serve` can be told: from flags, environment variables (VIREO_*) or
/// a config file. Limits are named here and checked where input enters.
public struct ServerConfiguration: Sendable {
    /// Directory holding the database, its WAL and the generated API key.
    public var dataDirectory = "data"
    /// Address both listeners bind; 127.0.0.1 unless told otherwise.
    public var host = "127.0.0.1"
    public var httpPort = 8000
    public var pgPort = 5433
    /// API keys accepted by REST (X-API-Key or Bearer) and as pgwire passwords. Empty:
    /// a key is generated on first start and kept in the data directory.
    public var apiKeys: [String] = []
    public var pgAuth = PGAuthMethod.scram
    /// Origins allowed by CORS; empty allows none.
    public var corsOrigins: [String] = []
    /// Open pgwire connections at most; more are refused with 53300.
    public var connectionsMax = 100
    /// Largest REST request body; larger ones get 413.
    public var requestBodyBytesMax = 32 << 20
    /// Largest file a vector store takes (MAIA's MAX_FILE_SIZE_BYTES); larger uploads get 413.
    public var fileBytesMax = 25 << 20
    /// Which embedder vector stores use: `auto` (MiniLM when its model is found, else
    /// hashing), `hashing`, `minilm` or `openai`.
    public var embedder = "auto"
    /// Training sessions' config paths are relative to this directory and may not leave it
    /// (the server's working directory unless told).
    public var trainingConfigsDirectory = "."
    /// How long stopping a training session waits after SIGTERM before SIGKILL.
    public var trainingStopGraceMs = 10_000
    /// How often resources are sampled into a table (and resource alert rules evaluated).
    public var resourceSampleIntervalMs = 10_000
    /// The first webhook retry's delay; each next one doubles it.
    public var webhookBackoffMs = 1000
    /// How often the background worker deletes vector stores past their expiry.
    public var expirySweepIntervalMs = 60_000
    /// Where and how `--embedder openai` reaches its endpoint.
    public var openAI = OpenAIEmbedderSettings()
    /// How long a WebSocket client may leave one message untaken (its buffers full) before it
    /// is disconnected as too slow.
    public var webSocketSendTimeoutMs = 30_000
    /// Every VIREO_* setting given, from the config file and the environment (the
    /// environment's winning): surfaces configured outside this type read theirs here.
    public var variables: [String: String] = [:]
    /// REST requests one API key may make per minute (429 beyond); nil: no limit.
    public var requestsPerMinuteMax: Int?
    /// Largest pgwire message; larger ones end the connection with 54000.
    public var messageBytesMax = 256 << 20
    /// Threads that run engine work, off the event loops. More than the cores: a thread
    /// waiting for the one write transaction (or for I/O) holds no core, and with too few
    /// threads a handful of waiting writers would stall every other client's reads.
    public var engineThreadCount = 64
    /// How long shutdown waits for in-flight requests before closing anyway.
    public var shutdownGraceMs = 10_000
    /// PEM files of the TLS certificate chain and its private key. With both set, REST
    /// speaks HTTPS and pgwire accepts SSLRequest; without them both are plain.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Settings every client session starts with (RESET returns to them). A forgotten
    /// open transaction holds the one writer, so the server bounds how long one may idle.
    public var sessionDefaults = ["idle_in_transaction_session_timeout": "10min"]
    /// How long an open waits for another process's lock on the database.
    public var busyTimeoutMs = 5_000

    public init() {}

    /// Largest upload body: the largest file plus room for the form's other fields.
    public var uploadBodyBytesMax: Int { fileBytesMax + (1 << 20) }

    /// The database file inside the data directory.
    public var databasePath: String { dataDirectory + "/vireo.db" }
}

extension ServerConfiguration {
    /// The settings' environment variables, for `vireo serve` and containers.
    public static let environmentVariables = [
        "VIREO_DATA": "data directory", "VIREO_HOST": "listen address", "VIREO_HTTP_PORT": "REST port",
        "VIREO_PG_PORT": "pgwire port", "VIREO_API_KEYS": "API keys, comma-separated", "VIREO_PG_AUTH": "scram, cleartext or trust",
        "VIREO_CORS_ORIGINS": "origins CORS allows, comma-separated", "VIREO_RATE_LIMIT": "REST requests per minute per key",
        "VIREO_TLS_CERT": "TLS certificate chain (PEM)", "VIREO_TLS_KEY": "TLS private key (PEM)",
        "VIREO_STATEMENT_TIMEOUT": "statement_timeout of every session", "VIREO_LOCK_TIMEOUT": "lock_timeout of every session",
        "VIREO_IDLE_IN_TRANSACTION_TIMEOUT": "idle_in_transaction_session_timeout of every session (10min)",
        "VIREO_MAX_FILE_SIZE_BYTES": "largest file a vector store takes (25 MiB)",
        "VIREO_EXPIRY_SWEEP_MS": "how often expired vector stores are deleted (60000)",
        "VIREO_TRAINING_CONFIGS": "directory training session configs are read from (the working directory)",
        "VIREO_TRAINING_STOP_GRACE_MS": "how long stopping a training session waits before SIGKILL (10000)",
        "VIREO_RESOURCE_SAMPLE_MS": "how often resources are sampled for monitoring and alerts (10000)",
        "VIREO_WEBHOOK_BACKOFF_MS": "first webhook retry delay, doubled at each retry (1000)",
        "VIREO_EMBEDDER": "auto, hashing, minilm or openai (auto: minilm when its model is found, else hashing)",
        "VIREO_WEBSOCKET_SEND_TIMEOUT_MS": "how long a WebSocket send waits for a client that reads nothing (30000)",
        "VIREO_JOB_LEASE_SECONDS": "seconds a node keeps a job without ack or heartbeat (60)",
        "VIREO_JOB_MAX_ATTEMPTS": "runs of a job before it fails for good (3)",
        "VIREO_NODE_INACTIVE_SECONDS": "seconds without a heartbeat before a node is inactive (60)",
    ].merging(OpenAIEmbedderSettings.environmentVariables) { first, _ in first }

    /// Defaults, overridden by the config file's settings (when given), overridden by
    /// VIREO_* environment variables.
    public static func load(configFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration {
        guard let configFile else { return try fromEnvironment(environment) }
        let fileSettings = try Self.parseConfigFile(configFile)
        return try fromEnvironment(fileSettings.merging(environment) { _, fromEnvironment in fromEnvironment })
    }

    /// A config file: `name = value` lines naming the environment variables without their
    /// VIREO_ prefix (`pg_port = 5433`, `api_keys = k1, k2`); `#` starts a comment.
    static func parseConfigFile(_ path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw VireoError(.invalidParameter, "cannot read the config file '\(path)'")
        }
        var settings: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let variable = "VIREO_" + (parts.first ?? "").uppercased()
            guard parts.count == 2, environmentVariables[variable] != nil else {
                let known = environmentVariables.keys.map { $0.dropFirst(6).lowercased() }.sorted().joined(separator: ", ")
                throw VireoError(.invalidParameter, "\(path):\(index + 1): expected 'name = value' with a name among \(known)")
            }
            settings[variable] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return settings
    }

    /// Defaults overridden by VIREO_* environment variables; a malformed value is an error.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.variables = environment.filter { $0.key.hasPrefix("VIREO_") }
        if let data = environment["VIREO_DATA"] { configuration.dataDirectory = data }
        if let host = environment["VIREO_HOST"] { configuration.host = host }
        if let port = environment["VIREO_HTTP_PORT"] { configuration.httpPort = try Self.port(port, "VIREO_HTTP_PORT") }
        if let port = environment["VIREO_PG_PORT"] { configuration.pgPort = try Self.port(port, "VIREO_PG_PORT") }
        if let keys = environment["VIREO_API_KEYS"] { configuration.apiKeys = list(keys) }
        for (variable, setting) in timeoutVariables { if let value = environment[variable] { configuration.sessionDefaults[setting] = value } }
        configuration.tlsCertificatePath = environment["VIREO_TLS_CERT"]
        configuration.tlsKeyPath = environment["VIREO_TLS_KEY"]
        if let embedder = environment["VIREO_EMBEDDER"] { configuration.embedder = embedder }
        configuration.openAI = try OpenAIEmbedderSettings.fromEnvironment(environment)
        if let bytes = environment["VIREO_MAX_FILE_SIZE_BYTES"] {
            guard let fileBytesMax = Int(bytes), fileBytesMax > 0 else {
                throw VireoError(.invalidParameter, "VIREO_MAX_FILE_SIZE_BYTES must be a positive number of bytes, got '\(bytes)'")
            }
            configuration.fileBytesMax = fileBytesMax
        }
        if let text = environment["VIREO_EXPIRY_SWEEP_MS"] {
            guard let interval = Int(text), interval > 0 else {
                throw VireoError(.invalidParameter, "VIREO_EXPIRY_SWEEP_MS must be a positive number of milliseconds, got '\(text)'")
            }
            configuration.expirySweepIntervalMs = interval
        }
        if let directory = environment["VIREO_TRAINING_CONFIGS"] { configuration.trainingConfigsDirectory = directory }
        if let text = environment["VIREO_TRAINING_STOP_GRACE_MS"] {
            guard let grace = Int(text), grace >= 0 else {
                throw VireoError(.invalidParameter, "VIREO_TRAINING_STOP_GRACE_MS must be a number of milliseconds, got '\(text)'")
            }
            configuration.trainingStopGraceMs = grace
        }
        for (variable, keyPath) in [("VIREO_RESOURCE_SAMPLE_MS", \ServerConfiguration.resourceSampleIntervalMs),
                                    ("VIREO_WEBHOOK_BACKOFF_MS", \ServerConfiguration.webhookBackoffMs),
                                    ("VIREO_WEBSOCKET_SEND_TIMEOUT_MS", \ServerConfiguration.webSocketSendTimeoutMs)] {
            guard let text = environment[variable] else { continue }
            guard let milliseconds = Int(text), milliseconds > 0 else {
                throw VireoError(.invalidParameter, "\(variable) must be a positive number of milliseconds, got '\(text)'")
            }
            configuration[keyPath: keyPath] = milliseconds
        }
        if let origins = environment["VIREO_CORS_ORIGINS"] { configuration.corsOrigins = list(origins) }
        if let limit = environment["VIREO_RATE_LIMIT"] {
            guard let perMinute = Int(limit), perMinute > 0 else {
                throw VireoError(.invalidParameter, "VIREO_RATE_LIMIT must be a positive number of requests per minute, got '\(limit)'")
            }
            configuration.requestsPerMinuteMax = perMinute
        }
        if let auth = environment["VIREO_PG_AUTH"] {
            guard let method = PGAuthMethod(rawValue: auth) else {
                throw VireoError(.invalidParameter, "VIREO_PG_AUTH must be scram, cleartext or trust, got '\(auth)'")
            }
            configuration.pgAuth = method
        }
        return configuration
    }

    static let timeoutVariables = [("VIREO_STATEMENT_TIMEOUT", "statement_timeout"), ("VIREO_LOCK_TIMEOUT", "lock_timeout"),
                                   ("VIREO_IDLE_IN_TRANSACTION_TIMEOUT", "idle_in_transaction_session_timeout")]

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A TCP port number (0 picks a free one).
    public static func port(_ text: String, _ name: String) throws -> Int {
        guard let port = Int(text), (0...65_535).contains(port) else {
            throw VireoError(.invalidParameter, "\(name) must be a port number from 0 to 65535, got '\(text)'")
        }
        return port
    }
}
