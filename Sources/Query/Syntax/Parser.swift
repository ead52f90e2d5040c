import VireoStorage

/// A hand-written recursive-descent parser for Vireo's SQL (grammar/vireo.ebnf), with
/// precedence climbing for expressions.
///
/// Errors are `VireoError(.syntaxError, …)` whose message reads like PostgreSQL's
/// (`syntax error at or near "FROM": expected an expression`, `syntax error at end of input`)
/// and whose `position` is the byte offset of the offending token in the text given.
/// Limits (`SyntaxLimits`) raise `.limitExceeded`. No input makes the parser trap or hang.
public struct Parser {
    var lexer: Lexer
    /// Tokens read but not consumed yet, from `lookaheadStart` on. Usually a few; the
    /// `trim(… FROM …)` check may look further, so consuming is O(1) rather than `removeFirst`.
    var lookahead: [Token] = []
    var lookaheadStart = 0
    /// End offset of the last consumed token.
    var lastEnd = 0
    /// Current nesting depth (see `SyntaxLimits.nestingDepthMax`).
    var depth = 0
    /// Highest `$n` seen in the current statement.
    var parameterCountMax = 0
    /// Whether the statement has a `FOR UPDATE …` clause anywhere (it then runs as a write).
    var hasLockingClause = false
    /// The table of `SELECT … INTO name`: the statement is then CREATE TABLE AS.
    var selectInto: TableName?
    /// Where the stack stood when parsing began, and the guard made from it once nesting
    /// gets deep (see `StackGuard`).
    let entryStackAddress: UInt
    var stackGuard: StackGuard?

    init(_ text: String) {
        lexer = Lexer(text)
        entryStackAddress = currentStackAddress()
    }

    // MARK: - Entry points

    /// Parses statements separated by `;` (empty statements are skipped). The whole text is
    /// parsed before anything is returned, so a syntax error anywhere returns no statement.
    public static func parseScript(_ text: String) throws -> [Statement] {
        var parser = try Parser(checking: text)
        var statements: [Statement] = []
        while true {
            while parser.accept(.semicolon) {}
            if parser.peek().kind == .end { return statements }
            statements.append(try parser.parseStatementWithSource())
            if parser.peek().kind != .semicolon, parser.peek().kind != .end {
                throw parser.unexpected("expected ';' or end of input")
            }
        }
    }

    /// Parses exactly one statement, with or without a trailing `;`.
    public static func parseStatement(_ text: String) throws -> Statement {
        var parser = try Parser(checking: text)
        if parser.peek().kind == .end || parser.peek().kind == .semicolon {
            throw parser.unexpected("expected a statement")
        }
        let statement = try parser.parseStatementWithSource()
        _ = parser.accept(.semicolon)
        if parser.peek().kind != .end { throw parser.unexpected("expected a single statement") }
        return statement
    }

    /// Parses a lone type name (`int4`, `varchar(10)`, `"char"`, `text[]`).
    public static func parseTypeName(_ text: String) throws -> TypeName {
        var parser = try Parser(checking: text)
        let typeName = try parser.parseTypeName()
        if parser.peek().kind != .end { throw parser.unexpected("expected end of type name") }
        return typeName
    }

    /// Parses a lone expression (a stored DEFAULT, a REST filter, a test).
    public static func parseExpression(_ text: String) throws -> SQLExpression {
        var parser = try Parser(checking: text)
        let expression = try parser.parseExpression()
        if parser.peek().kind != .end { throw parser.unexpected("expected end of expression") }
        return expression
    }

    private init(checking text: String) throws {
        guard text.utf8.count <= SyntaxLimits.textLengthBytesMax else {
            throw VireoError(.limitExceeded, "statement text of \(text.utf8.count) bytes exceeds the limit of \(SyntaxLimits.textLengthBytesMax) bytes", position: 0)
        }
        self.init(text)
    }

