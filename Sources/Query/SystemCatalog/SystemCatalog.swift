import VireoStorage

/// The pg_catalog and information_schema relations that PostgreSQL drivers and tools
/// read to learn what a server holds (pgvector-python's register_vector looks its type
/// up in pg_type; ORMs list tables and columns). They are computed from the catalog each
/// time a query reads them, so they can never disagree with it, and they are read-only.
enum SystemCatalog {
    static let schemas: Set<String> = ["pg_catalog", "information_schema"]
    static let catalogNamespaceOID: Int64 = 11
    static let publicNamespaceOID: Int64 = 2200
    static let informationSchemaOID: Int64 = 13_000
    static let ownerOID: Int64 = 10
    static let ownerName = "vireo"
    static let databaseName = "vireo"
    /// Where user objects' OIDs start, as in PostgreSQL.
    static let firstUserOID: Int64 = 16_384

    /// A relation's columns and rows.
    struct Relation {
        var columns: [ResultColumn]
        var rows: [[Value]]
    }

    /// The system relation `name` refers to, if any: a name in pg_catalog or
    /// information_schema, or an unqualified pg_catalog name no user table shadows.
    static func relation(_ name: TableName, _ catalog: Catalog) -> Relation? {
        if let schema = name.schema, !schemas.contains(schema) { return nil }
        if name.schema == nil, catalog.tables[name.name] != nil { return nil }
        let builder = relations[name.schema == "information_schema" ? "information_schema." + name.name : name.name]
        return builder?(catalog)
    }

    private static let relations: [String: @Sendable (Catalog) -> Relation] = [
        "pg_namespace": { _ in namespaces },
        "pg_type": { _ in types },
        "pg_class": classes,
        "pg_attribute": attributes,
        "pg_index": indexes,
        "pg_am": { _ in accessMethods },
        "pg_database": { _ in databases },
        "pg_tables": userTables,
        "information_schema.tables": informationSchemaTables,
        "information_schema.columns": informationSchemaColumns,
    ]

    static func columns(_ pairs: (String, SQLType)...) -> [ResultColumn] {
        pairs.map { ResultColumn(name: $0.0, type: $0.1) }
    }

    /// A stable OID for a user object, from its name (FNV-1a): the catalog keeps none.
    static func oid(ofObject name: String) -> Int64 {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return firstUserOID + Int64(hash % 1_000_000_000)
    }

    static let namespaces = Relation(
        columns: columns(("oid", .int), ("nspname", .text), ("nspowner", .int)),
        rows: [[.int(catalogNamespaceOID), .text("pg_catalog"), .int(ownerOID)],
               [.int(publicNamespaceOID), .text("public"), .int(ownerOID)],
               [.int(informationSchemaOID), .text("information_schema"), .int(ownerOID)]])

    static let databases = Relation(
        columns: columns(("oid", .int), ("datname", .text), ("datdba", .int), ("encoding", .int), ("datlocprovider", .text),
                         ("datcollate", .text), ("datctype", .text), ("daticulocale", .text), ("datacl", .text),
                         ("datistemplate", .bool), ("datallowconn", .bool)),
        rows: [[.int(1), .text(databaseName), .int(ownerOID), .int(6), .text("c"), .text("C.UTF-8"), .text("C.UTF-8"),
                .null, .null, .bool(false), .bool(true)]])

    static let accessMethods = Relation(
        columns: columns(("oid", .int), ("amname", .text), ("amtype", .text)),
        rows: [[.int(403), .text("btree"), .text("i")], [.int(oid(ofObject: "hnsw")), .text("hnsw"), .text("i")]])
}

