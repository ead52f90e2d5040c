// SQL savepoints (SAVEPOINT, ROLLBACK TO SAVEPOINT, RELEASE).
//
//   S1. Each open savepoint is one undo level of `pages` (level i + 1 for savepoints[i])
//       plus what the transaction's other state was then: its catalog, the tables it
//       changed, the rows it wrote and how many row operations it had logged.
//   S2. When the transaction moves to a newer version while savepoints are open (READ
//       COMMITTED, the writer gate, a commit), its log is replayed in segments, opening
//       each savepoint's undo level where its operations end, so S1 holds on the new
//       pages too. Whole or partial page moves (C4, C5) need no open savepoints.
//   S3. Rolling back to a savepoint restores all of that and keeps the savepoint open;
//       the sequences and row ids handed out since are not given back (as PostgreSQL).

/// What a transaction was when a savepoint was set (S1).
struct SavepointState {
    let operationCount: Int
    /// The catalog then: the base catalog of a transaction over a snapshot (it cannot
    /// change the schema), so a move (S2) sets it to the new base.
    var catalog: Catalog
    let changedTables: Set<String>
    let droppedTables: Set<String>
    let writtenRows: Set<RowKey>
    /// The row locks held then: those taken later go at a rollback to it (as in PostgreSQL).
    let rowLockMark: Int
}

extension StoreTransaction {
    /// The number of open savepoints.
    public var savepointCount: Int { savepoints.count }

    /// Sets a savepoint; returns its number (1 for the first), for `rollback(toSavepoint:)`
    /// and `release(savepoint:)`.
    @discardableResult
    public func setSavepoint() -> Int {
        savepoints.append(SavepointState(operationCount: operations.count, catalog: catalog, changedTables: changedTables,
                                         droppedTables: droppedTables, writtenRows: writtenRows,
                                         rowLockMark: rowLockMark))
        let level = pages.savepoint()
        assert(level == savepoints.count, "page undo levels and savepoints out of step (S1)")
        return level
    }

    /// Undoes everything since savepoint `number`, which stays open, and closes the later
    /// ones (S3). A transaction aborted by an error works again afterwards.
    public func rollback(toSavepoint number: Int) {
        precondition(number >= 1 && number <= savepoints.count, "no savepoint \(number)")
        let state = savepoints[number - 1]
        savepoints.removeLast(savepoints.count - number)
        pages.rollback(toSavepoint: number)
        let current = catalog
        catalog = state.catalog
        // A schema seen after the savepoint must never be mistaken for this one, and
        // sequence values are not given back.
        catalog.noteSchemaChange()
        catalog.sequences.merge(current.sequences.filter { state.catalog.sequences[$0.key] != nil }) { $1 }
        changedTables = state.changedTables
        droppedTables = state.droppedTables
        writtenRows = state.writtenRows
        if operations.count > state.operationCount { operations.removeLast(operations.count - state.operationCount) }
        releaseRowLocks(downTo: state.rowLockMark)
        abortCause = nil
    }

    /// Closes savepoint `number` and the later ones, keeping their changes.
    public func release(savepoint number: Int) {
        precondition(number >= 1 && number <= savepoints.count, "no savepoint \(number)")
        savepoints.removeLast(savepoints.count - number + 1)
        pages.release(savepoint: number)
    }

    /// Closes every savepoint, keeping the changes (before a commit).
    func releaseAllSavepoints() {
        if !savepoints.isEmpty { release(savepoint: 1) }
    }

    /// S2: replays the log into `target`, opening each savepoint's undo level where its
    /// operations end.
    func replayKeepingSavepoints(into target: StoreTransaction) throws {
        var done = 0
        for state in savepoints {
            try replay(Array(operations[done..<state.operationCount]).map(\.operation), into: target)
            done = state.operationCount
            var moved = state
            moved.catalog = target.catalog
            target.savepoints.append(moved)
            _ = target.pages.savepoint()
        }
        try replay(Array(operations[done...]).map(\.operation), into: target)
    }
}
