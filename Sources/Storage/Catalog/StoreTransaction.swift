/// A write transaction of a `Store`: schema changes and row changes, committed
/// atomically. After any write method throws, the transaction only allows rollback
/// (as PostgreSQL aborts a transaction on error); commit then throws.
///
/// Two kinds (see StoreTransaction+Concurrency.swift): one that holds the writer gate
/// (schema changes need it) and commits by itself, and any number over snapshots, which
/// log their row operations so the store can validate and replay them at commit.
public final class StoreTransaction: RowSource, @unchecked Sendable {
    public let store: Store
    public internal(set) var pages: WriteTransaction
    public internal(set) var catalog: Catalog
    /// The committed catalog its pages started from, to notice concurrent schema changes.
    var baseCatalog: Catalog
    var changedTables: Set<String> = []
    var droppedTables: Set<String> = []
    var changedSequences: Set<String> = []
    /// Row-id bookkeeping per table it inserted into (StoreTransaction.swift, `noteRowID`).
    var rowIDs: [String: TableRowIDs] = [:] {
        didSet { lastRowIDs = nil }
    }
    /// The entry of `rowIDs` used last, found by comparing the table's name, not hashing it.
    private var lastRowIDs: TableRowIDs?
    var abortCause: VireoError?
    /// Row changes in order, replayed when the transaction moves to a newer snapshot.
    var operations: [LoggedOperation] = []
    /// Rows it updated or deleted: a commit that changed one since `validatedThrough`
    /// is a write conflict (40001).
    var writtenRows: Set<RowKey> = []
    /// Rows a FOREIGN KEY check found as the referenced row (PostgreSQL's FOR KEY SHARE):
    /// a commit that updated or deleted one since `validatedThrough` is a conflict, and so
    /// is one of this transaction's writtenRows that another commit key-shared meanwhile.
    var keySharedRows: Set<RowKey> = []
    /// Open SQL savepoints, oldest first (StoreTransaction+Savepoints.swift).
    var savepoints: [SavepointState] = []
    /// Every published version up to this one has been checked for conflicts with it.
    var validatedThrough: UInt64
    /// How long its commit may wait for the writer gate (nil: without limit), and what
    /// ends that wait early (a cancelled statement): the session's lock_timeout and cancel.
    public var lockTimeoutMs: Int?
    public var checkCancel: () throws -> Void = {}
    /// Whether it may hold row locks (StoreTransaction+RowLocks.swift), released when it ends.
    var holdsRowLocks = false
    /// The bytes of the record being inserted, kept between inserts so that encoding a row
    /// allocates nothing once it has grown to the table's row size.
    var recordBuffer: [UInt8] = []

    init(store: Store, pages: WriteTransaction, catalog: Catalog) {
        self.store = store
        self.pages = pages
        self.catalog = catalog
        self.baseCatalog = catalog
        self.validatedThrough = pages.baseVersion
    }

    /// A transaction dropped without COMMIT or ROLLBACK (a session that went away) leaves
    /// no row lock behind.
    deinit { releaseRowLocks() }

    /// Runs a write step; a failure aborts the transaction.
    func step<R>(_ body: () throws -> R) throws -> R {
        if let abortCause {
            throw VireoError.inFailedTransaction(after: abortCause)
        }
        do { return try body() } catch {
            abortCause = error as? VireoError ?? VireoError(.internalError, "\(error)")
            throw error
        }
    }

    /// Writes the changed schema and makes everything durable and visible.
    /// `afterPublish` runs once the transaction is visible, before the next write
    /// transaction can start: in-memory state derived from committed data (vector
    /// indexes) catches up there, in commit order.
    /// `onPublish` runs in the instant the transaction becomes visible (readers held off).
    public func commit(onPublish: @escaping () -> Void = {}, afterPublish: @escaping () throws -> Void = {}) throws {
        releaseAllSavepoints()
        // Row locks go once the commit is visible (or failed), so the next holder sees it (L4).
        defer { releaseRowLocks() }
        guard pages.holdsGate else {
            if let abortCause { throw VireoError.inFailedTransaction(after: abortCause) }
            return try store.commitConcurrently(self, onPublish: onPublish, afterPublish: afterPublish)
        }
        try step { try writeCatalogChanges() }
        let catalog = self.catalog
        let version = store.pager.publishedVersion + 1
        try pages.commit(onPublish: {
            store.publish(catalog)
            store.recordWrites(CollectionOfOne(self), version: version)
            onPublish()
        }, afterPublish: afterPublish)
    }

