import VireoStorage

/// CREATE, REFRESH and DROP MATERIALIZED VIEW. A materialized view is a table that keeps its
/// defining query (Catalog+MaterializedViews.swift): CREATE is CREATE TABLE AS that marks
/// the table, REFRESH deletes its rows and inserts the query's again in the same
/// transaction, so readers see the old rows or the new ones, never neither.
extension Session {
    func runMaterializedViewCommand(_ command: MaterializedViewCommand, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        switch command {
        case .refresh(let name, let withData, _):
            guard let table = transaction.catalog.tables[transaction.catalog.storedName(name)] else {
                throw VireoError(.undefinedTable, "relation \"\(name.name)\" does not exist")
            }
            guard let text = table.materializedQuery, case .select(let query) = try Parser.parseStatement(text).body else {
                throw VireoError(.featureNotSupported, "\"\(name.name)\" is not a materialized view")
            }
            try UpdatableView.$refreshing.withValue(true) {
                // An unpopulated one holds no rows (and may not be read to find them).
                if table.isUnpopulated != true {
                    _ = try delete(Delete(table: TableName(stored: table.name)), transaction, [], enforcingKeys: false)
                }
                if withData { _ = try insert(Insert(table: TableName(stored: table.name), source: .query(query)), transaction, parameters) }
            }
            try transaction.setMaterializedView(table.name, query: text, populated: withData)
            return QueryResult(commandTag: "REFRESH MATERIALIZED VIEW")
        case .drop(let statement):
            for written in statement.names {
                let name = transaction.catalog.storedName(written)
                guard transaction.catalog.tables[name] != nil || !statement.ifExists else {
                    raise(.skippedMissing("materialized view", written.name))
                    continue
                }
                _ = try materializedView(written, transaction.catalog)
            }
            var drop = statement
            drop.names = statement.names.filter { transaction.catalog.tables[transaction.catalog.storedName($0)] != nil }
            if !drop.names.isEmpty { _ = try dropTables(drop, transaction, materialized: true) }
            return QueryResult(commandTag: "DROP MATERIALIZED VIEW")
        }
    }

    /// The materialized view `name` names: 42P01 when there is none, 42809 for another relation.
    private func materializedView(_ name: TableName, _ catalog: Catalog) throws -> TableDefinition {
        let stored = catalog.storedName(name)
        guard let table = catalog.tables[stored] else {
            throw VireoError(.undefinedTable, "materialized view \"\(name.name)\" does not exist")
        }
        guard table.isMaterializedView else {
            throw VireoError(.wrongObjectType, "\"\(name.name)\" is not a materialized view", hint: "Use DROP TABLE to remove a table.")
        }
        return table
    }
}

extension TableDefinition {
    /// 55000 when the table is a materialized view made or refreshed WITH NO DATA.
    func checkPopulated() throws {
        guard isUnpopulated == true else { return }
        throw VireoError(.objectNotInPrerequisiteState, "materialized view \"\(name)\" has not been populated",
                         hint: "Use the REFRESH MATERIALIZED VIEW command.")
    }
}
