import VireoStorage

/// What one row's UPDATE needs from its statement: UPDATE's, or a MERGE's WHEN MATCHED …
/// UPDATE. Both write through `Session.updateRow`, so that a row changed either way keeps
/// its generated columns, constraints, keys and indexes consistent alike.
struct RowUpdate {
    let table: TableDefinition
    /// Per assignment: the table column and its value, over the statement's joined row.
    let assignments: [(Int, BoundExpression)]
    let generated: GeneratedColumns
    let keys: ForeignKeyEnforcer?
    /// The view written through, whose WITH CHECK OPTION the new row must pass.
    let through: UpdatableView?
    /// The table's UPDATE triggers for this statement (nil: none fire).
    var triggers: StatementTriggers? = nil
}

extension Session {
    /// One row's UPDATE, as UPDATE and MERGE make it. `old` is the row as read (its columns,
    /// then its row id); `joined` the row the assignments read. In order: the assignments,
    /// generated columns and CHECK constraints, a view's WITH CHECK OPTION, the row lock, the
    /// store (NOT NULL, unique keys), the vector indexes, the foreign keys. The new row
    /// followed by its row id; nil when the row is gone.
    func updateRow(_ update: RowUpdate, old: [Value], joined: [Value], _ transaction: StoreTransaction,
                   _ context: ExecutionContext) throws -> [Value]? {
        let table = update.table
        let rowID = Self.rowID(of: old)
        var row = Array(old.dropLast())
        for (position, expression) in update.assignments {
            row[position] = try Cast.assign(Evaluator.evaluate(expression, joined, context), to: table.columns[position].type)
        }
        if let triggers = update.triggers {
            guard let changed = try triggers.rowStarts(old: Array(old.dropLast()), new: row) else { return nil }
            row = try Self.triggerChanged(changed, table, nil, context)
        }
        try update.generated.fill(&row, context: context)
        try update.through?.checkRow(row + [.int(rowID)], context)
        try lockForChange(table.name, rowID: rowID, deleting: false, context)
        guard let newRowID = try transaction.update(table.name, rowID: rowID, to: row) else { return nil }
        if newRowID != rowID || Self.changesIndexedVector(table, old: old, new: row) {
            try noteVectorChange(table, rowID: rowID, transaction)
            if newRowID != rowID { try noteVectorChange(table, rowID: newRowID, transaction) }
        }
        if let column = table.rowIDColumn { row[column] = .int(newRowID) }
        try update.keys?.updated(table, old: Array(old.dropLast()), new: row, rowID: newRowID)
        update.triggers?.rowWritten(old: Array(old.dropLast()), new: row)
        row.append(.int(newRowID))
        return row
    }

    /// One row's DELETE, as DELETE and MERGE make it: the row lock, the store, the vector
    /// indexes, the foreign keys (`keys` nil for TRUNCATE). False when the row is gone.
    func deleteRow(_ table: TableDefinition, rowID: Int64, keys: ForeignKeyEnforcer?, _ transaction: StoreTransaction,
                   _ context: ExecutionContext) throws -> Bool {
        try lockForChange(table.name, rowID: rowID, deleting: true, context)
        guard let removed = try transaction.delete(from: table.name, rowID: rowID) else { return false }
        try noteVectorChange(table, rowID: rowID, transaction)
        try keys?.deleted(table, old: removed)
        return true
    }
}
