import VireoStorage

/// Evaluates bound expressions against a row, with SQL's three-valued logic.
enum Evaluator {
    static func evaluate(_ expression: BoundExpression, _ row: [Value], _ context: ExecutionContext) throws -> Value {
        switch expression {
        case .constant(let value): return value
        case .column(let index): return row[index]
        case .outerColumn(let level, let index): return context.outerRows[context.outerRows.count - level][index]
        case .parameter(let index, let type): return try parameter(index, type, context)
        case .negate(let operand): return try Operators.negate(evaluate(operand, row, context))
        case .not(let operand): return try truth(evaluate(operand, row, context)).map { .bool(!$0) } ?? .null
        case .and(let parts): return try connective(parts, decisive: false, row, context)
        case .or(let parts): return try connective(parts, decisive: true, row, context)
        case .fold(let first, let steps): return try fold(first, steps, row, context)
        case .accumulator: return context.accumulator
        case .binary(.textSearchMatch, let a, let b): return try TextMatch.evaluate(a, b, row, context)
        case .binary(let op, let a, let b): return try Operators.apply(op, evaluate(a, row, context), evaluate(b, row, context))
        case .isNull(let operand, let negated): return .bool(try evaluate(operand, row, context).isNull != negated)
        case .isBoolean(let operand, let value, let negated):
            return .bool((try truth(evaluate(operand, row, context)) == value) != negated)
        case .isDistinctFrom(let a, let b, let negated):
            return .bool(try isDistinct(evaluate(a, row, context), evaluate(b, row, context)) != negated)
        case .inList(let operand, let list, let negated): return try inList(operand, list, negated, row, context)
        case .inSubquery(let operands, let subquery, let negated): return try inSubquery(operands, subquery, negated, row, context)
        case .rowSubquery(let op, let operands, let subquery, let quantifier):
            return try rowSubquery(op, operands, subquery, quantifier, row, context)
        case .exists(let subquery): return .bool(!(try subquery.rows(context, outer: row)).isEmpty)
        case .scalarSubquery(let subquery): return try scalar(subquery, row, context)
        case .arraySubquery(let subquery): return .array(try subquery.rows(context, outer: row).map { $0.first ?? .null })
        case .quantified(let op, let operand, let array, let all):
            return try ArrayFunctions.quantified(op, evaluate(operand, row, context), evaluate(array, row, context), all: all)
        case .like(let operand, let pattern, let escape, let caseInsensitive, let negated):
            return try like(operand, pattern, escape, caseInsensitive, negated, row, context)
        case .cast(.parameter(let index, let type), let target): return try parameter(index, type, cast: target, context)
        case .cast(let operand, let type): return try Cast.convert(evaluate(operand, row, context), to: type)
        case .function(let function, let arguments):
            if let contextBody = function.contextBody { return try contextBody(arguments.map { try evaluate($0, row, context) }, context) }
            return try function.call(arguments.map { try evaluate($0, row, context) })
        case .caseWhen(let branches, let otherwise):
            for (condition, result) in branches where try truth(evaluate(condition, row, context)) == true {
                return try evaluate(result, row, context)
            }
            return try otherwise.map { try evaluate($0, row, context) } ?? .null
        }
    }

    /// Whether a predicate holds for `row` (NULL counts as false, as in WHERE).
    static func holds(_ predicate: BoundExpression, _ row: [Value], _ context: ExecutionContext) throws -> Bool {
        try truth(evaluate(predicate, row, context)) == true
    }

