import Crypto
import Foundation
import Logging
import Synchronization
import VireoQuery
import VireoStorage

/// What the AI-ETL surface needs besides the engine: the token issuer, the connector
/// secrets' key and roots, the embedder for pipelines that embed a column, and the loop
/// that fires schedules and runs queued runs. `vireo serve` makes one and runs `run()`
/// beside the listeners.
public final class PipelineService: Sendable {
    /// The file in the data directory that holds the key sealing connector secrets.
    public static let secretsKeyFileName = "connector-secrets.key"
    /// Runs executing at once; more wait queued.
    static let concurrentRunsMax = 2
    /// How often the loop looks for due schedules and queued runs.
    static let tickMs = 500

    let engine: EngineAccess
    public let tokens: TokenIssuer
    let store: ConnectorStore
    let roots: ConnectorRoots
    let embedder: (any Embedder)?
    /// The chat model `nl-query` asks first, when configured.
    let chat: NLChatSettings?
    let logger = Logger(label: "vireo.pipelines")
    let active = Mutex<Set<String>>([])
    let wakeStream: AsyncStream<Void>
    let wakeContinuation: AsyncStream<Void>.Continuation
    let stopped = Mutex(false)

    init(engine: EngineAccess, tokens: TokenIssuer, secretsKey: SymmetricKey, roots: [String], embedder: (any Embedder)?, chat: NLChatSettings?) {
        self.chat = chat
        self.engine = engine
        self.tokens = tokens
        store = ConnectorStore(secretsKey: secretsKey)
        self.roots = ConnectorRoots(roots)
        self.embedder = embedder
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// A service over `database` whose secrets live in `dataDirectory`; file connectors
    /// may read under `connectorRoots` only.
    public static func make(engine: EngineAccess, dataDirectory: String, connectorRoots: [String],
                            embedder: (any Embedder)?, chat: NLChatSettings? = nil) async throws -> PipelineService {
        let tokens = try await TokenIssuer.load(dataDirectory: dataDirectory)
        let key = try SecretFile.load(dataDirectory + "/" + secretsKeyFileName)
        return PipelineService(engine: engine, tokens: tokens, secretsKey: SymmetricKey(data: key), roots: connectorRoots, embedder: embedder, chat: chat)
    }

    /// Creates the tables, and fails the runs a previous process left running (their
    /// rows are half written and a run is not resumed part way: see docs/pipelines.md).
    public func prepare() async throws {
        let failed = try await engine.session { session in
            try PipelineSchema.create(session)
            return try session.execute("""
                UPDATE \(PipelineSchema.runs) SET status = 'failed', finished_at = $1,
                  error = 'interrupted: the server stopped while this run was running; run the pipeline again'
                WHERE status = 'running'
                """, [.int(PipelineIDs.nowMs)]).rowCount
        }
        if failed > 0 { logger.warning("\(failed) pipeline runs were interrupted by the last shutdown and are marked failed") }
    }

    /// A reader for `connector`.
    func reader(_ connector: StoredConnector, _ session: Session) throws -> any ConnectorReader {
        let path = { try self.roots.confine(connector.setting("path")?.unquotedText ?? "") }
        switch connector.type {
        case "csv":
            let delimiter = connector.setting("delimiter")?.unquotedText?.utf8.first ?? UInt8(ascii: ",")
            let header: Bool = if case .bool(let flag)? = connector.setting("header") { flag } else { true }
            return FileConnector(format: .csv, path: try path(), delimiter: delimiter, hasHeader: header)
        case "jsonl": return FileConnector(format: .jsonl, path: try path(), delimiter: 0, hasHeader: true)
        case "sqlite": return SQLiteConnector(path: try path())
        case "vireo": return VireoConnector(session: session)
        case "postgresql": return try PostgresConnector(connector)
        case "http_json": return try HTTPJSONConnector(connector)
        default: throw RESTError.invalid("type", "connector type \(connector.type) cannot run here")
        }
    }

    /// Tells the loop there is work (a queued run).
    func wake() { wakeContinuation.yield() }

    /// Ends `run()` after its current round; runs in flight finish on their own tasks.
    public func stop() {
        stopped.withLock { $0 = true }
        wakeContinuation.finish()
    }

    /// The loop: every tick (or when woken), fire the schedules that are due and start the
    /// queued runs there is room for, until `stop()`.
    public func run() async {
        let ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Self.tickMs))
                self?.wakeContinuation.yield()
            }
        }
        defer { ticker.cancel() }
        wake()
        for await _ in wakeStream {
            if stopped.withLock({ $0 }) { return }
            do {
                try await PipelineScheduler.fireDue(self)
                try await startQueued()
            } catch {
                logger.error("pipeline loop: \(error)")
            }
        }
    }

    /// Claims queued runs (oldest first) while fewer than `concurrentRunsMax` run here.
    func startQueued() async throws {
        while active.withLock({ $0.count }) < Self.concurrentRunsMax {
            let claimed = try await engine.session { session -> String? in
                guard let id = try session.execute("SELECT id FROM \(PipelineSchema.runs) WHERE status = 'queued' ORDER BY seq LIMIT 1").rows.first?.text(0) else { return nil }
                let changed = try session.execute("UPDATE \(PipelineSchema.runs) SET status = 'running', started_at = $2 WHERE id = $1 AND status = 'queued'",
                                                  [.text(id), .int(PipelineIDs.nowMs)]).rowCount
                return changed == 1 ? id : nil
            }
            guard let claimed else { return }
            active.withLock { _ = $0.insert(claimed) }
            Task { [self] in
                await PipelineRunner(service: self, runID: claimed).execute()
                active.withLock { _ = $0.remove(claimed) }
                wake()
            }
        }
    }
}
