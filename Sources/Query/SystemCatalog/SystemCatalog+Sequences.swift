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

    /// A sequence read as a relation (`SELECT last_value, is_called FROM items_id_seq`, as
    /// pg_dump saves its state): one row, its state when the statement began; nil when
    /// `name` is not a sequence (a table of the name comes first).
    static func sequenceRelation(_ name: TableName, _ catalog: Catalog) -> Relation? {
        guard name.schema == nil || name.schema == "public", catalog.tables[catalog.resolve(name.name)] == nil,
              let sequence = catalog.sequence(named: name.name) else { return nil }
        let state = catalog.sequences[sequence.name] ?? sequence.initialState
        return Relation(columns: [ResultColumn(name: "last_value", type: .int), ResultColumn(name: "log_cnt", type: .int),
                                  ResultColumn(name: "is_called", type: .bool)],
                        rows: [[.int(state.lastValue), .int(0), .bool(state.isCalled)]])
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
        rows += defaultSequenceDependencies(catalog) + extensionMemberships(catalog)
        return Relation(columns: columns(("classid", .int), ("objid", .int), ("objsubid", .int), ("refclassid", .int), ("refobjid", .int),
                                         ("refobjsubid", .int), ("deptype", .text)), rows: rows)
    }

    /// A default that draws from a sequence (a serial column's, or `nextval('s'::regclass)`)
    /// depends on it, normally ('n'): pg_dump then creates the table, the sequence, and
    /// sets the default after both.
    private static func defaultSequenceDependencies(_ catalog: Catalog) -> [[Value]] {
        sortedTables(catalog).flatMap { table in
            table.columns.compactMap { column -> [Value]? in
                guard column.identity == nil, column.generatedExpression == nil, let text = defaultText(column, of: table.name),
                      let expression = try? Parser.parseExpression(text), var sequence = SearchPath.nextvalSequence(expression) else { return nil }
                if sequence.count >= 2, sequence.hasPrefix("\""), sequence.hasSuffix("\"") { sequence = String(sequence.dropFirst().dropLast()) }
                guard catalog.sequence(named: sequence) != nil else { return nil }
                return [.int(catalogRelationOIDs["pg_attrdef"] ?? 2604), .int(attributeDefaultOID(table, column)), .int(0),
                        .int(catalogRelationOIDs["pg_class"] ?? 1259), .int(oid(ofObject: sequence)), .int(0), .text("n")]
            }
        }
    }

    /// The sequence owned by `table`.`column` (serial, identity or OWNED BY), if any.
    static func ownedSequence(_ catalog: Catalog, table: TableDefinition, column: VireoStorage.ColumnDefinition) -> String? {
        if column.isSerial { return StoreTransaction.sequenceName(table: table.name, column: column.name) }
        return catalog.sequenceDefinitions.values.filter { $0.ownedByTable == table.name && $0.ownedByColumn == column.name }
            .map(\.name).min()
    }
}

/// The extensions pg_extension lists, and the objects that are theirs (pg_depend's 'e'
/// rows): pg_dump writes CREATE EXTENSION for an extension, never its members' own DDL.
extension SystemCatalog {
    /// pgvector's: Vireo's vector type, its array type and the hnsw access method. An OID
    /// of a user object's range, so that pg_dump writes `CREATE EXTENSION vector` (which
    /// a PostgreSQL with pgvector needs before the tables that use it).
    static let vectorExtensionOID = oid(ofObject: "extension vector")
    /// Vireo's own tables (schema vireo, made by the REST surfaces) belong to an extension
    /// named vireo with a built-in OID, as plpgsql's is: pg_dump leaves built-in extensions
    /// and their members out, so a dump holds the user's objects only, which restore into
    /// a fresh Vireo (that makes its own tables) and into PostgreSQL alike.
    static let vireoExtensionOID: Int64 = 13_200

    static func extensionRelation(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("oid", .int), ("extname", .text), ("extowner", .int), ("extnamespace", .int),
                                  ("extrelocatable", .bool), ("extversion", .text), ("extconfig", .array(.int)), ("extcondition", .array(.text))),
                 rows: [[.int(vireoExtensionOID), .text("vireo"), .int(ownerOID), .int(vireoNamespaceOID), .bool(false), .text(vireoVersion), .null, .null],
                        [.int(vectorExtensionOID), .text("vector"), .int(ownerOID), .int(publicNamespaceOID), .bool(true),
                         .text(pgvectorVersion), .null, .null]])
    }

    static let vireoVersion = "0.1"

    private static func extensionMemberships(_ catalog: Catalog) -> [[Value]] {
        func member(_ relation: String, _ objectOID: Int64, of extensionOID: Int64) -> [Value] {
            [.int(catalogRelationOIDs[relation] ?? 0), .int(objectOID), .int(0), .int(catalogRelationOIDs["pg_extension"] ?? 3079),
             .int(extensionOID), .int(0), .text("e")]
        }
        var rows = [member("pg_am", accessMethodOID("hnsw"), of: vectorExtensionOID),
                    member("pg_namespace", vireoNamespaceOID, of: vireoExtensionOID)]
        // pgvector's types and their array types belong to the extension: pg_dump leaves them out.
        for type in BuiltinType.all where BuiltinType.pgvectorOIDs.contains(type.oid) {
            rows.append(member("pg_type", type.oid, of: vectorExtensionOID))
            if type.arrayOID != 0 { rows.append(member("pg_type", type.arrayOID, of: vectorExtensionOID)) }
        }
        let own = catalog.tables.keys.filter { schemaName(of: $0) == "vireo" } + catalog.allSequences.map(\.name).filter { schemaName(of: $0) == "vireo" }
        rows += own.sorted().map { member("pg_class", oid(ofObject: $0), of: vireoExtensionOID) }
        return rows
    }
}
