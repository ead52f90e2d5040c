import VireoStorage

/// What a MERGE works out from its text and the schema before it touches a row.
///
/// Its rows come from the source LEFT JOIN the target ON the condition: each is the
/// source's columns, then the target's columns and row id, all NULL when no target row
/// matches. The source's columns come first, so that what a WHEN NOT MATCHED clause reads
/// (the source alone, as in PostgreSQL) binds over the source's scope at the same positions.
struct MergePlan {
    enum Action {
        /// The SET list: per assignment, the table column and its value over the joined row.
        case update([(Int, BoundExpression)])
        case delete
        /// The values given (table column, value over the source's columns) and the
        /// columns left to their defaults.
        case insert(values: [(Int, BoundExpression)], absent: [Int])
        case doNothing
    }

    struct Clause {
        let matched: Bool
        let condition: BoundExpression?
        let action: Action
    }

    let table: TableDefinition
    let join: PlanNode
    /// Where the target's columns start in a joined row.
    let sourceWidth: Int
    let clauses: [Clause]
    let defaults: [BoundExpression]
    let generated: GeneratedColumns

    /// The clause that acts on `joined`: the first of its kind whose condition holds.
    func clause(for joined: [Value], matched: Bool, _ context: ExecutionContext) throws -> Clause? {
        for clause in clauses where clause.matched == matched {
            guard let condition = clause.condition else { return clause }
            if try Evaluator.evaluate(condition, joined, context) == .bool(true) { return clause }
        }
        return nil
    }

    /// The target row's columns and row id in `joined`; its row id nil when none matched.
    func targetRow(of joined: [Value]) -> (row: [Value], rowID: Int64?) {
        let row = Array(joined[sourceWidth...])
        if case .int(let rowID)? = row.last { return (row, rowID) }
        return (row, nil)
    }
}

extension Session {
    /// Binds `statement` (`binder` over the statement's catalog and parameters).
    func makeMergePlan(_ statement: Merge, _ binder: Binder) throws -> MergePlan {
        let catalog = binder.catalog
        if catalog.view(statement.table) != nil {
            throw VireoError(.featureNotSupported, "cannot execute MERGE on relation \"\(statement.table.name)\"",
                             detail: "This operation is not supported for views.")
        }
        let table = try catalog.changedTable(statement.table, verb: "merge into")
        let targetName = statement.alias ?? table.visibleName
        let (source, sourceScope) = try binder.bindTableReference(statement.source)
        if sourceScope.hasEntry(targetName) {
            throw VireoError(.duplicateAlias, "name \"\(targetName)\" specified more than once",
                             detail: "The name is used both as MERGE target table and data source.")
        }
        var targetScope = Scope()
        targetScope.addTable(table, alias: statement.alias)
        var scope = sourceScope
        scope.append(targetScope)
        let condition = try Self.booleanCondition(binder, binder.bind(statement.condition, scope), clause: "JOIN/ON")
        let target = PlanNode.seqScan(TableScan(table: table, filter: nil, reason: "no usable index"))
        let spec = JoinSpec(kind: .left, condition: condition, rightWidth: targetScope.width, leftWidth: sourceScope.width)
        let binding = MergeBinding(binder: binder, table: table, targetName: targetName, sourceScope: sourceScope, scope: scope)
        return MergePlan(table: table, join: PredicatePushdown.join(source, target, spec, leftWidth: sourceScope.width),
                         sourceWidth: sourceScope.width, clauses: try bindClauses(statement.clauses, binding),
                         defaults: try table.columns.map { try TableBuilder.defaultExpression($0, catalog: catalog) },
                         generated: try GeneratedColumns(table, catalog: catalog))
    }

