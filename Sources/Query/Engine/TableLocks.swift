import Foundation
import Synchronization
import VireoStorage

/// Table-level locks that LOCK TABLE takes, with PostgreSQL's eight modes and conflict
/// table (`TableLockMode.conflicts`), held until the transaction ends.
///
/// Vireo's own statements do not record table locks: reads run on snapshots, row writes
/// are checked at commit (first committer wins) and schema changes take the store's writer
/// gate. So, while a LOCK is held anywhere (`isActive`, one atomic load on every statement
/// otherwise), each statement of another session first waits for the modes its tables'
/// use conflicts with, as if it took PostgreSQL's implicit lock: ACCESS SHARE for each
/// table its FROM clauses read (`SELECT`), ROW EXCLUSIVE for the table an INSERT, UPDATE or
/// DELETE changes, ACCESS EXCLUSIVE for one DDL or TRUNCATE names. Such a wait does not hold
/// the lock afterwards (a LOCK taken later does not wait for that statement's transaction),
/// and tables read only inside expressions (`WHERE x IN (SELECT …)`) or WITH queries are
/// not checked.
///
///   T1. A session's lock is granted when no other session holds a conflicting mode on
///       the table; a session never conflicts with itself.
///   T2. A waiter wakes at each release and every 10 ms to check its statement's cancel
///       flag (57014) and lock_timeout (55P03); NOWAIT fails at once (55P03).
///   T3. Before each wait the waiter records whom it waits for; when they wait, directly
///       or through others, for it, it fails with 40P01 instead of waiting forever.
final class TableLocks: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`:
    /// The modes each session holds on each table: a session may hold several (SHARE, then
    /// ROW EXCLUSIVE, conflicts with what either conflicts with, as in PostgreSQL).
    private var held: [String: [Int: Set<TableLockMode>]] = [:]
    private var waitsFor: [Int: Set<Int>] = [:]
    private let holderCount = Atomic<Int>(0)

    /// Whether any session holds a table lock (else nothing needs checking).
    var isActive: Bool { holderCount.load(ordering: .acquiring) > 0 }

    /// Takes `mode` on `table` for `session` (held until `unlockAll`), or only waits until
    /// it could be taken when `holding` is false (an implicit lock).
    func lock(_ table: String, mode: TableLockMode, session: Int, holding: Bool = true, noWait: Bool = false,
              timeoutMs: Int?, checkCancel: () throws -> Void) throws {
        let deadline = timeoutMs.map { Date(timeIntervalSinceNow: Double($0) / 1000) }
        condition.lock()
        defer {
            waitsFor[session] = nil
            condition.unlock()
        }
        while true {
            let blockers = Set((held[table] ?? [:]).filter { $0.key != session && !mode.conflicts.isDisjoint(with: $0.value) }.keys)
            if blockers.isEmpty { break }
            if noWait { throw VireoError(.lockNotAvailable, "could not obtain lock on relation \"\(TemporarySchema.split(table)?.name ?? table)\"") }
            if let deadline, Date() >= deadline { throw VireoError(.lockNotAvailable, "canceling statement due to lock timeout") }
            waitsFor[session] = blockers
            if reaches(from: blockers, to: session) {
                throw VireoError(.deadlockDetected, "deadlock detected",
                                 detail: "Process \(session) waits for \(mode.lockName) on relation \"\(TemporarySchema.split(table)?.name ?? table)\"; blocked by process \(blockers.sorted().map(String.init).joined(separator: ", ")).")
            }
            condition.wait(until: min(deadline ?? .distantFuture, Date(timeIntervalSinceNow: 0.01)))
            condition.unlock()
            defer { condition.lock() }
            try checkCancel()
        }
        guard holding else { return }
        if held.values.allSatisfy({ $0[session] == nil }) { _ = holderCount.add(1, ordering: .releasing) }
        held[table, default: [:]][session, default: []].insert(mode)
    }

    /// Whether a session in `start` waits, directly or through others, for `target` (T3).
    private func reaches(from start: Set<Int>, to target: Int) -> Bool {
        var seen: Set<Int> = [], frontier = Array(start)
        while let session = frontier.popLast() {
            if session == target { return true }
            guard seen.insert(session).inserted else { continue }
            frontier += waitsFor[session] ?? []
        }
        return false
    }

    /// Releases every lock `session` holds (its transaction ended).
    func unlockAll(session: Int) {
        condition.lock()
        defer { condition.unlock() }
        var held = false
        for (table, var holders) in self.held where holders[session] != nil {
            holders[session] = nil
            self.held[table] = holders.isEmpty ? nil : holders
            held = true
        }
        if held { _ = holderCount.subtract(1, ordering: .releasing) }
        condition.broadcast()
    }
}
