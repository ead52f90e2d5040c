import VireoStorage

/// Primary expressions (literals, names, calls, CASE, CAST, subqueries) and type names.
extension Parser {
    /// Subscripts after a primary: `a[1]`, `f(x)[2:3]`. Called by the caller of parsePrimary
    /// once it has returned, so that nesting costs no extra stack frame per level.
    mutating func parseSubscripts(after primary: SQLExpression) throws -> SQLExpression {
        var expression = primary
        while peek().kind == .leftBracket { expression = try parseSubscript(of: expression) }
        return expression
    }

    /// `[i]` or `[lower:upper]` after an expression.
    private mutating func parseSubscript(of array: SQLExpression) throws -> SQLExpression {
        advance()
        let lower = peek().kind == .colon ? nil : try parseExpression()
        if accept(.colon) {
            let upper = peek().kind == .rightBracket ? nil : try parseExpression()
            try expect(.rightBracket, "]")
            return .subscripted(array, lower: lower, upper: upper, isSlice: true)
        }
        try expect(.rightBracket, "]")
        return .subscripted(array, lower: lower, upper: nil, isSlice: false)
    }

    mutating func parsePrimary() throws -> SQLExpression {
        let token = peek()
        switch token.kind {
        case .integer(let digits):
            advance()
            return .literal(Int64(digits).map(Literal.integer) ?? .numeric(digits))
        case .decimal(let text):
            advance()
            return .literal(.numeric(text))
        case .string(let value):
            advance()
            return .literal(.string(value))
        case .parameter(let number):
            advance()
            parameterCountMax = max(parameterCountMax, number)
            return .parameter(number)
        case .leftParen: return try parseParenthesizedOrOverlaps()
        case .word(let name, let keyword): return try parseWordPrimary(name, keyword)
        case .quotedIdentifier(let name):
            advance()
            return try parseNameExpression(name)
        default: throw unexpected("expected an expression")
        }
    }

    /// `( SELECT … )` as a value, or a parenthesised expression.
    mutating func parseParenthesized() throws -> SQLExpression {
        advance()
        if startsQuery() {
            let query = try parseQuery()
            try expect(.rightParen, ")")
            return .subquery(query)
        }
        let expression = try parseExpression()
        if accept(.comma) {
            let rest = try commaSeparated { try $0.parseExpression() }
            try expect(.rightParen, ")")
            return .row([expression] + rest)
        }
        try expect(.rightParen, ")")
        return expression
    }

    /// `ROW ( [ expr, … ] )`, the word ROW not yet consumed: a row constructor, which may
    /// hold one element (`ROW(a)`, unlike `(a)`) or none.
    @inline(never)
    mutating func parseRowConstructor() throws -> SQLExpression {
        advance()
        advance()
        if accept(.rightParen) { return .row([]) }
        let elements = try commaSeparated { try $0.parseExpression() }
        try expect(.rightParen, ")")
        return .row(elements)
    }

    private mutating func parseWordPrimary(_ name: String, _ keyword: Keyword?) throws -> SQLExpression {
        switch keyword {
        case .null?, .true?, .false?:
            advance()
            return .literal(keyword == .null ? .null : .boolean(keyword == .true))
        case .case?: return try parseCase()
        case .cast?: return try parseCast()
        case .exists? where peek(1).kind == .leftParen: return try parseExists()
        case .row? where peek(1).kind == .leftParen: return try parseRowOrOverlaps()
        case .array? where peek(1).kind == .leftBracket: return try parseArray()
        case .array? where peek(1).kind == .leftParen:
            advance()
            advance()
            guard startsQuery() else { throw unexpected("expected SELECT") }
            let query = try parseQuery()
            try expect(.rightParen, ")")
            return .arraySubquery(query)
        case .currentTimestamp?, .currentDate?, .currentTime?, .localtimestamp?, .localtime?:
            advance()
            return .function(FunctionCall(name))
        case .left? where peek(1).kind == .leftParen, .right? where peek(1).kind == .leftParen:
            advance()
            return try parseFunctionCall(name)
        default:
            if let function = parseBareValueFunction(name, keyword) { return function }
            guard !(keyword?.isReserved ?? false) else { throw unexpected("expected an expression") }
            if startsTypedLiteral(name) { return try parseTypedLiteral() }
            advance()
            return try parseNameExpression(name)
        }
    }

