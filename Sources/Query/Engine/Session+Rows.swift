import VireoStorage

extension Session {
    // MARK: INSERT

    /// INSERT, planned for this execution.
    func insert(_ statement: Insert, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        try insert(planned: makeInsertPlan(statement, transaction, parameters), transaction, parameters)
    }

    /// A prepared INSERT (`body` is one): the plan is made once per schema version, and
    /// the statement's tree is only read when it is made. Taking the `Insert` out of the
    /// statement for each execution copied it (a few dozen references retained and
    /// released, a tenth of a one-row INSERT's time).
    func insert(prepared body: StatementBody, _ transaction: StoreTransaction, _ parameters: [Value], cache: PlanCache) throws -> QueryResult {
        let version = transaction.catalog.version
        if let plan = planMemo?.insertPlan(of: cache, version: version) { return try insert(planned: plan, transaction, parameters) }
        let plan = try cache.insertPlan(for: version) {
            guard case .insert(let statement) = body else { throw VireoError(.internalError, "a prepared INSERT that is not an INSERT") }
            return try makeInsertPlan(statement, transaction, parameters)
        }
        // The cache keeps only reusable plans; so does the session's memo.
        planMemo = plan.isReusable ? PlanMemo(cache: cache, version: version, insert: plan) : nil
        return try insert(planned: plan, transaction, parameters)
    }

    /// Runs an INSERT's plan: evaluates its rows and stores them. A row of parameters sent
    /// as values of their columns' kinds, into a table that asks nothing more of it, is
    /// stored without a context: reusing and releasing the session's context, making its
    /// row locker and copying the plan's parts were a fifth of such an INSERT's time.
    private func insert(planned plan: InsertPlan, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        if let row = plan.rowStoredAsSent(parameters) {
            try statementCancel.check()
            _ = try storeNewRow(row, plan.table, notesVectorChanges: plan.notesVectorChanges, transaction)
            return QueryResult(commandTag: "INSERT 0 1")
        }
        return try withContext(.transaction(transaction), parameters) { try insert(planned: plan, transaction, $0) }
    }

    private func insert(planned plan: InsertPlan, _ transaction: StoreTransaction, _ context: ExecutionContext) throws -> QueryResult {
        // The plan's table is read where it is used: a copy of the definition retained and
        // released each of its references at every execution.
        var sourceRows = try plan.sourceRows(context)
        var returned: [[Value]] = []
        var count = 0
        var touched = Set<Int64>()
        let keys = plan.checksForeignKeys ? foreignKeyEnforcer(transaction, context) : nil
        // What every row asks of the plan, read once: each read of the plan's parts per row
        // retained and released them (the generated columns hold the table's definition),
        // and the table, generated columns and ON CONFLICT, structs, were copied per row.
        let table = plan.table
        let generated = plan.generated.isEmpty ? nil : plan.generated
        let conflictHandler = plan.conflict
        let notesVectorChanges = plan.notesVectorChanges
        let triggers = try StatementTriggers(self, table, event: "insert", transaction)
        let updateTriggers = try conflictHandler?.updateTriggers(self, transaction)
        let readsStoredRow = plan.through != nil || keys != nil || !plan.returning.items.isEmpty || triggers != nil
        try triggers?.statementStarts()
        try updateTriggers?.statementStarts()
        for index in sourceRows.indices {
            try context.checkCancel()
            // Taken out of the list, so that filling it in does not copy it.
            var row: [Value] = []
            swap(&row, &sourceRows[index])
            try fillNewRow(&row, absent: plan.absentPositions(row: index), table: table, defaults: plan.defaults,
                           generated: generated, transaction, context)
            if let domainChecks = plan.domainChecks {
                for check in domainChecks { _ = try Evaluator.evaluate(check, row, context) }
            }
            if let triggers {
                guard let changed = try triggers.rowStarts(old: nil, new: row) else { continue }
                row = try Self.triggerChanged(changed, table, generated, context)
            }
            if let conflict = conflictHandler, let existing = try conflict.conflictingRow(row, transaction) {
                guard touched.insert(existing).inserted || conflict.isDoNothing else {
                    throw VireoError(.cardinalityViolation, "ON CONFLICT DO UPDATE command cannot affect row a second time")
                }
                let before = try keys == nil ? nil : transaction.row(plan.table, rowID: existing)
                guard let updated = try conflict.resolve(existing: existing, proposed: row, transaction: transaction, context: context,
                                                         triggers: updateTriggers) else { continue }
                if let keys, let before, let after = try transaction.row(transaction.catalog.table(plan.table.name), rowID: updated) {
                    try keys.updated(plan.table, old: before, new: after, rowID: updated)
                }
                try noteVectorChange(plan.table, rowID: existing, transaction)
                if updated != existing {
                    touched.insert(updated)
                    try noteVectorChange(plan.table, rowID: updated, transaction)
                }
                if let row = try transaction.row(transaction.catalog.table(plan.table.name), rowID: updated) {
                    try plan.through?.checkRow(row + [.int(updated)], context)
                    try plan.returning.collect(row + [.int(updated)], context, into: &returned)
                }
                count += 1
                continue
            }
            let rowID = try storeNewRow(row, table, notesVectorChanges: notesVectorChanges, transaction)
            // Only ON CONFLICT DO UPDATE asks which rows the statement touched.
            if conflictHandler != nil { touched.insert(rowID) }
            count += 1
            // The row as stored, only for what reads it: copying it and appending the row id
            // cost every plain INSERT two arrays a row.
            guard readsStoredRow else { continue }
            let stored = Self.storedRow(row, table, rowID: rowID)
            try plan.through?.checkRow(stored + [.int(rowID)], context)
            keys?.inserted(table, row: stored, rowID: rowID)
            try plan.returning.collect(stored + [.int(rowID)], context, into: &returned)
            triggers?.rowWritten(old: nil, new: stored)
        }
        try keys?.finish()
        try updateTriggers?.statementEnds()
        try triggers?.statementEnds()
        // A prepared INSERT of one row formatted its tag at every execution (1% of its time).
        return QueryResult(columns: plan.returning.columns, rows: returned, commandTag: count == 1 ? "INSERT 0 1" : "INSERT 0 \(count)")
    }

