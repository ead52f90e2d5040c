import Dispatch
import Synchronization
import VireoStorage

/// Stops a session's running request: `Session.cancel()` and the statement timer raise it
/// from other threads, and the statement's long loops notice at their next `check()`,
/// which costs one relaxed atomic load. A request is one `execute` call (a script's
/// statements together, as one pgwire Query message); the statement timer restarts for
/// each statement, as PostgreSQL's statement_timeout does since version 13.
///
/// Raising is ignored while no request runs, so a cancel that arrives between requests
/// never stops the next one, and a timer that fires late never stops a later statement.
final class StatementCancel: @unchecked Sendable {
    /// Where the timers of every session run: one serial queue, whose blocks only set a
    /// flag or end an idle transaction and never wait. A queue of its own (unlike the
    /// global ones, which share a thread per core) gets a thread even when busy
    /// statements occupy all of those, so a timeout is never late because the machine is.
    static let timerQueue = DispatchQueue(label: "vireo.session-timers")

    enum Reason: Int {
        case none = 0, userRequest, statementTimeout
    }

    /// The raised reason; written only under `lock`, read without it by `check()`.
    private let raised = Atomic<Int>(Reason.none.rawValue)
    private let lock = Lock()
    // Guarded by `lock`:
    private var isRunning = false
    /// Numbers statements, so that the timer of a finished statement cannot raise.
    private var statementNumber: UInt64 = 0
    private var statementTimer: DispatchWorkItem?

    /// A request starts: from now on a cancel stops it. With `statementTimeoutMs`, its one
    /// statement starts too (as `beginStatement` would), under the same lock.
    func beginRequest(statementTimeoutMs: Int? = nil) {
        lock.withLock {
            isRunning = true
            raised.store(Reason.none.rawValue, ordering: .relaxed)
            if let statementTimeoutMs { beginStatementLocked(timeoutMs: statementTimeoutMs) }
        }
    }

    /// The request ended (and its statement, if `beginRequest` began one): nothing raised
    /// now reaches the next one, and no timer of its statements can raise any more.
    func endRequest() {
        lock.withLock {
            isRunning = false
            stopStatementTimerLocked()
            statementNumber &+= 1
            raised.store(Reason.none.rawValue, ordering: .relaxed)
        }
    }

    /// Stops the running request with `reason` (the first reason raised wins); no effect
    /// while none runs.
    func raise(_ reason: Reason) {
        lock.withLock { raiseLocked(reason) }
    }

    /// A statement of the request starts: after `timeoutMs` (0: never) it is stopped.
    func beginStatement(timeoutMs: Int) {
        lock.withLock { beginStatementLocked(timeoutMs: timeoutMs) }
    }

    private func beginStatementLocked(timeoutMs: Int) {
        statementNumber &+= 1
        guard timeoutMs > 0 else { return }
        let number = statementNumber
        let timer = DispatchWorkItem { [weak self] in self?.statementTimerFired(number) }
        statementTimer = timer
        Self.timerQueue.asyncAfter(deadline: .now() + .milliseconds(timeoutMs), execute: timer)
    }

    /// The statement ended; a timeout it did not notice does not stop the next statement.
    func endStatement() {
        lock.withLock {
            stopStatementTimerLocked()
            statementNumber &+= 1
            if raised.load(ordering: .relaxed) == Reason.statementTimeout.rawValue {
                raised.store(Reason.none.rawValue, ordering: .relaxed)
            }
        }
    }

    /// Whether the running request must stop: for loops that cannot throw (an index build).
    var isRaised: Bool { raised.load(ordering: .relaxed) != Reason.none.rawValue }

    /// Throws 57014 with PostgreSQL's message for the reason, if one was raised.
    func check() throws {
        let reason = Reason(rawValue: raised.load(ordering: .relaxed)) ?? .none
        switch reason {
        case .none: return
        case .userRequest: throw VireoError(.queryCanceled, "canceling statement due to user request")
        case .statementTimeout: throw VireoError(.queryCanceled, "canceling statement due to statement timeout")
        }
    }

    private func statementTimerFired(_ number: UInt64) {
        lock.withLock {
            guard number == statementNumber else { return }
            raiseLocked(.statementTimeout)
        }
    }

    private func raiseLocked(_ reason: Reason) {
        guard isRunning, raised.load(ordering: .relaxed) == Reason.none.rawValue else { return }
        raised.store(reason.rawValue, ordering: .relaxed)
    }

    private func stopStatementTimerLocked() {
        statementTimer?.cancel()
        statementTimer = nil
    }
}