    /// SQL's user functions, which take no parentheses (PostgreSQL refuses `current_user()`),
    /// and the value functions PostgreSQL also accepts without them (`SELECT current_schema`).
    /// Kept out of `parseWordPrimary`, whose stack frame bounds how deep expressions nest.
    @inline(never)
    private mutating func parseBareValueFunction(_ name: String, _ keyword: Keyword?) -> SQLExpression? {
        switch keyword {
        case .currentUser?, .sessionUser?, .user?:
            advance()
            return .function(FunctionCall(keyword == .user ? "current_user" : name))
        case nil where Self.bareNameFunctions.contains(name) && peek(1).kind != .leftParen:
            advance()
            return .function(FunctionCall(name))
        default:
            return nil
        }
    }

    private static let bareNameFunctions: Set<String> = ["current_role", "current_catalog", "current_schema"]

    /// Type names that may prefix a string to give it a type: `timestamp '2024-01-01'`,
    /// `vector '[1,2,3]'`, `jsonb '{}'`.
    private static let typedLiteralWords: Set<String> = [
        "int", "integer", "int2", "int4", "int8", "bigint", "smallint", "real", "float", "float4", "float8",
        "numeric", "decimal", "text", "varchar", "char", "boolean", "bool", "bytea", "json", "jsonb",
        "timestamp", "timestamptz", "date", "uuid", "interval", "time", "vector", "halfvec", "sparsevec", "tsvector", "tsquery", "bit", "varbit",
        "jsonpath",
        "b", "x",
    ]

    /// Whether `name` starts a typed literal: `timestamp '…'`, or a time type with its
    /// precision first (`timestamp(3) '…'`, `time(0) '…'`), as PostgreSQL reads them.
    private mutating func startsTypedLiteral(_ name: String) -> Bool {
        if case .string = peek(1).kind { return Self.typedLiteralWords.contains(name) }
        guard ["timestamp", "timestamptz", "time", "interval"].contains(name), peekIs(.leftParen, at: 1),
              case .integer = peek(2).kind, peekIs(.rightParen, at: 3), case .string = peek(4).kind else { return false }
        return true
    }

    private mutating func parseTypedLiteral() throws -> SQLExpression {
        if let bits = parseBitStringConstant() { return bits }
        let type = try parseTypeName()
        guard case .string(let value) = peek().kind else { throw unexpected("expected a string") }
        advance()
        return .cast(.literal(.string(value)), type)
    }

    /// `B'1010'` and `X'1F'`: bit string constants (the letter right against the quote), as
    /// bit varying; bit input reads the letter's prefix. Nil for anything else.
    private mutating func parseBitStringConstant() -> SQLExpression? {
        guard case .word(let letter, _) = peek().kind, letter == "b" || letter == "x",
              case .string(let value) = peek(1).kind, peek(1).start == peek().end else { return nil }
        advance()
        advance()
        return .cast(.literal(.string(letter + value)), .other(name: "varbit", modifiers: []))
    }

    /// After a name: a call `name(…)`, a qualified column `name.column`, or a column.
    private mutating func parseNameExpression(_ name: String) throws -> SQLExpression {
        if peek().kind == .leftParen { return try parseFunctionCall(name) }
        guard accept(.dot) else { return .column(ColumnReference(name)) }
        if peek().isOperator("*") { throw unexpected("expected a column name (t.* is only allowed in a select list)") }
        let column = try parseLabel()
        // `pg_catalog.format_type(…)`, `information_schema._pg_expandarray(…)`: the catalog's
        // functions are built in.
        if Self.functionSchemaNames.contains(name), peek().kind == .leftParen { return try parseFunctionCall(column) }
        if Self.schemaNames.contains(name), peek().kind == .dot, !peek(1).isOperator("*") {
            // `pg_catalog.pg_class.relname` (SQLAlchemy's reflection writes columns so): one
            // database, so the schema adds nothing the table name does not say.
            advance()
            return .column(ColumnReference(table: column, try parseLabel()))
        }
        if peek().kind == .dot || peek().kind == .leftParen {
            throw unexpected("expected a column reference (only table.column is supported)")
        }
        return .column(ColumnReference(table: name, column))
    }

