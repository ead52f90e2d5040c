import VireoStorage

/// ALTER TABLE … ALTER COLUMN, ADD/DROP of UNIQUE and PRIMARY KEY constraints, and ALTER
/// INDEX: what migration tools (Alembic, Django, Rails, Prisma) send after the first CREATE.
extension Session {
    func alterColumn(_ name: String, _ change: AlterColumnChange, of table: TableDefinition,
                     _ transaction: StoreTransaction) throws {
        guard let position = table.columnIndex(name) else {
            throw VireoError(.undefinedColumn, "column \"\(name)\" of relation \"\(table.name)\" does not exist")
        }
        var column = table.columns[position]
        switch change {
        case .setDefault(let expression):
            try checkDefaultCanChange(column, of: table)
            // A sequence's nextval is kept as pg_get_expr prints it (pg_dump writes `public.s`).
            column.defaultExpression = SearchPath.nextvalSequence(expression).map { sequence in
                SearchPath.$publicIsVisible.withValue(true) { SearchPath.nextvalDefault(sequence) }
            } ?? expression.sql
            try TableBuilder.checkDefault(column, catalog: transaction.catalog)
        case .dropDefault:
            try checkDefaultCanChange(column, of: table)
            column.defaultExpression = nil
        case .setNotNull:
            if !column.notNull { try checkNoNulls(at: position, of: table, transaction) }
            column.notNull = true
        case .dropNotNull:
            if isPrimaryKeyColumn(name, of: table) {
                throw VireoError(.invalidTableDefinition, "column \"\(name)\" is in a primary key")
            }
            if column.identity != nil {
                throw VireoError(.syntaxError, "column \"\(name)\" of relation \"\(table.name)\" is an identity column")
            }
            column.notNull = false
        case .physicalHint:
            return  // Vireo's storage has no per-column statistics target, storage or compression knob.
        case .setType(let typeName, let using):
            return try changeType(of: column, at: position, to: typeName.columnType(in: transaction.catalog), using: using, table, transaction)
        case .addIdentity(let identity, let options):
            return try addIdentity(identity, options, to: column, of: table, transaction)
        }
        try transaction.replaceColumn(column, in: table.name)
    }

    /// `ADD GENERATED … AS IDENTITY`: the column draws from a new sequence, with PostgreSQL's
    /// checks (NOT NULL, no default, not already an identity column).
    private func addIdentity(_ identity: ColumnIdentity, _ options: [SequenceOption], to column: VireoStorage.ColumnDefinition,
                             of table: TableDefinition, _ transaction: StoreTransaction) throws {
        let subject = "column \"\(column.name)\" of relation \"\(table.name)\""
        if column.identity != nil { throw VireoError(.objectNotInPrerequisiteState, "\(subject) is already an identity column") }
        if !column.notNull {
            throw VireoError(.objectNotInPrerequisiteState, "\(subject) must be declared NOT NULL before identity can be added")
        }
        if column.defaultExpression != nil || column.isSerial || column.generatedExpression != nil {
            throw VireoError(.objectNotInPrerequisiteState, "\(subject) already has a default value")
        }
        guard column.type == .smallint || column.type == .integer || column.type == .int else {
            throw VireoError(.invalidParameter, "identity column type must be smallint, integer, or bigint")
        }
        let sequenceName = StoreTransaction.sequenceName(table: table.name, column: column.name)
        if transaction.catalog.hasRelation(sequenceName) {
            throw VireoError(.duplicateTable, "relation \"\(sequenceName)\" already exists")
        }
        var changed = column
        (changed.identity, changed.isSerial) = (identity, true)
        try transaction.replaceColumn(changed, in: table.name)
        let base = transaction.catalog.serialSequence(table: table.name, column: changed)
        let (definition, _) = try SequenceOptions.apply(options, to: base, isNew: true, catalog: transaction.catalog)
        try transaction.setSequence(definition, replace: true)
    }

    private func checkDefaultCanChange(_ column: VireoStorage.ColumnDefinition, of table: TableDefinition) throws {
        let subject = "column \"\(column.name)\" of relation \"\(table.name)\""
        if column.generatedExpression != nil {
            throw VireoError(.syntaxError, "\(subject) is a generated column")
        }
        if column.identity != nil {
            throw VireoError(.syntaxError, "\(subject) is an identity column",
                             hint: "Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead.")
        }
        if column.isSerial {
            throw VireoError(.featureNotSupported, "\(subject) is serial: its default is its sequence's next value, which Vireo keeps")
        }
    }

    private func checkNoNulls(at position: Int, of table: TableDefinition, _ transaction: StoreTransaction) throws {
        var hasNull = false
        try transaction.scanRows(table) { _, record in
            try statementCancel.check()
            hasNull = try record.values()[position].isNull
            return !hasNull
        }
        if hasNull {
            throw VireoError(.notNullViolation, "column \"\(table.columns[position].name)\" of relation \"\(table.name)\" contains null values")
        }
    }

