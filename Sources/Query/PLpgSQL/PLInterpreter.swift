import VireoStorage

// Runs a DO block. Each piece of SQL in it runs through the session as a statement of its
// own, with the variables it names passed as typed parameters (`$n`), as PL/pgSQL does; so
// an expression means exactly what it would in a SELECT. The block is one transaction:
// outside a transaction block it commits at the end or is rolled back on an error; a block
// with EXCEPTION handlers runs under a savepoint, rolled back when a handler catches.
//
// Variables are substituted in expressions and in SELECT, INSERT, UPDATE, DELETE, WITH and
// VALUES statements, not in other statements (PostgreSQL passes none to utility commands),
// and not where a name cannot be a value: after `.` or AS, before `(`, after FROM / JOIN /
// INTO / UPDATE / TABLE, in INSERT's column list or as an UPDATE SET target.

/// A variable of a running block: its type (nil for RECORD until a row is put in it) and
/// value, or its row for a RECORD.
struct PLVariable {
    var type: SQLType?
    var typeName: TypeName?
    var value: Value = .null
    var row: (columns: [ResultColumn], values: [Value])?
    /// A trigger's NEW or OLD: each field's declared type, to which an assignment casts.
    var fieldTypes: [TypeName?]?
    /// A trigger's NEW in a DELETE, OLD in an INSERT, both in a statement trigger: NULL, its
    /// fields read as NULL, as in PostgreSQL 11 and later.
    var isNullRecord = false
    var isConstant = false
    var isNotNull = false
}

/// How a statement ended: on to the next, or leaving loops and blocks.
enum PLFlow {
    case next
    case exit(label: String?)
    case continueLoop(label: String?)
    /// RETURN: a function's value (nil from a DO block or `RETURN;`).
    case returned((Value, SQLType)?)
    /// A trigger function's RETURN: the row (NEW, OLD), or nil for NULL.
    case returnedRow([Value]?)
}

/// One run of a DO block over `session`.
final class PLRun {
    private let syntax: PLParser
    private let session: Session
    /// Innermost scope last; FOUND lives in the outermost.
    private var scopes: [[String: PLVariable]] = [["found": PLVariable(type: .bool, typeName: .boolean, value: .bool(false))]]
    /// ROW_COUNT of the last SQL statement.
    private var rowCount = 0
    /// The catalog declared types are resolved in, read at the first declaration.
    private var catalog: Catalog?
    /// The errors the running handlers caught, innermost last (RAISE; and GET STACKED DIAGNOSTICS).
    private var caught: [VireoError] = []
    /// A function's arguments in order (`$1`, `$2`, …); also in the outermost scope by name.
    private let arguments: [PLVariable]
    /// A function's body (RETURN takes a value), not a DO block.
    private let isFunction: Bool
    /// A trigger function's body: RETURN gives a row.
    private let isTrigger: Bool
    /// A set-returning function's columns, and the names of RETURNS TABLE's output variables.
    private let setResult: (columns: [ResultColumn], outputs: [String])?
    /// The rows RETURN NEXT and RETURN QUERY gave, each value with its type.
    private(set) var returnedRows: [[(Value, SQLType)]] = []

    init(_ syntax: PLParser, session: Session, arguments: [(name: String?, variable: PLVariable)]? = nil,
         setResult: (columns: [ResultColumn], outputs: [(name: String, variable: PLVariable)])? = nil) {
        self.syntax = syntax
        self.session = session
        self.arguments = arguments?.map(\.variable) ?? []
        self.isFunction = arguments != nil
        self.isTrigger = false
        self.setResult = setResult.map { ($0.columns, $0.outputs.map(\.name)) }
        for case let (name?, variable) in arguments ?? [] { scopes[0][name] = variable }
        for (name, variable) in setResult?.outputs ?? [] { scopes[0][name] = variable }
    }

    /// A run of a trigger function (or, not `returnsRow`, of its WHEN condition), with NEW,
    /// OLD and the TG_ variables.
    init(_ syntax: PLParser, session: Session, triggerVariables: [String: PLVariable], returnsRow: Bool = true) {
        self.syntax = syntax
        self.session = session
        self.arguments = []
        self.isFunction = true
        self.isTrigger = returnsRow
        self.setResult = nil
        scopes[0].merge(triggerVariables) { _, new in new }
    }

    // MARK: Blocks and statements

    func run(_ block: PLBlock) throws -> PLFlow {
        scopes.append([:])
        defer { scopes.removeLast() }
        for declaration in block.declarations { try declare(declaration) }
        guard !block.handlers.isEmpty else { return leaving(block, try run(block.statements)) }
        let savepoint = session.pushInternalSavepoint()
        do {
            let flow = try run(block.statements)
            session.releaseInternalSavepoint(savepoint)
            return leaving(block, flow)
        } catch let error as VireoError {
            guard let handler = block.handlers.first(where: { handles($0, error) }) else {
                session.rollBackInternalSavepoint(savepoint)
                throw error
            }
            session.rollBackInternalSavepoint(savepoint)
            caught.append(error)
            defer { caught.removeLast() }
            scopes.append(["sqlstate": PLVariable(type: .text, typeName: .text, value: .text(error.sqlState)),
                           "sqlerrm": PLVariable(type: .text, typeName: .text, value: .text(error.message))])
            defer { scopes.removeLast() }
            return leaving(block, try run(handler.statements))
        }
    }

