import VireoStorage

/// pg_proc and pg_language rows of the SQL functions, and the catalog functions psql's \df
/// and pgJDBC's getFunctions print them with (pg_get_function_result, …_arguments).
extension SystemCatalog {
    /// pg_language's OID of LANGUAGE sql, as in PostgreSQL.
    static let sqlLanguageOID: Int64 = 14

    /// pg_language's OID of plpgsql (a fresh PostgreSQL 15's).
    static let plpgsqlLanguageOID: Int64 = 13563

    /// pg_language: internal, c, sql and plpgsql, as a fresh PostgreSQL 15 has them.
    static let languages = Relation(
        columns: columns(("oid", .int), ("lanname", .text), ("lanowner", .int), ("lanispl", .bool), ("lanpltrusted", .bool)),
        rows: [[.int(12), .text("internal"), .int(ownerOID), .bool(false), .bool(false)],
               [.int(13), .text("c"), .int(ownerOID), .bool(false), .bool(false)],
               [.int(sqlLanguageOID), .text("sql"), .int(ownerOID), .bool(false), .bool(true)],
               [.int(plpgsqlLanguageOID), .text("plpgsql"), .int(ownerOID), .bool(true), .bool(true)]])

    /// pg_proc: one row per SQL function.
    static func procedures(_ catalog: Catalog) -> Relation {
        let rows = catalog.functions.values.sorted { $0.oid < $1.oid }.map { function -> [Value] in
            let argumentTypes = function.arguments.map { Value.int(typeOID(of: $0.type, catalog)) }
            let names = function.arguments.map(\.name) + (function.resultColumns ?? []).map(\.name)
            return [
                .int(function.oid), .text(function.name), .int(publicNamespaceOID), .int(ownerOID),
                .int(function.language == "plpgsql" ? plpgsqlLanguageOID : sqlLanguageOID),
                .double(100), .double(function.returnsSet ? 1000 : 0), .int(0), .int(0), .text("f"), .bool(false), .bool(false),
                .bool(function.strict), .bool(function.returnsSet), .text(function.volatility), .text("u"),
                .int(Int64(function.arguments.count)), .int(Int64(function.defaultCount)),
                .int(function.resultColumns == nil ? typeOID(of: function.returnType, catalog) : recordTypeOID),
                .array(argumentTypes), allArgumentTypes(function, catalog), argumentModes(function),
                names.allSatisfy { $0 == nil } ? .null : .array(names.map { .text($0 ?? "") }),
                .null, .text(function.body), .null, .null,
            ]
        }
        return Relation(columns: columns(
            ("oid", .int), ("proname", .text), ("pronamespace", .int), ("proowner", .int), ("prolang", .int),
            ("procost", .real), ("prorows", .real), ("provariadic", .int), ("prosupport", .int), ("prokind", .internalChar),
            ("prosecdef", .bool), ("proleakproof", .bool), ("proisstrict", .bool), ("proretset", .bool),
            ("provolatile", .internalChar), ("proparallel", .internalChar), ("pronargs", .smallint), ("pronargdefaults", .smallint),
            ("prorettype", .int), ("proargtypes", .int2vector), ("proallargtypes", .array(.int)), ("proargmodes", .array(.internalChar)),
            ("proargnames", .array(.text)), ("proargdefaults", .text), ("prosrc", .text), ("probin", .text), ("proconfig", .array(.text))),
            rows: rows)
    }

    /// void's OID, the result type of a PL/pgSQL function that returns nothing.
    static let voidTypeOID: Int64 = 2278
    static let triggerTypeOID: Int64 = 2279

    /// record's OID, the result type of a function returning TABLE (…).
    static let recordTypeOID: Int64 = 2249

    /// A RETURNS TABLE function's argument and result column types (NULL for others, as in PostgreSQL).
    private static func allArgumentTypes(_ function: FunctionDefinition, _ catalog: Catalog) -> Value {
        guard let columns = function.resultColumns else { return .null }
        return .array((function.arguments + columns).map { .int(typeOID(of: $0.type, catalog)) })
    }

    /// proargmodes: `i` per argument and `t` per RETURNS TABLE column; NULL when every one is `i`.
    private static func argumentModes(_ function: FunctionDefinition) -> Value {
        guard let columns = function.resultColumns else { return .null }
        return .array(function.arguments.map { _ in .text("i") } + columns.map { _ in .text("t") })
    }

    /// The OID of a type a function declares: built-in, enum or a table's row type.
    static func typeOID(of typeText: String, _ catalog: Catalog) -> Int64 {
        if catalog.tables[typeText] != nil { return rowTypeOID(of: typeText) }
        if typeText == "void" { return voidTypeOID }
        if typeText == "trigger" { return triggerTypeOID }
        guard let typeName = try? Parser.parseTypeName(typeText), let type = try? typeName.columnType(in: catalog) else { return 0 }
        return BuiltinType.of(type).oid
    }

