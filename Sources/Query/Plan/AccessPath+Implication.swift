import VireoStorage

/// Whether a WHERE clause implies a partial index's predicate, so that every row the query
/// wants is in the index. Like PostgreSQL's predicate_implied_by, a proof of simple forms
/// only: each conjunct of the predicate must follow from one conjunct of the WHERE clause
/// by being the same expression, by a comparison with a constant that is at least as tight
/// (`x > 10` ⇒ `x > 5`), or, for `x IS NOT NULL`, by any strict comparison of x.
extension AccessPath {
    static func implies(_ conjuncts: [BoundExpression], _ predicate: BoundExpression) -> Bool {
        predicate.conjuncts.allSatisfy { required in conjuncts.contains { implies($0, required) } }
    }

    private static func implies(_ given: BoundExpression, _ required: BoundExpression) -> Bool {
        if let key = given.structuralKey, key == required.structuralKey { return true }
        if case .isNull(let subject, negated: true) = required { return excludesNull(given, subject) }
        guard let need = comparison(required), let have = comparison(given), have.subject == need.subject,
              let order = try? Compare.values(have.value, need.value) else { return false }
        return follows(have.op, need.op, order)
    }

    /// `have.op v1` ⇒ `need.op v2`, where `order` compares v1 with v2.
    private static func follows(_ have: BinaryOperator, _ need: BinaryOperator, _ order: Int) -> Bool {
        switch (need, have) {
        case (.equal, .equal): order == 0
        case (.greater, .greater): order >= 0
        case (.greater, .greaterOrEqual), (.greater, .equal): order > 0
        case (.greaterOrEqual, .greater), (.greaterOrEqual, .greaterOrEqual), (.greaterOrEqual, .equal): order >= 0
        case (.less, .less): order <= 0
        case (.less, .lessOrEqual), (.less, .equal): order < 0
        case (.lessOrEqual, .less), (.lessOrEqual, .lessOrEqual), (.lessOrEqual, .equal): order <= 0
        case (.notEqual, .equal): order != 0
        case (.notEqual, .greater): order >= 0
        case (.notEqual, .less): order <= 0
        default: false
        }
    }

    /// A comparison `subject op constant`, turned around when the constant is on the left.
    private static func comparison(_ expression: BoundExpression) -> (subject: String, op: BinaryOperator, value: Value)? {
        guard case .binary(let op, let a, let b) = expression, comparisonOperators.contains(op) else { return nil }
        if let value = constantValue(b), let subject = a.structuralKey, !a.isRowIndependent { return (subject, op, value) }
        if let value = constantValue(a), let subject = b.structuralKey, !b.isRowIndependent { return (subject, flipped(op), value) }
        return nil
    }

    private static let comparisonOperators: Set<BinaryOperator> = [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]

    private static func flipped(_ op: BinaryOperator) -> BinaryOperator {
        switch op {
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        default: op
        }
    }

    /// The value of a constant expression (a literal, maybe cast), nil when it is not one or is NULL.
    private static func constantValue(_ expression: BoundExpression) -> Value? {
        guard expression.isConstant, let value = try? Evaluator.evaluate(expression, [], .constantFolding),
              !value.isNull else { return nil }
        return value
    }

    /// Whether `given` is false or NULL whenever `subject` is NULL: a comparison of it, an
    /// IN list, IS NOT NULL, LIKE.
    private static func excludesNull(_ given: BoundExpression, _ subject: BoundExpression) -> Bool {
        guard let wanted = subject.structuralKey else { return false }
        switch given {
        case .binary(let op, let a, let b) where comparisonOperators.contains(op):
            return a.structuralKey == wanted || b.structuralKey == wanted
        case .isNull(let a, negated: true), .inList(let a, _, negated: false), .like(let a, _, _, _, _):
            return a.structuralKey == wanted
        default:
            return false
        }
    }
}