    /// A labelled block's EXIT ends there; anything else goes on out.
    private func leaving(_ block: PLBlock, _ flow: PLFlow) -> PLFlow {
        if case .exit(let label?) = flow, label == block.label { return .next }
        return flow
    }

    private func run(_ statements: [PLStatement]) throws -> PLFlow {
        for statement in statements {
            try session.statementCancel.check()
            let flow = try run(statement)
            if case .next = flow { continue }
            return flow
        }
        return .next
    }

    private func run(_ statement: PLStatement) throws -> PLFlow {
        switch statement {
        case .block(let block): return try run(block)
        case .assign(let name, let expression):
            let variable = try lookUp(name)
            // A length-limited type is checked by `assigned`, which a CAST here would pre-empt by cutting.
            let castTo = variable.typeName.flatMap { Self.lengthMax($0) == nil ? $0 : nil }
            try assign(name, try evaluate(expression, as: castTo))
        case .assignField(let name, let field, let expression):
            try assignField(name, field, expression)
        case .ifThen(let branches, let otherwise):
            for branch in branches where try condition(branch.condition) { return try run(branch.statements) }
            return try run(otherwise)
        case .caseOf(let subject, let branches, let otherwise):
            let value = try subject.map { try evaluate($0, as: nil) }
            for branch in branches where try branch.values.contains(where: { try matches($0, value) }) { return try run(branch.statements) }
            guard let otherwise else {
                throw VireoError.raised(sqlState: "20000", "case not found", hint: "CASE statement is missing ELSE part.")
            }
            return try run(otherwise)
        case .assert(let condition, let message):
            guard try !self.condition(condition) else { break }
            let text = try message.map { try outputText(try evaluate($0, as: nil)) } ?? "assertion failed"
            throw VireoError.raised(sqlState: "P0004", text)
        case .loop(let label, let kind, let body): return try loop(label, kind, body)
        case .exit(let label, let condition, let isContinue):
            if let condition, try !self.condition(condition) { return .next }
            return isContinue ? .continueLoop(label: label) : .exit(label: label)
        case .raise(let raise): try self.raise(raise)
        case .perform(let query):
            let result = try execute(query, prefix: "SELECT ")
            setFound(result.rowCount > 0)
        case .execute(let command, let targets, let strict, let arguments):
            let result = try executeDynamic(command, arguments)
            if !targets.isEmpty { try store(result, into: targets, strict: strict) } else { setFound(result.rowCount > 0) }
        case .sql(let statement, let targets, let strict):
            let result = try execute(statement)
            if !targets.isEmpty { try store(result, into: targets, strict: strict) } else { setFound(result.rowCount > 0) }
        case .getDiagnostics(let items):
            for (variable, item) in items { try assign(variable, try diagnostic(item)) }
        case .returnNext(let value):
            guard let setResult else { throw VireoError(.syntaxError, "cannot use RETURN NEXT in a non-SETOF function") }
            let row = try nextRow(value, setResult)
            guard row.count == setResult.columns.count else { throw Self.rowMismatch(row.count, setResult.columns.count) }
            returnedRows.append(row)
        case .returnQuery(let query):
            guard let setResult else { throw VireoError(.syntaxError, "cannot use RETURN QUERY in a non-SETOF function") }
            if case .word("execute", _) = syntax.tokens[query.tokens.lowerBound].kind {
                throw VireoError(.featureNotSupported, "RETURN QUERY EXECUTE is not supported", hint: "Use FOR r IN EXECUTE … LOOP RETURN NEXT r; END LOOP.")
            }
            let result = try execute(query)
            guard result.columns.count == setResult.columns.count else { throw Self.rowMismatch(result.columns.count, setResult.columns.count) }
            returnedRows += result.rows.map { row in Array(zip(row, result.columns.map(\.type))) }
            setFound(!result.rows.isEmpty)
        case .returnFrom(let value):
            if isTrigger { return .returnedRow(try value.flatMap(returnedRow)) }
            guard let value else { return .returned(nil) }
            guard isFunction else { throw VireoError(.syntaxError, "RETURN cannot have a parameter in a DO block") }
            return .returned(try evaluate(value, as: nil))
        case .null: break
        }
        return .next
    }

