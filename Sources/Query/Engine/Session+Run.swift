import VireoStorage

extension Session {
    func run(_ body: StatementBody, _ parameters: [Value]) throws -> QueryResult {
        switch body {
        case .transaction(let command): return try transactionCommand(command)
        case .set(let statement):
            // SET LOCAL outside a transaction block has no effect, as in PostgreSQL.
            if statement.scope == .local && !inTransactionBlock { return QueryResult(commandTag: "SET") }
            try settings.set(statement.name, statement.value, local: statement.scope == .local)
            return QueryResult(commandTag: "SET")
        case .createExtension(let statement):
            return try createExtension(statement)
        case .show(let statement): return try show(statement.name)
        case .reset(let statement):
            settings.reset(statement.name)
            return QueryResult(commandTag: "RESET")
        case .explain(let explain): return try self.explain(explain, parameters)
        case .select(let query):
            return try read { data in try runQuery(query, data, parameters) }
        default:
            return try write { transaction in try runWrite(body, transaction, parameters) }
        }
    }

    // MARK: Transactions

    private func transactionCommand(_ command: TransactionCommand) throws -> QueryResult {
        switch command {
        case .begin:
            // PostgreSQL warns and carries on when a block is already open.
            inTransactionBlock = true
            return QueryResult(commandTag: "BEGIN")
        case .commit:
            let wasAborted = abortedBy != nil
            try endTransaction(commit: !wasAborted)
            return QueryResult(commandTag: wasAborted ? "ROLLBACK" : "COMMIT")
        case .rollback:
            try endTransaction(commit: false)
            return QueryResult(commandTag: "ROLLBACK")
        }
    }

    private func endTransaction(commit: Bool) throws {
        guard commit, let transaction else { return rollBackTransactionBlock() }
        defer { leaveTransactionBlock() }
        try commitWrite(transaction)
    }

    /// Rolls back the block's transaction, if it wrote, and leaves the block.
    func rollBackTransactionBlock() {
        if let transaction { rollbackWrite(transaction) }
        leaveTransactionBlock()
    }

    private func leaveTransactionBlock() {
        transaction = nil
        inTransactionBlock = false
        abortedBy = nil
        pendingVectorChanges = [:]
        settings.endTransaction()
    }

    /// Commits, then brings in-memory vector indexes up to date before the next writer.
    func commitWrite(_ transaction: StoreTransaction) throws {
        let changes = pendingVectorChanges
        let vectorIndexes = database.vectorIndexes
        do {
            try transaction.commit(onPublish: {
                if !changes.isEmpty { vectorIndexes.markPublished() }
            }, afterPublish: {
                if !changes.isEmpty { vectorIndexes.applyCommitted(changes, catalog: transaction.catalog) }
            })
        } catch {
            forgetCreatedVectorIndexes(transaction)
            throw error
        }
        pendingVectorChanges = [:]
        // The commit is durable: a snapshot that cannot be written now is written later,
        // and until then the change tree keeps the index recoverable.
        try? vectorIndexes.rewriteSnapshots()
    }

    func rollbackWrite(_ transaction: StoreTransaction) {
        transaction.rollback()
        forgetCreatedVectorIndexes(transaction)
        pendingVectorChanges = [:]
    }

    /// A rolled-back CREATE INDEX must not leave its in-memory index behind.
    private func forgetCreatedVectorIndexes(_ transaction: StoreTransaction) {
        let committed = database.store.catalog
        for table in transaction.catalog.tables.values {
            for index in table.indexes where index.method == "hnsw" && committed.index(index.name)?.index != index {
                database.vectorIndexes.forget(index.name)
            }
        }
    }

    // MARK: Reading and writing

    /// Runs a read: inside a block that has written, on its transaction (which sees its own
    /// changes); otherwise on a committed snapshot.
    func read<R>(_ body: (DataAccess) throws -> R) throws -> R {
        if let transaction { return try body(.transaction(transaction)) }
        return try database.store.read { try body(.snapshot($0)) }
    }

