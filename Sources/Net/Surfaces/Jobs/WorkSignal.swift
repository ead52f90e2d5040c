import Synchronization

/// Wakes long-polling agents when work may have appeared (a job created, restarted or put
/// back), without spinning: a poller notes the generation, looks for work, and if there is
/// none waits until the generation moves on or its time is up. A notification between the
/// look and the wait is not lost, because the wait compares generations first.
final class WorkSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters made but not yet parked, and those of them cancelled meanwhile.
        var unparked: Set<UInt64> = []
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())

    /// The current generation, to pass to `wait(after:timeoutMs:)`.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Waiters at the moment (for tests and metrics).
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Moves the generation on and wakes every waiter.
    func notify() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once the generation differs from `generation`, after `timeoutMs`, or when the
    /// task is cancelled, whichever comes first.
    func wait(after generation: UInt64, timeoutMs: Int) async {
        guard timeoutMs > 0 else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(after: generation) }
            group.addTask { try? await Task.sleep(for: .milliseconds(timeoutMs)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(after generation: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            state.unparked.insert(state.nextWaiter)
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    state.unparked.remove(id)
                    if state.generation != generation || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let continuation = state.waiters.removeValue(forKey: id) { return continuation }
                if state.unparked.contains(id) { state.cancelled.insert(id) }
                return nil
            }
            continuation?.resume()
        }
    }
}