    private func loop(_ label: String?, _ kind: PLLoopKind, _ body: [PLStatement]) throws -> PLFlow {
        /// The body once: nil to go round again, a flow to leave the loop with.
        func iterate() throws -> PLFlow? {
            // An empty body has no statement to check the cancel flag: each round does.
            try session.statementCancel.check()
            switch try run(body) {
            case .next: return nil
            case .continueLoop(let target) where target == nil || target == label: return nil
            case .exit(let target) where target == nil || target == label: return .next
            case let flow: return flow
            }
        }
        switch kind {
        case .plain:
            while true { if let flow = try iterate() { return flow } }
        case .whileTrue(let condition):
            while try self.condition(condition) { if let flow = try iterate() { return flow } }
            return .next
        case .range(let variable, let reverse, let low, let high, let step):
            let from = try integer(low, "lower bound of FOR loop"), to = try integer(high, "upper bound of FOR loop")
            let by = try step.map { try integer($0, "BY value of FOR loop") } ?? 1
            guard by > 0 else { throw VireoError(.invalidParameter, "BY value of FOR loop must be greater than zero") }
            scopes.append([variable: PLVariable(type: .int, typeName: .bigint)])
            defer { scopes.removeLast() }
            var current = from
            var ran = false
            while reverse ? current >= to : current <= to {
                scopes[scopes.count - 1][variable]?.value = .int(current)
                ran = true
                if let flow = try iterate() { setFound(true); return flow }
                let (next, overflow) = reverse ? current.subtractingReportingOverflow(by) : current.addingReportingOverflow(by)
                if overflow { break }
                current = next
            }
            setFound(ran)
            return .next
        case .array(let variable, let expression):
            let (value, type) = try evaluate(expression, as: nil)
            guard case .array(let elements) = value, let elementType = type.elementType else {
                if value.isNull { throw VireoError(.nullValueNotAllowed, "FOREACH expression must not be null") }
                throw VireoError(.typeMismatch, "FOREACH expression must yield an array, not type \(type)")
            }
            for element in elements {
                try assign(variable, (element, elementType))
                if let flow = try iterate() { return flow }
            }
            return .next
        case .query(let variable, let query, let dynamic, let arguments):
            let result = dynamic ? try executeDynamic(query, arguments) : try execute(query)
            let declared = (try? lookUp(variable)) != nil
            if !declared { scopes.append([variable: PLVariable()]) }
            defer { if !declared { scopes.removeLast() } }
            for row in result.rows {
                try store(row, result.columns, into: [variable])
                if let flow = try iterate() { setFound(true); return flow }
            }
            setFound(!result.rows.isEmpty)
            return .next
        }
    }

    // MARK: Variables

    private func declare(_ declaration: PLDeclaration) throws {
        var variable = PLVariable(isConstant: declaration.isConstant, isNotNull: declaration.isNotNull)
        var declaration = declaration
        if let copied = declaration.copiedType {
            if copied.isRow {
                try declareRow(declaration, copied.path, &variable)
                return
            }
            declaration.type = try copiedTypeName(copied.path)
        }
        if let typeName = declaration.type {
            variable.typeName = typeName
            if catalog == nil { catalog = try session.read { $0.catalog } }
            variable.type = try Binder.sqlType(typeName, in: catalog)
        }
        scopes[scopes.count - 1][declaration.name] = variable
        if let initial = declaration.initial {
            try assign(declaration.name, try evaluate(initial, as: declaration.type), initializing: true)
        } else if declaration.isNotNull {
            throw VireoError(.nullValueNotAllowed, "variable \"\(declaration.name)\" must have a default value, since it's declared NOT NULL")
        }
    }

    /// `table%ROWTYPE`: a record of the table's columns, NULL until a row is put in it.
    private func declareRow(_ declaration: PLDeclaration, _ path: [String], _ variable: inout PLVariable) throws {
        if catalog == nil { catalog = try session.read { $0.catalog } }
        guard path.count == 1, let table = catalog?.tables[path[0]] else {
            throw VireoError(.undefinedTable, "relation \"\(path.joined(separator: "."))\" does not exist")
        }
        variable.row = (table.columns.map { ResultColumn(name: $0.name, type: SQLType($0.type)) }, table.columns.map { _ in .null })
        variable.fieldTypes = table.columns.map(Self.typeName)
        variable.isNullRecord = true
        scopes[scopes.count - 1][declaration.name] = variable
        if let initial = declaration.initial {
            let (value, _) = try evaluate(initial, as: nil)
            guard value.isNull else { throw VireoError(.featureNotSupported, "a %ROWTYPE variable's default can only be NULL") }
        }
    }

    /// The type `table.column%TYPE` or `variable%TYPE` names.
    private func copiedTypeName(_ path: [String]) throws -> TypeName {
        if path.count == 1, let variable = try? lookUp(path[0]), let typeName = variable.typeName { return typeName }
        if catalog == nil { catalog = try session.read { $0.catalog } }
        guard path.count == 2, let table = catalog?.tables[path[0]] else {
            throw VireoError(.undefinedObject, "type \"\(path.joined(separator: "."))%TYPE\" does not exist")
        }
        guard let column = table.columns.first(where: { $0.name == path[1] }), let typeName = Self.typeName(column) else {
            throw VireoError(.undefinedColumn, "column \"\(path[1])\" of relation \"\(path[0])\" does not exist")
        }
        return typeName
    }

    /// A column's type as SQL names it, modifiers included (`numeric(10,2)`, `character
    /// varying(8)`; its domain's name for a domain column).
    static func typeName(_ column: VireoStorage.ColumnDefinition) -> TypeName? {
        if let domain = column.domain { return try? Parser.parseTypeName(domain) }
        let builtin = BuiltinType.of(column.type)
        let text = Functions.typeName(builtin.oid, .int(builtin.typmod(column.type))) ?? SQLType(column.type).description
        return try? Parser.parseTypeName(text)
    }

