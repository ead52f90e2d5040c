import Foundation
import VireoStorage

extension Functions {
    /// format_type's text for a type OID and typmod (`integer`, `character varying(20)`,
    /// `vector(3)`, `text[]`); nil for an OID no type has.
    static func typeName(_ oid: Int64, _ typmod: Value) -> String? {
        func shown(_ type: BuiltinType) -> String {
            type.informationSchemaName == "USER-DEFINED" ? type.name : type.informationSchemaName
        }
        if let element = BuiltinType.all.first(where: { $0.arrayOID == oid }) { return shown(element) + "[]" }
        guard let type = BuiltinType.all.first(where: { $0.oid == oid }) else { return nil }
        if ["vector", "halfvec", "sparsevec"].contains(type.name), case .int(let dimension) = typmod, dimension > 0 {
            return "\(type.name)(\(dimension))"
        }
        if type.name == "bit" || type.name == "varbit", case .int(let length) = typmod, length > 0 {
            return "\(type.informationSchemaName)(\(length))"
        }
        if type.name == "varchar" || type.name == "bpchar", case .int(let typmod) = typmod, typmod > 4 {
            return "\(type.informationSchemaName)(\(typmod - 4))"
        }
        // A char without a length would read as char(1): PostgreSQL names it bpchar.
        if type.name == "bpchar", case .int = typmod { return "bpchar" }
        if let precise = fractionalSecondsName(type, typmod) { return precise }
        if type.name == "numeric", case .int(let typmod) = typmod, typmod >= 4 {
            return "numeric(\((typmod - 4) >> 16),\((typmod - 4) & 0xFFFF))"
        }
        return shown(type)
    }

    /// A time type with its fractional-seconds precision (`timestamp(2) without time zone`,
    /// `interval(2)`); nil for other types and for no precision (typmod -1).
    private static func fractionalSecondsName(_ type: BuiltinType, _ typmod: Value) -> String? {
        guard case .int(let typmod) = typmod, typmod >= 0 else { return nil }
        switch type.name {
        case "timestamp", "timestamptz", "time":
            let words = type.informationSchemaName.split(separator: " ", maxSplits: 1)
            return "\(words[0])(\(typmod)) \(words[1])"
        case "interval":
            // An interval's typmod holds its field range above the precision (0xFFFF: none).
            let digits = typmod & 0xFFFF
            return digits == 0xFFFF ? nil : "interval(\(digits))"
        default: return nil
        }
    }

    /// An OID cast to regtype: the type's name, or the number when no type has it.
    static let regtypeOut = ScalarFunction("regtype_out", 1...1, [.int], returns: .text) { arguments in
        guard case .int(let oid) = arguments[0] else { return .null }
        return .text(typeName(oid, .null) ?? String(oid))
    }

