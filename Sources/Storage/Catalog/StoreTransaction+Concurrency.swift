// Concurrent write transactions.
//
// A transaction over a snapshot changes pages in its private overlay and logs each row
// operation. It never waits for another transaction while it works. When it must see
// newer commits (READ COMMITTED, at each statement) or commit after others did, the
// store checks it for conflicts and replays its log on the newest version:
//
//   C1. First committer wins: a transaction that updated or deleted a row which a commit
//       after `validatedThrough` also changed fails with 40001, as does one whose tables
//       had their definition changed by a commit meanwhile.
//   C2. Replaying the log on a newer version writes what the statements would have
//       written there, given C1 (the rows they changed are as they saw them). Unique
//       keys are checked again by the replay, so the later of two inserts gets 23505.
//   C3. Schema changes need the writer gate (`acquireWriterGate`); a transaction that
//       holds it commits alone and logs nothing, since nothing can commit under it.
//   C4. Replaying is not needed when none of the pages the transaction changed was
//       changed since its snapshot: its pages are then what the replay would write
//       (`WriteTransaction.movePages`). The log is kept for a later move that needs it.
//   C6. A row key-shared by a FOREIGN KEY check (`shareKey`) conflicts with a concurrent
//       update or delete of it, in either order, but not with other key-shares: a child
//       inserted against a parent row and that parent's concurrent deletion never both
//       commit (40001 for the later one).
//   C5. Otherwise part of it may move: each logged operation records the pages it
//       changed; those that changed a page changed since the snapshot are replayed, and
//       none of their pages moves (repeated until stable). The other pages move, unless
//       the replay wrote one of them; then everything is replayed (C2).

/// A row change, as logged for replay.
enum RowOperation {
    case insert(table: String, rowID: Int64, row: [Value])
    case update(table: String, rowID: Int64, row: [Value])
    case delete(table: String, rowID: Int64)
    /// A vector index of the table must re-read the row (its change tree gets the row id).
    case vectorChange(table: String, rowID: Int64)

    var table: String {
        switch self {
        case .insert(let table, _, _), .update(let table, _, _), .delete(let table, _), .vectorChange(let table, _): table
        }
    }
}

/// A logged row operation and the pages it changed (C5).
struct LoggedOperation {
    let operation: RowOperation
    let pages: Set<PageNumber>
}

/// A row of a table, for conflict checks. Hashed by its row id alone: the commit path
/// hashes every row it checks and records, and hashing the table's name too took about
/// half of that; rows of different tables with one id merely share a bucket.
struct RowKey: Hashable {
    let table: String
    let rowID: Int64

    func hash(into hasher: inout Hasher) { hasher.combine(rowID) }
}

extension StoreTransaction {
    /// Logs a row operation (called once it is applied to the pages); past
    /// `store.loggedOperationsMax` operations, takes the writer gate and stops logging.
    func log(_ operation: RowOperation) throws {
        switch operation {
        case .update(let table, let rowID, _), .delete(let table, let rowID):
            writtenRows.insert(RowKey(table: table, rowID: rowID))
        case .insert, .vectorChange: break
        }
        guard !pages.holdsGate else { return }
        operations.append(LoggedOperation(operation: operation, pages: pages.takeChangedPages(sameAs: operations.last?.pages)))
        if operations.count > store.loggedOperationsMax {
            try acquireWriterGate(timeoutMs: lockTimeoutMs, checkCancel: checkCancel)
        }
    }

    /// Records that a FOREIGN KEY check relies on row `rowID` of `table` (C6).
    public func shareKey(table: String, rowID: Int64) {
        keySharedRows.insert(RowKey(table: table, rowID: rowID))
    }

    /// Whether the transaction has changed nothing.
    public var isUnchanged: Bool { pages.isEmpty && operations.isEmpty && changedSequences.isEmpty }

    /// Records, inside the transaction, that `rowID` of `table` changed, in the change
    /// tree of each of the table's vector indexes. Returns those indexes' names.
    public func noteVectorChange(table tableName: String, rowID: Int64) throws -> [String] {
        try step {
            let table = try catalog.table(tableName)
            var names: [String] = []
            for definition in table.indexes where definition.method == "hnsw" {
                guard let deltaRoot = definition.deltaRoot else { continue }
                try BTree(root: deltaRoot).insert(key: KeyCodec.encodeRowID(rowID, form: .fixed), value: [], ifPresent: .keep, in: pages)
                names.append(definition.name)
            }
            if !names.isEmpty { try log(.vectorChange(table: tableName, rowID: rowID)) }
            return names
        }
    }

