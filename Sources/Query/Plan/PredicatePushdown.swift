import VireoStorage

/// Moves the parts of a WHERE clause over a join to where they are cheapest: a part that
/// reads one table filters that table's scan (which may then use an index), a part that
/// relates the two sides of an inner join becomes its condition (an equality becomes a
/// hash-join key). What cannot move stays in a filter above.
enum PredicatePushdown {
    static func apply(_ conjuncts: [BoundExpression], to plan: PlanNode, width: Int) -> PlanNode {
        let (pushed, remaining) = push(conjuncts, into: plan, width: width)
        return BoundExpression.conjunction(remaining).map { .filter(pushed, $0) } ?? pushed
    }

    /// Pushes what it can into `plan` (whose rows are `width` wide); returns the rest.
    private static func push(_ conjuncts: [BoundExpression], into plan: PlanNode, width: Int) -> (PlanNode, [BoundExpression]) {
        let movable = conjuncts.filter(\.isRowLocal)
        let fixed = conjuncts.filter { !$0.isRowLocal }
        switch plan {
        case .seqScan(var scan):
            guard !movable.isEmpty else { return (plan, fixed) }
            scan.filter = BoundExpression.conjunction((scan.filter.map { [$0] } ?? []) + movable)
            return (AccessPath.scanPath(scan), fixed)
        case .nestedLoopJoin(let left, let right, let spec):
            let (joined, rest) = pushIntoJoin(movable, left, right, spec, width: width)
            return (joined, rest + fixed)
        case .hashJoin(let left, let right, var spec, let leftKeys, let rightKeys):
            // Back to one condition; the rebuilt join finds its keys again.
            let leftWidth = width - spec.rightWidth
            let keys = zip(leftKeys, rightKeys).map { BoundExpression.binary(.equal, $0, $1.shifted(by: leftWidth)) }
            spec.condition = BoundExpression.conjunction(keys + (spec.condition.map { [$0] } ?? []))
            let (joined, rest) = pushIntoJoin(movable, left, right, spec, width: width)
            return (joined, rest + fixed)
        case .indexNestedLoopJoin(let left, let probe, let spec):
            // The condition still holds the key equalities: the rebuilt join finds the probe again.
            let (joined, rest) = pushIntoJoin(movable, left, probe.probedTable, spec, width: width)
            return (joined, rest + fixed)
        case .lateralJoin(let left, let right, let spec) where spec.kind == .inner || spec.kind == .left:
            // Parts on the left side's columns filter it before the right side runs for
            // each of its rows (`FROM t, jsonb_each(t.doc) WHERE t.id = 1` reads one document).
            let leftColumns = 0..<(width - spec.rightWidth)
            let (newLeft, leftRest) = push(movable.filter { $0.readsOnly(leftColumns) }, into: left, width: leftColumns.count)
            return (.lateralJoin(newLeft, right, spec), leftRest + movable.filter { !$0.readsOnly(leftColumns) } + fixed)
        default:
            return (plan, conjuncts)
        }
    }

    /// Splits conjuncts between the two sides of a join and its condition, and rebuilds it
    /// (as a hash join when an inner join gained equality keys).
    private static func pushIntoJoin(_ conjuncts: [BoundExpression], _ left: PlanNode, _ right: PlanNode,
                                     _ spec: JoinSpec, width: Int) -> (PlanNode, [BoundExpression]) {
        let leftWidth = width - spec.rightWidth
        let leftColumns = 0..<leftWidth, rightColumns = leftWidth..<width
        var leftParts: [BoundExpression] = [], rightParts: [BoundExpression] = [], bothParts: [BoundExpression] = []
        var rest: [BoundExpression] = []
        for conjunct in conjuncts {
            if spec.kind == .right || spec.kind == .full {
                rest.append(conjunct)  // either side may be NULL-extended: filter above the join
            } else if conjunct.readsOnly(leftColumns) {
                leftParts.append(conjunct)
            } else if spec.kind == .inner && conjunct.readsOnly(rightColumns) {
                rightParts.append(conjunct.shifted(by: -leftWidth))
            } else if spec.kind == .inner {
                bothParts.append(conjunct)
            } else {
                rest.append(conjunct)  // above a LEFT JOIN, a condition on its right side sees NULL rows
            }
        }
        let (newLeft, leftRest) = push(leftParts, into: left, width: leftWidth)
        let (newRight, rightRest) = push(rightParts, into: right, width: spec.rightWidth)
        rest += leftRest + rightRest.map { $0.shifted(by: leftWidth) }
        var newSpec = spec
        newSpec.condition = BoundExpression.conjunction((spec.condition.map { [$0] } ?? []) + bothParts)
        return (join(newLeft, newRight, newSpec, leftWidth: leftWidth), rest)
    }

    /// A nested-loop join; when its condition has equality keys, an index nested-loop join
    /// (IndexJoin, with a memo of its probes when their keys are expected to repeat) or else
    /// a hash join.
    static func join(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, leftWidth: Int) -> PlanNode {
        guard let condition = spec.condition else { return .nestedLoopJoin(left, right, spec) }
        let (leftKeys, rightKeys, residual) = Binder.equalityKeys(condition, leftWidth: leftWidth)
        guard !leftKeys.isEmpty else { return .nestedLoopJoin(left, right, spec) }
        if let probe = IndexJoin.probe(left, right, spec, leftKeys: leftKeys, rightKeys: rightKeys) {
            var probeSpec = spec
            probeSpec.memo = IndexJoin.memo(left, probe)
            return .indexNestedLoopJoin(left, probe, probeSpec)
        }
        var hashSpec = spec.choosingHashedSide(left, right)
        hashSpec.condition = residual
        return .hashJoin(left, right, hashSpec, leftKeys: leftKeys, rightKeys: rightKeys)
    }
}