    private mutating func parseStatementWithSource() throws -> Statement {
        parameterCountMax = 0
        depth = 0
        hasLockingClause = false
        selectInto = nil
        let start = peek().start
        var body = try parseStatementBody()
        if let into = selectInto {
            guard case .select(let query) = body, !hasLockingClause else {
                throw VireoError(.syntaxError, "SELECT ... INTO is not allowed here", position: start)
            }
            body = .createTableAs(CreateTableAs(name: into, query: query))
        }
        // A query that locks rows runs as a write, in a transaction that owns the locks.
        if hasLockingClause, case .select(let query) = body { body = .selectChangingData(query) }
        let range = start..<max(start, lastEnd)
        let text = String(decoding: lexer.bytes[range], as: UTF8.self)
        return Statement(body: body, sourceRange: range, sourceText: text, parameterCount: parameterCountMax)
    }

    // MARK: - Tokens

    /// The token `offset` places ahead, without consuming anything.
    @inline(__always)
    mutating func peek(_ offset: Int = 0) -> Token {
        if lookahead.count - lookaheadStart <= offset { fillLookahead(through: offset) }
        return lookahead[lookaheadStart + offset]
    }

    /// Whether the token `offset` places ahead is `kind`, without copying the token.
    @inline(__always)
    mutating func peekIs(_ kind: TokenKind, at offset: Int = 0) -> Bool {
        if lookahead.count - lookaheadStart <= offset { fillLookahead(through: offset) }
        return lookahead[lookaheadStart + offset].kind == kind
    }

    @inline(never)
    private mutating func fillLookahead(through offset: Int) {
        while lookahead.count - lookaheadStart <= offset { lookahead.append(lexer.next()) }
    }

    /// Consumes and returns the next token.
    @discardableResult
    mutating func advance() -> Token {
        let token = peek()
        lastEnd = token.end
        guard token.kind != .end else { return token }
        consumeLookahead()
        return token
    }

    /// Consumes the next token, as `advance()` does, without handing out a copy of it.
    mutating func skip() {
        if lookahead.count == lookaheadStart { fillLookahead(through: 0) }
        lastEnd = lookahead[lookaheadStart].end
        if case .end = lookahead[lookaheadStart].kind { return }
        consumeLookahead()
    }

    /// Drops the token at `lookaheadStart`, emptying the buffer once all are consumed:
    /// most times it holds a token or two, dropped one by one rather than through
    /// `removeAll(keepingCapacity:)`'s general range replacement (a bulk INSERT consumes
    /// tens of thousands of tokens).
    @inline(__always)
    private mutating func consumeLookahead() {
        lookaheadStart += 1
        guard lookaheadStart == lookahead.count else { return }
        if lookaheadStart <= 4 {
            repeat { lookahead.removeLast() } while !lookahead.isEmpty
        } else {
            lookahead.removeAll(keepingCapacity: true)
        }
        lookaheadStart = 0
    }

    mutating func peekKeyword(_ keyword: Keyword, at offset: Int = 0) -> Bool {
        if lookahead.count - lookaheadStart <= offset { fillLookahead(through: offset) }
        guard case .word(_, let found?) = lookahead[lookaheadStart + offset].kind else { return false }
        return found == keyword
    }

    /// Consumes the keyword if it is next.
    mutating func acceptKeyword(_ keyword: Keyword) -> Bool {
        guard peekKeyword(keyword) else { return false }
        skip()
        return true
    }

    /// Consumes keywords if they are all next, in order; consumes nothing otherwise.
    mutating func acceptKeywords(_ keywords: Keyword...) -> Bool {
        for (offset, keyword) in keywords.enumerated() where !peekKeyword(keyword, at: offset) { return false }
        for _ in keywords { advance() }
        return true
    }

    mutating func expectKeyword(_ keyword: Keyword) throws {
        guard acceptKeyword(keyword) else { throw unexpected("expected \(keyword.rawValue.uppercased())") }
    }

    mutating func accept(_ kind: TokenKind) -> Bool {
        guard peekIs(kind) else { return false }
        skip()
        return true
    }

    mutating func expect(_ kind: TokenKind, _ spelling: String) throws {
        guard accept(kind) else { throw unexpected("expected '\(spelling)'") }
    }