    private func lookUp(_ name: String) throws -> PLVariable {
        for scope in scopes.reversed() { if let variable = scope[name] { return variable } }
        throw VireoError(.syntaxError, "\"\(name)\" is not a known variable")
    }

    private func assign(_ name: String, _ typed: (Value, SQLType), initializing: Bool = false) throws {
        guard let depth = scopes.lastIndex(where: { $0[name] != nil }), var variable = scopes[depth][name] else {
            throw VireoError(.syntaxError, "\"\(name)\" is not a known variable")
        }
        if variable.isConstant, !initializing { throw VireoError(.syntaxError, "variable \"\(name)\" is declared CONSTANT") }
        var value = typed.0
        if let type = variable.type, let typeName = variable.typeName, type != typed.1 || Self.lengthMax(typeName) != nil {
            value = try assigned(typed, to: typeName)
        }
        if variable.isNotNull, value.isNull {
            throw VireoError(.nullValueNotAllowed, "null value cannot be assigned to variable \"\(name)\" declared NOT NULL")
        }
        variable.value = value
        if variable.type == nil { variable.type = typed.1 }
        scopes[depth][name] = variable
    }

    /// A value assigned to a variable or field of `typeName`, as PostgreSQL's assignment
    /// converts it: cast, but a string too long for a `varchar(n)` or `char(n)` is 22001
    /// (a CAST would cut it).
    private func assigned(_ typed: (Value, SQLType), to typeName: TypeName) throws -> Value {
        guard !typed.0.isNull else { return .null }
        if let length = Self.lengthMax(typeName), case .text(let text) = typed.0, text.count > length,
           !text.dropFirst(length).allSatisfy({ $0 == " " }) {
            let shown = if case .char = typeName { "character(\(length))" } else { "character varying(\(length))" }
            throw VireoError(.stringDataRightTruncation, "value too long for type \(shown)")
        }
        return try session.plValue("SELECT CAST($1 AS \(typeName.sql))", [typed.0], [typed.1]).0
    }

    /// `varchar(n)`'s and `char(n)`'s n.
    private static func lengthMax(_ typeName: TypeName) -> Int? {
        switch typeName {
        case .varchar(let length), .char(let length): length
        default: nil
        }
    }

    private func setFound(_ found: Bool) {
        scopes[0]["found"]?.value = .bool(found)
    }

    /// `record.field := value`: the value cast to the field's declared type (a trigger's NEW).
    private func assignField(_ name: String, _ field: String, _ expression: PLExpression) throws {
        guard let depth = scopes.lastIndex(where: { $0[name] != nil }), var variable = scopes[depth][name] else {
            throw VireoError(.syntaxError, "\"\(name)\" is not a known variable")
        }
        // A NULL row of a known shape (a %ROWTYPE variable, a trigger's NEW in a DELETE) takes fields too.
        guard var row = variable.row, !variable.isNullRecord || variable.fieldTypes != nil else { throw Self.unassigned(name) }
        guard let position = row.columns.firstIndex(where: { $0.name == field }) else {
            throw VireoError(.undefinedColumn, "record \"\(name)\" has no field \"\(field)\"")
        }
        let typeName = variable.fieldTypes.flatMap { position < $0.count && $0.count == row.columns.count ? $0[position] : nil }
        let typed = try evaluate(expression, as: nil)
        if let typeName, typed.1 != row.columns[position].type || Self.lengthMax(typeName) != nil {
            row.values[position] = try assigned(typed, to: typeName)
        } else {
            (row.values[position], row.columns[position].type) = typed
        }
        variable.row = row
        variable.isNullRecord = false
        scopes[depth][name] = variable
    }

    /// RETURN NEXT's row: the output variables' values (RETURNS TABLE), a record variable's
    /// row, or the expression's value as a one-column row.
    private func nextRow(_ expression: PLExpression?, _ setResult: (columns: [ResultColumn], outputs: [String])) throws -> [(Value, SQLType)] {
        guard let expression else {
            guard !setResult.outputs.isEmpty else { throw VireoError(.syntaxError, "RETURN NEXT must have a parameter") }
            return try setResult.outputs.map { name in
                let variable = try lookUp(name)
                return (variable.value, variable.type ?? .unknown)
            }
        }
        if expression.tokens.count == 1, let name = Self.name(of: syntax.tokens[expression.tokens.lowerBound]),
           let variable = try? lookUp(name), let row = variable.row {
            return Array(zip(row.values, row.columns.map(\.type)))
        }
        return [try evaluate(expression, as: nil)]
    }

    /// 42804 when a row's columns are not the function's.
    private static func rowMismatch(_ count: Int, _ expected: Int) -> VireoError {
        VireoError(.typeMismatch, "structure of query does not match function result type",
                   detail: "Number of returned columns (\(count)) does not match expected column count (\(expected)).")
    }

    /// 55000 for a field of a record no row was put in (OLD in an INSERT trigger).
    private static func unassigned(_ name: String) -> VireoError {
        VireoError.raised(sqlState: "55000", "record \"\(name)\" is not assigned yet",
                          detail: "The tuple structure of a not-yet-assigned record is indeterminate.")
    }

