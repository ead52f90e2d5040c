import VireoStorage

/// Keeps FOREIGN KEYs true while one statement changes rows, as PostgreSQL 15 does:
///
///   F1. A referencing row's key (all columns non-NULL; MATCH SIMPLE) must match a row of the
///       referenced table when the statement ends (23503, "is not present in table").
///   F2. A referenced row deleted, or its key changed: when the statement ends (after all of
///       its own row changes, as PostgreSQL's AFTER triggers fire), each such change in order,
///       and for it each FOREIGN KEY in order, acts: CASCADE deletes (or updates) the
///       referencing rows, whose own changes act at once; SET NULL / SET DEFAULT set their
///       key columns; RESTRICT fails when rows refer to the key, NO ACTION too unless a row
///       has the key again (23503, "is still referenced"). So a NO ACTION key checked before
///       a CASCADE one of the same table fails as in PostgreSQL.
///   F3. The referenced row that F1 found is key-shared (StoreTransaction.shareKey), so that a
///       concurrent delete or key update of it and this transaction never both commit.
///   F4. The checks of F1 and of NO ACTION in F2 for a key whose checks are deferred go to the
///       transaction's DeferredConstraints instead, which runs them at the commit.
///
/// Cascaded changes run through a work list, not recursion, so a long chain cannot
/// exhaust the stack; each change of a row happens once (a deleted row is not found again).
final class ForeignKeyEnforcer {
    private let transaction: StoreTransaction
    private let context: ExecutionContext
    private let noteVectorChange: (TableDefinition, Int64) throws -> Void
    /// Where deferred keys' checks go (F4); nil checks every key when the statement ends.
    private let deferred: DeferredConstraints?
    private var pendingReferences: [(table: String, key: ForeignKeyDefinition, rowID: Int64)] = []
    /// Changes of referenced rows, in statement order, acted on when it ends (F2).
    private var events: [(table: String, old: [Value], new: [Value]?)] = []
    private var work: [(table: String, old: [Value], new: [Value]?)] = []

    init(_ transaction: StoreTransaction, _ context: ExecutionContext, deferred: DeferredConstraints? = nil,
         noteVectorChange: @escaping (TableDefinition, Int64) throws -> Void) {
        self.transaction = transaction
        self.context = context
        self.deferred = deferred
        self.noteVectorChange = noteVectorChange
    }

    /// Whether changes to `table` can matter to any FOREIGN KEY (else callers skip the work).
    static func applies(to table: String, _ catalog: Catalog) -> Bool {
        (catalog.tables[table].map { !$0.foreignKeys.isEmpty } ?? false) || !catalog.foreignKeys(referencing: table).isEmpty
    }

    private var catalog: Catalog { transaction.catalog }

    /// A row inserted into `table` (with its row-id column filled in).
    func inserted(_ table: TableDefinition, row: [Value], rowID: Int64) {
        for key in table.foreignKeys { pendingReferences.append((table.name, key, rowID)) }
    }

    /// Row `rowID` of `table` changed from `old` to `new`.
    func updated(_ table: TableDefinition, old: [Value], new: [Value], rowID: Int64) throws {
        for key in table.foreignKeys where values(key.columns, of: table, in: old) != values(key.columns, of: table, in: new) {
            pendingReferences.append((table.name, key, rowID))
        }
        events.append((table.name, old, new))
    }

    /// A row of `table` deleted.
    func deleted(_ table: TableDefinition, old: [Value]) throws {
        events.append((table.name, old, nil))
    }

    /// At the end of the statement: the actions (F2), then the checks of referencing rows (F1).
    func finish() throws {
        for event in events {
            work.append(event)
            try drain()
        }
        events.removeAll()
        for (tableName, key, rowID) in pendingReferences {
            if let deferred, deferred.defers(key) {
                deferred.add(.init(table: tableName, key: key, rowID: rowID))
            } else {
                try checkReference(tableName, key, rowID: rowID)
            }
        }
        pendingReferences.removeAll()
    }

    /// The checks a transaction put off (F4), on its rows as they are now.
    func check(_ references: [DeferredConstraints.Reference], _ stillReferenced: [DeferredConstraints.StillReferenced]) throws {
        for reference in references {
            try context.checkCancel()
            guard let (table, key) = current(reference.table, reference.key) else { continue }  // dropped since
            try checkReference(table.name, key, rowID: reference.rowID)
        }
        for check in stillReferenced {
            guard let (child, key) = current(check.child, check.key) else { continue }
            try checkStillReferenced(child, key, parent: key.referencedTable, oldKey: check.oldKey)
        }
    }

