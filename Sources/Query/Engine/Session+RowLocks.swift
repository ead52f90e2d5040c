import VireoStorage

/// Row locks at the session's level: a statement that found a locked row changed runs
/// again (READ COMMITTED), and UPDATE and DELETE lock the rows they change.
extension Session {
    /// Most times one statement runs again because rows it locked had changed; each time
    /// needs another transaction's commit, so this is only reached under a storm of them.
    static let lockedRowRestartsMax = 1_000

    /// Runs `body`; when it meets a locked row that a commit it did not see changed
    /// (`VireoError.lockedRowChanged`, READ COMMITTED only), releases the locks it took, moves the
    /// transaction to the newest version and runs it again, as PostgreSQL re-reads such a
    /// row. Only a statement that has written nothing yet can run again; otherwise, and past
    /// `lockedRowRestartsMax`, it fails with 40001.
    @inline(__always)
    func runRestartingOnLockedRows<R>(_ transaction: StoreTransaction, _ body: (StoreTransaction) throws -> R) throws -> R {
        var restarts = 0
        while true {
            let mark = transaction.rowLockMark
            let operationsBefore = transaction.loggedOperationCount
            do {
                return try body(transaction)
            } catch let error as VireoError where error.isLockedRowChanged {
                guard transaction.loggedOperationCount == operationsBefore, restarts < Self.lockedRowRestartsMax else {
                    throw VireoError(.serializationFailure, "could not serialize access due to concurrent update")
                }
                restarts += 1
                transaction.releaseRowLocks(downTo: mark)
                try statementCancel.check()
                try transaction.moveToNewestVersion()
            }
        }
    }

    /// Locks row `rowID` of `table` before an UPDATE (FOR NO KEY UPDATE) or DELETE (FOR
    /// UPDATE) changes it: it waits for a transaction that locked it with SELECT … FOR,
    /// but not for another plain writer (first committer wins, L1).
    func lockForChange(_ table: String, rowID: Int64, deleting: Bool, _ context: ExecutionContext) throws {
        guard let locker = context.rowLocker else { return }
        _ = try locker.lock(table: table, rowID: rowID, mode: deleting ? .update : .noKeyUpdate, policy: .wait, implicit: true)
    }
}
