import VireoStorage

/// Temporary tables (CREATE TEMP TABLE): stored as tables named `pg_temp_<session>.<name>`
/// (Catalog+Temporary.swift). While the session's statements run, `TemporarySchema.current`
/// names its schema, so that `catalog.table(name)` finds its temporary table before a
/// permanent one. They are dropped at ON COMMIT DROP, DISCARD TEMP / ALL, when the session
/// ends (`close`), and when a database opens (tables of sessions of a process that died).
extension Session {
    /// This session's temporary schema, as pg_class shows it (`pg_temp_3`).
    var temporarySchemaName: String { TemporarySchema.name(session: advisorySession) }

    /// Runs `body` with the session's temporary schema searched first, once it has created
    /// a temporary table (binding a task-local value costs a push and a pop: only then).
    func withTemporarySchema<R>(_ body: () throws -> R) rethrows -> R {
        guard usesTemporaryTables else { return try body() }
        return try TemporarySchema.$current.withValue(temporarySchemaName, operation: body)
    }

    /// The stored name of the table CREATE TABLE names: a `pg_temp` one is the session's
    /// temporary table, and its ON COMMIT action is noted for the commits to come.
    func createdTableName(_ name: TableName, onCommit: OnCommitAction?) -> TableName {
        guard name.schema == "pg_temp" else { return name }
        usesTemporaryTables = true
        let stored = TemporarySchema.storedName(name.name, schema: temporarySchemaName)
        if let onCommit, onCommit != .preserveRows { temporaryOnCommit[stored] = onCommit }
        return TableName(stored)
    }

    /// Refuses a change whose table is named with a schema that the rest of the statement's
    /// path would not honour: past this point a table is found by its name alone, so
    /// `public.t` while this session's temporary `t` hides it, or `pg_temp.t` without one,
    /// would change the other table. (DROP and ALTER … IF EXISTS of a missing `pg_temp.t`
    /// skip it: `storedName(of:)`.)
    func checkQualifiedTargets(_ body: StatementBody, _ catalog: Catalog) throws {
        try body.forEachChangedTable { name, mayBeMissing in
            guard let schema = name.schema else { return }
            let isTemporary = TemporarySchema.split(withTemporarySchema { catalog.resolve(name.name) }) != nil
            if schema == "pg_temp", !isTemporary, !mayBeMissing {
                throw VireoError(.undefinedTable, "relation \"pg_temp.\(name.name)\" does not exist")
            }
            if schema != "pg_temp", isTemporary {
                throw VireoError(.featureNotSupported,
                                 "cannot change \"\(schema).\(name.name)\" while this session's temporary table \"\(name.name)\" hides it",
                                 hint: "Drop or rename the temporary table first.")
            }
        }
    }

    /// The stored name of the table `name` names: nil for `pg_temp.t` when the session has
    /// no temporary `t` (the permanent `t` is not in that schema).
    func storedName(of name: TableName, _ catalog: Catalog) -> String? {
        let stored = catalog.resolve(name.name)
        if name.schema == "pg_temp", TemporarySchema.split(stored) == nil { return nil }
        return stored
    }

    /// ON COMMIT DELETE ROWS and ON COMMIT DROP, in the transaction about to commit.
    func applyOnCommitActions(_ transaction: StoreTransaction) throws {
        for (name, action) in temporaryOnCommit.sorted(by: { $0.key < $1.key }) {
            guard let table = transaction.catalog.tables[name] else {
                temporaryOnCommit[name] = nil  // dropped, or its CREATE rolled back
                continue
            }
            switch action {
            case .drop:
                try dropTemporaryTable(table, transaction)
                temporaryOnCommit[name] = nil
            case .deleteRows:
                _ = try delete(Delete(table: TableName(name)), transaction, [], enforcingKeys: false)
            case .preserveRows:
                break
            }
        }
    }

    private func dropTemporaryTable(_ table: TableDefinition, _ transaction: StoreTransaction) throws {
        try transaction.dropTable(table.name)
        for index in table.indexes where index.method == "hnsw" { database.vectorIndexes.forget(index.name) }
    }

    /// Whether the session may have temporary tables (it created one): `close` drops them.
    /// Read it between requests.
    public var hasTemporaryTables: Bool { usesTemporaryTables }

    /// DISCARD TEMP: drops the session's temporary tables (in the open block, if any).
    func discardTemporaryTables() throws {
        guard usesTemporaryTables else { return }
        try write(.discard(.temp)) { transaction in
            for table in transaction.catalog.temporaryTables(of: temporarySchemaName) { try dropTemporaryTable(table, transaction) }
        }
        temporaryOnCommit = [:]
    }

    /// Ends the session: rolls back an open transaction block and drops the session's
    /// temporary tables. A server calls it when its client disconnects; a session that is
    /// not closed does it when it is freed.
    public func close() {
        try? withRequest {
            if inTransactionBlock { rollBackTransactionBlock() }
            try discardTemporaryTables()
            usesTemporaryTables = false
        }
    }

    /// Drops every session's temporary tables: run when a database opens, when no session
    /// of it can exist, so that those of a process that died do not survive it.
    static func dropLeftoverTemporaryTables(_ database: Database) throws {
        guard !database.store.catalog.allTemporaryTables.isEmpty else { return }
        let session = database.session()
        try session.withRequest {
            try session.write(.discard(.temp)) { transaction in
                for table in transaction.catalog.allTemporaryTables { try session.dropTemporaryTable(table, transaction) }
            }
        }
    }
}

extension StatementBody {
    /// Calls `body` with each table the statement changes (or drops, alters, indexes) and
    /// whether it may be missing (IF EXISTS); no array, as every write passes here.
    func forEachChangedTable(_ body: (TableName, _ mayBeMissing: Bool) throws -> Void) rethrows {
        switch self {
        case .insert(let insert): try body(insert.table, false)
        case .update(let update): try body(update.table, false)
        case .delete(let delete): try body(delete.table, false)
        case .truncate(let truncate): for name in truncate.names { try body(name, false) }
        case .dropTable(let drop): for name in drop.names { try body(name, drop.ifExists) }
        case .alterTable(let alter): try body(alter.name, alter.ifExists)
        case .createIndex(let create): try body(create.table, false)
        case .comment(let comment): try body(comment.table, false)
        default: break
        }
    }
}