    /// The table and key a put-off check was queued for, as the catalog has them now (a
    /// table or column renamed since changes the definitions, not the constraint's name);
    /// nil when the key was dropped.
    private func current(_ tableName: String, _ queued: ForeignKeyDefinition) -> (TableDefinition, ForeignKeyDefinition)? {
        if let table = catalog.tables[tableName], let key = table.foreignKeys.first(where: { $0.name == queued.name }) {
            return (table, key)
        }
        // The table was renamed: the one table holding a key of that name.
        let holders = catalog.tables.values.compactMap { table in table.foreignKeys.first { $0.name == queued.name }.map { (table, $0) } }
        return holders.count == 1 ? holders[0] : nil
    }

    /// F1 for one row: its key, unless NULL, is a referenced row's, which is key-shared (F3).
    private func checkReference(_ tableName: String, _ key: ForeignKeyDefinition, rowID: Int64) throws {
        let table = try catalog.table(tableName)
        guard let row = try transaction.row(table, rowID: rowID) else { return }
        let keyValues = values(key.columns, of: table, in: row)
        if keyValues.contains(where: \.isNull) { return }
        let parent = try catalog.table(key.referencedTable)
        guard let parentRowID = try findRow(parent, key.referencedColumns, keyValues) else {
            throw VireoError(.foreignKeyViolation, "insert or update on table \"\(tableName)\" violates foreign key constraint \"\(key.name)\"",
                             detail: ForeignKeys.keyText(key.columns, keyValues) + " is not present in table \"\(parent.name)\".")
        }
        transaction.shareKey(table: parent.name, rowID: parentRowID)
    }

    // MARK: Referenced rows that change (F2)

    private func drain() throws {
        while let (tableName, old, new) = work.popLast() {
            try context.checkCancel()
            let table = try catalog.table(tableName)
            for (child, key) in catalog.foreignKeys(referencing: tableName) {
                let oldKey = values(key.referencedColumns, of: table, in: old)
                if oldKey.contains(where: \.isNull) { continue }
                if let new, values(key.referencedColumns, of: table, in: new) == oldKey { continue }
                let newKey = new.map { values(key.referencedColumns, of: table, in: $0) }
                try act(on: child, key, parent: tableName, oldKey: oldKey, newKey: newKey)
            }
        }
    }

    private func act(on child: TableDefinition, _ key: ForeignKeyDefinition, parent: String, oldKey: [Value], newKey: [Value]?) throws {
        let action = ReferentialAction(rawValue: newKey == nil ? key.onDelete : key.onUpdate) ?? .noAction
        switch action {
        case .noAction:
            if let deferred, deferred.defers(key) {
                deferred.add(.init(child: child.name, key: key, parent: parent, oldKey: oldKey))
            } else {
                try checkStillReferenced(child, key, parent: parent, oldKey: oldKey)
            }
        case .restrict:
            if try !referencingRows(child, key, oldKey, limit: 1).isEmpty { throw stillReferenced(parent, key, child.name, oldKey) }
        case .cascade where newKey == nil:
            for (rowID, _) in try referencingRows(child, key, oldKey, limit: nil) {
                guard let removed = try transaction.delete(from: child.name, rowID: rowID) else { continue }
                try noteVectorChange(child, rowID)
                work.append((child.name, removed, nil))
            }
        case .cascade, .setNull, .setDefault:
            try setKeys(of: child, key, oldKey: oldKey, to: action == .cascade ? newKey : nil, defaults: action == .setDefault)
        }
    }

