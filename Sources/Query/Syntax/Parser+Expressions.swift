import VireoStorage

/// Expressions by precedence climbing over PostgreSQL's precedence table (`Precedence`).
extension Parser {
    /// Parses an expression whose infix operators all bind at least as tightly as `minimum`.
    /// Each level of recursion counts toward `SyntaxLimits.nestingDepthMax`, and so does each
    /// postfix operator that wraps the tree once more (`::`, `IS NULL`, `AT TIME ZONE`); a run of
    /// left-associative binary operators of one level becomes one `.chain` node and does not,
    /// so the limit bounds the height of the tree returned, not the number of terms.
    mutating func parseExpression(minimum: Precedence = .or) throws -> SQLExpression {
        let savedDepth = depth
        defer { depth = savedDepth }
        try descend()
        var left = try parsePrefix()
        var links: [OperatorLink] = []
        var previous: Precedence?
        while let precedence = infixPrecedence(), precedence >= minimum {
            if precedence.isNonAssociative, previous == precedence {
                throw unexpected("this operator cannot follow another of the same precedence without parentheses")
            }
            if precedence != previous {
                left = .leftAssociated(left, links)
                links.removeAll()
            }
            if precedence.isChainable, let link = try parseChainLink(precedence) {
                links.append(link)
            } else {
                left = .leftAssociated(left, links)
                links.removeAll()
                try descend()
                left = try parseInfix(after: left, precedence)
            }
            previous = precedence
        }
        return .leftAssociated(left, links)
    }

    /// The next plain binary operator of a chainable level and its right operand, consumed;
    /// nil (nothing consumed) for the forms `parseInfix` handles (`OPERATOR(…)`, `COLLATE`,
    /// `op ANY (…)`, an unknown operator).
    private mutating func parseChainLink(_ precedence: Precedence) throws -> OperatorLink? {
        let op: BinaryOperator
        switch peek().kind {
        case .word(_, .and?): op = .and
        case .word(_, .or?): op = .or
        case .op(let spelling):
            guard let binary = BinaryOperator(spelling: spelling) else { return nil }
            let quantifier = peek(1).keyword
            if quantifier == .any || quantifier == .some || quantifier == .all, peek(2).kind == .leftParen { return nil }
            op = binary
        default: return nil
        }
        advance()
        return OperatorLink(op, try parseExpression(minimum: precedence.tighter))
    }

    /// Prefix `NOT`, `-`, `+` and `@`, or a primary. A minus sign straight before a number is
    /// folded into the literal (unless a `::` cast follows, which binds tighter).
    private mutating func parsePrefix() throws -> SQLExpression {
        if acceptKeyword(.not) {
            return .unary(.not, try parseExpression(minimum: .not))
        }
        if atOtherPrefix() { return try parseOtherPrefix() }
        guard case .op(let spelling) = peek().kind, spelling == "-" || spelling == "+" else {
            let primary = try parsePrimary()
            return peek().kind == .leftBracket ? try parseSubscripts(after: primary) : primary
        }
        advance()
        if spelling == "-", let literal = negativeNumber() { return .literal(literal) }
        let operand = try parseExpression(minimum: .unarySign)
        return .unary(spelling == "-" ? .minus : .plus, operand)
    }

    /// Whether a prefix `@`, `~`, `|/` or `||/` comes next: asked through a call, so that the
    /// token's temporaries live in this small frame, not in parsePrefix's, which every level pays for.
    @inline(never)
    private mutating func atOtherPrefix() -> Bool {
        guard case .op(let spelling) = peek().kind else { return false }
        return FunctionCall.prefixOperatorFunctions[spelling] != nil
    }

    /// A prefix operator other than a sign: as in PostgreSQL each takes everything that binds
    /// tighter than "any other operator" (`@ -5 + 1` is 4). Apart from parsePrefix, whose stack
    /// frame every level of nesting pays for.
    @inline(never)
    private mutating func parseOtherPrefix() throws -> SQLExpression {
        guard case .op(let spelling) = advance().kind, let name = FunctionCall.prefixOperatorFunctions[spelling] else {
            preconditionFailure("parseOtherPrefix called without atOtherPrefix")
        }
        var call = FunctionCall(name, [try parseExpression(minimum: Precedence.otherOperator.tighter)])
        call.isPrefixOperator = true
        return .function(call)
    }

    /// The next token as a negative literal, consumed, when it is a number not followed by `::`.
    private mutating func negativeNumber() -> Literal? {
        guard peek(1).kind != .doubleColon else { return nil }
        switch peek().kind {
        case .integer(let digits):
            advance()
            return Int64("-" + digits).map(Literal.integer) ?? .numeric("-" + digits)
        case .decimal(let text):
            advance()
            return .numeric("-" + text)
        default: return nil
        }
    }

