import VireoStorage

/// Choosing an index nested-loop join: when the right side of an inner or LEFT equality
/// join is a table whose primary key, or the leading columns of a B+tree index, are the
/// join's right keys, and the left side is small (bounded by its plan, or by ANALYZE's
/// estimates), each left row probes the right table by its key instead of the whole right
/// table being read and hashed. The join condition, key equalities included, is still
/// evaluated on every joined row, so the probe only narrows what is read (a key of another
/// type, `2.5` against an integer key, finds no row or is rechecked exactly).
enum IndexJoin {
    /// The right side as a probe whose keys are evaluated over each left row (the inner
    /// plan of `.indexNestedLoopJoin`); nil when no probe applies or the left side is not small.
    static func probe(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, leftKeys: [BoundExpression],
                      rightKeys: [BoundExpression]) -> PlanNode? {
        guard spec.kind == .inner || spec.kind == .left, case .seqScan(let scan) = right, scan.rowIDBounds == nil,
              isSmallOuter(left, right) else { return nil }
        if let lookup = rowIDProbe(scan, leftKeys, rightKeys) { return lookup }
        return indexProbe(scan, leftKeys, rightKeys)
    }

    /// Rows each left row probes for, by ANALYZE's estimates, at which reading the whole
    /// right side once is about as cheap: a probe descends the B+tree and decodes a row
    /// found at random, a sequential scan reads rows in page order.
    static let probeCostRows = 4.0

    /// Whether the left side gives few rows: fewer than a quarter of the right side's by
    /// ANALYZE's estimates when both are known, otherwise a plan bounded by its shape (a
    /// primary-key range closed on both sides, key lookups, an index range, constant rows,
    /// a LIMIT).
    static func isSmallOuter(_ left: PlanNode, _ right: PlanNode) -> Bool {
        if let leftRows = left.estimatedRows, let rightRows = right.estimatedRows {
            return leftRows * probeCostRows <= rightRows
        }
        return left.isBounded
    }

    /// A lookup by row id when one right key is the primary key.
    private static func rowIDProbe(_ scan: TableScan, _ leftKeys: [BoundExpression], _ rightKeys: [BoundExpression]) -> PlanNode? {
        guard let column = scan.table.rowIDColumn,
              let position = rightKeys.firstIndex(where: { if case .column(column) = $0 { true } else { false } }) else { return nil }
        let name = scan.table.columns[column].name
        return .rowIDLookup(AccessPath.with(scan, reason: "join key \(name) = outer row's value"), rowIDs: [leftKeys[position]])
    }

    /// An index scan on the B+tree index (plain columns, not partial) whose longest prefix
    /// of keys the right keys give, a unique one whose every key they give first.
    private static func indexProbe(_ scan: TableScan, _ leftKeys: [BoundExpression], _ rightKeys: [BoundExpression]) -> PlanNode? {
        var best: (range: IndexRange, keys: Int, unique: Bool)?
        for index in scan.table.indexes where index.isBTree && !index.isComputed {
            var values: [BoundExpression] = []
            for name in index.columns {
                guard let column = scan.table.columnIndex(name),
                      let position = rightKeys.firstIndex(where: { if case .column(column) = $0 { true } else { false } }) else { break }
                values.append(leftKeys[position])
            }
            guard !values.isEmpty else { continue }
            let unique = index.isUnique && values.count == index.columns.count
            if let best, best.unique || (best.unique == unique && best.keys >= values.count) { continue }
            var range = IndexRange(index: index, lower: values, upper: values)
            range.condition = index.columns.prefix(values.count).map { "\($0) = outer row's value" }.joined(separator: " AND ")
            best = (range, values.count, unique)
        }
        guard let best else { return nil }
        return .indexScan(AccessPath.with(scan, reason: "join key " + best.range.condition!), best.range)
    }
}

extension PlanNode {
    /// Whether the plan's shape bounds the rows it gives, whatever the table's size.
    var isBounded: Bool {
        switch self {
        case .seqScan(let scan): scan.rowIDBounds?.lower != nil && scan.rowIDBounds?.upper != nil
        case .rowIDLookup, .values: true
        case .indexScan(_, let range): range.textQuery == nil && range.lower != nil && range.upper != nil
        case .limit(_, let limit, _): limit != nil
        case .topK: true
        case .filter(let input, _), .project(let input, _): input.isBounded
        default: false
        }
    }

    /// An index nested-loop join's probe with its keys evaluated over `leftRow`: the lookup
    /// or index range for that row's values.
    func probing(_ leftRow: [Value], _ context: ExecutionContext) throws -> PlanNode {
        probing(keyValues: try probeKeys.map { try Evaluator.evaluate($0, leftRow, context) })
    }

    /// The probe for its keys' values (`probeKeys` evaluated, in order).
    func probing(keyValues: [Value]) -> PlanNode {
        switch self {
        case .rowIDLookup(let scan, _):
            return .rowIDLookup(scan, rowIDs: keyValues.map { .constant($0) })
        case .indexScan(let scan, var range):
            let values = keyValues.map { BoundExpression.constant($0) }
            (range.lower, range.upper) = (values, values)
            return .indexScan(scan, range)
        default:
            preconditionFailure("an index nested-loop join probes by row id or index range only")
        }
    }

    /// The left-row expressions an index nested-loop join's probe evaluates.
    var probeKeys: [BoundExpression] {
        switch self {
        case .rowIDLookup(_, let keys): keys
        case .indexScan(_, let range): range.lower ?? []
        default: []
        }
    }

    /// The probe's table read as a whole again (for a join rebuilt after pushdown).
    var probedTable: PlanNode {
        switch self {
        case .rowIDLookup(let scan, _), .indexScan(let scan, _):
            let plain = AccessPath.with(scan, reason: "no usable index")
            return plain.filter == nil ? .seqScan(plain) : AccessPath.scanPath(plain)
        default: return self
        }
    }
}
