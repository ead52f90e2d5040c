import VireoStorage

/// The parameter values a statement is planned with, when the planner may use them: as
/// PostgreSQL's custom plans do, a partial index whose predicate the WHERE clause implies
/// only for these values (`status = $1` with $1 = 'pending', the index `WHERE status =
/// 'pending'`) is then used. A plan that did (`used`) is right for these values only, so it
/// is not kept for other executions (PlanCache); the WHERE clause still filters every row.
final class PlanParameters {
    let values: [Value]
    /// Whether the plan depends on the values (set by the planner).
    private(set) var used = false

    init(_ values: [Value]) { self.values = values }

    /// `expressions` with each parameter replaced by its value, of the parameter's type.
    func substituted(_ expressions: [BoundExpression]) -> [BoundExpression] {
        expressions.map { expression in
            expression.rewritten { node in
                guard case .parameter(let index, let type) = node, index < values.count,
                      let value = try? Cast.parameter(values[index], to: type) else { return nil }
                return .constant(value)
            }
        }
    }

    func noteUsed() { used = true }
}

extension AccessPath {
    /// Whether the WHERE clause implies a partial index's predicate: as written, or else for
    /// the parameter values the statement is planned with (the plan then depends on them).
    static func implies(_ conjuncts: [BoundExpression], _ predicate: BoundExpression, parameters: PlanParameters?) -> Bool {
        if implies(conjuncts, predicate) { return true }
        guard let parameters, implies(parameters.substituted(conjuncts), predicate) else { return false }
        parameters.noteUsed()
        return true
    }
}
