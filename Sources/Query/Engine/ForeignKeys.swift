import VireoStorage

/// FOREIGN KEY constraints as PostgreSQL 15 defines them: checked when declared (the
/// referenced columns must be the referenced table's primary key or a unique index, 42830;
/// the column types must compare, 42804), named as PostgreSQL names them (c_p_id_fkey).
/// ForeignKeyEnforcer keeps them true as rows change.
enum ForeignKeys {
    /// The FOREIGN KEYs of a CREATE TABLE, column constraints first, then the table's.
    static func definitions(_ statement: CreateTable, table: TableDefinition, catalog: Catalog) throws -> [ForeignKeyDefinition] {
        var written: [(name: String?, columns: [String], reference: ForeignKeyReference)] = []
        for column in statement.columns {
            for constraint in column.constraints {
                if case .references(let reference) = constraint.kind { written.append((constraint.name, [column.name], reference)) }
            }
        }
        for constraint in statement.constraints {
            if case .foreignKey(let columns, let reference) = constraint.kind { written.append((constraint.name, columns, reference)) }
        }
        var current = table
        for (name, columns, reference) in written {
            current.foreignKeys.append(try definition(name: name, columns: columns, reference: reference, table: current, catalog: catalog))
        }
        return current.foreignKeys
    }

    /// One new FOREIGN KEY of `table` (which may reference itself, also while being created).
    static func definition(name: String?, columns: [String], reference: ForeignKeyReference, table: TableDefinition,
                           catalog: Catalog) throws -> ForeignKeyDefinition {
        let referenced = try referencedTable(reference.table, from: table, catalog: catalog)
        for column in columns where table.columnIndex(column) == nil {
            throw VireoError(.undefinedColumn, "column \"\(column)\" referenced in foreign key constraint does not exist")
        }
        let referencedColumns = try self.referencedColumns(reference.columns, of: referenced)
        guard referencedColumns.count == columns.count else {
            throw VireoError(.invalidForeignKey, "number of referencing and referenced columns for foreign key disagree")
        }
        let chosen = try self.name(name, columns: columns, table: table)
        for (column, target) in zip(columns, referencedColumns) {
            let from = table.columns[table.columnIndex(column)!].type, to = referenced.columns[referenced.columnIndex(target)!].type
            guard family(from) == family(to) else {
                throw VireoError(.typeMismatch, "foreign key constraint \"\(chosen)\" cannot be implemented",
                                 detail: "Key columns \"\(column)\" and \"\(target)\" are of incompatible types: \(from.name) and \(to.name).")
            }
        }
        return ForeignKeyDefinition(name: chosen, columns: columns, referencedTable: referenced.name, referencedColumns: referencedColumns,
                                    onDelete: reference.onDelete.rawValue, onUpdate: reference.onUpdate.rawValue,
                                    deferrable: reference.deferrable, initiallyDeferred: reference.initiallyDeferred)
    }

    private static func referencedTable(_ name: TableName, from table: TableDefinition, catalog: Catalog) throws -> TableDefinition {
        if name.name == table.visibleName, name.schema == nil || (name.schema == "pg_temp") == table.isTemporary { return table }
        if catalog.view(name) != nil { throw VireoError(.wrongObjectType, "referenced relation \"\(name.name)\" is not a table") }
        return try catalog.table(name)
    }

    /// The referenced columns: as written when they are the primary key or a unique index
    /// (in any order), else the primary key when none are written.
    private static func referencedColumns(_ written: [String], of table: TableDefinition) throws -> [String] {
        let keys = uniqueKeys(of: table)
        guard !written.isEmpty else {
            guard let primaryKey = primaryKey(of: table) else {
                throw VireoError(.undefinedObject, "there is no primary key for referenced table \"\(table.name)\"")
            }
            return primaryKey
        }
        for column in written where table.columnIndex(column) == nil {
            throw VireoError(.undefinedColumn, "column \"\(column)\" referenced in foreign key constraint does not exist")
        }
        guard keys.contains(where: { Set($0) == Set(written) && $0.count == written.count }) else {
            throw VireoError(.invalidForeignKey, "there is no unique constraint matching given keys for referenced table \"\(table.name)\"")
        }
        return written
    }

    /// The primary key's columns: the row-id column, or those of the index `<table>_pkey`.
    static func primaryKey(of table: TableDefinition) -> [String]? {
        if let column = table.rowIDColumn { return [table.columns[column].name] }
        return table.indexes.first { $0.name == "\(table.name)_pkey" && $0.isUnique }?.columns
    }

    /// Every column list whose values identify at most one row.
    static func uniqueKeys(of table: TableDefinition) -> [[String]] {
        (table.rowIDColumn.map { [[table.columns[$0].name]] } ?? []) + table.indexes.filter { $0.isUnique && $0.isBTree }.map(\.columns)
    }

    /// PostgreSQL's default name, table_columns_fkey, numbered while taken.
    private static func name(_ written: String?, columns: [String], table: TableDefinition) throws -> String {
        let taken = Set(table.checks.map(\.name) + table.foreignKeys.map(\.name) + SystemCatalog.indexEntries(table).map(\.name))
        if let written {
            guard !taken.contains(written) else {
                throw VireoError(.duplicateObject, "constraint \"\(written)\" for relation \"\(table.name)\" already exists")
            }
            return written
        }
        return TableBuilder.unusedName("\(table.name)_\(columns.joined(separator: "_"))_fkey", taken: taken.contains)
    }

    /// Types whose values compare with each other (PostgreSQL's btree operator families).
    private static func family(_ declared: ColumnType) -> String {
        let type = declared.withoutFractionalSeconds
        if type.isInteger { return "number" }
        switch type {
        case .double, .real: return "number"
        case .text, .varchar, .char: return "text"
        case .timestamp, .timestamptz, .date: return "datetime"
        default: return type.name
        }
    }

    /// `Key (a, b)=(1, 2)`, as PostgreSQL's DETAIL shows a key.
    static func keyText(_ columns: [String], _ values: [Value]) -> String {
        "Key (\(columns.joined(separator: ", ")))=(\(values.map(\.messageText).joined(separator: ", ")))"
    }

}

extension ForeignKeyDefinition {
    /// The constraint as pg_get_constraintdef and psql's \d show it:
    /// `FOREIGN KEY (p_id) REFERENCES p(id) ON DELETE CASCADE`.
    public var sql: String {
        let quoted = { (names: [String]) in names.map(quoteIdentifier).joined(separator: ", ") }
        var text = "FOREIGN KEY (\(quoted(columns))) REFERENCES \(SearchPath.qualified(quoteIdentifier(referencedTable)) ?? "")(\(quoted(referencedColumns)))"
        let onUpdate = ReferentialAction(rawValue: self.onUpdate) ?? .noAction, onDelete = ReferentialAction(rawValue: self.onDelete) ?? .noAction
        if onUpdate != .noAction { text += " ON UPDATE " + onUpdate.sql }
        if onDelete != .noAction { text += " ON DELETE " + onDelete.sql }
        if deferrable { text += initiallyDeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE" }
        return text
    }
}