    mutating func acceptOperator(_ spelling: String) -> Bool {
        accept(.op(spelling))
    }

    // MARK: - Errors and limits

    /// The error for the next token: the lexer's own error if the token is one, otherwise
    /// PostgreSQL's wording followed by what was expected.
    mutating func unexpected(_ expected: String) -> VireoError {
        syntaxError(at: peek(), expected)
    }

    func syntaxError(at token: Token, _ expected: String) -> VireoError {
        switch token.kind {
        case .error(let error): return error
        case .end: return VireoError(.syntaxError, "syntax error at end of input: \(expected)", position: token.start)
        default:
            let near = lexer.displayText(from: token.start, length: token.end - token.start)
            return VireoError(.syntaxError, "syntax error at or near \"\(near)\": \(expected)", position: token.start)
        }
    }

    /// Goes one level deeper, throwing past `SyntaxLimits.nestingDepthMax`. Callers save
    /// `depth` and restore it when they return.
    mutating func descend() throws {
        depth += 1
        guard depth <= SyntaxLimits.nestingDepthMax else {
            throw VireoError(.limitExceeded, "statement nesting is deeper than the limit of \(SyntaxLimits.nestingDepthMax) levels", position: peek().start)
        }
        guard depth >= StackGuard.checkDepthMin else { return }
        if stackGuard == nil { stackGuard = StackGuard(entryAddress: entryStackAddress) }
        if stackGuard?.hasRoom() == false {
            throw VireoError(.limitExceeded, "statement nesting is deeper than this thread's stack allows (\(depth) levels)", position: peek().start)
        }
    }

    // MARK: - Names and lists

    /// A name: an unquoted word that is not reserved, or a quoted identifier.
    mutating func parseIdentifier(_ what: String = "a name") throws -> String {
        guard let name = identifier(peek()) else { throw unexpected("expected \(what)") }
        advance()
        return name
    }

    /// The name a token spells, if it can be a name.
    func identifier(_ token: Token) -> String? {
        switch token.kind {
        case .word(let name, let keyword) where !(keyword?.isReserved ?? false): name
        case .quotedIdentifier(let name): name
        default: nil
        }
    }

    /// A column label after AS: any word, reserved ones included, or a quoted identifier.
    mutating func parseLabel() throws -> String {
        switch peek().kind {
        case .word(let name, _), .quotedIdentifier(let name):
            advance()
            return name
        default: throw unexpected("expected a name")
        }
    }

    /// `[schema.]name`.
    mutating func parseTableName(_ what: String = "a table name") throws -> TableName {
        let first = try parseIdentifier(what)
        guard accept(.dot) else { return TableName(first) }
        return TableName(schema: first, try parseIdentifier(what))
    }

    /// `element [, element …]`.
    /// `reserving`: how many elements to make room for at once, when the caller expects as
    /// many as a list before (each row of a VALUES list grew its array one step at a time).
    mutating func commaSeparated<Element>(reserving capacity: Int = 0,
                                          _ parseElement: (inout Parser) throws -> Element) throws -> [Element] {
        var elements: [Element] = []
        elements.reserveCapacity(capacity)
        elements.append(try parseElement(&self))
        while accept(.comma) { elements.append(try parseElement(&self)) }
        return elements
    }

    /// `( name [, name …] )`.
    mutating func parseParenthesizedNames() throws -> [String] {
        try expect(.leftParen, "(")
        let names = try commaSeparated { try $0.parseIdentifier("a column name") }
        try expect(.rightParen, ")")
        return names
    }

    /// An optional alias: `AS label` or a bare name (never a reserved word).
    mutating func parseOptionalAlias() throws -> String? {
        if acceptKeyword(.as) { return try parseLabel() }
        guard let name = identifier(peek()) else { return nil }
        advance()
        return name
    }

    /// `CASCADE` → true, `RESTRICT` or nothing → false.
    mutating func parseDropBehavior() -> Bool {
        if acceptKeyword(.cascade) { return true }
        _ = acceptKeyword(.restrict)
        return false
    }
}
