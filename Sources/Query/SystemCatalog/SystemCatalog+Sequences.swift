import VireoStorage

/// Sequences in the catalog views: pg_class rows of relkind 'S', pg_sequence, pg_sequences,
/// information_schema.sequences, and the pg_depend rows that tie a sequence to the column
/// owning it (psql's \d and SQLAlchemy's reflection find serial and identity columns so).
extension SystemCatalog {
    static func sequenceTypeOID(_ dataType: String) -> Int64 {
        switch dataType {
        case "smallint": 21
        case "integer": 23
        default: 20
        }
    }

    /// pg_class rows of the sequences.
    static func sequenceClassRows(_ catalog: Catalog) -> [[Value]] {
        catalog.allSequences.map { sequence in
            classRow(sequence.name, kind: "S", accessMethod: 0, hasIndex: false, attributeCount: 3)
        }
    }

    /// pg_sequence: each sequence's options.
    static func sequenceOptions(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("seqrelid", .int), ("seqtypid", .int), ("seqstart", .int), ("seqincrement", .int), ("seqmax", .int),
                                  ("seqmin", .int), ("seqcache", .int), ("seqcycle", .bool)),
                 rows: catalog.allSequences.map { sequence in
                     [.int(oid(ofObject: sequence.name)), .int(sequenceTypeOID(sequence.dataType)), .int(sequence.start),
                      .int(sequence.increment), .int(sequence.maxValue), .int(sequence.minValue), .int(sequence.cache), .bool(sequence.cycle)]
                 })
    }

    /// pg_sequences: the options and the last value (NULL until nextval has given one).
    static func sequenceList(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("schemaname", .text), ("sequencename", .text), ("sequenceowner", .text), ("data_type", .text),
                                  ("start_value", .int), ("min_value", .int), ("max_value", .int), ("increment_by", .int),
                                  ("cycle", .bool), ("cache_size", .int), ("last_value", .int)),
                 rows: catalog.allSequences.map { sequence in
                     let state = catalog.sequences[sequence.name] ?? sequence.initialState
                     return [.text(schemaName(of: sequence.name)), .text(sequence.name), .text(ownerName), .text(sequence.dataType), .int(sequence.start),
                             .int(sequence.minValue), .int(sequence.maxValue), .int(sequence.increment), .bool(sequence.cycle),
                             .int(sequence.cache), state.isCalled ? .int(state.lastValue) : .null]
                 })
    }

    /// information_schema.sequences: numbers as text, as the standard has them.
    static func informationSchemaSequences(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("sequence_catalog", .text), ("sequence_schema", .text), ("sequence_name", .text), ("data_type", .text),
                                  ("numeric_precision", .int), ("numeric_precision_radix", .int), ("numeric_scale", .int),
                                  ("start_value", .text), ("minimum_value", .text), ("maximum_value", .text), ("increment", .text),
                                  ("cycle_option", .text)),
                 rows: catalog.allSequences.map { sequence in
                     let precision: Int64 = switch sequence.dataType {
                     case "smallint": 16
                     case "integer": 32
                     default: 64
                     }
                     return [.text(databaseName), .text(schemaName(of: sequence.name)), .text(sequence.name), .text(sequence.dataType), .int(precision), .int(2), .int(0),
                             .text(String(sequence.start)), .text(String(sequence.minValue)), .text(String(sequence.maxValue)),
                             .text(String(sequence.increment)), .text(sequence.cycle ? "YES" : "NO")]
                 })
    }

    /// pg_depend: a sequence owned by a column depends on it, automatically (serial, OWNED
    /// BY: 'a') or internally (identity: 'i').
    static func dependencies(_ catalog: Catalog) -> Relation {
        let pgClass = Value.int(catalogRelationOIDs["pg_class"] ?? 1259)
        var rows: [[Value]] = []
        for sequence in catalog.allSequences {
            guard let tableName = sequence.ownedByTable, let table = catalog.tables[tableName],
                  let position = sequence.ownedByColumn.flatMap(table.columnIndex) else { continue }
            let identity = table.columns[position].identity != nil
                && sequence.name == StoreTransaction.sequenceName(table: table.name, column: table.columns[position].name)
            rows.append([pgClass, .int(oid(ofObject: sequence.name)), .int(0), pgClass, .int(oid(ofObject: table.name)),
                         .int(Int64(position + 1)), .text(identity ? "i" : "a")])
        }
        return Relation(columns: columns(("classid", .int), ("objid", .int), ("objsubid", .int), ("refclassid", .int), ("refobjid", .int),
                                         ("refobjsubid", .int), ("deptype", .text)), rows: rows)
    }

    /// The sequence owned by `table`.`column` (serial, identity or OWNED BY), if any.
    static func ownedSequence(_ catalog: Catalog, table: TableDefinition, column: VireoStorage.ColumnDefinition) -> String? {
        if column.isSerial { return StoreTransaction.sequenceName(table: table.name, column: column.name) }
        return catalog.sequenceDefinitions.values.filter { $0.ownedByTable == table.name && $0.ownedByColumn == column.name }
            .map(\.name).min()
    }
}
