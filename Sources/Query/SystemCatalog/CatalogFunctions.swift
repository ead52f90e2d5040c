import VireoStorage

extension Functions {
    /// The catalog functions drivers and psql call: type lookups and visibility checks.
    static let catalog: [ScalarFunction] = [
        ScalarFunction("to_regtype", 1...1, [.text], returns: .int) { arguments in
            BuiltinType.oid(named: string(arguments[0])).map { .int($0) } ?? .null
        },
        ScalarFunction("format_type", 1...2, [.int, .int], strict: false, returns: .text) { arguments in
            guard case .int(let oid) = arguments[0] else { return .null }
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
        // Arrays are not values yet (issue 10): the catalog's array columns are NULL, which
        // this strict function answers with NULL; anything else is refused.
        ScalarFunction("array_to_string", 2...3, [.text, .text], returns: .text) { _ in
            throw VireoError(.featureNotSupported, "arrays are not supported yet")
        },
        ScalarFunction("obj_description", 1...2, [.int, .text], returns: .text) { _ in .null },
        ScalarFunction("col_description", 2...2, [.int, .int], returns: .text) { _ in .null },
    ]
}
