import VireoStorage

extension Session {
    /// ANALYZE: the tables and columns named must exist (42P01, 42703); nothing is collected.
    /// Vireo's planner keeps no statistics (it chooses by the indexes a query can use and
    /// counts what it needs exactly), so there is nothing for ANALYZE to refresh.
    func analyze(_ statement: Analyze, _ catalog: Catalog) throws -> QueryResult {
        for (name, columns) in zip(statement.tables, statement.columns) {
            let table = try catalog.table(name.name)
            for column in columns where table.columnIndex(column) == nil {
                throw VireoError(.undefinedColumn, "column \"\(column)\" of relation \"\(table.name)\" does not exist")
            }
        }
        return QueryResult(commandTag: "ANALYZE")
    }
}
