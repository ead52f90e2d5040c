import VireoStorage

/// INSERT … ON CONFLICT: finds the existing row a new row collides with, and skips it
/// (DO NOTHING) or updates it (DO UPDATE SET …, with `excluded.col` the proposed row).
struct ConflictHandler {
    let table: TableDefinition
    let action: OnConflict.Action
    /// Key columns checked: the row-id column and/or unique indexes.
    let checksRowID: Bool
    let indexes: [IndexDefinition]
    let assignments: [(Int, BoundExpression)]
    let condition: BoundExpression?

    init(onConflict: OnConflict, table: TableDefinition, alias: String?, binder: Binder) throws {
        self.table = table
        action = onConflict.action
        let rowIDName = table.rowIDColumn.map { table.columns[$0].name }
        if onConflict.columns.isEmpty {
            if case .doUpdate = onConflict.action {
                throw VireoError(.syntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
            }
            checksRowID = rowIDName != nil
            indexes = table.indexes.filter { $0.isUnique && $0.isBTree }
        } else if onConflict.columns == [rowIDName] {
            checksRowID = true
            indexes = []
        } else {
            checksRowID = false
            indexes = [try Self.inferredIndex(onConflict, table: table)]
        }
        var scope = Scope()
        scope.addTable(table, alias: alias)
        scope.addTable(table, alias: "excluded")
        if case .doUpdate(let sets, let whereClause) = onConflict.action {
            assignments = try sets.map { assignment in
                guard let position = table.columnIndex(assignment.column) else {
                    throw VireoError(.undefinedColumn, "column \"\(assignment.column)\" of relation \"\(table.name)\" does not exist")
                }
                guard case .expression(let expression) = assignment.value else { return (position, .constant(.null)) }
                return (position, try binder.coerce(binder.bind(expression, scope), to: SQLType(table.columns[position].type)))
            }
            condition = try whereClause.map { try binder.coerce(binder.bind($0, scope), to: .bool) }
        } else {
            assignments = []
            condition = nil
        }
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
    func resolve(existing: Int64, proposed: [Value], transaction: StoreTransaction, context: ExecutionContext) throws -> Int64? {
        guard case .doUpdate = action, let old = try transaction.row(table, rowID: existing) else { return nil }
        let combined = old + [.int(existing)] + proposed + [.int(existing)]
        if let condition, !(try Evaluator.holds(condition, combined, context)) { return nil }
        var row = old
        for (position, expression) in assignments {
            row[position] = try Cast.assign(Evaluator.evaluate(expression, combined, context), to: table.columns[position].type)
        }
        try GeneratedColumns(table, catalog: transaction.catalog).fill(&row, context: context)
        return try transaction.update(table.name, rowID: existing, to: row)
    }
}