    // MARK: Moving to a newer version

    /// Moves the transaction onto the newest published version, replaying its changes
    /// there (C1, C2): READ COMMITTED runs each statement on this. A conflict aborts it.
    public func moveToNewestVersion() throws {
        guard !pages.holdsGate, store.pager.publishedVersion != pages.baseVersion else { return }
        try step {
            let (snapshot, newest) = try store.pager.openSnapshot { store.catalog }
            let fresh = StoreTransaction(store: store, pages: try store.pager.beginTransaction(over: snapshot), catalog: newest)
            try moveChanges(to: fresh)
        }
    }

    /// Takes the writer gate (C3) before a schema change, waiting at most `timeoutMs`
    /// (55P03 past it), and moves the transaction's changes onto the current version.
    public func acquireWriterGate(timeoutMs: Int?, checkCancel: () throws -> Void = {}) throws {
        guard !pages.holdsGate else { return }
        try step {
            let gated = try store.pager.beginWrite(timeoutMs: timeoutMs, checkCancel: checkCancel)
            try moveChanges(to: StoreTransaction(store: store, pages: gated, catalog: store.catalog))
        }
    }

    /// Checks this transaction's changes and moves them into `fresh` (C4, C5, C2), then
    /// becomes it.
    private func moveChanges(to fresh: StoreTransaction) throws {
        var movedPages = false
        do {
            if !operations.isEmpty { try checkConflicts(with: fresh.catalog) }
            if !savepoints.isEmpty {
                try replayKeepingSavepoints(into: fresh)
            } else {
                movedPages = pages.movePages(into: fresh.pages)
            }
            if !movedPages && !operations.isEmpty && savepoints.isEmpty {
                let savepoint = fresh.pages.savepoint()
                movedPages = try moveOrReplayPart(into: fresh)
                if !movedPages {
                    fresh.pages.rollback(toSavepoint: savepoint)
                    fresh.operations.removeAll()
                    try replay(into: fresh)
                }
                fresh.pages.release(savepoint: savepoint)
            }
        } catch {
            fresh.rollback()
            throw error
        }
        pages.rollback()
        pages = fresh.pages
        catalog = fresh.catalog
        catalog.sequences.merge(changedSequences.compactMap { name in store.sequenceState(name).map { (name, $0) } }) { $1 }
        baseCatalog = fresh.baseCatalog
        if !movedPages {
            rowIDs = fresh.rowIDs
            operations = fresh.operations
            savepoints = fresh.savepoints
        }
        writtenRows.formUnion(fresh.writtenRows)
        keySharedRows.formUnion(fresh.keySharedRows)
        validatedThrough = fresh.validatedThrough
    }

    /// C1: throws 40001 when a row this transaction changed, or one of its tables, was
    /// changed by a commit it has not seen, or by `alsoWritten` (earlier in a batch).
    func checkConflicts(with newest: Catalog, alsoWritten: Set<RowKey> = [], alsoShared: Set<RowKey> = []) throws {
        if store.anyChanged(writtenRows, after: validatedThrough, alsoIn: alsoWritten)
            || store.anyChanged(keySharedRows, after: validatedThrough, alsoIn: alsoWritten) {
            throw VireoError(.serializationFailure, "could not serialize access due to concurrent update")
        }
        if store.anyChanged(writtenRows, after: validatedThrough, shared: true, alsoIn: alsoShared) {
            throw VireoError(.serializationFailure, "could not serialize access due to concurrent update",
                             detail: "A concurrent transaction added a row that references this one.")
        }
        let tables = changedTableNames
        for name in tables where !Self.sameShape(baseCatalog.tables[name], newest.tables[name]) {
            throw VireoError(.serializationFailure, "could not serialize access due to concurrent update")
        }
        // A FOREIGN KEY added meanwhile that references a table it changed (C6).
        guard baseCatalog.version != newest.version else { return }
        for name in tables where newest.foreignKeys(referencing: name).map { $0.key } != baseCatalog.foreignKeys(referencing: name).map { $0.key } {
            throw VireoError(.serializationFailure, "could not serialize access due to concurrent update")
        }
    }

