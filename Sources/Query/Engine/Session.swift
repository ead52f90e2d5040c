import Foundation
import Dispatch
import Synchronization
import VireoStorage

/// A connection's state: an open transaction, if any, and its settings. Run its statements
/// from one thread at a time (like a PostgreSQL connection; calls from several threads
/// take turns); open one per thread or client. `cancel()` is the exception: any thread may
/// call it while a statement runs.
public final class Session: @unchecked Sendable {
    public let database: Database
    /// The write transaction of an explicit BEGIN, opened at its first write.
    var transaction: StoreTransaction?
    var inTransactionBlock = false
    /// Whether the open block is PostgreSQL's implicit one, around the statements of one
    /// simple Query message (Session+ImplicitBlock.swift); BEGIN makes it explicit.
    var inImplicitBlock = false
    /// The open block's isolation and access mode (BEGIN, SET TRANSACTION, defaults).
    var blockModes = TransactionModes()
    /// Whether a statement other than transaction control ran in the open block.
    var blockHasRunStatement = false
    var abortedBy: VireoError?
    /// Vector-index changes of the open transaction, applied to memory at commit.
    var pendingVectorChanges: [String: Set<Int64>] = [:]
    /// FOREIGN KEY checks put off to the commit, and SET CONSTRAINTS' modes.
    let deferredConstraints = DeferredConstraints()
    /// The open block's savepoints, oldest first (Session+Savepoints.swift).
    var savepoints: [BlockSavepoint] = []
    /// Open cursors by name (Session+Cursors.swift).
    var cursors: [String: Cursor] = [:]
    var settings: Settings

    /// Held by a request (an `execute` call) from start to end, and by the idle timer
    /// while it ends a transaction block: the two never overlap, so the timer cannot roll
    /// back under a statement that starts at the same moment. Guards the state above.
    let requestLock = Lock()
    let statementCancel = StatementCancel()
    /// `statementCancel.check` as a closure made once (a row locker holds it).
    private(set) lazy var checkStatementCancel: () throws -> Void = { [statementCancel] in try statementCancel.check() }
    /// A statement's context kept for the next one (`withContext`), nil while one runs.
    var spareContext: ExecutionContext?
    /// The plan of the last prepared statement run, taken without its cache's lock.
    var planMemo: PlanMemo?
    /// Where the request's query hands its rows, for a streaming `execute` (taken by the first query that runs).
    var rowStream: RowStream?
    // Guarded by `requestLock` (see Session+Timeouts.swift):
    var idleTimer: DispatchWorkItem?
    /// Numbers idle periods, so that a timer armed before the last request does nothing.
    var idlePeriodNumber: UInt64 = 0
    /// Why the idle timer ended the transaction block; the next request reports it once.
    var terminatedBy: VireoError?
    /// `transactionStatus` as of the end of the last request, readable without the lock.
    let publishedStatus = Atomic<Int>(TransactionStatus.idle.rawValue)
    /// What pg_backend_pid() answers: the process id a server gave the connection in its
    /// BackendKeyData, else this process's.
    public var backendProcessID = Int32(getpid())
    /// This session's number in `database.advisoryLocks` (SessionFunctions.swift).
    let advisorySession: Int
    /// Whether the open transaction took transaction-level advisory locks (released at its end).
    var holdsTransactionAdvisoryLocks = false
    /// Whether the session ever took an advisory lock: only then has its end any to release
    /// (sessions are made per REST request, most never take one).
    var tookAdvisoryLocks = false
    /// NOTIFYs, LISTENs and UNLISTENs of the open transaction (or of the running statement
    /// outside a block), published when it commits (Notifications.swift); nil when none.
    var notificationQueue: NotificationQueue?
    /// The session's committed LISTENs and the notifications that arrived for it.
    public let notificationInbox = NotificationInbox()
    /// What pg_stat_activity shows of the session: a server sets it for its connection
    /// before the session is shared, and keeps it up to date (SessionActivity.swift).
    public var activity: SessionActivity?
    /// The text `execute(_:)` runs, for pg_stat_activity's row of a session without `activity`.
    var runningSQL: String?
    /// currval and lastval's memory (SessionFunctions+Sequences.swift).
    var sequenceUse = SequenceUse()
    /// When the open transaction began, once now() or BEGIN read the clock (`transactionTimestamp`).
    var transactionStartMicros: Int64?
    /// Whether the session ever created a temporary table (Session+Temporary.swift).
    var usesTemporaryTables = false
    /// ON COMMIT DELETE ROWS and DROP of the session's temporary tables, by stored name.
    var temporaryOnCommit: [String: OnCommitAction] = [:]
    /// Whether the open block took table locks (LOCK TABLE, Session+TableLocks.swift).
    var holdsTableLocks = false
    /// The statements of SQL PREPARE, by name (Session+Prepared.swift).
    var preparedStatements: [String: PreparedSQLStatement] = [:]
    /// The types PREPARE declared for the parameters of the statement being prepared or
    /// executed: every binder `makeBinder` makes meanwhile starts from them, as PostgreSQL
    /// analyses the statement with `$n` of its declared type. Empty otherwise.
    var declaredParameterTypes: [SQLType] = []
    /// How deep triggers are firing triggers now (Triggers.swift).
    var triggerDepth = 0
    /// NOTICEs and WARNINGs raised since the caller last took them (Notice.swift).
    var pendingNotices: [Notice] = []

