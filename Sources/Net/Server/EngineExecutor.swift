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