    /// pg_get_function_result, pg_get_function_arguments,
    /// pg_get_function_identity_arguments and pg_get_functiondef over `catalog`'s functions;
    /// nil for other names.
    static func functionDescription(_ name: String, _ catalog: Catalog) -> ScalarFunction? {
        let describe: @Sendable (FunctionDefinition) -> String
        switch name {
        case "pg_get_function_result": describe = resultText
        case "pg_get_function_arguments": describe = argumentsText
        case "pg_get_functiondef": describe = definitionText
        case "pg_get_function_identity_arguments":
            describe = { function in
                function.arguments.map { (($0.name.map { quoteIdentifier($0) + " " }) ?? "") + $0.type }.joined(separator: ", ")
            }
        default: return nil
        }
        let functions = Dictionary(catalog.functions.values.map { ($0.oid, $0) }, uniquingKeysWith: { first, _ in first })
        return ScalarFunction(name, 1...1, [.int], returns: .text) { arguments in
            guard case .int(let oid) = arguments[0], let function = functions[oid] else { return .null }
            return .text(describe(function))
        }
    }

    @Sendable private static func resultText(_ function: FunctionDefinition) -> String {
        if let columns = function.resultColumns {
            return "TABLE(" + columns.map { quoteIdentifier($0.name ?? "") + " " + $0.type }.joined(separator: ", ") + ")"
        }
        return (function.returnsSet ? "SETOF " : "") + function.returnType
    }

    @Sendable private static func argumentsText(_ function: FunctionDefinition) -> String {
        function.arguments.map { argument in
            (argument.name.map { quoteIdentifier($0) + " " } ?? "") + argument.type + (argument.defaultExpression.map { " DEFAULT " + $0 } ?? "")
        }.joined(separator: ", ")
    }

    /// pg_get_functiondef (psql's `\sf`): a CREATE OR REPLACE FUNCTION that makes the function
    /// again, laid out as PostgreSQL prints it (options on one line, the body dollar-quoted).
    @Sendable private static func definitionText(_ function: FunctionDefinition) -> String {
        var options = ["i": " IMMUTABLE", "s": " STABLE"][function.volatility] ?? ""
        if function.strict { options += " STRICT" }
        return "CREATE OR REPLACE FUNCTION public.\(quoteIdentifier(function.name))(\(argumentsText(function)))\n"
            + " RETURNS \(resultText(function))\n LANGUAGE \(function.language)\n"
            + (options.isEmpty ? "" : options + "\n")
            + "AS $function$\(function.body)$function$\n"
    }
}

extension SystemCatalog {
    /// pg_matviews: each materialized view, its definition as pg_get_viewdef prints a query
    /// (canonical SQL here) and whether it holds rows.
    static func materializedViews(_ catalog: Catalog) -> Relation {
        Relation(columns: columns(("schemaname", .text), ("matviewname", .text), ("matviewowner", .text), ("tablespace", .text),
                                  ("hasindexes", .bool), ("ispopulated", .bool), ("definition", .text)),
                 rows: sortedTables(catalog).filter(\.isMaterializedView).map { table in
                     [.text(schemaName(of: table.name)), .text(table.name), .text(ownerName), .null, .bool(!table.indexes.isEmpty),
                      .bool(table.isUnpopulated != true), .text(" " + (table.materializedQuery ?? "") + ";")]
                 })
    }
}

/// information_schema.routines and information_schema.parameters over the SQL functions,
/// with PostgreSQL 15's columns (those Vireo has nothing for are NULL, as PostgreSQL leaves them).
extension SystemCatalog {
    private static let routineColumns = """
        specific_catalog specific_schema specific_name routine_catalog routine_schema routine_name routine_type \
        module_catalog module_schema module_name udt_catalog udt_schema udt_name data_type character_maximum_length# \
        character_octet_length# character_set_catalog character_set_schema character_set_name collation_catalog \
        collation_schema collation_name numeric_precision# numeric_precision_radix# numeric_scale# datetime_precision# \
        interval_type interval_precision# type_udt_catalog type_udt_schema type_udt_name scope_catalog scope_schema \
        scope_name maximum_cardinality# dtd_identifier routine_body routine_definition external_name external_language \
        parameter_style is_deterministic sql_data_access is_null_call sql_path schema_level_routine \
        max_dynamic_result_sets# is_user_defined_cast is_implicitly_invocable security_type to_sql_specific_catalog \
        to_sql_specific_schema to_sql_specific_name as_locator created last_altered new_savepoint_level \
        is_udt_dependent result_cast_from_data_type result_cast_as_locator result_cast_char_max_length# \
        result_cast_char_octet_length# result_cast_char_set_catalog result_cast_char_set_schema \
        result_cast_char_set_name result_cast_collation_catalog result_cast_collation_schema \
        result_cast_collation_name result_cast_numeric_precision# result_cast_numeric_precision_radix# \
        result_cast_numeric_scale# result_cast_datetime_precision# result_cast_interval_type \
        result_cast_interval_precision# result_cast_type_udt_catalog result_cast_type_udt_schema \
        result_cast_type_udt_name result_cast_scope_catalog result_cast_scope_schema result_cast_scope_name \
        result_cast_maximum_cardinality# result_cast_dtd_identifier
        """

