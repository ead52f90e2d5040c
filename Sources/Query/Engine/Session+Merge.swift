import VireoStorage

/// MERGE runs as one statement in its transaction: the join of the source to the target is
/// read in full first (as PostgreSQL reads it under the statement's snapshot), then each of
/// its rows takes the first WHEN clause that applies. Each change goes through the same
/// per-row writes INSERT, UPDATE and DELETE use (Session+RowWrites.swift, Session+Rows.swift),
/// so constraints, generated columns, keys and indexes follow alike; an error anywhere
/// undoes the whole statement, as for any other.
extension Session {
    func merge(_ statement: Merge, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        let binder = makeBinder(transaction.catalog, parameters: parameters)
        try bindWith(statement.with, binder, transaction, parameters)
        let plan = try makeMergePlan(statement, binder)
        let context = self.context(.transaction(transaction), parameters)
        let rows = try PlanExecutor.materialize(plan.join, context, for: .changedRows)
        let keys = foreignKeyEnforcer(plan.table, transaction, context)
        let triggers = try mergeTriggers(plan, transaction)
        for event in ["insert", "update", "delete"] { try triggers[event]?.statementStarts() }
        var changed = Set<Int64>()
        var count = 0
        for joined in rows {
            try context.checkCancel()
            let (old, rowID) = plan.targetRow(of: joined)
            guard let clause = try plan.clause(for: joined, matched: rowID != nil, context) else { continue }
            if case .doNothing = clause.action { continue }
            if let rowID {
                // PostgreSQL's rule: a target row changes at most once per statement.
                guard changed.insert(rowID).inserted else { throw Self.mergeTouchedTwice }
            }
            if let newRowID = try mergeAction(clause.action, plan, old: old, joined: joined, keys: keys, triggers, transaction, context) {
                changed.insert(newRowID)
                count += 1
            }
        }
        try keys?.finish()
        for event in ["insert", "update", "delete"] { try triggers[event]?.statementEnds() }
        return QueryResult(commandTag: "MERGE \(count)")
    }

    /// The table's triggers for each kind of action the MERGE has, as PostgreSQL fires them
    /// (UPDATE OF for a column any of its SET lists names).
    private func mergeTriggers(_ plan: MergePlan, _ transaction: StoreTransaction) throws -> [String: StatementTriggers] {
        guard plan.table.triggerDefinitions != nil else { return [:] }
        let updated = plan.clauses.flatMap { clause -> [Int] in
            guard case .update(let assignments) = clause.action else { return [] }
            return assignments.map(\.0)
        }
        var triggers: [String: StatementTriggers] = [:]
        for clause in plan.clauses {
            let event: String
            switch clause.action {
            case .doNothing: continue
            case .insert: event = "insert"
            case .delete: event = "delete"
            case .update: event = "update"
            }
            if triggers[event] == nil {
                triggers[event] = try StatementTriggers(self, plan.table, event: event, assigned: Set(updated), transaction)
            }
        }
        return triggers
    }

    /// Carries out one clause's action on one joined row; the row id it wrote (the deleted
    /// row's for DELETE), nil when the target row was already gone.
    private func mergeAction(_ action: MergePlan.Action, _ plan: MergePlan, old: [Value], joined: [Value], keys: ForeignKeyEnforcer?,
                             _ triggers: [String: StatementTriggers], _ transaction: StoreTransaction, _ context: ExecutionContext) throws -> Int64? {
        let table = plan.table
        switch action {
        case .doNothing:
            return nil
        case .update(let assignments):
            let update = RowUpdate(table: table, assignments: assignments, generated: plan.generated, keys: keys, through: nil,
                                   triggers: triggers["update"])
            return try updateRow(update, old: old, joined: joined, transaction, context).map(Self.rowID(of:))
        case .delete:
            let rowID = Self.rowID(of: old)
            let fired = triggers["delete"]
            if let fired, try fired.rowStarts(old: Array(old.dropLast()), new: nil) == nil { return nil }
            guard try deleteRow(table, rowID: rowID, keys: keys, transaction, context) else { return nil }
            fired?.rowWritten(old: Array(old.dropLast()), new: nil)
            return rowID
        case .insert(let values, let absent):
            var row = PlanExecutor.nullRow(table.columns.count)
            for (position, expression) in values {
                row[position] = try Cast.assign(Evaluator.evaluate(expression, joined, context), to: table.columns[position].type)
            }
            let generated = plan.generated.isEmpty ? nil : plan.generated
            try fillNewRow(&row, absent: absent, table: table, defaults: plan.defaults, generated: generated, transaction, context)
            let fired = triggers["insert"]
            if let fired {
                guard let changed = try fired.rowStarts(old: nil, new: row) else { return nil }
                row = try Self.triggerChanged(changed, table, generated, context)
            }
            let rowID = try storeNewRow(row, table, notesVectorChanges: Self.hasVectorIndex(table), transaction)
            let stored = Self.storedRow(row, table, rowID: rowID)
            keys?.inserted(table, row: stored, rowID: rowID)
            fired?.rowWritten(old: nil, new: stored)
            return rowID
        }
    }

    private static var mergeTouchedTwice: VireoError {
        VireoError(.cardinalityViolation, "MERGE command cannot affect row a second time",
                   hint: "Ensure that not more than one source row matches any one target row.")
    }

    /// EXPLAIN MERGE: the target, then the join its rows come from. With ANALYZE it runs.
    func explainMerge(_ statement: Merge, _ explain: Explain, _ parameters: [Value], json: Bool) throws -> QueryResult {
        let join = try read { data in
            let binder = makeBinder(data.catalog, parameters: parameters)
            try binder.bindWith(statement.with)
            return try makeMergePlan(statement, binder).join
        }
        let title = "Merge on " + statement.table.name
        guard explain.analyze else {
            guard json else { return Self.planResult([title] + join.explainLines(depth: 1, memoizes: settings.memoizes)) }
            return Self.planResult(json: .object(Self.modifyTableNode("Merge", statement.table.name)
                + [("Plans", .array([join.explainJSON(memoizes: settings.memoizes)]))]))
        }
        return try explainWriteRun(explain, parameters, json: json, operation: "Merge", table: statement.table.name)
    }
}
