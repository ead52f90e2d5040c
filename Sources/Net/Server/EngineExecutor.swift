import NIOCore
import NIOPosix
import VireoQuery

/// Runs engine work (which blocks on locks and I/O) on a bounded pool of threads, never
/// on an event loop, so a slow statement stalls only its own connection.
public final class EngineExecutor: Sendable {
    let pool: NIOThreadPool

    public init(threadCount: Int) {
        pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
    }

    /// Runs `body` on the pool and returns its result.
    public func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await pool.runIfActive(body)
    }

    /// Runs `body` on the pool; the future completes on `eventLoop`.
    public func submit<Result: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable () throws -> Result) -> EventLoopFuture<Result> {
        pool.runIfActive(eventLoop: eventLoop, body)
    }

    /// Stops the threads once queued work is done.
    public func shutdown() async throws { try await pool.shutdownGracefully() }
}

/// A database and the pool its work runs on: what code outside a request (the background
/// worker, the vector-store pipeline) needs to run statements.
public struct EngineAccess: Sendable {
    public let database: Database
    public let executor: EngineExecutor

    public init(database: Database, executor: EngineExecutor) {
        self.database = database
        self.executor = executor
    }

    /// Runs `body` with a fresh session on the pool; a transaction it left open is rolled
    /// back, and a stopped pool is a 503.
    public func session<Result: Sendable>(_ body: @escaping @Sendable (Session) throws -> Result) async throws -> Result {
        let database = self.database
        return try await blocking {
            let session = try database.session()
            defer { if session.isInTransaction { _ = try? session.execute("ROLLBACK") } }
            return try body(session)
        }
    }

    /// Runs blocking work (a statement, a child process) on the pool, never on an event loop.
    public func blocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        do {
            return try await executor.run(body)
        } catch where error is CancellationError || error is NIOThreadPoolError.ThreadPoolInactive {
            // A stopped pool cancels the work (and a cancelled request's answer nobody reads).
            throw RESTError(.serviceUnavailable, code: "engine_unavailable", "the engine is not accepting work (the server is stopping)")
        }
    }
}
