import Foundation
import VireoStorage

/// The relations monitoring dashboards and administration tools read (pgAdmin, DBeaver,
/// Grafana's PostgreSQL source, Metabase, check scripts): schemata, views, and the
/// statistics views. Vireo counts no scans or tuple changes per table, so those counters
/// are 0 and the times NULL; a row count is ANALYZE's when the table has been analysed.
extension SystemCatalog {
    static let monitoringRelations: [String: @Sendable (Catalog) -> Relation] = [
        "information_schema.schemata": { _ in schemata },
        "pg_views": views,
        "pg_matviews": materializedViews,
        "pg_sequences": sequenceList,
        "pg_stat_user_tables": tableActivity,
        "pg_stat_all_tables": tableActivity,
        "pg_stat_sys_tables": { _ in tableActivity(Catalog()) },
        "pg_statio_user_tables": tableInputOutput,
        "pg_statio_all_tables": tableInputOutput,
        "pg_stat_user_indexes": indexActivity,
        "pg_stat_all_indexes": indexActivity,
        // Not listed: the storage's row locks and the database's advisory locks are kept
        // where no catalog query reads them. Empty, so that tools' lock queries run.
        "pg_locks": { _ in empty(("locktype", .text), ("database", .int), ("relation", .int), ("page", .integer), ("tuple", .smallint),
                                 ("virtualxid", .text), ("transactionid", .int), ("classid", .int), ("objid", .int),
                                 ("objsubid", .smallint), ("virtualtransaction", .text), ("pid", .integer), ("mode", .text),
                                 ("granted", .bool), ("fastpath", .bool), ("waitstart", .timestamptz)) },
    ]

    static let schemata = Relation(
        columns: columns(("catalog_name", .text), ("schema_name", .text), ("schema_owner", .text), ("default_character_set_catalog", .text),
                         ("default_character_set_schema", .text), ("default_character_set_name", .text), ("sql_path", .text)),
        rows: fixedSchemas.map { schema in
            [.text(databaseName), .text(schema), .text(ownerName), .null, .null, .null, .null]
        })

    /// pg_views: each view with its query (as pg_get_viewdef prints it).
    static func views(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("schemaname", .text), ("viewname", .text), ("viewowner", .text), ("definition", .text)),
                 rows: sortedViews(catalog).map { view in
                     [.text(schemaName(of: view.name)), .text(view.name), .text(ownerName), .text(" " + view.query + ";")]
                 })
    }

    /// pg_stat_user_tables: one row per table; n_live_tup is ANALYZE's row count (0 before).
    static func tableActivity(_ catalog: Catalog) -> Relation {
        let counters = ["seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "n_tup_ins", "n_tup_upd", "n_tup_del",
                        "n_tup_hot_upd", "n_live_tup", "n_dead_tup", "n_mod_since_analyze", "n_ins_since_vacuum"]
        let times = ["last_vacuum", "last_autovacuum", "last_analyze", "last_autoanalyze"]
        let counts = ["vacuum_count", "autovacuum_count", "analyze_count", "autoanalyze_count"]
        let liveIndex = counters.firstIndex(of: "n_live_tup") ?? 0
        let rows = sortedTables(catalog).map { table -> [Value] in
            var numbers = [Value](repeating: .int(0), count: counters.count)
            numbers[liveIndex] = .int(Int64(table.statistics?.rowCount ?? 0))
            return tableHead(table) + numbers + times.map { _ in Value.null } + counts.map { _ in Value.int(0) }
        }
        return Relation(columns: tableHeadColumns + counters.map { ResultColumn(name: $0, type: .int) }
                        + times.map { ResultColumn(name: $0, type: .timestamptz) } + counts.map { ResultColumn(name: $0, type: .int) },
                        rows: rows)
    }

    /// pg_statio_user_tables: block reads and hits per table (not counted: 0; no TOAST: NULL).
    static func tableInputOutput(_ catalog: Catalog) -> Relation {
        let counted = ["heap_blks_read", "heap_blks_hit", "idx_blks_read", "idx_blks_hit"]
        let toast = ["toast_blks_read", "toast_blks_hit", "tidx_blks_read", "tidx_blks_hit"]
        return Relation(columns: tableHeadColumns + (counted + toast).map { ResultColumn(name: $0, type: .int) },
                        rows: sortedTables(catalog).map { table in
                            tableHead(table) + counted.map { _ in Value.int(0) } + toast.map { _ in Value.null }
                        })
    }

    /// pg_stat_user_indexes: one row per index (scans not counted: 0).
    static func indexActivity(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            for index in indexEntries(table) {
                rows.append([.int(oid(ofObject: table.name)), .int(oid(ofObject: index.name)), .text(schemaName(of: table.name)), .text(table.name),
                             .text(index.name), .int(0), .null, .int(0), .int(0)])
            }
        }
        return Relation(columns: columns(("relid", .int), ("indexrelid", .int), ("schemaname", .text), ("relname", .text),
                                         ("indexrelname", .text), ("idx_scan", .int), ("last_idx_scan", .timestamptz),
                                         ("idx_tup_read", .int), ("idx_tup_fetch", .int)), rows: rows)
    }

    private static let tableHeadColumns = columns(("relid", .int), ("schemaname", .text), ("relname", .text))

    private static func tableHead(_ table: TableDefinition) -> [Value] {
        [.int(oid(ofObject: table.name)), .text(schemaName(of: table.name)), .text(table.name)]
    }
}