    /// A trigger function's RETURN value: a record variable's row (NEW or OLD), or nil for NULL.
    private func returnedRow(_ expression: PLExpression) throws -> [Value]? {
        if expression.tokens.count == 1, let name = Self.name(of: syntax.tokens[expression.tokens.lowerBound]),
           let variable = try? lookUp(name), variable.typeName == nil {
            return variable.isNullRecord ? nil : variable.row?.values
        }
        guard try evaluate(expression, as: nil).0.isNull else {
            throw VireoError(.featureNotSupported, "a trigger function here returns NEW, OLD, another record variable or NULL",
                             hint: "Assign to NEW's fields, then RETURN NEW.")
        }
        return nil
    }

    /// SELECT … INTO or EXECUTE … INTO: the first row (exactly one with STRICT) into the
    /// targets; NULLs when there is none. FOUND says whether there was one.
    private func store(_ result: QueryResult, into targets: [String], strict: Bool) throws {
        if strict, result.rows.count != 1 {
            throw result.rows.isEmpty ? VireoError.raised(sqlState: "P0002", "query returned no rows")
                : VireoError.raised(sqlState: "P0003", "query returned more than one row",
                                    hint: "Make sure the query returns a single row, or use LIMIT 1.")
        }
        try store(result.rows.first ?? result.columns.map { _ in .null }, result.columns, into: targets)
        setFound(!result.rows.isEmpty)
    }

    private func store(_ row: [Value], _ columns: [ResultColumn], into targets: [String]) throws {
        if targets.count == 1, let depth = scopes.lastIndex(where: { $0[targets[0]] != nil }), scopes[depth][targets[0]]?.typeName == nil {
            scopes[depth][targets[0]]?.row = (columns, row)
            scopes[depth][targets[0]]?.isNullRecord = false
            return
        }
        for (position, target) in targets.enumerated() {
            try assign(target, position < row.count ? (row[position], columns[position].type) : (.null, .unknown))
        }
    }

    private func diagnostic(_ item: String) throws -> (Value, SQLType) {
        switch item {
        case "row_count": return (.int(Int64(rowCount)), .int)
        case "message_text", "returned_sqlstate", "pg_exception_detail", "pg_exception_hint":
            guard let error = caught.last else {
                throw VireoError(.transactionState, "GET STACKED DIAGNOSTICS cannot be used outside an exception handler")
            }
            let values = ["message_text": error.message, "returned_sqlstate": error.sqlState,
                          "pg_exception_detail": error.detail ?? "", "pg_exception_hint": error.hint ?? ""]
            return (.text(values[item] ?? ""), .text)
        default: throw VireoError(.syntaxError, "unrecognized GET DIAGNOSTICS item \"\(item)\"")
        }
    }

    // MARK: SQL

    /// The value of an expression, cast to `type` when one is given.
    private func evaluate(_ expression: PLExpression, as type: TypeName?) throws -> (Value, SQLType) {
        let (prefix, suffix) = type.map { ("SELECT CAST((", ") AS \($0.sql))") } ?? ("SELECT ", "")
        let result = try execute(expression, prefix: prefix, suffix: suffix, countsRows: false)
        guard result.columns.count == 1 else {
            throw VireoError(.syntaxError, "query \"\(syntax.text(of: expression.tokens))\" returned \(result.columns.count) columns")
        }
        guard result.rows.count <= 1 else {
            throw VireoError(.cardinalityViolation, "query \"\(syntax.text(of: expression.tokens))\" returned more than one row")
        }
        return (result.rows.first?.first ?? .null, result.columns[0].type)
    }

    /// A CASE branch's value against the subject (`subject = value`), or its condition.
    private func matches(_ expression: PLExpression, _ subject: (Value, SQLType)?) throws -> Bool {
        guard let subject else { return try condition(expression) }
        let value = try evaluate(expression, as: nil)
        return try session.plValue("SELECT $1 = $2", [subject.0, value.0], [subject.1, value.1]).0 == .bool(true)
    }

    private func condition(_ expression: PLExpression) throws -> Bool {
        try evaluate(expression, as: .boolean).0 == .bool(true)
    }

    private func integer(_ expression: PLExpression, _ what: String) throws -> Int64 {
        guard case .int(let value) = try evaluate(expression, as: .bigint).0 else {
            throw VireoError(.nullValueNotAllowed, "\(what) cannot be null")
        }
        return value
    }

    /// Runs a piece of SQL with the variables it names as parameters.
    private func execute(_ expression: PLExpression, prefix: String = "", suffix: String = "", countsRows: Bool = true) throws -> QueryResult {
        let (sql, values, types) = try render(expression, substituting: !prefix.isEmpty || substitutes(expression))
        let result = try session.plExecute(prefix + sql + suffix, values, types)
        if countsRows { rowCount = result.rowCount }
        return result
    }

    /// EXECUTE's command string, run with its USING values as `$1`, `$2`, ….
    private func executeDynamic(_ command: PLExpression, _ arguments: [PLExpression]) throws -> QueryResult {
        guard case .text(let sql) = try evaluate(command, as: .text).0 else {
            throw VireoError(.nullValueNotAllowed, "query string argument of EXECUTE is null")
        }
        let values = try arguments.map { try evaluate($0, as: nil) }
        let result = try session.plExecute(sql, values.map(\.0), values.map(\.1))
        rowCount = result.rowCount
        return result
    }

