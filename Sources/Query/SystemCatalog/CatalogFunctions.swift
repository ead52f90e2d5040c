import VireoStorage

extension Functions {
    /// The catalog functions drivers and psql call: type lookups and visibility checks.
    static let catalog: [ScalarFunction] = [
        ScalarFunction("to_regtype", 1...1, [.text], returns: .int) { arguments in
            BuiltinType.oid(named: string(arguments[0])).map { .int($0) } ?? .null
        },
        ScalarFunction("format_type", 1...2, [.int, .int], strict: false, returns: .text) { arguments in
            guard case .int(let oid) = arguments[0] else { return .null }
            if let element = BuiltinType.all.first(where: { $0.arrayOID == oid }) {
                return .text((element.informationSchemaName == "USER-DEFINED" ? element.name : element.informationSchemaName) + "[]")
            }
            let type = BuiltinType.all.first { $0.oid == oid }
            guard let type else { return .text("???") }
            if type.name == "vector", arguments.count > 1, case .int(let dimension) = arguments[1], dimension > 0 {
                return .text("vector(\(dimension))")
            }
            if type.name == "varchar" || type.name == "bpchar", arguments.count > 1, case .int(let typmod) = arguments[1], typmod > 4 {
                return .text("\(type.informationSchemaName)(\(typmod - 4))")
            }
            return .text(type.informationSchemaName == "USER-DEFINED" ? type.name : type.informationSchemaName)
        },
        ScalarFunction("pg_table_is_visible", 1...1, [.int], returns: .bool) { _ in .bool(true) },
        ScalarFunction("pg_type_is_visible", 1...1, [.int], returns: .bool) { _ in .bool(true) },
        ScalarFunction("pg_get_userbyid", 1...1, [.int], returns: .text) { _ in .text(SystemCatalog.ownerName) },
        ScalarFunction("current_database", 0...0, [], returns: .text) { _ in .text(SystemCatalog.databaseName) },
        ScalarFunction("current_schema", 0...0, [], returns: .text) { _ in .text("public") },
        ScalarFunction("current_user", 0...0, [], returns: .text) { _ in .text(SystemCatalog.ownerName) },
        ScalarFunction("pg_encoding_to_char", 1...1, [.int], returns: .text) { _ in .text("UTF8") },
        ScalarFunction("shobj_description", 2...2, [.int, .text], returns: .text) { _ in .null },
        // Expressions are kept as SQL text, so the "parsed" form is the text itself.
        ScalarFunction("pg_get_expr", 2...3, [.text, .int, .bool], returns: .text) { arguments in arguments[0] },
        // Views are expanded from their SQL, not by rewrite rules: there is no rule to print.
        ScalarFunction("pg_get_ruledef", 1...2, [.int, .bool], returns: .text) { _ in .null },
        ScalarFunction("pg_relation_is_publishable", 1...1, [.int], returns: .bool) { _ in .bool(false) },
        ScalarFunction("pg_function_is_visible", 1...1, [.int], returns: .bool) { _ in .bool(true) },
        ScalarFunction("pg_get_statisticsobjdef_columns", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_get_function_result", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_get_function_arguments", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_get_function_identity_arguments", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_size_pretty", 1...1, [.int], returns: .text) { arguments in
            guard case .int(let bytes) = arguments[0] else { return .null }
            return .text(sizePretty(bytes))
        },
    ]

    /// pg_size_pretty: bytes up to 10 kB (rounded), then kB, MB, GB, TB, each unit while the
    /// number stays below 10240 of it, halves rounded away from zero.
    static func sizePretty(_ bytes: Int64) -> String {
        var size = bytes
        if abs(size) < 10 * 1024 { return "\(size) bytes" }
        for unit in ["kB", "MB", "GB", "TB"] {
            let half = size >= 0 ? 512 : -512
            let next = (size + Int64(half)) / 1024
            if abs(next) < 10 * 1024 || unit == "TB" { return "\(next) \(unit)" }
            size /= 1024
        }
        return "\(size) PB"
    }

    /// The catalog functions that read the catalog (index and constraint definitions, which
    /// pg_class relation an OID or a name is), made for one statement's catalog.
    static func catalogReading(_ name: String, _ catalog: Catalog) -> ScalarFunction? {
        switch name {
        case "pg_get_indexdef":
            return ScalarFunction("pg_get_indexdef", 1...3, [.int, .int, .bool], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                let column = arguments.count > 1 ? ArrayFunctions.integer(arguments[1]) ?? 0 : 0
                let pretty = arguments.count > 2 && arguments[2] == .bool(true)
                return SystemCatalog.indexDefinition(catalog, indexOID: oid, column: column, pretty: pretty).map(Value.text) ?? .null
            }
        case "pg_get_constraintdef":
            return ScalarFunction("pg_get_constraintdef", 1...2, [.int, .bool], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                let pretty = arguments.count > 1 && arguments[1] == .bool(true)
                return SystemCatalog.constraintDefinition(catalog, constraintOID: oid, pretty: pretty).map(Value.text) ?? .null
            }
        case "pg_get_viewdef":
            return ScalarFunction("pg_get_viewdef", 1...2, [.int, .bool], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                return SystemCatalog.viewDefinition(catalog, viewOID: oid).map(Value.text) ?? .null
            }
        case "regclass_out":
            // An OID cast to regclass, shown as the relation's name (the OID when none has it).
            return ScalarFunction("regclass_out", 1...1, [.int], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                return .text(SystemCatalog.relationName(oid, catalog) ?? String(oid))
            }
        case "obj_description":
            // COMMENT ON TABLE; other objects have none.
            return ScalarFunction("obj_description", 1...2, [.int, .text], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                return SystemCatalog.description(catalog, objectOID: oid, subID: 0).map(Value.text) ?? .null
            }
        case "col_description":
            return ScalarFunction("col_description", 2...2, [.int, .int], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0], case .int(let column) = arguments[1] else { return .null }
                return SystemCatalog.description(catalog, objectOID: oid, subID: column).map(Value.text) ?? .null
            }
        case "pg_get_triggerdef":
            // pg_trigger is empty: no OID names a trigger.
            return ScalarFunction("pg_get_triggerdef", 1...2, [.int, .bool], returns: .text) { _ in .null }
        case "to_regclass":
            return ScalarFunction("to_regclass", 1...1, [.text], returns: .int) { arguments in
                SystemCatalog.relationOID(Cast.textForm(arguments[0]), catalog).map(Value.int) ?? .null
            }
        case "pg_table_size", "pg_relation_size", "pg_total_relation_size", "pg_indexes_size":
            // Sizes per relation are not kept apart in Vireo's one file: NULL, not a made-up number.
            return ScalarFunction(name, 1...2, [.int, .text], returns: .int) { _ in .null }
        default:
            return nil
        }
    }
}