    private func bindClauses(_ clauses: [MergeClause], _ binding: MergeBinding) throws -> [MergePlan.Clause] {
        var unconditional = Set<Bool>()
        return try clauses.map { clause in
            // PostgreSQL refuses a clause no row could reach, rather than ignore it.
            guard !unconditional.contains(clause.matched) else {
                throw VireoError(.syntaxError, "unreachable WHEN clause specified after unconditional WHEN clause")
            }
            if clause.condition == nil { unconditional.insert(clause.matched) }
            let condition = try clause.condition.map { expression in
                try Self.booleanCondition(binding.binder, binding.bind(expression, matched: clause.matched), clause: "WHEN")
            }
            return MergePlan.Clause(matched: clause.matched, condition: condition, action: try bindAction(clause.action, binding))
        }
    }

    private func bindAction(_ action: MergeAction, _ binding: MergeBinding) throws -> MergePlan.Action {
        switch action {
        case .doNothing: return .doNothing
        case .delete: return .delete
        case .update(let assignments):
            return .update(try bindAssignments(assignments, binding.table, scope: binding.scope, binding.binder, through: nil))
        case .insert(let columns, let overriding, let values):
            return try binding.insertAction(columns: columns, overriding: overriding, values: values)
        }
    }

    /// `typed` as a condition: 42804 unless boolean (or a literal or parameter that becomes one).
    static func booleanCondition(_ binder: Binder, _ typed: Binder.Typed, clause: String) throws -> BoundExpression {
        guard typed.type == .bool || typed.type == .unknown else {
            throw VireoError(.typeMismatch, "argument of \(clause) must be type boolean, not type \(typed.type)")
        }
        return try binder.coerce(typed, to: .bool)
    }
}

/// The names a MERGE's clauses bind against: a WHEN MATCHED clause sees the source and the
/// target, a WHEN NOT MATCHED clause only the source.
private struct MergeBinding {
    let binder: Binder
    let table: TableDefinition
    let targetName: String
    let sourceScope: Scope
    let scope: Scope

    func bind(_ expression: SQLExpression, matched: Bool) throws -> Binder.Typed {
        if matched { return try binder.bind(expression, scope) }
        do {
            return try binder.bind(expression, sourceScope)
        } catch let error as VireoError where error.code == .undefinedColumn || error.code == .undefinedTable {
            // Named, but on the side a row that matched nothing has no values for.
            guard (try? binder.bind(expression, scope)) != nil else { throw error }
            var refused = error
            if error.code == .undefinedTable {
                refused.message = "invalid reference to FROM-clause entry for table \"\(targetName)\""
                refused.hint = "There is an entry for table \"\(targetName)\", but it cannot be referenced from this part of the query."
            } else if let column = error.message.split(separator: "\"").dropFirst().first {
                refused.hint = "There is a column named \"\(column)\" in table \"\(targetName)\", but it cannot be referenced from this part of the query."
            }
            throw refused
        }
    }

    /// `INSERT [(columns)] VALUES (…)` or `INSERT DEFAULT VALUES` (nil `values`), as INSERT
    /// binds its columns and values.
    func insertAction(columns: [String], overriding: Insert.Overriding?, values: [ColumnValue]?) throws -> MergePlan.Action {
        let targets = try InsertPlan.targetColumns(columns, table)
        let values = values ?? []
        guard values.count <= targets.count else {
            throw VireoError(.syntaxError, "INSERT has more expressions than target columns")
        }
        guard columns.isEmpty || values.count == targets.count else {
            throw VireoError(.syntaxError, "INSERT has more target columns than expressions")
        }
        var given: [(Int, BoundExpression)] = []
        for (position, value) in zip(targets, values) {
            let column = table.columns[position]
            guard case .expression(let expression) = value, !(overriding == .user && column.identity != nil) else { continue }
            try GeneratedColumns.refuseValue(for: column, overriding: overriding)
            given.append((position, Cast.assignedParameter(try binder.assigned(bind(expression, matched: false), to: column))))
        }
        let givenPositions = Set(given.map(\.0))
        return .insert(values: given, absent: table.columns.indices.filter { !givenPositions.contains($0) })
    }
}
