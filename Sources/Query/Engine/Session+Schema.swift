import VireoIndex
import VireoStorage

extension Session {
    func runWrite(_ body: StatementBody, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        switch body {
        case .createTable(let statement): return try createTable(statement, transaction)
        case .createTableAs(let statement): return try createTableAs(statement, transaction, parameters)
        case .dropTable(let statement): return try dropTables(statement, transaction)
        case .alterTable(let statement): return try alterTable(statement, transaction)
        case .createIndex(let statement): return try createIndex(statement, transaction)
        case .dropIndex(let statement): return try dropIndexes(statement, transaction)
        case .createView(let statement): return try createView(statement, transaction)
        case .dropView(let statement): return try dropViews(statement, transaction)
        case .createSequence(let statement): return try createSequence(statement, transaction)
        case .alterSequence(let statement): return try alterSequence(statement, transaction)
        case .dropSequence(let statement): return try dropSequences(statement, transaction)
        case .insert(let statement): return try insert(statement, transaction, parameters)
        case .update(let statement): return try update(statement, transaction, parameters)
        case .delete(let statement): return try delete(statement, transaction, parameters)
        case .merge(let statement): return try merge(statement, transaction, parameters)
        case .truncate(let statement): return try truncate(statement, transaction)
        case .reindex(let statement): return try reindex(statement, transaction)
        case .analyze(let statement): return try analyze(statement, transaction)
        case .alterIndex(let statement): return try alterIndex(statement, transaction)
        case .typeCommand(let command): return try runTypeCommand(command, transaction)
        case .function(let command): return try runFunctionCommand(command, transaction)
        case .materializedView(let command): return try runMaterializedViewCommand(command, transaction, parameters)
        case .comment(let statement):
            let table = transaction.catalog.storedName(statement.table)
            if transaction.catalog.views[table] != nil, statement.column == nil {
                throw VireoError(.wrongObjectType, "\"\(table)\" is not a table")
            }
            _ = try transaction.catalog.table(table)
            try transaction.setComment(statement.text, table: table, column: statement.column)
            return QueryResult(commandTag: "COMMENT")
        case .selectChangingData(let query): return try selectChangingData(query, transaction, parameters)
        default: throw VireoError(.internalError, "not a write statement")
        }
    }

    private func createTable(_ statement: CreateTable, _ transaction: StoreTransaction) throws -> QueryResult {
        var statement = statement
        statement.name = createdTableName(statement.name, onCommit: statement.onCommit)
        guard try isNewRelation(statement.name.name, ifNotExists: statement.ifNotExists, transaction) else {
            return QueryResult(commandTag: "CREATE TABLE")
        }
        var definition = try TableBuilder.definition(statement, catalog: transaction.catalog)
        let vectorIndexes = try TableLikes.expand(statement, &definition, catalog: transaction.catalog)
        definition.checks += try CheckConstraints.definitions(statement, table: definition, catalog: transaction.catalog)
        definition.foreignKeys = try ForeignKeys.definitions(statement, table: definition, catalog: transaction.catalog)
        _ = try GeneratedColumns(definition, catalog: transaction.catalog)
        let options = try StorageParameters.set(statement.storageParameters, in: [])
        definition.storageOptions = options.isEmpty ? nil : options
        try transaction.createTable(definition)
        try applyIdentityOptions(statement, transaction)
        for index in vectorIndexes { _ = try createIndex(index, transaction) }
        return QueryResult(commandTag: "CREATE TABLE")
    }

    /// Whether `name` (a stored name) is free for a new table; false when it is taken and IF
    /// NOT EXISTS was written (nothing to do), 42P07 when it is taken otherwise.
    private func isNewRelation(_ name: String, ifNotExists: Bool, _ transaction: StoreTransaction) throws -> Bool {
        guard transaction.catalog.hasRelation(name) else { return true }
        let shown = TemporarySchema.split(name)?.name ?? name
        guard ifNotExists else { throw VireoError(.duplicateTable, "relation \"\(shown)\" already exists") }
        raise(.skippedExisting("relation", shown))
        return false
    }

