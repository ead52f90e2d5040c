import Foundation
import Synchronization
import VireoStorage

/// PostgreSQL's advisory locks (`pg_advisory_lock` and its family): locks on numbers that
/// the application gives a meaning to, shared by every session of a database. A session
/// may take the same lock again (each take needs its own unlock); a transaction-level lock
/// is released when its transaction ends, a session-level one by an unlock or when the
/// session goes away. Exclusive locks exclude every other session; shared ones exclude
/// only exclusive ones.
///
/// Waiting obeys lock_timeout (55P03) and the statement's cancel and statement_timeout
/// (57014). Two sessions that wait for each other's advisory locks are not detected as a
/// deadlock (PostgreSQL would answer one with 40P01): lock_timeout ends such a wait.
final class AdvisoryLocks: @unchecked Sendable {
    /// A lock's number: one bigint, or two integers (PostgreSQL keeps the two kinds apart).
    struct Key: Hashable, Sendable {
        let high: Int64
        let low: Int64?
    }

    /// Who takes a lock: a session's session-level or transaction-level takes, which are
    /// released apart but never exclude each other.
    struct Owner: Hashable, Sendable {
        let session: Int
        let transactionLevel: Bool
    }

    /// Who holds a lock and how often, exclusive and shared takes counted apart.
    private struct Holders {
        var exclusive: [Owner: Int] = [:]
        var shared: [Owner: Int] = [:]
        var isEmpty: Bool { exclusive.isEmpty && shared.isEmpty }

        func admits(_ owner: Owner, exclusive wantsExclusive: Bool) -> Bool {
            let othersExclusive = exclusive.keys.contains { $0.session != owner.session }
            if !wantsExclusive { return !othersExclusive }
            return !othersExclusive && !shared.keys.contains { $0.session != owner.session }
        }
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var held: [Key: Holders] = [:]
    private let sessionCount = Atomic<Int>(0)

    /// A number for a new session (every session gets one: no lock taken).
    func newSession() -> Int {
        sessionCount.add(1, ordering: .relaxed).newValue
    }

    /// Takes the lock, waiting while another session holds it (unless `wait` is false:
    /// then answers whether it was free). `checkCancel` throws when the statement is
    /// cancelled; `timeoutMs` is lock_timeout.
    func lock(_ key: Key, owner: Owner, exclusive: Bool, wait: Bool, timeoutMs: Int?, checkCancel: () throws -> Void) throws -> Bool {
        let deadline = timeoutMs.map { Date(timeIntervalSinceNow: Double($0) / 1000) }
        condition.lock()
        defer { condition.unlock() }
        while !(held[key] ?? Holders()).admits(owner, exclusive: exclusive) {
            guard wait else { return false }
            if let deadline, Date() >= deadline {
                throw VireoError(.lockNotAvailable, "canceling statement due to lock timeout")
            }
            // Wakes at each unlock, and every 10 ms to notice a cancel or the timeout.
            condition.wait(until: min(deadline ?? .distantFuture, Date(timeIntervalSinceNow: 0.01)))
            condition.unlock()
            defer { condition.lock() }
            try checkCancel()
        }
        if exclusive { held[key, default: Holders()].exclusive[owner, default: 0] += 1 } else { held[key, default: Holders()].shared[owner, default: 0] += 1 }
        return true
    }

    /// Gives back one take of the lock; false when `owner` did not hold it so.
    func unlock(_ key: Key, owner: Owner, exclusive: Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard var holders = held[key] else { return false }
        let count = (exclusive ? holders.exclusive[owner] : holders.shared[owner]) ?? 0
        guard count > 0 else { return false }
        let left = count > 1 ? count - 1 : nil
        if exclusive { holders.exclusive[owner] = left } else { holders.shared[owner] = left }
        held[key] = holders.isEmpty ? nil : holders
        condition.broadcast()
        return true
    }

    /// Gives back every take `owner` holds.
    func unlockAll(_ owner: Owner) {
        condition.lock()
        defer { condition.unlock() }
        for (key, var holders) in held where holders.exclusive[owner] != nil || holders.shared[owner] != nil {
            holders.exclusive[owner] = nil
            holders.shared[owner] = nil
            held[key] = holders.isEmpty ? nil : holders
        }
        condition.broadcast()
    }
}
