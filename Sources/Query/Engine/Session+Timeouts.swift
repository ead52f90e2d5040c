import Dispatch
import VireoStorage

// Timeouts and cancellation, with PostgreSQL's settings and SQLSTATEs:
//
// - statement_timeout: a timer per statement raises `statementCancel`; the executor's
//   loops and the wait for the writer gate notice it and throw 57014.
// - lock_timeout: bounds the wait for the writer gate (55P03).
// - idle_in_transaction_session_timeout: a timer armed when a request ends inside a
//   transaction block. When it fires it takes `requestLock` if it is free — a running
//   request holds it from start to end, so the timer never rolls back under a statement —
//   and, if no request came meanwhile (the period number is unchanged), rolls the block
//   back, which releases the writer gate. Every holder of the lock is a request (`execute`,
//   a prepared query, `describe`), which re-arms the timer as it ends. The next request
//   gets 25P03 once and finds a fresh session (default settings, no block); PostgreSQL
//   closes the connection instead, and pgwire is to do the same on 25P03.
// - cancel(): raises `statementCancel` from any thread, without `requestLock`.
extension Session {
    /// Cancels the statement this session is running now, from any thread: it stops with
    /// 57014 "canceling statement due to user request" at its next check (the next row of
    /// a scan or join, or within 10 ms while it waits to begin a write transaction). The
    /// rest of the request is not run. Inside a transaction block the block is then
    /// aborted, as after any error. While the session is idle it does nothing: the next
    /// statement runs as usual. It never blocks, so pgwire may call it from an event loop
    /// when a CancelRequest matches the connection.
    public func cancel() {
        statementCancel.raise(.userRequest)
    }

    /// Runs one request (an `execute` call) under `requestLock`: stops the idle timer,
    /// reports a transaction block the timer ended, and arms the timer again if the
    /// request leaves a block open. With `timingOneStatement` the request is one statement
    /// (a prepared one), whose statement_timeout starts with the request: the cancel flag
    /// then takes its lock once at the start and once at the end, not twice each, and none
    /// at all when statement_timeout is 0 (the statement then runs
    /// `withStatementTimer(startedWithRequest: true)`).
    ///
    /// Inlined, with its callers' closures: a call of its own built and retained a context
    /// for what each closure captured, at every execution of a prepared statement.
    @inline(__always)
    func withRequest<R>(timingOneStatement: Bool = false, _ body: () throws -> R) throws -> R {
        try requestLock.withLock {
            disarmIdleTimer()
            if let terminatedBy {
                self.terminatedBy = nil
                throw terminatedBy
            }
            statementCancel.beginRequest(statementTimeoutMs: timingOneStatement ? settings.statementTimeoutMs : nil)
            // A caller that never takes them keeps only the last request's.
            if !pendingNotices.isEmpty { pendingNotices.removeAll() }
            defer {
                statementCancel.endRequest()
                armIdleTimer()
                publishTransactionStatus()
            }
            // Binding a task-local value costs a push (an allocation) and a pop: only when
            // the caller's zone is not the session's already (nil, UTC, on both most times).
            let zone = settings.timeZone
            guard zone != SessionTimeZone.current else { return try body() }
            return try SessionTimeZone.withZone(zone) { try body() }
        }
    }

    /// Runs one statement of a request under its statement_timeout (started with the
    /// request when `startedWithRequest`).
    @inline(__always)
    func withStatementTimer<R>(startedWithRequest: Bool = false, _ body: () throws -> R) throws -> R {
        // A cancel raised during an earlier statement of the request that did not notice
        // it stops the rest of the request here.
        try statementCancel.check()
        if !startedWithRequest { statementCancel.beginStatement(timeoutMs: settings.statementTimeoutMs) }
        defer {
            if !startedWithRequest { statementCancel.endStatement() }
            if !inTransactionBlock { endTransactionNumber() }
        }
        // A SET earlier in the request may have changed the zone (binding a task-local
        // value costs a push and a pop: only then).
        guard !startedWithRequest && settings.timeZone != SessionTimeZone.current else { return try withTemporarySchema(body) }
        return try SessionTimeZone.withZone(settings.timeZone) { try withTemporarySchema(body) }
    }

    /// Begins a write transaction whose waits for the writer gate (a schema change, its
    /// commit) last at most lock_timeout (0: no limit) and stop if the statement is
    /// cancelled or times out.
    func beginTransaction() throws -> StoreTransaction {
        let transaction = try database.store.beginTransaction()
        transaction.lockTimeoutMs = lockTimeoutMs
        transaction.checkCancel = statementCancel.check
        return transaction
    }

    /// Takes the writer gate for a schema change, within lock_timeout.
    func takeWriterGate(_ transaction: StoreTransaction) throws {
        try transaction.acquireWriterGate(timeoutMs: lockTimeoutMs, checkCancel: statementCancel.check)
    }

    var lockTimeoutMs: Int? { settings.lockTimeoutMs == 0 ? nil : settings.lockTimeoutMs }

    // MARK: The idle-in-transaction timer (callers hold requestLock)

    private func armIdleTimer() {
        let timeoutMs = settings.idleInTransactionSessionTimeoutMs
        guard inTransactionBlock, timeoutMs > 0 else { return }
        let period = idlePeriodNumber
        // The timer holds the session, so that a session dropped inside a block still
        // ends it and releases the writer gate; firing or disarming breaks the cycle.
        let timer = DispatchWorkItem { [self] in idleTimerFired(period) }
        idleTimer = timer
        StatementCancel.timerQueue.asyncAfter(deadline: .now() + .milliseconds(timeoutMs), execute: timer)
    }

    private func disarmIdleTimer() {
        idleTimer?.cancel()
        idleTimer = nil
        idlePeriodNumber &+= 1
    }

    /// Ends the block if the session is still idle in it. It does not wait for the lock
    /// (the timer queue must not block): whoever holds it is a request, which re-arms the
    /// timer when it ends. A request that got the lock first changed the period number,
    /// and the timer then does nothing.
    private func idleTimerFired(_ period: UInt64) {
        requestLock.withLockIfAvailable {
            guard period == idlePeriodNumber, inTransactionBlock else { return }
            idleTimer = nil
            rollBackTransactionBlock()
            settings = Settings(baseline: database.sessionDefaults)
            terminatedBy = VireoError(.idleInTransactionTimeout, "terminating connection due to idle-in-transaction timeout")
            publishTransactionStatus()
        }
    }
}