    /// CREATE TABLE … AS: a table with the query's columns (a literal of unknown type becomes
    /// text, as in PostgreSQL), then its rows as INSERT … SELECT would add them.
    private func createTableAs(_ statement: CreateTableAs, _ transaction: StoreTransaction, _ parameters: [Value]) throws -> QueryResult {
        var statement = statement
        statement.name = createdTableName(statement.name, onCommit: statement.onCommit)
        let name = statement.name.name
        guard try isNewRelation(name, ifNotExists: statement.ifNotExists, transaction) else {
            return QueryResult(commandTag: "CREATE TABLE AS")
        }
        var (_, resultColumns) = try makeBinder(transaction.catalog, parameters: parameters).bindQuery(statement.query)
        for i in resultColumns.indices where resultColumns[i].type == .unknown { resultColumns[i].type = .text }
        let columns = try Self.viewColumns(resultColumns, names: statement.columns, statement: "CREATE TABLE AS")
        try transaction.createTable(TableDefinition(name: name, columns: columns))
        let count = statement.withData
            ? try insert(Insert(table: statement.name, source: .query(statement.query)), transaction, parameters).rowCount : 0
        if statement.materialized {
            try transaction.setMaterializedView(name, query: statement.query.sql, populated: statement.withData)
            if !statement.withData { return QueryResult(commandTag: "CREATE MATERIALIZED VIEW") }
        }
        var result = QueryResult(commandTag: "SELECT \(count)")
        result.isRowlessSelectTag = true
        return result
    }

    func dropTables(_ statement: DropTable, _ transaction: StoreTransaction, materialized: Bool = false) throws -> QueryResult {
        let names = statement.names.map(transaction.catalog.storedName)
        let dropping = Set(names)
        for (written, name) in zip(statement.names, names) {
            if !materialized, transaction.catalog.tables[name]?.isMaterializedView == true {
                throw VireoError(.wrongObjectType, "\"\(name)\" is not a table", hint: "Use DROP MATERIALIZED VIEW to remove a materialized view.")
            }
            guard let table = transaction.catalog.tables[name] else {
                if transaction.catalog.views[name] != nil {
                    throw VireoError(.wrongObjectType, "\"\(name)\" is not a table", hint: "Use DROP VIEW to remove a view.")
                }
                guard statement.ifExists else { throw VireoError(.undefinedTable, "table \"\(written.name)\" does not exist") }
                raise(.skippedMissing(materialized ? "materialized view" : "table", written.name))
                continue
            }
            let views = try dropDependentViews(of: name, kind: "table", cascade: statement.cascade, transaction)
            let keys = try dropReferencingKeys(of: name, dropping: dropping, cascade: statement.cascade, transaction)
            // PostgreSQL lists them in the order it finds them: most often keys before views.
            raise(.cascaded(keys + views))
            try transaction.dropTable(name)
            for index in table.indexes where index.method == "hnsw" { database.vectorIndexes.forget(index.name) }
        }
        return QueryResult(commandTag: "DROP TABLE")
    }

    private func alterTable(_ statement: AlterTable, _ transaction: StoreTransaction) throws -> QueryResult {
        let name = transaction.catalog.storedName(statement.name)
        // OWNER TO is the one action that applies to views and sequences too (pg_dump writes it for each).
        if transaction.catalog.tables[name] == nil, transaction.catalog.hasRelation(name),
           case .ownerTo(let role) = statement.actions.first, statement.actions.count == 1 {
            try SystemCatalog.checkRole(role, user: activity?.client.user)
            return QueryResult(commandTag: "ALTER TABLE")
        }
        guard transaction.catalog.tables[name] != nil else {
            if transaction.catalog.views[name] != nil { _ = try transaction.catalog.table(name) }
            guard statement.ifExists else { throw VireoError(.undefinedTable, "relation \"\(name)\" does not exist") }
            raise(.skippedMissing("relation", statement.name.name))
            return QueryResult(commandTag: "ALTER TABLE")
        }
        for action in statement.actions {
            try alter(name, action, transaction)
            try checkViewsStillBind(after: action, on: name, transaction)
        }
        return QueryResult(commandTag: "ALTER TABLE")
    }

