extension PlanNode {
    /// A plan whose work is small and bounded, so that a server may run it without handing
    /// it to an engine thread (see `Session.executeImmediately`): it reads at most a few
    /// rows, each found by an exact key (a primary key or every column of a unique index),
    /// or the k nearest rows by an HNSW index without a filter (ef_search, checked when it
    /// runs, bounds its work: `VectorScan.searchWithoutWaiting`), or a primary-key range
    /// bounded on both sides (its span, checked when it runs, bounds its work:
    /// `rowIDRangeRowsMax`), and computes nothing costly from them: no function calls,
    /// subqueries, sorts or joins.
    var isBoundedRead: Bool {
        switch self {
        case .seqScan(let scan):
            guard let bounds = scan.rowIDBounds, let lower = bounds.lower, let upper = bounds.upper else { return false }
            return lower.isCheap && upper.isCheap && (scan.filter?.isCheap ?? true)
        case .rowIDLookup(let scan, let rowIDs):
            return rowIDs.count <= Self.pointLookupRowsMax && rowIDs.allSatisfy(\.isCheap) && scan.isCheap
        case .indexScan(let scan, let range):
            return scan.isCheap && range.isExactUniqueKey
        case .vectorScan(let scan, let search):
            return scan.isCheap && scan.filter == nil && search.textFilter == nil
                && ([search.query, search.limit] + [search.offset].compactMap { $0 }).allSatisfy(\.isCheap)
        case .filter(let input, let condition):
            return condition.isCheap && input.isBoundedRead
        case .project(let input, let expressions):
            return expressions.allSatisfy(\.isCheap) && input.isBoundedRead
        case .limit(let input, let limit, let offset):
            return [limit, offset].allSatisfy { $0?.isCheap ?? true } && input.isBoundedRead
        default:
            return false
        }
    }

    private static let pointLookupRowsMax = 16
    /// The widest primary-key range a bounded read scans: about what a point lookup of 16
    /// rows costs in page reads, a few tens of microseconds of decoding.
    static let rowIDRangeRowsMax: Int64 = 1_000
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
