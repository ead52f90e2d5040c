extension StoreTransaction {
    /// Creates a table with an empty row tree; `definition.root` is assigned here. A table
    /// with compact row keys raises the file's format version to 3 (Catalog.swift).
    /// Creates the B+tree indexes `definition.indexes` lists, too.
    public func createTable(_ definition: TableDefinition) throws {
        try step {
            guard !catalog.hasRelation(definition.name) else {
                throw VireoError(.duplicateTable, "relation \"\(definition.name)\" already exists")
            }
            try checkColumnNames(definition.columns.map(\.name), table: definition.name)
            var table = definition
            if table.rowKeyForm == .compact { try MetaPage.raiseVersion(to: StorageFormat.compactRowKeysVersion, in: pages) }
            table.root = try BTree.create(in: pages).root
            table.indexes = []
            setTable(table)
            for index in definition.indexes { try createIndexUnchecked(index, on: table.name) }
        }
    }

    /// Drops a table, its indexes and its rows' pages.
    public func dropTable(_ name: String) throws {
        try step {
            let table = try catalog.table(name)
            for index in table.indexes { try destroyStorage(of: index) }
            try table.tree.destroy(in: pages)
            removeTable(name)
            for column in table.columns where column.isSerial { dropSequence(Self.sequenceName(table: name, column: column.name)) }
            dropOwnedSequences(table: name)
        }
    }

    /// The sequence behind a SERIAL column.
    public static func sequenceName(table: String, column: String) -> String { "\(table)_\(column)_seq" }

    /// Renames a table.
    public func renameTable(_ name: String, to newName: String) throws {
        try step {
            var table = try catalog.table(name)
            guard !catalog.hasRelation(newName) else {
                throw VireoError(.duplicateTable, "relation \"\(newName)\" already exists")
            }
            table.name = newName
            table.foreignKeys = table.foreignKeys.map { key in
                var key = key
                if key.referencedTable == name { key.referencedTable = newName }
                return key
            }
            setTable(table, previousName: name)
            for (child, _) in catalog.foreignKeys(referencing: name) where child.name != newName {
                var child = child
                child.foreignKeys = child.foreignKeys.map { key in
                    var key = key
                    if key.referencedTable == name { key.referencedTable = newName }
                    return key
                }
                setTable(child)
            }
            for column in table.columns where column.isSerial {
                moveSequence(from: Self.sequenceName(table: name, column: column.name),
                             to: Self.sequenceName(table: newName, column: column.name), table: newName, column: column.name)
            }
            renameSequenceOwner(table: name, toTable: newName)
        }
    }

    /// Adds a column; existing rows get `fill` (NULL, or the column's default).
    public func addColumn(_ column: ColumnDefinition, to tableName: String, fill: Value = .null) throws {
        try step {
            var table = try catalog.table(tableName)
            try checkNewColumnName(column.name, among: table.columns.map(\.name), table: tableName)
            let hasRows = try rowCount(table) > 0
            if column.notNull && fill.isNull && hasRows {
                throw VireoError(.notNullViolation, "column \"\(column.name)\" of relation \"\(tableName)\" contains null values")
            }
            table.columns.append(column)
            try rewriteRows(table) { $0 + [fill] }
            setTable(table)
        }
    }

    /// Drops a column, and every index over it.
    public func dropColumn(_ columnName: String, from tableName: String) throws {
        try step {
            var table = try catalog.table(tableName)
            guard let position = table.columnIndex(columnName) else {
                throw VireoError(.undefinedColumn, "column \"\(columnName)\" of relation \"\(tableName)\" does not exist")
            }
            for index in table.indexes where index.columns.contains(columnName) { try destroyStorage(of: index) }
            table.indexes.removeAll { $0.columns.contains(columnName) }
            if table.columns[position].isSerial { dropSequence(Self.sequenceName(table: tableName, column: columnName)) }
            dropOwnedSequences(table: tableName, column: columnName)
            table.columns.remove(at: position)
            table.statistics?.columns.removeAll { $0.column == columnName }
            if let rowIDColumn = table.rowIDColumn {
                table.rowIDColumn = rowIDColumn == position ? nil : (rowIDColumn > position ? rowIDColumn - 1 : rowIDColumn)
            }
            try rewriteRows(table) { row in var row = row; row.remove(at: position); return row }
            setTable(table)
        }
    }

    /// Renames a column (indexes follow).
    public func renameColumn(_ columnName: String, to newName: String, in tableName: String) throws {
        try step {
            var table = try catalog.table(tableName)
            guard let position = table.columnIndex(columnName) else {
                throw VireoError(.undefinedColumn, "column \"\(columnName)\" of relation \"\(tableName)\" does not exist")
            }
            try checkNewColumnName(newName, among: table.columns.map(\.name).filter { $0 != columnName }, table: tableName)
            table.columns[position].name = newName
            table.statistics?.renameColumn(columnName, to: newName)
            if table.columns[position].isSerial {
                moveSequence(from: Self.sequenceName(table: tableName, column: columnName),
                             to: Self.sequenceName(table: tableName, column: newName), table: tableName, column: newName)
            }
            renameSequenceOwner(table: tableName, column: columnName, toTable: tableName, column: newName)
            for i in table.indexes.indices {
                table.indexes[i].columns = table.indexes[i].columns.map { $0 == columnName ? newName : $0 }
            }
            let rename = { (names: [String]) in names.map { $0 == columnName ? newName : $0 } }
            for i in table.foreignKeys.indices {
                table.foreignKeys[i].columns = rename(table.foreignKeys[i].columns)
                if table.foreignKeys[i].referencedTable == tableName {
                    table.foreignKeys[i].referencedColumns = rename(table.foreignKeys[i].referencedColumns)
                }
            }
            setTable(table)
            for (child, _) in catalog.foreignKeys(referencing: tableName) where child.name != tableName {
                var child = child
                for i in child.foreignKeys.indices where child.foreignKeys[i].referencedTable == tableName {
                    child.foreignKeys[i].referencedColumns = rename(child.foreignKeys[i].referencedColumns)
                }
                setTable(child)
            }
        }
    }

    /// Replaces column `column.name`'s definition (ALTER COLUMN). With `convert`, every row's
    /// value of the column becomes `convert(row)` (the old row), and the B+tree indexes over
    /// the column are built again from the new values (a unique one fails on a duplicate).
    /// The query layer has refused the changes this cannot follow (computed indexes, vector
    /// indexes, keys of other types).
    public func replaceColumn(_ column: ColumnDefinition, in tableName: String,
                              convert: (([Value]) throws -> Value)? = nil) throws {
        try step {
            var table = try catalog.table(tableName)
            guard let position = table.columnIndex(column.name) else {
                throw VireoError(.undefinedColumn, "column \"\(column.name)\" of relation \"\(tableName)\" does not exist")
            }
            table.columns[position] = column
            guard let convert else { return setTable(table) }
            table.statistics?.columns.removeAll { $0.column == column.name }
            try rewriteRows(table) { row in
                var row = row
                row[position] = try convert(row)
                return row
            }
            for (i, index) in table.indexes.enumerated() where index.hasEntryTree && index.columns.contains(column.name) {
                try destroyStorage(of: index)
                table.indexes[i].root = try BTree.create(in: pages).root
                try fillIndex(table.indexes[i], table: table)
            }
            setTable(table)
        }
    }

    /// Renames index `name` (ALTER INDEX … RENAME TO); `asConstraint` marks it as backing a
    /// UNIQUE constraint of its new name (ALTER TABLE … RENAME CONSTRAINT).
    public func renameIndex(_ name: String, to newName: String, asConstraint: Bool = false) throws {
        try step {
            guard let (owner, _) = catalog.index(name) else {
                throw VireoError(.undefinedObject, "index \"\(name)\" does not exist")
            }
            guard !catalog.hasRelation(newName) else {
                throw VireoError(.duplicateTable, "relation \"\(newName)\" already exists")
            }
            var table = owner
            table.indexes = table.indexes.map { index in
                var index = index
                if index.name == name {
                    index.name = newName
                    if asConstraint { index.isConstraint = true }
                }
                return index
            }
            setTable(table)
        }
    }

    /// Creates an index. A B+tree index is filled from the existing rows (and fails on
    /// a duplicate when unique); for other methods only the definition is recorded, with
    /// `definition.root` as given.
    public func createIndex(_ definition: IndexDefinition, on tableName: String) throws {
        try step { try createIndexUnchecked(definition, on: tableName) }
    }

    private func createIndexUnchecked(_ definition: IndexDefinition, on tableName: String) throws {
        guard !catalog.hasRelation(definition.name) else {
            throw VireoError(.duplicateTable, "relation \"\(definition.name)\" already exists")
        }
        var table = try catalog.table(tableName)
        for (position, column) in definition.columns.enumerated()
        where definition.expression(at: position) == nil && table.columnIndex(column) == nil {
            throw VireoError(.undefinedColumn, "column \"\(column)\" does not exist")
        }
        var index = definition
        if index.hasEntryTree {
            index.root = try BTree.create(in: pages).root
            try fillIndex(index, table: table)
        }
        table.indexes.append(index)
        setTable(table)
    }

    private func fillIndex(_ index: IndexDefinition, table: TableDefinition) throws {
        var rows: [(Int64, [Value])] = []
        try scanRows(table) { rowID, record in
            rows.append((rowID, try record.values()))
            return true
        }
        if index.storesPostingBlocks { return try buildInvertedIndex(index, table: table, rows: rows) }
        for (rowID, row) in rows { try insertIndexEntries(index, table: table, row: row, rowID: rowID) }
    }

    /// Drops index `name` and frees its pages.
    public func dropIndex(_ name: String) throws {
        try step {
            guard let (owner, index) = catalog.index(name) else {
                throw VireoError(.undefinedObject, "index \"\(name)\" does not exist")
            }
            try destroyStorage(of: index)
            var table = owner
            table.indexes.removeAll { $0.name == name }
            setTable(table)
        }
    }

    /// Rebuilds index `name` from its table's rows (REINDEX): its entries written afresh
    /// into new pages and the old ones freed; its definition and its place among the
    /// table's indexes kept. Only for indexes with an entry tree (B-tree and GIN).
    public func rebuildIndex(_ name: String) throws {
        try step {
            guard let (owner, old) = catalog.index(name), old.hasEntryTree,
                  let position = owner.indexes.firstIndex(where: { $0.name == name }) else {
                throw VireoError(.internalError, "index \"\(name)\" has no entries to rebuild")
            }
            try destroyStorage(of: old)
            var index = old
            index.root = try BTree.create(in: pages).root
            try fillIndex(index, table: owner)
            var table = owner
            table.indexes[position] = index
            setTable(table)
        }
    }

    /// Replaces the storage parameters of table `tableName` (`name=value` texts; the query
    /// layer has checked them).
    public func setStorageOptions(_ options: [String], of tableName: String) throws {
        try step {
            var table = try catalog.table(tableName)
            table.storageOptions = options.isEmpty ? nil : options
            setTable(table)
        }
    }

    /// Replaces the CHECK constraints of table `tableName` (the query layer has checked the
    /// existing rows against any new one).
    public func setCheckConstraints(_ checks: [CheckConstraintDefinition], of tableName: String) throws {
        try step {
            var table = try catalog.table(tableName)
            table.checks = checks
            setTable(table)
        }
    }

    /// COMMENT ON TABLE (`column` nil) or COLUMN; nil text removes the comment.
    public func setComment(_ text: String?, table tableName: String, column: String?) throws {
        try step {
            var table = try catalog.table(tableName)
            if let column {
                guard let position = table.columnIndex(column) else {
                    throw VireoError(.undefinedColumn, "column \"\(column)\" of relation \"\(tableName)\" does not exist")
                }
                table.columns[position].comment = text
            } else {
                table.comment = text
            }
            setTable(table)
        }
    }

    /// Replaces the FOREIGN KEY constraints of `tableName` (the query layer checks them).
    public func setForeignKeys(_ keys: [ForeignKeyDefinition], of tableName: String) throws {
        try step {
            var table = try catalog.table(tableName)
            table.foreignKeys = keys
            setTable(table)
        }
    }

    /// Replaces the definition of index `name` (e.g. when its own storage moves).
    public func updateIndex(_ index: IndexDefinition) throws {
        try step {
            guard let (owner, _) = catalog.index(index.name) else {
                throw VireoError(.undefinedObject, "index \"\(index.name)\" does not exist")
            }
            var table = owner
            table.indexes = table.indexes.map { $0.name == index.name ? index : $0 }
            setTable(table)
        }
    }

    /// Frees an index's pages: its B+tree, or its snapshot blob and delta tree.
    private func destroyStorage(of index: IndexDefinition) throws {
        if index.hasEntryTree {
            try BTree(root: index.root).destroy(in: pages)
            return
        }
        if index.root != 0 { try Blob.free(first: index.root, in: pages) }
        if let deltaRoot = index.deltaRoot { try BTree(root: deltaRoot).destroy(in: pages) }
    }

    private func rewriteRows(_ table: TableDefinition, _ transform: ([Value]) throws -> [Value]) throws {
        var rows: [(Int64, [Value])] = []
        try scanRows(table) { rowID, record in
            rows.append((rowID, try record.values()))
            return true
        }
        for (rowID, row) in rows {
            try table.tree.insert(key: KeyCodec.encodeRowID(rowID, form: table.rowKeyForm), value: Self.record(transform(row), of: table, rowID: rowID), in: pages)
        }
    }

    /// ADD COLUMN and RENAME COLUMN: PostgreSQL's 42701 names the table.
    private func checkNewColumnName(_ name: String, among names: [String], table: String) throws {
        if names.contains(name) { throw VireoError(.duplicateColumn, "column \"\(name)\" of relation \"\(table)\" already exists") }
    }

    private func checkColumnNames(_ names: [String], table: String) throws {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw VireoError(.duplicateColumn, "column \"\(name)\" specified more than once")
        }
    }
}