extension SystemCatalog {
    /// pg_class: one row per table and per index.
    static func classes(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in catalog.tables.values.sorted(by: { $0.name < $1.name }) {
            rows.append(classRow(table.name, kind: "r", accessMethod: 0, hasIndex: !table.indexes.isEmpty, attributeCount: table.columns.count))
            for index in table.indexes {
                let method = index.method == "hnsw" ? oid(ofObject: "hnsw") : 403
                rows.append(classRow(index.name, kind: "i", accessMethod: method, hasIndex: false, attributeCount: index.columns.count))
            }
        }
        return Relation(columns: columns(
            ("oid", .int), ("relname", .text), ("relnamespace", .int), ("relkind", .text), ("relowner", .int),
            ("relam", .int), ("relhasindex", .bool), ("relpersistence", .text), ("relispartition", .bool),
            ("reltuples", .double), ("relnatts", .int), ("reltype", .int)), rows: rows)
    }

    private static func classRow(_ name: String, kind: String, accessMethod: Int64, hasIndex: Bool, attributeCount: Int) -> [Value] {
        [.int(oid(ofObject: name)), .text(name), .int(publicNamespaceOID), .text(kind), .int(ownerOID), .int(accessMethod),
         .bool(hasIndex), .text("p"), .bool(false), .double(-1), .int(Int64(attributeCount)), .int(0)]
    }

    /// pg_attribute: the columns of every table.
    static func attributes(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in catalog.tables.values.sorted(by: { $0.name < $1.name }) {
            for (position, column) in table.columns.enumerated() {
                let type = BuiltinType.of(column.type)
                rows.append([.int(oid(ofObject: table.name)), .text(column.name), .int(type.oid), .int(Int64(position + 1)),
                             .bool(column.notNull), .bool(false), .int(type.typmod(column.type)), .int(type.length),
                             .bool(column.defaultExpression != nil)])
            }
        }
        return Relation(columns: columns(
            ("attrelid", .int), ("attname", .text), ("atttypid", .int), ("attnum", .int), ("attnotnull", .bool),
            ("attisdropped", .bool), ("atttypmod", .int), ("attlen", .int), ("atthasdef", .bool)), rows: rows)
    }

    /// pg_index: which table each index belongs to and its columns (indkey as PostgreSQL
    /// prints an int2vector: attribute numbers separated by spaces).
    static func indexes(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in catalog.tables.values.sorted(by: { $0.name < $1.name }) {
            for index in table.indexes {
                let keys = index.columns.compactMap { table.columnIndex($0).map { String($0 + 1) } }.joined(separator: " ")
                rows.append([.int(oid(ofObject: index.name)), .int(oid(ofObject: table.name)), .bool(index.isUnique),
                             .bool(false), .text(keys), .int(Int64(index.columns.count))])
            }
        }
        return Relation(columns: columns(
            ("indexrelid", .int), ("indrelid", .int), ("indisunique", .bool), ("indisprimary", .bool),
            ("indkey", .text), ("indnatts", .int)), rows: rows)
    }

    /// pg_tables: the user tables.
    static func userTables(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("schemaname", .text), ("tablename", .text), ("tableowner", .text), ("hasindexes", .bool)),
                 rows: catalog.tables.values.sorted { $0.name < $1.name }.map {
                     [.text("public"), .text($0.name), .text(ownerName), .bool(!$0.indexes.isEmpty)]
                 })
    }

    static func informationSchemaTables(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("table_catalog", .text), ("table_schema", .text), ("table_name", .text), ("table_type", .text)),
                 rows: catalog.tables.values.sorted { $0.name < $1.name }.map {
                     [.text(databaseName), .text("public"), .text($0.name), .text("BASE TABLE")]
                 })
    }

    static func informationSchemaColumns(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in catalog.tables.values.sorted(by: { $0.name < $1.name }) {
            for (position, column) in table.columns.enumerated() {
                let type = BuiltinType.of(column.type)
                rows.append([.text(databaseName), .text("public"), .text(table.name), .text(column.name), .int(Int64(position + 1)),
                             .text(type.informationSchemaName), .text(column.notNull ? "NO" : "YES"), .text(type.name)])
            }
        }
        return Relation(columns: columns(
            ("table_catalog", .text), ("table_schema", .text), ("table_name", .text), ("column_name", .text),
            ("ordinal_position", .int), ("data_type", .text), ("is_nullable", .text), ("udt_name", .text)), rows: rows)
    }
}
