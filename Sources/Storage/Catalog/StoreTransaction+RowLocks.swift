// A transaction's row locks (RowLocks.swift): it is their owner from its first lock to
// its COMMIT or ROLLBACK, and a savepoint releases those taken after it (as PostgreSQL,
// where a rolled-back subtransaction's row locks are gone).

/// A row lock asked for by a statement, and what became of it.
public enum RowLockResult: Sendable, Equatable {
    /// Granted, and no commit changed the row after the version the transaction reads.
    case locked
    /// Granted, but a commit the transaction has not seen changed or deleted the row: the
    /// statement must look at its newest version (READ COMMITTED) or fail (40001).
    case lockedChangedSince
    /// Held by another transaction (SKIP LOCKED).
    case skipped
}

extension StoreTransaction {
    /// Locks row `rowID` of `table` in `mode` for this transaction, as `policy` says; waits
    /// at most `timeoutMs` (nil: no limit) for another holder (55P03 past it, 40P01 on a
    /// deadlock, or what `checkCancel` throws). `implicit` marks the lock an UPDATE or
    /// DELETE takes, which does not make other writers wait (L1).
    public func lockRow(table: String, rowID: Int64, mode: RowLockMode, implicit: Bool = false,
                        policy: RowLockWaitPolicy = .wait, timeoutMs: Int?,
                        checkCancel: () throws -> Void = {}) throws -> RowLockResult {
        let key = RowKey(table: table, rowID: rowID)
        let recording = !(implicit && pages.holdsGate)  // L5
        let outcome = try store.rowLocks.acquire(key, owner: ObjectIdentifier(self), mode: mode, implicit: implicit, policy: policy,
                                                 timeoutMs: timeoutMs, recording: recording, checkCancel: checkCancel)
        if recording { holdsRowLocks = true }
        guard outcome != .skipped else { return .skipped }
        // The gate holder reads the newest pages: nothing committed is hidden from it.
        guard let base = pages.base?.version else { return .locked }
        return store.lastWriteVersion(of: key) > base ? .lockedChangedSince : .locked
    }

    /// A mark of the row locks held now, to release those taken after it.
    public var rowLockMark: Int {
        holdsRowLocks ? store.rowLocks.mark(ObjectIdentifier(self)) : 0
    }

    /// Releases the row locks taken after `mark` (0: all of them).
    public func releaseRowLocks(downTo mark: Int = 0) {
        guard holdsRowLocks else { return }
        store.rowLocks.release(ObjectIdentifier(self), downTo: mark)
        if mark == 0 { holdsRowLocks = false }
    }
}
