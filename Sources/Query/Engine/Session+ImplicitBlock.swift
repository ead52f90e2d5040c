import VireoStorage

/// PostgreSQL's implicit transaction block: the statements of one simple Query message that
/// holds several (what `psql -c "A; B"` sends) run as one transaction, so that when B fails
/// A is rolled back too. Before each statement the caller opens the block unless one is open;
/// after the last (or the first that fails) it ends it: committed after success, rolled
/// back after an error. BEGIN in the message turns the block into an explicit one, which
/// outlives the message (aborted, after an error, until ROLLBACK); COMMIT or ROLLBACK ends
/// it, and the next statement opens another; SAVEPOINT in it is 25P01, as in PostgreSQL.
extension Session {
    /// Opens the implicit block for the next statement of a several-statement message,
    /// unless a block (implicit or explicit) is open.
    public func beginImplicitBlock() throws {
        try withRequest { _ = openImplicitBlock() }
    }

    /// Opens an implicit block unless a block is open; whether it did (a DO block runs in
    /// one of its own when none is open).
    func openImplicitBlock() -> Bool {
        guard !inTransactionBlock else { return false }
        inTransactionBlock = true
        inImplicitBlock = true
        blockModes = defaultTransactionModes
        blockHasRunStatement = false
        return true
    }

    /// Ends the implicit block at the end of the message: commits it when `succeeded` and
    /// nothing aborted it, else rolls it back. An explicit block stays as it is.
    public func endImplicitBlock(succeeded: Bool) throws {
        try withRequest {
            guard inImplicitBlock else { return }
            guard succeeded, abortedBy == nil else { return rollBackTransactionBlock() }
            try endTransaction(commit: true)
            // What the block's NOTIFYs queued goes out with its commit, as after COMMIT.
            if notificationQueue != nil { publishNotifications() }
        }
    }
}