    /// Discards every change.
    public func rollback() {
        pages.rollback()
        releaseRowLocks()
    }

    /// The number of row operations logged: a statement that logged none has written nothing.
    public var loggedOperationCount: Int { operations.count }

    func writeCatalogChanges() throws {
        if pages.holdsGate {
            try writeViewChanges()
            try writeEnumTypeChanges()
            try writeFunctionChanges()
            try writeDomainChanges()
        }
        for name in droppedTables.subtracting(changedTables) {
            try store.catalogTree.remove(key: Array((Catalog.tablePrefix + name).utf8), in: pages)
        }
        for name in changedTables {
            guard let table = catalog.tables[name] else { continue }
            try store.catalogTree.insert(key: Array((Catalog.tablePrefix + name).utf8), value: Catalog.encode(table), in: pages)
        }
        if pages.holdsGate { try writeSequenceDefinitionChanges() }
        for name in changedSequences {
            let key = Array((Catalog.sequencePrefix + name).utf8)
            // The newest state, not this transaction's: sequences are not transactional (Q1).
            guard catalog.sequence(named: name) != nil else {
                catalog.sequences[name] = nil
                try store.catalogTree.remove(key: key, in: pages)
                continue
            }
            if let state = store.sequenceState(name) ?? catalog.sequences[name] {
                catalog.sequences[name] = state
                try store.catalogTree.insert(key: key, value: state.encoded, in: pages)
            }
        }
    }

    /// Records a new or changed table definition (the transaction holds the gate).
    /// Whether this transaction changed a table's definition (a schema change: an index, a
    /// column, a new table).
    public var changesTableDefinitions: Bool { !changedTables.isEmpty }

    func setTable(_ table: TableDefinition, previousName: String? = nil) {
        assert(pages.holdsGate, "a schema change outside the writer gate")
        store.forgetAllocatedRowIDs(table.name)
        if let previousName, previousName != table.name {
            store.forgetAllocatedRowIDs(previousName)
            catalog.tables[previousName] = nil
            droppedTables.insert(previousName)
            changedTables.remove(previousName)
            rowIDs[previousName] = nil
        }
        catalog.tables[table.name] = table
        catalog.noteSchemaChange()
        changedTables.insert(table.name)
        droppedTables.remove(table.name)
    }

    func removeTable(_ name: String) {
        assert(pages.holdsGate, "a schema change outside the writer gate")
        store.forgetAllocatedRowIDs(name)
        catalog.tables[name] = nil
        catalog.noteSchemaChange()
        changedTables.remove(name)
        droppedTables.insert(name)
        rowIDs[name] = nil
    }

    /// A fresh row id for `table`: one past the largest this transaction sees, and past
    /// every id the store handed out (so concurrent transactions never pick the same one).
    func allocateRowID(_ table: TableDefinition) throws -> Int64 {
        let ids = rowIDs(of: table.name)
        let local: Int64
        if let next = ids.next {
            local = next
        } else {
            let last = try table.tree.lastKey(in: pages).map { try KeyCodec.decodeRowID($0, form: table.rowKeyForm) } ?? 0
            guard last < Int64.max else { throw VireoError(.limitExceeded, "table \"\(table.name)\" has used every row id") }
            local = last + 1
        }
        let rowID = store.allocateRowID(table.name, atLeast: local)
        guard rowID < Int64.max else { throw VireoError(.limitExceeded, "table \"\(table.name)\" has used every row id") }
        ids.next = rowID + 1
        return rowID
    }

