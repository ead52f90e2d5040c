import VireoStorage

/// The arguments a SQL function's body reads: its `$n` and, where no column of the body's
/// own tables has the name, its argument names (PostgreSQL's precedence) stand for the
/// columns of the one-row relation of argument values, named after the function.
struct SQLFunctionArguments {
    /// The relation's name: the function's, so `fname.arg` reads an argument too.
    var alias: String
    /// Each argument's column name (its own name, or `$n` for an unnamed one).
    var columns: [String]
}

/// Calls of SQL functions (CREATE FUNCTION … LANGUAGE sql). The arguments are bound where
/// the call is, as any function's are (an aggregate or an outer column may be one); the body
/// is bound as a query whose enclosing row is the argument values, and a call runs it with
/// them as that row. The body is parsed and bound again at each use, as a view's query is,
/// so it always means what the catalog now says.
extension Binder {
    /// A call of a scalar SQL function as an expression; nil when no SQL function of the name
    /// takes these arguments (the built-in functions are tried next).
    func sqlFunctionCall(_ call: FunctionCall, _ scope: Scope) throws -> Typed? {
        guard let (function, arguments) = try chooseSQLFunction(call, scope) else { return nil }
        if function.returnsSet {
            throw VireoError(.featureNotSupported, "set-returning function \(function.name) is supported in FROM and in a select list, not here")
        }
        if function.language == "plpgsql" { return try proceduralCall(function, arguments, scope) }
        let bound = try sqlFunctionArguments(function, arguments, scope)
        let (body, columns) = try sqlFunctionBody(function, scalar: true)
        let subquery = Subquery(plan: body, isCorrelated: !function.arguments.isEmpty || function.volatility == "v")
        let strict = function.strict
        let callable = ScalarFunction(name: function.name, arity: bound.count...bound.count, parameterTypes: [], isStrict: strict,
                                      // Only an IMMUTABLE function's call of constants is folded at bind time.
                                      isVolatile: function.volatility != "i", resultType: { _ in columns[0].type },
                                      body: { _ in .null }, contextBody: { values, context in
            if strict, values.contains(where: \.isNull) { return .null }
            return try subquery.rows(context, outer: values).first?.first ?? .null
        })
        return (.function(callable, bound), columns[0].type)
    }

    /// A call of a PL/pgSQL function: run by the session at each call (never folded: its
    /// body may read or change data), its value of the declared type (text for void).
    private func proceduralCall(_ function: FunctionDefinition, _ arguments: [SQLExpression], _ scope: Scope) throws -> Typed {
        guard function.returnType != "trigger" else {
            throw VireoError(.featureNotSupported, "trigger functions can only be called as triggers")
        }
        let bound = try sqlFunctionArguments(function, arguments, scope)
        let argumentTypes = try function.arguments.map { try Self.sqlType(try Parser.parseTypeName($0.type), in: catalog) }
        let returnType = function.returnType == "void" ? nil : try Parser.parseTypeName(function.returnType)
        let resultType = try returnType.map { try Self.sqlType($0, in: catalog) } ?? .text
        // Parsed once with the plan, not at each call (a call per row of a scan).
        let program = try PLProgram(function.body)
        let strict = function.strict
        let callable = ScalarFunction(name: function.name, arity: bound.count...bound.count, parameterTypes: [], isStrict: strict,
                                      isVolatile: true, resultType: { _ in resultType }, body: { _ in .null }, contextBody: { values, context in
            if strict, values.contains(where: \.isNull) { return .null }
            guard let session = context.session else {
                throw VireoError(.featureNotSupported, "PL/pgSQL function \(function.name) can only run in a session")
            }
            return try session.callPLFunction(function, program, values, argumentTypes: argumentTypes, returnType: returnType)
        })
        return (.function(callable, bound), resultType)
    }

