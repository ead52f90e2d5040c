import VireoStorage

/// A savepoint of the open block: its name and the block's vector-index changes then. The
/// block's transaction, once open, has one storage savepoint per entry (the i-th entry is
/// its savepoint i + 1); entries set before it opened get theirs when it opens.
struct BlockSavepoint {
    let name: String
    let vectorChanges: [String: Set<Int64>]
    /// The block's NOTIFYs and LISTENs then: rolling back to it drops the later ones.
    let notifications: NotificationQueue?
    /// The put-off foreign-key checks and SET CONSTRAINTS modes then (D5).
    let deferredConstraints: DeferredConstraints.Snapshot
}

extension Session {
    /// SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT, as PostgreSQL: names may
    /// repeat (the newest is meant), rolling back keeps the savepoint and ends an aborted
    /// state, releasing closes it and every later one.
    func savepointCommand(_ command: TransactionCommand) throws -> QueryResult {
        switch command {
        case .savepoint(let name):
            try requireBlock("SAVEPOINT")
            blockHasRunStatement = true
            _ = pushSavepoint(name)
            return QueryResult(commandTag: "SAVEPOINT")
        case .rollbackToSavepoint(let name):
            try requireBlock("ROLLBACK TO SAVEPOINT")
            rollBack(toSavepoint: try savepointIndex(name))
            return QueryResult(commandTag: "ROLLBACK")
        case .releaseSavepoint(let name):
            try requireBlock("RELEASE SAVEPOINT")
            release(savepoint: try savepointIndex(name))
            return QueryResult(commandTag: "RELEASE")
        default:
            preconditionFailure("not a savepoint command: \(command)")
        }
    }

    /// A savepoint named `name` after the others; its index.
    private func pushSavepoint(_ name: String) -> Int {
        savepoints.append(BlockSavepoint(name: name, vectorChanges: pendingVectorChanges, notifications: notificationQueue,
                                         deferredConstraints: deferredConstraints.snapshot()))
        transaction?.setSavepoint()
        return savepoints.count - 1
    }

    /// Back to savepoint `index` (kept): the rows, schema, vector-index changes, NOTIFYs and
    /// deferred checks as they were, and the block no longer aborted.
    private func rollBack(toSavepoint index: Int) {
        savepoints.removeLast(savepoints.count - index - 1)
        if let transaction {
            let schemaBefore = transaction.catalog
            transaction.rollback(toSavepoint: index + 1)
            forgetVectorIndexes(createdIn: schemaBefore, notIn: transaction.catalog)
        }
        pendingVectorChanges = savepoints[index].vectorChanges
        notificationQueue = savepoints[index].notifications
        deferredConstraints.restore(savepoints[index].deferredConstraints)
        abortedBy = nil
    }

    /// Closes savepoint `index` and every later one, keeping what was done since.
    private func release(savepoint index: Int) {
        savepoints.removeLast(savepoints.count - index)
        transaction?.release(savepoint: index + 1)
    }

    /// The savepoint around a PL/pgSQL block with EXCEPTION handlers (in any block, implicit
    /// ones too; its name no SAVEPOINT can give): its index.
    func pushInternalSavepoint() -> Int { pushSavepoint("") }

    func releaseInternalSavepoint(_ index: Int) { release(savepoint: index) }

    /// Back to the block's savepoint after an error, and closing it.
    func rollBackInternalSavepoint(_ index: Int) {
        rollBack(toSavepoint: index)
        release(savepoint: index)
    }

    /// Gives a transaction opened inside the block a storage savepoint for each entry.
    func setSavepointsOfBlock(on transaction: StoreTransaction) {
        for _ in transaction.savepointCount..<savepoints.count { transaction.setSavepoint() }
    }

    private func requireBlock(_ command: String) throws {
        guard inTransactionBlock, !inImplicitBlock else {
            throw VireoError(.noActiveTransaction, "\(command) can only be used in transaction blocks")
        }
    }

    private func savepointIndex(_ name: String) throws -> Int {
        guard let index = savepoints.lastIndex(where: { $0.name == name }) else {
            throw VireoError(.invalidSavepoint, "savepoint \"\(name)\" does not exist")
        }
        return index
    }
}
