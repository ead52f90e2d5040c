import VireoStorage

// PL/pgSQL's syntax, as far as Vireo runs it (DO blocks): blocks with DECLARE and EXCEPTION,
// assignments, IF, the four loops, EXIT/CONTINUE, RAISE, PERFORM, EXECUTE, SQL statements
// with INTO, GET DIAGNOSTICS, RETURN and NULL. The SQL inside a statement (an expression,
// a query) is kept as a range of the body's tokens and handed to Vireo's SQL parser when it
// runs, with the block's variables in it as parameters (PLInterpreter.swift).

/// `[<<label>>] [DECLARE …] BEGIN … [EXCEPTION WHEN … THEN …] END [label]`.
struct PLBlock: Sendable {
    var label: String?
    var declarations: [PLDeclaration] = []
    var statements: [PLStatement] = []
    var handlers: [PLHandler] = []
}

/// `name [CONSTANT] type [NOT NULL] [{:= | = | DEFAULT} expression]`; `type` nil for RECORD.
struct PLDeclaration: Sendable {
    var name: String
    var type: TypeName?
    /// `table.column%TYPE` or `variable%TYPE` (path of one or two names), `table%ROWTYPE`:
    /// a type read when the block runs.
    var copiedType: (path: [String], isRow: Bool)?
    var isConstant = false
    var isNotNull = false
    var initial: PLExpression?
}

/// `WHEN condition [OR condition …] THEN statements`: conditions as lower-case names
/// (`unique_violation`, `others`) or SQLSTATE codes (`sqlstate 23505`).
struct PLHandler: Sendable {
    var conditions: [String]
    var statements: [PLStatement]
}

/// SQL inside a statement: the body's tokens `tokens` (half-open), without those of
/// `skipped` (a statement's INTO clause).
struct PLExpression: Sendable {
    var tokens: Range<Int>
    var skipped: Range<Int>? = nil
}

/// How a loop goes round.
enum PLLoopKind: Sendable {
    case plain
    case whileTrue(PLExpression)
    /// `FOR name IN [REVERSE] low .. high [BY step]`.
    case range(variable: String, reverse: Bool, low: PLExpression, high: PLExpression, step: PLExpression?)
    /// `FOR name IN query` or `FOR name IN EXECUTE expression [USING …]`.
    case query(variable: String, PLExpression, dynamic: Bool, using: [PLExpression])
    /// `FOREACH name IN ARRAY expression`.
    case array(variable: String, PLExpression)
}

/// `RAISE [level] { 'format' [, expression …] | condition | SQLSTATE 'code' } [USING option = expression, …]`,
/// or `RAISE;` in a handler (the caught error again).
struct PLRaise: Sendable {
    var level: String
    var format: String?
    var arguments: [PLExpression] = []
    /// A condition name or `sqlstate CODE` given instead of a format.
    var condition: String?
    var options: [(name: String, value: PLExpression)] = []
}

indirect enum PLStatement: Sendable {
    case block(PLBlock)
    case assign(name: String, PLExpression)
    /// `record.field := value` (a trigger's `NEW.updated_at := now()`).
    case assignField(name: String, field: String, PLExpression)
    case ifThen(branches: [(condition: PLExpression, statements: [PLStatement])], otherwise: [PLStatement])
    /// `CASE [subject] WHEN value [, …] THEN … [ELSE …] END CASE`: with a subject the
    /// branch whose value equals it, else the first whose condition holds; 20000 when none
    /// does and there is no ELSE (`otherwise` nil).
    case caseOf(subject: PLExpression?, branches: [(values: [PLExpression], statements: [PLStatement])], otherwise: [PLStatement]?)
    /// `ASSERT condition [, message]`.
    case assert(PLExpression, message: PLExpression?)
    case loop(label: String?, PLLoopKind, [PLStatement])
    /// EXIT (or with `isContinue` CONTINUE) `[label] [WHEN condition]`.
    case exit(label: String?, condition: PLExpression?, isContinue: Bool)
    case raise(PLRaise)
    case perform(PLExpression)
    case execute(PLExpression, into: [String], strict: Bool, using: [PLExpression])
    /// A SQL statement, with `SELECT … INTO targets` (or `RETURNING … INTO`) taken out of it.
    case sql(PLExpression, into: [String], strict: Bool)
    case getDiagnostics([(variable: String, item: String)])
    /// `RETURN [expression];`: a function's result, nothing in a DO block.
    case returnFrom(PLExpression?)
    /// `RETURN NEXT [expression]` in a set-returning function: one more row (the output
    /// variables' values of RETURNS TABLE without an expression).
    case returnNext(PLExpression?)
    /// `RETURN QUERY query`: the query's rows, appended.
    case returnQuery(PLExpression)
    case null
}

