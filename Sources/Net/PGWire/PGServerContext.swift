import Logging
import Synchronization
import VireoQuery

/// What every connection of one pgwire server shares.
final class PGServerContext: Sendable {
    let database: Database
    let executor: EngineExecutor
    let keys: APIKeys
    let scram: SCRAMVerifier
    let configuration: ServerConfiguration
    let logger: Logger
    let connections: PGConnectionRegistry
    let metrics: ServerMetrics
    /// The principal of a user's access token (the pipelines surface's JWTs), for cleartext
    /// password authentication; nil where the server has no users.
    let tokens: (@Sendable (String) async -> Principal?)?

    init(database: Database, executor: EngineExecutor, keys: APIKeys, configuration: ServerConfiguration, logger: Logger,
         metrics: ServerMetrics, tokens: (@Sendable (String) async -> Principal?)? = nil) {
        self.metrics = metrics
        self.tokens = tokens
        self.database = database
        self.executor = executor
        self.keys = keys
        self.scram = SCRAMVerifier(passwords: keys.keys)
        self.configuration = configuration
        self.logger = logger
        let connections = PGConnectionRegistry(connectionsMax: configuration.connectionsMax)
        self.connections = connections
        database.backendSignals.install { processID, signal in connections.signal(processID, signal) }
        database.sessionActivities.install { connections.activities }
    }
}

/// The open connections: how many (against the limit) and the keys a CancelRequest
/// must present, by backend process id.
final class PGConnectionRegistry: Sendable {
    struct Entry: Sendable {
        var secretKey: Int32
        var session: Session
        /// The connection's channel, which pg_terminate_backend ends.
        var port: PGChannelPort
        /// What pg_stat_activity shows of it.
        var activity: SessionActivity
    }

    let connectionsMax: Int
    private let state = Mutex<(nextProcessID: Int32, entries: [Int32: Entry])>((1, [:]))

    init(connectionsMax: Int) { self.connectionsMax = connectionsMax }

    /// A process id, secret key and activity record for a new connection; nil when the limit is reached.
    func register(_ session: Session, _ port: PGChannelPort,
                  _ client: SessionActivity.Client) -> (processID: Int32, secretKey: Int32, activity: SessionActivity)? {
        state.withLock { state in
            guard state.entries.count < connectionsMax else { return nil }
            let processID = state.nextProcessID
            state.nextProcessID = processID == Int32.max ? 1 : processID + 1
            let secretKey = Int32.random(in: Int32.min...Int32.max)
            let activity = SessionActivity(processID: processID, client: client)
            state.entries[processID] = Entry(secretKey: secretKey, session: session, port: port, activity: activity)
            return (processID, secretKey, activity)
        }
    }

    /// pg_stat_activity's rows: every open connection's activity.
    var activities: [SessionActivity] { state.withLock { $0.entries.values.map(\.activity) } }

    func remove(_ processID: Int32) {
        _ = state.withLock { $0.entries.removeValue(forKey: processID) }
    }

    /// The session a CancelRequest names, if its key matches.
    func session(processID: Int32, secretKey: Int32) -> Session? {
        state.withLock { state in
            guard let entry = state.entries[processID], entry.secretKey == secretKey else { return nil }
            return entry.session
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// pg_cancel_backend and pg_terminate_backend (BackendSignals): cancels the running
    /// statement of the connection with that process id; terminating also ends the
    /// connection once the statement stops, with FATAL 57P01 as PostgreSQL sends it.
    /// Whether a connection had that id. Never blocks.
    func signal(_ processID: Int32, _ signal: BackendSignals.Signal) -> Bool {
        guard let entry = state.withLock({ $0.entries[processID] }) else { return false }
        if signal == .terminate { entry.port.terminate() }
        entry.session.cancel()
        return true
    }
}
