import VireoStorage

/// Row constructors, `(a, b)` and `ROW(a, …)`. Elsewhere a row is a record value (fields f1,
/// f2, …, printed `(1,abc)`); as an operand of a comparison, IS [NOT] NULL, IS [NOT] DISTINCT
/// FROM, IN or `= ANY` it is rewritten here (but IN over a subquery) into the element-wise
/// expression PostgreSQL 15 defines it as (parse_expr.c, make_row_comparison_op):
///
/// - `=` is every pair equal (AND), `<>` is some pair differing (OR), so a NULL pair makes
///   the result NULL only when no other pair decides it;
/// - `<`, `<=`, `>`, `>=` are lexicographic: the first pair that is not equal decides, and a
///   NULL met before a decision makes the result NULL;
/// - IS [NOT] DISTINCT FROM compares pair by pair, NULLs equal to each other;
/// - `(a, b) IS NULL` is every element NULL, `IS NOT NULL` every element not NULL;
/// - `(a, b) IN ((x, y), …)` is a row equality per entry OR-ed, NOT IN its negation.
///
/// The rewrite reads an element once per comparison it takes part in, which is the same value
/// each time for everything but volatile functions.
extension Binder {
    /// Binds `expression`, a row constructor or an operation with one as an operand.
    @inline(never)
    func rowOperation(_ expression: SQLExpression, _ scope: Scope) throws -> Typed {
        switch expression {
        case .binary(let op, _, _) where op == .and || op == .or:
            throw VireoError(.typeMismatch, "argument of \(op.rawValue) must be type boolean, not type record")
        case .binary(let op, let left, let right) where !Self.rowComparisonOperators.contains(op):
            throw VireoError.undefinedOperator("\(try typeName(left, scope)) \(op.rawValue) \(try typeName(right, scope))")
        case .binary(let op, .row(let elements), .subquery(let query)):
            return try rowSubquery(op, elements, query, .single, scope)
        case .binary(let op, let left, let right): return try bind(Self.rowComparison(op, left, right), scope)
        case .isDistinctFrom(let left, let right, let negated):
            let pairs = try Self.rowPairs(left, right, "IS DISTINCT FROM")
            let parts = pairs.map { SQLExpression.isDistinctFrom($0.0, $0.1, negated: negated) }
            return try bind(Self.joined(parts, negated ? .and : .or), scope)
        case .isNull(.row(let elements), let negated):
            // IS NOT NULL is not the negation of IS NULL for a row: (1, NULL) is neither, and
            // ROW() is both.
            guard !elements.isEmpty else { return (.constant(.bool(true)), .bool) }
            return try bind(Self.joined(elements.map { .isNull($0, negated: negated) }, .and), scope)
        case .inList(let operand, let list, let negated):
            let equalities = try list.map { try Self.rowComparison(.equal, operand, $0) }
            let anyEqual = Self.joined(equalities, .or)
            return try bind(negated ? .unary(.not, anyEqual) : anyEqual, scope)
        case .inSubquery(.row(let elements), let query, let negated):
            return try rowInSubquery(elements, query, negated: negated, scope)
        case .quantified(let op, .row(let elements), .subquery(let query), let all)
            where (op == .equal && !all) || (op == .notEqual && all):
            // `= ANY (SELECT …)` is IN and `<> ALL (SELECT …)` NOT IN, for rows as for values.
            return try rowInSubquery(elements, query, negated: all, scope)
        case .quantified(let op, .row(let elements), .subquery(let query), let all) where Self.rowComparisonOperators.contains(op):
            return try rowSubquery(op, elements, query, all ? .all : .any, scope)
        case .quantified(let op, .row, _, let all):
            throw VireoError(.featureNotSupported, "row comparison with \(op.rawValue) \(all ? "ALL" : "ANY") over an array is not supported")
        case .row(let elements): return try recordValue(elements, scope)
        default:
            throw VireoError(.featureNotSupported,
                             "row constructors are supported only as operands of comparisons, IS [NOT] NULL, IS [NOT] DISTINCT FROM and IN")
        }
    }

    /// `ROW(a, b, …)` as a value: a record whose fields are named f1, f2, …; an untyped literal
    /// field is text, as PostgreSQL's record output reads it.
    private func recordValue(_ elements: [SQLExpression], _ scope: Scope) throws -> Typed {
        let bound = try elements.map { try bind($0, scope) }
        let fields = bound.enumerated().map { RecordField("f\($0.offset + 1)", $0.element.type == .unknown ? .text : $0.element.type) }
        let type = SQLType.record(fields)
        let function = ScalarFunction("row (\(RecordField.signature(fields)))", 0...fields.count, [], strict: false, returns: type) { .array($0) }
        return (.function(function, try zip(bound, fields).map { try coerce($0, to: $1.type) }), type)
    }

    /// The type an operand is named by in an error: `record` for a row.
    private func typeName(_ operand: SQLExpression, _ scope: Scope) throws -> String {
        operand.isRow ? "record" : "\(try bind(operand, scope).type)"
    }

