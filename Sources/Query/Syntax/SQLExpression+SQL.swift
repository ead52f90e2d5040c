/// Canonical SQL for expressions. Parentheses are added exactly where precedence needs them,
/// so `Parser.parseExpression(e.sql) == e` for every tree the parser returns.

extension SQLExpression {
    /// The expression as canonical SQL (`CAST(x AS t)` for casts, `<>` for `!=`).
    public var sql: String {
        switch self {
        case .literal(let literal): literal.sql
        case .column(let reference): reference.sql
        case .parameter(let number): "$\(number)"
        case .unary(let op, let operand): Self.renderUnary(op, operand)
        case .binary(let op, let left, let right): Self.renderChain(left, [OperatorLink(op, right)])
        case .chain(let first, let links): Self.renderChain(first, links)
        case .isNull(let operand, let negated):
            operand.operand(parenthesizedAtOrBelow: .isTest) + (negated ? " IS NOT NULL" : " IS NULL")
        case .isBoolean(let operand, let value, let negated):
            operand.operand(parenthesizedAtOrBelow: .isTest) + (negated ? " IS NOT " : " IS ") + (value ? "TRUE" : "FALSE")
        case .isDistinctFrom(let left, let right, let negated):
            left.operand(parenthesizedAtOrBelow: .isTest) + (negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ")
                + right.operand(parenthesizedAtOrBelow: .isTest)
        case .inList(let operand, let list, let negated):
            operand.operand(parenthesizedAtOrBelow: .patternMatch) + (negated ? " NOT IN (" : " IN (")
                + list.map(\.sql).joined(separator: ", ") + ")"
        case .inSubquery(let operand, let query, let negated):
            operand.operand(parenthesizedAtOrBelow: .patternMatch) + (negated ? " NOT IN (" : " IN (") + query.sql + ")"
        case .between(let operand, let lower, let upper, let negated, let symmetric):
            operand.operand(parenthesizedAtOrBelow: .patternMatch) + (negated ? " NOT BETWEEN " : " BETWEEN ") + (symmetric ? "SYMMETRIC " : "")
                + lower.operand(parenthesizedAtOrBelow: .patternMatch) + " AND " + upper.operand(parenthesizedAtOrBelow: .patternMatch)
        case .like(let operand, let pattern, let escape, let caseInsensitive, let negated):
            Self.renderLike(operand, pattern, escape, caseInsensitive: caseInsensitive, negated: negated)
        case .exists(let query): "EXISTS (" + query.sql + ")"
        case .subquery(let query): "(" + query.sql + ")"
        case .cast(let operand, let type): "CAST(" + operand.sql + " AS " + type.sql + ")"
        case .function(let call): call.sql
        case .caseWhen(let caseExpression): caseExpression.sql
        case .array(let elements): "ARRAY[" + elements.map(\.sql).joined(separator: ", ") + "]"
        case .arraySubquery(let query): "ARRAY(" + query.sql + ")"
        case .row(let elements): "ROW(" + elements.map(\.sql).joined(separator: ", ") + ")"
        case .field(let record, let name): "(" + record.sql + ")." + ColumnReference(name).sql
        case .subscripted(let array, let lower, let upper, let isSlice):
            (array.precedence < .primary || array.isSubscriptable == false ? "(" + array.sql + ")" : array.sql)
                + "[" + (lower?.sql ?? "") + (isSlice ? ":" + (upper?.sql ?? "") : "") + "]"
        case .quantified(let op, let operand, let source, let all):
            operand.operand(parenthesizedAtOrBelow: op.precedence) + " " + op.rawValue + (all ? " ALL (" : " ANY (")
                + source.sql + ")"
        }
    }

    /// Whether `[…]` may follow the expression's SQL without parentheses (a name, a call, an
    /// ARRAY constructor or another subscript; not a literal or a cast).
    var isSubscriptable: Bool {
        switch self {
        case .column, .function, .array, .arraySubquery, .subscripted, .parameter, .field: true
        default: false
        }
    }

    /// How tightly the expression's outermost operator binds, for deciding on parentheses.
    var precedence: Precedence {
        switch self {
        case .literal(.integer(let value)) where value < 0: .unarySign
        case .literal(.numeric(let text)) where text.hasPrefix("-"): .unarySign
        case .unary(let op, _): op.precedence
        case .binary(let op, _, _): op.precedence
        case .chain(_, let links): links[0].op.precedence
        case .isNull, .isBoolean, .isDistinctFrom: .isTest
        case .inList, .inSubquery, .between, .like: .patternMatch
        case .quantified(let op, _, _, _): op.precedence
        default: .primary
        }
    }

    /// This expression's SQL, parenthesised if its operator binds at or below `level`.
    func operand(parenthesizedAtOrBelow level: Precedence) -> String {
        precedence <= level ? "(" + sql + ")" : sql
    }

    private static func renderUnary(_ op: UnaryOperator, _ operand: SQLExpression) -> String {
        if op == .not { return "NOT " + (operand.precedence < .not ? "(" + operand.sql + ")" : operand.sql) }
        var text = operand.precedence < .unarySign ? "(" + operand.sql + ")" : operand.sql
        if case .literal(.integer) = operand { text = "(" + text + ")" }
        if case .literal(.numeric) = operand { text = "(" + text + ")" }
        if text.hasPrefix("-") || text.hasPrefix("+") { text = "(" + text + ")" }
        return op.rawValue + text
    }

    /// `first op operand op operand …`. The parser folds a run of one level's operators into a
    /// single node, so a first operand of that level was parenthesised (and is again), as is
    /// one of a non-associative level.
    private static func renderChain(_ first: SQLExpression, _ links: [OperatorLink]) -> String {
        let level = links[0].op.precedence
        let groupsFirst = first.precedence < level || (first.precedence == level && (level.isNonAssociative || level.isChainable))
        var text = groupsFirst ? "(" + first.sql + ")" : first.sql
        for link in links { text += " " + link.op.rawValue + " " + link.operand.operand(parenthesizedAtOrBelow: level) }
        return text
    }

    private static func renderLike(_ operand: SQLExpression, _ pattern: SQLExpression, _ escape: SQLExpression?,
                                   caseInsensitive: Bool, negated: Bool) -> String {
        let keyword = (negated ? " NOT " : " ") + (caseInsensitive ? "ILIKE " : "LIKE ")
        var text = operand.operand(parenthesizedAtOrBelow: .patternMatch) + keyword + pattern.operand(parenthesizedAtOrBelow: .patternMatch)
        if let escape { text += " ESCAPE " + escape.operand(parenthesizedAtOrBelow: .patternMatch) }
        return text
    }
}

extension Literal {
    /// The literal as SQL: `NULL`, `TRUE`, `42`, `1.5e3`, `'it''s'`.
    public var sql: String {
        switch self {
        case .null: "NULL"
        case .boolean(let value): value ? "TRUE" : "FALSE"
        case .integer(let value): String(value)
        case .numeric(let text): text
        case .string(let value): quoteString(value)
        }
    }
}

extension ColumnReference {
    /// `column` or `table.column`, quoted where needed.
    public var sql: String {
        (table.map { quoteIdentifier($0) + "." } ?? "") + quoteIdentifier(column)
    }
}

extension FunctionCall {
    /// `name(args)`, `count(*)`, `count(DISTINCT x)`, or `CURRENT_TIMESTAMP` and friends.
    public var sql: String {
        if arguments.isEmpty, !star, !distinct, filter == nil, over == nil, withinGroup.isEmpty, FunctionCall.bareKeywords.contains(name) {
            return name.uppercased()
        }
        // A prefix operator parses as a call (Parser+Expressions.swift) and prints as the operator.
        if isPrefixOperator, arguments.count == 1,
           let spelling = FunctionCall.prefixOperatorFunctions.first(where: { $0.value == name })?.key {
            return spelling + "(" + arguments[0].sql + ")"
        }
        let quotedName = Keyword.byName[name] != nil ? "\"" + name + "\"" : quoteIdentifier(name)
        let order = orderBy.isEmpty ? "" : " ORDER BY " + orderBy.map(\.sql).joined(separator: ", ")
        let argumentList = arguments.enumerated().map { index, argument in
            (index < argumentNames.count ? argumentNames[index].map { quoteIdentifier($0) + " => " } ?? "" : "")
                + (variadic ? "VARIADIC " : "") + argument.sql
        }
        var text = quotedName + (star ? "(*)" : "(" + (distinct ? "DISTINCT " : "") + argumentList.joined(separator: ", ") + order + ")")
        if !withinGroup.isEmpty { text += " WITHIN GROUP (ORDER BY " + withinGroup.map(\.sql).joined(separator: ", ") + ")" }
        if let filter { text += " FILTER (WHERE " + filter.sql + ")" }
        if let over {
            let bare = over.name != nil && over.partitionBy.isEmpty && over.orderBy.isEmpty && over.frame == nil
            text += " OVER " + (bare ? quoteIdentifier(over.name!) : over.sql)
        }
        return text
    }