    /// The statement's plan (`PlanCache` keeps it unless `InsertPlan.isReusable` says
    /// otherwise, as for a statement with a WITH clause). A WITH clause runs its
    /// data-modifying entries here, before binding, at every execution.
    private func makeInsertPlan(_ statement: Insert, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> InsertPlan {
        let binder = makeBinder(transaction.catalog)
        try bindWith(statement.with, binder, transaction, parameters)
        return try InsertPlan(statement, catalog: transaction.catalog, binder: binder)
    }

    /// A new row as INSERT and MERGE's INSERT store it: the `absent` columns from their
    /// defaults and sequences, then the generated columns and CHECK constraints (`generated`
    /// nil when the table has neither).
    @inline(__always)
    func fillNewRow(_ row: inout [Value], absent: [Int], table: TableDefinition, defaults: [BoundExpression], generated: GeneratedColumns?,
                    _ transaction: StoreTransaction, _ context: ExecutionContext) throws {
        if !absent.isEmpty {
            try completeRow(&row, absent: absent, table: table, defaults: defaults, transaction: transaction, context: context)
        }
        try generated?.fill(&row, context: context)
    }

    /// A row as a BEFORE trigger returned it: each value in its column's type, then the
    /// generated columns and CHECK constraints, which come after the triggers.
    static func triggerChanged(_ row: [Value], _ table: TableDefinition, _ generated: GeneratedColumns?,
                               _ context: ExecutionContext) throws -> [Value] {
        var row = try zip(row, table.columns).map { try Cast.assign($0, to: $1.type) }
        try generated?.fill(&row, context: context)
        return row
    }

    /// Stores a new row (the store checks NOT NULL and unique keys) and notes it for the
    /// table's vector indexes; its row id.
    @inline(__always)
    func storeNewRow(_ row: [Value], _ table: TableDefinition, notesVectorChanges: Bool, _ transaction: StoreTransaction) throws -> Int64 {
        let rowID = try transaction.insert(into: table, row: row)
        if notesVectorChanges { try noteVectorChange(table, rowID: rowID, transaction) }
        return rowID
    }

    /// A new row as stored: a column that is the row id holds the id the store gave it.
    static func storedRow(_ row: [Value], _ table: TableDefinition, rowID: Int64) -> [Value] {
        guard let column = table.rowIDColumn else { return row }
        var stored = row
        stored[column] = .int(rowID)
        return stored
    }

    /// Fills the `absent` values from defaults and sequences.
    private func completeRow(_ row: inout [Value], absent: [Int], table: TableDefinition, defaults: [BoundExpression],
                             transaction: StoreTransaction, context: ExecutionContext) throws {
        for position in absent {
            let column = table.columns[position]
            if column.isSerial {
                row[position] = .int(try nextval(transaction.catalog.serialSequence(table: table.name, column: column), .transaction(transaction)))
            } else {
                row[position] = try Cast.assign(Evaluator.evaluate(defaults[position], [], context), to: column.type)
            }
        }
    }

    /// The statement's FOREIGN KEY enforcer, when changes to `table` can matter to one.
    func foreignKeyEnforcer(_ table: TableDefinition, _ transaction: StoreTransaction, _ context: ExecutionContext) -> ForeignKeyEnforcer? {
        guard ForeignKeyEnforcer.applies(to: table.name, transaction.catalog) else { return nil }
        return foreignKeyEnforcer(transaction, context)
    }

    /// An enforcer for a statement already known to need one.
    func foreignKeyEnforcer(_ transaction: StoreTransaction, _ context: ExecutionContext) -> ForeignKeyEnforcer {
        ForeignKeyEnforcer(transaction, context, deferred: deferredConstraints) { [self] table, rowID in
            try noteVectorChange(table, rowID: rowID, transaction)
        }
    }

    func noteVectorChange(_ table: TableDefinition, rowID: Int64, _ transaction: StoreTransaction) throws {
        // Most tables have no vector index: no need to ask the store (a catalog look-up a row).
        guard Self.hasVectorIndex(table) else { return }
        try checkSparseIndexLimit(table, rowID: rowID, transaction)
        for name in try transaction.noteVectorChange(table: table.name, rowID: rowID) {
            pendingVectorChanges[name, default: []].insert(rowID)
        }
    }

    /// pgvector's limit on a sparsevec row of an HNSW index, checked as the row is written
    /// (the index itself follows the commit, which must not fail then).
    private func checkSparseIndexLimit(_ table: TableDefinition, rowID: Int64, _ transaction: StoreTransaction) throws {
        for index in table.indexes where index.method == "hnsw" && index.options["type"] == "sparsevec" {
            guard let column = table.columnIndex(index.columns[0]) else { continue }
            let value = try DataAccess.transaction(transaction).withRow(table, rowID: rowID) { record -> Value in
                column < record.columnCount ? try record.value(at: column) : .null
            }
            if let value { try IndexedVector.checkIndexable(value) }
        }
    }

    static func hasVectorIndex(_ table: TableDefinition) -> Bool {
        table.indexes.contains { $0.method == "hnsw" }
    }

    // MARK: UPDATE and DELETE

    func update(_ statement: Update, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        let binder = makeBinder(transaction.catalog, parameters: parameters)
        let through = try UpdatableView.resolve(statement.table, .update, catalog: transaction.catalog, binder: binder)
        let table = try through?.table ?? transaction.catalog.changedTable(statement.table, verb: "update")
        try bindWith(statement.with, binder, transaction, parameters)
        let source = try changeSource(table, alias: statement.alias, joining: statement.from, binder, through: through)
        let scope = source.names
        let assignments = try bindAssignments(statement.assignments, table, scope: scope, binder, through: through)
        let generated = try GeneratedColumns(table, catalog: transaction.catalog)
        let context = self.context(.transaction(transaction), parameters)
        let targets = try matchingRows(table, source, statement.whereClause, binder, context, through: through)
        let returning = try ReturningList(statement.returning, scope: scope, binder: binder, through: through)
        var returned: [[Value]] = []
        let width = table.columns.count + 1
        let keys = foreignKeyEnforcer(table, transaction, context)
        let triggers = try StatementTriggers(self, table, event: "update", assigned: Set(assignments.map(\.0)), transaction)
        let writer = RowUpdate(table: table, assignments: assignments, generated: generated, keys: keys, through: through, triggers: triggers)
        try triggers?.statementStarts()
        var count = 0
        for joined in targets {
            try context.checkCancel()
            guard let row = try updateRow(writer, old: Array(joined.prefix(width)), joined: joined, transaction, context) else { continue }
            count += 1
            try returning.collect(row + joined.dropFirst(width), context, into: &returned)
        }
        try keys?.finish()
        try triggers?.statementEnds()
        return QueryResult(columns: returning.columns, rows: returned, commandTag: "UPDATE \(count)")
    }

    /// DELETE; `enforcingKeys` is false only for TRUNCATE, which empties every table that
    /// references the ones it empties.
    func delete(_ statement: Delete, _ transaction: StoreTransaction, _ parameters: [Value], enforcingKeys: Bool = true) throws -> QueryResult {
        let binder = makeBinder(transaction.catalog, parameters: parameters)
        let through = try UpdatableView.resolve(statement.table, .delete, catalog: transaction.catalog, binder: binder)
        let table = try through?.table ?? transaction.catalog.changedTable(statement.table, verb: "delete from")
        try bindWith(statement.with, binder, transaction, parameters)
        let source = try changeSource(table, alias: statement.alias, joining: statement.using, binder, through: through)
        let context = self.context(.transaction(transaction), parameters)
        let targets = try matchingRows(table, source, statement.whereClause, binder, context, through: through)
        let returning = try ReturningList(statement.returning, scope: source.names, binder: binder, through: through)
        var returned: [[Value]] = []
        let keys = enforcingKeys ? foreignKeyEnforcer(table, transaction, context) : nil
        // TRUNCATE (not `enforcingKeys`) fires no DELETE trigger, as in PostgreSQL.
        let triggers = try enforcingKeys ? StatementTriggers(self, table, event: "delete", transaction) : nil
        try triggers?.statementStarts()
        var count = 0
        for row in targets {
            try context.checkCancel()
            let old = Array(row.prefix(table.columns.count + 1))
            if let triggers, try triggers.rowStarts(old: Array(old.dropLast()), new: nil) == nil { continue }
            guard try deleteRow(table, rowID: Self.rowID(of: old), keys: keys, transaction, context) else { continue }
            count += 1
            triggers?.rowWritten(old: Array(old.dropLast()), new: nil)
            try returning.collect(row, context, into: &returned)
        }
        try keys?.finish()
        try triggers?.statementEnds()
        return QueryResult(columns: returning.columns, rows: returned, commandTag: "DELETE \(count)")
    }

    /// The SET list of an UPDATE or of MERGE's UPDATE, bound over `scope`: per assignment, the
    /// table column and its value (a column's default for DEFAULT), each column set once.
    func bindAssignments(_ assignments: [Assignment], _ table: TableDefinition, scope: Scope, _ binder: Binder,
                         through: UpdatableView?) throws -> [(Int, BoundExpression)] {
        var seen = Set<Int>()
        return try assignments.map { assignment -> (Int, BoundExpression) in
            let position = try through?.tableColumn(named: assignment.column, .update) ?? table.columnIndex(assignment.column)
            guard let position else {
                throw VireoError(.undefinedColumn, "column \"\(assignment.column)\" of relation \"\(table.name)\" does not exist")
            }
            guard seen.insert(position).inserted else {
                throw VireoError(.syntaxError, "multiple assignments to same column \"\(assignment.column)\"")
            }
            guard case .expression(let expression) = assignment.value else {
                return (position, try TableBuilder.defaultExpression(table.columns[position], table: table.name, catalog: binder.catalog))
            }
            try GeneratedColumns.refuseValue(for: table.columns[position], updating: true)
            let bound = Cast.assignedParameter(try binder.assigned(binder.bind(expression, scope), to: table.columns[position], name: assignment.column))
            return (position, try through?.overTable(bound) ?? bound)
        }
    }

    /// What an UPDATE or DELETE reads: the plan, and the scopes over its rows.
    struct ChangeSource {
        var plan: PlanNode
        /// The rows' layout: the table's columns and row id, then the joined entries' columns.
        var layout: Scope
        /// What the statement's expressions name: the table (or the view written through,
        /// whose columns UpdatableView.overTable maps onto the table's), then the joined entries.
        var names: Scope
    }

    /// The rows an UPDATE or DELETE reads: the table's, joined to the entries of its FROM
    /// (UPDATE) or USING (DELETE) list, whose columns follow the table's in the scope.
    private func changeSource(_ table: TableDefinition, alias: String?, joining entries: [TableReference],
                              _ binder: Binder, through: UpdatableView?) throws -> ChangeSource {
        var layout = Scope()
        layout.addTable(table, alias: alias)
        var names = through?.scope(alias: alias) ?? layout
        let scan = PlanNode.seqScan(TableScan(table: table, filter: nil, reason: "no usable index"))
        guard !entries.isEmpty else { return ChangeSource(plan: scan, layout: layout, names: names) }
        let (joined, joinedScope) = try binder.bindFrom(entries)
        if let name = joinedScope.entries.first(where: { $0.name == alias ?? through?.view.name ?? table.visibleName })?.name {
            throw VireoError(.duplicateAlias, "table name \"\(name)\" specified more than once")
        }
        layout.append(joinedScope)
        names.append(joinedScope)
        let plan = PlanNode.nestedLoopJoin(scan, joined, JoinSpec(kind: .inner, condition: nil, rightWidth: joinedScope.width))
        return ChangeSource(plan: plan, layout: layout, names: names)
    }

    /// The rows a WHERE clause selects, read in full before any is changed: the table's
    /// columns and row id, then the joined entries' columns. A row that several joined rows
    /// match is changed once, with the first of them (PostgreSQL leaves which one open).
    /// Through a view, only the rows the view shows.
    private func matchingRows(_ table: TableDefinition, _ source: ChangeSource, _ whereClause: SQLExpression?,
                              _ binder: Binder, _ context: ExecutionContext, through: UpdatableView?) throws -> [[Value]] {
        var predicate = try whereClause.map { try binder.coerce(binder.bind($0, source.names), to: .bool) }
        if let through {
            predicate = BoundExpression.conjunction([through.condition, try predicate.map { try through.overTable($0) }].compactMap { $0 })
        }
        let scope = source.layout
        let plan = try AccessPath.choose(source.plan, scope: scope, whereClause: predicate, order: [], query: nil, binder: binder, distinct: false)
        let rows = try PlanExecutor.materialize(plan, context, for: .changedRows)
        let width = table.columns.count + 1
        guard scope.width > width else { return rows }
        var seen = Set<Int64>()
        return rows.filter { seen.insert(Self.rowID(of: Array($0.prefix(width)))).inserted }
    }

    /// Whether an update changes a column a vector index covers (else the index keeps
    /// the row as it is, and no tombstone accumulates).
    static func changesIndexedVector(_ table: TableDefinition, old: [Value], new: [Value]) -> Bool {
        table.indexes.contains { index in
            guard index.method == "hnsw", let column = index.columns.first.flatMap(table.columnIndex) else { return false }
            return old[column] != new[column]
        }
    }

    static func rowID(of row: [Value]) -> Int64 {
        if case .int(let rowID)? = row.last { return rowID }
        return 0
    }
}

/// A RETURNING list, evaluated on each changed row (its columns, then its row id).
struct ReturningList {
    var items: [Binder.OutputItem]

