import Dispatch
import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// statement_timeout, lock_timeout, idle_in_transaction_session_timeout and
/// `Session.cancel()`. Every wait here waits for the event itself (a statement ending);
/// the timeouts are short, and each blocking statement has a generous statement_timeout
/// as a backstop, so that a bug fails the test instead of hanging it.
@Suite("Timeouts and cancellation")
struct TimeoutTests {
    /// Rows in `slow`: a three-way cross join of them is 10^9 rows, which no test finishes.
    static let slowRowCount = 1000
    /// Longest any test waits for a statement on another thread to end.
    static let finishWaitMs = 20_000
    /// A statement_timeout that stops a statement only when the feature under test failed.
    static let backstop = "SET statement_timeout = '20s'"
    /// How often `cancelUntilDone` repeats the cancel, and how many times at most.
    static let cancelRetryMs = 20
    static let cancelRetriesMax = 1000

    static let crossJoin = "SELECT count(*) FROM slow a, slow b, slow c"
    /// A block that holds the writer gate: a schema change takes it until the block ends,
    /// so every other commit (and schema change) waits. Row writes alone never wait.
    static let holdWriterGate = "BEGIN; CREATE TABLE held (x int); INSERT INTO t VALUES (1)"

    private func database() throws -> Database {
        let db = try Database.inMemory()
        let values = (1...Self.slowRowCount).map { "(\($0))" }.joined(separator: ", ")
        try db.execute("CREATE TABLE slow (n int); INSERT INTO slow VALUES \(values)")
        try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
        return db
    }

    /// The error `sql` throws in `session`.
    private func error(_ session: Session, _ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> VireoError? {
        sqlError(session, sql, sourceLocation: sourceLocation)
    }

    private func expect(_ error: VireoError?, _ sqlState: String, _ message: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error?.sqlState == sqlState && error?.message == message,
                "expected \(sqlState) \"\(message)\", got \(String(describing: error))", sourceLocation: sourceLocation)
    }

    private func count(_ session: Session, _ table: String) throws -> [[Value]] {
        try session.execute("SELECT count(*) FROM \(table)").rows
    }

    // MARK: idle_in_transaction_session_timeout and lock_timeout

    @Test("an idle transaction that holds the writer is rolled back by idle_in_transaction_session_timeout, and the waiting writer proceeds")
    func idleTransactionReleasesWriter() throws {
        let db = try database()
        let idle = db.session(), writer = db.session()
        try idle.execute("SET idle_in_transaction_session_timeout = '100ms'; " + Self.holdWriterGate)
        try writer.execute(Self.backstop)
        // Waits (lock_timeout 0: without limit) until the idle block is rolled back.
        try writer.execute("INSERT INTO t VALUES (2)")
        #expect(try count(writer, "t") == [[.int(1)]], "expected only the second writer's row")
        expect(error(idle, "SELECT 1"), "25P03", "terminating connection due to idle-in-transaction timeout")
        #expect(idle.transactionStatus == .idle, "expected the block to be gone, got \(idle.transactionStatus)")
        let setting = try idle.execute("SHOW idle_in_transaction_session_timeout").rows
        #expect(setting == [[.text("0")]], "expected a fresh session with default settings, got \(setting)")
        try idle.execute("INSERT INTO t VALUES (3)")
        #expect(try count(idle, "t") == [[.int(2)]], "expected the session to work as a fresh one")
    }

