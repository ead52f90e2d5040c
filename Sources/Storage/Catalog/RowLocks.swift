// Row locks: SELECT … FOR UPDATE | NO KEY UPDATE | SHARE | KEY SHARE, and the locks that
// UPDATE and DELETE take on the rows they change.
//
// Locks live in memory only: they never outlive their transaction, so a crash needs
// nothing. The table maps a row (table name, row id) to its holders, each an owner (one
// StoreTransaction) with a mode.
//
//   L1. Modes conflict as PostgreSQL's row-lock modes do (`RowLockMode.conflicts`).
//       Locks that UPDATE and DELETE take ("implicit") conflict with every explicit lock
//       they would conflict with in PostgreSQL, but not with each other: two plain writers
//       of a row still go on together and the first to commit wins (C1).
//   L2. An owner that must wait parks on the table's condition (no spinning), waking at
//       each release and every few milliseconds to check its statement's cancel flag and
//       lock_timeout (55P03).
//   L3. Before each wait the owner records whom it waits for; if one of them waits, directly
//       or through others, for it, the wait would never end: it fails with 40P01 instead.
//   L4. Each owner's acquisitions are logged in order, so a savepoint or a restarted
//       statement can release those taken after a mark; COMMIT and ROLLBACK release all.
//       A release happens after the owner's commit is visible, so whoever takes the lock
//       next sees what the holder wrote (`Store.lastWriteVersion`).
//   L5. A transaction holding the writer gate (a bulk write, a schema change) waits for
//       explicit locks but records no implicit ones: it may change millions of rows, and
//       no other transaction commits meanwhile, so a later locker finds the rows it changed
//       through `Store.lastWriteVersion` instead.

/// A row-lock strength, weakest first.
public enum RowLockMode: Int, Sendable, Comparable, CaseIterable {
    case keyShare, share, noKeyUpdate, update

    /// PostgreSQL's row-lock conflict table.
    public func conflicts(with other: RowLockMode) -> Bool {
        switch (self, other) {
        case (.keyShare, .update), (.update, .keyShare): true
        case (.keyShare, _), (_, .keyShare): false
        case (.share, .share): false
        default: true
        }
    }

    public static func < (left: RowLockMode, right: RowLockMode) -> Bool { left.rawValue < right.rawValue }
}

/// What to do about a row another transaction holds: wait, fail at once, or leave it out.
public enum RowLockWaitPolicy: Sendable, Equatable {
    case wait, noWait, skipLocked
}

/// The outcome of asking for a row lock.
public enum RowLockOutcome: Sendable, Equatable {
    /// Granted; `waited` says whether another transaction held it first (its row may have changed).
    case acquired(waited: Bool)
    /// Held by another transaction, with `skipLocked`.
    case skipped
}

/// The lock table of one store (L1–L4).
final class RowLockTable: @unchecked Sendable {
    typealias Owner = ObjectIdentifier

    struct Holding: Equatable {
        var owner: Owner
        var mode: RowLockMode
        var implicit: Bool

        func conflicts(with request: Holding) -> Bool {
            owner != request.owner && !(implicit && request.implicit) && mode.conflicts(with: request.mode)
        }
    }

    /// One acquisition, for releasing back to a mark (L4): what the owner held before.
    private struct Acquisition {
        let key: RowKey
        let previous: Holding?
    }

    private let condition = Condition()
    private var holders: [RowKey: [Holding]] = [:]
    private var acquisitions: [Owner: [Acquisition]] = [:]
    /// For each waiting owner, the owners it waits for (L3).
    private var waitsFor: [Owner: Set<Owner>] = [:]