    /// A SQL function called in FROM (with this binder's enclosing rows as its LATERAL
    /// inputs): its rows and their columns; nil when no SQL function of the name matches or
    /// it returns no set (it is then called as an expression, for one row).
    func sqlTableFunction(_ call: FunctionCall, alias: String?) throws -> (PlanNode, [ResultColumn])? {
        guard let (function, arguments) = try chooseSQLFunction(call, Scope()), function.returnsSet else { return nil }
        let bound = try sqlFunctionArguments(function, arguments, Scope())
        if function.language == "plpgsql" { return try proceduralRows(function, bound, alias: alias) }
        let (body, columns) = try sqlFunctionBody(function, scalar: false)
        var join = PlanNode.lateralJoin(.values([bound]), body, JoinSpec(kind: .inner, condition: nil, rightWidth: columns.count))
        if function.strict, !bound.isEmpty {
            let anyNull = bound.indices.map { BoundExpression.isNull(.column($0), negated: false) }
            join = .filter(join, .not(anyNull.count == 1 ? anyNull[0] : .or(anyNull)))
        }
        let shown = columns.count == 1 && function.resultColumns == nil && !function.returnsRow(catalog)
            ? [ResultColumn(name: alias ?? function.name, type: columns[0].type)] : columns
        return (.project(join, columns.indices.map { .column(bound.count + $0) }), shown)
    }

    /// A set-returning PL/pgSQL function in FROM: a scan that runs its body at each
    /// execution (with the arguments of the enclosing row, LATERAL) and gives the rows it returned.
    private func proceduralRows(_ function: FunctionDefinition, _ bound: [BoundExpression], alias: String?) throws -> (PlanNode, [ResultColumn]) {
        let columns = try function.resultTypes(catalog)
        let resultTypeNames = try function.resultColumns.map { try $0.map { try Parser.parseTypeName($0.type) } }
            ?? catalog.tables[function.returnType].map { table in table.columns.map { try? Parser.parseTypeName(SQLType($0.type).description) } }?
                .map { $0 ?? .text } ?? [try Parser.parseTypeName(function.returnType)]
        let call = ProceduralRows(
            function: function, program: try PLProgram(function.body),
            argumentTypes: try function.arguments.map { try Self.sqlType(try Parser.parseTypeName($0.type), in: catalog) },
            columns: columns, columnTypeNames: resultTypeNames)
        let scan = TableFunctionScan(function: .procedural(call), name: function.name, arguments: bound, withOrdinality: false)
        let shown = columns.count == 1 && function.resultColumns == nil && !function.returnsRow(catalog)
            ? [ResultColumn(name: alias ?? function.name, type: columns[0].type)] : columns
        return (.functionScan(scan), shown)
    }

    /// The arguments bound where the call is, each converted to its declared type.
    private func sqlFunctionArguments(_ function: FunctionDefinition, _ arguments: [SQLExpression], _ scope: Scope) throws -> [BoundExpression] {
        try zip(arguments, function.arguments).map { argument, declared in
            try convert(bind(argument, scope), to: Self.sqlType(try Parser.parseTypeName(declared.type), in: catalog))
        }
    }

