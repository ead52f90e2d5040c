import VireoStorage

extension Session {
    // MARK: INSERT

    func insert(_ statement: Insert, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        let table = try transaction.catalog.changedTable(statement.table.name, verb: "insert into")
        let binder = makeBinder(transaction.catalog)
        try bindWith(statement.with, binder, transaction, parameters)
        let targets = try targetColumns(statement.columns, table)
        let context = self.context(.transaction(transaction), parameters)
        let sourceRows = try insertRows(statement.source, targets: targets, table: table, binder: binder, context: context)
        let conflict = try statement.onConflict.map { try ConflictHandler(onConflict: $0, table: table, alias: statement.alias, binder: binder) }
        let returning = try ReturningList(statement.returning, table: table, alias: statement.alias, binder: binder)
        var returned: [[Value]] = []
        var count = 0
        var touched = Set<Int64>()
        let defaults = try table.columns.map { try TableBuilder.defaultExpression($0, catalog: transaction.catalog) }
        let generated = try GeneratedColumns(table, catalog: transaction.catalog)
        let keys = foreignKeyEnforcer(table, transaction, context)
        for partial in sourceRows {
            try context.checkCancel()
            var row = try completeRow(partial, table: table, defaults: defaults, transaction: transaction, context: context)
            try generated.fill(&row, context: context)
            if let conflict, let existing = try conflict.conflictingRow(row, transaction) {
                guard touched.insert(existing).inserted || conflict.isDoNothing else {
                    throw VireoError(.cardinalityViolation, "ON CONFLICT DO UPDATE command cannot affect row a second time")
                }
                let before = try keys == nil ? nil : transaction.row(table, rowID: existing)
                guard let updated = try conflict.resolve(existing: existing, proposed: row, transaction: transaction, context: context) else { continue }
                if let keys, let before, let after = try transaction.row(transaction.catalog.table(table.name), rowID: updated) {
                    try keys.updated(table, old: before, new: after, rowID: updated)
                }
                try noteVectorChange(table, rowID: existing, transaction)
                if updated != existing {
                    touched.insert(updated)
                    try noteVectorChange(table, rowID: updated, transaction)
                }
                if let row = try transaction.row(transaction.catalog.table(table.name), rowID: updated) {
                    try returning.collect(row + [.int(updated)], context, into: &returned)
                }
                count += 1
                continue
            }
            let rowID = try transaction.insert(into: table.name, row: row)
            touched.insert(rowID)
            try noteVectorChange(table, rowID: rowID, transaction)
            var stored = row
            if let column = table.rowIDColumn { stored[column] = .int(rowID) }
            keys?.inserted(table, row: stored, rowID: rowID)
            try returning.collect(stored + [.int(rowID)], context, into: &returned)
            count += 1
        }
        try keys?.finish()
        return QueryResult(columns: returning.columns, rows: returned, commandTag: "INSERT 0 \(count)")
    }

    private func targetColumns(_ names: [String], _ table: TableDefinition) throws -> [Int] {
        if names.isEmpty { return Array(table.columns.indices) }
        var seen = Set<String>()
        return try names.map { name in
            guard let position = table.columnIndex(name) else {
                throw VireoError(.undefinedColumn, "column \"\(name)\" of relation \"\(table.name)\" does not exist")
            }
            guard seen.insert(name).inserted else { throw VireoError(.syntaxError, "column \"\(name)\" specified more than once") }
            return position
        }
    }

    /// The inserted rows, one value or nil (DEFAULT / not given) per table column.
    private func insertRows(_ source: InsertSource, targets: [Int], table: TableDefinition, binder: Binder,
                            context: ExecutionContext) throws -> [[Value?]] {
        let width = table.columns.count
        switch source {
        case .defaultValues:
            return [Array(repeating: nil, count: width)]
        case .values(let rows):
            if let first = rows.first, rows.contains(where: { $0.count != first.count }) {
                throw VireoError(.syntaxError, "VALUES lists must all be the same length")
            }
            return try rows.map { values in
                try context.checkCancel()
                guard values.count <= targets.count else {
                    throw VireoError(.syntaxError, "INSERT has more expressions than target columns")
                }
                var row = [Value?](repeating: nil, count: width)
                for (value, position) in zip(values, targets) {
                    guard case .expression(let expression) = value else { continue }
                    try GeneratedColumns.refuseValue(for: table.columns[position])
                    let type = SQLType(table.columns[position].type)
                    let bound = try binder.coerce(binder.bind(expression, Scope()), to: type)
                    row[position] = try Cast.assign(Evaluator.evaluate(bound, [], context), to: table.columns[position].type)
                }
                return row
            }
        case .query(let query):
            let (plan, columns) = try binder.bindQuery(query)
            guard columns.count <= targets.count else { throw VireoError(.syntaxError, "INSERT has more expressions than target columns") }
            for position in targets.prefix(columns.count) { try GeneratedColumns.refuseValue(for: table.columns[position]) }
            var rows: [[Value?]] = []
            try PlanExecutor.run(plan, context) { values in
                var row = [Value?](repeating: nil, count: width)
                for (value, position) in zip(values, targets) {
                    row[position] = try Cast.assign(value, to: table.columns[position].type)
                }
                try context.workMemory.charge(values, for: .changedRows)
                rows.append(row)
                return true
            }
            return rows
        }
    }

