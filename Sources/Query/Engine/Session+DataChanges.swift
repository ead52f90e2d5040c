import VireoStorage

/// WITH entries that change data (`WITH d AS (DELETE … RETURNING …) …`). Each runs once, in
/// order, in the statement's transaction, before the statement is bound; the statement then
/// reads the rows each returned. Unlike PostgreSQL, where all parts share one snapshot, the
/// statement (and later entries) see the changes (docs/sql.md lists the difference).
extension Session {
    /// Runs the data-modifying entries of `with`, then binds the whole list into `binder`.
    func bindWith(_ with: WithClause?, _ binder: Binder, _ transaction: StoreTransaction, _ parameters: [Value]) throws {
        for entry in with?.queries ?? [] {
            guard let change = entry.change else { continue }
            let result: QueryResult
            switch change {
            case .insert(let statement): result = try insert(statement, transaction, parameters)
            case .update(let statement): result = try update(statement, transaction, parameters)
            case .delete(let statement): result = try delete(statement, transaction, parameters)
            }
            binder.changedRows[entry.name] = try CommonTable(changed: entry, columns: result.columns, rows: result.rows)
        }
        try binder.bindWith(with)
    }

    /// A query whose WITH list changes data, run as a write.
    func selectChangingData(_ query: Query, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        let binder = makeBinder(transaction.catalog)
        var body = query
        let with = body.with
        body.with = nil
        try bindWith(with, binder, transaction, parameters)
        let (plan, columns) = try binder.bindQuery(body)
        let rows = try PlanExecutor.materialize(plan, context(.transaction(transaction), parameters), for: .result)
        return QueryResult(columns: columns, rows: rows, commandTag: "SELECT \(rows.count)")
    }
}

extension DataChange {
    /// The change as a statement of its own.
    var statement: StatementBody {
        switch self {
        case .insert(let statement): .insert(statement)
        case .update(let statement): .update(statement)
        case .delete(let statement): .delete(statement)
        }
    }
}
