import VireoStorage

/// The schema statements' part in FOREIGN KEYs: ADD / DROP CONSTRAINT, and what DROP TABLE,
/// DROP COLUMN, DROP INDEX and TRUNCATE must do about the keys that reference a table.
extension Session {
    /// ALTER TABLE … ADD [CONSTRAINT n] FOREIGN KEY: every existing row must match (23503).
    func addForeignKey(name: String?, columns: [String], reference: ForeignKeyReference, to tableName: String,
                       _ transaction: StoreTransaction) throws {
        let table = try transaction.catalog.table(tableName)
        let key = try ForeignKeys.definition(name: name, columns: columns, reference: reference, table: table, catalog: transaction.catalog)
        try transaction.setForeignKeys(table.foreignKeys + [key], of: tableName)
        let context = self.context(.transaction(transaction), [])
        let enforcer = ForeignKeyEnforcer(transaction, context) { _, _ in }
        let current = try transaction.catalog.table(tableName)
        try transaction.scanRows(current) { rowID, _ in
            try context.checkCancel()
            enforcer.inserted(current.withForeignKeys([key]), row: [], rowID: rowID)
            return true
        }
        try enforcer.finish()
    }

    /// DROP CONSTRAINT of a FOREIGN KEY; false when `name` is not one of `table`'s.
    func dropForeignKey(_ name: String, of table: TableDefinition, _ transaction: StoreTransaction) throws -> Bool {
        guard table.foreignKeys.contains(where: { $0.name == name }) else { return false }
        try transaction.setForeignKeys(table.foreignKeys.filter { $0.name != name }, of: table.name)
        return true
    }

    /// Before DROP TABLE of `names`: the FOREIGN KEYs of other tables that reference one of
    /// them are dropped with CASCADE, else they make it fail (2BP01).
    func dropReferencingKeys(of name: String, dropping names: Set<String>, cascade: Bool, _ transaction: StoreTransaction) throws -> [String] {
        let referencing = transaction.catalog.foreignKeys(referencing: name).filter { !names.contains($0.table.name) }
        guard let (child, key) = referencing.first else { return [] }
        guard cascade else {
            throw VireoError(.dependentObjectsStillExist, "cannot drop table \(name) because other objects depend on it",
                             hint: "Use DROP ... CASCADE to drop the dependent objects too.",
                             detail: "constraint \(key.name) on table \(child.name) depends on table \(name)")
        }
        for (child, key) in referencing {
            let current = try transaction.catalog.table(child.name)
            _ = try dropForeignKey(key.name, of: current, transaction)
        }
        return referencing.map { "constraint \($0.key.name) on table \($0.table.name)" }
    }

    /// DROP COLUMN: the table's own keys over the column go with it (as in PostgreSQL); a
    /// column other tables' keys reference cannot go without CASCADE (2BP01), which drops them.
    func dropKeys(over column: String, of table: TableDefinition, cascade: Bool, _ transaction: StoreTransaction) throws {
        for (child, key) in transaction.catalog.foreignKeys(referencing: table.name) where key.referencedColumns.contains(column) {
            guard cascade || child.name == table.name else {
                throw VireoError(.dependentObjectsStillExist, "cannot drop column \(column) of table \(table.name) because other objects depend on it",
                                 hint: "Use DROP ... CASCADE to drop the dependent objects too.",
                                 detail: "constraint \(key.name) on table \(child.name) depends on index \(uniqueIndexName(table, key))")
            }
            _ = try dropForeignKey(key.name, of: transaction.catalog.table(child.name), transaction)
        }
        let current = try transaction.catalog.table(table.name)
        for key in current.foreignKeys where key.columns.contains(column) {
            _ = try dropForeignKey(key.name, of: transaction.catalog.table(table.name), transaction)
        }
    }

    /// DROP INDEX of the unique index a FOREIGN KEY relies on: 2BP01 (CASCADE drops the keys).
    func dropKeysRelyingOn(index: IndexDefinition, of table: TableDefinition, cascade: Bool, _ transaction: StoreTransaction) throws {
        for (child, key) in transaction.catalog.foreignKeys(referencing: table.name)
        where Set(key.referencedColumns) == Set(index.columns) && !table.indexes.contains(where: { $0.name != index.name && $0.isUnique && Set($0.columns) == Set(index.columns) }) {
            guard cascade else {
                throw VireoError(.dependentObjectsStillExist, "cannot drop index \(index.name) because other objects depend on it",
                                 hint: "Use DROP ... CASCADE to drop the dependent objects too.",
                                 detail: "constraint \(key.name) on table \(child.name) depends on index \(index.name)")
            }
            _ = try dropForeignKey(key.name, of: transaction.catalog.table(child.name), transaction)
        }
    }

    private func uniqueIndexName(_ table: TableDefinition, _ key: ForeignKeyDefinition) -> String {
        if let column = table.rowIDColumn, key.referencedColumns == [table.columns[column].name] { return "\(table.name)_pkey" }
        return table.indexes.first { $0.isUnique && Set($0.columns) == Set(key.referencedColumns) }?.name ?? "\(table.name)_pkey"
    }

    /// TRUNCATE: a table other tables reference goes only with them, named or (CASCADE) added.
    func truncate(_ statement: Truncate, _ transaction: StoreTransaction) throws -> QueryResult {
        var names = try statement.names.map { try transaction.catalog.table($0).name }
        var position = 0
        while position < names.count {
            for (child, _) in transaction.catalog.foreignKeys(referencing: names[position]) where !names.contains(child.name) {
                guard statement.cascade else {
                    throw VireoError(.featureNotSupported, "cannot truncate a table referenced in a foreign key constraint",
                                     hint: "Truncate table \"\(child.name)\" at the same time, or use TRUNCATE ... CASCADE.",
                                     detail: "Table \"\(child.name)\" references \"\(names[position])\".")
                }
                names.append(child.name)
                raise(Notice(.notice, "truncate cascades to table \"\(child.name)\""))
            }
            position += 1
        }
        for name in names { _ = try delete(Delete(table: TableName(stored: name)), transaction, [], enforcingKeys: false) }
        if statement.restartIdentity {
            // As ALTER SEQUENCE … RESTART: undone with the transaction.
            for sequence in transaction.catalog.allSequences where sequence.ownedByTable.map(names.contains) == true {
                try transaction.setSequenceState(sequence.name, SequenceState(lastValue: sequence.start, isCalled: false))
            }
        }
        return QueryResult(commandTag: "TRUNCATE TABLE")
    }
}

extension TableDefinition {
    /// This definition with `keys` as its FOREIGN KEYs.
    func withForeignKeys(_ keys: [ForeignKeyDefinition]) -> TableDefinition {
        var table = self
        table.foreignKeys = keys
        return table
    }
}