    init(database: Database, settings: Settings = Settings()) {
        self.database = database
        self.settings = settings
        advisorySession = database.advisoryLocks.newSession()
    }

    deinit {
        if usesTemporaryTables { close() }
        if holdsTableLocks { database.tableLocks.unlockAll(session: advisorySession) }
        notificationInbox.unlistenAll(hub: database.notifications)
        guard tookAdvisoryLocks else { return }
        database.advisoryLocks.unlockAll(AdvisoryLocks.Owner(session: advisorySession, transactionLevel: false))
        database.advisoryLocks.unlockAll(AdvisoryLocks.Owner(session: advisorySession, transactionLevel: true))
    }

    /// Runs every statement of `sql`; returns the last one's result.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [Value] = []) throws -> QueryResult {
        let statements = try Parser.parseScript(sql)
        return try withRequest {
            runningSQL = sql
            defer { runningSQL = nil }
            var last = QueryResult(commandTag: "EMPTY")
            for statement in statements { last = try executeInRequest(statement, parameters) }
            return last
        }
    }

    /// Runs one parsed statement.
    public func execute(_ statement: Statement, _ parameters: [Value] = []) throws -> QueryResult {
        try withRequest(timingOneStatement: true) { try executeInRequest(statement, parameters, timedWithRequest: true) }
    }

    /// The one path of a statement inside a request: the failed-block check, the statement
    /// timer, and an error aborting the block. A SELECT or INSERT with a `planCache` reuses its plan.
    /// `timedWithRequest`: the request is this one statement, begun with
    /// `withRequest(timingOneStatement: true)`, whose statement timer is running.
    private func executeInRequest(_ statement: Statement, _ parameters: [Value], planCache: PlanCache? = nil,
                                  boundedReadOnly: Bool = false, timedWithRequest: Bool = false) throws -> QueryResult {
        if let abortedBy, !statement.body.isAllowedInFailedBlock {
            throw VireoError.inFailedTransaction(after: abortedBy)
        }
        defer { if holdsTransactionAdvisoryLocks && !inTransactionBlock { unlockTransactionAdvisoryLocks() } }
        // Outside a block, what the statement queued and did not publish (it failed) is dropped.
        defer { if notificationQueue != nil && !inTransactionBlock { notificationQueue = nil } }
        do {
            let result = try withDeclaredParameterTypes(planCache?.parameterTypes ?? []) { try withStatementTimer(startedWithRequest: timedWithRequest) {
                // A bounded read runs on a server's event loop: it must not wait for a table lock.
                if boundedReadOnly && database.tableLocks.isActive { throw NotABoundedRead() }
                try waitForTableLocks(statement.body)
                if let planCache, statement.body.isSelect {
                    return try runQueryInRequest(statement.body.selectQuery, parameters, cache: planCache, boundedReadOnly: boundedReadOnly)
                }
                if let planCache, statement.body.isInsert {
                    return try write(statement.body) { try self.insert(prepared: statement.body, $0, parameters, cache: planCache) }
                }
                return try run(statement.body, parameters)
            } }
            if notificationQueue != nil && !inTransactionBlock { publishNotifications() }
            return EnumValues.labelled(result)
        } catch let error as VireoError {
            fail(error)
            throw error
        }
    }

    /// An error inside BEGIN … COMMIT aborts the block; outside, the statement's own
    /// transaction was already rolled back.
    func fail(_ error: VireoError) {
        if inTransactionBlock { abortedBy = error }
    }

    /// Runs `statement`, reusing the plan in `planCache` while the schema it was made for
    /// holds: a client's prepared statement, run many times, is planned once.
    public func execute(_ statement: Statement, _ parameters: [Value], planCache: PlanCache) throws -> QueryResult {
        try withRequest(timingOneStatement: true) { try executeInRequest(statement, parameters, planCache: planCache, timedWithRequest: true) }
    }

    /// Runs `statement` as `execute(_:_:planCache:)` does, but hands each result row to `row`
    /// as the plan produces it instead of collecting the rows: a query's result is bounded
    /// neither by memory nor by work_mem, and the first row arrives before the last is read.
    /// `columns` is called once, before the first row. The array handed to `row` is lent:
    /// copy what outlives the call. Returns the result without rows (its command tag counts
    /// them). The closures run inside the request: they must not use this session.
    @discardableResult
    public func execute(_ statement: Statement, _ parameters: [Value], planCache: PlanCache,
                        columns: ([ResultColumn]) throws -> Void = { _ in },
                        row: ([Value]) throws -> Void) throws -> QueryResult {
        // Only a query's rows are streamed: any other statement's (RETURNING, SHOW…) are
        // collected, and its request needs no consumer kept on the session (making the
        // closures escapable and checking afterwards cost every prepared INSERT).
        guard statement.body.mayStreamRows else {
            return try withRequest(timingOneStatement: true) {
                var result = try executeInRequest(statement, parameters, planCache: planCache, timedWithRequest: true)
                try Self.hand(&result, columns: columns, row: row)
                return result
            }
        }
        return try withoutActuallyEscaping(columns) { columns in
            try withoutActuallyEscaping(row) { row in
                try withRequest(timingOneStatement: true) {
                    rowStream = RowStream(columns: columns, row: row)
                    defer { rowStream = nil }
                    var result = try executeInRequest(statement, parameters, planCache: planCache, timedWithRequest: true)
                    // Not a streamed query (EXPLAIN…): its rows were collected.
                    if let stream = rowStream.take() { try Self.hand(&result, columns: stream.columns, row: stream.row) }
                    return result
                }
            }
        }
    }

    /// Hands a collected result's columns and rows to a streaming caller's closures, and
    /// drops them from `result`.
    private static func hand(_ result: inout QueryResult, columns: ([ResultColumn]) throws -> Void,
                             row: ([Value]) throws -> Void) throws {
        try columns(result.columns)
        for values in result.rows { try row(values) }
        result.rows = []
    }

    /// Runs `body` with no streaming consumer: the rows of what it runs (a cursor's, EXECUTE's
    /// arguments) are not the request's result.
    func withoutRowStream<R>(_ body: () throws -> R) rethrows -> R {
        let stream = rowStream.take()
        defer { rowStream = stream }
        return try body()
    }

    /// The columns of the rows `execute(statement, parameters, planCache:)` would give now,
    /// found by planning the statement (the plan is kept in `planCache`, as a run keeps it)
    /// without running it; nil for a statement that is not a query. A server describes a
    /// portal with them before it streams the portal's rows.
    public func resultColumns(_ statement: Statement, _ parameters: [Value], planCache: PlanCache) throws -> [ResultColumn]? {
        if case .executePrepared(let execute) = statement.body { return try resultColumns(of: execute, parameters) }
        guard case .select(let query) = statement.body else { return nil }
        return try resultColumns(query, parameters, cache: planCache)
    }

    /// Runs a SELECT on the calling thread only if it is a bounded read (a point lookup or an
    /// unfiltered index search with a moderate ef_search: `PlanNode.isBoundedRead`) outside
    /// a transaction block and every page it reads is cached: then it cannot wait for the
    /// disk, a lock or a long computation, and the caller (a server's event loop) saves two
    /// thread hops. Nil when it is not such a statement; the caller then runs it
    /// with `execute` on an engine thread, which is safe because nothing was changed.
    public func executeImmediately(_ statement: Statement, _ parameters: [Value], planCache: PlanCache) throws -> QueryResult? {
        guard case .select = statement.body, transactionStatus == .idle else { return nil }
        do {
            return try CachedPagesOnly.run {
                try withRequest(timingOneStatement: true) {
                    try executeInRequest(statement, parameters, planCache: planCache, boundedReadOnly: true, timedWithRequest: true)
                }
            }
        } catch is PageNotCached {
            return nil
        } catch is NotABoundedRead {
            return nil
        }
    }

    /// Whether a transaction block is open.
    public var isInTransaction: Bool { transactionStatus != .idle }

    /// The session's time zone (`SET TIME ZONE`), nil for UTC: a server binds it as
    /// `SessionTimeZone.current` while it writes a result's timestamptz values as text.
    /// Read it between requests (settings change inside them).
    public var timeZone: TimeZone? { settings.timeZone }

    /// The `timezone` setting as SHOW prints it (what a server reports as `TimeZone`).
    public var timeZoneSetting: String { settings.value("timezone") ?? "UTC" }

    /// Sets `name` as a client's startup packet does (`TimeZone=Europe/Berlin`), as SET would.
    public func applyStartupParameter(_ name: String, _ value: String) throws {
        try withRequest { try settings.set(name.lowercased(), .string(value), local: false) }
    }
}