    /// The schemas a three-part column reference may name.
    static let schemaNames: Set<String> = ["pg_catalog", "public", "information_schema"]

    /// The schemas a function's name may be qualified with.
    static let functionSchemaNames: Set<String> = ["pg_catalog", "information_schema"]

    /// `name( [* | [DISTINCT | ALL] expr, …] )`; the name is already consumed.
    private mutating func parseFunctionCall(_ name: String) throws -> SQLExpression {
        try expect(.leftParen, "(")
        if acceptOperator("*") {
            try expect(.rightParen, ")")
            return .function(try parseCallSuffix(FunctionCall(name, star: true)))
        }
        if accept(.rightParen) { return .function(try parseCallSuffix(FunctionCall(name))) }
        if let special = try parseSpecialCall(name) {
            try expect(.rightParen, ")")
            return .function(special)
        }
        if identifier(peek()) != nil, peek(1).isOperator("=>") { return try parseNamedCall(name) }
        let distinct = acceptKeyword(.distinct)
        if !distinct { _ = acceptKeyword(.all) }
        let first = try parseExpression(minimum: firstArgumentMinimum(name))
        if !distinct, let special = try parseSpecialTail(name, first: first) {
            try expect(.rightParen, ")")
            return .function(special)
        }
        var arguments = [first]
        while accept(.comma) {
            if identifier(peek()) != nil, peek(1).isOperator("=>") { return try parseNamedCall(name, positional: arguments) }
            arguments.append(try parseExpression())
        }
        let orderBy = acceptKeywords(.order, .by) ? try commaSeparated { try $0.parseOrderItem() } : []
        try expect(.rightParen, ")")
        return .function(try parseCallSuffix(FunctionCall(name, arguments, distinct: distinct, orderBy: orderBy)))
    }

    /// `VARIADIC array` (the keyword next) as a call's only argument: num_nulls and
    /// num_nonnulls, the functions that take it, have no other parameters.
    @inline(never)
    mutating func parseVariadicArgument(_ name: String) throws -> FunctionCall {
        advance()
        var call = FunctionCall(name, [try parseExpression()])
        call.variadic = true
        return call
    }

    /// The rest of a call from its first named argument on: `name => expression, …` (only
    /// named ones may follow), after `positional` arguments. Kept out of parseFunctionCall so
    /// that its locals do not grow every level of nested calls.
    @inline(never)
    private mutating func parseNamedCall(_ name: String, positional: [SQLExpression] = []) throws -> SQLExpression {
        var call = FunctionCall(name, positional)
        call.argumentNames = Array(repeating: nil, count: positional.count)
        repeat {
            guard let argumentName = identifier(peek()), peek(1).isOperator("=>") else {
                throw unexpected("a positional argument cannot follow a named argument")
            }
            advance()
            advance()
            call.arguments.append(try parseExpression())
            call.argumentNames.append(argumentName)
        } while accept(.comma)
        try expect(.rightParen, ")")
        return .function(try parseCallSuffix(call))
    }


    /// `CASE [operand] WHEN … THEN … [WHEN …] [ELSE …] END`.
    private mutating func parseCase() throws -> SQLExpression {
        advance()
        let operand = peekKeyword(.when) ? nil : try parseExpression()
        var branches: [CaseExpression.Branch] = []
        while acceptKeyword(.when) {
            let condition = try parseExpression()
            try expectKeyword(.then)
            branches.append(CaseExpression.Branch(when: condition, then: try parseExpression()))
        }
        if branches.isEmpty { throw unexpected("expected WHEN") }
        let elseResult = acceptKeyword(.else) ? try parseExpression() : nil
        try expectKeyword(.end)
        return .caseWhen(CaseExpression(operand: operand, branches: branches, elseResult: elseResult))
    }

    /// `CAST ( expr AS type )`.
    private mutating func parseCast() throws -> SQLExpression {
        advance()
        try expect(.leftParen, "(")
        let operand = try parseExpression()
        try expectKeyword(.as)
        let type = try parseTypeName()
        try expect(.rightParen, ")")
        return .cast(operand, type)
    }

