import NIOCore

/// Runs a task's nonisolated code on one event loop. A pgwire connection's task prefers
/// its channel's loop, so reading a message, answering it and resuming after the engine
/// pool's work all happen where the channel's I/O happens: a statement costs one hop to
/// the pool and one back, instead of two more through the global concurrency pool.
/// Engine work itself still runs on `EngineExecutor`, never on the loop.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
