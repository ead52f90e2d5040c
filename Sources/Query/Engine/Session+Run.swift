import VireoStorage

extension Session {
    func run(_ body: StatementBody, _ parameters: [Value]) throws -> QueryResult {
        switch body {
        case .transaction(let command): return try transactionCommand(command)
        case .set(let statement):
            // SET LOCAL outside a transaction block has no effect, as in PostgreSQL.
            if statement.scope == .local && !inTransactionBlock {
                raise(Notice(.warning, sqlState: "25P01", "SET LOCAL can only be used in transaction blocks"))
                return QueryResult(commandTag: "SET")
            }
            try settings.set(statement.name, statement.value, local: statement.scope == .local)
            return QueryResult(commandTag: "SET")
        case .createExtension(let statement):
            return try createExtension(statement)
        case .createSchema(let statement): return try createSchema(statement)
        case .dropSchema(let statement): return try dropSchemas(statement)
        case .show(let statement): return try show(statement.name)
        case .reset(let statement):
            settings.reset(statement.name)
            return QueryResult(commandTag: "RESET")
        case .explain(let explain): return try self.explain(explain, parameters)
        case .declareCursor(let declare): return try declareCursor(declare, parameters)
        case .fetch(let fetch): return try fetchCursor(fetch)
        case .closeCursor(let name): return try closeCursor(name)
        case .listen(let channel):
            queueListen(.listen(channel))
            return QueryResult(commandTag: "LISTEN")
        case .unlisten(let channel):
            queueListen(.unlisten(channel))
            return QueryResult(commandTag: "UNLISTEN")
        case .notify(let channel, let payload):
            try notify(channel: channel, payload: payload ?? "")
            return QueryResult(commandTag: "NOTIFY")
        case .discard(let target): return try discard(target)
        case .prepare(let statement): return try prepare(statement, text: runningSQL ?? body.sql)
        case .executePrepared(let statement): return try executePrepared(statement, parameters)
        case .deallocate(let name): return try deallocate(name)
        case .lockTable(let statement): return try lockTables(statement)
        case .grant(let statement): return try grant(statement)
        case .vacuum(let statement): return try vacuum(statement)
        case .doBlock(let block): return try runDoBlock(block)
        case .select(let query):
            return try read { data in try runQuery(query, data, parameters) }
        default:
            return try write(body) { transaction in try runWrite(body, transaction, parameters) }
        }
    }

    // MARK: Transactions

    private func transactionCommand(_ command: TransactionCommand) throws -> QueryResult {
        switch command {
        case .begin(let modes, let spelledStart):
            // PostgreSQL warns and carries on when a block is already open; in the implicit
            // block of a several-statement message, BEGIN opens the block explicitly.
            if inTransactionBlock && !inImplicitBlock {
                raise(Notice(.warning, sqlState: "25001", "there is already a transaction in progress"))
            }
            inImplicitBlock = false
            if !inTransactionBlock {
                inTransactionBlock = true
                blockModes = defaultTransactionModes
                blockHasRunStatement = false
                // now() is the time the block began, as PostgreSQL's transaction start.
                transactionStartMicros = Functions.currentMicros()
            }
            try setBlockModes(modes)
            return QueryResult(commandTag: spelledStart ? "START TRANSACTION" : "BEGIN")
        case .commit:
            warnUnlessInBlock()
            let wasAborted = abortedBy != nil
            try endTransaction(commit: !wasAborted)
            return QueryResult(commandTag: wasAborted ? "ROLLBACK" : "COMMIT")
        case .rollback:
            warnUnlessInBlock()
            try endTransaction(commit: false)
            return QueryResult(commandTag: "ROLLBACK")
        case .setModes(let modes, sessionDefault: true):
            if let isolation = modes.isolation { try settings.set("default_transaction_isolation", .string(isolation.rawValue), local: false) }
            if let readOnly = modes.readOnly { try settings.set("default_transaction_read_only", .word(readOnly ? "on" : "off"), local: false) }
            return QueryResult(commandTag: "SET")
        case .setModes(let modes, sessionDefault: false):
            // Outside a block PostgreSQL only warns: the next transaction is not affected.
            if inTransactionBlock { try setBlockModes(modes) } else {
                raise(Notice(.warning, sqlState: "25P01", "SET TRANSACTION can only be used in transaction blocks"))
            }
            return QueryResult(commandTag: "SET")
        case .savepoint, .rollbackToSavepoint, .releaseSavepoint:
            return try savepointCommand(command)
        case .setConstraints(let names, let deferred):
            return try setConstraints(names, deferred: deferred)
        }
    }

