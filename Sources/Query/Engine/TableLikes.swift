import VireoStorage

/// `CREATE TABLE t (LIKE source [INCLUDING …])`, as PostgreSQL 15 copies a table: always the
/// columns' names, types and NOT NULL; defaults (DEFAULTS), generation expressions
/// (GENERATED), CHECK constraints under their names (CONSTRAINTS), and the primary key,
/// unique and other indexes under names of the new table (INDEXES). FOREIGN KEYs are never
/// copied. A serial column copied with its default gets a sequence of its own (PostgreSQL's
/// copy would share the source's).
enum TableLikes {
    /// `definition` with the columns, constraints and B+tree indexes its LIKE elements copy;
    /// also the vector indexes to build once the table exists.
    static func expand(_ statement: CreateTable, _ definition: inout TableDefinition, catalog: Catalog) throws -> [CreateIndex] {
        var inserted = 0
        var vectorIndexes: [CreateIndex] = []
        for like in statement.likes {
            let source = try catalog.table(like.table)
            let at = like.position + inserted
            let columns = source.columns.map { copy($0, like.including) }
            definition.columns.insert(contentsOf: columns, at: at)
            if let rowID = definition.rowIDColumn, rowID >= at { definition.rowIDColumn = rowID + columns.count }
            inserted += columns.count
            if like.including.contains(.constraints) { definition.checks += source.checks }
            if like.including.contains(.indexes) {
                vectorIndexes += copyIndexes(of: source, offset: at, into: &definition, catalog: catalog)
            }
        }
        return vectorIndexes
    }

    private static func copy(_ column: VireoStorage.ColumnDefinition, _ including: Set<TableLike.Option>) -> VireoStorage.ColumnDefinition {
        var copied = column
        if !including.contains(.defaults) {
            copied.defaultExpression = nil
            if copied.identity == nil { copied.isSerial = false }
        }
        if !including.contains(.identity), copied.identity != nil {
            copied.identity = nil
            copied.isSerial = false
        }
        if !including.contains(.generated) { copied.generatedExpression = nil }
        return copied
    }

    /// The primary key (the row id, or `<new>_pkey`), unique and plain B+tree and gin indexes
    /// under new names; the vector indexes as statements.
    private static func copyIndexes(of source: TableDefinition, offset: Int, into definition: inout TableDefinition,
                                    catalog: Catalog) -> [CreateIndex] {
        let hasPrimaryKey = definition.rowIDColumn != nil || definition.indexes.contains { $0.name == "\(definition.name)_pkey" }
        if let rowID = source.rowIDColumn, !hasPrimaryKey { definition.rowIDColumn = offset + rowID }
        var vectorIndexes: [CreateIndex] = []
        for index in source.indexes {
            let joined = index.columns.joined(separator: "_")
            var copied = index
            copied.root = 0
            copied.deltaRoot = nil
            if index.name == "\(source.name)_pkey" {
                if hasPrimaryKey { continue }
                copied.name = "\(definition.name)_pkey"
            } else if index.method == "hnsw" {
                let operatorClass = index.vectorOperatorClass
                let options = ["m", "ef_construction"].compactMap { name in index.options[name].map { IndexOption(name: name, value: .number($0)) } }
                    + (index.options["quantization"].map { [IndexOption(name: "quantization", value: .word($0))] } ?? [])
                vectorIndexes.append(CreateIndex(name: nil, table: TableName(definition.name), method: "hnsw",
                                                 columns: [IndexColumn(name: index.columns[0], operatorClass: operatorClass)], options: options))
                continue
            } else {
                let taken = Set(definition.indexes.map(\.name))
                copied.name = TableBuilder.unusedName("\(definition.name)_\(joined)_\(index.isUnique ? "key" : "idx")") {
                    taken.contains($0) || catalog.hasRelation($0)
                }
            }
            definition.indexes.append(copied)
        }
        return vectorIndexes
    }
}
