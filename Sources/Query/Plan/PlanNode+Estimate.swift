import VireoStorage

/// Row estimates from ANALYZE's statistics, for the choices the planner makes between
/// plans that give the same rows: which side of an inner hash join to hash.
extension PlanNode {
    /// The rows the plan is expected to give; nil when a table it reads was never analysed
    /// or its shape is one this does not estimate.
    var estimatedRows: Double? {
        switch self {
        case .seqScan(let scan), .indexScan(let scan, _): return Self.estimatedRows(scan)
        case .rowIDLookup(_, let rowIDs): return Double(rowIDs.count)
        case .filter(let input, _), .project(let input, _), .lockRows(let input, _): return input.estimatedRows
        case .values(let rows): return Double(rows.count)
        default: return nil
        }
    }

    /// A table's analysed row count, times what its filter is expected to keep (each
    /// conjunct on a column estimated by Selectivity, taken as independent; others keep all).
    private static func estimatedRows(_ scan: TableScan) -> Double? {
        guard let selectivity = Selectivity(scan.table) else { return nil }
        var fraction = 1.0
        for conjunct in scan.filter?.conjuncts ?? [] {
            fraction *= Self.fraction(conjunct, selectivity)
        }
        return selectivity.rows(fraction)
    }

    private static func fraction(_ conjunct: BoundExpression, _ selectivity: Selectivity) -> Double {
        switch conjunct {
        case .binary(.equal, let a, let b) where b.isRowIndependent: return selectivity.equality(a, b)
        case .binary(.equal, let a, let b) where a.isRowIndependent: return selectivity.equality(b, a)
        case .inList(let key, let values, negated: false) where values.allSatisfy(\.isRowIndependent):
            return selectivity.inList(key, values)
        case .binary(let op, let a, _) where [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(op):
            guard let bounds = AccessPath.bounds(on: a, [conjunct]) else { return 1 }
            return selectivity.range(a, bounds)
        default: return 1
        }
    }
}

extension JoinSpec {
    /// The spec of an inner hash join over `left` and `right`, hashing the left side when
    /// it is expected to give fewer rows than the right (both sides estimated).
    func choosingHashedSide(_ left: PlanNode, _ right: PlanNode) -> JoinSpec {
        guard kind == .inner, let leftRows = left.estimatedRows, let rightRows = right.estimatedRows else { return self }
        var spec = self
        spec.hashesLeft = leftRows < rightRows
        return spec
    }
}
