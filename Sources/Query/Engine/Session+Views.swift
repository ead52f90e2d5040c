import VireoStorage

/// CREATE VIEW and DROP VIEW, and what views demand of other schema changes: a relation a
/// view reads is dropped only with CASCADE (taking the view along), as in PostgreSQL.
extension Session {
    func createView(_ statement: CreateView, _ transaction: StoreTransaction) throws -> QueryResult {
        let name = statement.name.name
        if let schema = statement.name.schema, schema != "public" {
            throw VireoError(.featureNotSupported, "views live in schema \"public\"; \"\(schema)\" is not supported")
        }
        let binder = makeBinder(transaction.catalog)
        let (_, resultColumns) = try binder.bindQuery(statement.query)
        // The stored text must read back as the same query, and a view has no parameters.
        let stored = try Parser.parseStatement(statement.query.sql)
        guard stored.parameterCount == 0 else { throw VireoError(.undefinedParameter, "there is no parameter $1") }
        let view = ViewDefinition(name: name, query: statement.query.sql,
                                  columns: try Self.viewColumns(resultColumns, names: statement.columns),
                                  dependsOn: binder.relationsRead.names.sorted(), checkOption: statement.checkOption)
        if view.dependsOn.contains(name) {
            throw VireoError(.invalidObjectDefinition, "infinite recursion detected in rules for relation \"\(name)\"")
        }
        if statement.checkOption != nil, UpdatableView.refusal(statement.query, catalog: transaction.catalog) != nil {
            throw VireoError(.featureNotSupported, "WITH CHECK OPTION is supported only on automatically updatable views",
                             hint: UpdatableView.refusal(statement.query, catalog: transaction.catalog))
        }
        if statement.orReplace, let old = transaction.catalog.views[name] { try Self.checkReplacement(old, with: view) }
        try transaction.createView(view, replace: statement.orReplace)
        return QueryResult(commandTag: "CREATE VIEW")
    }

    /// The view's (or CREATE TABLE AS's) columns: the query's, renamed by the names written
    /// after the view's name, with the declared types of the columns they read unchanged.
    static func viewColumns(_ columns: [ResultColumn], names: [String], statement: String = "CREATE VIEW") throws -> [VireoStorage.ColumnDefinition] {
        guard names.count <= columns.count else {
            throw VireoError(.syntaxError, "\(statement) specifies more column names than columns")
        }
        var seen = Set<String>()
        return try columns.enumerated().map { position, column in
            let name = position < names.count ? names[position] : column.name
            guard seen.insert(name).inserted else {
                throw VireoError(.duplicateColumn, "column \"\(name)\" specified more than once")
            }
            // A column read unchanged keeps its declared type (varchar(10), numeric(10,2)), as in PostgreSQL.
            let declared = column.origin?.declaredType.flatMap { SQLType($0) == column.type ? $0 : nil }
            guard let type = declared ?? column.type.columnType else {
                throw VireoError(.featureNotSupported, "view column \"\(name)\" has type \(column.type), which a column cannot have")
            }
            return VireoStorage.ColumnDefinition(name: name, type: type)
        }
    }

    /// OR REPLACE keeps every column under its name and type; it may only add columns at the end.
    private static func checkReplacement(_ old: ViewDefinition, with new: ViewDefinition) throws {
        guard new.columns.count >= old.columns.count else {
            throw VireoError(.invalidTableDefinition, "cannot drop columns from view")
        }
        for (before, after) in zip(old.columns, new.columns) {
            if before.name != after.name {
                throw VireoError(.invalidTableDefinition, "cannot change name of view column \"\(before.name)\" to \"\(after.name)\"",
                                 hint: "Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.")
            }
            if SQLType(before.type) != SQLType(after.type) {
                throw VireoError(.invalidTableDefinition,
                                 "cannot change data type of view column \"\(before.name)\" from \(SQLType(before.type)) to \(SQLType(after.type))")
            }
        }
    }

    func dropViews(_ statement: DropView, _ transaction: StoreTransaction) throws -> QueryResult {
        for name in statement.names.map(\.name) {
            guard transaction.catalog.views[name] != nil else {
                if transaction.catalog.tables[name] != nil {
                    throw VireoError(.wrongObjectType, "\"\(name)\" is not a view", hint: "Use DROP TABLE to remove a table.")
                }
                guard statement.ifExists else { throw VireoError(.undefinedTable, "view \"\(name)\" does not exist") }
                raise(.skippedMissing("view", name))
                continue
            }
            raise(.cascaded(try dropDependentViews(of: name, kind: "view", cascade: statement.cascade, transaction)))
            try transaction.dropView(name)
        }
        return QueryResult(commandTag: "DROP VIEW")
    }

    /// Before relation `name` goes: with CASCADE its dependent views go first; without, a
    /// dependent view is an error (2BP01).
    @discardableResult
    func dropDependentViews(of name: String, kind: String, cascade: Bool, _ transaction: StoreTransaction) throws -> [String] {
        let dependents = transaction.catalog.viewsDependingTransitively(on: name)
        guard let first = dependents.first else { return [] }
        guard cascade else {
            throw VireoError(.dependentObjectsStillExist,
                             "cannot drop \(kind) \(name) because other objects depend on it (view \(first.name) depends on \(kind) \(name))",
                             hint: "Use DROP ... CASCADE to drop the dependent objects too.")
        }
        var dropped: [String] = []
        for view in dependents.reversed() where transaction.catalog.views[view.name] != nil {
            try transaction.dropView(view.name)
            dropped.append("view \(view.name)")
        }
        return dropped.reversed()
    }

    /// After ALTER TABLE: every view reading the table must still bind to the same columns,
    /// since a view keeps its query as SQL text (PostgreSQL keeps it by object id, and so
    /// follows renames; Vireo refuses them instead).
    func checkViewsStillBind(after action: AlterTableAction, on table: String, _ transaction: StoreTransaction) throws {
        for view in transaction.catalog.viewsDependingTransitively(on: table) {
            do {
                _ = try makeBinder(transaction.catalog).bindView(view)
            } catch {
                if case .dropColumn(let column, _, _) = action {
                    throw VireoError(.dependentObjectsStillExist,
                                     "cannot drop column \(column) of table \(table) because other objects depend on it (view \(view.name) depends on column \(column) of table \(table))",
                                     hint: "Use DROP ... CASCADE to drop the dependent objects too.")
                }
                throw VireoError(.featureNotSupported,
                                 "cannot rename a table or column that view \"\(view.name)\" reads: drop the view, rename, and create it again")
            }
        }
    }
}

extension Catalog {
    /// The table an INSERT, UPDATE or DELETE changes, when it names no view (a view is
    /// written through by UpdatableView, or refused there as PostgreSQL refuses it).
    func changedTable(_ name: TableName, verb: String) throws -> TableDefinition {
        try table(name)
    }
}