/// A body parsed once (at CREATE FUNCTION's bind, or a DO's run) and run as often as wanted.
struct PLProgram: Sendable {
    let syntax: PLParser
    let body: PLBlock

    init(_ text: String) throws {
        var parser = try PLParser(text)
        body = try parser.parseBody()
        syntax = parser
    }
}

/// A DO block's body parsed into statements.
struct PLParser: Sendable {
    let source: [UInt8]
    let tokens: [Token]
    private var position = 0

    init(_ body: String) throws {
        var lexer = Lexer(body)
        var tokens: [Token] = []
        while true {
            let token = lexer.next()
            if case .error(let error) = token.kind { throw error }
            // `1..10` lexes as 1, `.`, `.10`: split the fraction into `.` and 10, as the range needs.
            if case .decimal(let text) = token.kind, text.hasPrefix("."), tokens.last?.kind == .dot, tokens.last?.end == token.start,
               text.dropFirst().allSatisfy(\.isNumber) {
                tokens.append(Token(kind: .dot, start: token.start, end: token.start + 1))
                tokens.append(Token(kind: .integer(String(text.dropFirst())), start: token.start + 1, end: token.end))
                continue
            }
            tokens.append(token)
            if token.kind == .end { break }
        }
        self.source = lexer.bytes
        self.tokens = tokens
    }

    /// The body: one block, nothing after it but an optional `;`.
    mutating func parseBody() throws -> PLBlock {
        let block = try parseBlock(label: try parseLabel())
        _ = accept(.semicolon)
        guard peek.kind == .end else { throw syntaxError("expected the end of the code block") }
        return block
    }

    // MARK: Tokens

    private var peek: Token { tokens[position] }

    private func word(at index: Int) -> String? {
        switch tokens[min(index, tokens.count - 1)].kind {
        case .word(let text, _): text
        default: nil
        }
    }

    private func isWord(_ text: String, at offset: Int = 0) -> Bool { word(at: position + offset) == text }

    private mutating func acceptWord(_ text: String) -> Bool {
        guard isWord(text) else { return false }
        position += 1
        return true
    }

    private mutating func accept(_ kind: TokenKind) -> Bool {
        guard peek.kind == kind else { return false }
        position += 1
        return true
    }

    private mutating func expectWord(_ text: String) throws {
        guard acceptWord(text) else { throw syntaxError("expected \(text.uppercased())") }
    }

    private mutating func expect(_ kind: TokenKind, _ what: String) throws {
        guard accept(kind) else { throw syntaxError("expected \(what)") }
    }

    /// A variable or label name: an unquoted word or a quoted identifier.
    private mutating func parseName(_ what: String) throws -> String {
        switch peek.kind {
        case .word(let text, _):
            position += 1
            return text
        case .quotedIdentifier(let text):
            position += 1
            return text
        default: throw syntaxError("expected \(what)")
        }
    }

    func text(of range: Range<Int>) -> String {
        guard let first = range.first else { return "" }
        return String(decoding: source[tokens[first].start..<tokens[range.upperBound - 1].end], as: UTF8.self)
    }

    private func syntaxError(_ message: String) -> VireoError {
        let near = peek.kind == .end ? "at end of input" : "at or near \"\(text(of: position..<position + 1))\""
        return VireoError(.syntaxError, "syntax error \(near) in the DO block: \(message)", position: peek.start)
    }

    // MARK: Blocks and declarations

    private mutating func parseLabel() throws -> String? {
        guard peek.isOperator("<<") else { return nil }
        position += 1
        let label = try parseName("a label")
        guard peek.isOperator(">>") else { throw syntaxError("expected >> after the label") }
        position += 1
        return label
    }

