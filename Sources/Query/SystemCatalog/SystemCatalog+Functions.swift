import VireoStorage

/// pg_proc and pg_language rows of the SQL functions, and the catalog functions psql's \df
/// and pgJDBC's getFunctions print them with (pg_get_function_result, …_arguments).
extension SystemCatalog {
    /// pg_language's OID of LANGUAGE sql, as in PostgreSQL.
    static let sqlLanguageOID: Int64 = 14

    /// pg_language: internal, c and sql, as a fresh PostgreSQL 15 has them (plpgsql is not
    /// there: Vireo does not run it).
    static let languages = Relation(
        columns: columns(("oid", .int), ("lanname", .text), ("lanowner", .int), ("lanispl", .bool), ("lanpltrusted", .bool)),
        rows: [[.int(12), .text("internal"), .int(ownerOID), .bool(false), .bool(false)],
               [.int(13), .text("c"), .int(ownerOID), .bool(false), .bool(false)],
               [.int(sqlLanguageOID), .text("sql"), .int(ownerOID), .bool(false), .bool(true)]])

    /// pg_proc: one row per SQL function.
    static func procedures(_ catalog: Catalog) -> Relation {
        let rows = catalog.functions.values.sorted { $0.oid < $1.oid }.map { function -> [Value] in
            let argumentTypes = function.arguments.map { Value.int(typeOID(of: $0.type, catalog)) }
            let names = function.arguments.map(\.name) + (function.resultColumns ?? []).map(\.name)
            return [
                .int(function.oid), .text(function.name), .int(publicNamespaceOID), .int(ownerOID), .int(sqlLanguageOID),
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
