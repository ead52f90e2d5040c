import VireoStorage

/// information_schema's constraint views, over the same constraints pg_constraint lists:
/// table_constraints, key_column_usage, constraint_column_usage, referential_constraints and
/// check_constraints. ORMs and schema tools read these instead of pg_catalog (peewee's
/// get_primary_keys and get_foreign_keys, DBeaver, Metabase). As PostgreSQL 15 does, they
/// also list each NOT NULL column as a CHECK constraint named `<schema oid>_<table oid>_<attnum>_not_null`
/// in table_constraints and check_constraints (`email IS NOT NULL`), though in no other view:
/// schema-diff tools compare them.
extension SystemCatalog {
    /// A constraint as the views show it.
    struct NamedConstraint {
        var name: String
        var table: TableDefinition
        /// PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK.
        var kind: String
        /// The constrained columns (those a CHECK reads).
        var columns: [String]
        var foreignKey: ForeignKeyDefinition? = nil
        var check: CheckConstraintDefinition? = nil
        /// The column of a NOT NULL constraint.
        var notNullColumn: String? = nil
    }

    static let constraintViews: [String: @Sendable (Catalog) -> Relation] = [
        "information_schema.table_constraints": tableConstraints,
        "information_schema.key_column_usage": keyColumnUsage,
        "information_schema.constraint_column_usage": constraintColumnUsage,
        "information_schema.referential_constraints": referentialConstraints,
        "information_schema.check_constraints": checkConstraints,
    ]

    static func namedConstraints(_ catalog: Catalog) -> [NamedConstraint] {
        sortedTables(catalog).flatMap { table -> [NamedConstraint] in
            let keys = indexEntries(table).compactMap { index -> NamedConstraint? in
                guard let type = index.constraintType else { return nil }
                return NamedConstraint(name: index.name, table: table, kind: type == "p" ? "PRIMARY KEY" : "UNIQUE", columns: index.columns)
            }
            let foreignKeys = table.foreignKeys.map {
                NamedConstraint(name: $0.name, table: table, kind: "FOREIGN KEY", columns: $0.columns, foreignKey: $0)
            }
            let checks = table.checks.map { check in
                NamedConstraint(name: check.name, table: table, kind: "CHECK",
                                columns: checkColumns(table, check).compactMap { attributeName(table, $0) }, check: check)
            }
            let notNulls = table.columns.enumerated().filter(\.element.notNull).map { position, column in
                NamedConstraint(name: "\(namespaceOID(of: table.name))_\(oid(ofObject: table.name))_\(position + 1)_not_null", table: table,
                                kind: "CHECK", columns: [column.name], notNullColumn: column.name)
            }
            return keys + foreignKeys + checks + notNulls
        }
    }

    /// The four names every view starts a constraint's row with.
    private static func constraintHead(_ constraint: NamedConstraint) -> [Value] {
        [.text(databaseName), .text(schemaName(of: constraint.table.name)), .text(constraint.name), .text(databaseName)]
    }

    private static func tableConstraints(_ catalog: Catalog) -> Relation {
        let rows = namedConstraints(catalog).map { constraint -> [Value] in
            let deferrable = constraint.foreignKey?.deferrable == true, deferred = constraint.foreignKey?.initiallyDeferred == true
            return constraintHead(constraint) + [
                .text(schemaName(of: constraint.table.name)), .text(relationName(of: constraint.table.name)), .text(constraint.kind),
                .text(deferrable ? "YES" : "NO"), .text(deferred ? "YES" : "NO"), .text("YES"),
                constraint.kind == "UNIQUE" ? .text("YES") : .null]
        }
        return Relation(columns: textColumns("constraint_catalog", "constraint_schema", "constraint_name", "table_catalog",
                                             "table_schema", "table_name", "constraint_type", "is_deferrable",
                                             "initially_deferred", "enforced", "nulls_distinct"), rows: rows)
    }

    /// The key columns of primary keys, unique constraints and foreign keys, in key order; a
    /// foreign key's also give their position in the referenced key.
    private static func keyColumnUsage(_ catalog: Catalog) -> Relation {
        let rows = namedConstraints(catalog).filter { $0.kind != "CHECK" }.flatMap { constraint in
            let referencedPositions = constraint.foreignKey.map { referencedKeyPositions($0, catalog) }
            return constraint.columns.enumerated().map { position, column -> [Value] in
                constraintHead(constraint) + [
                    .text(schemaName(of: constraint.table.name)), .text(relationName(of: constraint.table.name)), .text(column),
                    .int(Int64(position + 1)), referencedPositions.map { $0[position].map { Value.int(Int64($0)) } ?? .null } ?? .null]
            }
        }
        return Relation(columns: textColumns("constraint_catalog", "constraint_schema", "constraint_name", "table_catalog",
                                             "table_schema", "table_name", "column_name")
                            + columns(("ordinal_position", .int), ("position_in_unique_constraint", .int)), rows: rows)
    }

