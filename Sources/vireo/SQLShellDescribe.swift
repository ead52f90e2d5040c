import VireoQuery
import VireoStorage

/// The shell's catalog commands: `\d`, `\dt`, `\di`, `\d NAME`, as text in psql's layout.
enum Describe {
    /// `\d` and `\dt`: every table.
    static func tables(_ catalog: Catalog) -> String {
        let tables = catalog.tables.values.sorted { $0.name < $1.name }
        guard !tables.isEmpty else { return "Did not find any relations.\n" }
        let rows: [[Value]] = tables.map { table in
            [.text(table.name), .text("table"), .int(Int64(table.columns.count)), .int(Int64(table.indexes.count))]
        }
        let result = QueryResult(columns: [column("Name"), column("Type"), column("Columns", .int), column("Indexes", .int)],
                                 rows: rows, commandTag: "SELECT")
        return TableFormat.render(result, title: "List of relations")
    }

    /// `\di`: every index, with its table, method and columns.
    static func indexes(_ catalog: Catalog) -> String {
        let pairs = catalog.tables.values.flatMap { table in table.indexes.map { (table, $0) } }.sorted { $0.1.name < $1.1.name }
        guard !pairs.isEmpty else { return "Did not find any relations.\n" }
        let rows: [[Value]] = pairs.map { table, index in
            [.text(index.name), .text(table.name), .text(index.method), .text(index.columns.joined(separator: ", ")),
             .text(index.isUnique ? "yes" : "no")]
        }
        let result = QueryResult(columns: [column("Name"), column("Table"), column("Method"), column("Columns"), column("Unique")],
                                 rows: rows, commandTag: "SELECT")
        return TableFormat.render(result, title: "List of indexes")
    }

    /// `\d NAME`: a table's columns and indexes, or an index's definition; nil when no
    /// table or index has that name.
    static func relation(_ name: String, _ catalog: Catalog) -> String? {
        if let table = catalog.tables[name] { return describe(table, catalog) }
        if let (table, index) = catalog.index(name) {
            return "Index \"\(index.name)\"\n    " + indexLine(index, table) + ", for table \"\(table.name)\"\n\n"
        }
        return nil
    }

    /// psql's "Foreign-key constraints:" and "Referenced by:" sections.
    private static func foreignKeySections(_ table: TableDefinition, _ catalog: Catalog) -> String {
        var output = ""
        if !table.foreignKeys.isEmpty {
            output += "Foreign-key constraints:\n" + table.foreignKeys.map { "    \"\($0.name)\" \($0.sql)\n" }.joined()
        }
        let referencing = catalog.foreignKeys(referencing: table.name)
        if !referencing.isEmpty {
            output += "Referenced by:\n" + referencing.map { "    TABLE \"\($0.table.name)\" CONSTRAINT \"\($0.key.name)\" \($0.key.sql)\n" }.joined()
        }
        return output
    }

    private static func describe(_ table: TableDefinition, _ catalog: Catalog) -> String {
        let rows: [[Value]] = table.columns.map { column in
            let fallback = column.isSerial ? "nextval('\(StoreTransaction.sequenceName(table: table.name, column: column.name))')" : ""
            return [.text(column.name), .text(column.type.name), .text(column.notNull ? "not null" : ""),
                    .text(column.defaultExpression ?? fallback)]
        }
        let result = QueryResult(columns: [column("Column"), column("Type"), column("Nullable"), column("Default")],
                                 rows: rows, commandTag: "SELECT")
        var output = TableFormat.render(result, title: "Table \"\(table.name)\"", footer: false)
        var lines: [String] = []
        if let key = table.rowIDColumn { lines.append("\"\(table.name)_pkey\" PRIMARY KEY (\(table.columns[key].name)), row id") }
        lines += table.indexes.map { indexLine($0, table) }
        if !lines.isEmpty { output += "Indexes:\n" + lines.map { "    " + $0 + "\n" }.joined() }
        return output + foreignKeySections(table, catalog) + "\n"
    }

    /// `"name" UNIQUE, btree (a, b)`, `"name" btree (lower(email)) WHERE deleted_at IS NULL` or `"name" hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')`, as psql shows pg_get_indexdef's.
    static func indexLine(_ index: IndexDefinition, _ table: TableDefinition) -> String {
        var kind = index.isUnique ? (index.name == "\(table.name)_pkey" ? "PRIMARY KEY, " : "UNIQUE, ") : ""
        kind += index.method
        guard index.method == "hnsw" else {
            return "\"\(index.name)\" \(kind) (\(index.directedKeyDefinitions.joined(separator: ", ")))" + index.predicateClause(pretty: true)
        }
        return "\"\(index.name)\" \(kind) (\(index.columns.joined(separator: ", ")) \(index.vectorOperatorClass))" + index.vectorOptionsClause
    }

    private static func column(_ name: String, _ type: SQLType = .text) -> ResultColumn {
        ResultColumn(name: name, type: type)
    }
}
