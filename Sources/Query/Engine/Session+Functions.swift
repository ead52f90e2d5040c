import VireoStorage

/// CREATE FUNCTION and DROP FUNCTION (the storage side is Catalog+Functions.swift, calls are
/// bound in Binder+SQLFunctions.swift).
extension Session {
    func runFunctionCommand(_ command: FunctionCommand, _ transaction: StoreTransaction) throws -> QueryResult {
        switch command {
        case .create(let statement):
            let function = try Self.functionDefinition(statement, transaction.catalog)
            try transaction.createFunction(function, replace: statement.orReplace)
        case .drop(let statement):
            for (name, types) in statement.functions {
                guard let function = try Self.droppedFunction(name, types, ifExists: statement.ifExists, transaction.catalog) else {
                    raise(Notice(.notice, "function \(name)(\((types ?? []).map(\.signatureText).joined(separator: ","))) does not exist, skipping"))
                    continue
                }
                try dropTriggersCalling(function.signature, cascade: statement.cascade, transaction)
                try transaction.dropFunction(signature: function.signature)
            }
        case .createTrigger, .dropTrigger:
            try runTriggerCommand(command, transaction)
        }
        return QueryResult(commandTag: command.commandTag)
    }

    /// The catalog entry CREATE FUNCTION makes, after PostgreSQL's checks: the language is
    /// sql, the types exist, names and defaults are well placed, and the body binds and
    /// returns what the function declares (check_function_bodies is on).
    static func functionDefinition(_ statement: CreateFunction, _ catalog: Catalog) throws -> FunctionDefinition {
        guard statement.language == "sql" || statement.language == "plpgsql" else {
            throw VireoError(.undefinedObject, "language \"\(statement.language)\" does not exist",
                             hint: "Vireo runs functions written in SQL and PL/pgSQL.")
        }
        if statement.language == "plpgsql" { try checkProceduralDeclaration(statement) }
        try checkArgumentNames(statement.arguments)
        let arguments = try statement.arguments.map { argument in
            _ = try Binder.sqlType(argument.type, in: catalog)
            return FunctionParameter(name: argument.name, type: argument.type.sql, defaultExpression: argument.defaultValue?.sql)
        }
        let resultColumns: [FunctionParameter]? = try statement.resultColumns.isEmpty ? nil : statement.resultColumns.map { column in
            _ = try Binder.sqlType(column.type, in: catalog)
            return FunctionParameter(name: column.name, type: column.type.sql)
        }
        guard let returnType = try resultTypeName(statement, catalog) else {
            throw VireoError(.invalidFunctionDefinition, "function result type must be specified")
        }
        let signature = FunctionDefinition.signature(statement.name, arguments.map(\.type))
        let existing = catalog.functions[signature]
        var function = FunctionDefinition(
            name: statement.name, oid: existing?.oid ?? functionOID(signature, catalog), arguments: arguments, returnType: returnType,
            returnsSet: statement.returnsSet, resultColumns: resultColumns, body: statement.body,
            volatility: statement.volatility, strict: statement.strict)
        if let existing, statement.orReplace, existing.returnType != returnType || existing.returnsSet != function.returnsSet {
            throw VireoError(.invalidFunctionDefinition, "cannot change return type of existing function",
                             hint: "Use DROP FUNCTION \(signature) first.")
        }
        if statement.language == "plpgsql" {
            // The body is read now, as PostgreSQL does; its SQL is bound when it runs.
            _ = try PLProgram(function.body)
        } else {
            try checkBody(function, catalog)
        }
        function.language = statement.language
        return function
    }

    /// What a PL/pgSQL function may be here: one value (or void) per call, rows (SETOF,
    /// TABLE), or a trigger's function.
    private static func checkProceduralDeclaration(_ statement: CreateFunction) throws {
        if case .other("trigger", [])? = statement.returnType, !statement.arguments.isEmpty {
            throw VireoError(.invalidFunctionDefinition, "trigger functions cannot have declared arguments",
                             hint: "The arguments of the trigger can be accessed through TG_NARGS and TG_ARGV instead.")
        }
    }

    /// The result type's SQL name (`record` for RETURNS TABLE, a table's name for its row
    /// type); nil when RETURNS was not written.
    private static func resultTypeName(_ statement: CreateFunction, _ catalog: Catalog) throws -> String? {
        if !statement.resultColumns.isEmpty { return "record" }
        guard let type = statement.returnType else { return nil }
        if case .other(let name, []) = type, catalog.tables[name] != nil { return name }
        if case .other("void", []) = type, statement.language == "plpgsql" { return "void" }
        if case .other("trigger", []) = type {
            guard statement.language == "plpgsql" else {
                throw VireoError(.invalidFunctionDefinition, "SQL functions cannot return type trigger")
            }
            return "trigger"
        }
        _ = try Binder.sqlType(type, in: catalog)
        return type.sql
    }

    /// 42P13 when two arguments share a name or one without a DEFAULT follows one with.
    private static func checkArgumentNames(_ arguments: [FunctionArgumentDeclaration]) throws {
        var seen: Set<String> = []
        for name in arguments.compactMap(\.name) where !seen.insert(name).inserted {
            throw VireoError(.invalidFunctionDefinition, "parameter name \"\(name)\" used more than once")
        }
        if let first = arguments.firstIndex(where: { $0.defaultValue != nil }), arguments[first...].contains(where: { $0.defaultValue == nil }) {
            throw VireoError(.invalidFunctionDefinition, "input parameters after one with a default value must also have defaults")
        }
    }

    /// Binds the body as a call would (its tables must exist, its last statement return the
    /// declared columns); statements that change data are refused.
    private static func checkBody(_ function: FunctionDefinition, _ catalog: Catalog) throws {
        let statements = try Parser.parseScript(function.body)
        guard !statements.isEmpty else {
            throw Binder.returnTypeMismatch(function, detail: "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.")
        }
        for statement in statements {
            guard case .select = statement.body else {
                throw VireoError(.featureNotSupported, "SQL functions whose body is not a query are not supported",
                                 hint: "A function's body here is one or more SELECT statements; the last one gives its result.")
            }
        }
        _ = try Binder(catalog: catalog).sqlFunctionBody(function, scalar: !function.returnsSet)
    }

    /// A stable OID for a new function, moved past any other function's.
    private static func functionOID(_ signature: String, _ catalog: Catalog) -> Int64 {
        let taken = Set(catalog.functions.values.map(\.oid))
        var oid = SystemCatalog.oid(ofObject: "function " + signature)
        while taken.contains(oid) { oid += 1 }
        return oid
    }

    /// The function DROP FUNCTION names; nil (with IF EXISTS) when there is none.
    private static func droppedFunction(_ name: String, _ types: [TypeName]?, ifExists: Bool, _ catalog: Catalog) throws -> FunctionDefinition? {
        let overloads = catalog.functions(named: name)
        guard let types else {
            if overloads.count > 1 {
                throw VireoError(.ambiguousFunction, "function name \"\(name)\" is not unique",
                                 hint: "Specify the argument list to select the function unambiguously.")
            }
            if overloads.isEmpty, !ifExists { throw VireoError(.undefinedFunction, "could not find a function named \"\(name)\"") }
            return overloads.first
        }
        let signature = FunctionDefinition.signature(name, types.map(\.sql))
        guard let function = catalog.functions[signature] else {
            if ifExists { return nil }
            throw VireoError(.undefinedFunction, "function \(name)(\(types.map(\.sql).joined(separator: ", "))) does not exist")
        }
        return function
    }
}