    /// `EXISTS ( query )`.
    private mutating func parseExists() throws -> SQLExpression {
        advance()
        try expect(.leftParen, "(")
        guard startsQuery() else { throw unexpected("expected SELECT") }
        let query = try parseQuery()
        try expect(.rightParen, ")")
        return .exists(query)
    }

    /// `ARRAY [ expr, … ]`.
    private mutating func parseArray() throws -> SQLExpression {
        advance()
        return try parseArrayElements()
    }

    /// `[ expr, … ]` or, inside an ARRAY constructor, `[ [ … ], [ … ] ]`: a bracketed list
    /// there is a sub-array, as `ARRAY[[1,2],[3,4]]` writes a two-dimensional one.
    private mutating func parseArrayElements() throws -> SQLExpression {
        try expect(.leftBracket, "[")
        if accept(.rightBracket) { return .array([]) }
        let elements = try commaSeparated { parser in
            parser.peek().kind == .leftBracket ? try parser.parseArrayElements() : try parser.parseExpression()
        }
        try expect(.rightBracket, "]")
        return .array(elements)
    }

    // MARK: - Types

    /// A type name with its modifiers: `integer`, `double precision`, `varchar(20)`,
    /// `numeric(10,2)`, `timestamp with time zone`, `vector(3)`, `character varying(8)`.
    mutating func parseTypeName() throws -> TypeName {
        let element = try parseElementTypeName()
        // `type[]`, `type[n]`, `type[][]` and `type ARRAY[n]` all name the one array type.
        var isArray = false
        while peek().kind == .leftBracket || peekKeyword(.array) {
            if acceptKeyword(.array), peek().kind != .leftBracket { isArray = true; break }
            try expect(.leftBracket, "[")
            if case .integer = peek().kind { advance() }
            try expect(.rightBracket, "]")
            isArray = true
        }
        return isArray ? .array(element) : element
    }

    /// A type name without array brackets; `pg_catalog.` or `public.` before it is allowed.
    private mutating func parseElementTypeName() throws -> TypeName {
        guard var name = identifier(peek()) else { throw unexpected("expected a type name") }
        // `"char"` quoted is PostgreSQL's one-byte catalog type, not char(1).
        if case .quotedIdentifier("char") = peek().kind {
            advance()
            return .other(name: "\"char\"", modifiers: [])
        }
        advance()
        if name == "pg_catalog" || name == "public", peek().kind == .dot {
            advance()
            guard let qualified = identifier(peek()) else { throw unexpected("expected a type name") }
            advance()
            name = qualified
        }
        if let simple = Self.simpleTypes[name] { return simple }
        if let element = Self.arrayTypeElements[name] { return .array(element) }
        switch name {
        case "float": return try parseFloatType()
        case "double":
            try expectKeyword(.precision)
            return .doublePrecision
        case "numeric", "decimal", "dec":
            let modifiers = try parseTypeModifiers(countMax: 2)
            return .numeric(precision: modifiers.first, scale: modifiers.dropFirst().first)
        case "varchar": return .varchar(length: try parseTypeModifiers(countMax: 1).first)
        case "character":
            let varying = acceptKeyword(.varying)
            let length = try parseTypeModifiers(countMax: 1).first
            return varying ? .varchar(length: length) : .char(length: length)
        case "char", "bpchar": return .char(length: try parseTypeModifiers(countMax: 1).first)
        case "timestamp", "timestamptz": return try parseTimestampType(withTimeZone: name == "timestamptz")
        case "vector": return .vector(dimension: try parseTypeModifiers(countMax: 1).first)
        case "halfvec": return .halfvec(dimension: try parseTypeModifiers(countMax: 1).first)
        case "bit" where acceptKeyword(.varying): return .other(name: "varbit", modifiers: try parseTypeModifiers(countMax: 1))
        case "date": return .date
        case "uuid": return .uuid
        case "interval": return try withFractionalDigits(.interval)
        case "time":
            let time = try withFractionalDigits(.time)
            if acceptKeywords(.with, .time, .zone) { throw VireoError(.featureNotSupported, "type time with time zone is not supported", position: lastEnd) }
            _ = acceptKeywords(.without, .time, .zone)
            return time
        default: return .other(name: name, modifiers: try parseTypeModifiers(countMax: 8))
        }
    }

