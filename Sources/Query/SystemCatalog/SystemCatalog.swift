import VireoStorage

/// The pg_catalog and information_schema relations that PostgreSQL drivers and tools
/// read to learn what a server holds (pgvector-python's register_vector looks its type
/// up in pg_type; ORMs list tables and columns). They are computed from the catalog each
/// time a query reads them, so they can never disagree with it, and they are read-only.
enum SystemCatalog {
    static let schemas: Set<String> = ["pg_catalog", "information_schema"]
    /// Every schema a database has (and no other can be created): user objects are in
    /// `public`, Vireo's own tables in `vireo`; a session's temporary tables are in its
    /// pg_temp schema besides.
    static let fixedSchemas = ["information_schema", "pg_catalog", "public", "vireo"]
    static let catalogNamespaceOID: Int64 = 11
    static let publicNamespaceOID: Int64 = 2200
    static let informationSchemaOID: Int64 = 13_000
    /// Where Vireo's own tables (vector stores', jobs', users' … all named `vireo_…`, made by
    /// the REST surfaces) are listed, so that tools browsing public see only the user's.
    static let vireoNamespaceOID: Int64 = 13_100
    static let internalRelationPrefix = "vireo_"
    static let ownerOID: Int64 = 10
    static let ownerName = "vireo"
    static let databaseName = "vireo"
    /// The pgvector release whose SQL Vireo's vector type and operators follow.
    static let pgvectorVersion = "0.8.0"
    /// Where user objects' OIDs start, as in PostgreSQL.
    static let firstUserOID: Int64 = 16_384

    /// The OIDs PostgreSQL gives its own catalog relations, for `'pg_class'::regclass`.
    static let catalogRelationOIDs: [String: Int64] = [
        "pg_default_acl": 826, "pg_tablespace": 1213, "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259,
        "pg_authid": 1260, "pg_roles": 1260, "pg_auth_members": 1261, "pg_database": 1262, "pg_foreign_server": 1417,
        "pg_user_mapping": 1418, "pg_sequence": 2224, "pg_foreign_data_wrapper": 2328, "pg_shdescription": 2396,
        "pg_aggregate": 2600, "pg_am": 2601, "pg_amop": 2602, "pg_amproc": 2603, "pg_attrdef": 2604, "pg_cast": 2605,
        "pg_constraint": 2606, "pg_conversion": 2607, "pg_depend": 2608, "pg_description": 2609, "pg_index": 2610,
        "pg_inherits": 2611, "pg_language": 2612, "pg_namespace": 2615, "pg_opclass": 2616, "pg_operator": 2617,
        "pg_rewrite": 2618, "pg_trigger": 2620, "pg_opfamily": 2753, "pg_largeobject_metadata": 2995, "pg_extension": 3079,
        "pg_foreign_table": 3118, "pg_policy": 3256, "pg_partitioned_table": 3350, "pg_statistic_ext": 3381,
        "pg_init_privs": 3394, "pg_statistic_ext_data": 3429, "pg_collation": 3456, "pg_event_trigger": 3466, "pg_enum": 3501,
        "pg_range": 3541, "pg_transform": 3576, "pg_shseclabel": 3592, "pg_seclabel": 3596, "pg_ts_dict": 3600,
        "pg_ts_parser": 3601, "pg_ts_config": 3602, "pg_ts_template": 3764, "pg_subscription": 6100,
        "pg_subscription_rel": 6102, "pg_publication": 6104, "pg_publication_rel": 6106, "pg_publication_namespace": 6237,
        "pg_db_role_setting": 2964,
    ]

    /// The OID of the relation `text` names (`t`, `public.t`, `pg_catalog.pg_class`), as a
    /// cast to regclass gives it; nil when there is none.
    static func relationOID(_ text: String, _ catalog: Catalog) -> Int64? {
        var name = text.trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
        let temporary = name.hasPrefix("pg_temp.")
        for schema in ["pg_catalog.", "public.", "vireo.", "pg_temp."] where name.hasPrefix(schema) { name.removeFirst(schema.count) }
        if let number = Int64(name) { return number }
        name = catalog.resolve(name)
        if temporary, TemporarySchema.split(name) == nil { return nil }
        if let system = catalogRelationOIDs[name] { return system }
        if catalog.tables[name] != nil || catalog.views[name] != nil || catalog.sequence(named: name) != nil
            || catalog.tables.values.contains(where: { table in indexEntries(table).contains { $0.name == name } }) {
            return oid(ofObject: name)
        }
        return nil
    }

    /// pg_description: COMMENT ON TABLE (objsubid 0) and COLUMN (its attribute number).
    static func descriptions(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = [[.int(publicNamespaceOID), .int(catalogRelationOIDs["pg_namespace"] ?? 2615), .int(0), .text("standard public schema")]]
        for table in sortedTables(catalog) {
            let oid = Value.int(oid(ofObject: table.name)), pgClass = Value.int(catalogRelationOIDs["pg_class"] ?? 1259)
            if let comment = table.comment { rows.append([oid, pgClass, .int(0), .text(comment)]) }
            for (position, column) in table.columns.enumerated() {
                if let comment = column.comment { rows.append([oid, pgClass, .int(Int64(position + 1)), .text(comment)]) }
            }
        }
        return Relation(columns: columns(("objoid", .int), ("classoid", .int), ("objsubid", .int), ("description", .text)), rows: rows)
    }

    /// The comment of a table (`subID` 0) or of its column number `subID`.
    static func description(_ catalog: Catalog, objectOID: Int64, subID: Int64) -> String? {
        guard let table = catalog.tables.values.first(where: { oid(ofObject: $0.name) == objectOID }) else { return nil }
        if subID == 0 { return table.comment }
        return subID <= table.columns.count && subID > 0 ? table.columns[Int(subID) - 1].comment : nil
    }