    @Test("a writer waiting behind an idle transaction gives up after lock_timeout with 55P03")
    func lockTimeout() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute(Self.holdWriterGate)
        try waiter.execute("SET lock_timeout = '50ms'")
        let start = DispatchTime.now().uptimeNanoseconds
        expect(error(waiter, "INSERT INTO t VALUES (2)"), "55P03", "canceling statement due to lock timeout")
        let waitedMs = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        #expect(waitedMs >= 50, "expected the waiter to wait at least 50 ms, it waited \(waitedMs) ms")
        try holder.execute("COMMIT")
        try waiter.execute("INSERT INTO t VALUES (2)")
        #expect(try count(waiter, "t") == [[.int(2)]], "expected both rows once the holder committed")
    }

    @Test("lock_timeout inside a block aborts the block, and the held writer is untouched")
    func lockTimeoutInBlock() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute(Self.holdWriterGate)
        try waiter.execute("SET lock_timeout = 20; BEGIN")
        expect(error(waiter, "CREATE TABLE w (x int)"), "55P03", "canceling statement due to lock timeout")
        #expect(waiter.transactionStatus == .failed, "expected the waiter's block aborted, got \(waiter.transactionStatus)")
        try waiter.execute("ROLLBACK")
        try holder.execute("COMMIT")
        #expect(try count(waiter, "t") == [[.int(1)]], "expected the holder's row committed")
    }

    @Test("the store's timed beginWrite fails with 55P03, fails at once with 0, and ends its wait when checkCancel throws")
    func storeTimedBeginWrite() throws {
        let db = try database()
        let held = try db.store.beginWrite()
        defer { held.rollback() }
        #expect(throws: VireoError(.lockNotAvailable, "canceling statement due to lock timeout")) {
            try db.store.beginWrite(timeoutMs: 30)
        }
        #expect(throws: VireoError(.lockNotAvailable, "canceling statement due to lock timeout")) {
            try db.store.beginWrite(timeoutMs: 0)
        }
        let stop = VireoError(.queryCanceled, "stop")
        #expect(throws: stop) { try db.store.beginWrite(timeoutMs: nil, checkCancel: { throw stop }) }
    }

    // MARK: statement_timeout

    @Test("statement_timeout stops a slow cross join with 57014, and the session runs the next statement")
    func statementTimeout() throws {
        let db = try database()
        let session = db.session()
        try session.execute("SET statement_timeout = '100ms'")
        expect(error(session, Self.crossJoin), "57014", "canceling statement due to statement timeout")
        let next = try session.execute("SELECT 1").rows
        #expect(next == [[.int(1)]], "expected the next statement to run, got \(next)")
    }

    @Test("statement_timeout stops an INSERT … SELECT of many rows, which inserts nothing")
    func statementTimeoutInsert() throws {
        let db = try database()
        let session = db.session()
        try session.execute("CREATE TABLE copy (n int); SET statement_timeout = 100")
        expect(error(session, "INSERT INTO copy SELECT a.n FROM slow a, slow b, slow c"), "57014",
               "canceling statement due to statement timeout")
        #expect(try count(session, "copy") == [[.int(0)]], "expected no row inserted")
    }

    @Test("statement_timeout fires on time while blocked work fills the global dispatch queues")
    func statementTimeoutWithBusyDispatch() throws {
        let db = try database()
        let session = db.session()
        // More blocked blocks than the global queue runs at once on a small machine.
        let blockedCount = 4 * ProcessInfo.processInfo.activeProcessorCount
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<blockedCount { DispatchQueue.global().async { release.wait() } }
        defer { for _ in 0..<blockedCount { release.signal() } }
        try session.execute("SET statement_timeout = '100ms'")
        expect(error(session, "INSERT INTO t SELECT a.n FROM slow a, slow b, slow c"), "57014",
               "canceling statement due to statement timeout")
    }

    @Test("statement_timeout stops an HNSW index build, which leaves no index behind")
    func statementTimeoutIndexBuild() throws {
        let db = try database()
        let session = db.session()
        let vectors = (0..<2000).map { row in "('[\((0..<8).map { String(Double((row * 7 + $0 * 13) % 97) / 97) }.joined(separator: ","))]')" }
        try session.execute("CREATE TABLE items (v vector(8)); INSERT INTO items VALUES \(vectors.joined(separator: ", "))")
        // 1 ms: far less than scanning and linking 2,000 vectors takes.
        try session.execute("SET statement_timeout = 1")
        expect(error(session, "CREATE INDEX items_v ON items USING hnsw (v vector_l2_ops)"), "57014",
               "canceling statement due to statement timeout")
        try session.execute("RESET statement_timeout")
        #expect(error(session, "DROP INDEX items_v")?.sqlState == "42704", "expected no index left by the cancelled build")
        try session.execute("CREATE INDEX items_v ON items USING hnsw (v vector_l2_ops)")
        let nearest = try session.execute("SELECT count(*) FROM (SELECT v FROM items ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5) AS k").rows
        #expect(nearest == [[.int(5)]], "expected the rebuilt index to answer, got \(nearest)")
    }

    @Test("statement_timeout also ends a wait for the writer (57014, not 55P03)")
    func statementTimeoutWhileWaiting() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute(Self.holdWriterGate)
        try waiter.execute("SET statement_timeout = '50ms'")
        expect(error(waiter, "INSERT INTO t VALUES (2)"), "57014", "canceling statement due to statement timeout")
        try holder.execute("ROLLBACK")
    }

    @Test("statement_timeout applies to each statement of a script, and SET inside the script counts from the next one")
    func statementTimeoutPerStatement() throws {
        let db = try database()
        let session = db.session()
        expect(error(session, "SET statement_timeout = '100ms'; SELECT 1; \(Self.crossJoin)"), "57014",
               "canceling statement due to statement timeout")
    }

    // MARK: cancel()

    /// Runs `sql` on another thread, cancelling it until it ends, and returns its error.
    private func cancelUntilDone(_ session: Session, _ sql: String) -> VireoError? {
        cancelUntilDone(session, sql) { try session.execute(sql) }
    }

    /// Runs `run` on another thread, cancelling `session` until it ends, and returns its error.
    private func cancelUntilDone(_ session: Session, _ sql: String, _ run: @escaping @Sendable () throws -> Void) -> VireoError? {
        let statement = Finishing(run)
        for _ in 0..<Self.cancelRetriesMax {
            session.cancel()
            if statement.wait(timeoutMs: Self.cancelRetryMs) { break }
        }
        guard statement.wait(timeoutMs: Self.finishWaitMs), let result = statement.result else {
            Issue.record("expected \(sql) to end after cancel()")
            return nil
        }
        guard case .failure(let error) = result else {
            Issue.record("expected \(sql) to be cancelled, it succeeded")
            return nil
        }
        return error as? VireoError
    }

    @Test("cancel() from another thread stops a running statement with 57014")
    func cancelRunningStatement() throws {
        let db = try database()
        let session = db.session()
        try session.execute(Self.backstop)
        expect(cancelUntilDone(session, Self.crossJoin), "57014", "canceling statement due to user request")
        let next = try session.execute("SELECT 2").rows
        #expect(next == [[.int(2)]], "expected the next statement to run, got \(next)")
    }

    @Test("cancel() wakes a statement waiting for the writer, even with lock_timeout 0")
    func cancelWaitingWriter() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute(Self.holdWriterGate)
        try waiter.execute(Self.backstop)
        expect(cancelUntilDone(waiter, "INSERT INTO t VALUES (2)"), "57014", "canceling statement due to user request")
        try holder.execute("COMMIT")
        try waiter.execute("INSERT INTO t VALUES (2)")
        #expect(try count(waiter, "t") == [[.int(2)]], "expected both rows")
    }

    @Test("cancel() while the session is idle has no effect on its next statement")
    func cancelWhileIdle() throws {
        let db = try database()
        let session = db.session()
        session.cancel()
        session.cancel()
        let next = try session.execute("SELECT count(*) FROM slow").rows
        #expect(next == [[.int(Int64(Self.slowRowCount))]], "expected the statement to run, got \(next)")
    }

    // MARK: Prepared statements (a request of one statement, its timer begun with the request)

    /// The error `run` throws (recording an issue if it succeeds).
    private func preparedError(_ run: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> VireoError? {
        do {
            try run()
            Issue.record("expected the prepared statement to fail", sourceLocation: sourceLocation)
        } catch {
            return error as? VireoError
        }
        return nil
    }

    @Test("statement_timeout stops a prepared query, streamed or not, and a prepared INSERT … SELECT; the next executions run")
    func statementTimeoutPrepared() throws {
        let db = try database()
        let session = db.session()
        try session.execute("CREATE TABLE copy (n int); SET statement_timeout = '100ms'")
        let query = try Parser.parseStatement("SELECT count(*) FROM slow a, slow b, slow c WHERE a.n > $1")
        let insert = try Parser.parseStatement("INSERT INTO copy SELECT a.n FROM slow a, slow b, slow c WHERE a.n > $1")
        let quick = try Parser.parseStatement("SELECT $1::int + 1")
        let queryCache = PlanCache(), insertCache = PlanCache(), quickCache = PlanCache()
        let timedOut = "canceling statement due to statement timeout"
        expect(preparedError { try session.execute(query, [.int(0)], planCache: queryCache) }, "57014", timedOut)
        #expect(try session.execute(quick, [.int(1)], planCache: quickCache).rows == [[.int(2)]])
        expect(preparedError { try session.execute(query, [.int(0)], planCache: queryCache) { _ in } }, "57014", timedOut)
        expect(preparedError { try session.execute(insert, [.int(0)], planCache: insertCache) }, "57014", timedOut)
        #expect(try session.execute(quick, [.int(2)], planCache: quickCache).rows == [[.int(3)]])
        #expect(try count(session, "copy") == [[.int(0)]], "expected no row inserted")
        // Inside a block the timeout aborts the block, as for any statement.
        try session.execute("BEGIN")
        expect(preparedError { try session.execute(insert, [.int(0)], planCache: insertCache) }, "57014", timedOut)
        #expect(preparedError { try session.execute(quick, [.int(1)], planCache: quickCache) }?.sqlState == "25P02")
        try session.execute("ROLLBACK")
        #expect(try session.execute(quick, [.int(3)], planCache: quickCache).rows == [[.int(4)]])
    }

    @Test("cancel() stops a prepared query streaming its rows with 57014, and is ignored while the session is idle")
    func cancelPrepared() throws {
        let db = try database()
        let session = db.session()
        try session.execute(Self.backstop)
        let query = try Parser.parseStatement("SELECT a.n, b.n, c.n FROM slow a, slow b, slow c WHERE a.n > $1")
        let cache = PlanCache()
        expect(cancelUntilDone(session, query.sourceText) { try session.execute(query, [.int(0)], planCache: cache) { _ in } },
               "57014", "canceling statement due to user request")
        session.cancel()
        let quick = try Parser.parseStatement("SELECT count(*) FROM slow WHERE n > $1")
        #expect(try session.execute(quick, [.int(10)], planCache: PlanCache()).rows == [[.int(Int64(Self.slowRowCount - 10))]])
    }

    // MARK: Settings

    @Test("timeouts are set, shown and reset with PostgreSQL's units", arguments: [
        ("'5s'", "5s"), ("100", "100ms"), ("'100ms'", "100ms"), ("'1500ms'", "1500ms"), ("'2min'", "2min"),
        ("'1h'", "1h"), ("'0.5s'", "500ms"), ("'1 d'", "1d"), ("60000", "1min"), ("0", "0"), ("'3000us'", "3ms"),
    ])
    func timeoutUnits(value: String, shown: String) throws {
        let db = try database()
        let session = db.session()
        for name in ["statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"] {
            try session.execute("SET \(name) = \(value)")
            let got = try session.execute("SHOW \(name)").rows
            #expect(got == [[.text(shown)]], "SET \(name) = \(value): expected \(shown), got \(got)")
            try session.execute("RESET \(name)")
            let reset = try session.execute("SHOW \(name)").rows
            #expect(reset == [[.text("0")]], "RESET \(name): expected 0, got \(reset)")
        }
    }

    @Test("an invalid timeout fails with 22023 and leaves the setting as it was", arguments: [
        ("'5 parsecs'", "invalid value for parameter \"statement_timeout\": \"5 parsecs\" (valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\")"),
        ("'soon'", "invalid value for parameter \"statement_timeout\": \"soon\""),
        ("-1", "-1 ms is outside the valid range for parameter \"statement_timeout\" (0 ms .. 2147483647 ms)"),
        ("'30d'", "invalid value for parameter \"statement_timeout\": \"30d\" (value exceeds integer range)"),
    ])
    func invalidTimeout(value: String, message: String) throws {
        let db = try database()
        let session = db.session()
        try session.execute("SET statement_timeout = '1s'")
        expect(error(session, "SET statement_timeout = \(value)"), "22023", message)
        let kept = try session.execute("SHOW statement_timeout").rows
        #expect(kept == [[.text("1s")]], "expected the setting kept, got \(kept)")
    }

    @Test("SET LOCAL statement_timeout lasts until the end of the block")
    func setLocalTimeout() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN; SET LOCAL statement_timeout = '50ms'")
        expect(error(session, Self.crossJoin), "57014", "canceling statement due to statement timeout")
        try session.execute("ROLLBACK")
        let after = try session.execute("SHOW statement_timeout").rows
        #expect(after == [[.text("0")]], "expected 0 after the block, got \(after)")
    }

    @Test("session defaults set on the database start every new session, and RESET returns to them")
    func sessionDefaults() throws {
        let db = try database()
        try db.setSessionDefault("Lock_Timeout", "30ms")
        try db.setSessionDefault("statement_timeout", "120000")
        #expect(db.sessionDefaults == ["lock_timeout": "30ms", "statement_timeout": "2min"], "got \(db.sessionDefaults)")
        #expect(throws: VireoError.self) { try db.setSessionDefault("lock_timeout", "forever") }
        let holder = db.session(), waiter = db.session()
        try waiter.execute("SET statement_timeout = '5s'; RESET statement_timeout")
        let shown = try waiter.execute("SHOW statement_timeout").rows
        #expect(shown == [[.text("2min")]], "expected RESET to return to the default, got \(shown)")
        try holder.execute(Self.holdWriterGate)
        expect(error(waiter, "INSERT INTO t VALUES (2)"), "55P03", "canceling statement due to lock timeout")
        try holder.execute("ROLLBACK")
    }
}

/// A call run on a thread of its own (not a dispatch queue's, which the engine's timers
/// must not compete with), whose end can be waited for.
private final class Finishing: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = Lock()
    private var finished: Result<Void, Error>?
    private var hasSignalled = false

    init(_ body: @escaping @Sendable () throws -> Void) {
        Thread.detachNewThread {
            let outcome = Result { try body() }
            self.lock.withLock { self.finished = outcome }
            self.done.signal()
        }
    }

    var result: Result<Void, Error>? { lock.withLock { finished } }

    /// Whether the call ended within `timeoutMs`. Once it has, every later wait returns at once.
    func wait(timeoutMs: Int) -> Bool {
        if lock.withLock({ hasSignalled }) { return true }
        guard done.wait(timeout: .now() + .milliseconds(timeoutMs)) == .success else { return false }
        lock.withLock { hasSignalled = true }
        return true
    }
}