    init(_ selectItems: [SelectItem], table: TableDefinition, alias: String?, binder: Binder) throws {
        var scope = Scope()
        scope.addTable(table, alias: alias)
        try self.init(selectItems, scope: scope, binder: binder)
    }

    /// Over `scope`: the changed table first, then what an UPDATE … FROM or DELETE … USING joined.
    /// Through a view, `scope` names the view's columns, which are mapped onto the table's row.
    init(_ selectItems: [SelectItem], scope: Scope, binder: Binder, through: UpdatableView? = nil) throws {
        items = try binder.selectItems(selectItems, scope)
        if let through {
            for i in items.indices { items[i].expression = try through.overTable(items[i].expression) }
        }
    }

    /// RETURNING of an INSERT into a view: over the view's columns.
    init(_ selectItems: [SelectItem], through: UpdatableView, alias: String?, binder: Binder) throws {
        try self.init(selectItems, scope: through.scope(alias: alias), binder: binder, through: through)
    }

    var columns: [ResultColumn] { items.map(\.resultColumn) }

    func collect(_ row: [Value], _ context: ExecutionContext, into rows: inout [[Value]]) throws {
        guard !items.isEmpty else { return }
        let returned = try items.map { try Evaluator.evaluate($0.expression, row, context) }
        try context.workMemory.charge(returned, for: .result)
        rows.append(returned)
    }
}
