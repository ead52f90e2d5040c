import VireoStorage

/// What a statement takes and returns, found without running it: the answer to
/// pgwire's Describe, which drivers send before they bind parameters.
public struct StatementDescription: Sendable, Equatable {
    /// The type each `$n` is used as, `unknown` where nothing decides it.
    public var parameterTypes: [SQLType]
    /// The result columns; empty for a statement that returns no rows.
    public var columns: [ResultColumn]
}

/// Where a transaction block stands, as pgwire's ReadyForQuery reports it.
public enum TransactionStatus: Int, Sendable {
    /// No block open.
    case idle
    /// Inside BEGIN … COMMIT.
    case inBlock
    /// Inside a block that an error aborted: only ROLLBACK is accepted.
    case failed
}

extension Session {
    /// The session's transaction block state as the last request (or the idle timer) left
    /// it. Reading it never waits for a running statement, so an event loop may call it.
    public var transactionStatus: TransactionStatus {
        TransactionStatus(rawValue: publishedStatus.load(ordering: .acquiring)) ?? .idle
    }

    /// Publishes the block state for `transactionStatus`; the caller holds `requestLock`.
    func publishTransactionStatus() {
        let status: TransactionStatus = abortedBy != nil ? .failed : inTransactionBlock ? .inBlock : .idle
        publishedStatus.store(status.rawValue, ordering: .releasing)
    }

    /// Parameter types and result columns of `statement` on the current schema (with
    /// this session's uncommitted DDL), without running it.
    /// Like PostgreSQL's Describe message, it counts as activity for the idle timeout.
    /// `parameterTypes`: the types the statement's parameters were declared with.
    public func describe(_ statement: Statement, parameterTypes declared: [SQLType] = []) throws -> StatementDescription {
        // A statement runs with the session's temporary schema searched first: so is it
        // described (pgwire's Describe, COPY's columns of `pg_temp.t`).
        try withRequest { try withDeclaredParameterTypes(declared) { try withTemporarySchema {
            let catalog = try read { $0.catalog }
            let binder = makeBinder(catalog)
            let columns = try describedColumns(statement.body, binder, catalog)
            let types = (0..<statement.parameterCount).map { binder.parameterTypes[$0] ?? .unknown }
            return StatementDescription(parameterTypes: types, columns: columns)
        } } }
    }

    /// Gives `binder` the RETURNING columns of the WITH list's data-modifying entries,
    /// without running them.
    private func describeChanges(_ with: WithClause?, _ binder: Binder, _ catalog: Catalog) throws {
        for entry in with?.queries ?? [] {
            guard let change = entry.change else { continue }
            let columns = try describedColumns(change.statement, makeBinder(catalog), catalog)
            binder.changedRows[entry.name] = try CommonTable(changed: entry, columns: columns, rows: [])
        }
    }

    func describedColumns(_ body: StatementBody, _ binder: Binder, _ catalog: Catalog) throws -> [ResultColumn] {
        switch body {
        case .select(let query):
            return try binder.bindQuery(query).1
        case .selectChangingData(let query):
            try describeChanges(query.with, binder, catalog)
            return try binder.bindQuery(query).1
        case .insert(let insert):
            try describeChanges(insert.with, binder, catalog)
            try binder.bindWith(insert.with)
            let through = try UpdatableView.resolve(insert.table, .insert, catalog: catalog, binder: binder)
            let table = try through?.table ?? catalog.changedTable(insert.table, verb: "insert into")
            try bindInsertValues(insert, table, binder, through: through)
            if let through { return try ReturningList(insert.returning, through: through, alias: insert.alias, binder: binder).columns }
            return try ReturningList(insert.returning, table: table, alias: insert.alias, binder: binder).columns
        case .update(let update):
            try describeChanges(update.with, binder, catalog)
            try binder.bindWith(update.with)
            let through = try UpdatableView.resolve(update.table, .update, catalog: catalog, binder: binder)
            let table = try through?.table ?? catalog.changedTable(update.table, verb: "update")
            let scope = try bindFiltered(table, update.alias, update.whereClause, binder, through: through)
            for assignment in update.assignments {
                let column = try through.map { try $0.tableColumn(named: assignment.column, .update) } ?? table.columnIndex(assignment.column)
                guard case .expression(let expression) = assignment.value, let position = column else { continue }
                _ = try binder.assigned(binder.bind(expression, scope), to: table.columns[position], name: assignment.column)
            }
            return try ReturningList(update.returning, scope: scope, binder: binder, through: through).columns
        case .delete(let delete):
            try describeChanges(delete.with, binder, catalog)
            try binder.bindWith(delete.with)
            let through = try UpdatableView.resolve(delete.table, .delete, catalog: catalog, binder: binder)
            let table = try through?.table ?? catalog.changedTable(delete.table, verb: "delete from")
            let scope = try bindFiltered(table, delete.alias, delete.whereClause, binder, through: through)
            return try ReturningList(delete.returning, scope: scope, binder: binder, through: through).columns
        case .merge(let merge):
            try describeChanges(merge.with, binder, catalog)
            try binder.bindWith(merge.with)
            _ = try makeMergePlan(merge, binder)  // for the types of its parameters; MERGE returns no rows
            return []
        case .explain:
            return [ResultColumn(name: "QUERY PLAN", type: .text)]
        case .declareCursor(let declare):
            _ = try binder.bindQuery(declare.query) // for the types of its parameters; DECLARE returns no rows
            return []
        case .fetch(let fetch) where !fetch.isMove:
            guard let cursor = cursors[fetch.name] else { throw Self.noSuchCursor(fetch.name) }
            return cursor.columns
        case .show(let show):
            return show.name.map { [ResultColumn(name: Settings.columnName($0), type: .text)] }
                ?? [ResultColumn(name: "name", type: .text), ResultColumn(name: "setting", type: .text)]
        default:
            return []
        }
    }

    /// `INSERT … VALUES ($1, $2)`: each parameter takes its target column's type.
    private func bindInsertValues(_ insert: Insert, _ table: TableDefinition, _ binder: Binder, through: UpdatableView?) throws {
        guard case .values(let rows) = insert.source else {
            if case .query(let query) = insert.source { _ = try binder.bindQuery(query) }
            return
        }
        var targets = insert.columns.isEmpty ? Array(table.columns.indices) : insert.columns.compactMap { table.columnIndex($0) }
        if let through {
            let names = insert.columns.isEmpty ? through.view.columns.map(\.name) : insert.columns
            targets = names.compactMap { try? through.tableColumn(named: $0, .insert) }
        }
        for row in rows {
            for (position, value) in zip(targets, row) {
                guard case .expression(let expression) = value else { continue }
                _ = try binder.assigned(binder.bind(expression, Scope()), to: table.columns[position])
            }
        }
    }

    /// The scope an UPDATE's or DELETE's expressions see (the view's columns when written
    /// through one), with the WHERE clause bound in it.
    private func bindFiltered(_ table: TableDefinition, _ alias: String?, _ condition: SQLExpression?, _ binder: Binder,
                              through: UpdatableView?) throws -> Scope {
        var scope = through?.scope(alias: alias) ?? Scope()
        if through == nil { scope.addTable(table, alias: alias) }
        if let condition { _ = try binder.coerce(binder.bind(condition, scope), to: .bool) }
        return scope
    }
}