    /// The tables its logged operations changed. Operations come in runs on one table (a
    /// bulk INSERT logs a thousand in a row): a name is hashed once per run, not once per
    /// operation through an array of every name, as each commit did.
    private var changedTableNames: Set<String> {
        var names = Set<String>()
        var last: String?
        for logged in operations {
            let name = logged.operation.table
            if name != last { names.insert(name) }
            last = name
        }
        return names
    }

    private static func sameShape(_ old: TableDefinition?, _ new: TableDefinition?) -> Bool {
        guard let old, let new else { return false }
        return old.root == new.root && old.columns == new.columns && old.rowIDColumn == new.rowIDColumn
            && old.indexes.map(\.name) == new.indexes.map(\.name) && old.checks == new.checks && old.foreignKeys == new.foreignKeys
    }

    /// C5: moves this transaction's changes into `target` (which holds the writer gate),
    /// its pages as they are where no commit changed them since the snapshot, its other
    /// row operations replayed; or all replayed when the two parts would share a page.
    /// Returns false, having changed nothing, in that last case: the caller undoes what
    /// the attempt wrote (a savepoint) and replays everything.
    func moveOrReplayPart(into target: StoreTransaction) throws -> Bool {
        guard pages.hasNoSavepoints else { return false }
        var stale = pages.pagesChanged(comparedTo: target.pages)
        guard stale.count < pages.overlayPageCount else { return false }
        // Pages no operation accounts for, and every page of an operation that touched a
        // stale page, are stale too, until nothing changes.
        stale.formUnion(pages.overlayPages.subtracting(operations.reduce(into: Set<PageNumber>()) { $0.formUnion($1.pages) }))
        var replayed = [Bool](repeating: false, count: operations.count)
        var grew = true
        while grew {
            grew = false
            for (index, logged) in operations.enumerated() where !replayed[index] && !logged.pages.isDisjoint(with: stale) {
                replayed[index] = true
                stale.formUnion(logged.pages)
                grew = true
            }
        }
        let moving = pages.overlayPages.subtracting(stale)
        guard !moving.isEmpty else { return false }
        target.pages.tracksChangedPages = true
        defer { target.pages.tracksChangedPages = target.pages.base != nil }
        _ = target.pages.takeChangedPages()
        let rerun = operations.indices.filter { replayed[$0] }.map { operations[$0].operation }
        store.commitPaths.rerunOperationCount.add(rerun.count, ordering: .relaxed)
        try replay(rerun, into: target)
        let written = target.pages.takeChangedPages().union(target.operations.reduce(into: Set<PageNumber>()) { $0.formUnion($1.pages) })
        guard written.isDisjoint(with: moving) else { return false }
        pages.movePages(moving, into: target.pages)
        // The log stays in order for a later move; a replayed operation may now have
        // written any page the replay wrote (more pages only make later moves cautious).
        operations = operations.enumerated().map { index, logged in
            replayed[index] ? LoggedOperation(operation: logged.operation, pages: written) : logged
        }
        return true
    }

    /// C2: applies the logged operations to `target`, in order.
    func replay(into target: StoreTransaction) throws {
        try replay(operations.map(\.operation), into: target)
    }

    func replay(_ operations: [RowOperation], into target: StoreTransaction) throws {
        for operation in operations {
            switch operation {
            case .insert(let table, let rowID, let row):
                _ = try target.insert(into: table, row: row, rowID: rowID)
            case .update(let table, let rowID, let row):
                guard try target.update(table, rowID: rowID, to: row) != nil else { throw Self.vanished(table, rowID) }
            case .delete(let table, let rowID):
                guard try target.delete(from: table, rowID: rowID) != nil else { throw Self.vanished(table, rowID) }
            case .vectorChange(let table, let rowID):
                _ = try target.noteVectorChange(table: table, rowID: rowID)
            }
        }
        target.changedSequences.formUnion(changedSequences)
    }

    private static func vanished(_ table: String, _ rowID: Int64) -> VireoError {
        VireoError(.serializationFailure, "could not serialize access due to concurrent delete")
    }
}
