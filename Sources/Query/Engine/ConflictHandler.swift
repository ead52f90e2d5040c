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
            guard let index = table.indexes.first(where: { $0.isUnique && Set($0.columns) == Set(onConflict.columns) }) else {
                throw VireoError(.invalidParameter, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
            }
            checksRowID = false
            indexes = [index]
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
            let values = index.columns.compactMap { table.columnIndex($0).map { row[$0] } }
            if values.contains(where: \.isNull) { continue }
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