    /// The catalog functions drivers and psql call: type lookups and visibility checks.
    static let catalog: [ScalarFunction] = [
        ScalarFunction("to_regtype", 1...1, [.text], returns: .int) { arguments in
            BuiltinType.oid(named: string(arguments[0])).map { .int($0) } ?? .null
        },
        ScalarFunction("format_type", 1...2, [.int, .int], strict: false, returns: .text) { arguments in
            guard case .int(let oid) = arguments[0] else { return .null }
            return .text(typeName(oid, arguments.count > 1 ? arguments[1] : .null) ?? "???")
        },
        ScalarFunction("pg_get_userbyid", 1...1, [.int], returns: .text) { arguments in
            guard case .int(let oid) = arguments[0] else { return .null }
            return .text(SystemCatalog.roleName(oid))
        },
        ScalarFunction("current_database", 0...0, [], returns: .name) { _ in .text(SystemCatalog.databaseName) },
        ScalarFunction("current_schema", 0...0, [], returns: .text) { _ in .text("public") },
        ScalarFunction("current_user", 0...0, [], returns: .text) { _ in .text(SystemCatalog.ownerName) },
        ScalarFunction("session_user", 0...0, [], returns: .text) { _ in .text(SystemCatalog.ownerName) },
        ScalarFunction("current_role", 0...0, [], returns: .text) { _ in .text(SystemCatalog.ownerName) },
        ScalarFunction("current_catalog", 0...0, [], returns: .text) { _ in .text(SystemCatalog.databaseName) },
        ScalarFunction("pg_encoding_to_char", 1...1, [.int], returns: .text) { _ in .text("UTF8") },
        ScalarFunction("pg_is_in_recovery", 0...0, [], returns: .bool) { _ in .bool(false) },
        ScalarFunction("pg_postmaster_start_time", 0...0, [], returns: .timestamptz) { _ in .timestamp(processStartMicros) },
        ScalarFunction("shobj_description", 2...2, [.int, .text], returns: .text) { _ in .null },
        // Both tablespaces are the data directory's own: PostgreSQL answers '' for them.
        ScalarFunction("pg_tablespace_location", 1...1, [.int], returns: .text) { _ in .text("") },
        // Expressions are kept as SQL text, so the "parsed" form is the text itself.
        ScalarFunction("pg_get_expr", 2...3, [.text, .int, .bool], returns: .text) { arguments in
            guard case .text(let text) = arguments[0] else { return arguments[0] }
            return .text(SearchPath.printedDefault(text))
        },
        // Views are expanded from their SQL, not by rewrite rules: there is no rule to print.
        ScalarFunction("pg_get_ruledef", 1...2, [.int, .bool], returns: .text) { _ in .null },
        ScalarFunction("pg_relation_is_publishable", 1...1, [.int], returns: .bool) { _ in .bool(false) },
        ScalarFunction("pg_get_statisticsobjdef_columns", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_get_function_result", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_get_function_arguments", 1...1, [.int], returns: .text) { _ in .null },
        // psql's \df+ reads it; no function here has a SQL-standard body.
        ScalarFunction("pg_get_function_sqlbody", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_get_function_identity_arguments", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_get_functiondef", 1...1, [.int], returns: .text) { _ in .null },
        ScalarFunction("pg_size_pretty", 1...1, [.int], returns: .text) { arguments in
            guard case .int(let bytes) = arguments[0] else { return .null }
            return .text(sizePretty(bytes))
        },
        ScalarFunction("pg_size_bytes", 1...1, [.text], returns: .int) { .int(try sizeBytes(string($0[0]))) },
        databaseSize,
        // The search path (`{public}`; pg_catalog first when implicit schemas are asked for).
        ScalarFunction("current_schemas", 1...1, [.bool], returns: .array(.name)) { arguments in
            let path = SearchPath.publicIsVisible ? ["public"] : []
            return .array(((arguments[0] == .bool(true) ? ["pg_catalog"] : []) + path).map(Value.text))
        },
        ScalarFunction("acldefault", 2...2, [.internalChar, .int], returns: .array(.text)) { arguments in
            guard case .text(let kind) = arguments[0], case .int(let owner) = arguments[1] else { return .null }
            return defaultPrivileges(kind, owner: SystemCatalog.roleName(owner)).map { .array($0.map(Value.text)) } ?? .null
        },
    ]

    /// acldefault's answer: the privileges an owner and PUBLIC hold on a new object of
    /// `kind` (PostgreSQL 15's codes and letters), nil for a kind it does not know.
    static func defaultPrivileges(_ kind: String, owner: String) -> [String]? {
        let (ownerPrivileges, publicPrivileges): (String, String)
        switch kind {
        case "r": (ownerPrivileges, publicPrivileges) = ("arwdDxt", "")
        case "s": (ownerPrivileges, publicPrivileges) = ("rwU", "")
        case "d": (ownerPrivileges, publicPrivileges) = ("CTc", "Tc")
        case "f": (ownerPrivileges, publicPrivileges) = ("X", "X")
        case "l", "T": (ownerPrivileges, publicPrivileges) = ("U", "U")
        case "n", "F", "S": (ownerPrivileges, publicPrivileges) = (kind == "n" ? "UC" : "U", "")
        case "L": (ownerPrivileges, publicPrivileges) = ("rw", "")
        case "t": (ownerPrivileges, publicPrivileges) = ("C", "")
        case "p": (ownerPrivileges, publicPrivileges) = ("sA", "")
        default: return nil
        }
        let name = quoteIdentifier(owner)
        return (publicPrivileges.isEmpty ? [] : ["=\(publicPrivileges)/\(name)"]) + ["\(name)=\(ownerPrivileges)/\(name)"]
    }

    /// When this process opened its first database (pg_postmaster_start_time).
    static let processStartMicros = currentMicros()

    /// pg_type_is_visible and its family, which psql's \dT, \do, \dF, \dc … call: every object is
    /// in pg_catalog or public, both always on the search path, so every one is visible.
    static let visibilityChecks: [ScalarFunction] = [
        "type", "collation", "function", "operator", "opclass", "opfamily", "conversion", "statistics_obj",
        "ts_config", "ts_parser", "ts_dict", "ts_template",
    ].map { object in
        ScalarFunction("pg_\(object)_is_visible", 1...1, [.int], returns: .bool) { _ in .bool(true) }
    }