    private func isPrimaryKeyColumn(_ name: String, of table: TableDefinition) -> Bool {
        SystemCatalog.indexEntries(table).contains { $0.isPrimary && $0.columns.contains(name) }
    }

    // MARK: TYPE

    /// `ALTER COLUMN c TYPE t [USING e]`: converts every row and builds the column's B+tree
    /// indexes again. Refused, as in PostgreSQL, where no assignment cast exists and no
    /// USING is given; refused where Vireo cannot follow the change (vector and computed
    /// indexes, keys, generated columns and views reading the column).
    private func changeType(of column: VireoStorage.ColumnDefinition, at position: Int, to type: ColumnType,
                            using: SQLExpression?, _ table: TableDefinition, _ transaction: StoreTransaction) throws {
        if column.type == type && using == nil { return }
        try checkTypeCanChange(column, to: type, table, transaction)
        if using == nil && !Self.convertsAutomatically(column.type, to: type) {
            throw VireoError(.typeMismatch, "column \"\(column.name)\" cannot be cast automatically to type \(type.name)",
                             hint: "You might need to specify \"USING \(quoteIdentifier(column.name))::\(type.name)\".")
        }
        try TableBuilder.checkDefault(column, changingTo: type, catalog: transaction.catalog)
        var changed = column
        changed.type = type
        let viewTypes = try dependentViewTypes(of: table.name, transaction.catalog)
        let context = self.context(.transaction(transaction), [])
        let converter = try using.map { try CheckConstraints.bindValue($0.sql, table: table, catalog: transaction.catalog) }
        try transaction.replaceColumn(changed, in: table.name) { row in
            try context.checkCancel()
            // json text becomes jsonb's normalised form (both are `.json` values to Cast).
            if converter == nil, column.type == .jsonText, type == .json { return try Cast.jsonToJSONB.call([row[position]]) }
            // An enum value converts as its label (enum to text is the one automatic change from an enum).
            guard let converter else { return try Cast.assign(EnumValues.printed(row[position], SQLType(column.type)), to: type) }
            var row = row
            row.append(table.rowIDColumn.map { row[$0] } ?? .null)
            return try Cast.assign(Evaluator.evaluate(converter, row, context), to: type)
        }
        if let view = try dependentViewTypes(of: table.name, transaction.catalog).first(where: { viewTypes[$0.key] != $0.value })?.key {
            throw VireoError(.featureNotSupported, "cannot alter type of a column used by a view or rule",
                             detail: "rule _RETURN on view \(view) depends on column \"\(column.name)\"")
        }
    }

    private func checkTypeCanChange(_ column: VireoStorage.ColumnDefinition, to type: ColumnType,
                                    _ table: TableDefinition, _ transaction: StoreTransaction) throws {
        let name = column.name
        func refuse(_ reason: String) -> VireoError {
            VireoError(.featureNotSupported, "cannot change the type of column \"\(name)\": \(reason)")
        }
        if let index = table.indexes.first(where: { !$0.hasEntryTree && $0.columns.contains(name) }) {
            throw refuse("\(index.method) index \"\(index.name)\" covers it; drop the index, change the type, and create it again")
        }
        if let index = try computedIndexes(reading: name, of: table).first {
            throw refuse("index \"\(index.name)\" reads it in an expression or predicate; drop the index, change the type, and create it again")
        }
        if let check = try checks(reading: name, of: table, transaction.catalog).first {
            throw refuse("check constraint \"\(check.name)\" reads it; drop the constraint, change the type, and add it again")
        }
        if column.generatedExpression != nil || table.columns.contains(where: { generated in
            guard let text = generated.generatedExpression else { return false }
            return (try? CheckConstraints.columnsRead(CheckConstraints.bindValue(text, table: table, catalog: transaction.catalog)).contains(table.columnIndex(name)!)) ?? true
        }) {
            throw refuse("a generated column is, or reads, it")
        }
        let keys = table.foreignKeys.filter { $0.columns.contains(name) }
            + transaction.catalog.foreignKeys(referencing: table.name).map(\.key).filter { $0.referencedColumns.contains(name) }
        if let key = keys.first {
            throw refuse("foreign key \"\(key.name)\" uses it; drop the constraint, change the type, and add it again")
        }
        if table.rowIDColumn.map({ table.columns[$0].name == name }) == true && !type.isInteger {
            throw refuse("it is the table's integer primary key, by which its rows are stored")
        }
    }