    /// Fills the generated columns of every existing row (after ADD COLUMN … GENERATED).
    private func computeGeneratedColumns(of tableName: String, _ transaction: StoreTransaction) throws {
        let table = try transaction.catalog.table(tableName)
        let generated = try GeneratedColumns(table, catalog: transaction.catalog)
        let context = self.context(.transaction(transaction), [])
        var rows: [(Int64, [Value])] = []
        try transaction.scanRows(table) { rowID, record in
            try context.checkCancel()
            rows.append((rowID, try record.values()))
            return true
        }
        for (rowID, var row) in rows {
            try generated.fill(&row, context: context)
            try transaction.update(tableName, rowID: rowID, to: row)
        }
    }

    private func alter(_ name: String, _ action: AlterTableAction, _ transaction: StoreTransaction) throws {
        let table = try transaction.catalog.table(name)
        switch action {
        case .addColumn(let column, let ifNotExists):
            if table.columnIndex(column.name) != nil && ifNotExists {
                return raise(.skippedExisting("column", column.name, sqlState: "42701", of: name))
            }
            let definition = try TableBuilder.column(column, table: name, catalog: transaction.catalog)
            let fill = try TableBuilder.defaultValue(definition, transaction: transaction)
            try transaction.addColumn(definition, to: name, fill: fill)
            if definition.generatedExpression != nil { try computeGeneratedColumns(of: name, transaction) }
            if column.isUnique || column.isPrimaryKey {
                try transaction.createIndex(IndexDefinition(name: "\(name)_\(column.name)_key", columns: [column.name], isUnique: true), on: name)
            }
        case .dropColumn(let column, let ifExists, let cascade):
            if table.columnIndex(column) == nil && ifExists { return raise(.skippedMissing("column", column, of: name)) }
            if table.columnIndex(column) != nil { try dropKeys(over: column, of: table, cascade: cascade, transaction) }
            // As in PostgreSQL, indexes whose expressions or predicate read the column go with it.
            for index in try computedIndexes(reading: column, of: table) { try transaction.dropIndex(index.name) }
            try transaction.dropColumn(column, from: name)
            try dropChecks(reading: column, of: table, transaction)
        case .renameColumn(let from, let to):
            if let check = try checks(reading: from, of: table, transaction.catalog).first {
                throw VireoError(.featureNotSupported, "cannot rename column \"\(from)\": check constraint \"\(check.name)\" reads it; drop the constraint, rename, and add it again")
            }
            if let index = try computedIndexes(reading: from, of: table).first {
                throw VireoError(.featureNotSupported, "cannot rename column \"\(from)\": index \"\(index.name)\" reads it in an expression or predicate; drop the index, rename, and create it again")
            }
            try transaction.renameColumn(from, to: to, in: name)
        case .addConstraint(let constraint):
            if case .foreignKey(let columns, let reference) = constraint.kind {
                return try addForeignKey(name: constraint.name, columns: columns, reference: reference, to: name, transaction)
            }
            guard case .check(let expression) = constraint.kind else {
                return try addKeyConstraint(constraint, to: table, transaction)
            }
            let check = try CheckConstraints.definition(name: constraint.name, expression: expression, table: table, catalog: transaction.catalog)
            try CheckConstraints.validateExisting(check, table: table, transaction: transaction, context: context(.transaction(transaction), []))
            try transaction.setCheckConstraints(table.checks + [check], of: name)
        case .dropConstraint(let constraint, let ifExists):
            if try dropForeignKey(constraint, of: table, transaction) { return }
            if try dropKeyConstraint(constraint, of: table, transaction) { return }
            guard table.checks.contains(where: { $0.name == constraint }) else {
                if ifExists { return raise(.skippedMissing("constraint", constraint, of: name)) }
                throw VireoError(.undefinedObject, "constraint \"\(constraint)\" of relation \"\(name)\" does not exist")
            }
            try transaction.setCheckConstraints(table.checks.filter { $0.name != constraint }, of: name)
        case .renameTable(let to):
            // A temporary table stays in its session's temporary schema.
            let stored = TemporarySchema.split(name).map { TemporarySchema.storedName(to, schema: $0.schema) } ?? to
            try transaction.renameTable(name, to: stored)
        case .alterColumn(let column, let change): try alterColumn(column, change, of: table, transaction)
        case .renameConstraint(let from, let to): try renameConstraint(from, to: to, of: table, transaction)
        case .ownerTo(let role): try SystemCatalog.checkRole(role, user: activity?.client.user)
        case .setStorageParameters(let parameters):
            try transaction.setStorageOptions(StorageParameters.set(parameters, in: table.storageOptions ?? []), of: name)
        case .resetStorageParameters(let names):
            try transaction.setStorageOptions(StorageParameters.reset(names, in: table.storageOptions ?? []), of: name)
        case .enableTrigger(let trigger, let enabled): try enableTriggers(trigger, enabled: enabled, of: table, transaction)
        }
    }