    /// COMMIT and ROLLBACK outside an explicit block end nothing (or the implicit block of a
    /// several-statement message) and warn, as in PostgreSQL.
    private func warnUnlessInBlock() {
        guard !inTransactionBlock || inImplicitBlock else { return }
        raise(Notice(.warning, sqlState: "25P01", "there is no transaction in progress"))
    }

    /// The modes of a transaction when BEGIN names none: the session's defaults.
    var defaultTransactionModes: TransactionModes {
        TransactionModes(isolation: IsolationLevel(settingText: settings.value("default_transaction_isolation") ?? "") ?? .readCommitted,
                         readOnly: settings.value("default_transaction_read_only") == "on")
    }

    private func setBlockModes(_ modes: TransactionModes) throws {
        if let isolation = modes.isolation, isolation != blockModes.isolation {
            guard !blockHasRunStatement else {
                throw VireoError(.transactionState, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
            }
            blockModes.isolation = isolation
        }
        if let readOnly = modes.readOnly { blockModes.readOnly = readOnly }
    }

    /// The isolation level in force: the block's, or the default for the next one.
    var isolationLevel: IsolationLevel {
        (inTransactionBlock ? blockModes.isolation : nil) ?? defaultTransactionModes.isolation ?? .readCommitted
    }

    func endTransaction(commit: Bool) throws {
        guard commit else { return rollBackTransactionBlock() }
        if let transaction {
            do { try runDeferredChecks(transaction, all: true) } catch {
                rollBackTransactionBlock()
                throw error
            }
        }
        do {
            if let transaction { try commitWrite(transaction) }
        } catch {
            endCursorsOfBlock(committed: false)
            leaveTransactionBlock()
            throw error
        }
        endCursorsOfBlock(committed: true)
        leaveTransactionBlock()
    }

    /// Rolls back the block's transaction, if it wrote, and leaves the block.
    func rollBackTransactionBlock() {
        notificationQueue = nil
        if let transaction { rollbackWrite(transaction) }
        endCursorsOfBlock(committed: false)
        leaveTransactionBlock()
    }

    private func leaveTransactionBlock() {
        transaction = nil
        endTransactionNumber()
        inTransactionBlock = false
        inImplicitBlock = false
        blockModes = TransactionModes()
        blockHasRunStatement = false
        abortedBy = nil
        pendingVectorChanges = [:]
        deferredConstraints.reset()
        savepoints = []
        settings.endTransaction()
        unlockTransactionAdvisoryLocks()
        unlockTableLocks()
    }

    /// Commits, then brings in-memory vector indexes up to date before it returns.
    func commitWrite(_ transaction: StoreTransaction) throws {
        if !temporaryOnCommit.isEmpty { try applyOnCommitActions(transaction) }
        let changes = pendingVectorChanges
        let vectorIndexes = database.vectorIndexes
        let store = database.store
        // Until its changes are in the indexes, searches look up every row they find.
        // (A schema change may be a CREATE INDEX, whose index then becomes committed.)
        let changesIndexes = !changes.isEmpty || transaction.changesTableDefinitions
        if changesIndexes { vectorIndexes.exactness.begin() }
        do {
            try transaction.commit(afterPublish: {
                if changesIndexes {
                    vectorIndexes.applyCommitted(changes, catalog: store.catalog, version: store.pager.publishedVersion)
                }
            })
            if changesIndexes { vectorIndexes.exactness.end() }
        } catch {
            if changesIndexes { vectorIndexes.exactness.end() }
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
        // Sequences are not rolled back: what the transaction drew or set is written anyway.
        try? StoreTransaction.persistSequences(transaction.sequencesChanged, in: database.store)
        forgetCreatedVectorIndexes(transaction)
        pendingVectorChanges = [:]
        deferredConstraints.reset()
    }

    /// A rolled-back CREATE INDEX must not leave its in-memory index behind.
    private func forgetCreatedVectorIndexes(_ transaction: StoreTransaction) {
        forgetVectorIndexes(createdIn: transaction.catalog, notIn: database.store.catalog)
    }

    /// Forgets the in-memory vector indexes of `schema` that `kept` does not have as they are.
    func forgetVectorIndexes(createdIn schema: Catalog, notIn kept: Catalog) {
        for table in schema.tables.values {
            for index in table.indexes where index.method == "hnsw" && kept.index(index.name)?.index != index {
                database.vectorIndexes.forget(index.name)
            }
        }
    }

    // MARK: Reading and writing

    /// Runs a statement's read: inside a block, on its transaction when it has one (it
    /// sees its own changes); otherwise on a snapshot of what is committed now.
    func read<R>(_ body: (DataAccess) throws -> R) throws -> R {
        if let transaction = try transactionForStatement(opening: false) { return try body(.transaction(transaction)) }
        let result: R
        do { result = try database.store.read { try body(.snapshot($0)) } } catch {
            try? persistSequencesAdvancedInReads()
            throw error
        }
        try persistSequencesAdvancedInReads()
        return result
    }

    /// Runs a write in the block's transaction (opening it), or in its own transaction.
    /// Schema changes take the writer gate first (DDL is exclusive). Inlined with its
    /// caller's closure, as `withRequest` is.
    @inline(__always)
    func write<R>(_ statement: StatementBody, _ body: (StoreTransaction) throws -> R) throws -> R {
        if inTransactionBlock, blockModes.readOnly == true {
            throw VireoError(.readOnly, "cannot execute \(statement.commandName) in a read-only transaction")
        }
        if inTransactionBlock {
            guard let transaction = try transactionForStatement(opening: true) else { preconditionFailure("opening: true opens one") }
            if !statement.isRowChange { try takeWriterGate(transaction) }
            return try runRestartingOnLockedRows(transaction, body)
        }
        let transaction = try beginTransaction()
        do {
            if !statement.isRowChange { try takeWriterGate(transaction) }
            let result = try runRestartingOnLockedRows(transaction, body)
            try runDeferredChecks(transaction, all: true)
            try commitWrite(transaction)
            return result
        } catch {
            rollbackWrite(transaction)
            throw error
        }
    }

    /// The block's transaction for the statement starting now, opened when `opening` or
    /// when the block keeps one snapshot from its first statement (REPEATABLE READ). Under
    /// READ COMMITTED it moves to the newest version first, so the statement sees every
    /// commit made before it began.
    private func transactionForStatement(opening: Bool) throws -> StoreTransaction? {
        guard inTransactionBlock else { return nil }
        blockHasRunStatement = true
        if transaction == nil, opening || isolationLevel.usesOneSnapshot {
            let opened = try beginTransaction()
            setSavepointsOfBlock(on: opened)
            transaction = opened
        } else if let transaction, !isolationLevel.usesOneSnapshot {
            try transaction.moveToNewestVersion()
        }
        return transaction
    }

    /// A binder over `catalog`; with `parameters`, one that may plan for their values
    /// (a statement planned for each execution).
    func makeBinder(_ catalog: Catalog, parameters: [Value] = []) -> Binder {
        let binder = Binder(catalog: catalog, staleVectorIndexes: Set(pendingVectorChanges.keys))
        if !parameters.isEmpty { binder.planParameters = PlanParameters(parameters) }
        for (index, type) in declaredParameterTypes.enumerated() where type != .unknown {
            binder.parameterTypes[index] = type
            binder.declaredParameterTypes[index] = type
        }
        return binder
    }

    func context(_ data: DataAccess, _ parameters: [Value]) -> ExecutionContext {
        let context = ExecutionContext(data: data, parameters: parameters, vectorIndexes: database.vectorIndexes,
                                       efSearch: settings.efSearch, workMemory: WorkMemory(kilobytesMax: settings.workMemKilobytes),
                                       cancel: statementCancel)
        context.reusesFilterBitmaps = settings.filterCache
        context.memoizes = settings.memoizes
        context.session = self
        context.rowLocker = rowLocker(data)
        return context
    }

    /// The row locker of a statement reading `data`: nil outside a write transaction.
    private func rowLocker(_ data: DataAccess) -> RowLocker? {
        guard case .transaction(let transaction) = data else { return nil }
        return RowLocker(transaction: transaction, timeoutMs: lockTimeoutMs, checkCancel: checkStatementCancel,
                         usesOneSnapshot: isolationLevel.usesOneSnapshot)
    }

    /// Runs `body` with a context as `context(_:_:)` makes one, reusing the session's spare
    /// context when it has one, and keeps the context as the spare afterwards when nothing
    /// else holds it (a subquery's cache, a cursor): a prepared INSERT run many times made
    /// and freed a context, its cache, its work memory and a row locker at each execution
    /// (7% of its time in a profile). The spare holds no transaction, snapshot or parameters.
    @inline(__always)
    func withContext<R>(_ data: DataAccess, _ parameters: [Value], _ body: (ExecutionContext) throws -> R) throws -> R {
        var context: ExecutionContext
        if var reused = spareContext.take(),
           ExecutionContext.reuse(&reused, data: data, parameters: parameters, efSearch: settings.efSearch,
                                  workMemKilobytes: settings.workMemKilobytes, rowLocker: rowLocker(data),
                                  reusesFilterBitmaps: settings.filterCache, memoizes: settings.memoizes) {
            context = reused
        } else {
            context = self.context(data, parameters)
        }
        defer {
            if isKnownUniquelyReferenced(&context) {
                context.release()
                spareContext = context
            }
        }
        return try body(context)
    }

    /// Runs a prepared query, reusing its plan while the schema it was made for holds.
    /// Only plans made on committed snapshots are kept: an open transaction's schema may
    /// still roll back.
    /// `query` is read only when a plan is made or a table lock is to be waited for
    /// (`runQueryInRequest`).
    func runQuery(_ query: @autoclosure () -> Query, _ parameters: [Value], cache: PlanCache) throws -> QueryResult {
        try withRequest(timingOneStatement: true) {
            if let abortedBy {
                throw VireoError.inFailedTransaction(after: abortedBy)
            }
            return try withStatementTimer(startedWithRequest: true) {
                if database.tableLocks.isActive { try waitForTableLocks(.select(query())) }
                // An embedded prepared query's result leaves the engine here: enum values as labels.
                return try runQueryInRequest(query(), parameters, cache: cache, labellingEnums: true)
            }
        }
    }

    /// With `boundedReadOnly`, a plan that is not a bounded read (`PlanNode.isBoundedRead`) throws `NotABoundedRead`
    /// before it reads anything. With `labellingEnums`, enum values come out as their labels
    /// (`EnumValues.labelled`), looked for only when the plan has a column of an enum type.
    /// `query` is read only when a plan is made: a copy of it (retaining each part of its
    /// tree) at every execution of a prepared query cost more than the plan cache's check.
    func runQueryInRequest(_ query: @autoclosure () -> Query, _ parameters: [Value], cache: PlanCache,
                           boundedReadOnly: Bool = false, labellingEnums: Bool = false) throws -> QueryResult {
        try read { data in
            if boundedReadOnly, !keepsPlans(data) { throw NotABoundedRead() }
            let planned = try self.plan(query(), data, parameters, cache: cache)
            if boundedReadOnly, !planned.isBoundedRead { throw NotABoundedRead() }
            let result = try withContext(data, parameters) { try run(planned.plan, planned.columns, nearest: planned.nearest, $0) }
            return labellingEnums && planned.hasEnumColumns ? EnumValues.labelled(result) : result
        }
    }

    /// The columns `runQuery(query, parameters, cache:)` would give its rows now: the query
    /// is planned (the plan kept in `cache` as a run keeps it), not run.
    func resultColumns(_ query: Query, _ parameters: [Value], cache: PlanCache) throws -> [ResultColumn] {
        try withRequest {
            if let abortedBy { throw VireoError.inFailedTransaction(after: abortedBy) }
            return try withDeclaredParameterTypes(cache.parameterTypes) {
                try withTemporarySchema { try read { data in try plan(query, data, parameters, cache: cache).columns } }
            }
        }
    }

    /// Whether plans made on `data` may be kept: only those of committed snapshots are (an
    /// open transaction's schema may still roll back).
    private func keepsPlans(_ data: DataAccess) -> Bool {
        guard case .snapshot = data else { return false }
        return pendingVectorChanges.isEmpty
    }

    private func plan(_ query: @autoclosure () -> Query, _ data: DataAccess, _ parameters: [Value],
                      cache: PlanCache) throws -> QueryPlan {
        guard keepsPlans(data) else { return QueryPlan(try makeBinder(data.catalog, parameters: parameters).bindQuery(query())) }
        let version = data.catalog.version
        if let plan = planMemo?.queryPlan(of: cache, version: version) { return plan }
        // Remembered when the cache keeps it: found there, or made for any parameter values.
        var kept = true
        let plan = try cache.plan(for: version) {
            let binder = makeBinder(data.catalog, parameters: parameters)
            let planned = QueryPlan(try binder.bindQuery(query()))
            kept = binder.planParameters?.used != true && !binder.relationsRead.catalogRows
            return (planned, kept)
        }
        planMemo = kept ? PlanMemo(cache: cache, version: version, query: plan) : nil
        return plan
    }

    func runQuery(_ query: Query, _ data: DataAccess, _ parameters: [Value]) throws -> QueryResult {
        let (plan, columns) = try makeBinder(data.catalog, parameters: parameters).bindQuery(query)
        return try run(plan, columns, data, parameters)
    }

    private func run(_ plan: PlanNode, _ columns: [ResultColumn], _ data: DataAccess, _ parameters: [Value]) throws -> QueryResult {
        try withContext(data, parameters) { try run(plan, columns, nearest: nil, $0) }
    }

    /// A query's run in `context`, made or reused by `withContext` (a prepared search made
    /// a context, its cache and its work memory at each execution). `nearest`, the plan's
    /// nearest-neighbour parts kept with a cached plan, gives its rows without operators
    /// (except under EXPLAIN ANALYZE, which counts each operator's rows).
    private func run(_ plan: PlanNode, _ columns: [ResultColumn], nearest: NearestPlan?,
                     _ context: ExecutionContext) throws -> QueryResult {
        let nearest = context.statistics == nil ? nearest : nil
        guard let stream = rowStream.take() else {
            let rows = try nearest?.materialize(context, for: .result) ?? PlanExecutor.materialize(plan, context, for: .result)
            return QueryResult(columns: columns, rows: rows, commandTag: Self.selectTag(rows.count))
        }
        try stream.columns(columns)
        var count = 0
        let printer = EnumValues.rowPrinter(columns)
        func streamed(_ row: [Value]) throws -> Bool {
            try context.checkCancel()
            try stream.row(printer.map { $0(row) } ?? row)
            count += 1
            return true
        }
        if let nearest, try nearest.forEachResultRow(context, streamed) {
            return QueryResult(columns: columns, commandTag: Self.selectTag(count))
        }
        try PlanExecutor.run(plan, context, streamed)
        return QueryResult(columns: columns, commandTag: Self.selectTag(count))
    }

    /// A SELECT's command tag: up to `selectTags.count - 1` rows (a point lookup's, a k-NN
    /// query's) without formatting a number (109 of the 5,537 samples a prepared k-NN query
    /// spent outside the index search went to `SELECT 10`). Up to 10 rows the tag is a
    /// literal: the table's lazy initialisation is checked at each read (`swift_once`, a call
    /// on Linux), and with it the tag was 109 of the 3,654 samples a prepared k-NN query
    /// spent outside the search at 20,000 × 128.
    static func selectTag(_ count: Int) -> String {
        switch count {
        case 0: "SELECT 0"
        case 1: "SELECT 1"
        case 2: "SELECT 2"
        case 3: "SELECT 3"
        case 4: "SELECT 4"
        case 5: "SELECT 5"
        case 6: "SELECT 6"
        case 7: "SELECT 7"
        case 8: "SELECT 8"
        case 9: "SELECT 9"
        case 10: "SELECT 10"
        default: count >= 0 && count < selectTags.count ? selectTags[count] : "SELECT \(count)"
        }
    }

    private static let selectTags = (0...100).map { "SELECT \($0)" }

    /// CREATE SCHEMA: IF NOT EXISTS of a fixed schema does nothing, as migration tools send it
    /// (Prisma's `CREATE SCHEMA IF NOT EXISTS "public"`); a new schema is not supported.
    private func createSchema(_ statement: CreateSchema) throws -> QueryResult {
        guard SystemCatalog.fixedSchemas.contains(statement.name) else {
            throw VireoError(.featureNotSupported, "CREATE SCHEMA \"\(statement.name)\" is not supported: Vireo keeps every table, view and sequence in the schema \"public\"",
                             hint: "Create the objects without a schema, or with public. before their names.")
        }
        guard statement.ifNotExists else { throw VireoError(.duplicateSchema, "schema \"\(statement.name)\" already exists") }
        raise(.skippedExisting("schema", statement.name, sqlState: "42P06"))
        return QueryResult(commandTag: "CREATE SCHEMA")
    }

    /// DROP SCHEMA: IF EXISTS of a schema that does not exist does nothing; a fixed schema
    /// cannot be dropped.
    private func dropSchemas(_ statement: DropSchema) throws -> QueryResult {
        for name in statement.names {
            if SystemCatalog.fixedSchemas.contains(name) {
                throw VireoError(.featureNotSupported, "cannot drop schema \"\(name)\": Vireo's schemas are fixed")
            }
            if !statement.ifExists { throw VireoError(.invalidSchemaName, "schema \"\(name)\" does not exist") }
            raise(.skippedMissing("schema", name))
        }
        return QueryResult(commandTag: "DROP SCHEMA")
    }

    /// `CREATE EXTENSION vector` (pgvector's), "uuid-ossp" and pgcrypto are accepted: their
    /// types and functions are built in (Functions.builtInExtensions).
    private func createExtension(_ statement: CreateExtension) throws -> QueryResult {
        guard Functions.builtInExtensions.contains(statement.name) else {
            let names = Functions.builtInExtensions.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw VireoError(.undefinedObject, "extension \"\(statement.name)\" is not available (only \(names), which are built in)")
        }
        return QueryResult(commandTag: "CREATE EXTENSION")
    }

    private func show(_ name: String?) throws -> QueryResult {
        if name == "transaction_isolation" || name == "transaction_read_only" {
            let readOnly = (inTransactionBlock ? blockModes.readOnly : nil) ?? defaultTransactionModes.readOnly ?? false
            let value = name == "transaction_isolation" ? isolationLevel.rawValue : (readOnly ? "on" : "off")
            return QueryResult(columns: [ResultColumn(name: name!, type: .text)], rows: [[.text(value)]], commandTag: "SHOW")
        }
        guard let name else {
            let rows = settings.all.map { [Value.text($0.0), .text($0.1)] }
            return QueryResult(columns: [ResultColumn(name: "name", type: .text), ResultColumn(name: "setting", type: .text)],
                               rows: rows, commandTag: "SHOW")
        }
        guard let value = settings.value(name) else {
            throw VireoError(.undefinedObject, "unrecognized configuration parameter \"\(name)\"")
        }
        return QueryResult(columns: [ResultColumn(name: Settings.columnName(name), type: .text)], rows: [[.text(value)]], commandTag: "SHOW")
    }
}

/// `Session.executeImmediately` met a statement that is not a bounded read (or a search
/// that would have to wait or run long): it runs on an engine thread instead.
struct NotABoundedRead: Error {}

/// The plan of a prepared query or INSERT, for one schema version. A plan made for its
/// parameters' values (a custom plan, PlanParameters) is not kept: the next execution plans again.
public final class PlanCache: @unchecked Sendable {
    private let lock = Lock()
    private var entry: (version: UInt64, plan: QueryPlan)?
    private var insertEntry: (version: UInt64, plan: InsertPlan)?
    /// The types the statement's `$1`, `$2` … were declared with (PREPARE's list, a pgwire
    /// Parse's OIDs; `unknown` where the use decides): every run, plan and description of
    /// the statement binds them so (`Session.withDeclaredParameterTypes`).
    public let parameterTypes: [SQLType]

    /// An empty cache; the first execution fills it.
    public init(parameterTypes: [SQLType] = []) {
        self.parameterTypes = parameterTypes
    }

    /// `make` gives the plan and whether it holds for any parameter values.
    func plan(for version: UInt64, make: () throws -> (QueryPlan, generic: Bool)) throws -> QueryPlan {
        if let entry = lock.withLock({ entry }), entry.version == version { return entry.plan }
        let (plan, generic) = try make()
        if generic { lock.withLock { entry = (version, plan) } }
        return plan
    }

    func insertPlan(for version: UInt64, make: () throws -> InsertPlan) throws -> InsertPlan {
        if let entry = lock.withLock({ insertEntry }), entry.version == version { return entry.plan }
        let plan = try make()
        if plan.isReusable { lock.withLock { insertEntry = (version, plan) } }
        return plan
    }
}

/// The plan a session's last prepared statement ran with, and the `PlanCache` and schema
/// version it came from: the next execution of the same statement takes it without the
/// cache's lock. Only plans the cache keeps (for any parameter values) are remembered;
/// a plan is valid for its schema version whichever session runs it.
struct PlanMemo {
    let cache: PlanCache
    let version: UInt64
    var query: QueryPlan?
    var insert: InsertPlan?

    /// The remembered query plan if it is `cache`'s for `version`. Asked through the
    /// session's optional in place (`planMemo?.queryPlan(…)`): `if let memo = planMemo`
    /// copied the memo, retaining and releasing each of its references, per execution.
    func queryPlan(of cache: PlanCache, version: UInt64) -> QueryPlan? {
        self.cache === cache && self.version == version ? query : nil
    }

    /// The remembered INSERT plan if it is `cache`'s for `version` (as `queryPlan`).
    func insertPlan(of cache: PlanCache, version: UInt64) -> InsertPlan? {
        self.cache === cache && self.version == version ? insert : nil
    }
}

/// A query's plan and result columns, and whether the plan is a bounded read
/// (`PlanNode.isBoundedRead`): worked out once per plan, as a prepared point select that
/// a server's event loop answers asks it at each execution (1.4% of that loop's CPU).
/// A nearest-neighbour query's parts are kept as one object (`NearestPlan`), made with the
/// plan and dropped with it when the schema changes.
struct QueryPlan {
    let plan: PlanNode
    let columns: [ResultColumn]
    let isBoundedRead: Bool
    let nearest: NearestPlan?
    /// Whether a column is of an enum type, whose values an embedded caller gets as labels:
    /// asked once with the plan (asked of the columns at each execution, it was 41 of the 774
    /// samples a prepared k-NN query spent outside the index search).
    let hasEnumColumns: Bool

    init(_ bound: (PlanNode, [ResultColumn])) {
        (plan, columns) = bound
        isBoundedRead = plan.isBoundedRead
        nearest = NearestPlan(resultOf: plan)
        hasEnumColumns = columns.contains { EnumValues.needsPrinting($0.type) }
    }
}
