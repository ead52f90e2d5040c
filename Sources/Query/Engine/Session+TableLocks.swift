import VireoStorage

/// LOCK TABLE, and the waits other statements make for what it holds (TableLocks.swift).
extension Session {
    /// `LOCK [TABLE] name [, …] [IN mode MODE] [NOWAIT]`: only in a transaction block (25P01),
    /// on tables (42P01 / 42809 otherwise); held until the block ends.
    func lockTables(_ statement: LockTable) throws -> QueryResult {
        guard inTransactionBlock else {
            throw VireoError(.noActiveTransaction, "LOCK TABLE can only be used in transaction blocks")
        }
        let names = try read { data in
            try statement.names.map { name -> String in
                let stored = data.catalog.storedName(name)
                if data.catalog.views[stored] != nil { return stored }  // PostgreSQL locks a view's name too
                return try data.catalog.table(stored).name
            }
        }
        for name in names {
            try database.tableLocks.lock(name, mode: statement.mode, session: advisorySession, noWait: statement.noWait,
                                         timeoutMs: lockTimeoutMs, checkCancel: checkStatementCancel)
            holdsTableLocks = true
        }
        return QueryResult(commandTag: "LOCK TABLE")
    }

    /// Releases the block's table locks (its end).
    func unlockTableLocks() {
        guard holdsTableLocks else { return }
        database.tableLocks.unlockAll(session: advisorySession)
        holdsTableLocks = false
    }

    /// Waits, while another session holds a conflicting table lock, as the implicit lock
    /// of `body` would in PostgreSQL (TableLocks.swift says which).
    /// Inlined: most statements run while no table lock is held anywhere, and only the
    /// atomic load is then left of the call.
    @inline(__always)
    func waitForTableLocks(_ body: StatementBody) throws {
        guard database.tableLocks.isActive else { return }
        try waitForHeldTableLocks(body)
    }

    private func waitForHeldTableLocks(_ body: StatementBody) throws {
        let uses = body.tableUses
        guard !uses.isEmpty else { return }
        let catalog = database.store.catalog
        for (name, mode) in uses {
            let stored = withTemporarySchema { catalog.storedName(name) }
            try database.tableLocks.lock(stored, mode: mode, session: advisorySession, holding: false,
                                         timeoutMs: lockTimeoutMs, checkCancel: checkStatementCancel)
        }
    }
}

extension StatementBody {
    /// The tables a statement uses and the lock mode PostgreSQL would take on each.
    var tableUses: [(TableName, TableLockMode)] {
        switch self {
        case .select(let query), .selectChangingData(let query):
            return query.tablesRead.map { ($0, TableLockMode.accessShare) }
        case .insert(let insert):
            var uses: [(TableName, TableLockMode)] = [(insert.table, .rowExclusive)]
            if case .query(let query) = insert.source { uses += query.tablesRead.map { ($0, TableLockMode.accessShare) } }
            return uses
        case .update(let update): return [(update.table, .rowExclusive)]
        case .delete(let delete): return [(delete.table, .rowExclusive)]
        case .merge(let merge): return [(merge.table, .rowExclusive)] + merge.source.tablesRead.map { ($0, TableLockMode.accessShare) }
        case .truncate(let truncate): return truncate.names.map { ($0, TableLockMode.accessExclusive) }
        case .dropTable(let drop): return drop.names.map { ($0, TableLockMode.accessExclusive) }
        case .alterTable(let alter): return [(alter.name, .accessExclusive)]
        // PostgreSQL's REINDEX TABLE takes a SHARE lock: reads go on, writes wait.
        case .reindex(let reindex) where reindex.target == .table: return reindex.name.map { [($0, .share)] } ?? []
        case .createIndex(let create): return [(create.table, .share)]
        default: return []
        }
    }
}

extension Query {
    /// The tables the query's FROM clauses name (of each SELECT of a set operation, and of
    /// subqueries in FROM).
    var tablesRead: [TableName] {
        switch body {
        case .select(let select): select.from.flatMap(\.tablesRead)
        case .setOperation(let operation): operation.operands.flatMap(\.tablesRead)
        default: []
        }
    }
}

extension TableReference {
    var tablesRead: [TableName] {
        switch self {
        case .table(let name, _): [name]
        case .sample(let sample): [sample.table]
        case .subquery(let query, _, _), .lateral(let query, _, _): query.tablesRead
        case .join(let join): join.left.tablesRead + join.right.tablesRead
        default: []
        }
    }
}
