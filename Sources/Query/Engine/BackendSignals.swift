import VireoStorage

/// How pg_cancel_backend and pg_terminate_backend reach another connection. The engine
/// does not know the connections, a server does (pgwire's registry by process id), so the
/// server installs the handler; an embedded database has none, and no process id names a
/// backend there.
public final class BackendSignals: @unchecked Sendable {
    /// What is asked of the backend.
    public enum Signal: Sendable {
        /// Cancel its running statement (57014), as a CancelRequest does.
        case cancel
        /// End its connection (FATAL 57P01).
        case terminate
    }

    /// Sends `signal` to the backend with that process id; whether one had it.
    public typealias Handler = @Sendable (_ processID: Int32, _ signal: Signal) -> Bool

    private let lock = Lock()
    private var handler: Handler?

    /// Installs the server's handler (replacing any earlier one); nil removes it.
    public func install(_ handler: Handler?) {
        lock.withLock { self.handler = handler }
    }

    /// Whether a backend with process id `processID` was there to get `signal`.
    func send(_ signal: Signal, to processID: Int32) -> Bool {
        guard let handler = lock.withLock({ handler }) else { return false }
        return handler(processID, signal)
    }
}