    /// How tightly the next token binds as an infix or postfix operator; nil if it is none.
    private mutating func infixPrecedence() -> Precedence? {
        let token = peek()
        switch token.kind {
        case .doubleColon: return .typeCast
        case .op(let spelling): return BinaryOperator(spelling: spelling)?.precedence ?? .otherOperator
        // `OPERATOR(pg_catalog.~)` binds as "any other operator" does, whatever the operator.
        case .word("operator", nil) where peek(1).kind == .leftParen: return .otherOperator
        case .word(_, .collate?): return .typeCast
        // `x AT TIME ZONE z` binds just looser than a sign, as in PostgreSQL.
        case .word("at", nil) where peek(1).keyword == .time && peek(2).keyword == .zone: return .unarySign
        case .word(_, let keyword?):
            switch keyword {
            case .or: return .or
            case .and: return .and
            case .is, .isnull, .notnull: return .isTest
            case .in, .between, .like, .ilike: return .patternMatch
            case .similar where peek(1).keyword == .to: return .patternMatch
            case .not: return isPatternKeyword(peek(1).keyword) || (peek(1).keyword == .similar && peek(2).keyword == .to) ? .patternMatch : nil
            default: return nil
            }
        default: return nil
        }
    }

    private func isPatternKeyword(_ keyword: Keyword?) -> Bool {
        keyword == .in || keyword == .between || keyword == .like || keyword == .ilike
    }

    private mutating func parseInfix(after left: SQLExpression, _ precedence: Precedence) throws -> SQLExpression {
        let token = advance()
        switch token.kind {
        case .doubleColon:
            return .cast(left, try parseTypeName())
        case .op(let spelling):
            guard let binary = BinaryOperator(spelling: spelling) else {
                throw VireoError(.featureNotSupported, "operator does not exist: \(spelling)", position: token.start)
            }
            return try parseOperand(of: binary, after: left, precedence)
        case .word("operator", nil):
            return try parseOperand(of: try parseOperatorName(), after: left, precedence)
        case .word(_, .collate?):
            try parseCollationName()
            return left
        case .word("at", nil):
            advance()
            advance()
            // PostgreSQL's own reading: `x AT TIME ZONE z` is timezone(z, x).
            return .function(FunctionCall("timezone", [try parseExpression(minimum: precedence.tighter), left]))
        default:
            return try parseKeywordInfix(token.keyword, after: left, precedence)
        }
    }

    private mutating func parseKeywordInfix(_ keyword: Keyword?, after left: SQLExpression, _ precedence: Precedence) throws -> SQLExpression {
        switch keyword {
        case .is?: return try parseIsTest(after: left)
        case .isnull?: return .isNull(left, negated: false)
        case .notnull?: return .isNull(left, negated: true)
        case .not?: return try parsePatternMatch(after: left, negated: true, keyword: advance().keyword)
        default: return try parsePatternMatch(after: left, negated: false, keyword: keyword)
        }
    }

    /// The right operand of `op`: an expression, or `ANY | SOME | ALL ( array or query )`.
    private mutating func parseOperand(of op: BinaryOperator, after left: SQLExpression, _ precedence: Precedence) throws -> SQLExpression {
        let quantifier = peek().keyword
        guard quantifier == .any || quantifier == .some || quantifier == .all, peek(1).kind == .leftParen else {
            return .binary(op, left, try parseExpression(minimum: precedence.tighter))
        }
        advance()
        advance()
        let source: QuantifiedOperand = startsQuery() ? .subquery(try parseQuery()) : .array(try parseExpression())
        try expect(.rightParen, ")")
        return .quantified(op, left, source, all: quantifier == .all)
    }

    /// `OPERATOR ( [schema .] op )`, the `OPERATOR` word already consumed: the operator, which
    /// must be one Vireo knows (pg_catalog and public are the only schemas).
    private mutating func parseOperatorName() throws -> BinaryOperator {
        try expect(.leftParen, "(")
        if case .word(let schema, _) = peek().kind, peek(1).kind == .dot {
            guard schema == "pg_catalog" || schema == "public" else { throw unexpected("schema \"\(schema)\" does not exist") }
            advance()
            advance()
        }
        let token = advance()
        guard case .op(let spelling) = token.kind, let op = BinaryOperator(spelling: spelling) else {
            throw VireoError(.undefinedFunction, "operator does not exist: \(token.kind)", position: token.start)
        }
        try expect(.rightParen, ")")
        return op
    }

    /// `COLLATE name` (the keyword consumed): Vireo compares text by its bytes, as the "C"
    /// collation does, so only the collations that mean that are accepted.
    private mutating func parseCollationName() throws {
        let start = peek().start
        var name = ""
        repeat {
            switch advance().kind {
            case .word(let word, _): name += word
            case .quotedIdentifier(let word): name += word
            default: throw unexpected("expected a collation name")
            }
        } while accept(.dot) && { name += "."; return true }()
        let known = ["default", "c", "posix", "ucs_basic", "pg_catalog.default", "pg_catalog.c", "pg_catalog.posix", "pg_catalog.ucs_basic"]
        guard known.contains(name.lowercased()) else {
            throw VireoError(.undefinedObject, "collation \"\(name)\" for encoding \"UTF8\" does not exist", position: start)
        }
    }

