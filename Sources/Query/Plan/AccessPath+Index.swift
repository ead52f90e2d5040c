import VireoStorage

/// Choosing a B+tree or gin index for a table's WHERE clause (and ORDER BY). An index key
/// is a column or an expression, matched with the query's by structural equality; a
/// multi-column index serves equalities on a prefix of its keys plus a range on the next;
/// a partial index only when the WHERE clause implies its predicate (AccessPath+Implication).
extension AccessPath {
    /// What one index offers a query.
    struct IndexCandidate {
        var range: IndexRange
        /// 3: an equality on every key of a unique index; 2: equalities on a prefix (or a
        /// text match); 1: a range on the first key only, or an order with no bound.
        var score: Int
        /// Keys constrained, to prefer the index that narrows more among equal scores.
        var keysUsed: Int
        var reason: String

        func beats(_ other: IndexCandidate) -> Bool {
            if score != other.score { return score > other.score }
            if keysUsed != other.keysUsed { return keysUsed > other.keysUsed }
            if range.ordered != other.range.ordered { return range.ordered }
            return range.index.predicate != nil && other.range.index.predicate == nil
        }
    }

    static func indexRange(_ scan: TableScan, _ conjuncts: [BoundExpression], order: [Binder.OrderKey], orderOnly: Bool,
                           scoreMin: Int) -> PlanNode? {
        var best: IndexCandidate?
        for index in scan.table.indexes where index.hasEntryTree {
            guard let bound = try? IndexExpressions.shared.bound(index, table: scan.table) else { continue }
            if let predicate = bound.predicate, !implies(conjuncts, predicate) { continue }
            let found = index.isInverted
                ? textSearch(on: index, key: bound.keys[0], conjuncts)
                : range(on: index, keys: bound.keys, table: scan.table, conjuncts, order: order, orderOnly: orderOnly)
            guard let found else { continue }
            if best == nil || found.beats(best!) { best = found }
        }
        guard let best, best.score >= scoreMin else { return nil }
        return .indexScan(with(scan, reason: best.reason), best.range)
    }

    /// Equalities on the index's leading keys, then a range on the next key; the ORDER BY
    /// keys that follow the equalities in key order need no sort.
    private static func range(on index: IndexDefinition, keys: [BoundExpression], table: TableDefinition,
                              _ conjuncts: [BoundExpression], order: [Binder.OrderKey], orderOnly: Bool) -> IndexCandidate? {
        var range = IndexRange(index: index)
        var equalities: [BoundExpression] = []
        var conditions: [String] = []
        for (position, key) in keys.enumerated() {
            guard let value = equality(conjuncts, key: key) else { break }
            equalities.append(value)
            conditions.append("\(keyText(index, position)) = value")
        }
        var rangeBounds: ColumnBounds?
        if equalities.count < keys.count, let bounds = bounds(on: keys[equalities.count], conjuncts) {
            rangeBounds = bounds
            conditions.append(boundsText(bounds, keyText(index, equalities.count)))
        }
        let ordering = orderFollows(order, keys: keys, equalityCount: equalities.count,
                                    boundedNext: rangeBounds != nil, table: table)
        let ordered = ordering != nil
        range.nullsAfter = ordering == .nullsAfter
        guard !equalities.isEmpty || rangeBounds != nil || (ordered && orderOnly) else { return nil }
        range.lower = equalities + [rangeBounds?.lower].compactMap { $0 }
        range.upper = equalities + [rangeBounds?.upper].compactMap { $0 }
        if range.lower!.isEmpty { range.lower = nil }
        if range.upper!.isEmpty { range.upper = nil }
        range.lowerInclusive = rangeBounds?.lower == nil || rangeBounds!.lowerInclusive
        range.upperInclusive = rangeBounds?.upper == nil || rangeBounds!.upperInclusive
        range.ordered = ordered
        range.condition = conditions.isEmpty ? nil : conditions.joined(separator: " AND ")
        let score = index.isUnique && equalities.count == keys.count ? 3 : (equalities.isEmpty ? 1 : 2)
        let used = equalities.count + (rangeBounds == nil ? 0 : 1)
        var reason = equalities.isEmpty && rangeBounds != nil ? "range on \(keyText(index, 0))"
            : range.condition ?? "ORDER BY \(keyText(index, 0))"
        if ordered, range.condition != nil { reason += ", ORDER BY from the index" }
        return IndexCandidate(range: range, score: score, keysUsed: used, reason: reason)
    }

