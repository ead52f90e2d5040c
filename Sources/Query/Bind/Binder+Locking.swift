import VireoStorage

/// A row a LockRows node locks: which table, where its row id sits in the node's input,
/// and how (the strongest of the clauses that name the table).
struct RowLockTarget: Sendable {
    var table: String
    var rowIDPosition: Int
    var mode: RowLockMode
    var policy: RowLockWaitPolicy
}

extension Binder {
    /// `SELECT … FOR UPDATE`: refuses what PostgreSQL refuses (0A000), then binds the
    /// select with a LockRows node below its LIMIT, so that rows skipped (SKIP LOCKED) or
    /// no longer matching do not count against it.
    func bindLockingQuery(_ query: Query) throws -> (PlanNode, [ResultColumn]) {
        let clause = query.locking[0].mode.clauseSQL
        switch query.body {
        case .values: throw VireoError(.featureNotSupported, "\(clause) cannot be applied to VALUES")
        case .setOperation: throw VireoError(.featureNotSupported, "\(clause) is not allowed with UNION/INTERSECT/EXCEPT")
        case .select(let select):
            try refuseLocking(select, query, clause)
            pendingLocking = query.locking
            var unlocked = query
            unlocked.locking = []
            return try bindQuery(unlocked)
        }
    }

    private func refuseLocking(_ select: Select, _ query: Query, _ clause: String) throws {
        let reason: String? =
            if select.distinct || !select.distinctOn.isEmpty { "DISTINCT clause" }
            else if !select.groupBy.isEmpty { "GROUP BY clause" }
            else if select.having != nil { "HAVING clause" }
            else if hasAggregates(select, query) { "aggregate functions" }
            else if select.items.contains(where: { item in
                if case .expression(let expression, _) = item { return expression.contains { Self.isWindowCall($0) } }
                return false
            }) { "window functions" }
            else { nil }
        if let reason { throw VireoError(.featureNotSupported, "\(clause) is not allowed with \(reason)") }
    }

    /// Takes the locking clauses bindLockingQuery left for the select being bound (not for
    /// the subqueries inside it).
    func takePendingLocking() -> [LockingClause] {
        defer { pendingLocking = [] }
        return pendingLocking
    }

    /// Appends a hidden row-id output for each base table the clauses lock; returns the targets.
    func lockTargets(_ clauses: [LockingClause], _ items: inout [OutputItem], _ scope: Scope) throws -> [RowLockTarget] {
        for clause in clauses {
            for name in clause.tables where !scope.hasEntry(name) {
                throw VireoError(.undefinedTable, "relation \"\(name)\" in \(clause.mode.clauseSQL) clause not found in FROM clause")
            }
        }
        var targets: [RowLockTarget] = []
        for entry in scope.entries {
            let naming = clauses.filter { $0.tables.isEmpty || $0.tables.contains(entry.name) }
            guard let strongest = naming.map(\.mode).max() else { continue }
            guard let table = entry.table else {
                if naming.contains(where: { !$0.tables.isEmpty }) {
                    throw VireoError(.featureNotSupported, "\(strongest.clauseSQL) of a subquery or function in FROM is not supported (name its tables inside it)")
                }
                continue
            }
            let policy: RowLockWaitPolicy = naming.contains { $0.policy == .noWait } ? .noWait
                : naming.contains { $0.policy == .skipLocked } ? .skipLocked : .wait
            items.append(OutputItem(expression: .column(entry.offset + table.columns.count), name: "?rowid?", type: .int, hidden: true))
            targets.append(RowLockTarget(table: table.name, rowIDPosition: items.count - 1, mode: strongest, policy: policy))
        }
        return targets
    }
}