    /// The name of the table, view or index whose OID is `oid` (regclass output).
    static func relationName(_ oid: Int64, _ catalog: Catalog) -> String? {
        if let system = catalogRelationOIDs.first(where: { $0.value == oid }) { return system.key }
        let names = catalog.tables.values.flatMap { table in [table.name] + indexEntries(table).map(\.name) } + catalog.views.keys
            + catalog.allSequences.map(\.name)
        return names.first { self.oid(ofObject: $0) == oid }
    }

    /// Refuses a role other than the database's one, as PostgreSQL refuses a role that does
    /// not exist. Every connection is that one role, whatever user name it logged in with
    /// (`user`), and `postgres`, the name PostgreSQL's bootstrap superuser has in almost
    /// every installation, names it too: pg_dump writes `OWNER TO postgres` for each object.
    static func checkRole(_ role: String, user: String?) throws {
        guard [ownerName, "postgres", "current_user", "session_user", "current_role"].contains(role) || role == user else {
            throw VireoError(.undefinedObject, "role \"\(role)\" does not exist")
        }
    }

    /// A relation's columns and rows.
    struct Relation {
        var columns: [ResultColumn]
        var rows: [[Value]]
    }

    /// The system relation `name` refers to, if any: a name in pg_catalog or
    /// information_schema, or an unqualified pg_catalog name no user table shadows.
    static func relation(_ name: TableName, _ catalog: Catalog) -> Relation? {
        if let schema = name.schema, !schemas.contains(schema) { return nil }
        if name.schema == nil, catalog.tables[name.name] != nil || catalog.views[name.name] != nil { return nil }
        let key = name.schema == "information_schema" ? "information_schema." + name.name : name.name
        guard let builder = relations[key] ?? monitoringRelations[key] ?? constraintViews[key] else { return emptyPostgresRelation(key) }
        return shaped(key, builder(catalog))
    }

    /// The OID of the pg_catalog table `name` is (its rows' tableoid), nil for a view or
    /// an information_schema relation.
    static func tableOID(of name: TableName) -> Int64? {
        guard name.schema == nil || name.schema == "pg_catalog", postgresColumns[name.name] != nil else { return nil }
        return catalogRelationOIDs[name.name]
    }

    private static let relations: [String: @Sendable (Catalog) -> Relation] = [
        "pg_namespace": namespaceRelation,
        "pg_type": typeRelation,
        "pg_class": classes,
        "pg_attribute": attributes,
        "pg_index": indexes,
        "pg_am": { _ in accessMethods },
        "pg_database": { _ in databases },
        "pg_tables": userTables,
        "pg_indexes": indexList,
        "pg_stats": statistics,
        "pg_attrdef": attributeDefaults,
        "pg_constraint": constraints,
        "pg_roles": { _ in Relation(columns: roles.columns, rows: roles.rows + [databaseOwnerRole]) },
        "pg_user": { _ in roles },
        "pg_collation": { _ in collations },
        "pg_ts_config": { _ in textSearchConfigurations },
        "pg_ts_parser": { _ in textSearchParsers },
        "pg_tablespace": { _ in Relation(columns: columns(("oid", .int), ("spcname", .text), ("spcowner", .int), ("spcoptions", .array(.text))),
                                         rows: [[.int(1663), .text("pg_default"), .int(ownerOID), .null],
                                                [.int(1664), .text("pg_global"), .int(ownerOID), .null]]) },
        "pg_enum": enumRelation,
        "pg_proc": procedures,
        "pg_language": { _ in languages },
        "pg_extension": extensionRelation,
        "pg_description": descriptions,
        "pg_depend": dependencies,
        "pg_sequence": sequenceOptions,
        "pg_trigger": triggerRelation,
        "information_schema.triggers": informationSchemaTriggers,
        "information_schema.sequences": informationSchemaSequences,
        "information_schema.tables": informationSchemaTables,
        "information_schema.columns": informationSchemaColumns,
        "information_schema.views": informationSchemaViews,
        "information_schema.routines": informationSchemaRoutines,
        "information_schema.parameters": informationSchemaParameters,
    ]

    /// A relation Vireo has nothing to put in (policies, publications, inheritance…): its
    /// columns are there so that tools' queries bind, and it has no rows.
    static func empty(_ pairs: (String, SQLType)...) -> Relation {
        Relation(columns: pairs.map { ResultColumn(name: $0.0, type: catalogType($0.0, $0.1)) }, rows: [])
    }

    /// PostgreSQL 15's pg_database_owner, the role that owns public (pg_dump writes no
    /// ALTER SCHEMA public OWNER for it): it cannot log in, and is the database's owner.
    static let databaseOwnerOID: Int64 = 6171
    static let databaseOwnerName = "pg_database_owner"
    static let databaseOwnerRole: [Value] = [
        .int(databaseOwnerOID), .text(databaseOwnerName), .bool(false), .bool(true), .bool(false), .bool(false), .bool(false), .int(-1), .null,
        .bool(false), .bool(false), .text(databaseOwnerName), .int(databaseOwnerOID),
    ]

    /// The name of role `oid` (pg_get_userbyid).
    static func roleName(_ oid: Int64) -> String {
        oid == databaseOwnerOID ? databaseOwnerName : ownerName
    }

    static let roles = Relation(
        columns: columns(("oid", .int), ("rolname", .text), ("rolsuper", .bool), ("rolinherit", .bool), ("rolcreaterole", .bool),
                         ("rolcreatedb", .bool), ("rolcanlogin", .bool), ("rolconnlimit", .int), ("rolvaliduntil", .timestamptz),
                         ("rolreplication", .bool), ("rolbypassrls", .bool), ("usename", .text), ("usesysid", .int)),
        rows: [[.int(ownerOID), .text(ownerName), .bool(true), .bool(true), .bool(true), .bool(true), .bool(true), .int(-1), .null,
                .bool(true), .bool(true), .text(ownerName), .int(ownerOID)]])