    private func substitutes(_ expression: PLExpression) -> Bool {
        guard case .word(let first, _) = syntax.tokens[expression.tokens.lowerBound].kind else { return false }
        return ["select", "insert", "update", "delete", "with", "values"].contains(first)
    }

    /// The SQL text of `expression` with each variable it reads as `$n`, and the values and
    /// types of those parameters.
    private func render(_ expression: PLExpression, substituting: Bool) throws -> (String, [Value], [SQLType]) {
        let tokens = syntax.tokens
        var sql = "", values: [Value] = [], types: [SQLType] = []
        var numbers: [String: Int] = [:]
        var previousEnd: Int?
        var index = expression.tokens.lowerBound
        var context = SubstitutionContext()
        while index < expression.tokens.upperBound {
            if let skipped = expression.skipped, skipped.contains(index) {
                // The INTO clause is left out, the text around it kept apart by a space.
                index = skipped.upperBound
                previousEnd = tokens[index - 1].end
                sql += " "
                continue
            }
            let token = tokens[index]
            if let previousEnd { sql += String(decoding: syntax.source[previousEnd..<token.start], as: UTF8.self) }
            var consumed = 1
            var replacement: String?
            if case .parameter(let number) = token.kind, number <= arguments.count {
                // A function's `$n`: its argument.
                values.append(arguments[number - 1].value)
                types.append(arguments[number - 1].type ?? .unknown)
                replacement = "$\(values.count)"
            }
            if replacement == nil, substituting, let name = Self.name(of: token), context.allowsValue(at: index, tokens, expression.tokens), let variable = try? lookUp(name) {
                let dotted = index + 2 < tokens.count && tokens[index + 1].kind == .dot
                let field = dotted ? Self.name(of: tokens[index + 2]) : nil
                if let row = variable.row, let field {
                    guard let position = row.columns.firstIndex(where: { $0.name == field }) else {
                        throw VireoError(.undefinedColumn, "record \"\(name)\" has no field \"\(field)\"")
                    }
                    consumed = 3
                    values.append(row.values[position])
                    types.append(row.columns[position].type)
                    replacement = "$\(values.count)"
                } else if variable.row != nil, variable.isNullRecord, !(dotted && tokens[index + 2].isOperator("*")) {
                    // A NULL record (OLD in an INSERT trigger, a %ROWTYPE variable not yet set) is NULL.
                    values.append(.null)
                    types.append(.unknown)
                    replacement = "$\(values.count)"
                } else if let row = variable.row {
                    // A whole row: ROW(…) of its fields (RAISE prints it as `(2,b)`); `rec.*` likewise.
                    if dotted, tokens[index + 2].isOperator("*") { consumed = 3 }
                    let first = values.count + 1
                    values += row.values
                    types += row.columns.map(\.type)
                    replacement = "ROW(" + (first..<first + row.values.count).map { "$\($0)" }.joined(separator: ", ") + ")"
                } else if dotted, variable.type == nil, variable.typeName == nil {
                    throw Self.unassigned(name)
                } else if name == "tg_argv", index + 1 < tokens.count, tokens[index + 1].kind == .leftBracket {
                    // TG_ARGV counts from 0, SQL arrays from 1.
                    consumed = 2
                    values.append(variable.value)
                    types.append(variable.type ?? .unknown)
                    replacement = "$\(values.count)[1 + "
                } else {
                    if numbers[name] == nil {
                        values.append(variable.value)
                        types.append(variable.type ?? .unknown)
                        numbers[name] = values.count
                    }
                    replacement = "$\(numbers[name]!)"
                }
            }
            context.note(token)
            let last = tokens[index + consumed - 1]
            sql += replacement ?? String(decoding: syntax.source[token.start..<last.end], as: UTF8.self)
            previousEnd = last.end
            index += consumed
        }
        return (sql, values, types)
    }

    private static func name(of token: Token) -> String? {
        switch token.kind {
        case .word(let text, _), .quotedIdentifier(let text): text
        default: nil
        }
    }

    // MARK: RAISE and handlers

    private func raise(_ raise: PLRaise) throws {
        if raise.format == nil, raise.condition == nil, raise.options.isEmpty {
            guard let error = caught.last else { throw VireoError(.transactionState, "RAISE without parameters cannot be used outside an exception handler") }
            throw error
        }
        var message = try raise.format.map { try formatted($0, raise.arguments) }
        var sqlState = try raise.condition.map(Self.sqlState(ofCondition:)) ?? "P0001"
        var detail: String?, hint: String?
        for (name, expression) in raise.options {
            guard case .text(let text) = try evaluate(expression, as: .text).0 else {
                throw VireoError(.nullValueNotAllowed, "RAISE statement option cannot be null")
            }
            switch name {
            case "message": message = text
            case "detail": detail = text
            case "hint": hint = text
            case "errcode": sqlState = try Self.sqlState(ofCondition: text.count == 5 && text.uppercased() == text ? "sqlstate " + text : text)
            default: throw VireoError(.syntaxError, "unrecognized RAISE statement option \"\(name)\"")
            }
        }
        let text = message ?? raise.condition ?? sqlState
        switch raise.level {
        case "exception": throw VireoError.raised(sqlState: sqlState, text, hint: hint, detail: detail)
        case "warning": session.raise(Notice(.warning, sqlState: sqlState == "P0001" ? "01000" : sqlState, text, detail: detail))
        case "notice": session.raise(Notice(.notice, text, detail: detail))
        case "info": session.raise(Notice(.info, text, detail: detail))
        default: break  // DEBUG and LOG go to the server's log only, which Vireo does not keep for them.
        }
    }