    private static let rowComparisonOperators: Set<BinaryOperator> = [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]

    /// `left op right` (a comparison) with either side a row, as the element-wise expression.
    private static func rowComparison(_ op: BinaryOperator, _ left: SQLExpression, _ right: SQLExpression) throws -> SQLExpression {
        let pairs = try rowPairs(left, right, op.rawValue)
        let comparisons = pairs.map { SQLExpression.binary(op, $0.0, $0.1) }
        switch op {
        case .equal: return joined(comparisons, .and)
        case .notEqual: return joined(comparisons, .or)
        default: return lexicographic(op, pairs)
        }
    }

    /// `(a1, a2, …) op (b1, b2, …)` for an ordering `op`: `a1 op' b1 OR (a1 = b1 AND …)` ending
    /// in `an op bn`, where op' is op without its equality (`<` for `<=`). With two or more
    /// pairs, `a1 op'' b1` (`<=` for `<` and `<=`) is AND-ed in front: it changes no result
    /// (when it fails, the first pair already decided against) but lets the planner read an
    /// index on a1 as a range, as keyset pagination `(created_at, id) > ($1, $2)` wants.
    private static func lexicographic(_ op: BinaryOperator, _ pairs: [(SQLExpression, SQLExpression)]) -> SQLExpression {
        let strict: BinaryOperator = (op == .less || op == .lessOrEqual) ? .less : .greater
        let inclusive: BinaryOperator = strict == .less ? .lessOrEqual : .greaterOrEqual
        var result = SQLExpression.binary(op, pairs[pairs.count - 1].0, pairs[pairs.count - 1].1)
        for (a, b) in pairs.dropLast().reversed() {
            result = joined([.binary(strict, a, b), joined([.binary(.equal, a, b), result], .and)], .or)
        }
        guard pairs.count > 1 else { return result }
        return joined([.binary(inclusive, pairs[0].0, pairs[0].1), result], .and)
    }

    /// The elements of two rows, paired; errors as PostgreSQL's for anything but two rows of
    /// one non-zero length.
    private static func rowPairs(_ left: SQLExpression, _ right: SQLExpression,
                                 _ spelling: String) throws -> [(SQLExpression, SQLExpression)] {
        guard case .row(let a) = left, case .row(let b) = right else {
            if case .subquery = left.isRow ? right : left {
                throw VireoError(.featureNotSupported, "comparing a row constructor with a subquery is not supported")
            }
            throw VireoError.undefinedOperator(left.isRow ? "record \(spelling) \(right.sql)" : "\(left.sql) \(spelling) record")
        }
        guard a.count == b.count else { throw VireoError(.syntaxError, "unequal number of entries in row expressions") }
        guard !a.isEmpty else { throw VireoError(.featureNotSupported, "cannot compare rows of zero length") }
        return Array(zip(a, b))
    }

    /// `parts` joined by AND or OR (one part alone as it is).
    private static func joined(_ parts: [SQLExpression], _ op: BinaryOperator) -> SQLExpression {
        .leftAssociated(parts[0], parts.dropFirst().map { OperatorLink(op, $0) })
    }

    /// `(a, b) [NOT] IN (SELECT x, y …)`: the subquery must have one column per element, each
    /// comparable with its element (an untyped element, such as a parameter, takes the
    /// column's type).
    private func rowInSubquery(_ elements: [SQLExpression], _ query: Query, negated: Bool, _ scope: Scope) throws -> Typed {
        let (bound, subquery) = try rowAgainstSubquery(elements, query, .equal, scope)
        return (.inSubquery(bound, subquery, negated: negated), .bool)
    }

    /// `(a, b) op (SELECT x, y …)`, with ANY or ALL or alone (one row at most), as PostgreSQL's
    /// row-subquery comparisons (ROWCOMPARE_SUBLINK, ANY_SUBLINK, ALL_SUBLINK) evaluate it.
    private func rowSubquery(_ op: BinaryOperator, _ elements: [SQLExpression], _ query: Query,
                             _ quantifier: RowQuantifier, _ scope: Scope) throws -> Typed {
        let (bound, subquery) = try rowAgainstSubquery(elements, query, op, scope)
        return (.rowSubquery(op, bound, subquery, quantifier), .bool)
    }

    /// The elements bound against the subquery's columns: one column per element, each
    /// comparable with its element by `op` (an untyped element, such as a parameter, takes
    /// the column's type).
    private func rowAgainstSubquery(_ elements: [SQLExpression], _ query: Query, _ op: BinaryOperator,
                                    _ scope: Scope) throws -> ([BoundExpression], Subquery) {
        let operands = try elements.map { try bind($0, scope) }
        let (subquery, types) = try bindSubqueryColumns(query, scope)
        if types.count != operands.count {
            throw VireoError(.syntaxError, "subquery has too \(types.count < operands.count ? "few" : "many") columns")
        }
        let bound = try zip(operands, types).map { operand, type in
            try checkComparable(operand.type, type, op)
            return operand.type == .unknown ? try coerce(operand, to: type) : operand.expression
        }
        return (bound, subquery)
    }
}