    /// Each column a constraint uses: a foreign key's referenced columns, the others' own.
    private static func constraintColumnUsage(_ catalog: Catalog) -> Relation {
        let rows = namedConstraints(catalog).filter { $0.notNullColumn == nil }.flatMap { constraint in
            let table = constraint.foreignKey?.referencedTable ?? constraint.table.name
            return (constraint.foreignKey?.referencedColumns ?? constraint.columns).map { column -> [Value] in
                [.text(databaseName), .text(schemaName(of: table)), .text(relationName(of: table)), .text(column),
                 .text(databaseName), .text(schemaName(of: constraint.table.name)), .text(constraint.name)]
            }
        }
        return Relation(columns: textColumns("table_catalog", "table_schema", "table_name", "column_name", "constraint_catalog",
                                             "constraint_schema", "constraint_name"), rows: rows)
    }

    private static func referentialConstraints(_ catalog: Catalog) -> Relation {
        let rows = namedConstraints(catalog).compactMap { constraint -> [Value]? in
            guard let key = constraint.foreignKey else { return nil }
            let referenced = referencedKey(key, catalog)
            return [.text(databaseName), .text(schemaName(of: constraint.table.name)), .text(constraint.name),
                    .text(databaseName), .text(schemaName(of: key.referencedTable)), referenced.map { Value.text($0.name) } ?? .null,
                    .text("NONE"), .text(referentialAction(key.onUpdate)), .text(referentialAction(key.onDelete))]
        }
        return Relation(columns: textColumns("constraint_catalog", "constraint_schema", "constraint_name", "unique_constraint_catalog",
                                             "unique_constraint_schema", "unique_constraint_name", "match_option", "update_rule",
                                             "delete_rule"), rows: rows)
    }

    /// check_clause as PostgreSQL shows it: pg_get_constraintdef without its `CHECK `, and
    /// `column IS NOT NULL` for a NOT NULL column.
    private static func checkConstraints(_ catalog: Catalog) -> Relation {
        let rows = namedConstraints(catalog).compactMap { constraint -> [Value]? in
            // PostgreSQL writes the column's name as it is, unquoted.
            guard let clause = constraint.check.map({ "((" + $0.expression + "))" }) ?? constraint.notNullColumn.map({ $0 + " IS NOT NULL" }) else {
                return nil
            }
            return [.text(databaseName), .text(schemaName(of: constraint.table.name)), .text(constraint.name), .text(clause)]
        }
        return Relation(columns: textColumns("constraint_catalog", "constraint_schema", "constraint_name", "check_clause"), rows: rows)
    }

    /// The primary key or unique constraint of the referenced table whose columns a foreign
    /// key references.
    private static func referencedKey(_ key: ForeignKeyDefinition, _ catalog: Catalog) -> IndexEntry? {
        guard let table = catalog.tables[key.referencedTable] else { return nil }
        return indexEntries(table).first { $0.constraintType != nil && Set($0.columns) == Set(key.referencedColumns) }
    }

    /// For each referencing column, the 1-based position of the column it references in the
    /// referenced key.
    private static func referencedKeyPositions(_ key: ForeignKeyDefinition, _ catalog: Catalog) -> [Int?] {
        let referenced = referencedKey(key, catalog)
        return key.referencedColumns.map { column in referenced?.columns.firstIndex(of: column).map { $0 + 1 } }
    }

    /// pg_constraint's action letter as information_schema spells it (as SQL writes it).
    private static func referentialAction(_ letter: String) -> String {
        (ReferentialAction(rawValue: letter) ?? .noAction).sql
    }

    private static func attributeName(_ table: TableDefinition, _ attribute: Value) -> String? {
        guard case .int(let number) = attribute, number >= 1, number <= table.columns.count else { return nil }
        return table.columns[Int(number) - 1].name
    }

    private static func textColumns(_ names: String...) -> [ResultColumn] {
        names.map { ResultColumn(name: $0, type: .text) }
    }
}