    /// RAISE's format: each `%` takes the next argument's text (`<NULL>` for NULL), `%%` is `%`.
    private func formatted(_ format: String, _ arguments: [PLExpression]) throws -> String {
        var text = "", remaining = arguments[...]
        var characters = format[...]
        while let character = characters.popFirst() {
            guard character == "%" else { text.append(character); continue }
            if characters.first == "%" {
                characters.removeFirst()
                text.append("%")
                continue
            }
            guard let argument = remaining.popFirst() else { throw VireoError(.syntaxError, "too few parameters specified for RAISE") }
            text += try outputText(try evaluate(argument, as: nil))
        }
        guard remaining.isEmpty else { throw VireoError(.syntaxError, "too many parameters specified for RAISE") }
        return text
    }

    /// A value as its type's output prints it (`t` for true, `(2,b)` for a row, `<NULL>`),
    /// as RAISE shows it.
    private func outputText(_ typed: (Value, SQLType)) throws -> String {
        switch typed.0 {
        case .null: return "<NULL>"
        case .bool(let flag): return flag ? "t" : "f"
        case .text(let text): return text
        default:
            // An enum's value is its label's number until a cast names it.
            if case .enumeration = typed.1 { return Cast.textForm(try session.plValue("SELECT CAST($1 AS text)", [typed.0], [typed.1]).0) }
            return typed.0.text(as: typed.1) ?? Cast.textForm(typed.0)
        }
    }

    /// Whether `handler` catches `error`: by SQLSTATE, by a class's condition (`…000`), or
    /// OTHERS (anything but a cancel, as in PostgreSQL).
    private func handles(_ handler: PLHandler, _ error: VireoError) -> Bool {
        handler.conditions.contains { condition in
            if condition == "others" { return error.code != .queryCanceled }
            guard let state = try? Self.sqlState(ofCondition: condition) else { return false }
            return state == error.sqlState || (state.hasSuffix("000") && state.prefix(2) == error.sqlState.prefix(2))
        }
    }

    /// PL/pgSQL's own conditions, beside those of `VireoError.Code` (whose raw values are
    /// PostgreSQL's condition names).
    private static let conditions = ["raise_exception": "P0001", "no_data_found": "P0002", "too_many_rows": "P0003",
                                     "assert_failure": "P0004", "integrity_constraint_violation": "23000",
                                     "data_exception": "22000", "syntax_error_or_access_rule_violation": "42000"]

    /// The SQLSTATE of a condition name or of `sqlstate CODE`; 42704 for an unknown name.
    static func sqlState(ofCondition condition: String) throws -> String {
        if condition.hasPrefix("sqlstate ") { return String(condition.dropFirst("sqlstate ".count)).uppercased() }
        let name = condition.lowercased()
        if let state = conditions[name] { return state }
        if let code = VireoError.Code(rawValue: name) { return VireoError(code, "").sqlState }
        throw VireoError(.undefinedObject, "unrecognized exception condition \"\(condition)\"")
    }
}

/// Where in a statement a name may stand for a variable's value (see the top of the file).
private struct SubstitutionContext {
    private var previous: TokenKind?
    private var beforePrevious: TokenKind?
    private var isUpdate = false
    private var inSetList = false
    private var insertColumnsDepth: Int?
    private var depth = 0

    func allowsValue(at index: Int, _ tokens: [Token], _ range: Range<Int>) -> Bool {
        if insertColumnsDepth != nil { return false }
        if previous == .dot { return false }
        if index + 1 < range.upperBound, tokens[index + 1].kind == .leftParen { return false }
        if case .word(let word, _)? = previous, ["as", "from", "join", "into", "update", "table"].contains(word) {
            // IS [NOT] DISTINCT FROM compares with a value.
            guard word == "from", case .word("distinct", _)? = beforePrevious else { return false }
        }
        let startsSetItem: Bool = switch previous {
        case .comma?, .word("set", _)?: true
        default: false
        }
        if inSetList, depth == 0, startsSetItem, index + 1 < range.upperBound, tokens[index + 1].isOperator("=") { return false }
        return true
    }

    mutating func note(_ token: Token) {
        switch token.kind {
        case .leftParen:
            // INSERT INTO name ( … ): the column list.
            if case .word? = previous, case .word("into", _)? = beforePrevious, depth == 0 { insertColumnsDepth = depth }
            depth += 1
        case .rightParen:
            depth -= 1
            if insertColumnsDepth == depth { insertColumnsDepth = nil }
        case .word("update", _) where previous == nil: isUpdate = true
        case .word("set", _) where isUpdate && depth == 0: inSetList = true
        case .word("where", _), .word("from", _), .word("returning", _): if depth == 0 { inSetList = false }
        default: break
        }
        beforePrevious = previous
        previous = token.kind
    }
}