    private static let parameterColumns = """
        specific_catalog specific_schema specific_name ordinal_position# parameter_mode is_result as_locator \
        parameter_name data_type character_maximum_length# character_octet_length# character_set_catalog \
        character_set_schema character_set_name collation_catalog collation_schema collation_name \
        numeric_precision# numeric_precision_radix# numeric_scale# datetime_precision# interval_type \
        interval_precision# udt_catalog udt_schema udt_name scope_catalog scope_schema scope_name \
        maximum_cardinality# dtd_identifier parameter_default
        """

    /// information_schema.routines: one row per SQL function.
    static func informationSchemaRoutines(_ catalog: Catalog) -> Relation {
        standardView(routineColumns, catalog.functions.values.sorted { $0.oid < $1.oid }.map { function in
            let type = standardType(function.resultColumns == nil ? function.returnType : "record", catalog)
            return ["specific_catalog": .text(databaseName), "specific_schema": .text("public"), "specific_name": .text(specificName(function)),
                    "routine_catalog": .text(databaseName), "routine_schema": .text("public"), "routine_name": .text(function.name),
                    "routine_type": .text("FUNCTION"), "data_type": .text(type.dataType), "type_udt_catalog": .text(databaseName),
                    "type_udt_schema": .text(type.schema), "type_udt_name": .text(type.name), "dtd_identifier": .text("0"),
                    "routine_body": .text(function.language == "sql" ? "SQL" : "EXTERNAL"), "routine_definition": .text(function.body),
                    "external_language": .text(function.language.uppercased()),
                    "parameter_style": .text("GENERAL"), "is_deterministic": .text(function.volatility == "i" ? "YES" : "NO"),
                    "sql_data_access": .text("MODIFIES"), "is_null_call": .text(function.strict ? "YES" : "NO"),
                    "schema_level_routine": .text("YES"), "max_dynamic_result_sets": .int(0), "security_type": .text("INVOKER"),
                    "as_locator": .text("NO"), "is_udt_dependent": .text("NO")]
        })
    }

    /// information_schema.parameters: each function's arguments (IN) and RETURNS TABLE
    /// columns (OUT), in order.
    static func informationSchemaParameters(_ catalog: Catalog) -> Relation {
        standardView(parameterColumns, catalog.functions.values.sorted { $0.oid < $1.oid }.flatMap { function in
            let parameters = function.arguments.map { ($0, "IN") } + (function.resultColumns ?? []).map { ($0, "OUT") }
            return parameters.enumerated().map { position, entry -> [String: Value] in
                let (parameter, mode) = entry
                let type = standardType(parameter.type, catalog)
                return ["specific_catalog": .text(databaseName), "specific_schema": .text("public"), "specific_name": .text(specificName(function)),
                        "ordinal_position": .int(Int64(position + 1)), "parameter_mode": .text(mode), "is_result": .text("NO"),
                        "as_locator": .text("NO"), "parameter_name": parameter.name.map(Value.text) ?? .null, "data_type": .text(type.dataType),
                        "udt_catalog": .text(databaseName), "udt_schema": .text(type.schema), "udt_name": .text(type.name),
                        "dtd_identifier": .text(String(position + 1)), "parameter_default": parameter.defaultExpression.map(Value.text) ?? .null]
            }
        })
    }

    /// A view of the standard's: `names` (a `#` marks a cardinal number, the rest are text)
    /// and rows given by column name, NULL where a row has nothing.
    private static func standardView(_ names: String, _ rows: [[String: Value]]) -> Relation {
        let declared = names.split(separator: " ").map { $0.hasSuffix("#") ? (String($0.dropLast()), SQLType.int) : (String($0), SQLType.text) }
        return Relation(columns: declared.map { ResultColumn(name: $0.0, type: $0.1) },
                        rows: rows.map { row in declared.map { row[$0.0] ?? .null } })
    }

    /// The standard's name of a function: its name and OID (`f_16384`), unique across overloads.
    private static func specificName(_ function: FunctionDefinition) -> String { function.name + "_" + String(function.oid) }

    /// A declared type as the standard's views describe it: data_type (`integer`, `ARRAY`,
    /// `USER-DEFINED` for table row, enum and pgvector types, `record`) and the udt's schema and name.
    private static func standardType(_ typeText: String, _ catalog: Catalog) -> (dataType: String, schema: String, name: String) {
        if typeText == "record" || typeText == "void" { return (typeText, "pg_catalog", typeText) }
        if catalog.tables[typeText] != nil { return ("USER-DEFINED", schemaName(of: typeText), relationName(of: typeText)) }
        guard let typeName = try? Parser.parseTypeName(typeText), let type = try? typeName.columnType(in: catalog) else {
            return ("USER-DEFINED", "public", typeText)
        }
        let builtin = BuiltinType.of(type)
        let inPublic = BuiltinType.pgvectorOIDs.contains(builtin.oid) || builtin.category == "E"
        return (builtin.informationSchemaName, inPublic ? "public" : "pg_catalog", builtin.name)
    }
}