    /// Whether PostgreSQL converts `old` to `new` without USING (an implicit or assignment
    /// cast): among numbers, to any string type, between string types, between the two
    /// JSON spellings and the timestamp kinds, between a time type's precisions, and between
    /// vector dimensions (checked per row).
    static func convertsAutomatically(_ old: ColumnType, to new: ColumnType) -> Bool {
        if SQLType(new).isText { return true }
        if SQLType(old).isNumeric && SQLType(new).isNumeric { return true }
        // vector and halfvec of any dimensions, either way (pgvector's casts between them).
        if SQLType(old).isVector && SQLType(new).isVector { return true }
        // A time type's precision changes freely (the values are rounded to the new one).
        switch (old.withoutFractionalSeconds, new.withoutFractionalSeconds) {
        case let (old, new) where old == new:
            return true
        case (.timestamp, .timestamptz), (.timestamptz, .timestamp), (.date, .timestamp), (.date, .timestamptz),
             (.timestamp, .date), (.timestamptz, .date), (.json, .jsonText), (.jsonText, .json):
            return true
        default:
            return false
        }
    }

    /// The result column types of each view over `table` (directly or through other views).
    private func dependentViewTypes(of table: String, _ catalog: Catalog) throws -> [String: [String]] {
        var types: [String: [String]] = [:]
        for view in catalog.viewsDependingTransitively(on: table) {
            let (_, columns) = try Binder.asCreated(view) { try makeBinder(catalog).bindQuery(try Binder.viewQuery(view)) }
            types[view.name] = columns.map { "\($0.type)" }
        }
        return types
    }

    // MARK: UNIQUE and PRIMARY KEY

    /// `ADD [CONSTRAINT name] UNIQUE (columns)` or `PRIMARY KEY (columns)`: a unique index
    /// built from the existing rows (23505 on a duplicate); a primary key also makes its
    /// columns NOT NULL (23502 when a row has a NULL there) and is named table_pkey.
    func addKeyConstraint(_ constraint: TableConstraint, to table: TableDefinition, _ transaction: StoreTransaction) throws {
        switch constraint.kind {
        case .unique(let columns):
            try requireColumns(columns, of: table)
            let index = TableBuilder.uniqueConstraintIndex(constraint.name, columns: columns, table: table.name)
            try transaction.createIndex(index, on: table.name)
        case .primaryKey(let columns):
            try requireColumns(columns, of: table)
            if SystemCatalog.indexEntries(table).contains(where: \.isPrimary) {
                throw VireoError(.invalidTableDefinition, "multiple primary keys for table \"\(table.name)\" are not allowed")
            }
            for name in columns {
                guard let position = table.columnIndex(name) else { continue }
                if !table.columns[position].notNull { try alterColumn(name, .setNotNull, of: try transaction.catalog.table(table.name), transaction) }
            }
            try transaction.createIndex(IndexDefinition(name: "\(table.name)_pkey", columns: columns, isUnique: true), on: table.name)
        default:
            throw VireoError(.internalError, "not a key constraint")
        }
    }

    private func requireColumns(_ columns: [String], of table: TableDefinition) throws {
        for name in columns where table.columnIndex(name) == nil {
            throw VireoError(.undefinedColumn, "column \"\(name)\" named in key does not exist")
        }
    }

    /// DROP CONSTRAINT of a UNIQUE or PRIMARY KEY constraint drops its index (refused while a
    /// foreign key relies on it, as PostgreSQL refuses without CASCADE). False when `name`
    /// names no such constraint of `table`.
    func dropKeyConstraint(_ name: String, of table: TableDefinition, _ transaction: StoreTransaction) throws -> Bool {
        guard let entry = SystemCatalog.indexEntries(table).first(where: { $0.name == name && $0.constraintType != nil }) else {
            return false
        }
        guard let index = entry.definition else {
            throw VireoError(.featureNotSupported, "cannot drop the primary key of \"\(table.name)\": its integer column keys the table's rows")
        }
        try dropKeysRelyingOn(index: index, of: table, cascade: false, transaction)
        try transaction.dropIndex(name)
        return true
    }

    // MARK: ALTER INDEX

    func alterIndex(_ statement: AlterIndex, _ transaction: StoreTransaction) throws -> QueryResult {
        let name = statement.name.name
        let isPrimaryKey = transaction.catalog.tables.values.contains { table in
            SystemCatalog.indexEntries(table).contains { $0.name == name && $0.isPrimary }
        }
        if isPrimaryKey {
            throw VireoError(.featureNotSupported, "cannot rename primary key index \"\(name)\": Vireo names a primary key table_pkey")
        }
        guard let (_, index) = transaction.catalog.index(name) else {
            if statement.ifExists {
                raise(.skippedMissing("relation", name))
                return QueryResult(commandTag: "ALTER INDEX")
            }
            throw VireoError(.undefinedTable, "relation \"\(name)\" does not exist")
        }
        try transaction.renameIndex(name, to: statement.newName)
        // A vector index is loaded again under its new name on its next use.
        if !index.hasEntryTree { database.vectorIndexes.forget(name) }
        return QueryResult(commandTag: "ALTER INDEX")
    }
}
