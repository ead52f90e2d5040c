import VireoStorage

/// DECLARE, FETCH, MOVE and CLOSE (AST+Cursors.swift).
extension Parser {
    /// `DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR
    /// [{WITH | WITHOUT} HOLD] FOR query`.
    mutating func parseDeclareCursor() throws -> DeclareCursor {
        try expectWord("declare")
        let name = try parseIdentifier("a cursor name")
        _ = acceptWord("binary")
        if !acceptWord("asensitive") { _ = acceptWord("insensitive") }
        if acceptWord("no") { try expectWord("scroll") } else { _ = acceptWord("scroll") }
        try expectWord("cursor")
        let withHold = acceptKeyword(.with)
        if withHold || acceptKeyword(.without) { try expectWord("hold") }
        try expectKeyword(.for)
        guard peek().kind == .leftParen || [.select, .values, .with].contains(peek().keyword) else {
            throw unexpected("expected SELECT or VALUES after FOR")
        }
        return DeclareCursor(name: name, withHold: withHold, query: try parseQuery())
    }

    /// `FETCH [direction] [FROM | IN] name` or `MOVE …`.
    mutating func parseFetchCursor() throws -> FetchCursor {
        let isMove = !acceptKeyword(.fetch)
        if isMove { try expectWord("move") }
        let direction = try parseCursorDirection()
        if !acceptKeyword(.from) { _ = acceptKeyword(.in) }
        return FetchCursor(name: try parseIdentifier("a cursor name"), direction: direction, isMove: isMove)
    }

    /// NEXT, PRIOR, FIRST, LAST, ABSOLUTE n, RELATIVE n, n, ALL, FORWARD [n | ALL],
    /// BACKWARD [n | ALL]; NEXT when none is written.
    private mutating func parseCursorDirection() throws -> CursorDirection {
        if acceptWord("next") { return .forward(1) }
        if acceptWord("prior") { return .backward(1) }
        if acceptWord("first") { return .absolute(1) }
        if acceptWord("last") { return .absolute(-1) }
        if acceptWord("absolute") { return .absolute(try parseSignedInteger()) }
        if acceptWord("relative") { return .relative(try parseSignedInteger()) }
        if acceptKeyword(.all) { return .forward(nil) }
        if acceptWord("forward") { return .forward(try parseOptionalCursorCount()) }
        if acceptWord("backward") { return .backward(try parseOptionalCursorCount()) }
        if peekSignedInteger() { return .forward(try parseSignedInteger()) }
        return .forward(1)
    }

    /// A count, ALL (nil), or nothing (1).
    private mutating func parseOptionalCursorCount() throws -> Int64? {
        if acceptKeyword(.all) { return nil }
        return peekSignedInteger() ? try parseSignedInteger() : 1
    }

    /// Whether a possibly signed integer is next (a cursor's count, a sequence option's value).
    mutating func peekSignedInteger() -> Bool {
        if case .integer = peek().kind { return true }
        if case .op(let sign) = peek().kind, sign == "-" || sign == "+", case .integer = peek(1).kind { return true }
        return false
    }

    /// A possibly signed integer that fits in bigint; `what` names it in errors.
    mutating func parseSignedInteger(_ what: String = "a row count") throws -> Int64 {
        let negative = acceptOperator("-")
        if !negative { _ = acceptOperator("+") }
        guard case .integer(let digits) = peek().kind else { throw unexpected("expected \(what)") }
        guard let count = Int64((negative ? "-" : "") + digits) else { throw unexpected("expected \(what) that fits in bigint") }
        advance()
        return count
    }

    /// `CLOSE name | ALL`: nil for ALL.
    mutating func parseCloseCursor() throws -> String? {
        try expectWord("close")
        if acceptKeyword(.all) { return nil }
        return try parseIdentifier("a cursor name")
    }
}