    /// Fills absent values from defaults and sequences.
    private func completeRow(_ partial: [Value?], table: TableDefinition, defaults: [BoundExpression],
                             transaction: StoreTransaction, context: ExecutionContext) throws -> [Value] {
        try partial.enumerated().map { position, value in
            if let value { return value }
            let column = table.columns[position]
            if column.isSerial {
                return .int(try transaction.nextSequenceValue(StoreTransaction.sequenceName(table: table.name, column: column.name)))
            }
            return try Cast.assign(Evaluator.evaluate(defaults[position], [], context), to: column.type)
        }
    }

    /// The statement's FOREIGN KEY enforcer, when changes to `table` can matter to one.
    func foreignKeyEnforcer(_ table: TableDefinition, _ transaction: StoreTransaction, _ context: ExecutionContext) -> ForeignKeyEnforcer? {
        guard ForeignKeyEnforcer.applies(to: table.name, transaction.catalog) else { return nil }
        return ForeignKeyEnforcer(transaction, context) { [self] table, rowID in try noteVectorChange(table, rowID: rowID, transaction) }
    }

    func noteVectorChange(_ table: TableDefinition, rowID: Int64, _ transaction: StoreTransaction) throws {
        for name in try transaction.noteVectorChange(table: table.name, rowID: rowID) {
            pendingVectorChanges[name, default: []].insert(rowID)
        }
    }

    // MARK: UPDATE and DELETE

    func update(_ statement: Update, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        let table = try transaction.catalog.changedTable(statement.table.name, verb: "update")
        let binder = makeBinder(transaction.catalog)
        try bindWith(statement.with, binder, transaction, parameters)
        let (source, scope) = try changeSource(table, alias: statement.alias, joining: statement.from, binder)
        let assignments = try statement.assignments.map { assignment -> (Int, BoundExpression) in
            guard let position = table.columnIndex(assignment.column) else {
                throw VireoError(.undefinedColumn, "column \"\(assignment.column)\" of relation \"\(table.name)\" does not exist")
            }
            guard case .expression(let expression) = assignment.value else {
                return (position, try TableBuilder.defaultExpression(table.columns[position], catalog: transaction.catalog))
            }
            try GeneratedColumns.refuseValue(for: table.columns[position], updating: true)
            return (position, try binder.coerce(binder.bind(expression, scope), to: SQLType(table.columns[position].type)))
        }
        let generated = try GeneratedColumns(table, catalog: transaction.catalog)
        let context = self.context(.transaction(transaction), parameters)
        let targets = try matchingRows(table, source, scope, statement.whereClause, binder, context)
        let returning = try ReturningList(statement.returning, scope: scope, binder: binder)
        var returned: [[Value]] = []
        let width = table.columns.count + 1
        let keys = foreignKeyEnforcer(table, transaction, context)
        for joined in targets {
            try context.checkCancel()
            let old = Array(joined.prefix(width))
            let rowID = Self.rowID(of: old)
            var row = Array(old.dropLast())
            for (position, expression) in assignments {
                row[position] = try Cast.assign(Evaluator.evaluate(expression, joined, context), to: table.columns[position].type)
            }
            try generated.fill(&row, context: context)
            try lockForChange(table.name, rowID: rowID, deleting: false, context)
            guard let newRowID = try transaction.update(table.name, rowID: rowID, to: row) else { continue }
            if newRowID != rowID || Self.changesIndexedVector(table, old: old, new: row) {
                try noteVectorChange(table, rowID: rowID, transaction)
                if newRowID != rowID { try noteVectorChange(table, rowID: newRowID, transaction) }
            }
            if let column = table.rowIDColumn { row[column] = .int(newRowID) }
            try keys?.updated(table, old: Array(old.dropLast()), new: row, rowID: newRowID)
            try returning.collect(row + [.int(newRowID)] + joined.dropFirst(width), context, into: &returned)
        }
        try keys?.finish()
        return QueryResult(columns: returning.columns, rows: returned, commandTag: "UPDATE \(targets.count)")
    }

