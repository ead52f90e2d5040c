import VireoStorage

/// CREATE FUNCTION and DROP FUNCTION.
extension Parser {
    /// After `CREATE [OR REPLACE] FUNCTION`: `name (arguments) RETURNS … options body`.
    mutating func parseCreateFunction(orReplace: Bool) throws -> CreateFunction {
        let name = try parseFunctionName()
        try expect(.leftParen, "(")
        let arguments = peekIs(.rightParen) ? [] : try commaSeparated { try $0.parseFunctionArgument() }
        try expect(.rightParen, ")")
        var function = CreateFunction(name: name, orReplace: orReplace, arguments: arguments, returnType: nil, returnsSet: false,
                                      resultColumns: [], language: "", body: "", volatility: "v", strict: false)
        if acceptWord("returns") { try parseFunctionResult(&function) }
        var sawBody = false
        while try parseFunctionOption(&function, sawBody: &sawBody) {}
        guard sawBody else { throw unexpected("expected AS, RETURN or BEGIN ATOMIC (the function's body)") }
        if function.language.isEmpty {
            // A body written as SQL (RETURN, BEGIN ATOMIC) is LANGUAGE sql without saying so.
            throw VireoError(.invalidFunctionDefinition, "no language specified")
        }
        return function
    }

    /// `[IN] [name] type [DEFAULT expr | = expr]`: a lone word is a type unless a type follows it.
    private mutating func parseFunctionArgument() throws -> FunctionArgumentDeclaration {
        if peekWord("out") || peekWord("inout") || peekKeyword(.variadic) {
            throw VireoError(.featureNotSupported, "OUT, INOUT and VARIADIC arguments of SQL functions are not supported", position: peek().start)
        }
        _ = acceptKeyword(.in)
        let saved = self
        var name: String? = nil
        var type = try parseTypeName()
        if !(peekIs(.comma) || peekIs(.rightParen) || peekKeyword(.default) || peekIs(.op("="))) {
            self = saved
            name = try parseIdentifier("an argument name")
            type = try parseTypeName()
        }
        var defaultValue: SQLExpression? = nil
        if acceptKeyword(.default) || acceptOperator("=") { defaultValue = try parseExpression() }
        return FunctionArgumentDeclaration(name: name, type: type, defaultValue: defaultValue)
    }

    /// After RETURNS: `type`, `SETOF type` or `TABLE (name type, …)`.
    private mutating func parseFunctionResult(_ function: inout CreateFunction) throws {
        if acceptKeyword(.table) {
            try expect(.leftParen, "(")
            function.resultColumns = try commaSeparated { parser in
                FunctionArgumentDeclaration(name: try parser.parseIdentifier("a column name"), type: try parser.parseTypeName())
            }
            try expect(.rightParen, ")")
            function.returnsSet = true
            return
        }
        function.returnsSet = acceptWord("setof")
        function.returnType = try parseTypeName()
    }

    /// One option after the result (LANGUAGE, volatility, strictness, the body…); false at the end.
    private mutating func parseFunctionOption(_ function: inout CreateFunction, sawBody: inout Bool) throws -> Bool {
        if acceptWord("language") {
            guard let language = identifier(peek()) ?? stringValue(peek()) else { throw unexpected("expected a language name") }
            advance()
            function.language = language.lowercased()
        } else if let volatility = ["immutable": "i", "stable": "s", "volatile": "v"].first(where: { peekWord($0.key) }) {
            advance()
            function.volatility = volatility.value
        } else if acceptWord("strict") {
            function.strict = true
        } else if acceptWord("called") {
            try expectKeyword(.on); try expectKeyword(.null); try expectWord("input")
            function.strict = false
        } else if peekWord("returns"), peekKeyword(.null, at: 1) {
            advance(); advance()
            try expectKeyword(.on); try expectKeyword(.null); try expectWord("input")
            function.strict = true
        } else if acceptKeyword(.not) || peekWord("leakproof") {
            try expectWord("leakproof")
        } else if acceptWord("external") || peekWord("security") {
            try expectWord("security")
            guard acceptWord("invoker") || acceptWord("definer") else { throw unexpected("expected INVOKER or DEFINER") }
        } else if acceptWord("parallel") {
            guard acceptWord("safe") || acceptWord("unsafe") || acceptWord("restricted") else { throw unexpected("expected SAFE, RESTRICTED or UNSAFE") }
        } else if acceptWord("cost") || acceptKeyword(.rows) {
            _ = try parseExpression()
        } else if acceptKeyword(.as) {
            guard let body = stringValue(peek()) else { throw unexpected("expected the function's body as a string") }
            advance()
            function.body = body
            sawBody = true
        } else if acceptWord("return") {
            function.body = "SELECT " + (try parseExpression()).sql
            if function.language.isEmpty { function.language = "sql" }
            sawBody = true
        } else if peekKeyword(.begin), peekWord("atomic", at: 1) {
            advance(); advance()
            function.body = try parseAtomicBody()
            if function.language.isEmpty { function.language = "sql" }
            sawBody = true
        } else {
            return false
        }
        return true
    }

    /// After BEGIN ATOMIC: statements each ending in `;`, then END; their text.
    private mutating func parseAtomicBody() throws -> String {
        var texts: [String] = []
        while !acceptKeyword(.end) {
            let start = peek().start
            _ = try parseStatementBody()
            texts.append(String(decoding: lexer.bytes[start..<max(start, lastEnd)], as: UTF8.self))
            try expect(.semicolon, ";")
        }
        return texts.joined(separator: "; ")
    }