    /// After `IS`: `[NOT] NULL | TRUE | FALSE | UNKNOWN | DISTINCT FROM expr`.
    private mutating func parseIsTest(after left: SQLExpression) throws -> SQLExpression {
        let negated = acceptKeyword(.not)
        if acceptKeyword(.null) { return .isNull(left, negated: negated) }
        if acceptKeyword(.true) { return .isBoolean(left, value: true, negated: negated) }
        if acceptKeyword(.false) { return .isBoolean(left, value: false, negated: negated) }
        if case .word("unknown", nil) = peek().kind {
            advance()
            return .isNull(left, negated: negated)
        }
        if acceptKeywords(.distinct, .from) {
            let right = try parseExpression(minimum: Precedence.isTest.tighter)
            return .isDistinctFrom(left, right, negated: negated)
        }
        throw unexpected("expected NULL, TRUE, FALSE or DISTINCT FROM after IS")
    }

    /// After `[NOT] IN | BETWEEN | LIKE | ILIKE` (the keyword already consumed). Operands bind
    /// tighter than the pattern level, so `x BETWEEN 1 AND 2 AND y` ends the range at `2`.
    private mutating func parsePatternMatch(after left: SQLExpression, negated: Bool, keyword: Keyword?) throws -> SQLExpression {
        let operandLevel = Precedence.patternMatch.tighter
        switch keyword {
        case .in?: return try parseInList(after: left, negated: negated)
        case .between?:
            let symmetric = acceptKeyword(.symmetric)
            if !symmetric { _ = acceptKeyword(.asymmetric) }  // the default, as PostgreSQL reads it
            let lower = try parseExpression(minimum: operandLevel)
            try expectKeyword(.and)
            let upper = try parseExpression(minimum: operandLevel)
            return .between(left, lower: lower, upper: upper, negated: negated, symmetric: symmetric)
        case .like?, .ilike?:
            if let quantified = try parseQuantifiedLike(after: left, negated: negated, caseInsensitive: keyword == .ilike) {
                return quantified
            }
            let pattern = try parseExpression(minimum: operandLevel)
            let escape = acceptKeyword(.escape) ? try parseExpression(minimum: operandLevel) : nil
            return .like(left, pattern: pattern, escape: escape, caseInsensitive: keyword == .ilike, negated: negated)
        case .similar?:
            return try parseSimilarTo(after: left, negated: negated)
        default:
            throw unexpected("expected IN, BETWEEN, LIKE, ILIKE or SIMILAR TO")
        }
    }

    /// After `[NOT] LIKE | ILIKE`: `ANY | SOME | ALL ( array or query )`, as PostgreSQL's
    /// `~~ ANY (…)` (no ESCAPE there); nil, nothing consumed, for a plain pattern.
    @inline(never)
    private mutating func parseQuantifiedLike(after left: SQLExpression, negated: Bool, caseInsensitive: Bool) throws -> SQLExpression? {
        let quantifier = peek().keyword
        guard quantifier == .any || quantifier == .some || quantifier == .all, peek(1).kind == .leftParen else { return nil }
        let op: BinaryOperator = caseInsensitive ? (negated ? .notILike : .iLike) : (negated ? .notLike : .like)
        return try parseOperand(of: op, after: left, .patternMatch)
    }

    /// After `[NOT] SIMILAR`: PostgreSQL's own reading of `a SIMILAR TO p [ESCAPE e]`, which
    /// is `a ~ similar_to_escape(p [, e])` (`!~` for NOT).
    @inline(never)
    private mutating func parseSimilarTo(after left: SQLExpression, negated: Bool) throws -> SQLExpression {
        let operandLevel = Precedence.patternMatch.tighter
        try expectKeyword(.to)
        let pattern = try parseExpression(minimum: operandLevel)
        let escape = acceptKeyword(.escape) ? try parseExpression(minimum: operandLevel) : nil
        let regex = SQLExpression.function(FunctionCall("similar_to_escape", [pattern] + (escape.map { [$0] } ?? [])))
        return .binary(negated ? .regexNotMatch : .regexMatch, left, regex)
    }

    /// `( SELECT … )` or `( expr, … )`.
    private mutating func parseInList(after left: SQLExpression, negated: Bool) throws -> SQLExpression {
        try expect(.leftParen, "(")
        if startsQuery() {
            let query = try parseQuery()
            try expect(.rightParen, ")")
            return .inSubquery(left, query, negated: negated)
        }
        let list = try commaSeparated { try $0.parseExpression() }
        try expect(.rightParen, ")")
        return .inList(left, list, negated: negated)
    }

    /// Whether the next token begins a query (`SELECT`, or `WITH` to report it unsupported).
    mutating func startsQuery() -> Bool {
        peekKeyword(.select) || peekKeyword(.with) || peekKeyword(.values) || peekKeyword(.table)
    }
}

extension Precedence {
    /// The next tighter level: right operands of left-associative operators are parsed there.
    var tighter: Precedence { Precedence(rawValue: rawValue + 1) ?? .primary }
}
