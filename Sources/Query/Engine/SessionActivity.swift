import Synchronization
import VireoStorage

/// What pg_stat_activity shows of one connection: who it is, and what it is doing, updated
/// by the server at each statement's start and at each ReadyForQuery. A small record with a
/// lock of its own, so that another thread reads it safely and a statement pays two
/// uncontended lock operations, no global one.
public final class SessionActivity: Sendable {
    /// The connection's identity, fixed at startup.
    public struct Client: Sendable {
        public var user: String?
        public var database: String?
        public var applicationName: String?
        /// The client's IP address; nil for a Unix socket (PostgreSQL shows NULL then).
        public var address: String?
        public var port: Int?

        public init(user: String? = nil, database: String? = nil, applicationName: String? = nil, address: String? = nil, port: Int? = nil) {
            self.user = user
            self.database = database
            self.applicationName = applicationName
            self.address = address
            self.port = port
        }
    }

    /// pg_stat_activity's `state`.
    enum State: String {
        case active
        case idle
        case idleInTransaction = "idle in transaction"
        case idleInFailedTransaction = "idle in transaction (aborted)"

        init(_ status: TransactionStatus) {
            switch status {
            case .idle: self = .idle
            case .inBlock: self = .idleInTransaction
            case .failed: self = .idleInFailedTransaction
            }
        }
    }

    struct Record {
        var state = State.idle
        var query = ""
        var queryStartMicros: Int64?
        var stateChangeMicros: Int64
        var transactionStartMicros: Int64?
    }

    public let processID: Int32
    public let client: Client
    let backendStartMicros: Int64
    private let record: Mutex<Record>

    public init(processID: Int32, client: Client) {
        self.processID = processID
        self.client = client
        let now = Functions.currentMicros()
        backendStartMicros = now
        record = Mutex(Record(stateChangeMicros: now))
    }

    /// A statement (a simple query's text, an Execute's prepared statement) starts. One
    /// outside a transaction block starts a transaction too.
    public func statementStarted(_ query: String) {
        let now = Functions.currentMicros()
        record.withLock { record in
            if record.state == .idle { record.transactionStartMicros = now }
            record.state = .active
            record.query = query
            record.queryStartMicros = now
            record.stateChangeMicros = now
        }
    }

    /// The connection waits for its client again (ReadyForQuery with `status`).
    public func statementsEnded(_ status: TransactionStatus) {
        let state = State(status)
        record.withLock { record in
            guard record.state != state else { return }
            record.state = state
            record.stateChangeMicros = Functions.currentMicros()
            if state == .idle { record.transactionStartMicros = nil }
        }
    }

    var snapshot: Record { record.withLock { $0 } }
}

/// Where pg_stat_activity finds a server's connections: the server installs the list (as
/// it installs BackendSignals); an embedded database has none, and shows only the session
/// that reads the view.
public final class SessionActivities: Sendable {
    public typealias Provider = @Sendable () -> [SessionActivity]

    private let provider = Mutex<Provider?>(nil)

    /// Installs the server's list (replacing any earlier one); nil removes it.
    public func install(_ provider: Provider?) {
        self.provider.withLock { $0 = provider }
    }

    var all: [SessionActivity] {
        guard let provider = provider.withLock({ $0 }) else { return [] }
        return provider()
    }
}

extension Session {
    /// pg_stat_activity: one row per server connection, by process id, and the reading
    /// session's own when it is not one of them (an embedded session: active, running the
    /// statement that reads the view).
    func activityRows() -> [[Value]] {
        let activities = database.sessionActivities.all.sorted { $0.processID < $1.processID }
        var rows = activities.map { Self.activityRow($0, $0.snapshot) }
        if !activities.contains(where: { $0.processID == backendProcessID }) {
            let own = activity ?? SessionActivity(processID: backendProcessID, client: SessionActivity.Client())
            var record = own.snapshot
            if activity == nil {
                // An embedded session: it is running the statement that reads the view.
                record.state = .active
                record.query = runningSQL ?? ""
                record.queryStartMicros = record.stateChangeMicros
                record.transactionStartMicros = record.stateChangeMicros
            }
            rows.append(Self.activityRow(own, record))
        }
        return rows
    }

    private static func activityRow(_ activity: SessionActivity, _ record: SessionActivity.Record) -> [Value] {
        let client = activity.client
        let micros = { (value: Int64?) -> Value in value.map(Value.timestamp) ?? .null }
        let waitsForClient = record.state != .active
        let row: [Value] = [
            .int(1), .text(client.database ?? SystemCatalog.databaseName), .int(Int64(activity.processID)), .null,
            .int(SystemCatalog.ownerOID), .text(client.user ?? SystemCatalog.ownerName), .text(client.applicationName ?? ""),
            client.address.map(Value.text) ?? .null, .null, client.port.map { .int(Int64($0)) } ?? .null,
            .timestamp(activity.backendStartMicros), micros(record.transactionStartMicros), micros(record.queryStartMicros),
            .timestamp(record.stateChangeMicros),
            waitsForClient ? .text("Client") : .null, waitsForClient ? .text("ClientRead") : .null, .text(record.state.rawValue),
            .null, .null, .null, .text(record.query), .text("client backend"),
        ]
        return row
    }

    static let activityColumns = SystemCatalog.columns(
        ("datid", .oid), ("datname", .text), ("pid", .integer), ("leader_pid", .integer), ("usesysid", .int), ("usename", .text),
        ("application_name", .text), ("client_addr", .text), ("client_hostname", .text), ("client_port", .integer),
        ("backend_start", .timestamptz), ("xact_start", .timestamptz), ("query_start", .timestamptz), ("state_change", .timestamptz),
        ("wait_event_type", .text), ("wait_event", .text), ("state", .text), ("backend_xid", .text), ("backend_xmin", .text),
        ("query_id", .int), ("query", .text), ("backend_type", .text))
}
