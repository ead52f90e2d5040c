import VireoStorage

/// pg_trigger, information_schema.triggers and pg_get_triggerdef over the tables' triggers
/// (what psql's \d and pg_dump read).
extension SystemCatalog {
    /// pg_trigger: one row per trigger (FOREIGN KEYs, which are internal triggers in
    /// PostgreSQL, are not listed).
    static func triggerRelation(_ catalog: Catalog) -> Relation {
        let rows = sortedTables(catalog).flatMap { table in
            table.triggers.map { trigger -> [Value] in
                let attributes = (trigger.updateColumns ?? []).compactMap { table.columnIndex($0).map { Value.int(Int64($0 + 1)) } }
                let arguments: [UInt8] = trigger.arguments.flatMap { argument -> [UInt8] in Array(argument.utf8) + [0] }
                return [.int(trigger.oid), .int(oid(ofObject: table.name)), .int(0), .text(trigger.name),
                        .int(catalog.functions[trigger.function]?.oid ?? 0), .int(triggerType(trigger)),
                        .text(trigger.isDisabled == true ? "D" : "O"), .bool(false), .int(0), .int(0), .int(0), .bool(false), .bool(false),
                        .int(Int64(trigger.arguments.count)), .array(attributes), .bytes(arguments),
                        trigger.condition.map(Value.text) ?? .null, .null, .null]
            }
        }
        return Relation(columns: columns(
            ("oid", .int), ("tgrelid", .int), ("tgparentid", .int), ("tgname", .text), ("tgfoid", .int), ("tgtype", .smallint),
            ("tgenabled", .internalChar), ("tgisinternal", .bool), ("tgconstrrelid", .int), ("tgconstrindid", .int),
            ("tgconstraint", .int), ("tgdeferrable", .bool), ("tginitdeferred", .bool), ("tgnargs", .smallint),
            ("tgattr", .int2vector), ("tgargs", .bytes), ("tgqual", .text), ("tgoldtable", .text), ("tgnewtable", .text)), rows: rows)
    }

    /// pg_trigger.tgtype's bits: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16.
    static func triggerType(_ trigger: TriggerDefinition) -> Int64 {
        let events: [String: Int64] = ["insert": 4, "delete": 8, "update": 16]
        return (trigger.forEachRow ? 1 : 0) + (trigger.timing == "before" ? 2 : 0) + trigger.events.reduce(0) { $0 + (events[$1] ?? 0) }
    }

    /// information_schema.triggers: one row per trigger and event, as PostgreSQL lists them.
    static func informationSchemaTriggers(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            for event in ["insert", "delete", "update"] {
                let firing = table.triggers.filter { $0.events.contains(event) }
                for trigger in firing {
                    // action_order: the trigger's place among those of the same event, timing and level.
                    let order = firing.filter { $0.timing == trigger.timing && $0.forEachRow == trigger.forEachRow }
                        .firstIndex { $0.name == trigger.name }.map { $0 + 1 } ?? 1
                    rows.append([.text(databaseName), .text(schemaName(of: table.name)), .text(trigger.name), .text(event.uppercased()),
                                 .text(databaseName), .text(schemaName(of: table.name)), .text(table.name), .int(Int64(order)),
                                 trigger.condition.map { .text("(" + $0 + ")") } ?? .null, .text(executeClause(trigger)),
                                 .text(trigger.forEachRow ? "ROW" : "STATEMENT"), .text(trigger.timing.uppercased()),
                                 .null, .null, .null, .null, .null])
                }
            }
        }
        return Relation(columns: columns(
            ("trigger_catalog", .text), ("trigger_schema", .text), ("trigger_name", .text), ("event_manipulation", .text),
            ("event_object_catalog", .text), ("event_object_schema", .text), ("event_object_table", .text), ("action_order", .int),
            ("action_condition", .text), ("action_statement", .text), ("action_orientation", .text), ("action_timing", .text),
            ("action_reference_old_table", .text), ("action_reference_new_table", .text), ("action_reference_old_row", .text),
            ("action_reference_new_row", .text), ("created", .timestamptz)), rows: rows)
    }

    /// pg_get_triggerdef(oid [, pretty]): the CREATE TRIGGER statement; `pretty` leaves out
    /// the table's schema and WHEN's extra parentheses. NULL for an OID no trigger has.
    static func triggerDefinition(_ oid: Int64, pretty: Bool, _ catalog: Catalog) -> String? {
        for table in catalog.tables.values {
            guard let trigger = table.triggers.first(where: { $0.oid == oid }) else { continue }
            let events = ["insert", "delete", "update"].filter(trigger.events.contains).map { event -> String in
                guard event == "update", let columns = trigger.updateColumns else { return event.uppercased() }
                return "UPDATE OF " + columns.map(quoteIdentifier).joined(separator: ", ")
            }
            let tableName = pretty ? quoteIdentifier(table.name) : quoteIdentifier(schemaName(of: table.name)) + "." + quoteIdentifier(table.name)
            let condition = trigger.condition.map { pretty ? " WHEN (\($0))" : " WHEN ((\($0)))" } ?? ""
            return "CREATE TRIGGER \(quoteIdentifier(trigger.name)) \(trigger.timing.uppercased()) \(events.joined(separator: " OR ")) ON \(tableName)"
                + " FOR EACH \(trigger.forEachRow ? "ROW" : "STATEMENT")\(condition) \(executeClause(trigger))"
        }
        return nil
    }

    /// `EXECUTE FUNCTION f('a', 'b')`.
    private static func executeClause(_ trigger: TriggerDefinition) -> String {
        let name = trigger.function.prefix { $0 != "(" }
        return "EXECUTE FUNCTION \(quoteIdentifier(String(name)))(" + trigger.arguments.map(quoteString).joined(separator: ", ") + ")"
    }
}
