import VireoStorage

/// An expression after binding: names resolved to row positions, literals typed,
/// functions looked up. The executor evaluates it against a row.
indirect enum BoundExpression: Sendable {
    case constant(Value)
    /// A value of the current input row.
    case column(Int)
    /// A value of an enclosing query's row (correlated subquery): `level` 1 is the
    /// immediately enclosing query.
    case outerColumn(level: Int, Int)
    /// `$n`, zero-based, converted to `type` at evaluation.
    case parameter(Int, SQLType)
    case negate(BoundExpression)
    case not(BoundExpression)
    /// True when every part is, false when any is, NULL otherwise (two or more parts).
    case and([BoundExpression])
    /// True when any part is, false when every part is, NULL otherwise (two or more parts).
    case or([BoundExpression])
    /// A run of left-associative operators (Binder+Chains.swift): `first`'s value, then each
    /// step evaluated with `.accumulator` standing for the value so far; the last step's value.
    case fold(BoundExpression, [BoundExpression])
    /// The value so far of the innermost `.fold` being evaluated (only inside its steps).
    case accumulator
    case binary(BinaryOperator, BoundExpression, BoundExpression)
    case isNull(BoundExpression, negated: Bool)
    case isBoolean(BoundExpression, value: Bool, negated: Bool)
    case isDistinctFrom(BoundExpression, BoundExpression, negated: Bool)
    case inList(BoundExpression, [BoundExpression], negated: Bool)
    /// `x IN (SELECT …)`, or with two or more operands `(a, b) IN (SELECT x, y …)`, row-wise.
    case inSubquery([BoundExpression], Subquery, negated: Bool)
    /// `(a, b) op (SELECT x, y …)` (its one row, or `op ANY` / `op ALL` over its rows), row-wise.
    case rowSubquery(BinaryOperator, [BoundExpression], Subquery, RowQuantifier)
    case exists(Subquery)
    case scalarSubquery(Subquery)
    case like(BoundExpression, pattern: BoundExpression, escape: BoundExpression?, caseInsensitive: Bool, negated: Bool)
    case cast(BoundExpression, SQLType)
    case function(ScalarFunction, [BoundExpression])
    case caseWhen([(BoundExpression, BoundExpression)], otherwise: BoundExpression?)
    /// `ARRAY(SELECT …)`.
    case arraySubquery(Subquery)
    /// `x op ANY (array)` (or ALL when `all`); the array may be an `arraySubquery`.
    case quantified(BinaryOperator, BoundExpression, BoundExpression, all: Bool)

    /// Whether the expression reads no row and no parameter (so it can be folded).
    var isConstant: Bool {
        switch self {
        case .constant: true
        case .column, .outerColumn, .parameter, .inSubquery, .rowSubquery, .exists, .scalarSubquery, .arraySubquery, .accumulator: false
        case .fold(let first, let steps): first.isConstant && steps.allSatisfy(\.isConstantGivenAccumulator)
        case .function(let function, let arguments): !function.isVolatile && arguments.allSatisfy(\.isConstant)
        default: children.allSatisfy(\.isConstant)
        }
    }

    /// Whether a fold's step is constant once the value so far is known.
    private var isConstantGivenAccumulator: Bool {
        rewritten { if case .accumulator = $0 { return .constant(.null) } else { return nil } }.isConstant
    }

    var children: [BoundExpression] {
        switch self {
        case .constant, .column, .outerColumn, .parameter, .exists, .scalarSubquery, .arraySubquery, .accumulator: []
        case .and(let parts), .or(let parts): parts
        case .fold(let first, let steps): [first] + steps
        case .quantified(_, let a, let b, _): [a, b]
        case .negate(let a), .not(let a), .isNull(let a, _), .isBoolean(let a, _, _), .cast(let a, _): [a]
        case .binary(_, let a, let b), .isDistinctFrom(let a, let b, _): [a, b]
        case .inList(let a, let list, _): [a] + list
        case .inSubquery(let operands, _, _), .rowSubquery(_, let operands, _, _): operands
        case .like(let a, let pattern, let escape, _, _): [a, pattern] + (escape.map { [$0] } ?? [])
        case .function(_, let arguments): arguments
        case .caseWhen(let branches, let otherwise): branches.flatMap { [$0.0, $0.1] } + (otherwise.map { [$0] } ?? [])
        }
    }

    /// The same expression with every current-row column index shifted by `offset`.
    func shifted(by offset: Int) -> BoundExpression {
        mapColumns { .column($0 + offset) }
    }

    /// Rewrites current-row column references.
    func mapColumns(_ transform: (Int) -> BoundExpression) -> BoundExpression {
        rewritten { expression in
            if case .column(let index) = expression { return transform(index) }
            return nil
        }
    }

    /// The expression with each node `transform` gives a replacement for replaced (its
    /// children are then not visited); subqueries are left as they are.
    func rewritten(_ transform: (BoundExpression) -> BoundExpression?) -> BoundExpression {
        if let replacement = transform(self) { return replacement }
        func map(_ expression: BoundExpression) -> BoundExpression { expression.rewritten(transform) }
        switch self {
        case .column, .constant, .outerColumn, .parameter, .exists, .scalarSubquery, .arraySubquery, .accumulator: return self
        case .fold(let first, let steps): return .fold(map(first), steps.map(map))
        case .quantified(let op, let a, let b, let all): return .quantified(op, map(a), map(b), all: all)
        case .negate(let a): return .negate(map(a))
        case .not(let a): return .not(map(a))
        case .isNull(let a, let negated): return .isNull(map(a), negated: negated)
        case .isBoolean(let a, let value, let negated): return .isBoolean(map(a), value: value, negated: negated)
        case .cast(let a, let type): return .cast(map(a), type)
        case .and(let parts): return .and(parts.map(map))
        case .or(let parts): return .or(parts.map(map))
        case .binary(let op, let a, let b): return .binary(op, map(a), map(b))
        case .isDistinctFrom(let a, let b, let negated): return .isDistinctFrom(map(a), map(b), negated: negated)
        case .inList(let a, let list, let negated): return .inList(map(a), list.map(map), negated: negated)
        case .inSubquery(let operands, let subquery, let negated): return .inSubquery(operands.map(map), subquery, negated: negated)
        case .rowSubquery(let op, let operands, let subquery, let quantifier): return .rowSubquery(op, operands.map(map), subquery, quantifier)
        case .like(let a, let pattern, let escape, let caseInsensitive, let negated):
            return .like(map(a), pattern: map(pattern), escape: escape.map(map), caseInsensitive: caseInsensitive, negated: negated)
        case .function(let function, let arguments): return .function(function, arguments.map(map))
        case .caseWhen(let branches, let otherwise):
            return .caseWhen(branches.map { (map($0.0), map($0.1)) }, otherwise: otherwise.map(map))
        }
    }

    /// Whether a subquery inside reads this query's rows (their columns are then used
    /// without appearing in this expression).
    var hasCorrelatedSubquery: Bool {
        switch self {
        case .exists(let subquery), .scalarSubquery(let subquery), .arraySubquery(let subquery): subquery.isCorrelated
        case .inSubquery(let operands, let subquery, _), .rowSubquery(_, let operands, let subquery, _):
            subquery.isCorrelated || operands.contains { $0.hasCorrelatedSubquery }
        default: children.contains { $0.hasCorrelatedSubquery }
        }
    }

    /// Splits a predicate into its AND-ed parts (parenthesised ANDs inside included).
    var conjuncts: [BoundExpression] {
        if case .and(let parts) = self { return parts.flatMap(\.conjuncts) }
        return [self]
    }

    /// A constant or a parameter (cast or not): evaluated again within one statement, it
    /// gives the same value (a function call, even a stable one, is not counted).
    var isFixedForStatement: Bool {
        switch self {
        case .constant, .parameter, .cast(.parameter, _): true
        default: false
        }
    }

    static func conjunction(_ parts: [BoundExpression]) -> BoundExpression? {
        parts.count <= 1 ? parts.first : .and(parts)
    }
}