    private mutating func parseBlock(label: String?) throws -> PLBlock {
        var block = PLBlock(label: label)
        if acceptWord("declare") {
            while !isWord("begin") {
                if peek.kind == .end { throw syntaxError("expected BEGIN") }
                block.declarations.append(try parseDeclaration())
            }
        }
        try expectWord("begin")
        block.statements = try parseStatements(until: ["exception", "end"])
        if acceptWord("exception") {
            while acceptWord("when") {
                var conditions = [try parseCondition()]
                while acceptWord("or") { conditions.append(try parseCondition()) }
                try expectWord("then")
                block.handlers.append(PLHandler(conditions: conditions, statements: try parseStatements(until: ["when", "end"])))
            }
            if block.handlers.isEmpty { throw syntaxError("expected WHEN") }
        }
        try expectWord("end")
        if let label, case .word(let closing, _) = peek.kind, closing == label { position += 1 }
        return block
    }

    private mutating func parseCondition() throws -> String {
        if acceptWord("sqlstate") {
            guard case .string(let code) = peek.kind else { throw syntaxError("expected a SQLSTATE code") }
            position += 1
            return "sqlstate " + code
        }
        let name = try parseName("a condition name").lowercased()
        // An unknown name is an error when the block is read, before anything runs.
        if name != "others" { _ = try PLRun.sqlState(ofCondition: name) }
        return name
    }

    private mutating func parseDeclaration() throws -> PLDeclaration {
        let name = try parseName("a variable name")
        var declaration = PLDeclaration(name: name)
        declaration.isConstant = acceptWord("constant")
        if acceptWord("record") {
            declaration.type = nil
        } else {
            let start = position
            let end = scan(from: start) { parser, index in
                parser.tokens[index].kind == .semicolon || parser.word(at: index) == "not" || parser.word(at: index) == "default"
                    || parser.isAssignment(at: index)
            }
            if let copied = copiedType(start..<end) {
                declaration.copiedType = copied
            } else {
                declaration.type = try Parser.parseTypeName(text(of: start..<end))
            }
            position = end
        }
        if acceptWord("not") {
            try expectWord("null")
            declaration.isNotNull = true
        }
        if acceptWord("default") || acceptAssignment() {
            declaration.initial = try parseExpression(until: { $0.tokens[$1].kind == .semicolon })
        }
        try expect(.semicolon, "; after the declaration of \(name)")
        return declaration
    }

    /// `a.b%TYPE`, `a%TYPE` or `a%ROWTYPE` over `range`; nil for a type written out.
    private func copiedType(_ range: Range<Int>) -> (path: [String], isRow: Bool)? {
        guard range.count >= 3, tokens[range.upperBound - 2].isOperator("%"),
              let kind = word(at: range.upperBound - 1), kind == "type" || kind == "rowtype" else { return nil }
        var path: [String] = []
        for index in range.lowerBound..<range.upperBound - 2 {
            if (index - range.lowerBound) % 2 == 1 {
                guard tokens[index].kind == .dot else { return nil }
                continue
            }
            switch tokens[index].kind {
            case .word(let name, _), .quotedIdentifier(let name): path.append(name)
            default: return nil
            }
        }
        guard (1...2).contains(path.count) else { return nil }
        return (path, kind == "rowtype")
    }

    /// `:=` (lexed as `:` and `=`) or `=`.
    private func isAssignment(at index: Int) -> Bool {
        if tokens[index].kind == .colon, tokens[min(index + 1, tokens.count - 1)].isOperator("=") { return true }
        return tokens[index].isOperator("=") || tokens[index].isOperator(":=")
    }

    private mutating func acceptAssignment() -> Bool {
        guard isAssignment(at: position) else { return false }
        position += peek.kind == .colon ? 2 : 1
        return true
    }

    // MARK: Statements

    private mutating func parseStatements(until ends: Set<String>) throws -> [PLStatement] {
        var statements: [PLStatement] = []
        while !(word(at: position).map(ends.contains) ?? false) {
            if peek.kind == .end { throw syntaxError("expected \(ends.sorted().map { $0.uppercased() }.joined(separator: " or "))") }
            statements.append(try parseStatement())
        }
        return statements
    }