    /// Records that `rowID` is in use, after inserting it: later ids go past it. Until an
    /// allocation has looked at the table's last key, this transaction's own next id stays
    /// unknown (its inserted rows are in the tree that allocation reads); the store's floor
    /// is raised either way, for concurrent transactions, which do not see them.
    func noteRowID(_ rowID: Int64, in table: TableDefinition) {
        let ids = rowIDs(of: table.name)
        // At the last row id the cache is dropped: the next allocation finds every id used.
        if rowID == Int64.max {
            ids.next = nil
        } else if let next = ids.next, next <= rowID {
            ids.next = rowID + 1
        }
        if !ids.floor.raise(past: rowID) {
            ids.floor = store.rowIDFloor(table.name)
            _ = ids.floor.raise(past: rowID)
        }
    }

    /// The entry of `rowIDs` for `table`, made on its first use.
    private func rowIDs(of table: String) -> TableRowIDs {
        if let last = lastRowIDs, last.table == table { return last }
        let ids: TableRowIDs
        if let known = rowIDs[table] {
            ids = known
        } else {
            ids = TableRowIDs(table: table, floor: store.rowIDFloor(table))
            rowIDs[table] = ids
        }
        lastRowIDs = ids
        return ids
    }

    /// Advances sequence `definition` and returns its new value (nextval).
    /// Like PostgreSQL's, a value once handed out is never handed out again, whether the
    /// transaction commits or not, so concurrent transactions draw distinct values (Q1).
    public func nextSequenceValue(_ definition: SequenceDefinition) throws -> Int64 {
        try step {
            let state = try store.advanceSequence(definition, committed: catalog.sequences[definition.name])
            catalog.sequences[definition.name] = state
            changedSequences.insert(definition.name)
            return state.lastValue
        }
    }

    /// A serial column's sequence (and a sequence it owns) follows its table or column when renamed.
    func moveSequence(from oldName: String, to newName: String, table: String, column: String) {
        guard oldName != newName else { return }
        if var definition = catalog.sequenceDefinitions.removeValue(forKey: oldName) {
            definition.name = newName
            (definition.ownedByTable, definition.ownedByColumn) = (table, column)
            catalog.sequenceDefinitions[newName] = definition
        }
        guard let state = store.sequenceState(oldName) ?? catalog.sequences[oldName] else { return }
        store.forgetSequence(oldName)
        store.setSequenceState(newName, state)
        catalog.sequences[newName] = state
        catalog.sequences[oldName] = nil
        changedSequences.formUnion([oldName, newName])
    }

    func dropSequence(_ name: String) {
        store.forgetSequence(name)
        catalog.sequences[name] = nil
        catalog.sequenceDefinitions[name] = nil
        changedSequences.insert(name)
    }

    /// The sequences (explicit, OWNED BY) that go with a table or one of its columns.
    func dropOwnedSequences(table: String, column: String? = nil) {
        for definition in catalog.sequenceDefinitions.values where definition.ownedByTable == table {
            if column == nil || definition.ownedByColumn == column { dropSequence(definition.name) }
        }
    }

    /// OWNED BY follows a renamed table or column.
    func renameSequenceOwner(table: String, column: String? = nil, toTable newTable: String, column newColumn: String? = nil) {
        for (name, definition) in catalog.sequenceDefinitions where definition.ownedByTable == table {
            guard column == nil || definition.ownedByColumn == column else { continue }
            catalog.sequenceDefinitions[name]?.ownedByTable = newTable
            if let newColumn { catalog.sequenceDefinitions[name]?.ownedByColumn = newColumn }
        }
    }
}

/// One table's row ids in one transaction: inserts one after another into a table find it
/// by comparing the table's name with the last one's (`StoreTransaction.rowIDs(of:)`).
final class TableRowIDs {
    let table: String
    /// One past the largest row id this transaction allocated or inserted, from the table's
    /// last key on: nil until an allocation reads that key.
    var next: Int64?
    /// The table's floor in the store (`Store.rowIDFloor`), taken again once a schema change retires it.
    var floor: RowIDFloor

    init(table: String, floor: RowIDFloor) {
        self.table = table
        self.floor = floor
    }
}
