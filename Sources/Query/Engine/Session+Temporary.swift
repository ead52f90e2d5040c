import VireoStorage

/// Temporary tables (CREATE TEMP TABLE): stored as tables named `pg_temp_<session>.<name>`
/// (Catalog+Temporary.swift). While the session's statements run, `TemporarySchema.current`
/// names its schema, so that a name written without a schema finds its temporary table
/// before a permanent one (`Catalog.resolve(_:schema:)`, once per name a statement writes;
/// `public.t` is the permanent `t` and `pg_temp.t` the temporary one). They are dropped at
/// ON COMMIT DROP, DISCARD TEMP / ALL, when the session ends (`close`), and when a database
/// opens (tables of sessions of a process that died).
extension Session {
    /// This session's temporary schema, as pg_class shows it (`pg_temp_3`).
    var temporarySchemaName: String { TemporarySchema.name(session: advisorySession) }

    /// Runs `body` with the session's temporary schema searched first, once it has created
    /// a temporary table (binding a task-local value costs a push and a pop: only then).
    /// Without public on the search path (as pg_dump sets it), SearchPath.publicIsVisible is
    /// false meanwhile.
    func withTemporarySchema<R>(_ body: () throws -> R) rethrows -> R {
        guard settings.searchPathHasPublic else { return try SearchPath.$publicIsVisible.withValue(false) { try withTemporarySchemaOnly(body) } }
        return try withTemporarySchemaOnly(body)
    }

    private func withTemporarySchemaOnly<R>(_ body: () throws -> R) rethrows -> R {
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

    /// ON COMMIT DELETE ROWS and ON COMMIT DROP, in the transaction about to commit (which
    /// a COMMIT may reach outside its statement's temporary schema: bound again here, so
    /// that the DELETE finds `pg_temp_3.t`).
    func applyOnCommitActions(_ transaction: StoreTransaction) throws {
        try withTemporarySchema { try applyOnCommitActionsInSchema(transaction) }
    }

    private func applyOnCommitActionsInSchema(_ transaction: StoreTransaction) throws {
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
                _ = try delete(Delete(table: TableName(stored: name)), transaction, [], enforcingKeys: false)
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

extension Catalog {
    /// The stored name of the relation SQL names `name` (`resolve(_:schema:)`: `public.t` is
    /// the permanent `t` even where this session's temporary `t` hides it); for `pg_temp.t`
    /// without a temporary `t`, `pg_temp.t`, which no relation is called, so that a lookup
    /// reports it missing under the name written.
    func storedName(_ name: TableName) -> String {
        resolve(name.name, schema: name.schema) ?? "pg_temp." + name.name
    }

    /// The table SQL names `name`, or 42P01.
    func table(_ name: TableName) throws -> TableDefinition {
        try table(name.name, schema: name.schema)
    }

    /// The view SQL names `name`; nil when the name is a table's (a temporary table hides a
    /// view of its name) or nothing's. Views live in `public` only.
    func view(_ name: TableName) -> ViewDefinition? {
        guard name.schema == nil || name.schema == "public", let stored = resolve(name.name, schema: name.schema) else { return nil }
        return views[stored]
    }
}

extension TableName {
    /// The name that finds the table stored as `storedName` again, whatever the session's
    /// temporary tables hide: `pg_temp_3.t` for a temporary table, `public.t` for a permanent
    /// one (a statement run for another, as TRUNCATE runs DELETE).
    init(stored storedName: String) {
        if let temporary = TemporarySchema.split(storedName) {
            self.init(schema: temporary.schema, temporary.name)
        } else {
            self.init(schema: "public", storedName)
        }
    }
}
