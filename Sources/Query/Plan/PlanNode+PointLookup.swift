extension PlanNode {
    /// A plan that reads at most a few rows, each found by an exact key (a primary key or
    /// every column of a unique index), and computes nothing costly from them: no function
    /// calls, subqueries, sorts or joins. Its work is bounded by a few B+tree descents, so
    /// the server may run it without handing it to an engine thread (see
    /// `Session.executeImmediately`).
    var isPointLookup: Bool {
        switch self {
        case .rowIDLookup(let scan, let rowIDs):
            return rowIDs.count <= Self.pointLookupRowsMax && rowIDs.allSatisfy(\.isCheap) && scan.isCheap
        case .indexScan(let scan, let range):
            return scan.isCheap && range.isExactUniqueKey
        case .filter(let input, let condition):
            return condition.isCheap && input.isPointLookup
        case .project(let input, let expressions):
            return expressions.allSatisfy(\.isCheap) && input.isPointLookup
        case .limit(let input, let limit, let offset):
            return [limit, offset].allSatisfy { $0?.isCheap ?? true } && input.isPointLookup
        default:
            return false
        }
    }

    private static let pointLookupRowsMax = 16
}

private extension TableScan {
    var isCheap: Bool { (filter?.isCheap ?? true) && rowIDBounds == nil }
}

private extension IndexRange {
    /// Equal inclusive bounds on every column of a unique B+tree index: one row at most.
    var isExactUniqueKey: Bool {
        guard index.isUnique, index.method == "btree", textQuery == nil, keyList == nil, lowerInclusive, upperInclusive,
              let lower, let upper, lower.count == index.columns.count, upper.count == lower.count else { return false }
        return zip(lower, upper).allSatisfy { $0.isSameValue(as: $1) }
    }
}

extension BoundExpression {
    /// Operators, casts and comparisons over columns, constants and parameters only: its
    /// cost is bounded by the size of the values it reads.
    var isCheap: Bool {
        switch self {
        case .constant, .column, .parameter: true
        case .negate, .not, .and, .or, .binary, .isNull, .isBoolean, .isDistinctFrom, .inList, .cast:
            children.allSatisfy(\.isCheap)
        default: false
        }
    }

    /// Whether both evaluate to the same value for any row and parameters (a conservative
    /// structural test: the same constant or parameter, under the same casts).
    func isSameValue(as other: BoundExpression) -> Bool {
        switch (self, other) {
        case (.constant(let a), .constant(let b)): a == b
        case (.parameter(let a, let typeA), .parameter(let b, let typeB)): a == b && typeA == typeB
        case (.cast(let a, let typeA), .cast(let b, let typeB)): typeA == typeB && a.isSameValue(as: b)
        default: false
        }
    }
}
