// Materialized views (CREATE MATERIALIZED VIEW). A materialized view is a table whose
// TableDefinition carries its defining query ("materializedQuery") and, when made or
// refreshed WITH NO DATA, "isUnpopulated": its rows are stored as any table's, indexes can
// be made on it, and REFRESH replaces its rows with the query's. Both fields are optional,
// so files without materialized views read unchanged; a build that predates them would read
// one as a plain table.

extension TableDefinition {
    /// Whether the table is a materialized view.
    public var isMaterializedView: Bool { materializedQuery != nil }
}

extension StoreTransaction {
    /// Marks table `name` as a materialized view of `query`, populated or not.
    public func setMaterializedView(_ name: String, query: String, populated: Bool) throws {
        try step {
            var table = try catalog.table(name)
            table.materializedQuery = query
            table.isUnpopulated = populated ? nil : true
            setTable(table)
        }
    }
}