/// How a row is compared with a subquery's rows: with its only row (none gives NULL, more
/// than one 21000), or with ANY or ALL of them.
enum RowQuantifier: Sendable {
    case single, any, all
}

/// A subquery inside an expression. Uncorrelated ones run once per execution (their
/// rows are cached in the execution context); correlated ones run for every outer row.
final class Subquery: @unchecked Sendable {
    let plan: PlanNode
    let isCorrelated: Bool

    init(plan: PlanNode, isCorrelated: Bool) {
        self.plan = plan
        self.isCorrelated = isCorrelated
    }

    /// The subquery's rows for the current outer row.
    func rows(_ context: ExecutionContext, outer: [Value]) throws -> [[Value]] {
        let key = ObjectIdentifier(self)
        if !isCorrelated, let cached = context.cache.rows[key] { return cached }
        let memory = context.workMemory
        let usedBytesBefore = memory.usedBytes
        let rows = try PlanExecutor.materialize(plan, context.nested(outer: outer), for: .subquery)
        // A correlated subquery's rows, and whatever its run held, last only while the outer
        // row is evaluated; cached rows last for the statement.
        if isCorrelated { memory.release(bytes: memory.usedBytes - usedBytesBefore) } else { context.cache.rows[key] = rows }
        return rows
    }

    /// The first column's values as a set (uncorrelated subqueries only), and whether
    /// any of them is NULL, for IN.
    func valueSet(_ context: ExecutionContext, outer: [Value]) throws -> (values: Set<GroupKey>, hasNull: Bool)? {
        guard !isCorrelated else { return nil }
        let key = ObjectIdentifier(self)
        if let cached = context.cache.sets[key] { return cached }
        let rows = try self.rows(context, outer: outer)
        let set = Set(rows.compactMap { $0.first.flatMap { $0.isNull ? nil : GroupKey($0) } })
        let result = (set, rows.contains { $0.first?.isNull ?? false })
        context.cache.sets[key] = result
        return result
    }
}