    private mutating func parseStatement() throws -> PLStatement {
        let label = try parseLabel()
        if isWord("declare") || isWord("begin") {
            let block = try parseBlock(label: label)
            try expect(.semicolon, "; after END")
            return .block(block)
        }
        if isWord("loop") || isWord("while") || isWord("for") || isWord("foreach") { return try parseLoop(label: label) }
        if label != nil { throw syntaxError("expected a block or a loop after the label") }
        guard let first = word(at: position) else { return try parseSQL() }
        switch first {
        case "if": return try parseIf()
        case "case": return try parseCase()
        case "assert":
            position += 1
            let condition = try parseExpression(until: { $0.tokens[$1].kind == .comma || $0.tokens[$1].kind == .semicolon })
            let message = accept(.comma) ? try parseExpression(until: { $0.tokens[$1].kind == .semicolon }) : nil
            try expect(.semicolon, "; after ASSERT")
            return .assert(condition, message: message)
        case "exit", "continue":
            position += 1
            let target = isWord("when") || peek.kind == .semicolon ? nil : try parseName("a label")
            let condition = acceptWord("when") ? try parseExpression(until: { $0.tokens[$1].kind == .semicolon }) : nil
            try expect(.semicolon, ";")
            return .exit(label: target, condition: condition, isContinue: first == "continue")
        case "raise": return try parseRaise()
        case "perform":
            position += 1
            let query = try parseExpression(until: { $0.tokens[$1].kind == .semicolon })
            try expect(.semicolon, ";")
            return .perform(query)
        case "execute": return try parseExecute()
        case "return":
            position += 1
            if accept(.semicolon) { return .returnFrom(nil) }
            if acceptWord("next") {
                if accept(.semicolon) { return .returnNext(nil) }
                let value = try parseExpression(until: { $0.tokens[$1].kind == .semicolon })
                try expect(.semicolon, "; after RETURN NEXT")
                return .returnNext(value)
            }
            if acceptWord("query") {
                let query = try parseExpression(until: { $0.tokens[$1].kind == .semicolon })
                try expect(.semicolon, "; after RETURN QUERY")
                return .returnQuery(query)
            }
            let value = try parseExpression(until: { $0.tokens[$1].kind == .semicolon })
            try expect(.semicolon, "; after RETURN")
            return .returnFrom(value)
        case "null" where tokens[position + 1].kind == .semicolon:
            position += 2
            return .null
        case "get": return try parseGetDiagnostics()
        default:
            if isAssignment(at: position + 1) {
                let name = try parseName("a variable name")
                _ = acceptAssignment()
                let value = try parseExpression(until: { $0.tokens[$1].kind == .semicolon })
                try expect(.semicolon, ";")
                return .assign(name: name, value)
            }
            if position + 3 < tokens.count, tokens[position + 1].kind == .dot, isAssignment(at: position + 3) {
                let name = try parseName("a variable name")
                position += 1
                let field = try parseName("a field name")
                _ = acceptAssignment()
                let value = try parseExpression(until: { $0.tokens[$1].kind == .semicolon })
                try expect(.semicolon, ";")
                return .assignField(name: name, field: field, value)
            }
            return try parseSQL()
        }
    }

    private mutating func parseIf() throws -> PLStatement {
        try expectWord("if")
        var branches: [(condition: PLExpression, statements: [PLStatement])] = []
        var otherwise: [PLStatement] = []
        repeat {
            let condition = try parseExpression(until: { $0.word(at: $1) == "then" })
            try expectWord("then")
            branches.append((condition, try parseStatements(until: ["elsif", "elseif", "else", "end"])))
        } while acceptWord("elsif") || acceptWord("elseif")
        if acceptWord("else") { otherwise = try parseStatements(until: ["end"]) }
        try expectWord("end")
        try expectWord("if")
        try expect(.semicolon, "; after END IF")
        return .ifThen(branches: branches, otherwise: otherwise)
    }