    /// Takes `mode` on `key` for `owner`, as `policy` says (L2, L3). Throws 55P03 (NOWAIT,
    /// lock_timeout), 40P01 (deadlock) or what `checkCancel` throws. Without `recording`
    /// it only waits until no conflicting lock is held (L5).
    func acquire(_ key: RowKey, owner: Owner, mode: RowLockMode, implicit: Bool, policy: RowLockWaitPolicy,
                 timeoutMs: Int?, recording: Bool = true, checkCancel: () throws -> Void) throws -> RowLockOutcome {
        let request = Holding(owner: owner, mode: mode, implicit: implicit)
        var deadline: ContinuousClock.Instant?
        return try condition.withLock { () throws -> RowLockOutcome in
            // Most rows are held by nobody: grant at once, with no wait bookkeeping.
            if holders[key] == nil {
                if recording { grant(request, key) }
                return .acquired(waited: false)
            }
            defer { waitsFor[owner] = nil }
            var waited = false
            while true {
                let blockers = Set((holders[key] ?? []).filter { $0.conflicts(with: request) }.map(\.owner))
                if blockers.isEmpty {
                    if recording { grant(request, key) }
                    return .acquired(waited: waited)
                }
                switch policy {
                case .skipLocked: return .skipped
                case .noWait: throw RowLockTable.notObtained(key)
                case .wait: break
                }
                waitsFor[owner] = blockers
                if waitsOnItself(owner) {
                    throw VireoError(.deadlockDetected, "deadlock detected",
                                     detail: "Two transactions each wait for a row lock the other holds (table \"\(key.table)\").")
                }
                try checkCancel()
                if deadline == nil, let timeoutMs { deadline = ContinuousClock.now + .milliseconds(max(0, timeoutMs)) }
                if let deadline, ContinuousClock.now >= deadline {
                    throw VireoError(.lockNotAvailable, "canceling statement due to lock timeout")
                }
                waited = true
                condition.wait(timeoutMs: Gate.cancelCheckIntervalMs)
            }
        }
    }

    /// Whether `owner` would wait for itself through the wait-for graph (L3).
    private func waitsOnItself(_ owner: Owner) -> Bool {
        var seen: Set<Owner> = []
        var pending = Array(waitsFor[owner] ?? [])
        while let next = pending.popLast() {
            if next == owner { return true }
            guard seen.insert(next).inserted else { continue }
            pending.append(contentsOf: waitsFor[next] ?? [])
        }
        return false
    }

    /// Under the condition's lock: records `request` as held, at least as strong as before.
    private func grant(_ request: Holding, _ key: RowKey) {
        var list = holders.removeValue(forKey: key) ?? []
        defer { holders[key] = list }
        let position = list.firstIndex { $0.owner == request.owner }
        let previous = position.map { list[$0] }
        if let previous, previous.mode >= request.mode, !previous.implicit || request.implicit { return }
        var granted = request
        if let previous {
            granted.mode = max(previous.mode, request.mode)
            granted.implicit = previous.implicit && request.implicit
        }
        if let position { list[position] = granted } else { list.append(granted) }
        acquisitions[request.owner, default: []].append(Acquisition(key: key, previous: previous))
    }

    /// How many acquisitions `owner` has made: a mark to release back to.
    func mark(_ owner: Owner) -> Int {
        condition.withLock { acquisitions[owner]?.count ?? 0 }
    }

    /// Whether `owner` holds any lock.
    func holdsAny(_ owner: Owner) -> Bool {
        condition.withLock { !(acquisitions[owner]?.isEmpty ?? true) }
    }

    /// Releases what `owner` acquired after `mark` (0: everything), newest first, and wakes waiters.
    func release(_ owner: Owner, downTo mark: Int = 0) {
        condition.withLock {
            // Taken out of the tables while edited, so the arrays are not copied.
            guard var log = acquisitions.removeValue(forKey: owner) else { return }
            defer { if !log.isEmpty { acquisitions[owner] = log } }
            guard log.count > mark else { return }
            while log.count > mark, let last = log.popLast() {
                var list = holders.removeValue(forKey: last.key) ?? []
                list.removeAll { $0.owner == owner }
                if let previous = last.previous { list.append(previous) }
                if !list.isEmpty { holders[last.key] = list }
            }
            condition.broadcast()
        }
    }

    /// The number of rows locked, for tests and diagnostics.
    var lockedRowCount: Int { condition.withLock { holders.count } }

    /// The number of transactions waiting for a row lock now.
    var waiterCount: Int { condition.withLock { waitsFor.count } }

    private static func notObtained(_ key: RowKey) -> VireoError {
        VireoError(.lockNotAvailable, "could not obtain lock on row in relation \"\(key.table)\"")
    }
}