    /// A boolean's truth value; nil for NULL.
    static func truth(_ value: Value) throws -> Bool? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        default: throw VireoError(.typeMismatch, "argument of boolean operator must be type boolean, not type \(SQLType(of: value))")
        }
    }

    /// Parameter `index` converted to `type` (then to `cast`), once per statement when that
    /// parses text: a scan evaluates `emb <=> $1` for every row, and a vector sent as text
    /// would otherwise be parsed (and any vector checked) again each time. Other conversions
    /// (a value of its type already, a number widened) cost less than a dictionary entry,
    /// which an INSERT's one evaluation per value would pay at every execution.
    private static func parameter(_ index: Int, _ type: SQLType, cast: SQLType? = nil, _ context: ExecutionContext) throws -> Value {
        guard index < context.parameters.count else {
            throw VireoError(.invalidParameter, "there is no parameter $\(index + 1)")
        }
        let raw = context.parameters[index]
        guard case .text = raw, type != .text || cast != nil else {
            let value = try Cast.parameter(raw, to: type)
            return try cast.map { try Cast.convert(value, to: $0) } ?? value
        }
        let key = ExecutionCache.ParameterKey(index: index, type: type, cast: cast)
        if let converted = context.cache.parameter(key) { return converted }
        var value = try Cast.parameter(raw, to: type)
        if let cast { value = try Cast.convert(value, to: cast) }
        context.cache.keepParameter(key, value)
        return value
    }

    /// AND (`decisive` false) and OR (`decisive` true) over their parts: the decisive value
    /// as soon as a part has it, otherwise NULL when a part is NULL, otherwise the other value.
    private static func connective(_ parts: [BoundExpression], decisive: Bool, _ row: [Value],
                                   _ context: ExecutionContext) throws -> Value {
        var sawNull = false
        for part in parts {
            guard let value = try truth(evaluate(part, row, context)) else {
                sawNull = true
                continue
            }
            if value == decisive { return .bool(decisive) }
        }
        return sawNull ? .null : .bool(!decisive)
    }

    /// A run of left-associative operators: each step reads the value so far as
    /// `.accumulator`. A fold inside a step's operand keeps its own and restores this one.
    private static func fold(_ first: BoundExpression, _ steps: [BoundExpression], _ row: [Value],
                             _ context: ExecutionContext) throws -> Value {
        let enclosing = context.accumulator
        defer { context.accumulator = enclosing }
        var value = try evaluate(first, row, context)
        for step in steps {
            context.accumulator = value
            value = try evaluate(step, row, context)
        }
        return value
    }

    static func isDistinct(_ a: Value, _ b: Value) throws -> Bool {
        if a.isNull || b.isNull { return a.isNull != b.isNull }
        return try Compare.values(a, b) != 0
    }

    private static func inList(_ operand: BoundExpression, _ list: [BoundExpression], _ negated: Bool,
                               _ row: [Value], _ context: ExecutionContext) throws -> Value {
        let value = try evaluate(operand, row, context)
        if value.isNull { return .null }
        var sawNull = false
        for item in list {
            let candidate = try evaluate(item, row, context)
            if candidate.isNull { sawNull = true; continue }
            if try Compare.values(value, candidate) == 0 { return .bool(!negated) }
        }
        return sawNull ? .null : .bool(negated)
    }

    private static func inSubquery(_ operands: [BoundExpression], _ subquery: Subquery, _ negated: Bool,
                                   _ row: [Value], _ context: ExecutionContext) throws -> Value {
        guard operands.count == 1 else { return try rowInSubquery(operands, subquery, negated, row, context) }
        let value = try evaluate(operands[0], row, context)
        if let (set, hasNull) = try subquery.valueSet(context, outer: row) {
            // `x IN (empty)` is false and `x NOT IN (empty)` true, even for a NULL x.
            if set.isEmpty && !hasNull { return .bool(negated) }
            if value.isNull { return .null }
            if set.contains(GroupKey(value)) { return .bool(!negated) }
            return hasNull ? .null : .bool(negated)
        }
        let list = try subquery.rows(context, outer: row).map { BoundExpression.constant($0.first ?? .null) }
        if list.isEmpty { return .bool(negated) }
        return try inList(.constant(value), list, negated, row, context)
    }

    /// `(a, b) IN (SELECT x, y …)`: true when some row equals the operands, else NULL when
    /// some row's comparison is NULL, else false; NOT IN the opposite, NULL staying NULL. (An
    /// empty subquery gives false for IN even for NULL operands, as PostgreSQL's ANY does.)
    private static func rowInSubquery(_ operands: [BoundExpression], _ subquery: Subquery, _ negated: Bool,
                                      _ row: [Value], _ context: ExecutionContext) throws -> Value {
        let values = try operands.map { try evaluate($0, row, context) }
        var sawNull = false
        for candidate in try subquery.rows(context, outer: row) {
            switch try rowEquality(values, candidate) {
            case true?: return .bool(!negated)
            case nil: sawNull = true
            case false?: continue
            }
        }
        return sawNull ? .null : .bool(negated)
    }

    /// Row-wise `=`: false when some pair differs, else NULL when some pair holds a NULL, else true.
    static func rowEquality(_ left: [Value], _ right: [Value]) throws -> Bool? {
        var sawNull = false
        for (a, b) in zip(left, right) {
            if a.isNull || b.isNull {
                sawNull = true
            } else if try Compare.values(a, b) != 0 {
                return false
            }
        }
        return sawNull ? nil : true
    }

    /// `(a, b) op (SELECT x, y …)`: its one row compared (NULL for none), or with a quantifier
    /// ANY (true when some row compares true, else NULL when some compares NULL) or ALL
    /// (false when some compares false, else NULL when some compares NULL).
    private static func rowSubquery(_ op: BinaryOperator, _ operands: [BoundExpression], _ subquery: Subquery,
                                    _ quantifier: RowQuantifier, _ row: [Value], _ context: ExecutionContext) throws -> Value {
        let values = try operands.map { try evaluate($0, row, context) }
        let rows = try subquery.rows(context, outer: row)
        guard quantifier != .single else {
            guard rows.count <= 1 else { throw moreThanOneRow }
            return try rows.first.flatMap { try rowComparison(op, values, $0) }.map(Value.bool) ?? .null
        }
        let decisive = quantifier == .any
        var sawNull = false
        for candidate in rows {
            guard let result = try rowComparison(op, values, candidate) else { sawNull = true; continue }
            if result == decisive { return .bool(decisive) }
        }
        return sawNull ? .null : .bool(!decisive)
    }

    /// A row comparison's three-valued result, as Binder+Rows.swift spells it out for row
    /// constructors: `=` pair by pair, `<>` its negation, an ordering decided by the first
    /// pair that is not equal (NULL when a NULL comes first).
    static func rowComparison(_ op: BinaryOperator, _ left: [Value], _ right: [Value]) throws -> Bool? {
        switch op {
        case .equal: return try rowEquality(left, right)
        case .notEqual: return try rowEquality(left, right).map { !$0 }
        default:
            for (a, b) in zip(left, right) {
                guard let order = try Compare.values(a, b) else { return nil }  // a NULL decides first
                if order != 0 { return op == .less || op == .lessOrEqual ? order < 0 : order > 0 }
            }
            return op == .lessOrEqual || op == .greaterOrEqual
        }
    }

    private static let moreThanOneRow = VireoError(.cardinalityViolation, "more than one row returned by a subquery used as an expression")

    private static func scalar(_ subquery: Subquery, _ row: [Value], _ context: ExecutionContext) throws -> Value {
        let rows = try subquery.rows(context, outer: row)
        guard rows.count <= 1 else { throw moreThanOneRow }
        return rows.first?.first ?? .null
    }

    private static func like(_ operand: BoundExpression, _ pattern: BoundExpression, _ escape: BoundExpression?,
                             _ caseInsensitive: Bool, _ negated: Bool, _ row: [Value], _ context: ExecutionContext) throws -> Value {
        let value = try evaluate(operand, row, context)
        let patternValue = try evaluate(pattern, row, context)
        let escapeValue = try escape.map { try evaluate($0, row, context) }
        if value.isNull || patternValue.isNull || escapeValue?.isNull == true { return .null }
        let matched = try LikePattern.matches(Cast.textForm(value), pattern: Cast.textForm(patternValue),
                                              escape: escapeValue.map(Cast.textForm), caseInsensitive: caseInsensitive)
        return .bool(matched != negated)
    }
}