    /// `key = value` or `value = key` among the conjuncts, with `value` independent of the row.
    private static func equality(_ conjuncts: [BoundExpression], key: BoundExpression) -> BoundExpression? {
        guard let wanted = key.structuralKey else { return nil }
        for conjunct in conjuncts {
            guard case .binary(.equal, let a, let b) = conjunct else { continue }
            if b.isRowIndependent, a.structuralKey == wanted { return b }
            if a.isRowIndependent, b.structuralKey == wanted { return a }
        }
        return nil
    }

    /// How an index read in key order gives the ORDER BY.
    enum Ordering { case keyOrder, nullsAfter }

    /// Whether reading the index in key order gives the ORDER BY: its keys (all ascending)
    /// are the index keys after the equalities, in order. Index order puts NULL first, so a
    /// key sorted NULLS LAST must hold no NULL (a NOT NULL column, or the bounded key), or
    /// be the first ORDER BY key, whose NULL entries the scan then reads last (`.nullsAfter`).
    private static func orderFollows(_ order: [Binder.OrderKey], keys: [BoundExpression], equalityCount: Int,
                                     boundedNext: Bool, table: TableDefinition) -> Ordering? {
        guard !order.isEmpty, equalityCount + order.count <= keys.count else { return nil }
        var ordering = Ordering.keyOrder
        for (offset, key) in order.enumerated() {
            let position = equalityCount + offset
            guard !key.output.descending, let wanted = keys[position].structuralKey,
                  key.input.structuralKey == wanted else { return nil }
            if key.output.nullsFirst || isNotNullColumn(keys[position], table) || (offset == 0 && boundedNext) { continue }
            guard offset == 0 else { return nil }
            ordering = .nullsAfter
        }
        return ordering
    }

    private static func isNotNullColumn(_ key: BoundExpression, _ table: TableDefinition) -> Bool {
        guard case .column(let position) = key, position < table.columns.count else { return false }
        return table.columns[position].notNull || table.rowIDColumn == position
    }

    /// `key @@ query` (query independent of the row) on a gin index whose key is a tsvector
    /// column or expression; scores as an equality, above a range.
    private static func textSearch(on index: IndexDefinition, key: BoundExpression, _ conjuncts: [BoundExpression]) -> IndexCandidate? {
        guard let wanted = key.structuralKey else { return nil }
        for conjunct in conjuncts {
            guard case .binary(.textSearchMatch, let document, let query) = conjunct, query.isRowIndependent,
                  document.structuralKey == wanted else { continue }
            var range = IndexRange(index: index)
            range.textQuery = query
            range.condition = "\(keyText(index, 0)) @@ query"
            return IndexCandidate(range: range, score: 2, keysUsed: 1, reason: range.condition!)
        }
        return nil
    }

    /// How EXPLAIN names key `position`: the column, or the expression's SQL.
    static func keyText(_ index: IndexDefinition, _ position: Int) -> String {
        index.expression(at: position).map { "(\($0))" } ?? index.columns[position]
    }

    private static func boundsText(_ bounds: ColumnBounds, _ key: String) -> String {
        var parts: [String] = []
        if bounds.lower != nil { parts.append("\(key) \(bounds.lowerInclusive ? ">=" : ">") value") }
        if bounds.upper != nil { parts.append("\(key) \(bounds.upperInclusive ? "<=" : "<") value") }
        return parts.joined(separator: " AND ")
    }
}
