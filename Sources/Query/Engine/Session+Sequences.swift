import VireoStorage

/// CREATE, ALTER and DROP SEQUENCE, and the options of identity columns' sequences.
extension Session {
    func createSequence(_ statement: CreateSequence, _ transaction: StoreTransaction) throws -> QueryResult {
        let name = try SequenceOptions.name(statement.name)
        if transaction.catalog.hasRelation(name) {
            guard statement.ifNotExists else { throw VireoError(.duplicateTable, "relation \"\(name)\" already exists") }
            raise(.skippedExisting("relation", name))
            return QueryResult(commandTag: "CREATE SEQUENCE")
        }
        let (definition, _) = try SequenceOptions.apply(statement.options, to: SequenceDefinition(name: name), isNew: true,
                                                        catalog: transaction.catalog)
        try transaction.setSequence(definition)
        return QueryResult(commandTag: "CREATE SEQUENCE")
    }

    func alterSequence(_ statement: AlterSequence, _ transaction: StoreTransaction) throws -> QueryResult {
        let name = try SequenceOptions.name(statement.name)
        guard let existing = transaction.catalog.sequence(named: name) else {
            if statement.ifExists {
                raise(.skippedMissing("relation", name))
                return QueryResult(commandTag: "ALTER SEQUENCE")
            }
            throw SequenceOptions.notASequence(name, transaction.catalog)
        }
        let (definition, restart) = try SequenceOptions.apply(statement.options, to: existing, isNew: false, catalog: transaction.catalog)
        if definition != existing { try transaction.setSequence(definition, replace: true) }
        if let restart { try transaction.setSequenceState(name, restart) }
        return QueryResult(commandTag: "ALTER SEQUENCE")
    }

    func dropSequences(_ statement: DropTable, _ transaction: StoreTransaction) throws -> QueryResult {
        for tableName in statement.names {
            let name = try SequenceOptions.name(tableName)
            guard let sequence = transaction.catalog.sequence(named: name) else {
                if statement.ifExists && !transaction.catalog.hasRelation(name) {
                    raise(.skippedMissing("sequence", name))
                    continue
                }
                throw SequenceOptions.notASequence(name, transaction.catalog)
            }
            if let table = sequence.ownedByTable, let column = sequence.ownedByColumn,
               transaction.catalog.tables[table]?.columns.first(where: { $0.name == column })?.isSerial == true {
                throw VireoError(.dependentObjectsStillExist, "cannot drop sequence \(name) because column \(column) of table \(table) requires it",
                                 hint: "You can drop column \(column) of table \(table) instead.")
            }
            try transaction.dropSequenceObject(name)
        }
        return QueryResult(commandTag: "DROP SEQUENCE")
    }

    /// Stores the options `GENERATED … AS IDENTITY (…)` gave the columns of a new table.
    func applyIdentityOptions(_ statement: CreateTable, _ transaction: StoreTransaction) throws {
        for column in statement.columns where !column.identityOptions.isEmpty {
            guard let stored = try transaction.catalog.table(statement.name.name).columns.first(where: { $0.name == column.name }) else { continue }
            let base = transaction.catalog.serialSequence(table: statement.name.name, column: stored)
            let (definition, _) = try SequenceOptions.apply(column.identityOptions, to: base, isNew: true, catalog: transaction.catalog)
            try transaction.setSequence(definition, replace: true)
        }
    }
}

/// How sequence options change a definition, with PostgreSQL's defaults and errors.
enum SequenceOptions {
    /// A sequence's name; only the public schema holds any.
    static func name(_ name: TableName) throws -> String {
        if let schema = name.schema, schema != "public" {
            throw VireoError(.undefinedObject, "schema \"\(schema)\" does not exist")
        }
        return name.name
    }

    /// 42809 when `name` is another kind of relation, else 42P01.
    static func notASequence(_ name: String, _ catalog: Catalog) -> VireoError {
        if catalog.hasRelation(name) { return VireoError(.wrongObjectType, "\"\(name)\" is not a sequence") }
        return VireoError(.undefinedTable, "relation \"\(name)\" does not exist")
    }

    /// `base` with `options` applied, and the state RESTART asks for. A new sequence takes
    /// the defaults its direction implies for what the options leave out.
    static func apply(_ options: [SequenceOption], to base: SequenceDefinition, isNew: Bool,
                      catalog: Catalog) throws -> (SequenceDefinition, SequenceState?) {
        var definition = base
        var minimum: Int64??, maximum: Int64??, start: Int64?, restart: Int64??
        for option in options {
            switch option {
            case .dataType(let type): definition.dataType = type
            case .increment(let value): definition.increment = value
            case .minValue(let value): minimum = .some(value)
            case .maxValue(let value): maximum = .some(value)
            case .start(let value): start = value
            case .restart(let value): restart = .some(value)
            case .cache(let value): definition.cache = value
            case .cycle(let on): definition.cycle = on
            case .ownedBy(let table, let column):
                guard try catalog.table(table, schema: nil).columnIndex(column) != nil else {
                    throw VireoError(.undefinedColumn, "column \"\(column)\" of relation \"\(table)\" does not exist")
                }
                (definition.ownedByTable, definition.ownedByColumn) = (table, column)
            case .ownedByNone: (definition.ownedByTable, definition.ownedByColumn) = (nil, nil)
            case .sequenceName(let name):
                // An identity column's sequence is named after it (table_column_seq), as PostgreSQL names it by default.
                guard try Self.name(name) == base.name else {
                    throw VireoError(.featureNotSupported, "an identity column's sequence is named \(base.name) in Vireo, not \(name.name)")
                }
            }
        }
        let ascending = definition.increment > 0
        let (typeMinimum, typeMaximum) = (SequenceDefinition.typeMinimum(definition.dataType), SequenceDefinition.typeMaximum(definition.dataType))
        let typeChanged = definition.dataType != base.dataType
        if let minimum {
            definition.minValue = minimum ?? (ascending ? 1 : typeMinimum)
        } else if isNew || typeChanged && base.minValue == SequenceDefinition.typeMinimum(base.dataType) {
            definition.minValue = ascending ? 1 : typeMinimum
        }
        if let maximum {
            definition.maxValue = maximum ?? (ascending ? typeMaximum : -1)
        } else if isNew || typeChanged && base.maxValue == SequenceDefinition.typeMaximum(base.dataType) {
            definition.maxValue = ascending ? typeMaximum : -1
        }
        if let start { definition.start = start } else if isNew { definition.start = ascending ? definition.minValue : definition.maxValue }
        try definition.validate()
        guard let restart else { return (definition, nil) }
        let value = restart ?? definition.start
        guard value >= definition.minValue else {
            throw VireoError(.invalidParameter, "RESTART value (\(value)) cannot be less than MINVALUE (\(definition.minValue))")
        }
        guard value <= definition.maxValue else {
            throw VireoError(.invalidParameter, "RESTART value (\(value)) cannot be greater than MAXVALUE (\(definition.maxValue))")
        }
        return (definition, SequenceState(lastValue: value, isCalled: false))
    }
}
