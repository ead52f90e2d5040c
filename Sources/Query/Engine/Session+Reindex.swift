import VireoStorage

/// REINDEX: B-tree and GIN indexes rebuilt from their tables' rows in the statement's
/// transaction (a ROLLBACK keeps the old entries). An HNSW index is left as it is: its graph
/// is kept up to date row by row and holds no dead entries; DROP INDEX and CREATE INDEX build
/// it anew. Vireo's catalogs have no indexes, so SYSTEM rebuilds nothing.
extension Session {
    func reindex(_ statement: Reindex, _ transaction: StoreTransaction) throws -> QueryResult {
        if inTransactionBlock, statement.concurrently || statement.target == .schema || statement.target == .database || statement.target == .system {
            let what = statement.concurrently ? "REINDEX CONCURRENTLY" : "REINDEX \(statement.target.rawValue)"
            throw VireoError(.activeTransaction, "\(what) cannot run inside a transaction block")
        }
        for name in try indexesToRebuild(statement, transaction.catalog) {
            try statementCancel.check()
            try transaction.rebuildIndex(name)
        }
        return QueryResult(commandTag: "REINDEX")
    }

    /// The names of the indexes REINDEX rebuilds, with PostgreSQL's errors for a target
    /// that does not exist or is of another kind.
    private func indexesToRebuild(_ statement: Reindex, _ catalog: Catalog) throws -> [String] {
        let rebuildable = { (table: TableDefinition) in table.indexes.filter(\.hasEntryTree).map(\.name) }
        let name = statement.name.map { catalog.storedName($0) }
        switch statement.target {
        case .index:
            guard let name else { return [] }
            guard let (_, index) = catalog.index(name) else {
                if catalog.hasRelation(name) { throw VireoError(.wrongObjectType, "\"\(name)\" is not an index") }
                throw VireoError(.undefinedTable, "relation \"\(name)\" does not exist")
            }
            return index.hasEntryTree ? [name] : []
        case .table:
            guard let name else { return [] }
            if catalog.index(name) != nil || catalog.views[name] != nil { throw VireoError(.wrongObjectType, "\"\(name)\" is not a table or materialized view") }
            return rebuildable(try catalog.table(name))
        case .schema:
            let schema = statement.name?.name ?? ""
            guard SystemCatalog.fixedSchemas.contains(schema) else { throw VireoError(.invalidSchemaName, "schema \"\(schema)\" does not exist") }
            return schema == "public" ? catalog.tables.values.filter { TemporarySchema.split($0.name) == nil }.flatMap(rebuildable).sorted() : []
        case .database:
            if let database = statement.name?.name, database != SystemCatalog.databaseName, database != activity?.client.database {
                throw VireoError(.featureNotSupported, "can only reindex the currently open database")
            }
            return catalog.tables.values.filter { TemporarySchema.split($0.name) == nil }.flatMap(rebuildable).sorted()
        case .system:
            return []
        }
    }
}