    static let collations = Relation(
        columns: columns(("oid", .int), ("collname", .text), ("collnamespace", .int), ("collprovider", .text)),
        rows: [[.int(defaultCollationOID), .text("default"), .int(catalogNamespaceOID), .text("d")],
               [.int(950), .text("C"), .int(catalogNamespaceOID), .text("c")],
               [.int(951), .text("POSIX"), .int(catalogNamespaceOID), .text("c")]])

    /// The text-search configurations to_tsvector and to_tsquery take (`SELECT cfgname FROM
    /// pg_ts_config` is how clients list them; psql's \dF), all on PostgreSQL's one parser.
    static let textSearchConfigurations = Relation(
        columns: columns(("oid", .int), ("cfgname", .text), ("cfgnamespace", .int), ("cfgowner", .int), ("cfgparser", .int)),
        rows: TextSearchConfiguration.allCases.map { configuration in
            [.int(configuration == .simple ? 3748 : oid(ofObject: "ts_config " + configuration.rawValue)), .text(configuration.rawValue),
             .int(catalogNamespaceOID), .int(ownerOID), .int(textSearchParserOID)]
        })
    static let textSearchParserOID: Int64 = 3722
    static let textSearchParsers = Relation(
        columns: columns(("oid", .int), ("prsname", .text), ("prsnamespace", .int)),
        rows: [[.int(textSearchParserOID), .text("default"), .int(catalogNamespaceOID)]])

    static func columns(_ pairs: (String, SQLType)...) -> [ResultColumn] {
        pairs.map { ResultColumn(name: $0.0, type: catalogType($0.0, $0.1)) }
    }

    /// The type PostgreSQL gives a pg_catalog column that the declarations write as bigint
    /// or text: oid for object references, name for identifiers, "char" for one-letter
    /// codes. Drivers decode catalog rows by these types.
    static func catalogType(_ column: String, _ declared: SQLType) -> SQLType {
        switch declared {
        case .int where objectIdentifierColumns.contains(column): .oid
        case .text where nameColumns.contains(column): .name
        case .text where charColumns.contains(column): .internalChar
        default: declared
        }
    }

    static let objectIdentifierColumns: Set<String> = [
        "oid", "typnamespace", "typarray", "typelem", "typrelid", "typbasetype", "typowner", "typcollation",
        "relnamespace", "reltype", "reloftype", "relowner", "relam", "relfilenode", "reltablespace", "reltoastrelid",
        "attrelid", "atttypid", "attcollation", "indexrelid", "indrelid", "adrelid", "conrelid", "contypid", "conindid",
        "confrelid", "connamespace", "conparentid", "collnamespace", "datdba", "nspowner", "objoid", "classoid", "classid",
        "objid", "refclassid", "refobjid", "opcmethod", "opcnamespace", "opcintype", "opcfamily", "extnamespace", "extowner", "ev_class", "ftrelid", "ftserver", "grantor", "member",
        "roleid", "inhrelid", "inhparent", "pnnspid", "pnpubid", "polrelid", "prpubid", "prrelid", "pronamespace", "prorettype",
        "seqrelid", "seqtypid", "stxrelid", "stxnamespace", "tgconstraint", "tgconstrrelid", "tgfoid", "tgparentid", "tgrelid", "usesysid",
        "relid", "database", "relation", "enumtypid", "rngtypid", "rngsubtype", "rngmultitypid", "rngcollation", "rngsubopc",
    ]
    static let nameColumns: Set<String> = [
        "typname", "relname", "attname", "nspname", "conname", "collname", "datname", "extname", "proname", "rolname",
        "rulename", "stxname", "tgname", "amname", "opcname", "polname", "pubname", "usename", "schemaname", "tablename", "tableowner", "indexname", "tablespace",
        "viewname", "viewowner", "matviewname", "matviewowner", "sequencename", "sequenceowner", "indexrelname",
    ]
    static let charColumns: Set<String> = [
        "typtype", "typcategory", "typdelim", "relkind", "relpersistence", "relreplident", "attstorage", "attidentity",
        "attgenerated", "attcompression", "contype", "confdeltype", "confupdtype", "confmatchtype", "deptype", "amtype",
        "collprovider", "prokind", "tgenabled", "polcmd", "datlocprovider",
    ]

    /// The schema a relation is listed in: vireo for Vireo's own (`vireo_…`), its session's
    /// pg_temp_N for a temporary table (and its indexes and sequences), else public.
    static func schemaName(of relation: String) -> String {
        if let temporary = TemporarySchema.split(relation) { return temporary.schema }
        return relation.hasPrefix(internalRelationPrefix) ? "vireo" : "public"
    }

    static func namespaceOID(of relation: String) -> Int64 {
        if let temporary = TemporarySchema.split(relation) { return oid(ofObject: temporary.schema) }
        return relation.hasPrefix(internalRelationPrefix) ? vireoNamespaceOID : publicNamespaceOID
    }

    /// A relation's name as pg_class shows it: a temporary one's without its schema.
    static func relationName(of relation: String) -> String {
        TemporarySchema.split(relation)?.name ?? relation
    }

    /// pg_namespace: the fixed schemas, and a pg_temp_N for each session with temporary tables.
    static func namespaceRelation(_ catalog: Catalog) -> Relation {
        let temporary = Set(catalog.allTemporaryTables.compactMap { TemporarySchema.split($0.name)?.schema })
        var relation = namespaces
        relation.rows += temporary.sorted().map { [.int(oid(ofObject: $0)), .text($0), .int(ownerOID), .null] }
        return relation
    }

    /// A function's OID as regproc input gives it: Vireo keeps no pg_proc rows, so the OID is
    /// derived from the name alone (schema and quotes dropped), the same wherever it is asked.
    static func procedureOID(named name: String) -> Int64 {
        var bare = name.trimmingCharacters(in: .whitespaces)
        if bare == "-" { return 0 }
        if bare.lowercased().hasPrefix("pg_catalog.") { bare.removeFirst("pg_catalog.".count) }
        // An unquoted name folds to lower case, as every SQL identifier does.
        if bare.count >= 2, bare.hasPrefix("\""), bare.hasSuffix("\"") { bare = String(bare.dropFirst().dropLast()) } else { bare = bare.lowercased() }
        return oid(ofObject: "function " + bare)
    }

