import VireoStorage

extension BoundExpression {
    /// A text that two bound expressions share exactly when they compute the same thing from
    /// the same row (the planner matches a query's expression with an index's by it); nil
    /// for expressions that read more than the row (subqueries, parameters, outer rows).
    var structuralKey: String? {
        switch self {
        case .constant(let value): return "c:\(value.typeName):\(value.messageText)"
        case .column(let position): return "#\(position)"
        case .outerColumn, .parameter, .inSubquery, .rowSubquery, .exists, .scalarSubquery, .arraySubquery: return nil
        case .negate(let a): return Self.key("neg", [a])
        case .not(let a): return Self.key("not", [a])
        case .and(let parts): return Self.key("and", parts)
        case .or(let parts): return Self.key("or", parts)
        case .fold(let first, let steps): return Self.key("fold", [first] + steps)
        case .accumulator: return "acc"
        case .binary(let op, let a, let b): return Self.key("op \(op.rawValue)", [a, b])
        case .isNull(let a, let negated): return Self.key(negated ? "notnull" : "isnull", [a])
        case .isBoolean(let a, let value, let negated): return Self.key("is \(value) \(negated)", [a])
        case .isDistinctFrom(let a, let b, let negated): return Self.key("distinct \(negated)", [a, b])
        case .inList(let a, let list, let negated): return Self.key("in \(negated)", [a] + list)
        case .like(let a, let pattern, let escape, let caseInsensitive, let negated):
            return Self.key("like \(caseInsensitive) \(negated)", [a, pattern] + (escape.map { [$0] } ?? []))
        case .cast(let a, let type): return Self.key("cast \(type)", [a])
        case .function(let function, let arguments): return Self.key("f \(function.name)", arguments)
        case .caseWhen(let branches, let otherwise):
            return Self.key("case \(otherwise != nil)", branches.flatMap { [$0.0, $0.1] } + (otherwise.map { [$0] } ?? []))
        case .quantified(let op, let a, let b, let all): return Self.key("q \(op.rawValue) \(all)", [a, b])
        }
    }

    private static func key(_ head: String, _ children: [BoundExpression]) -> String? {
        var parts: [String] = []
        for child in children {
            guard let key = child.structuralKey else { return nil }
            parts.append(key)
        }
        return head + "(" + parts.joined(separator: ",") + ")"
    }
}
