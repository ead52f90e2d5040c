import VireoStorage

/// Turns CREATE TABLE syntax into a storage table definition.
enum TableBuilder {
    static func definition(_ statement: CreateTable, catalog: Catalog) throws -> TableDefinition {
        let name = statement.name.name
        var columns = try statement.columns.map { try column($0, table: name, catalog: catalog) }
        var primaryKey = statement.columns.filter(\.isPrimaryKey).map(\.name)
        var uniques: [(name: String?, columns: [String])] = statement.columns.filter(\.isUnique).map { (nil, [$0.name]) }
        for constraint in statement.constraints {
            switch constraint.kind {
            case .primaryKey(let keyColumns): primaryKey += keyColumns
            case .unique(let keyColumns): uniques.append((constraint.name, keyColumns))
            case .check: break  // named and bound by CheckConstraints
            case .foreignKey: break  // checked and named by ForeignKeys
            }
        }
        if statement.columns.filter(\.isPrimaryKey).count > 1 || (primaryKey.count > 1 && statement.columns.contains(where: \.isPrimaryKey)) {
            throw VireoError(.syntaxError, "multiple primary keys for table \"\(name)\" are not allowed")
        }
        for key in primaryKey {
            guard let position = columns.firstIndex(where: { $0.name == key }) else {
                throw VireoError(.undefinedColumn, "column \"\(key)\" named in key does not exist")
            }
            columns[position].notNull = true
        }
        var table = TableDefinition(name: name, columns: columns)
        if primaryKey.count == 1, let position = table.columnIndex(primaryKey[0]), columns[position].type.isInteger {
            table.rowIDColumn = position
        } else if !primaryKey.isEmpty {
            table.indexes.append(IndexDefinition(name: "\(name)_pkey", columns: primaryKey, isUnique: true))
        }
        for key in uniques { table.indexes.append(uniqueConstraintIndex(key.name, columns: key.columns, table: name)) }
        return table
    }

    /// The index behind `[CONSTRAINT name] UNIQUE (columns)`: named as written, else as
    /// PostgreSQL names it (table_columns_key).
    static func uniqueConstraintIndex(_ name: String?, columns: [String], table: String) -> IndexDefinition {
        var index = IndexDefinition(name: name ?? "\(table)_\(columns.joined(separator: "_"))_key", columns: columns, isUnique: true)
        if name != nil { index.isConstraint = true }
        return index
    }

    static func column(_ column: VireoQuery.ColumnDefinition, table: String, catalog: Catalog) throws -> VireoStorage.ColumnDefinition {
        let type = try column.type.columnType(in: catalog)
        if column.constraints.contains(where: { $0.kind == .notNull }) && column.constraints.contains(where: { $0.kind == .null }) {
            throw VireoError(.syntaxError, "conflicting NULL/NOT NULL declarations for column \"\(column.name)\" of table \"\(table)\"")
        }
        if column.generatedValue != nil && (column.defaultValue != nil || column.type.isSerial) {
            throw VireoError(.syntaxError, "both default and generation expression specified for column \"\(column.name)\" of table \"\(table)\"")
        }
        let identity = column.identity
        if identity != nil {
            try checkIdentity(column, type: type, table: table)
        }
        var definition = VireoStorage.ColumnDefinition(
            name: column.name, type: type, notNull: column.isNotNull || column.type.isSerial || identity != nil,
            defaultExpression: column.defaultValue?.sql, isSerial: column.type.isSerial || identity != nil,
            generatedExpression: column.generatedValue?.sql)
        definition.identity = identity
        if case .other(let name, []) = column.type, catalog.domain(named: name) != nil { definition.domain = name }
        try checkDefault(definition, catalog: catalog)
        return definition
    }

    /// Binds a column's DEFAULT where it is defined (CREATE TABLE, ADD COLUMN, SET DEFAULT),
    /// so that a bad one fails there and not at the next INSERT: 42804 when its type has no
    /// assignment cast to the column's (`boolean DEFAULT 1`), as PostgreSQL's cookDefault.
    static func checkDefault(_ column: VireoStorage.ColumnDefinition, catalog: Catalog) throws {
        guard let text = column.defaultExpression else { return }
        let typed = try Binder(catalog: catalog).bind(Parser.parseExpression(text), Scope())
        try Cast.checkAssignment(from: typed.type, to: column, isDefault: true)
    }

