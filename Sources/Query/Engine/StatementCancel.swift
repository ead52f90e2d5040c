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

    /// Whether a request runs (`runningFlag`) and the reason raised in it (the low bits, a
    /// `Reason`): one atomic value, so that a request with no statement timer begins and
    /// ends with a store each, not a lock each (a lock pair of each was 3% of a prepared
    /// INSERT), and a raise can only land while a request runs (compare-and-exchange).
    /// `check()` reads it with one relaxed load.
    private let state = Atomic<Int>(0)
    private static let runningFlag = 1 << 8
    private static let reasonMask = runningFlag - 1
    private let lock = Lock()
    // Guarded by `lock`:
    /// Numbers statements, so that the timer of a finished statement cannot raise.
    private var statementNumber: UInt64 = 0
    private var statementTimer: DispatchWorkItem?
    /// Whether the running request began a statement (with `lock`): only then does its
    /// end take the lock to stop a timer and retire the statement's number. Read and
    /// written by the request's own thread only.
    private var requestBeganStatement = false

    /// A request starts: from now on a cancel stops it. With `statementTimeoutMs`, its one
    /// statement starts too (as `beginStatement` would), under the same lock; without it,
    /// or with 0 (no timeout), no lock is taken.
    func beginRequest(statementTimeoutMs: Int? = nil) {
        guard let statementTimeoutMs, statementTimeoutMs > 0 else {
            state.store(Self.runningFlag, ordering: .relaxed)
            return
        }
        lock.withLock {
            state.store(Self.runningFlag, ordering: .relaxed)
            beginStatementLocked(timeoutMs: statementTimeoutMs)
        }
    }

    /// The request ended (and its statement, if `beginRequest` began one): nothing raised
    /// now reaches the next one, and no timer of its statements can raise any more. A
    /// request that began no statement had no timer, and the timers of earlier statements
    /// were retired when those ended.
    func endRequest() {
        guard requestBeganStatement else {
            state.store(0, ordering: .relaxed)
            return
        }
        requestBeganStatement = false
        lock.withLock {
            stopStatementTimerLocked()
            statementNumber &+= 1
            state.store(0, ordering: .relaxed)
        }
    }

    /// Stops the running request with `reason` (the first reason raised wins); no effect
    /// while none runs.
    func raise(_ reason: Reason) {
        _ = state.compareExchange(expected: Self.runningFlag, desired: Self.runningFlag | reason.rawValue, ordering: .relaxed)
    }

    /// A statement of the request starts: after `timeoutMs` (0: never) it is stopped.
    func beginStatement(timeoutMs: Int) {
        lock.withLock { beginStatementLocked(timeoutMs: timeoutMs) }
    }

    private func beginStatementLocked(timeoutMs: Int) {
        requestBeganStatement = true
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
            _ = state.compareExchange(expected: Self.runningFlag | Reason.statementTimeout.rawValue, desired: Self.runningFlag,
                                      ordering: .relaxed)
        }
    }

    /// Whether the running request must stop: for loops that cannot throw (an index build).
    var isRaised: Bool { state.load(ordering: .relaxed) & Self.reasonMask != Reason.none.rawValue }

    /// Throws 57014 with PostgreSQL's message for the reason, if one was raised.
    func check() throws {
        let reason = Reason(rawValue: state.load(ordering: .relaxed) & Self.reasonMask) ?? .none
        switch reason {
        case .none: return
        case .userRequest: throw VireoError(.queryCanceled, "canceling statement due to user request")
        case .statementTimeout: throw VireoError(.queryCanceled, "canceling statement due to statement timeout")
        }
    }

    private func statementTimerFired(_ number: UInt64) {
        lock.withLock {
            guard number == statementNumber else { return }
            raise(.statementTimeout)
        }
    }

    private func stopStatementTimerLocked() {
        statementTimer?.cancel()
        statementTimer = nil
    }
}