extension Session {
    /// DO: parses the block as PL/pgSQL and runs it as one transaction (its own, unless a
    /// block is open).
    func runDoBlock(_ block: DoBlock) throws -> QueryResult {
        guard block.language.lowercased() == "plpgsql" else {
            throw VireoError(.undefinedObject, "language \"\(block.language)\" does not exist", hint: "Vireo runs DO blocks in plpgsql.")
        }
        let program = try PLProgram(block.body)
        let opened = openImplicitBlock()
        do {
            _ = try PLRun(program.syntax, session: self).run(program.body)
        } catch {
            if opened { rollBackTransactionBlock() }
            throw error
        }
        if opened { try endTransaction(commit: true) }
        return QueryResult(commandTag: "DO")
    }

    /// A call of a LANGUAGE plpgsql function: its body run with the arguments as variables
    /// (by name and as `$n`), in the caller's transaction; the RETURN value cast to the
    /// declared type (NULL for void, which prints as nothing).
    func callPLFunction(_ function: FunctionDefinition, _ program: PLProgram, _ values: [Value], argumentTypes: [SQLType],
                        returnType: TypeName?) throws -> Value {
        let arguments = Self.plArguments(function, values, argumentTypes)
        let flow = try PLRun(program.syntax, session: self, arguments: arguments).run(program.body)
        guard let returnType else { return .text("") }
        guard case .returned(let result?) = flow else {
            throw VireoError.raised(sqlState: "2F005", "control reached end of function without RETURN")
        }
        guard !result.0.isNull else { return .null }
        return try plValue("SELECT CAST($1 AS \(returnType.sql))", [result.0], [result.1]).0
    }

    /// A call of a set-returning LANGUAGE plpgsql function: the rows its RETURN NEXT and
    /// RETURN QUERY gave, each value cast to its column's declared type.
    func callPLSetFunction(_ call: ProceduralRows, _ values: [Value]) throws -> [[Value]] {
        let outputs = zip(call.function.resultColumns ?? [], zip(call.columns, call.columnTypeNames)).compactMap { column, declared in
            column.name.map { (name: $0, variable: PLVariable(type: declared.0.type, typeName: declared.1)) }
        }
        let run = PLRun(call.program.syntax, session: self, arguments: Self.plArguments(call.function, values, call.argumentTypes),
                        setResult: (call.columns, outputs))
        _ = try run.run(call.program.body)
        return try run.returnedRows.map { row in
            try zip(row, zip(call.columns, call.columnTypeNames)).map { typed, declared in
                guard !typed.0.isNull, typed.1 != declared.0.type else { return typed.0 }
                return try plValue("SELECT CAST($1 AS \(declared.1.sql))", [typed.0], [typed.1]).0
            }
        }
    }

    /// A function's arguments as the variables of its run (by name and as `$n`).
    private static func plArguments(_ function: FunctionDefinition, _ values: [Value], _ types: [SQLType]) -> [(name: String?, variable: PLVariable)] {
        zip(function.arguments, zip(values, types)).map { argument, typed in
            (name: argument.name, variable: PLVariable(type: typed.1, typeName: try? Parser.parseTypeName(argument.type), value: typed.0))
        }
    }

    /// One statement of a DO block, its parameters declared as the variables' types.
    func plExecute(_ sql: String, _ values: [Value], _ types: [SQLType]) throws -> QueryResult {
        let statement = try Parser.parseStatement(sql)
        if case .transaction = statement.body {
            throw VireoError.raised(sqlState: "2D000", "invalid transaction termination",
                                    hint: "A DO block or function runs inside one transaction; end it after the block.")
        }
        // Its rows are the block's, not the request's result (a server's portal streams those).
        return try withoutRowStream { try withDeclaredParameterTypes(types) { try run(statement.body, values) } }
    }

    /// The one value of a SELECT run for a DO block.
    func plValue(_ sql: String, _ values: [Value], _ types: [SQLType]) throws -> (Value, SQLType) {
        let result = try plExecute(sql, values, types)
        return (result.rows.first?.first ?? .null, result.columns.first?.type ?? .unknown)
    }
}

/// A set-returning PL/pgSQL function as a FROM entry's scan runs it (TableFunction.procedural).
struct ProceduralRows: Sendable {
    let function: FunctionDefinition
    /// Parsed once with the plan.
    let program: PLProgram
    let argumentTypes: [SQLType]
    /// The result's columns, and their declared types as cast to.
    let columns: [ResultColumn]
    let columnTypeNames: [TypeName]

    /// The rows of one call (none for a NULL argument of a STRICT function).
    func rows(_ arguments: [Value], _ context: ExecutionContext) throws -> [[Value]] {
        if function.strict, arguments.contains(where: \.isNull) { return [] }
        guard let session = context.session else {
            throw VireoError(.featureNotSupported, "PL/pgSQL function \(function.name) can only run in a session")
        }
        return try session.callPLSetFunction(self, arguments)
    }
}
