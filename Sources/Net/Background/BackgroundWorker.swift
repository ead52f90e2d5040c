import Foundation
import Logging
import Synchronization
import VireoQuery

/// Claims the queue's jobs one at a time and runs them: woken when a job is enqueued, and
/// at start after putting back the jobs of a worker that died. One worker a process.
public final class BackgroundWorker: Sendable {
    /// What a job of one kind does; thrown errors are logged and the job is dropped (a
    /// handler records its own failures where the client sees them).
    typealias Handler = @Sendable (BackgroundQueue.Job) async throws -> Void

    /// This process's name in the queue's `owner` column.
    let owner = UUID().uuidString.lowercased()
    let engine: EngineAccess
    private let handlers: Mutex<[String: Handler]> = Mutex([:])
    private let periodicTasks: Mutex<[PeriodicTask]> = Mutex([])
    private let wakeStream: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    let logger = Logger(label: "vireo.background")

    init(engine: EngineAccess) {
        self.engine = engine
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func register(_ kind: String, _ handler: @escaping Handler) {
        handlers.withLock { $0[kind] = handler }
    }

    /// Work repeated every `intervalMs` while the worker runs (the first time at its start),
    /// such as deleting expired vector stores; errors are logged and the next round comes.
    struct PeriodicTask: Sendable {
        var name: String
        var intervalMs: Int
        var body: @Sendable () async throws -> Void
    }

    func every(_ intervalMs: Int, _ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        precondition(intervalMs > 0, "a periodic task needs a positive interval")
        periodicTasks.withLock { $0.append(PeriodicTask(name: name, intervalMs: intervalMs, body: body)) }
    }

    /// Tells the worker there is work.
    func wake() { wakeContinuation.yield() }

    /// Ends `runUntilCancelled` once the job in hand (if any) is done.
    public func stop() { wakeContinuation.finish() }

    /// Runs jobs until the queue is empty.
    public func drain() async throws {
        let owner = self.owner
        while let job = try await engine.session({ try BackgroundQueue.claim($0, owner: owner) }) {
            let handler = handlers.withLock { $0[job.kind] }
            do {
                if let handler { try await handler(job) } else { logger.error("background job of unknown kind \(job.kind) dropped") }
            } catch {
                logger.error("background job \(job.kind) \(job.key) failed: \(error)")
            }
            try await engine.session { try BackgroundQueue.finish($0, job) }
        }
    }

    /// Puts back the jobs of a worker that died; returns how many.
    public func requeueAbandoned() async throws -> Int {
        let owner = self.owner
        return try await engine.session { try BackgroundQueue.requeueAbandoned($0, owner: owner) }
    }

    /// The worker's life: pick up abandoned jobs, drain, then wait to be woken, until the
    /// task is cancelled.
    public func runUntilCancelled() async {
        do {
            let requeued = try await requeueAbandoned()
            if requeued > 0 { logger.info("picked up \(requeued) background jobs left by a previous run") }
        } catch {
            logger.error("could not requeue abandoned background jobs: \(error)")
        }
        wake()
        await withTaskGroup(of: Void.self) { group in
            for task in periodicTasks.withLock({ $0 }) { group.addTask { await self.repeatedly(task) } }
            await withTaskCancellationHandler {
                for await _ in wakeStream {
                    do { try await drain() } catch { logger.error("background worker: \(error)") }
                }
            } onCancel: {
                stop()
            }
            group.cancelAll()
        }
    }

    /// Runs `task` until cancelled, sleeping its interval between rounds.
    private func repeatedly(_ task: PeriodicTask) async {
        while !Task.isCancelled {
            do { try await task.body() } catch { logger.error("periodic task \(task.name) failed: \(error)") }
            try? await Task.sleep(for: .milliseconds(task.intervalMs))
        }
    }
}
