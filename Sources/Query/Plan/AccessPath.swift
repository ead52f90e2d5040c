import VireoStorage

/// Chooses how a single table is read: by row id, through a B+tree index, through a
/// vector index for ORDER BY distance LIMIT k, or by a sequential scan. The WHERE
/// clause always stays as the scan's filter, so an index only narrows what is read.
enum AccessPath {
    static func choose(_ source: PlanNode, scope: Scope, whereClause: BoundExpression?, order: [Binder.OrderKey],
                       query: Query?, binder: Binder, distinct: Bool) throws -> PlanNode {
        guard case .seqScan(var scan) = source else {
            guard let whereClause else { return source }
            return PredicatePushdown.apply(whereClause.conjuncts, to: source, width: scope.width)
        }
        // A TABLESAMPLE scan keeps its sampling test under the WHERE clause.
        scan.filter = BoundExpression.conjunction((scan.filter?.conjuncts ?? []) + (whereClause?.conjuncts ?? []))
        if let query, !distinct, let vector = vectorSearch(scan, order: order, query: query, binder: binder) {
            return vector
        }
        if let query, !distinct, let text = textTopK(scan, order: order, query: query, binder: binder) {
            return text
        }
        return scanPath(scan, order: distinct ? [] : order, limited: query?.limit != nil, parameters: binder.planParameters)
    }

    /// The best way to read one table given its filter: row id, index range or a full scan.
    /// With `order` (the query's ORDER BY over the table's row), an index whose key order
    /// gives it may be chosen so that no sort is needed (IndexRange.ordered).
    /// An index that only gives the order, with no condition narrowing it, is taken only
    /// under a LIMIT (`limited`): reading every row through it costs more than a sort.
    static func scanPath(_ scan: TableScan, order: [Binder.OrderKey] = [], limited: Bool = false,
                         parameters: PlanParameters? = nil) -> PlanNode {
        var scan = scan
        (scan.rowIDBounds, scan.filterWithinBounds) = (nil, nil)  // found again from the filter below
        let conjuncts = scan.filter?.conjuncts ?? []
        if let lookup = rowIDLookup(scan, conjuncts) { return lookup }
        // A secondary index's equality beats a primary-key range; its range does not.
        let keyRange = rowIDRange(scan, conjuncts)
        if let range = indexRange(scan, conjuncts, order: order, orderOnly: limited, scoreMin: keyRange == nil ? 1 : 2,
                                  parameters: parameters) {
            // ANALYZE's statistics may have found a sequential scan cheaper; a key range still narrows it.
            if case .seqScan = range, let keyRange { return .seqScan(keyRange) }
            return range
        }
        return .seqScan(keyRange ?? scan)
    }

    /// The scan limited to the primary-key range the WHERE clause's comparisons bound.
    private static func rowIDRange(_ scan: TableScan, _ conjuncts: [BoundExpression]) -> TableScan? {
        guard let column = scan.table.rowIDColumn, let bounds = bounds(on: column, conjuncts) else { return nil }
        var limited = with(scan, reason: "range on primary key \(scan.table.columns[column].name)")
        limited.rowIDBounds = bounds
        limited.filterWithinBounds = BoundExpression.conjunction(
            conjuncts.enumerated().filter { !bounds.sources.contains($0.offset) }.map(\.element))
        return limited
    }

    // MARK: Row id

    private static func rowIDLookup(_ scan: TableScan, _ conjuncts: [BoundExpression]) -> PlanNode? {
        guard let column = scan.table.rowIDColumn else { return nil }
        let name = scan.table.columns[column].name
        for (position, conjunct) in conjuncts.enumerated() {
            if let value = equality(conjunct, column: column) {
                var lookup = with(scan, reason: "primary key \(name) = value")
                if value.isFixedForStatement {
                    lookup.filterBesideKey = .some(BoundExpression.conjunction(
                        conjuncts.enumerated().filter { $0.offset != position }.map(\.element)))
                }
                return .rowIDLookup(lookup, rowIDs: [value])
            }
            if case .inList(.column(column), let list, negated: false) = conjunct, list.allSatisfy(\.isRowIndependent) {
                return .rowIDLookup(with(scan, reason: "primary key \(name) IN list"), rowIDs: list)
            }
        }
        return nil
    }

    /// `column = value` or `value = column`, with `value` independent of the row.
    static func equality(_ conjunct: BoundExpression, column: Int) -> BoundExpression? {
        guard case .binary(.equal, let a, let b) = conjunct else { return nil }
        if case .column(column) = a, b.isRowIndependent { return b }
        if case .column(column) = b, a.isRowIndependent { return a }
        return nil
    }

    /// The bounds that comparisons of `column` with row-independent values put on it (the
    /// last of each side wins; the WHERE clause, still applied, keeps the others); nil if none.
    static func bounds(on column: Int, _ conjuncts: [BoundExpression]) -> ColumnBounds? {
        bounds(on: .column(column), conjuncts)
    }

