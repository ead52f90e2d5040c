import VireoStorage

/// The SQL-standard call syntaxes with keywords between the arguments, rewritten to plain
/// calls as PostgreSQL does:
///
/// - `substring(s FROM a [FOR n])`, `substring(s FOR n)` → `substring(s, a [, n])`
/// - `trim([LEADING | TRAILING | BOTH] [chars] FROM s)` → `ltrim` / `rtrim` / `btrim(s [, chars])`
/// - `position(a IN s)` → `strpos(s, a)`
/// - `extract(field FROM t)` → `extract('field', t)`
/// - `overlay(s PLACING r FROM a [FOR n])` → `overlay(s, r, a [, n])`
extension Parser {
    /// Parses the arguments of `name(` when `name` has a special syntax and the input uses it;
    /// nil (nothing consumed) otherwise. The opening parenthesis is already consumed.
    mutating func parseSpecialCall(_ name: String) throws -> FunctionCall? {
        switch name {
        case "trim": return try parseTrim()
        case "extract": return try parseExtract()
        // `f(VARIADIC array)`, checked here to keep parseFunctionCall's frame (one a nesting level) small.
        case _ where peekKeyword(.variadic): return try parseVariadicArgument(name)
        default: return nil
        }
    }

    /// After the first argument of `substring(` or `position(`: the keyword form, or nil.
    mutating func parseSpecialTail(_ name: String, first: SQLExpression) throws -> FunctionCall? {
        if name == "substring", peekKeyword(.from) || peekKeyword(.for) {
            let start = acceptKeyword(.from) ? try parseExpression() : SQLExpression.literal(.integer(1))
            guard acceptKeyword(.for) else { return FunctionCall("substring", [first, start]) }
            return FunctionCall("substring", [first, start, try parseExpression()])
        }
        if name == "position", acceptKeyword(.in) {
            let haystack = try parseExpression(minimum: Precedence.patternMatch.tighter)
            // strpos's arguments, under the name PostgreSQL gives the result column.
            return FunctionCall("position", [haystack, first])
        }
        if name == "overlay", acceptKeyword(.placing) { return try parseOverlayTail(first) }
        return nil
    }

    /// `overlay(s PLACING r FROM a [FOR n])` after `PLACING`.
    @inline(never)
    private mutating func parseOverlayTail(_ first: SQLExpression) throws -> FunctionCall {
        let replacement = try parseExpression()
        try expectKeyword(.from)
        let start = try parseExpression()
        guard acceptKeyword(.for) else { return FunctionCall("overlay", [first, replacement, start]) }
        return FunctionCall("overlay", [first, replacement, start, try parseExpression()])
    }

    /// The precedence at which the first argument of `name(` is parsed: `position(a IN b)`
    /// must not read `a IN b` as a membership test.
    func firstArgumentMinimum(_ name: String) -> Precedence {
        name == "position" ? Precedence.patternMatch.tighter : .or
    }

    /// `trim([LEADING | TRAILING | BOTH] [chars] FROM s)`; plain `trim(s [, chars])` is left
    /// to the ordinary call syntax.
    private mutating func parseTrim() throws -> FunctionCall? {
        let side: String
        switch peek().keyword {
        case .leading?: side = "ltrim"
        case .trailing?: side = "rtrim"
        case .both?: side = "btrim"
        default:
            if peekKeyword(.from) { side = "btrim" } else { return try parseTrimWithoutSide() }
        }
        if peek().keyword != .from { advance() }
        if acceptKeyword(.from) { return FunctionCall(side, try commaSeparated { try $0.parseExpression() }) }
        let arguments = try commaSeparated { try $0.parseExpression() }
        guard arguments.count == 1, acceptKeyword(.from) else { return FunctionCall(side, arguments) }
        return FunctionCall(side, [try parseExpression(), arguments[0]])
    }

    /// `trim(chars FROM s)` → `btrim(s, chars)`; nil for `trim(s …)` after restoring nothing
    /// (the caller parses ordinary arguments; this only looks ahead).
    private mutating func parseTrimWithoutSide() throws -> FunctionCall? {
        guard containsFromBeforeClose() else { return nil }
        let characters = try parseExpression()
        try expectKeyword(.from)
        return FunctionCall("btrim", [try parseExpression(), characters])
    }

    /// `extract(field FROM source)`; the field is a word or a string.
    private mutating func parseExtract() throws -> FunctionCall? {
        let field: String
        switch peek().kind {
        case .word(let word, _) where peekKeyword(.from, at: 1): field = word
        case .string(let text) where peekKeyword(.from, at: 1): field = text
        default: return nil
        }
        advance()
        advance()
        return FunctionCall("extract", [.literal(.string(field)), try parseExpression()])
    }

    /// Whether a FROM keyword comes before the call's closing parenthesis, looking ahead over
    /// balanced parentheses (bounded by the lookahead it needs, never past the input's end).
    private mutating func containsFromBeforeClose() -> Bool {
        var nesting = 0
        var offset = 0
        while true {
            let token = peek(offset)
            switch token.kind {
            case .end, .error, .semicolon: return false
            case .leftParen, .leftBracket: nesting += 1
            case .rightParen, .rightBracket:
                if nesting == 0 { return false }
                nesting -= 1
            case .word(_, .from?) where nesting == 0: return true
            default: break
            }
            offset += 1
        }
    }
}

extension Parser {
    /// `(start, end) OVERLAPS (start, end)` after its left row, as the call
    /// `overlaps(start, end, start, end)` (PostgreSQL parses it so); `left` as it is when
    /// OVERLAPS does not follow.
    /// A parenthesised expression, row or subquery, and OVERLAPS when it follows. Not inlined,
    /// as `parseOverlaps` is not: their locals would grow `parsePrimary`'s frame, which every
    /// level of nesting adds to the stack.
    @inline(never)
    mutating func parseParenthesizedOrOverlaps() throws -> SQLExpression {
        try parseOverlaps(after: parseIndirection(after: parseParenthesized()))
    }

    /// Field selections and subscripts after a parenthesised expression, as PostgreSQL's
    /// `'(' a_expr ')' opt_indirection`: `(f(x)).n`, `(t).col[1]`, `(r).a.b`. `.*` is left
    /// for the select list (parseQualifiedWildcard).
    @inline(never)
    private mutating func parseIndirection(after parenthesized: SQLExpression) throws -> SQLExpression {
        var expression = parenthesized
        while true {
            if peek().kind == .leftBracket {
                expression = try parseSubscripts(after: expression)
            } else if peek().kind == .dot, !peek(1).isOperator("*") {
                advance()
                expression = .field(expression, try parseLabel())
            } else {
                return expression
            }
        }
    }

    /// `ROW (…)`, and OVERLAPS when it follows.
    @inline(never)
    mutating func parseRowOrOverlaps() throws -> SQLExpression {
        try parseOverlaps(after: parseRowConstructor())
    }

    @inline(never)
    mutating func parseOverlaps(after left: SQLExpression) throws -> SQLExpression {
        guard peekWord("overlaps") else { return left }
        let word = peek()
        advance()
        let right = try parsePrimary()
        guard case .row(let leftItems) = left, leftItems.count == 2 else {
            throw VireoError(.syntaxError, "wrong number of parameters on left side of OVERLAPS expression", position: word.start)
        }
        guard case .row(let rightItems) = right, rightItems.count == 2 else {
            throw VireoError(.syntaxError, "wrong number of parameters on right side of OVERLAPS expression", position: word.start)
        }
        return .function(FunctionCall("overlaps", leftItems + rightItems))
    }
}