extension Functions {
    /// pg_relation_size and its family, given an OID or a name ('items', which PostgreSQL
    /// casts to regclass; 42P01 when no relation has it): the bytes of the pages the table's
    /// B+tree (overflow pages included, as PostgreSQL counts TOAST in the table) and its
    /// indexes hold (`Store.relationSizes`, a walk of their pages). A row-id primary key is the
    /// table's own tree (0 bytes of its own); a view is 0; an OID of nothing is NULL.
    static func relationSize(_ name: String, _ catalog: Catalog) -> ScalarFunction {
        var function = ScalarFunction(name, 1...2, [.text, .text], volatile: true, returns: .int) { _ in .null }
        function.contextBody = { arguments, context in
            let oid: Int64
            switch arguments[0] {
            case .null: return .null
            case .int(let number): oid = number
            default:
                let text = Cast.textForm(arguments[0])
                guard let found = SystemCatalog.relationOID(text, catalog) else {
                    throw VireoError(.undefinedTable, "relation \"\(text)\" does not exist")
                }
                oid = found
            }
            if arguments.count == 2, Cast.textForm(arguments[1]) != "main" { return .int(0) }  // other forks: none
            guard let (table, index) = relation(oid, catalog) else {
                return catalog.views.keys.contains { SystemCatalog.oid(ofObject: $0) == oid } ? .int(0) : .null
            }
            guard let store = context.session?.database.store else { return .null }
            let sizes = try store.relationSizes(table)
            if let index {
                let bytes = index.definition == nil ? 0 : sizes.indexes[index.name] ?? 0
                return .int(Int64(name == "pg_indexes_size" ? 0 : bytes))
            }
            let indexes = sizes.indexes.values.reduce(0, +)
            switch name {
            case "pg_indexes_size": return .int(Int64(indexes))
            case "pg_total_relation_size": return .int(Int64(sizes.table + indexes))
            default: return .int(Int64(sizes.table))
            }
        }
        return function
    }

    /// The table an OID names, with the index when it names one of the table's indexes.
    private static func relation(_ oid: Int64, _ catalog: Catalog) -> (TableDefinition, SystemCatalog.IndexEntry?)? {
        for table in catalog.tables.values {
            if SystemCatalog.oid(ofObject: table.name) == oid { return (table, nil) }
            if let entry = SystemCatalog.indexEntries(table).first(where: { SystemCatalog.oid(ofObject: $0.name) == oid }) {
                return (table, entry)
            }
        }
        return nil
    }

    /// pg_database_size(name | oid): the size of the database's file and its WAL (NULL for
    /// one held in memory); 3D000 for a name that is not the database's.
    static let databaseSize: ScalarFunction = {
        var function = ScalarFunction("pg_database_size", 1...1, [.text], strict: true, volatile: true, returns: .int) { _ in .null }
        function.contextBody = { arguments, context in
            switch arguments[0] {
            case .null: return .null
            case .int(let oid) where oid != 1:
                return .null
            case .text(let name) where name != SystemCatalog.databaseName:
                throw VireoError(.invalidCatalogName, "database \"\(name)\" does not exist")
            default:
                guard let path = context.session?.database.store.pager.path else { return .null }
                // The database file and its WAL, where commits not yet checkpointed are.
                let sizes = [path, path + "-wal"].compactMap { file in
                    ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.int64Value
                }
                return sizes.isEmpty ? .null : .int(sizes.reduce(0, +))
            }
        }
        return function
    }()
}
