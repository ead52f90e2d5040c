import VireoStorage

/// How a statement locks rows in its transaction: SELECT … FOR UPDATE (LockRows) and the
/// rows UPDATE and DELETE change. Built by the session for each statement.
struct RowLocker {
    let transaction: StoreTransaction
    /// lock_timeout (nil: no limit).
    let timeoutMs: Int?
    let checkCancel: () throws -> Void
    /// REPEATABLE READ: a row changed after the snapshot cannot be re-read (40001).
    let usesOneSnapshot: Bool

    /// Locks the row; false when SKIP LOCKED passes over it. When another transaction
    /// changed the row after this statement's snapshot (it held the lock meanwhile, or
    /// committed just before), READ COMMITTED throws `VireoError.lockedRowChanged` so the session
    /// runs the statement again on the newest version (as PostgreSQL re-reads the row);
    /// REPEATABLE READ throws 40001. UPDATE and DELETE (`implicit`) under REPEATABLE READ
    /// go on: their commit fails with 40001 as before (first committer wins).
    func lock(table: String, rowID: Int64, mode: RowLockMode, policy: RowLockWaitPolicy, implicit: Bool = false) throws -> Bool {
        switch try transaction.lockRow(table: table, rowID: rowID, mode: mode, implicit: implicit, policy: policy,
                                       timeoutMs: timeoutMs, checkCancel: checkCancel) {
        case .locked: return true
        case .skipped: return false
        case .lockedChangedSince:
            if !usesOneSnapshot { throw VireoError.lockedRowChanged }
            if implicit { return true }
            throw VireoError(.serializationFailure, "could not serialize access due to concurrent update")
        }
    }
}

extension VireoError {
    /// A locked row was changed by a commit the statement did not see: READ COMMITTED runs
    /// the statement again on the newest version (Session.runRestartingOnLockedRows). Where
    /// nothing can run it again (EXPLAIN ANALYZE), it reaches the client as the 40001 it is.
    static let lockedRowChanged = VireoError(.serializationFailure, "could not serialize access due to concurrent update",
                                             detail: lockedRowChangedDetail)
    static let lockedRowChangedDetail = "A row this statement locked was changed by a transaction it had not seen."

    var isLockedRowChanged: Bool { code == .serializationFailure && detail == Self.lockedRowChangedDetail }
}

/// The LockRows node: each input row's source rows are locked in order before it is emitted.
enum LockRows {
    static func run(_ input: PlanNode, _ targets: [RowLockTarget], _ context: ExecutionContext, _ path: String,
                    _ emit: PlanExecutor.Emit) throws -> Bool {
        guard let locker = context.rowLocker else {
            throw VireoError(.featureNotSupported, "\(targets.first?.mode.clauseSQL ?? "FOR UPDATE") is not allowed here (it needs a transaction that can write)")
        }
        return try PlanExecutor.run(input, context, path: path) { row in
            for target in targets {
                // A NULL row id: the row is the missing side of an outer join; nothing to lock.
                guard case .int(let rowID) = row[target.rowIDPosition] else { continue }
                guard try locker.lock(table: target.table, rowID: rowID, mode: target.mode, policy: target.policy) else { return true }
            }
            return try emit(row)
        }
    }
}