    /// ALTER COLUMN … TYPE of a column with a default: PostgreSQL keeps the default as an
    /// expression of the column's type (a string literal read as one) and converts it to the
    /// new type by an assignment cast, or refuses (42804), whatever USING converts the rows
    /// with: an integer's `DEFAULT 1` does not become a boolean, a text's `DEFAULT 'x'` not an
    /// integer. A NULL default, which PostgreSQL does not keep, goes anywhere.
    static func checkDefault(_ column: VireoStorage.ColumnDefinition, changingTo type: ColumnType, catalog: Catalog) throws {
        guard let text = column.defaultExpression else { return }
        let typed = try Binder(catalog: catalog).bind(Parser.parseExpression(text), Scope())
        if case .constant(.null) = typed.expression { return }
        let source = typed.type == .unknown ? SQLType(column.type) : typed.type
        guard CastContext.of(source, to: SQLType(type)) != .assignment else { return }
        throw VireoError(.typeMismatch, "default for column \"\(column.name)\" cannot be cast automatically to type \(type.name)")
    }

    /// PostgreSQL's errors for an identity column that cannot be one.
    private static func checkIdentity(_ column: VireoQuery.ColumnDefinition, type: ColumnType, table: String) throws {
        let subject = "column \"\(column.name)\" of table \"\(table)\""
        if column.generatedValue != nil {
            throw VireoError(.syntaxError, "both identity and generation expression specified for \(subject)")
        }
        if column.defaultValue != nil || column.type.isSerial {
            throw VireoError(.syntaxError, "both default and identity specified for \(subject)")
        }
        if column.constraints.filter({ if case .identity = $0.kind { return true } else { return false } }).count > 1 {
            throw VireoError(.syntaxError, "multiple identity specifications for \(subject)")
        }
        guard type == .smallint || type == .integer || type == .int else {
            throw VireoError(.invalidParameter, "identity column type must be smallint, integer, or bigint")
        }
    }

    /// A column's DEFAULT, parsed and bound (once per statement; evaluated per row, so
    /// `now()` and `random()` give each row its own value). NULL when it has none.
    /// A column of a domain without a DEFAULT of its own takes the domain's, and its
    /// default (NULL included) passes the domain's constraints, as in PostgreSQL.
    static func defaultExpression(_ column: VireoStorage.ColumnDefinition, catalog: Catalog) throws -> BoundExpression {
        let domain = column.domain.flatMap(catalog.domain(named:))
        guard let text = column.defaultExpression ?? domain?.defaultExpression else {
            return try domain.map { try Binder(catalog: catalog).domainChecked(.constant(.null), $0) } ?? .constant(.null)
        }
        let binder = Binder(catalog: catalog)
        let typed = try binder.bind(Parser.parseExpression(text), Scope())
        return try binder.domainAssigned(.cast(typed.expression, SQLType(column.type)), to: column)
    }

    /// What `SET column = DEFAULT` assigns: a serial or identity column's next sequence value.
    static func defaultExpression(_ column: VireoStorage.ColumnDefinition, table: String, catalog: Catalog) throws -> BoundExpression {
        guard column.isSerial, column.defaultExpression == nil else { return try defaultExpression(column, catalog: catalog) }
        let sequence = StoreTransaction.sequenceName(table: table, column: column.name)
        let call = try Parser.parseExpression("nextval('" + quoteIdentifier(sequence).replacingOccurrences(of: "'", with: "''") + "')")
        return try Binder(catalog: catalog).bind(call, Scope()).expression
    }

    /// The value existing rows take when a column is added.
    static func defaultValue(_ column: VireoStorage.ColumnDefinition, transaction: StoreTransaction) throws -> Value {
        try Cast.assign(Evaluator.evaluate(defaultExpression(column, catalog: transaction.catalog), [], .constantFolding), to: column.type)
    }

    /// PostgreSQL's name for an unnamed index: table_column_idx, made unique.
    static func indexName(table: String, columns: [String], catalog: Catalog) -> String {
        unusedName("\(table)_\(columns.joined(separator: "_"))_idx", taken: catalog.hasRelation)
    }

    /// `base`, or with the first number from 1 appended that makes it not `taken`, as
    /// PostgreSQL numbers the names it chooses.
    static func unusedName(_ base: String, taken: (String) -> Bool) -> String {
        var name = base
        var suffix = 1
        while taken(name) {
            name = base + String(suffix)
            suffix += 1
        }
        return name
    }
}