    func createIndex(_ statement: CreateIndex, _ transaction: StoreTransaction) throws -> QueryResult {
        let table = try transaction.catalog.table(statement.table)
        let keys = try IndexKeySpecification(statement, table: table)
        let name = statement.name ?? TableBuilder.indexName(table: table.name, columns: keys.columns, catalog: transaction.catalog)
        if transaction.catalog.hasRelation(name) {
            guard statement.ifNotExists else { throw VireoError(.duplicateTable, "relation \"\(name)\" already exists") }
            raise(.skippedExisting("relation", name))
            return QueryResult(commandTag: "CREATE INDEX")
        }
        let method = statement.method ?? "btree"
        if method != "btree", let column = statement.columns.first(where: { $0.descending || $0.nullsFirst != nil }) {
            let option = column.descending ? "ASC/DESC" : "NULLS FIRST/LAST"
            throw VireoError(.featureNotSupported, "access method \"\(method)\" does not support \(option) options")
        }
        switch method {
        case "btree":
            var definition = IndexDefinition(name: name, columns: keys.columns, isUnique: statement.unique)
            keys.apply(to: &definition)
            try transaction.createIndex(definition, on: table.name)
        case "gin":
            var definition = try invertedIndexDefinition(statement, keys, name: name, table: table)
            keys.apply(to: &definition)
            try transaction.createIndex(definition, on: table.name)
        case "hnsw":
            guard !keys.isComputed else {
                throw VireoError(.featureNotSupported, "hnsw indexes cover one column, without expressions or WHERE")
            }
            let definition = try HNSWOptions.definition(statement, name: name, table: table)
            let built = try database.vectorIndexes.build(definition, table: table, in: transaction, cancel: statementCancel)
            try transaction.createIndex(built, on: table.name)
        case "ivfflat":
            // pgvector's other index: Vireo's vector index is HNSW, which pgvector's own
            // benchmarks put ahead of IVFFlat in recall for the same speed.
            throw VireoError(.undefinedObject, "access method \"ivfflat\" does not exist",
                             hint: "Vireo's vector index is hnsw: CREATE INDEX ON \(table.name) USING hnsw (column vector_l2_ops), with vector_ip_ops or vector_cosine_ops for <#> and <=>.")
        default:
            throw VireoError(.undefinedObject, "access method \"\(method)\" does not exist")
        }
        return QueryResult(commandTag: "CREATE INDEX")
    }