    /// has_table_privilege and its family, with or without a user name first: every
    /// connection is the database's one role (any API key), which may do anything.
    static let privilegeChecks: [ScalarFunction] = ["table", "column", "schema", "database", "function", "sequence", "any_column"].map { object in
        ScalarFunction("has_\(object)_privilege", 2...4, [.text], returns: .bool) { _ in .bool(true) }
    }

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

    /// pg_size_bytes: a number (sign, fraction and exponent allowed) and an optional unit,
    /// bytes or kB to PB in powers of 1024, case-insensitive; the product rounded to bigint.
    static func sizeBytes(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberEnd = trimmed.firstIndex { !($0.isNumber || "+-.eE".contains($0)) } ?? trimmed.endIndex
        var numberText = trimmed[..<numberEnd]
        // An exponent's `e` without digits after it belongs to no number: `1 EB` is a unit.
        while let last = numberText.last, last == "e" || last == "E" || last == "+" || last == "-" { numberText.removeLast() }
        guard let number = Numeric(numberText), number.isFinite else {
            throw VireoError(.invalidParameter, "invalid size: \"\(text)\"")
        }
        let unit = trimmed[numberText.endIndex...].trimmingCharacters(in: .whitespaces)
        let units = ["bytes": 0, "kb": 10, "mb": 20, "gb": 30, "tb": 40, "pb": 50]
        guard let shift = unit.isEmpty ? 0 : units[unit.lowercased()] else {
            throw VireoError(.invalidParameter, "invalid size: \"\(text)\"",
                             hint: "Valid units are \"bytes\", \"kB\", \"MB\", \"GB\", \"TB\", and \"PB\".",
                             detail: "Invalid size unit: \"\(unit)\".")
        }
        let bytes = try NumericMath.apply(.multiply, number, Numeric(Int64(1) << shift))
        guard case .int(let result) = try Cast.convert(.numeric(bytes), to: .int) else { return 0 }
        return result
    }

    /// The catalog functions that read the catalog (index and constraint definitions, which
    /// pg_class relation an OID or a name is), made for one statement's catalog.
    static func catalogReading(_ name: String, _ catalog: Catalog) -> ScalarFunction? {
        if let description = SystemCatalog.functionDescription(name, catalog) { return description }
        switch name {
        case "pg_get_serial_sequence":
            // The sequence a serial or identity column draws from, or one OWNED BY the column
            // (`public.items_id_seq`), NULL for others.
            return ScalarFunction("pg_get_serial_sequence", 2...2, [.text, .text], returns: .text) { arguments in
                var name = string(arguments[0])
                for schema in ["public.", "pg_catalog."] where name.hasPrefix(schema) { name.removeFirst(schema.count) }
                if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
                guard let table = catalog.tables[name] else {
                    throw VireoError(.undefinedTable, "relation \"\(string(arguments[0]))\" does not exist")
                }
                let columnName = string(arguments[1])
                guard let column = table.columns.first(where: { $0.name == columnName }) else {
                    throw VireoError(.undefinedColumn, "column \"\(columnName)\" of relation \"\(name)\" does not exist")
                }
                return SystemCatalog.ownedSequence(catalog, table: table, column: column).map { .text("public." + quoteIdentifier($0)) } ?? .null
            }
        case "pg_table_is_visible":
            // Only public is on the search path: Vireo's own tables (schema vireo) are not visible.
            return ScalarFunction("pg_table_is_visible", 1...1, [.int], returns: .bool) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                return .bool(SystemCatalog.relationName(oid, catalog).map { relation in
                    let schema = SystemCatalog.schemaName(of: relation)
                    // Another session's temporary tables are not on this session's search path.
                    return schema != "vireo" && (!schema.hasPrefix(TemporarySchema.prefix) || schema == TemporarySchema.current)
                } ?? true)
            }
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
            return ScalarFunction("pg_get_triggerdef", 1...2, [.int, .bool], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                let pretty = arguments.count > 1 && arguments[1] == .bool(true)
                return SystemCatalog.triggerDefinition(oid, pretty: pretty, catalog).map(Value.text) ?? .null
            }
        case "to_regclass":
            return ScalarFunction("to_regclass", 1...1, [.text], returns: .int) { arguments in
                SystemCatalog.relationOID(Cast.textForm(arguments[0]), catalog).map(Value.int) ?? .null
            }
        case "format_type", "regtype_out", "to_regtype": return typeFunction(name, catalog)
        case "pg_table_size", "pg_relation_size", "pg_total_relation_size", "pg_indexes_size":
            return relationSize(name, catalog)
        default:
            return nil
        }
    }
}
