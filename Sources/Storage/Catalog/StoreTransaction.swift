/// The one write transaction of a `Store`: schema changes and row changes, committed
/// atomically. After any write method throws, the transaction only allows rollback
/// (as PostgreSQL aborts a transaction on error); commit then throws.
public final class StoreTransaction: RowSource, @unchecked Sendable {
    public let store: Store
    public let pages: WriteTransaction
    public private(set) var catalog: Catalog
    private var changedTables: Set<String> = []
    private var droppedTables: Set<String> = []
    private var changedSequences: Set<String> = []
    private var nextRowIDs: [String: Int64] = [:]
    private var abortCause: VireoError?

    init(store: Store, pages: WriteTransaction, catalog: Catalog) {
        self.store = store
        self.pages = pages
        self.catalog = catalog
    }

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
    public func commit(onPublish: () -> Void = {}, afterPublish: () throws -> Void = {}) throws {
        try step { try writeCatalogChanges() }
        let catalog = self.catalog
        try pages.commit(onPublish: {
            store.publish(catalog)
            onPublish()
        }, afterPublish: afterPublish)
    }

    /// Discards every change.
    public func rollback() { pages.rollback() }

    private func writeCatalogChanges() throws {
        for name in droppedTables.subtracting(changedTables) {
            try store.catalogTree.remove(key: Array((Catalog.tablePrefix + name).utf8), in: pages)
        }
        for name in changedTables {
            guard let table = catalog.tables[name] else { continue }
            try store.catalogTree.insert(key: Array((Catalog.tablePrefix + name).utf8), value: Catalog.encode(table), in: pages)
        }
        for name in changedSequences {
            let key = Array((Catalog.sequencePrefix + name).utf8)
            if let value = catalog.sequences[name] {
                try store.catalogTree.insert(key: key, value: withUnsafeBytes(of: value.littleEndian) { Array($0) }, in: pages)
            } else {
                try store.catalogTree.remove(key: key, in: pages)
            }
        }
    }

    /// Records a new or changed table definition.
    func setTable(_ table: TableDefinition, previousName: String? = nil) {
        if let previousName, previousName != table.name {
            catalog.tables[previousName] = nil
            droppedTables.insert(previousName)
            changedTables.remove(previousName)
            nextRowIDs[previousName] = nil
        }
        catalog.tables[table.name] = table
        catalog.version &+= 1
        changedTables.insert(table.name)
        droppedTables.remove(table.name)
    }

    func removeTable(_ name: String) {
        catalog.tables[name] = nil
        catalog.version &+= 1
        changedTables.remove(name)
        droppedTables.insert(name)
        nextRowIDs[name] = nil
    }

    /// The next row id for `table`: one past the largest in use.
    func nextRowID(_ table: TableDefinition) throws -> Int64 {
        if let next = nextRowIDs[table.name] { return next }
        let last = try table.tree.lastKey(in: pages).map { try KeyCodec.decodeRowID($0) } ?? 0
        guard last < Int64.max else { throw VireoError(.limitExceeded, "table \"\(table.name)\" has used every row id") }
        return last + 1
    }

    /// Records that `rowID` is in use, after inserting it: the cached next row id moves
    /// past it. (Computed before the insert would find the new row itself as the last.)
    func noteRowID(_ rowID: Int64, in table: TableDefinition, nextBeforeInsert next: Int64) {
        // At the last row id the cache is dropped: the next call finds every id used.
        nextRowIDs[table.name] = rowID == Int64.max ? nil : max(next, rowID + 1)
    }

    /// Advances sequence `name` and returns its new value (nextval).
    public func nextSequenceValue(_ name: String) throws -> Int64 {
        try step {
            let value = (catalog.sequences[name] ?? 0) + 1
            catalog.sequences[name] = value
            changedSequences.insert(name)
            return value
        }
    }

    /// A SERIAL column's sequence follows its table or column when renamed.
    func moveSequence(from oldName: String, to newName: String) {
        guard oldName != newName, let value = catalog.sequences[oldName] else { return }
        catalog.sequences[newName] = value
        catalog.sequences[oldName] = nil
        changedSequences.formUnion([oldName, newName])
    }

    func dropSequence(_ name: String) {
        catalog.sequences[name] = nil
        changedSequences.insert(name)
    }
}
