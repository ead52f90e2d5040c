import Foundation
import VireoIndex
import VireoStorage

/// An open Vireo database: tables, indexes and vector indexes in one file, queried with
/// SQL. Safe to share across threads; each `Session` has its own transaction and settings.
///
///     let db = try Database.open(path: "app.vireo")
///     try db.execute("CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3))")
///     try db.execute("INSERT INTO items (embedding) VALUES ($1)", [.vector([1, 2, 3])])
///     let nearest = try db.query("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5", [.vector([1, 2, 2])])
public final class Database: @unchecked Sendable {
    public let store: Store
    let vectorIndexes: VectorIndexes
    /// pg_advisory_lock's locks, shared by the database's sessions.
    let advisoryLocks = AdvisoryLocks()
    /// LOCK TABLE's locks (TableLocks.swift).
    let tableLocks = TableLocks()
    /// pg_cancel_backend's and pg_terminate_backend's way to other connections (a server installs it).
    public let backendSignals = BackendSignals()
    /// LISTEN's listeners, by channel (Notifications.swift).
    public let notifications = NotificationHub()
    /// pg_stat_activity's connections (a server installs the list).
    public let sessionActivities = SessionActivities()
    private let defaultSessionLock = Lock()
    private lazy var defaultSession = session()
    private let sessionDefaultsLock = Lock()
    private var sessionDefaultValues: [String: String] = [:]
    /// The background load of `loadVectorIndexes`, which `close` stops and waits for.
    private let indexLoading = DispatchGroup()
    private let closingLock = Lock()
    private var closing = false

    /// Opens (creating if absent) the database at `path`, recovering it after a crash.
    public static func open(path: String, options: StorageOptions = StorageOptions()) throws -> Database {
        let database = Database(store: try Store.open(path: path, options: options))
        if !options.readOnly { try Session.dropLeftoverTemporaryTables(database) }
        return database
    }

    /// Lets a Store opened without a Database (`vireo check`) compute the keys of indexes
    /// over expressions and of partial indexes, which need SQL evaluation.
    public static func installIndexKeyComputation() {
        IndexExpressions.install()
    }

    /// A database that lives in memory only, gone when closed.
    public static func inMemory() throws -> Database {
        let options = StorageOptions(backend: SimulatedBackend(seed: 1), walCheckpointBytes: 256 << 20)
        return try open(path: "/memory/\(UUID().uuidString).vireo", options: options)
    }

    init(store: Store) {
        IndexExpressions.install()
        _ = Functions.processStartMicros  // pg_postmaster_start_time: when the first database opened
        self.store = store
        vectorIndexes = VectorIndexes(store: store)
    }

    /// The in-memory HNSW index behind the vector index `name` (loading it if needed),
    /// for direct searches that bypass SQL.
    public func vectorIndex(_ name: String) throws -> HNSWIndex {
        guard let (_, definition) = store.catalog.index(name), definition.method == "hnsw" else {
            throw VireoError(.undefinedObject, "vector index \"\(name)\" does not exist")
        }
        return try vectorIndexes.index(definition.name)
    }

    /// Starts loading every HNSW index into memory on a background thread and returns at
    /// once: a server calls it after opening, so that the first search does not pay the
    /// load (about 0.5 s for 100,000 384-d vectors, seconds for a million); a search that
    /// arrives during the load waits for it. Without it each index loads on first use.
    public func loadVectorIndexes() {
        indexLoading.enter()
        Thread.detachNewThread { [self] in
            defer { indexLoading.leave() }
            vectorIndexes.loadAll { closingLock.withLock { closing } }
        }
    }

    /// Stops bringing in-memory HNSW indexes up to date after commits, for a shutdown that
    /// must not wait for it (`vireo serve` at SIGTERM): a commit then drops the indexes it
    /// changed from memory, and each loads again from what the commit wrote (snapshot and
    /// change tree) when next used. Searches and commits go on working.
    public func stopVectorIndexCatchUp() { vectorIndexes.stopCatchingUp() }

    /// The storage engine's counters (WAL, buffer pool), for monitoring.
    public var storageStatistics: StorageStatistics { store.pager.statistics }

    /// Vectors in each HNSW index loaded in memory, by index name, for monitoring.
    public var vectorIndexSizes: [String: Int] { vectorIndexes.loadedSizes }

    /// A new session: its own transaction state and settings (SET), starting from the
    /// session defaults.
    public func session() -> Session { Session(database: self, settings: Settings(baseline: sessionDefaults)) }

    /// Makes `value` the setting `name` of every session opened from now on, as a server's
    /// configuration file does in PostgreSQL: the session starts with it, and RESET and
    /// `SET … TO DEFAULT` return to it. `vireo serve` sets server-wide timeouts this way:
    ///
    ///     try db.setSessionDefault("idle_in_transaction_session_timeout", "10min")
    ///
    /// Throws 22023 when `value` is not valid for `name` (as SET would). Sessions already
    /// open keep their settings; so do the shared session of `execute` and the sessions
    /// of prepared statements once they have run.
    public func setSessionDefault(_ name: String, _ value: String) throws {
        let name = name.lowercased()
        let checked = try Settings.checked(name, value)
        sessionDefaultsLock.withLock { sessionDefaultValues[name] = checked }
    }

    /// The values given to `setSessionDefault`, by setting name, as SHOW prints them.
    public var sessionDefaults: [String: String] { sessionDefaultsLock.withLock { sessionDefaultValues } }

    /// Runs every statement of `sql` in the shared default session; returns the last result.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [Value] = []) throws -> QueryResult {
        try defaultSessionLock.withLock { try defaultSession.execute(sql, parameters) }
    }

    /// `execute`, for statements that return rows.
    public func query(_ sql: String, _ parameters: [Value] = []) throws -> QueryResult {
        try execute(sql, parameters)
    }

    /// Runs `body` in a transaction of a new session: committed when it returns, rolled
    /// back when it throws.
    public func transaction<R>(_ body: (Session) throws -> R) throws -> R {
        let session = session()
        try session.execute("BEGIN")
        do {
            let result = try body(session)
            try session.execute("COMMIT")
            return result
        } catch {
            _ = try? session.execute("ROLLBACK")
            throw error
        }
    }

    /// Writes fresh vector-index snapshots, checkpoints and closes the files. Throws
    /// (closing nothing) while a session has an open write transaction.
    public func close() throws {
        let transaction = try store.beginWrite(waiting: false)
        closingLock.withLock { closing = true }
        indexLoading.wait()
        transaction.rollback()
        try? vectorIndexes.rewriteSnapshots(all: true)
        try store.close()
    }
}
