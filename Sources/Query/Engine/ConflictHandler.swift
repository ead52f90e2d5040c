import VireoStorage

/// INSERT … ON CONFLICT: finds the existing row a new row collides with, and skips it
/// (DO NOTHING) or updates it (DO UPDATE SET …, with `excluded.col` the proposed row). Into
/// an automatically updatable view, as PostgreSQL allows: the target and SET name the view's
/// columns, the base table's unique indexes are the arbiters, and the DO UPDATE expressions
/// read the view's columns of the existing and the proposed row (the view's WHERE does not
/// hide an existing row from the conflict; its CHECK OPTION checks the updated one).
struct ConflictHandler {
    let table: TableDefinition
    let action: OnConflict.Action
    /// Key columns checked: the row-id column and/or unique indexes.
    let checksRowID: Bool
    let indexes: [IndexDefinition]
    let assignments: [(Int, BoundExpression)]
    let condition: BoundExpression?
    /// Through a view: its columns over the table's row (and row id), which the DO UPDATE
    /// expressions read; nil when they read the table's row.
    let viewColumns: [BoundExpression]?

    init(onConflict: OnConflict, table: TableDefinition, through view: UpdatableView? = nil, alias: String?, binder: Binder) throws {
        self.table = table
        action = onConflict.action
        viewColumns = view?.columns
        let targets = try view.map { view in try onConflict.columns.map { try Self.tableColumn($0, of: view, in: nil) } }
            ?? onConflict.columns
        let rowIDName = table.rowIDColumn.map { table.columns[$0].name }
        if let constraint = onConflict.constraint {
            (checksRowID, indexes) = try Self.arbiter(named: constraint, table: table)
        } else if targets.isEmpty {
            if case .doUpdate = onConflict.action {
                throw VireoError(.syntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
            }
            checksRowID = rowIDName != nil
            indexes = table.indexes.filter { $0.isUnique && $0.isBTree }
        } else if targets == [rowIDName] {
            checksRowID = true
            indexes = []
        } else {
            checksRowID = false
            var target = onConflict
            target.columns = targets
            indexes = [try Self.inferredIndex(target, table: table)]
        }
        let scope = Self.scope(table, view, alias: alias)
        if case .doUpdate(let sets, let whereClause) = onConflict.action {
            assignments = try sets.map { assignment in
                let name = try view.map { try Self.tableColumn(assignment.column, of: $0, in: "update") } ?? assignment.column
                guard let position = table.columnIndex(name) else {
                    throw VireoError(.undefinedColumn, "column \"\(assignment.column)\" of relation \"\(table.name)\" does not exist")
                }
                guard case .expression(let expression) = assignment.value else { return (position, .constant(.null)) }
                let bound = try binder.assigned(binder.bind(expression, scope), to: table.columns[position], name: assignment.column)
                return (position, Cast.assignedParameter(bound))
            }
            condition = try whereClause.map { try binder.coerce(binder.bind($0, scope), to: .bool) }
        } else {
            assignments = []
            condition = nil
        }
    }

    /// The existing row under the target's name (or alias), then the proposed one as
    /// `excluded`: the table's columns, or the view's.
    private static func scope(_ table: TableDefinition, _ view: UpdatableView?, alias: String?) -> Scope {
        var scope = Scope()
        guard let view else {
            scope.addTable(table, alias: alias)
            scope.addTable(table, alias: "excluded")
            return scope
        }
        let columns = view.view.columns.map { ResultColumn(name: $0.name, type: SQLType($0.type)) }
        scope.addDerived(name: alias ?? view.view.name, columns: columns)
        scope.addDerived(name: "excluded", columns: columns)
        return scope
    }

    /// The table column a view column is; `verb` names what SET does with it (nil: a
    /// conflict target, which must name a column of the view that is one of the table).
    private static func tableColumn(_ name: String, of view: UpdatableView, in verb: String?) throws -> String {
        guard let position = view.view.columns.firstIndex(where: { $0.name == name }) else {
            let relation = verb == nil ? "" : " of relation \"\(view.view.name)\""
            throw VireoError(.undefinedColumn, "column \"\(name)\"\(relation) does not exist")
        }
        guard case .column(let column) = view.columns[position], column < view.table.columns.count else {
            guard let verb else {
                throw VireoError(.invalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
            }
            throw VireoError(.featureNotSupported, "cannot \(verb) column \"\(name)\" of view \"\(view.view.name)\"",
                             detail: "View columns that are not columns of their base relation are not updatable.")
        }
        return view.table.columns[column].name
    }

    /// `ON CONSTRAINT name`: the primary key (the row-id key, or the `_pkey` index) or a
    /// unique index of that name.
    private static func arbiter(named name: String, table: TableDefinition) throws -> (checksRowID: Bool, indexes: [IndexDefinition]) {
        if let index = table.indexes.first(where: { $0.name == name && $0.isUnique && $0.isBTree }) { return (false, [index]) }
        if name == "\(table.name)_pkey", table.rowIDColumn != nil { return (true, []) }
        throw VireoError(.undefinedObject, "constraint \"\(name)\" for table \"\(table.name)\" does not exist")
    }

    /// The unique index over exactly the target's columns; a partial one only when the
    /// target's WHERE implies its predicate (PostgreSQL's inference), a full one preferred.
    private static func inferredIndex(_ onConflict: OnConflict, table: TableDefinition) throws -> IndexDefinition {
        let candidates = table.indexes.filter {
            $0.isUnique && $0.isBTree && $0.expressions == nil && Set($0.columns) == Set(onConflict.columns)
        }
        if let full = candidates.first(where: { $0.predicate == nil }) { return full }
        if let written = onConflict.targetPredicate {
            let given = try IndexExpressions.bindPredicate(written, table: table).conjuncts
            for index in candidates {
                if let predicate = try IndexExpressions.shared.bound(index, table: table).predicate,
                   AccessPath.implies(given, predicate) { return index }
            }
        }
        throw VireoError(.invalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
    }

    var isDoNothing: Bool {
        if case .doNothing = action { return true }
        return false
    }

    /// The row id of an existing row that `row` collides with, if any.
    func conflictingRow(_ row: [Value], _ transaction: StoreTransaction) throws -> Int64? {
        if checksRowID, let column = table.rowIDColumn, case .int(let rowID) = row[column],
           try transaction.row(table, rowID: rowID) != nil {
            return rowID
        }
        for index in indexes {
            // A partial index's predicate may leave the row out: then it cannot collide there.
            guard let values = try IndexKeys.values(index, table: table, row: row),
                  !values.contains(where: \.isNull) else { continue }
            if let rowID = try transaction.lookupIndex(index, equalTo: values).first { return rowID }
        }
        return nil
    }

    /// Applies the conflict action; returns the updated row's id, or nil when skipped.
    func resolve(existing: Int64, proposed: [Value], transaction: StoreTransaction, context: ExecutionContext,
                 triggers: StatementTriggers? = nil) throws -> Int64? {
        guard case .doUpdate = action, let old = try transaction.row(table, rowID: existing) else { return nil }
        var combined = old + [.int(existing)] + proposed + [.int(existing)]
        if let viewColumns {
            let (oldInput, proposedInput) = (old + [.int(existing)], proposed + [.int(existing)])
            combined = try viewColumns.map { try Evaluator.evaluate($0, oldInput, context) }
                + viewColumns.map { try Evaluator.evaluate($0, proposedInput, context) }
        }
        if let condition, !(try Evaluator.holds(condition, combined, context)) { return nil }
        var row = old
        for (position, expression) in assignments {
            row[position] = try Cast.assign(Evaluator.evaluate(expression, combined, context), to: table.columns[position].type)
        }
        if let triggers {
            guard let changed = try triggers.rowStarts(old: old, new: row) else { return nil }
            row = try Session.triggerChanged(changed, table, nil, context)
        }
        try GeneratedColumns(table, catalog: transaction.catalog).fill(&row, context: context)
        let updated = try transaction.update(table.name, rowID: existing, to: row)
        if updated != nil { triggers?.rowWritten(old: old, new: row) }
        return updated
    }

    /// The UPDATE triggers DO UPDATE fires (statement triggers always, as PostgreSQL fires them
    /// for INSERT … ON CONFLICT DO UPDATE; row triggers per row it updates); nil for DO NOTHING
    /// and for a table without triggers.
    func updateTriggers(_ session: Session, _ transaction: StoreTransaction) throws -> StatementTriggers? {
        guard case .doUpdate = action else { return nil }
        return try StatementTriggers(session, table, event: "update", assigned: Set(assignments.map(\.0)), transaction)
    }
}