    /// The OID of the schema `name` names (regnamespace input), nil when there is none.
    static func namespaceOID(named name: String, _ catalog: Catalog) -> Int64? {
        var bare = name.trimmingCharacters(in: .whitespaces)
        if bare.count >= 2, bare.hasPrefix("\""), bare.hasSuffix("\"") { bare = String(bare.dropFirst().dropLast()) }
        let row = namespaceRelation(catalog).rows.first { $0[1] == .text(bare) }
        guard case .int(let oid)? = row?.first else { return nil }
        return oid
    }

    /// A stable OID for a user object, from its name (FNV-1a): the catalog keeps none.
    static func oid(ofObject name: String) -> Int64 {
        firstUserOID + Int64(FNV1a.hash32(name.utf8) % 1_000_000_000)
    }

    /// public as PostgreSQL 15 makes it: owned by pg_database_owner, usable by everyone
    /// (pg_dump takes this ACL and comment for the default and writes nothing for them).
    static let namespaces = Relation(
        columns: columns(("oid", .int), ("nspname", .text), ("nspowner", .int), ("nspacl", .array(.text))),
        rows: [[.int(catalogNamespaceOID), .text("pg_catalog"), .int(ownerOID), .null],
               [.int(publicNamespaceOID), .text("public"), .int(databaseOwnerOID),
                .array(["\(databaseOwnerName)=UC/\(databaseOwnerName)", "=U/\(databaseOwnerName)"].map(Value.text))],
               [.int(informationSchemaOID), .text("information_schema"), .int(ownerOID), .null],
               [.int(vireoNamespaceOID), .text("vireo"), .int(ownerOID), .null]])

    static let databases = Relation(
        columns: columns(("oid", .int), ("datname", .text), ("datdba", .int), ("encoding", .int), ("datlocprovider", .text),
                         ("datcollate", .text), ("datctype", .text), ("daticulocale", .text), ("datacl", .array(.text)),
                         ("datistemplate", .bool), ("datallowconn", .bool), ("dattablespace", .int), ("datconnlimit", .int)),
        rows: [[.int(1), .text(databaseName), .int(ownerOID), .int(6), .text("c"), .text("C.UTF-8"), .text("C.UTF-8"),
                .null, .null, .bool(false), .bool(true), .int(defaultTablespaceOID), .int(-1)]])

    /// pg_default, the one tablespace (inside the data directory).
    static let defaultTablespaceOID: Int64 = 1663

    static let accessMethods = Relation(
        columns: columns(("oid", .int), ("amname", .text), ("amtype", .text)),
        rows: [[.int(2), .text("heap"), .text("t")], [.int(403), .text("btree"), .text("i")],
               [.int(2742), .text("gin"), .text("i")], [.int(oid(ofObject: "hnsw")), .text("hnsw"), .text("i")]])
}

extension SystemCatalog {
    /// An index as the catalog shows it: the table's own indexes, plus the primary key that
    /// an integer key column is (Vireo keys the rows by it, so it has no index of its own).
    struct IndexEntry {
        var name: String
        var columns: [String]
        var isUnique: Bool
        var isPrimary: Bool
        var method: String
        /// The index's definition (nil for the row-id primary key).
        var definition: IndexDefinition? = nil
        /// pg_constraint's contype when the index backs a constraint: p (primary key) or u (unique).
        var constraintType: String? {
            isPrimary ? "p" : (isUnique && (definition?.isConstraint == true || name.hasSuffix("_key")) ? "u" : nil)
        }
    }

    static func indexEntries(_ table: TableDefinition) -> [IndexEntry] {
        var entries = table.indexes.map { index in
            IndexEntry(name: index.name, columns: index.columns, isUnique: index.isUnique,
                       isPrimary: index.isUnique && index.name == table.name + "_pkey", method: index.method, definition: index)
        }
        if let position = table.rowIDColumn {
            entries.insert(IndexEntry(name: table.name + "_pkey", columns: [table.columns[position].name], isUnique: true,
                                      isPrimary: true, method: "btree"), at: 0)
        }
        return entries
    }

    static func sortedTables(_ catalog: Catalog) -> [TableDefinition] {
        catalog.tables.values.sorted { $0.name < $1.name }
    }

    static func accessMethodOID(_ method: String) -> Int64 {
        switch method {
        case "btree": 403
        case "gin": 2742
        default: oid(ofObject: method)
        }
    }