    private static let simpleTypes: [String: TypeName] = [
        "smallint": .smallint, "int2": .smallint, "int": .integer, "integer": .integer, "int4": .integer,
        "bigint": .bigint, "int8": .bigint, "real": .real, "float4": .real, "float8": .doublePrecision,
        "text": .text, "boolean": .boolean, "bool": .boolean, "bytea": .bytea, "json": .json, "jsonb": .jsonb,
        "serial": .serial, "serial4": .serial, "bigserial": .bigserial, "serial8": .bigserial,
        "tsvector": .tsvector, "tsquery": .tsquery,
        // jsonpath values are their text: jsonb_path_match and jsonb_path_exists parse it.
        "jsonpath": .text,
    ]

    /// PostgreSQL's internal names of the built-in array types (`_int4` is `integer[]`), as
    /// catalogs and drivers spell them.
    private static let arrayTypeElements: [String: TypeName] = {
        var elements = Dictionary(uniqueKeysWithValues: simpleTypes.filter { !$0.key.hasPrefix("serial") && !$0.key.hasPrefix("bigserial") }
            .map { ("_" + $0.key, $0.value) })
        elements["_numeric"] = .numeric(precision: nil, scale: nil)
        elements["_varchar"] = .varchar(length: nil)
        elements["_date"] = .date
        elements["_uuid"] = .uuid
        elements["_interval"] = .interval
        elements["_time"] = .time
        elements["_timestamp"] = .timestamp(withTimeZone: false)
        elements["_timestamptz"] = .timestamp(withTimeZone: true)
        elements["_vector"] = .vector(dimension: nil)
        elements["_bit"] = .other(name: "bit", modifiers: [])
        elements["_char"] = .other(name: "\"char\"", modifiers: [])
        for name in ["varbit", "name"] + TypeName.objectIdentifierTypes.sorted() {
            elements["_" + name] = .other(name: name, modifiers: [])
        }
        return elements
    }()

    /// `float [(p)]`: p 1–24 is real, 25–53 (or none) double precision, as in PostgreSQL.
    private mutating func parseFloatType() throws -> TypeName {
        let start = peek().start
        guard let precision = try parseTypeModifiers(countMax: 1).first else { return .doublePrecision }
        switch precision {
        case 1...24: return .real
        case 25...53: return .doublePrecision
        default: throw VireoError(.invalidParameter, "precision for type float must be between 1 and 53 bits", position: start)
        }
    }

    /// `timestamp [(p)] [WITH | WITHOUT TIME ZONE]`.
    private mutating func parseTimestampType(withTimeZone: Bool) throws -> TypeName {
        let digits = try parseTypeModifiers(countMax: 1).first
        let zoned = withTimeZone || acceptKeywords(.with, .time, .zone)
        if !zoned { _ = acceptKeywords(.without, .time, .zone) }
        let base = TypeName.timestamp(withTimeZone: zoned)
        return digits.map { .fractionalSeconds(base, digits: $0) } ?? base
    }

    /// `base [(p)]` for time and interval: the fractional-seconds precision when written.
    private mutating func withFractionalDigits(_ base: TypeName) throws -> TypeName {
        try parseTypeModifiers(countMax: 1).first.map { .fractionalSeconds(base, digits: $0) } ?? base
    }

    /// An optional `( integer [, integer …] )` of at most `countMax` values.
    private mutating func parseTypeModifiers(countMax: Int) throws -> [Int] {
        guard accept(.leftParen) else { return [] }
        let modifiers = try commaSeparated { parser -> Int in
            guard case .integer(let digits) = parser.peek().kind, let value = Int32(digits) else {
                throw parser.unexpected("expected a type modifier (a whole number)")
            }
            parser.advance()
            return Int(value)
        }
        guard modifiers.count <= countMax else {
            throw VireoError(.syntaxError, "syntax error: too many type modifiers (at most \(countMax))", position: lastEnd)
        }
        try expect(.rightParen, ")")
        return modifiers
    }
}