extension StatementBody {
    /// A SELECT (a prepared one keeps its plan in a `PlanCache`).
    var isSelect: Bool {
        if case .select = self { return true }
        return false
    }

    /// A SELECT's query (copied out of the statement: read it only to make a plan).
    var selectQuery: Query {
        guard case .select(let query) = self else { preconditionFailure("not a SELECT") }
        return query
    }

    /// Whether running the statement may hand rows to a streaming consumer
    /// (`Session.rowStream`, taken by the first query that runs): false for row changes
    /// (their RETURNING rows are collected) and the session commands that run no query.
    var mayStreamRows: Bool {
        switch self {
        case .insert, .update, .delete, .merge, .transaction, .set, .show, .reset: false
        default: true
        }
    }

    /// An INSERT (a prepared one keeps its plan in a `PlanCache`).
    var isInsert: Bool {
        if case .insert = self { return true }
        return false
    }

    /// INSERT, UPDATE, DELETE or MERGE: changes rows, not the schema, so it needs no writer gate.
    var isRowChange: Bool {
        switch self {
        case .insert, .update, .delete, .merge, .selectChangingData: true
        default: false
        }
    }

    /// The command's name in messages (`cannot execute INSERT in a read-only transaction`).
    var commandName: String {
        switch self {
        case .insert: "INSERT"
        case .update: "UPDATE"
        case .delete: "DELETE"
        case .merge: "MERGE"
        case .analyze: "ANALYZE"
        case .selectChangingData(let query) where !query.locking.isEmpty: "SELECT " + query.locking[0].mode.clauseSQL
        default: String(sql.prefix { $0 != "(" }.split(separator: " ").prefix(2).joined(separator: " ")).uppercased()
        }
    }

    /// COMMIT, ROLLBACK and ROLLBACK TO SAVEPOINT: what runs in a block an error aborted.
    var isAllowedInFailedBlock: Bool {
        guard case .transaction(let command) = self else { return false }
        switch command {
        case .commit, .rollback, .rollbackToSavepoint: return true
        default: return false
        }
    }
}

/// The consumer of a streaming `execute`: the result's columns, then each row. The first
/// query takes it from `Session.rowStream` (`take()`); when none did, the request's
/// collected rows go to it. A struct: a class cost an allocation per execution.
struct RowStream {
    let columns: ([ResultColumn]) throws -> Void
    let row: ([Value]) throws -> Void
}