    /// Sets the key columns of the rows referencing `oldKey`: to `newKey` (ON UPDATE CASCADE),
    /// NULL, or their defaults.
    private func setKeys(of child: TableDefinition, _ key: ForeignKeyDefinition, oldKey: [Value], to newKey: [Value]?, defaults: Bool) throws {
        let positions = key.columns.compactMap(child.columnIndex)
        let generated = try GeneratedColumns(child, catalog: catalog)
        for (rowID, old) in try referencingRows(child, key, oldKey, limit: nil) {
            var row = old
            for (index, position) in positions.enumerated() {
                let column = child.columns[position]
                if let newKey {
                    row[position] = try Cast.assign(newKey[index], to: column.type)
                } else if defaults {
                    row[position] = try TableBuilder.defaultValue(column, transaction: transaction)
                } else {
                    row[position] = .null
                }
            }
            try generated.fill(&row, context: context)
            guard let newRowID = try transaction.update(child.name, rowID: rowID, to: row) else { continue }
            if let column = child.rowIDColumn { row[column] = .int(newRowID) }
            try noteVectorChange(child, rowID)
            if newKey == nil && defaults { pendingReferences.append((child.name, key, newRowID)) }
            work.append((child.name, old, row))
        }
    }

    /// NO ACTION's check: fails when no row has `oldKey` any more and rows still refer to it.
    private func checkStillReferenced(_ child: TableDefinition, _ key: ForeignKeyDefinition, parent: String, oldKey: [Value]) throws {
        let parentTable = try catalog.table(parent)
        if try findRow(parentTable, key.referencedColumns, oldKey) == nil, try !referencingRows(child, key, oldKey, limit: 1).isEmpty {
            throw stillReferenced(parent, key, child.name, oldKey)
        }
    }

    private func stillReferenced(_ parent: String, _ key: ForeignKeyDefinition, _ child: String, _ keyValues: [Value]) -> VireoError {
        VireoError(.foreignKeyViolation, "update or delete on table \"\(parent)\" violates foreign key constraint \"\(key.name)\" on table \"\(child)\"",
                   detail: ForeignKeys.keyText(key.referencedColumns, keyValues) + " is still referenced from table \"\(child)\".")
    }

    // MARK: Finding rows by key

    private func values(_ columns: [String], of table: TableDefinition, in row: [Value]) -> [Value] {
        columns.map { name in table.columnIndex(name).map { row[$0] } ?? .null }
    }

    /// The row of `table` whose `columns` equal `keyValues` (a unique key of it), if any.
    func findRow(_ table: TableDefinition, _ columns: [String], _ keyValues: [Value]) throws -> Int64? {
        let converted = try zip(columns, keyValues).map { name, value in try Cast.assign(value, to: table.columns[table.columnIndex(name)!].type) }
        if let column = table.rowIDColumn, columns == [table.columns[column].name] {
            guard case .int(let rowID) = converted[0] else { return nil }
            return try transaction.row(table, rowID: rowID) == nil ? nil : rowID
        }
        return try rowsByKey(table, columns, converted, limit: 1).first?.rowID
    }

    /// The rows of `child` that reference `keyValues` through `key`.
    private func referencingRows(_ child: TableDefinition, _ key: ForeignKeyDefinition, _ keyValues: [Value],
                                 limit: Int?) throws -> [(rowID: Int64, row: [Value])] {
        let converted = try zip(key.columns, keyValues).map { name, value in try Cast.assign(value, to: child.columns[child.columnIndex(name)!].type) }
        return try rowsByKey(child, key.columns, converted, limit: limit)
    }

    /// Rows whose `columns` equal `keyValues`: through a B+tree index that starts with those
    /// columns (in any order), else by a scan.
    private func rowsByKey(_ table: TableDefinition, _ columns: [String], _ keyValues: [Value],
                           limit: Int?) throws -> [(rowID: Int64, row: [Value])] {
        let positions = columns.map { table.columnIndex($0)! }
        let matches = { (row: [Value]) in zip(positions, keyValues).allSatisfy { row[$0.0] == $0.1 } }
        var found: [(rowID: Int64, row: [Value])] = []
        if let index = table.indexes.first(where: { $0.isBTree && $0.columns.count >= columns.count && Set($0.columns.prefix(columns.count)) == Set(columns) }) {
            let ordered = index.columns.prefix(columns.count).map { keyValues[columns.firstIndex(of: $0)!] }
            for rowID in try transaction.lookupIndex(index, equalTo: Array(ordered)) {
                guard let row = try transaction.row(table, rowID: rowID), matches(row) else { continue }
                found.append((rowID, row))
                if let limit, found.count >= limit { break }
            }
            return found
        }
        try transaction.scanRows(table) { rowID, record in
            try context.checkCancel()
            let row = try record.values()
            if matches(row) { found.append((rowID, row)) }
            return limit.map { found.count < $0 } ?? true
        }
        return found
    }
}
