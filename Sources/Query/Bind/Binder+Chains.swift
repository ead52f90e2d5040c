import VireoStorage

/// Runs of left-associative operators (`SQLExpression.chain`), bound without a level of
/// nesting per term. AND and OR become one n-ary node. Any other run becomes a `.fold`: its
/// first operator applied as usual, then one step per further operator, each reading the
/// result so far as `.accumulator`. So binding, planning and evaluating `1 + 1 + … + 1` with
/// 20,000 terms recurses only as deep as the statement really nests, and each step still gets
/// exactly the types, coercions and result type `binary` gives the pair.
extension Binder {
    func chain(_ first: SQLExpression, _ links: [OperatorLink], _ scope: Scope) throws -> Typed {
        let op = links[0].op
        if op == .and || op == .or {
            // One precedence level holds one of them only, so every link has the same operator.
            let parts = try ([first] + links.map(\.operand)).map { try coerce(bind($0, scope), to: .bool) }
            return (op == .and ? .and(parts) : .or(parts), .bool)
        }
        var result = try binary(op, bind(first, scope), bind(links[0].operand, scope))
        guard links.count > 1 else { return result }
        let start = result.expression
        var steps: [BoundExpression] = []
        steps.reserveCapacity(links.count - 1)
        for link in links.dropFirst() {
            result = try binary(link.op, (.accumulator, result.type), bind(link.operand, scope))
            steps.append(result.expression)
        }
        return (.fold(start, steps), result.type)
    }
}