    private mutating func parseCase() throws -> PLStatement {
        try expectWord("case")
        let subject = isWord("when") ? nil : try parseExpression(until: { $0.word(at: $1) == "when" })
        var branches: [(values: [PLExpression], statements: [PLStatement])] = []
        while acceptWord("when") {
            var values: [PLExpression] = []
            repeat {
                values.append(try parseExpression(until: { $0.word(at: $1) == "then" || (subject != nil && $0.tokens[$1].kind == .comma) }))
            } while subject != nil && accept(.comma)
            try expectWord("then")
            branches.append((values, try parseStatements(until: ["when", "else", "end"])))
        }
        if branches.isEmpty { throw syntaxError("expected WHEN") }
        let otherwise = acceptWord("else") ? try parseStatements(until: ["end"]) : nil
        try expectWord("end")
        try expectWord("case")
        try expect(.semicolon, "; after END CASE")
        return .caseOf(subject: subject, branches: branches, otherwise: otherwise)
    }

    private mutating func parseLoop(label: String?) throws -> PLStatement {
        var kind = PLLoopKind.plain
        if acceptWord("while") {
            kind = .whileTrue(try parseExpression(until: { $0.word(at: $1) == "loop" }))
        } else if acceptWord("for") {
            let variable = try parseName("a loop variable")
            try expectWord("in")
            kind = try parseForSource(variable)
        } else if acceptWord("foreach") {
            let variable = try parseName("a loop variable")
            if isWord("slice") { throw syntaxError("FOREACH … SLICE is not supported") }
            try expectWord("in")
            try expectWord("array")
            kind = .array(variable: variable, try parseExpression(until: { $0.word(at: $1) == "loop" }))
        }
        try expectWord("loop")
        let body = try parseStatements(until: ["end"])
        try expectWord("end")
        try expectWord("loop")
        if let label, case .word(let closing, _) = peek.kind, closing == label { position += 1 }
        try expect(.semicolon, "; after END LOOP")
        return .loop(label: label, kind, body)
    }

    /// After `FOR name IN`: an integer range (`[REVERSE] low .. high [BY step]`), a query, or
    /// `EXECUTE expression [USING …]`.
    private mutating func parseForSource(_ variable: String) throws -> PLLoopKind {
        if acceptWord("execute") {
            let command = try parseExpression(until: { $0.word(at: $1) == "loop" || $0.word(at: $1) == "using" })
            return .query(variable: variable, command, dynamic: true, using: acceptWord("using") ? try parseList(until: "loop") : [])
        }
        let reverse = acceptWord("reverse")
        let rangeEnd = scan(from: position) { parser, index in
            parser.word(at: index) == "loop" || (parser.tokens[index].kind == .dot && parser.tokens[index + 1].kind == .dot)
        }
        guard tokens[rangeEnd].kind == .dot else {
            if reverse { throw syntaxError("expected .. in the integer range of FOR") }
            return .query(variable: variable, try parseExpression(until: { $0.word(at: $1) == "loop" }), dynamic: false, using: [])
        }
        let low = PLExpression(tokens: position..<rangeEnd)
        position = rangeEnd + 2
        let high = try parseExpression(until: { $0.word(at: $1) == "loop" || $0.word(at: $1) == "by" })
        let step = acceptWord("by") ? try parseExpression(until: { $0.word(at: $1) == "loop" }) : nil
        return .range(variable: variable, reverse: reverse, low: low, high: high, step: step)
    }

    private mutating func parseRaise() throws -> PLStatement {
        try expectWord("raise")
        var raise = PLRaise(level: "exception")
        if let level = word(at: position), ["debug", "log", "info", "notice", "warning", "exception"].contains(level) {
            raise.level = level
            position += 1
        }
        if accept(.semicolon) { return .raise(raise) }
        if case .string(let format) = peek.kind {
            position += 1
            raise.format = format
            while accept(.comma) {
                raise.arguments.append(try parseExpression(until: { $0.tokens[$1].kind == .comma || $0.tokens[$1].kind == .semicolon || $0.word(at: $1) == "using" }))
            }
        } else if !isWord("using") {
            raise.condition = try parseCondition()
        }
        if acceptWord("using") {
            repeat {
                let name = try parseName("a RAISE option").lowercased()
                guard acceptAssignment() else { throw syntaxError("expected = after \(name.uppercased())") }
                raise.options.append((name, try parseExpression(until: { $0.tokens[$1].kind == .comma || $0.tokens[$1].kind == .semicolon })))
            } while accept(.comma)
        }
        try expect(.semicolon, "; after RAISE")
        return .raise(raise)
    }