    /// `USING gin (tsv)` or `USING gin (to_tsvector(…))`: one tsvector key (tsvector_ops,
    /// the default operator class); `USING gin (doc [jsonb_ops | jsonb_path_ops])`; or
    /// pg_trgm's `USING gin (name gin_trgm_ops)` over text (no default class there).
    private func invertedIndexDefinition(_ statement: CreateIndex, _ keys: IndexKeySpecification, name: String,
                                         table: TableDefinition) throws -> IndexDefinition {
        guard statement.columns.count == 1, let column = statement.columns.first, !statement.unique else {
            throw VireoError(.featureNotSupported, "gin indexes cover exactly one tsvector or jsonb column and cannot be unique")
        }
        let type: String
        if let keyType = keys.expressionTypes[0] {
            type = keyType == .tsvector ? "tsvector" : keyType.description
        } else {
            guard let position = table.columnIndex(column.name) else {
                throw VireoError(.undefinedColumn, "column \"\(column.name)\" does not exist")
            }
            type = table.columns[position].type.name
        }
        let isText = type == "text" || type.hasPrefix("character")
        let operatorClasses: Set<String> = type == "jsonb" ? JSONIndexTerms.operatorClasses : isText ? [Trigrams.operatorClass] : ["tsvector_ops"]
        guard type == "tsvector" || type == "jsonb" || (isText && column.operatorClass != nil) else {
            throw VireoError(.undefinedObject, "data type \(type) has no default operator class for access method \"gin\"",
                             hint: "gin indexes take tsvector (tsvector_ops), jsonb (jsonb_ops, jsonb_path_ops) or text with gin_trgm_ops.")
        }
        if let operatorClass = column.operatorClass, !operatorClasses.contains(operatorClass) {
            throw VireoError(.undefinedObject, "operator class \"\(operatorClass)\" does not exist for access method \"gin\"")
        }
        if let option = statement.options.first {
            throw VireoError(.invalidParameter, "unrecognized parameter \"\(option.name)\"")
        }
        // A jsonb or trigram index keeps format 1's bare postings: its terms carry no frequencies for BM25.
        let options = type == "jsonb" || isText
            ? [InvertedIndex.operatorClassOption: column.operatorClass ?? JSONIndexTerms.defaultOperatorClass]
            : [InvertedIndex.formatOption: InvertedIndex.formatVersion]
        return IndexDefinition(name: name, columns: keys.columns, method: "gin", options: options)
    }

    private func dropIndexes(_ statement: DropIndex, _ transaction: StoreTransaction) throws -> QueryResult {
        for name in statement.names.map(\.name) {
            guard let (table, index) = transaction.catalog.index(name) else {
                guard statement.ifExists else { throw VireoError(.undefinedObject, "index \"\(name)\" does not exist") }
                raise(.skippedMissing("index", name))
                continue
            }
            if index.isUnique { try dropKeysRelyingOn(index: index, of: table, cascade: statement.cascade, transaction) }
            try transaction.dropIndex(name)
            database.vectorIndexes.forget(name)
        }
        return QueryResult(commandTag: "DROP INDEX")
    }
}

extension Session {
    /// The CHECK constraints of `table` whose expression reads column `column`.
    func checks(reading column: String, of table: TableDefinition, _ catalog: Catalog) throws -> [CheckConstraintDefinition] {
        guard let position = table.columnIndex(column) else { return [] }
        return try table.checks.filter { check in
            CheckConstraints.columnsRead(try CheckConstraints.bind(check.expression, table: table, catalog: catalog)).contains(position)
        }
    }

    /// The indexes of `table` whose key expressions or predicate read `column`.
    func computedIndexes(reading column: String, of table: TableDefinition) throws -> [IndexDefinition] {
        guard let position = table.columnIndex(column) else { return [] }
        return try table.indexes.filter { index in
            guard index.isComputed else { return false }
            let bound = try IndexExpressions.shared.bound(index, table: table)
            let expressions = bound.keys.indices.filter { index.expression(at: $0) != nil }.map { bound.keys[$0] }
            return (expressions + [bound.predicate].compactMap { $0 }).contains { CheckConstraints.columnsRead($0).contains(position) }
        }
    }

    /// DROP COLUMN drops the CHECK constraints that read the column, as in PostgreSQL.
    private func dropChecks(reading column: String, of table: TableDefinition, _ transaction: StoreTransaction) throws {
        let dropped = Set(try checks(reading: column, of: table, transaction.catalog).map(\.name))
        guard !dropped.isEmpty else { return }
        let current = try transaction.catalog.table(table.name)
        try transaction.setCheckConstraints(current.checks.filter { !dropped.contains($0.name) }, of: table.name)
    }
}
