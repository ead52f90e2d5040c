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
            savepoints.append(BlockSavepoint(name: name, vectorChanges: pendingVectorChanges, notifications: notificationQueue,
                                             deferredConstraints: deferredConstraints.snapshot()))
            transaction?.setSavepoint()
            return QueryResult(commandTag: "SAVEPOINT")
        case .rollbackToSavepoint(let name):
            try requireBlock("ROLLBACK TO SAVEPOINT")
            let index = try savepointIndex(name)
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
            return QueryResult(commandTag: "ROLLBACK")
        case .releaseSavepoint(let name):
            try requireBlock("RELEASE SAVEPOINT")
            let index = try savepointIndex(name)
            savepoints.removeLast(savepoints.count - index)
            transaction?.release(savepoint: index + 1)
            return QueryResult(commandTag: "RELEASE")
        default:
            preconditionFailure("not a savepoint command: \(command)")
        }
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