    /// The body's last query bound over the arguments' row, its columns converted to the
    /// declared result types (at most one row when `scalar`, as PostgreSQL takes the first).
    func sqlFunctionBody(_ function: FunctionDefinition, scalar: Bool) throws -> (PlanNode, [ResultColumn]) {
        guard !expandingFunctions.contains(function.signature) else {
            throw VireoError(.featureNotSupported, "recursive SQL function \(function.name) is not supported",
                             hint: "Vireo inlines SQL functions where they are called.")
        }
        var query = try Self.sqlFunctionQuery(function)
        // The first row (a LIMIT the body has is kept, and the first of its rows taken).
        let limitedAlready = query.limit != nil
        if scalar, !limitedAlready { query.limit = .literal(.integer(1)) }
        let declared = try function.resultTypes(catalog)
        var argumentScope = Scope()
        argumentScope.addDerived(name: function.name, columns: try zip(function.argumentColumnNames, function.arguments).map { name, argument in
            ResultColumn(name: name, type: try Self.sqlType(try Parser.parseTypeName(argument.type), in: catalog))
        })
        let inner = Binder(catalog: catalog, staleVectorIndexes: staleVectorIndexes)
        inner.outerScopes = [argumentScope]
        inner.functionArguments = SQLFunctionArguments(alias: function.name, columns: function.argumentColumnNames)
        inner.expandingFunctions = expandingFunctions.union([function.signature])
        inner.relationsRead = relationsRead
        var (plan, columns) = try inner.bindQuery(query)
        if scalar, limitedAlready { plan = .limit(plan, limit: .constant(.int(1)), offset: nil) }
        guard columns.count == declared.count else {
            throw Self.returnTypeMismatch(function, detail: "Final statement must return exactly \(declared.count == 1 ? "one column" : "\(declared.count) columns").")
        }
        let converted = try declared.enumerated().map { position, column in
            let actual = Self.resolvingUnknown([columns[position]])[0].type
            // PostgreSQL takes the final statement's columns where an assignment cast fits.
            guard CastContext.of(actual, to: column.type) == .assignment else {
                throw Self.returnTypeMismatch(function, detail: declared.count == 1 ? "Actual return type is \(actual)."
                                              : "Final statement returns \(actual) instead of \(column.type) at column \(position + 1).")
            }
            return try convert((.column(position), actual), to: column.type)
        }
        return (.project(plan, converted), declared)
    }

    /// `$n` in a SQL function's body: the argument's column of the enclosing row (42P02
    /// past the last argument, as PostgreSQL).
    func functionArgument(_ number: Int, _ arguments: SQLFunctionArguments, _ scope: Scope) throws -> Typed {
        guard number >= 1, number <= arguments.columns.count else {
            throw VireoError(.undefinedParameter, "there is no parameter $\(number)")
        }
        return try bind(.column(ColumnReference(table: arguments.alias, arguments.columns[number - 1])), scope)
    }

    /// 42P13 as PostgreSQL words it.
    static func returnTypeMismatch(_ function: FunctionDefinition, detail: String) -> VireoError {
        VireoError(.invalidFunctionDefinition, "return type mismatch in function declared to return \(function.returnType)", detail: detail)
    }

    /// The body's last statement as a query (CREATE FUNCTION has checked that it is one).
    static func sqlFunctionQuery(_ function: FunctionDefinition) throws -> Query {
        guard case .select(let query)? = try Parser.parseScript(function.body).last?.body else {
            throw VireoError(.invalidFunctionDefinition, "function \(function.name)'s body does not end in a SELECT",
                             detail: "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.")
        }
        return query
    }

    /// The SQL function a call names and the arguments it passes, in order, defaults
    /// filled in; nil when no SQL function of the name takes them.
    private func chooseSQLFunction(_ call: FunctionCall, _ scope: Scope) throws -> (FunctionDefinition, [SQLExpression])? {
        let candidates = catalog.functions(named: call.name)
        guard !candidates.isEmpty, call.over == nil, !call.star, !call.distinct, !call.variadic else { return nil }
        let types = try call.arguments.map { try bind($0, scope).type }
        var best: [(FunctionDefinition, [SQLExpression], Int)] = []
        for function in candidates {
            guard let arguments = try Self.arranged(call, for: function),
                  let cost = try Self.matchCost(types, arguments: call.argumentNames, function, catalog) else { continue }
            if best.isEmpty || cost < best[0].2 { best = [(function, arguments, cost)] } else if cost == best[0].2 { best.append((function, arguments, cost)) }
        }
        guard let chosen = best.first else { return nil }
        if best.count > 1 {
            throw VireoError(.ambiguousFunction, "function \(call.name)(\(types.map(\.description).joined(separator: ", "))) is not unique",
                             hint: "Could not choose a best candidate function. You might need to add explicit type casts.")
        }
        return (chosen.0, chosen.1)
    }