    /// SQL-standard value functions written without parentheses.
    static let bareKeywords: Set<String> = ["current_timestamp", "current_date", "current_time", "localtimestamp", "localtime",
                                            "current_user", "session_user", "current_role", "current_catalog"]
}

extension CaseExpression {
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`.
    public var sql: String {
        var text = "CASE"
        if let operand { text += " " + operand.sql }
        for branch in branches { text += " WHEN " + branch.when.sql + " THEN " + branch.then.sql }
        if let elseResult { text += " ELSE " + elseResult.sql }
        return text + " END"
    }
}

/// A name as SQL: bare when it is lower case, simple and not reserved; double-quoted otherwise.
public func quoteIdentifier(_ name: String) -> String {
    let simple = name.utf8.first.map { !isDigit($0) && $0 != UInt8(ascii: "$") } ?? false
        && name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "$") }
    if simple, !(Keyword.byName[name]?.isReserved ?? false) { return name }
    return "\"" + doubling("\"", in: name) + "\""
}

/// A string constant as SQL, quotes doubled: `'it''s'`.
public func quoteString(_ value: String) -> String {
    "'" + doubling("'", in: value) + "'"
}

/// `text` with every `quote` written twice (by scalar, so a quote followed by a combining
/// mark is still doubled).
private func doubling(_ quote: Unicode.Scalar, in text: String) -> String {
    var result = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        result.append(scalar)
        if scalar == quote { result.append(quote) }
    }
    return String(result)
}

extension QuantifiedOperand {
    var sql: String {
        switch self {
        case .array(let expression): expression.sql
        case .subquery(let query): query.sql
        }
    }
}