    private mutating func parseExecute() throws -> PLStatement {
        try expectWord("execute")
        let command = try parseExpression(until: { ["into", "using"].contains($0.word(at: $1) ?? "") || $0.tokens[$1].kind == .semicolon })
        var targets: [String] = [], strict = false, arguments: [PLExpression] = []
        for _ in 0..<2 {
            if acceptWord("into") {
                strict = acceptWord("strict")
                targets = try parseTargets()
            } else if acceptWord("using") {
                arguments = try parseList(until: nil)
            }
        }
        try expect(.semicolon, "; after EXECUTE")
        return .execute(command, into: targets, strict: strict, using: arguments)
    }

    private mutating func parseGetDiagnostics() throws -> PLStatement {
        try expectWord("get")
        _ = acceptWord("current")
        try expectWord("diagnostics")
        var items: [(variable: String, item: String)] = []
        repeat {
            let variable = try parseName("a variable name")
            guard acceptAssignment() else { throw syntaxError("expected = after \(variable)") }
            items.append((variable, try parseName("a diagnostics item").lowercased()))
        } while accept(.comma)
        try expect(.semicolon, "; after GET DIAGNOSTICS")
        return .getDiagnostics(items)
    }

    /// A SQL statement up to its `;`, its `INTO [STRICT] targets` taken out.
    private mutating func parseSQL() throws -> PLStatement {
        let start = position
        let end = scan(from: start) { parser, index in parser.tokens[index].kind == .semicolon }
        guard end > start else { throw syntaxError("expected a statement") }
        position = end + 1
        guard tokens[end].kind == .semicolon else { throw syntaxError("expected ; after the statement") }
        guard let into = intoClause(start..<end) else { return .sql(PLExpression(tokens: start..<end), into: [], strict: false) }
        var parser = self
        parser.position = into + 1
        let strict = parser.acceptWord("strict")
        let targets = try parser.parseTargets()
        return .sql(PLExpression(tokens: start..<end, skipped: into..<parser.position), into: targets, strict: strict)
    }

    /// Where a statement's INTO clause starts: the first INTO at the top level of a SELECT,
    /// or the one after RETURNING in INSERT, UPDATE and DELETE; nil when it has none.
    private func intoClause(_ range: Range<Int>) -> Int? {
        let first = word(at: range.lowerBound)
        let isSelect = first == "select" || first == "with"
        var depth = 0, afterReturning = false
        for index in range {
            switch tokens[index].kind {
            case .leftParen: depth += 1
            case .rightParen: depth -= 1
            case .word("returning", _) where depth == 0: afterReturning = true
            case .word("into", _) where depth == 0 && (isSelect || afterReturning): return index
            default: break
            }
        }
        return nil
    }

    private mutating func parseTargets() throws -> [String] {
        var targets = [try parseName("a variable name")]
        while accept(.comma) { targets.append(try parseName("a variable name")) }
        return targets
    }

    private mutating func parseList(until end: String?) throws -> [PLExpression] {
        var items: [PLExpression] = []
        repeat {
            items.append(try parseExpression(until: { $0.tokens[$1].kind == .comma || $0.tokens[$1].kind == .semicolon || (end != nil && $0.word(at: $1) == end) }))
        } while accept(.comma)
        return items
    }

    // MARK: SQL inside statements

    /// The tokens from here to the first at the top level (outside parentheses and CASE … END)
    /// where `isEnd` holds; 42601 when there are none.
    private mutating func parseExpression(until isEnd: (PLParser, Int) -> Bool) throws -> PLExpression {
        let start = position
        let end = scan(from: start, until: isEnd)
        guard end > start else { throw syntaxError("expected an expression") }
        position = end
        return PLExpression(tokens: start..<end)
    }

    /// The index of the first top-level token from `start` where `isEnd` holds, or of the end.
    private func scan(from start: Int, until isEnd: (PLParser, Int) -> Bool) -> Int {
        var depth = 0, index = start
        while tokens[index].kind != .end {
            if depth == 0, isEnd(self, index) { return index }
            switch tokens[index].kind {
            case .leftParen, .leftBracket, .word("case", _): depth += 1
            case .rightParen, .rightBracket, .word("end", _): depth = max(0, depth - 1)
            default: break
            }
            index += 1
        }
        return index
    }
}