    /// DELETE; `enforcingKeys` is false only for TRUNCATE, which empties every table that
    /// references the ones it empties.
    func delete(_ statement: Delete, _ transaction: StoreTransaction, _ parameters: [Value], enforcingKeys: Bool = true) throws -> QueryResult {
        let table = try transaction.catalog.changedTable(statement.table.name, verb: "delete from")
        let binder = makeBinder(transaction.catalog)
        try bindWith(statement.with, binder, transaction, parameters)
        let (source, scope) = try changeSource(table, alias: statement.alias, joining: statement.using, binder)
        let context = self.context(.transaction(transaction), parameters)
        let targets = try matchingRows(table, source, scope, statement.whereClause, binder, context)
        let returning = try ReturningList(statement.returning, scope: scope, binder: binder)
        var returned: [[Value]] = []
        let keys = enforcingKeys ? foreignKeyEnforcer(table, transaction, context) : nil
        for row in targets {
            try context.checkCancel()
            let rowID = Self.rowID(of: Array(row.prefix(table.columns.count + 1)))
            try lockForChange(table.name, rowID: rowID, deleting: true, context)
            guard let removed = try transaction.delete(from: table.name, rowID: rowID) else { continue }
            try noteVectorChange(table, rowID: rowID, transaction)
            try keys?.deleted(table, old: removed)
            try returning.collect(row, context, into: &returned)
        }
        try keys?.finish()
        return QueryResult(columns: returning.columns, rows: returned, commandTag: "DELETE \(targets.count)")
    }

    /// The rows an UPDATE or DELETE reads: the table's, joined to the entries of its FROM
    /// (UPDATE) or USING (DELETE) list, whose columns follow the table's in the scope.
    private func changeSource(_ table: TableDefinition, alias: String?, joining entries: [TableReference],
                              _ binder: Binder) throws -> (PlanNode, Scope) {
        var scope = Scope()
        scope.addTable(table, alias: alias)
        let scan = PlanNode.seqScan(TableScan(table: table, filter: nil, reason: "no usable index"))
        guard !entries.isEmpty else { return (scan, scope) }
        let (joined, joinedScope) = try binder.bindFrom(entries)
        if let name = joinedScope.entries.first(where: { $0.name == alias ?? table.name })?.name {
            throw VireoError(.duplicateAlias, "table name \"\(name)\" specified more than once")
        }
        scope.append(joinedScope)
        return (.nestedLoopJoin(scan, joined, JoinSpec(kind: .inner, condition: nil, rightWidth: joinedScope.width)), scope)
    }

    /// The rows a WHERE clause selects, read in full before any is changed: the table's
    /// columns and row id, then the joined entries' columns. A row that several joined rows
    /// match is changed once, with the first of them (PostgreSQL leaves which one open).
    private func matchingRows(_ table: TableDefinition, _ source: PlanNode, _ scope: Scope, _ whereClause: SQLExpression?,
                              _ binder: Binder, _ context: ExecutionContext) throws -> [[Value]] {
        let predicate = try whereClause.map { try binder.coerce(binder.bind($0, scope), to: .bool) }
        let plan = try AccessPath.choose(source, scope: scope, whereClause: predicate, order: [], query: nil, binder: binder, distinct: false)
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
    init(_ selectItems: [SelectItem], scope: Scope, binder: Binder) throws {
        items = try binder.selectItems(selectItems, scope)
    }

    var columns: [ResultColumn] { items.map { ResultColumn(name: $0.name, type: $0.type) } }

    func collect(_ row: [Value], _ context: ExecutionContext, into rows: inout [[Value]]) throws {
        guard !items.isEmpty else { return }
        let returned = try items.map { try Evaluator.evaluate($0.expression, row, context) }
        try context.workMemory.charge(returned, for: .result)
        rows.append(returned)
    }
}