    /// A string constant's value, nil for any other token.
    private func stringValue(_ token: Token) -> String? {
        if case .string(let text) = token.kind { return text }
        return nil
    }

    /// A function name, possibly qualified by `public` or `pg_catalog` (dropped).
    mutating func parseFunctionName() throws -> String {
        let name = try parseTableName("a function name")
        if let schema = name.schema, schema != "public" {
            throw VireoError(.invalidSchemaName, "schema \"\(schema)\" does not exist")
        }
        return name.name
    }

    /// After DROP FUNCTION: `[IF EXISTS] name [(types)] [, …] [CASCADE | RESTRICT]`.
    mutating func parseDropFunction() throws -> DropFunction {
        let ifExists = acceptKeywords(.if, .exists)
        let functions = try commaSeparated { parser -> (name: String, argumentTypes: [TypeName]?) in
            let name = try parser.parseFunctionName()
            guard parser.accept(.leftParen) else { return (name, nil) }
            let types = parser.peekIs(.rightParen) ? [] : try parser.commaSeparated { try $0.parseFunctionArgument().type }
            try parser.expect(.rightParen, ")")
            return (name, types)
        }
        return DropFunction(functions: functions, ifExists: ifExists, cascade: parseDropBehavior())
    }
}

/// CREATE TRIGGER and DROP TRIGGER.
extension Parser {
    /// After `CREATE [OR REPLACE] TRIGGER`: `name {BEFORE | AFTER} event [OR event …] ON table
    /// [FOR [EACH] {ROW | STATEMENT}] [WHEN (condition)] EXECUTE {FUNCTION | PROCEDURE} f(args)`.
    mutating func parseCreateTrigger(orReplace: Bool) throws -> CreateTrigger {
        let name = try parseIdentifier("a trigger name")
        let timing: String
        if acceptWord("before") { timing = "before" } else if acceptWord("after") { timing = "after" } else if peekWord("instead") {
            throw VireoError(.featureNotSupported, "INSTEAD OF triggers are not supported", position: peek().start,
                             hint: "Views that can be written through take INSERT, UPDATE and DELETE directly.")
        } else {
            throw unexpected("expected BEFORE or AFTER")
        }
        var events: [String] = [], updateColumns: [String]?
        repeat {
            let position = peek().start
            guard let event = ["insert", "update", "delete", "truncate"].first(where: { acceptWord($0) }) else {
                throw unexpected("expected INSERT, UPDATE or DELETE")
            }
            if event == "truncate" {
                throw VireoError(.featureNotSupported, "TRUNCATE triggers are not supported", position: position)
            }
            if event == "update", acceptWord("of") { updateColumns = try commaSeparated { try $0.parseIdentifier("a column name") } }
            if events.contains(event) { throw VireoError(.syntaxError, "duplicate trigger events specified", position: position) }
            events.append(event)
        } while acceptKeyword(.or)
        try expectKeyword(.on)
        let table = try parseTableName()
        if peekWord("referencing") {
            throw VireoError(.featureNotSupported, "transition tables (REFERENCING) are not supported", position: peek().start)
        }
        var forEachRow = false
        if acceptKeyword(.for) {
            _ = acceptWord("each")
            if acceptKeyword(.row) { forEachRow = true } else { try expectWord("statement") }
        }
        var condition: String?
        if acceptKeyword(.when) { condition = try parseParenthesizedText() }
        try expectWord("execute")
        guard acceptWord("function") || acceptWord("procedure") else { throw unexpected("expected FUNCTION or PROCEDURE") }
        let function = try parseFunctionName()
        try expect(.leftParen, "(")
        let arguments = peekIs(.rightParen) ? [] : try commaSeparated { try $0.parseTriggerArgument() }
        try expect(.rightParen, ")")
        return CreateTrigger(name: name, orReplace: orReplace, timing: timing, events: events, updateColumns: updateColumns,
                             table: table, forEachRow: forEachRow, condition: condition, function: function, arguments: arguments)
    }

    /// `( … )`'s text as written, between balanced parentheses: a WHEN condition, which may
    /// read `OLD.*` and is evaluated as PL/pgSQL evaluates an expression.
    private mutating func parseParenthesizedText() throws -> String {
        try expect(.leftParen, "(")
        let start = peek().start
        var depth = 0
        while depth > 0 || !peekIs(.rightParen) {
            switch peek().kind {
            case .end: throw unexpected("expected )")
            case .leftParen: depth += 1
            case .rightParen: depth -= 1
            default: break
            }
            skip()
        }
        let text = String(decoding: lexer.bytes[start..<max(start, lastEnd)], as: UTF8.self)
        try expect(.rightParen, ")")
        guard !text.isEmpty else { throw unexpected("expected a condition") }
        return text
    }

    /// A trigger's argument: a string constant, a number or a name, kept as text (TG_ARGV).
    private mutating func parseTriggerArgument() throws -> String {
        let token = peek()
        let text: String? = switch token.kind {
        case .string(let value), .integer(let value), .decimal(let value): value
        default: identifier(token)
        }
        guard let text else { throw unexpected("expected a string constant, a number or a name") }
        advance()
        return text
    }

    /// After DROP TRIGGER: `[IF EXISTS] name ON table [CASCADE | RESTRICT]`.
    mutating func parseDropTrigger() throws -> DropTrigger {
        let ifExists = acceptKeywords(.if, .exists)
        let name = try parseIdentifier("a trigger name")
        try expectKeyword(.on)
        let table = try parseTableName()
        _ = parseDropBehavior()
        return DropTrigger(name: name, table: table, ifExists: ifExists)
    }
}