    /// Runs a write in the block's transaction (opening it), or in its own transaction.
    func write<R>(_ body: (StoreTransaction) throws -> R) throws -> R {
        if inTransactionBlock {
            let transaction = try self.transaction ?? beginWrite()
            self.transaction = transaction
            return try body(transaction)
        }
        let transaction = try beginWrite()
        do {
            let result = try body(transaction)
            try commitWrite(transaction)
            return result
        } catch {
            rollbackWrite(transaction)
            throw error
        }
    }

    func makeBinder(_ catalog: Catalog) -> Binder {
        Binder(catalog: catalog, staleVectorIndexes: Set(pendingVectorChanges.keys))
    }

    func context(_ data: DataAccess, _ parameters: [Value]) -> ExecutionContext {
        ExecutionContext(data: data, parameters: parameters, vectorIndexes: database.vectorIndexes,
                         efSearch: settings.efSearch, workMemory: WorkMemory(kilobytesMax: settings.workMemKilobytes),
                         cancel: statementCancel)
    }

    /// Runs a prepared query, reusing its plan while the schema it was made for holds.
    /// Only plans made on committed snapshots are kept: an open transaction's schema may
    /// still roll back.
    func runQuery(_ query: Query, _ parameters: [Value], cache: PlanCache) throws -> QueryResult {
        try withRequest {
            if let abortedBy {
                throw VireoError.inFailedTransaction(after: abortedBy)
            }
            return try withStatementTimer { try runQueryInRequest(query, parameters, cache: cache) }
        }
    }

    func runQueryInRequest(_ query: Query, _ parameters: [Value], cache: PlanCache) throws -> QueryResult {
        try read { data in
            guard case .snapshot(let snapshot) = data, pendingVectorChanges.isEmpty else {
                return try runQuery(query, data, parameters)
            }
            let (plan, columns) = try cache.plan(for: snapshot.catalog.version) { try makeBinder(data.catalog).bindQuery(query) }
            return try run(plan, columns, data, parameters)
        }
    }

    func runQuery(_ query: Query, _ data: DataAccess, _ parameters: [Value]) throws -> QueryResult {
        let (plan, columns) = try makeBinder(data.catalog).bindQuery(query)
        return try run(plan, columns, data, parameters)
    }

    private func run(_ plan: PlanNode, _ columns: [ResultColumn], _ data: DataAccess, _ parameters: [Value]) throws -> QueryResult {
        let rows = try PlanExecutor.materialize(plan, context(data, parameters), for: .result)
        return QueryResult(columns: columns, rows: rows, commandTag: "SELECT \(rows.count)")
    }

    /// pgvector's `CREATE EXTENSION vector` is accepted: the vector type is built in.
    private func createExtension(_ statement: CreateExtension) throws -> QueryResult {
        guard statement.name == "vector" else {
            throw VireoError(.undefinedObject, "extension \"\(statement.name)\" is not available (only \"vector\", which is built in)")
        }
        return QueryResult(commandTag: "CREATE EXTENSION")
    }

    private func show(_ name: String?) throws -> QueryResult {
        guard let name else {
            let rows = settings.all.map { [Value.text($0.0), .text($0.1)] }
            return QueryResult(columns: [ResultColumn(name: "name", type: .text), ResultColumn(name: "setting", type: .text)],
                               rows: rows, commandTag: "SHOW")
        }
        guard let value = settings.value(name) else {
            throw VireoError(.undefinedObject, "unrecognized configuration parameter \"\(name)\"")
        }
        return QueryResult(columns: [ResultColumn(name: name, type: .text)], rows: [[.text(value)]], commandTag: "SHOW")
    }
}

/// The plan of a prepared query, for one schema version.
public final class PlanCache: @unchecked Sendable {
    private let lock = Lock()
    private var entry: (version: UInt64, plan: PlanNode, columns: [ResultColumn])?

    /// An empty cache; the first execution fills it.
    public init() {}

    func plan(for version: UInt64, make: () throws -> (PlanNode, [ResultColumn])) throws -> (PlanNode, [ResultColumn]) {
        if let entry = lock.withLock({ entry }), entry.version == version { return (entry.plan, entry.columns) }
        let (plan, columns) = try make()
        lock.withLock { entry = (version, plan, columns) }
        return (plan, columns)
    }
}