    /// The call's arguments in the function's order, defaults added; nil when they do not fit.
    private static func arranged(_ call: FunctionCall, for function: FunctionDefinition) throws -> [SQLExpression]? {
        var slots = [SQLExpression?](repeating: nil, count: function.arguments.count)
        for (position, argument) in call.arguments.enumerated() {
            let name = position < call.argumentNames.count ? call.argumentNames[position] : nil
            guard let slot = name.map({ name in function.arguments.firstIndex { $0.name == name } }) ?? position,
                  slot < slots.count, slots[slot] == nil else { return nil }
            slots[slot] = argument
        }
        var arguments: [SQLExpression] = []
        for (given, declared) in zip(slots, function.arguments) {
            guard let argument = try given ?? declared.defaultExpression.map(Parser.parseExpression) else { return nil }
            arguments.append(argument)
        }
        return arguments
    }

    /// How far the argument types are from the function's (0: exact), nil when one cannot
    /// be passed: an untyped literal goes anywhere, a number to a wider number, text-like to text.
    private static func matchCost(_ types: [SQLType], arguments names: [String?], _ function: FunctionDefinition, _ catalog: Catalog) throws -> Int? {
        var cost = 0
        for (position, type) in types.enumerated() {
            let name = position < names.count ? names[position] : nil
            guard let slot = name.map({ name in function.arguments.firstIndex { $0.name == name } }) ?? position,
                  slot < function.arguments.count else { return nil }
            let declared = try sqlType(try Parser.parseTypeName(function.arguments[slot].type), in: catalog)
            if type == declared || type.unconstrained == declared.unconstrained { continue }
            // An untyped literal is taken as text first, as PostgreSQL prefers the string category.
            if type == .unknown { cost += declared.isText ? 1 : 2; continue }
            guard let step = implicitCastCost(from: type, to: declared) else { return nil }
            cost += step
        }
        return cost
    }

    /// PostgreSQL's implicit casts between the types a function argument usually has.
    private static func implicitCastCost(from type: SQLType, to declared: SQLType) -> Int? {
        let numbers: [SQLType] = [.smallint, .integer, .int, .numeric, .real, .double]
        if let from = numbers.firstIndex(of: type), let to = numbers.firstIndex(of: declared), from < to { return 1 + to - from }
        if declared == .text, type.isText { return 1 }
        if type.isVector, declared.isVector, type.isHalfVector == declared.isHalfVector { return 1 }
        if declared == .timestamptz, type == .timestamp || type == .date { return 2 }
        if declared == .timestamp, type == .date { return 1 }
        return nil
    }
}

extension FunctionDefinition {
    /// Each argument's column in the arguments' row: its name, or `$n`.
    var argumentColumnNames: [String] {
        arguments.enumerated().map { $1.name ?? "$\($0 + 1)" }
    }

    /// Whether the function returns rows of a table's type (`RETURNS SETOF emp`).
    func returnsRow(_ catalog: Catalog) -> Bool {
        resultColumns == nil && catalog.tables[returnType] != nil
    }

    /// The result's columns: `RETURNS TABLE`'s, a table type's, or one named after the function.
    func resultTypes(_ catalog: Catalog) throws -> [ResultColumn] {
        if let resultColumns {
            return try resultColumns.map { ResultColumn(name: $0.name ?? "?column?", type: try Binder.sqlType(try Parser.parseTypeName($0.type), in: catalog)) }
        }
        if let table = catalog.tables[returnType] {
            return table.columns.map { ResultColumn(name: $0.name, type: SQLType($0.type)) }
        }
        return [ResultColumn(name: name, type: try Binder.sqlType(try Parser.parseTypeName(returnType), in: catalog))]
    }
}