    /// The bounds comparisons put on `key` (a column or an indexed expression, matched by
    /// its structural key).
    static func bounds(on key: BoundExpression, _ conjuncts: [BoundExpression]) -> ColumnBounds? {
        guard let wanted = key.structuralKey else { return nil }
        var bounds = ColumnBounds()
        var lowerSource: Int?, upperSource: Int?
        for (position, conjunct) in conjuncts.enumerated() {
            guard case .binary(let op, let a, let b) = conjunct else { continue }
            let (columnOnLeft, value): (Bool, BoundExpression)
            if b.isRowIndependent, a.structuralKey == wanted { (columnOnLeft, value) = (true, b) }
            else if a.isRowIndependent, b.structuralKey == wanted { (columnOnLeft, value) = (false, a) }
            else { continue }
            switch (op, columnOnLeft) {
            case (.greater, true), (.less, false): (bounds.lower, bounds.lowerInclusive, lowerSource) = (value, false, position)
            case (.greaterOrEqual, true), (.lessOrEqual, false): (bounds.lower, bounds.lowerInclusive, lowerSource) = (value, true, position)
            case (.less, true), (.greater, false): (bounds.upper, bounds.upperInclusive, upperSource) = (value, false, position)
            case (.lessOrEqual, true), (.greaterOrEqual, false): (bounds.upper, bounds.upperInclusive, upperSource) = (value, true, position)
            default: continue
            }
        }
        bounds.sources = [lowerSource, upperSource].compactMap { $0 }
        return bounds.lower != nil || bounds.upper != nil ? bounds : nil
    }

    /// `scan` for another access path: its `filterBesideKey` belonged to the lookup it was
    /// made for (a join's probe keys by the outer row's value, which it does not name).
    static func with(_ scan: TableScan, reason: String) -> TableScan {
        var copy = scan
        copy.reason = reason
        copy.filterBesideKey = nil
        return copy
    }

    // MARK: Vector index

    /// ORDER BY column <op> value LIMIT k, with an HNSW index on the column whose operator
    /// class matches the operator.
    private static func vectorSearch(_ scan: TableScan, order: [Binder.OrderKey], query: Query, binder: Binder) -> PlanNode? {
        guard let first = order.first, !first.output.descending, let limit = query.limit,
              case .binary(let op, let a, let b) = first.input else { return nil }
        let (columnExpression, value) = b.isRowIndependent ? (a, b) : (b, a)
        guard case .column(let column) = columnExpression, value.isRowIndependent,
              column < scan.table.columns.count, let metric = metric(of: op) else { return nil }
        let columnName = scan.table.columns[column].name
        guard let index = scan.table.indexes.first(where: {
            $0.method == "hnsw" && $0.columns.first == columnName && $0.options["metric"] == metric
        }), !binder.staleVectorIndexes.contains(index.name) else { return nil }
        guard let k = try? binder.coerce(binder.bind(limit, Scope()), to: .int) else { return nil }
        var offset: BoundExpression?
        if let written = query.offset {
            guard let bound = try? binder.coerce(binder.bind(written, Scope()), to: .int) else { return nil }
            offset = bound
        }
        let distance = SortKey(expression: first.input, descending: false, nullsFirst: false)
        let textFilter = textPrefilter(scan)
        let rows: PlanNode = textFilter.map { filter in
            var range = IndexRange(index: filter.index)
            range.textQuery = filter.query
            return .indexScan(with(scan, reason: "pre-filter of a vector search"), range)
        } ?? .seqScan(scan)
        let exact = PlanNode.topK(rows, [distance], limit: k, offset: offset)
        var search = VectorSearch(index: index, query: value, limit: k, offset: offset, exactPlan: exact, textFilter: textFilter)
        if textFilter == nil, let range = filterRange(scan, parameters: binder.planParameters) {
            let conjunctCount = scan.filter?.conjuncts.count ?? 0
            search.filterRange = VectorSearch.FilterRange(range: range, coversFilter: Set(range.conjunctsUsed).count == conjunctCount)
        }
        return .vectorScan(with(scan, reason: "ORDER BY \(columnName) \(op.rawValue) value LIMIT k"), search)
    }

    /// The first `document @@ query` term of the scan's WHERE clause (query independent of
    /// the row) whose document a gin index (not a partial one) keys on.
    private static func textPrefilter(_ scan: TableScan) -> VectorSearch.TextFilter? {
        for conjunct in scan.filter?.conjuncts ?? [] {
            guard case .binary(.textSearchMatch, let document, let query) = conjunct, query.isRowIndependent,
                  let key = document.structuralKey else { continue }
            for index in scan.table.indexes where index.isInverted && index.invertedOperatorClass == nil && index.hasEntryTree && index.predicate == nil {
                guard let bound = try? IndexExpressions.shared.bound(index, table: scan.table), bound.keys.first?.structuralKey == key else { continue }
                return VectorSearch.TextFilter(index: index, query: query)
            }
        }
        return nil
    }

    static func metric(of op: BinaryOperator) -> String? {
        switch op {
        case .l2Distance: "l2"
        case .negativeInnerProduct: "ip"
        case .cosineDistance: "cosine"
        case .l1Distance: "l1"
        case .hammingDistance: "hamming"
        case .jaccardDistance: "jaccard"
        default: nil
        }
    }
}
