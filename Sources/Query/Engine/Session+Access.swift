import VireoStorage

/// GRANT and REVOKE, and ALTER TABLE … RENAME CONSTRAINT.
extension Session {
    /// GRANT / REVOKE: Vireo has one role, the superuser every authenticated connection is,
    /// and PostgreSQL accepts a grant to a superuser with no effect. The objects must exist
    /// and each grantee must be that role (or PUBLIC), as PostgreSQL would check them.
    func grant(_ statement: GrantStatement) throws -> QueryResult {
        try read { data in
            for object in statement.objects { try checkGrantObject(object, statement.kind, data.catalog) }
        }
        for grantee in statement.grantees where grantee != "public" { try SystemCatalog.checkRole(grantee, user: activity?.client.user) }
        return QueryResult(commandTag: statement.isGrant ? "GRANT" : "REVOKE")
    }

    private func checkGrantObject(_ object: TableName, _ kind: GrantStatement.ObjectKind, _ catalog: Catalog) throws {
        switch kind {
        case .table:
            let name = catalog.resolve(object.name)
            guard catalog.tables[name] != nil || catalog.views[name] != nil || catalog.sequence(named: name) != nil else {
                throw VireoError(.undefinedTable, "relation \"\(object.name)\" does not exist")
            }
        case .sequence:
            guard catalog.sequence(named: catalog.resolve(object.name)) != nil else {
                if catalog.hasRelation(object.name) { throw VireoError(.wrongObjectType, "\"\(object.name)\" is not a sequence") }
                throw VireoError(.undefinedTable, "relation \"\(object.name)\" does not exist")
            }
        case .schema, .allTablesInSchema, .allSequencesInSchema, .allFunctionsInSchema:
            let schemas = SystemCatalog.fixedSchemas + ["pg_temp", temporarySchemaName]
            guard schemas.contains(object.name) else { throw VireoError(.invalidSchemaName, "schema \"\(object.name)\" does not exist") }
        case .database:
            guard object.name == SystemCatalog.databaseName || object.name == activity?.client.database else {
                throw VireoError(.invalidCatalogName, "database \"\(object.name)\" does not exist")
            }
        case .function:
            guard Functions.all[object.name] != nil else {
                throw VireoError(.undefinedFunction, "function \(object.name) does not exist")
            }
        }
    }

    /// RENAME CONSTRAINT: a CHECK or FOREIGN KEY is renamed in its table's definition; a
    /// UNIQUE constraint with the index behind it (as PostgreSQL renames both). A primary
    /// key keeps its name: Vireo names it table_pkey (0A000, as ALTER INDEX says).
    func renameConstraint(_ from: String, to: String, of table: TableDefinition, _ transaction: StoreTransaction) throws {
        let visible = table.visibleName
        let keyEntries = SystemCatalog.indexEntries(table).filter { $0.constraintType != nil }
        let taken = Set(table.checks.map(\.name) + table.foreignKeys.map(\.name) + keyEntries.map(\.name))
        guard taken.contains(from) else {
            throw VireoError(.undefinedObject, "constraint \"\(from)\" for table \"\(visible)\" does not exist")
        }
        if taken.contains(to) {
            throw VireoError(.duplicateObject, "constraint \"\(to)\" for relation \"\(visible)\" already exists")
        }
        if table.checks.contains(where: { $0.name == from }) {
            try transaction.setCheckConstraints(table.checks.map { $0.name == from ? CheckConstraintDefinition(name: to, expression: $0.expression) : $0 },
                                                of: table.name)
        } else if table.foreignKeys.contains(where: { $0.name == from }) {
            try transaction.setForeignKeys(table.foreignKeys.map { key in
                var key = key
                if key.name == from { key.name = to }
                return key
            }, of: table.name)
        } else if let entry = keyEntries.first(where: { $0.name == from }) {
            guard !entry.isPrimary else {
                throw VireoError(.featureNotSupported, "cannot rename primary key constraint \"\(from)\": Vireo names a primary key table_pkey")
            }
            try transaction.renameIndex(from, to: to, asConstraint: true)
        }
    }
}