    /// pg_class: one row per table and per index.
    static func classes(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            let indexes = indexEntries(table)
            var row = classRow(table.name, kind: table.isMaterializedView ? "m" : "r", accessMethod: 2, hasIndex: !indexes.isEmpty, attributeCount: table.columns.count)
            row[9] = .double(table.statistics?.rowCount ?? -1)  // reltuples: -1 until ANALYZE, as PostgreSQL 14+
            row[11] = .int(rowTypeOID(of: table.name))
            row[12] = .int(Int64(table.checks.count))  // relchecks: psql's \d lists check constraints only when it is > 0
            // relhastriggers: PostgreSQL's FOREIGN KEYs are triggers on both tables; psql's \d lists them only then.
            row[14] = .bool(!table.foreignKeys.isEmpty || !catalog.foreignKeys(referencing: table.name).isEmpty || !table.triggers.isEmpty)
            // reloptions, psql's \d+ "Options:" (`toast.` ones would be the TOAST table's, which Vireo has not).
            let options = (table.storageOptions ?? []).filter { !$0.hasPrefix("toast.") }
            row[21] = options.isEmpty ? .null : .array(options.map(Value.text))
            rows.append(row)
            for index in indexes {
                var row = classRow(index.name, kind: "i", accessMethod: accessMethodOID(index.method), hasIndex: false,
                                   attributeCount: index.columns.count)
                row[2] = .int(namespaceOID(of: table.name))  // an index is in its table's schema
                // A new index has reltuples 0 and one page (a B-tree's metapage), not a new
                // table's -1 and 0 (pgJDBC's getIndexInfo shows them as CARDINALITY and PAGES).
                row[9] = .double(table.statistics?.rowCount ?? 0)
                row[25] = .int(1)
                rows.append(row)
            }
        }
        for view in sortedViews(catalog) {
            var row = classRow(view.name, kind: "v", accessMethod: 0, hasIndex: false, attributeCount: view.columns.count)
            row[11] = .int(rowTypeOID(of: view.name))
            rows.append(row)
        }
        rows += sequenceClassRows(catalog)
        return Relation(columns: columns(
            ("oid", .int), ("relname", .text), ("relnamespace", .int), ("relkind", .text), ("relowner", .int),
            ("relam", .int), ("relhasindex", .bool), ("relpersistence", .text), ("relispartition", .bool),
            ("reltuples", .double), ("relnatts", .int), ("reltype", .int), ("relchecks", .int), ("relhasrules", .bool),
            ("relhastriggers", .bool), ("relrowsecurity", .bool), ("relforcerowsecurity", .bool), ("reltablespace", .int),
            ("reloftype", .int), ("relreplident", .text), ("reltoastrelid", .int), ("reloptions", .array(.text)),
            ("relpartbound", .text), ("relacl", .array(.text)), ("relfilenode", .int), ("relpages", .int)), rows: rows)
    }

    static func classRow(_ name: String, kind: String, accessMethod: Int64, hasIndex: Bool, attributeCount: Int) -> [Value] {
        [.int(oid(ofObject: name)), .text(relationName(of: name)), .int(namespaceOID(of: name)), .text(kind), .int(ownerOID), .int(accessMethod),
         .bool(hasIndex), .text(TemporarySchema.split(name) == nil ? "p" : "t"), .bool(false), .double(-1), .int(Int64(attributeCount)), .int(0), .int(0), .bool(false),
         .bool(false), .bool(false), .bool(false), .int(0), .int(0), .text(kind == "r" ? "d" : "n"), .int(0), .null, .null, .null,
         .int(oid(ofObject: name)), .int(0)]
    }

    /// pg_attribute: the columns of every table, and of every index (named after the
    /// table's columns they hold).
    static func attributes(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            for (position, column) in table.columns.enumerated() {
                rows.append(attributeRow(table.name, column, position + 1))
            }
            for index in indexEntries(table) {
                for (position, name) in index.columns.enumerated() {
                    guard let column = table.columns.first(where: { $0.name == name }) else { continue }
                    var row = attributeRow(index.name, column, position + 1)
                    row[4] = .bool(false)
                    row[8] = .bool(false)
                    rows.append(row)
                }
            }
        }
        for view in sortedViews(catalog) {
            for (position, column) in view.columns.enumerated() { rows.append(attributeRow(view.name, column, position + 1)) }
        }
        return Relation(columns: columns(
            ("attrelid", .int), ("attname", .text), ("atttypid", .int), ("attnum", .int), ("attnotnull", .bool),
            ("attisdropped", .bool), ("atttypmod", .int), ("attlen", .int), ("atthasdef", .bool), ("attcollation", .int),
            ("attidentity", .text), ("attgenerated", .text), ("attstorage", .text), ("attcompression", .text),
            ("attstattarget", .int), ("attndims", .int), ("attacl", .array(.text))), rows: rows)
    }

    private static func attributeRow(_ relation: String, _ column: VireoStorage.ColumnDefinition, _ number: Int) -> [Value] {
        let type = BuiltinType.of(column.type)
        // An identity column draws from its sequence without a default expression.
        let hasDefault = column.defaultExpression != nil || (column.isSerial && column.identity == nil) || column.generatedExpression != nil
        let identity = column.identity.map { $0 == .always ? "a" : "d" } ?? ""
        return [.int(oid(ofObject: relation)), .text(column.name), .int(type.oid), .int(Int64(number)), .bool(column.notNull),
                .bool(false), .int(type.typmod(column.type)), .int(type.length), .bool(hasDefault),
                .int(type.category == "S" ? defaultCollationOID : 0), .text(identity), .text(column.generatedExpression == nil ? "" : "s"),
                .text(type.length == -1 ? "x" : "p"), .text(""), .int(-1), .int(type.category == "A" ? 1 : 0), .null]
    }

    static func attributeDefaultOID(_ table: TableDefinition, _ column: VireoStorage.ColumnDefinition) -> Int64 {
        oid(ofObject: "\(table.name).\(column.name).default")
    }

    /// The collation text columns use (PostgreSQL's "default"; Vireo compares bytes, as C).
    static let defaultCollationOID: Int64 = 100

    /// pg_attrdef: each column default and generation expression, as SQL text.
    static func attributeDefaults(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            for (position, column) in table.columns.enumerated() {
                guard let expression = column.generatedExpression ?? defaultText(column, of: table.name) else { continue }
                rows.append([.int(attributeDefaultOID(table, column)), .int(oid(ofObject: table.name)),
                             .int(Int64(position + 1)), .text(expression)])
            }
        }
        return Relation(columns: columns(("oid", .int), ("adrelid", .int), ("adnum", .int), ("adbin", .text)), rows: rows)
    }

    /// pg_index: which table each index belongs to and its columns (indkey: attribute
    /// numbers, 0 for an expression; indoption: the declared order of each key, bit 1 DESC and
    /// bit 2 NULLS FIRST, as PostgreSQL's INDOPTION_DESC and INDOPTION_NULLS_FIRST. The B+tree
    /// orders NULL below every value whatever was declared, and the planner reads it by that,
    /// so the declared order is the one to report: SQLAlchemy's and Alembic's reflection
    /// compare it with the models' indexes.)
    static func indexes(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            for index in indexEntries(table) {
                let definition = index.definition
                let keys = index.columns.indices.map { position in
                    Value.int(definition?.expression(at: position) != nil ? 0 : table.columnIndex(index.columns[position]).map { Int64($0 + 1) } ?? 0)
                }
                let expressions = definition.map { index in
                    zip(index.keyDefinitions, index.columns.indices).filter { index.expression(at: $0.1) != nil }.map(\.0)
                } ?? []
                let predicate = definition?.predicate.map { Value.text("(" + $0 + ")") } ?? .null
                let options = index.columns.indices.map { position in Value.int(definition.map { keyOption($0, at: position) } ?? 0) }
                rows.append([.int(oid(ofObject: index.name)), .int(oid(ofObject: table.name)), .bool(index.isUnique),
                             .bool(index.isPrimary), .array(keys), .array(options),
                             .array(keys.map { _ in .int(0) }),
                             .int(Int64(index.columns.count)), .int(Int64(index.columns.count)),
                             .bool(false), .bool(true), .bool(false), .bool(true), .bool(false), predicate,
                             expressions.isEmpty ? .null : .text(expressions.joined(separator: ", ")), .bool(true)])
            }
        }
        return Relation(columns: columns(
            ("indexrelid", .int), ("indrelid", .int), ("indisunique", .bool), ("indisprimary", .bool),
            // indclass is an oidvector in PostgreSQL; no operator class has an OID here (0).
            ("indkey", .int2vector), ("indoption", .int2vector), ("indclass", .int2vector), ("indnatts", .int), ("indnkeyatts", .int), ("indisclustered", .bool), ("indisvalid", .bool),
            ("indisreplident", .bool), ("indimmediate", .bool), ("indnullsnotdistinct", .bool), ("indpred", .text),
            ("indexprs", .text), ("indisready", .bool)), rows: rows)
    }

    /// A key's indoption bits: 1 when DESC, 2 when its NULLs come first.
    private static func keyOption(_ index: IndexDefinition, at position: Int) -> Int64 {
        (index.isDescending(at: position) ? 1 : 0) | (index.isNullsFirst(at: position) ? 2 : 0)
    }

    /// pg_constraint: primary keys and unique constraints (the indexes behind them).
    static func constraints(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            for index in indexEntries(table) {
                guard let type = index.constraintType else { continue }
                let keys = index.columns.compactMap { table.columnIndex($0).map { Value.int(Int64($0 + 1)) } }
                rows.append([.int(oid(ofObject: index.name + ".constraint")), .text(index.name), .int(namespaceOID(of: table.name)), .text(type),
                             .bool(false), .bool(false), .bool(true), .int(oid(ofObject: table.name)), .int(0),
                             .int(oid(ofObject: index.name)), .int(0), .array(keys)])
            }
            for check in table.checks {
                rows.append([.int(checkOID(table, check)), .text(check.name), .int(namespaceOID(of: table.name)), .text("c"),
                             .bool(false), .bool(false), .bool(true), .int(oid(ofObject: table.name)), .int(0),
                             .int(0), .int(0), .array(checkColumns(table, check))])
            }
            for key in table.foreignKeys {
                let attributes = { (columns: [String], of: TableDefinition?) -> Value in
                    .array(columns.compactMap { name in of?.columnIndex(name).map { Value.int(Int64($0 + 1)) } })
                }
                rows.append([.int(foreignKeyOID(table, key)), .text(key.name), .int(namespaceOID(of: table.name)), .text("f"),
                             .bool(key.deferrable), .bool(key.initiallyDeferred), .bool(true), .int(oid(ofObject: table.name)), .int(0),
                             .int(referencedIndexOID(key, catalog)), .int(oid(ofObject: key.referencedTable)), attributes(key.columns, table),
                             attributes(key.referencedColumns, catalog.tables[key.referencedTable]), .text(key.onUpdate), .text(key.onDelete),
                             .text("s"), .int(0)])
            }
        }
        for index in rows.indices where rows[index].count < 17 {
            rows[index] += [.array([]), .text(" "), .text(" "), .text(" "), .int(0)]
        }
        return Relation(columns: columns(
            ("oid", .int), ("conname", .text), ("connamespace", .int), ("contype", .text), ("condeferrable", .bool),
            ("condeferred", .bool), ("convalidated", .bool), ("conrelid", .int), ("contypid", .int), ("conindid", .int),
            ("confrelid", .int), ("conkey", .array(.smallint)), ("confkey", .array(.smallint)), ("confupdtype", .text),
            ("confdeltype", .text), ("confmatchtype", .text), ("conparentid", .int)), rows: rows)
    }

    /// `CREATE [UNIQUE] INDEX name ON public.table USING method (columns)`, as pg_get_indexdef
    /// prints it (column 0), or the index's key `column` (1-based) alone, without its order
    /// or operator class, as PostgreSQL prints one key.
    static func indexDefinition(_ catalog: Catalog, indexOID: Int64, column: Int64, pretty: Bool = false) -> String? {
        for table in catalog.tables.values {
            for index in indexEntries(table) where oid(ofObject: index.name) == indexOID {
                if column > 0 {
                    let keys = index.definition?.keyDefinitions ?? index.columns.map(quoteIdentifier)
                    return column <= keys.count ? keys[Int(column) - 1] : nil
                }
                let keys = index.definition?.directedKeyDefinitions ?? index.columns.map(quoteIdentifier)
                let on = pretty ? quoteIdentifier(table.visibleName) : quoteIdentifier(schemaName(of: table.name)) + "." + quoteIdentifier(table.visibleName)
                let head = "CREATE \(index.isUnique ? "UNIQUE " : "")INDEX \(quoteIdentifier(index.name)) ON \(on) USING \(index.method) "
                if let vector = index.definition, vector.method == "hnsw" {
                    // As PostgreSQL with pgvector: the operator class, always (pgvector's hnsw has no default
                    // one, so a restore needs it), then the options.
                    let operatorClass = " " + (SearchPath.qualified(vector.vectorOperatorClass) ?? "")
                    return head + "(\(keys.joined(separator: ", "))\(operatorClass))" + vector.vectorOptionsClause
                }
                return head + "(\(keys.joined(separator: ", ")))" + (index.definition?.predicateClause(pretty: pretty) ?? "")
            }
        }
        return nil
    }

    /// `PRIMARY KEY (id)`, `UNIQUE (email)` or `CHECK ((n > 0))`, as pg_get_constraintdef
    /// prints a constraint (`pretty`, as psql asks: `CHECK (n > 0)`).
    static func constraintDefinition(_ catalog: Catalog, constraintOID: Int64, pretty: Bool = false) -> String? {
        for table in catalog.tables.values {
            if let key = table.foreignKeys.first(where: { foreignKeyOID(table, $0) == constraintOID }) {
                return key.sql
            }
            if let check = table.checks.first(where: { checkOID(table, $0) == constraintOID }) {
                return pretty ? "CHECK (" + check.expression + ")" : "CHECK ((" + check.expression + "))"
            }
            for index in indexEntries(table) where oid(ofObject: index.name + ".constraint") == constraintOID {
                guard let type = index.constraintType else { return nil }
                return (type == "p" ? "PRIMARY KEY" : "UNIQUE") + " (" + index.columns.map(quoteIdentifier).joined(separator: ", ") + ")"
            }
        }
        return nil
    }

    /// pg_tables: the user tables.
    static func userTables(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("schemaname", .text), ("tablename", .text), ("tableowner", .text), ("hasindexes", .bool)),
                 rows: catalog.tables.values.filter { !$0.isMaterializedView }.sorted { $0.name < $1.name }.map {
                     [.text(schemaName(of: $0.name)), .text($0.name), .text(ownerName), .bool(!$0.indexes.isEmpty)]
                 })
    }

    /// pg_indexes: each index with its CREATE INDEX statement.
    static func indexList(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            for index in indexEntries(table) {
                let definition = indexDefinition(catalog, indexOID: oid(ofObject: index.name), column: 0)
                rows.append([.text(schemaName(of: table.name)), .text(table.visibleName), .text(relationName(of: index.name)), .null,
                             definition.map(Value.text) ?? .null])
            }
        }
        return Relation(columns: columns(("schemaname", .text), ("tablename", .text), ("indexname", .text), ("tablespace", .text),
                                         ("indexdef", .text)), rows: rows)
    }

    static func informationSchemaTables(_ catalog: Catalog) -> Relation {
        let tables = catalog.tables.values.filter { !$0.isMaterializedView }.map(\.name).map { ($0, TemporarySchema.split($0) == nil ? "BASE TABLE" : "LOCAL TEMPORARY") }
            + catalog.views.keys.map { ($0, "VIEW") }
        return Relation(columns: columns(("table_catalog", .text), ("table_schema", .text), ("table_name", .text), ("table_type", .text)),
                        rows: tables.sorted { $0.0 < $1.0 }.map {
                            [.text(databaseName), .text(schemaName(of: $0.0)), .text(relationName(of: $0.0)), .text($0.1)]
                        })
    }

    /// A column's default as pg_attrdef and information_schema show it: its expression, or
    /// the nextval of a serial column's sequence (nil for none, and for identity columns).
    static func defaultText(_ column: VireoStorage.ColumnDefinition, of table: String) -> String? {
        if column.isSerial && column.identity == nil {
            return SearchPath.nextvalDefault(quoteIdentifier(StoreTransaction.sequenceName(table: table, column: column.name)))
        }
        return column.defaultExpression.map { typedLiteral($0, column.type) }
    }

    /// A default that is one literal, as pg_get_expr prints it: a string with its column's
    /// type (`'ok'::mood`, `'{}'::jsonb`, `'y'::character varying`), also when written as a
    /// cast to that type (as pg_dump's output restores it), a boolean in lower case. pg_dump
    /// writes it back as it reads it, and tools compare it with their models.
    private static func typedLiteral(_ text: String, _ type: ColumnType) -> String {
        let literal: String
        switch try? Parser.parseExpression(text) {
        case .literal(.boolean(let value))?: return value ? "true" : "false"
        case .literal(.string)?: literal = text
        case .cast(.literal(.string(let value)), let typeName)? where names(typeName, type): literal = quoteString(value)
        default: return text
        }
        let name = if case .enumeration(let enumType) = type {
            SearchPath.qualified(quoteIdentifier(enumType.name))
        } else {
            Functions.typeName(BuiltinType.of(type).oid, .int(-1))
        }
        return name.map { literal + "::" + $0 } ?? text
    }

    /// Whether a cast's type name is the column's type (an enum by its name, qualified or not).
    private static func names(_ typeName: TypeName, _ type: ColumnType) -> Bool {
        if case .enumeration(let enumType) = type, case .other(let name, _) = typeName {
            return name == enumType.name || name.hasSuffix("." + enumType.name)
        }
        return (try? typeName.columnType()) == type
    }

    static func informationSchemaColumns(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        let relations = catalog.tables.values.map { ($0.name, $0.columns) } + catalog.views.values.map { ($0.name, $0.columns) }
        for table in relations.sorted(by: { $0.0 < $1.0 }).map({ (name: $0.0, columns: $0.1) }) {
            for (position, column) in table.columns.enumerated() {
                let type = BuiltinType.of(column.type)
                let (precision, radix, scale) = numericPrecision(column.type)
                rows.append([.text(databaseName), .text(schemaName(of: table.name)), .text(relationName(of: table.name)), .text(column.name), .int(Int64(position + 1)),
                             .text(type.informationSchemaName), .text(column.notNull ? "NO" : "YES"), .text(type.name),
                             column.generatedExpression == nil ? defaultText(column, of: table.name).map(Value.text) ?? .null : .null,
                             characterLength(column.type).map(Value.int) ?? .null,
                             precision.map(Value.int) ?? .null, radix.map(Value.int) ?? .null, scale.map(Value.int) ?? .null,
                             datetimePrecision(column.type).map(Value.int) ?? .null, .text(column.identity == nil ? "NO" : "YES"),
                             column.identity.map { Value.text($0 == .always ? "ALWAYS" : "BY DEFAULT") } ?? .null,
                             .text(column.generatedExpression == nil ? "NEVER" : "ALWAYS"),
                             column.generatedExpression.map(Value.text) ?? .null,
                             .text(BuiltinType.pgvectorOIDs.contains(type.oid) || type.category == "E" ? "public" : "pg_catalog"), .text("YES")])
            }
        }
        return Relation(columns: columns(
            ("table_catalog", .text), ("table_schema", .text), ("table_name", .text), ("column_name", .text),
            ("ordinal_position", .int), ("data_type", .text), ("is_nullable", .text), ("udt_name", .text),
            ("column_default", .text), ("character_maximum_length", .int), ("numeric_precision", .int),
            ("numeric_precision_radix", .int), ("numeric_scale", .int), ("datetime_precision", .int), ("is_identity", .text), ("identity_generation", .text),
            ("is_generated", .text), ("generation_expression", .text), ("udt_schema", .text), ("is_updatable", .text)), rows: rows)
    }

    /// information_schema's character_maximum_length: varchar(n) and char(n)'s n.
    private static func characterLength(_ type: ColumnType) -> Int64? {
        type.lengthMax.map(Int64.init)
    }

    /// information_schema's numeric_precision, its radix and numeric_scale: bits for
    /// integers and floats (radix 2), digits for a declared numeric (radix 10).
    private static func numericPrecision(_ type: ColumnType) -> (Int64?, Int64?, Int64?) {
        switch type {
        case .smallint: (16, 2, 0)
        case .integer: (32, 2, 0)
        case .int: (64, 2, 0)
        case .real: (24, 2, nil)
        case .double: (53, 2, nil)
        case .numeric(let precision?, let scale): (Int64(precision), 10, Int64(scale))
        case .numeric: (nil, 10, nil)
        default: (nil, nil, nil)
        }
    }

    /// information_schema's datetime_precision: a time type's fractional digits (6 when not
    /// declared), 0 for a date, nil for other types.
    private static func datetimePrecision(_ type: ColumnType) -> Int64? {
        switch type {
        case .fractionalSeconds(_, let digits): Int64(digits)
        case .timestamp, .timestamptz, .time, .interval: Int64(TypeName.fractionalDigitsMax)
        case .date: 0
        default: nil
        }
    }

    static func sortedViews(_ catalog: Catalog) -> [ViewDefinition] {
        catalog.views.values.sorted { $0.name < $1.name }
    }

    /// The query of the view with OID `viewOID`, as pg_get_viewdef gives it (Vireo's
    /// canonical SQL rather than PostgreSQL's deparsed, indented form).
    static func viewDefinition(_ catalog: Catalog, viewOID: Int64) -> String? {
        guard let view = catalog.views.values.first(where: { oid(ofObject: $0.name) == viewOID }) else { return nil }
        guard !SearchPath.publicIsVisible, let query = try? Binder.viewQuery(view) else { return " " + view.query + ";" }
        return " " + SearchPath.qualified(query, catalog).sql + ";"
    }

    /// information_schema.views: each view with its definition, its check option, and
    /// whether it can be written through (UpdatableView); no view has triggers.
    static func informationSchemaViews(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("table_catalog", .text), ("table_schema", .text), ("table_name", .text), ("view_definition", .text),
                                  ("check_option", .text), ("is_updatable", .text), ("is_insertable_into", .text),
                                  ("is_trigger_updatable", .text), ("is_trigger_deletable", .text), ("is_trigger_insertable_into", .text)),
                 rows: sortedViews(catalog).map { view in
                     let updatable = (try? Binder.viewQuery(view)).map { UpdatableView.refusal($0, catalog: catalog) == nil } ?? false
                     let yes = Value.text(updatable ? "YES" : "NO")
                     return [.text(databaseName), .text(schemaName(of: view.name)), .text(view.name), .text(" " + view.query + ";"),
                             .text(view.checkOption?.uppercased() ?? "NONE"), yes, yes, .text("NO"), .text("NO"), .text("NO")]
                 })
    }

    /// A foreign key's conindid: the unique index of the referenced table over the referenced
    /// columns, which PostgreSQL records (pgJDBC's getImportedKeys joins it for PK_NAME); 0 when none.
    static func referencedIndexOID(_ key: ForeignKeyDefinition, _ catalog: Catalog) -> Int64 {
        guard let referenced = catalog.tables[key.referencedTable] else { return 0 }
        let index = indexEntries(referenced).first { $0.isUnique && Set($0.columns) == Set(key.referencedColumns) }
        return index.map { oid(ofObject: $0.name) } ?? 0
    }

    static func foreignKeyOID(_ table: TableDefinition, _ key: ForeignKeyDefinition) -> Int64 {
        oid(ofObject: table.name + "." + key.name + ".fkey")
    }

    static func checkOID(_ table: TableDefinition, _ check: CheckConstraintDefinition) -> Int64 {
        oid(ofObject: table.name + "." + check.name + ".check")
    }

    /// conkey of a CHECK constraint: the attribute numbers of the columns it reads.
    static func checkColumns(_ table: TableDefinition, _ check: CheckConstraintDefinition) -> [Value] {
        guard let bound = try? CheckConstraints.bind(check.expression, table: table, catalog: Catalog()) else { return [] }
        return Set(CheckConstraints.columnsRead(bound)).filter { $0 < table.columns.count }.sorted().map { Value.int(Int64($0 + 1)) }
    }
}
