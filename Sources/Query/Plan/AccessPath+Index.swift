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
        /// The fraction of the table's rows the index's conditions keep, by ANALYZE's
        /// statistics (Selectivity); nil when the table has none.
        var selectivity: Double?

        func beats(_ other: IndexCandidate) -> Bool {
            if score != other.score, score == 3 || other.score == 3 { return score > other.score }
            if let mine = selectivity, let theirs = other.selectivity, mine != theirs,
               score > 1 || range.lower != nil || range.upper != nil, other.score > 1 || other.range.lower != nil || other.range.upper != nil {
                return mine < theirs
            }
            if score != other.score { return score > other.score }
            if keysUsed != other.keysUsed { return keysUsed > other.keysUsed }
            if range.ordered != other.range.ordered { return range.ordered }
            return range.index.predicate != nil && other.range.index.predicate == nil
        }
    }

    static func indexRange(_ scan: TableScan, _ conjuncts: [BoundExpression], order: [Binder.OrderKey], orderOnly: Bool,
                           scoreMin: Int, parameters: PlanParameters? = nil) -> PlanNode? {
        var best: IndexCandidate?
        for index in scan.table.indexes where index.hasEntryTree {
            guard let bound = try? IndexExpressions.shared.bound(index, table: scan.table) else { continue }
            if bound.hasJSONKey && !index.isInverted { continue }
            if let predicate = bound.predicate, !implies(conjuncts, predicate, parameters: parameters) { continue }
            let found = index.isInverted
                ? termSearch(on: index, key: bound.keys[0], conjuncts)
                : range(on: index, keys: bound.keys, table: scan.table, conjuncts, order: order, orderOnly: orderOnly)
            guard var found else { continue }
            found.selectivity = estimate(found.range, keys: bound.keys, scan.table, conjuncts)
            if best == nil || found.beats(best!) { best = found }
        }
        guard var best, best.score >= scoreMin else { return nil }
        if let fraction = best.selectivity, let selectivity = Selectivity(scan.table) {
            let rows = "estimated \(Int(selectivity.rows(fraction))) of \(Int(selectivity.statistics.rowCount)) rows"
            if fraction > seqScanFractionMin, !(best.range.ordered && orderOnly) {
                return .seqScan(with(scan, reason: "\(rows) match \(best.reason), too many for index \(best.range.index.name)"))
            }
            best.reason += " (\(rows))"
        }
        return .indexScan(with(scan, reason: best.reason), best.range)
    }

    /// The B+tree index range that best narrows a vector search's WHERE clause, whatever
    /// ANALYZE's statistics say: the search reads only the range's row ids (no row), to
    /// build the bitmap of matching rows when it needs one (`VectorScan.matchingRows(_:_:from:entriesMax:_:)`).
    static func filterRange(_ scan: TableScan, parameters: PlanParameters?) -> IndexRange? {
        let conjuncts = scan.filter?.conjuncts ?? []
        var best: IndexCandidate?
        for index in scan.table.indexes where index.hasEntryTree && !index.isInverted {
            guard let bound = try? IndexExpressions.shared.bound(index, table: scan.table), !bound.hasJSONKey else { continue }
            if let predicate = bound.predicate, !implies(conjuncts, predicate, parameters: parameters) { continue }
            guard let found = range(on: index, keys: bound.keys, table: scan.table, conjuncts, order: [], orderOnly: false) else { continue }
            if best == nil || found.beats(best!) { best = found }
        }
        return best?.range
    }

    /// Above this fraction of the table a sequential scan is cheaper than an index scan,
    /// which reads each row it finds by a B+tree lookup of its own (PostgreSQL's cost model
    /// puts the turn near here for rows scattered over the table).
    static let seqScanFractionMin = 0.2

    /// The fraction of rows `range`'s equalities and range keep, by ANALYZE's statistics,
    /// the keys taken as independent; nil without statistics or for a text search.
    private static func estimate(_ range: IndexRange, keys: [BoundExpression], _ table: TableDefinition,
                                 _ conjuncts: [BoundExpression]) -> Double? {
        guard let selectivity = Selectivity(table), !range.isTermSearch else { return nil }
        var fraction = 1.0
        for (position, key) in keys.enumerated() {
            if let value = equality(conjuncts, key: key) {
                fraction *= selectivity.equality(key, value)
                continue
            }
            if let list = range.keyList, list.position == position {
                fraction *= list.isArray ? Selectivity.rangeDefault : selectivity.inList(key, list.values)
                continue
            }
            if let bounds = bounds(on: key, conjuncts) { fraction *= selectivity.range(key, bounds) }
            break
        }
        return fraction
    }

    /// Equalities on the index's leading keys, then a range on the next key; the ORDER BY
    /// keys that follow the equalities in key order need no sort.
    private static func range(on index: IndexDefinition, keys: [BoundExpression], table: TableDefinition,
                              _ conjuncts: [BoundExpression], order: [Binder.OrderKey], orderOnly: Bool) -> IndexCandidate? {
        var range = IndexRange(index: index)
        var equalities: [BoundExpression] = []
        var conditions: [String] = []
        for (position, key) in keys.enumerated() {
            if let (value, source) = equalityConjunct(conjuncts, key: key) {
                equalities.append(value)
                range.conjunctsUsed.append(source)
                conditions.append("\(keyText(index, position)) = value")
            } else if range.keyList == nil, let (list, source) = keyList(conjuncts, key: key, position: position) {
                range.keyList = list
                range.conjunctsUsed.append(source)
                equalities.append(.constant(.null))  // each listed value in turn, when the scan runs
                conditions.append("\(keyText(index, position)) = ANY (values)")
            } else {
                break
            }
        }
        var rangeBounds: ColumnBounds?
        if equalities.count < keys.count, let bounds = bounds(on: keys[equalities.count], conjuncts) {
            rangeBounds = bounds
            range.conjunctsUsed += bounds.sources
            conditions.append(boundsText(bounds, keyText(index, equalities.count)))
        }
        // Ranges read value by value come out in the list's order, not the index's.
        let ordering = range.keyList != nil ? nil : orderFollows(order, index: index, keys: keys, equalityCount: equalities.count,
                                                                 boundedNext: rangeBounds != nil, table: table)
        range.rangeKeyDescending = index.isDescending(at: equalities.count)
        let ordered = ordering != nil
        range.reverse = ordering?.reverse ?? false
        range.nullsMoved = ordering?.nullsMoved ?? false
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
        equalityConjunct(conjuncts, key: key)?.value
    }

    /// `equality`'s value and the position of its conjunct.
    private static func equalityConjunct(_ conjuncts: [BoundExpression], key: BoundExpression) -> (value: BoundExpression, source: Int)? {
        guard let wanted = key.structuralKey else { return nil }
        for (position, conjunct) in conjuncts.enumerated() {
            guard case .binary(.equal, let a, let b) = conjunct else { continue }
            if b.isRowIndependent, a.structuralKey == wanted { return (b, position) }
            if a.isRowIndependent, b.structuralKey == wanted { return (a, position) }
        }
        return nil
    }

    /// `key IN (values)` or `key = ANY (array)`, the values independent of the row.
    private static func keyList(_ conjuncts: [BoundExpression], key: BoundExpression, position: Int) -> (IndexRange.KeyList, source: Int)? {
        guard let wanted = key.structuralKey else { return nil }
        for (source, conjunct) in conjuncts.enumerated() {
            switch conjunct {
            case .inList(let subject, let values, negated: false) where subject.structuralKey == wanted && values.allSatisfy(\.isRowIndependent):
                return (IndexRange.KeyList(position: position, values: values, isArray: false), source)
            case .quantified(.equal, let subject, let array, all: false)
                where subject.structuralKey == wanted && array.isRowIndependent && isArrayValued(array):
                return (IndexRange.KeyList(position: position, values: [array], isArray: true), source)
            default: continue
            }
        }
        return nil
    }

    /// Whether `expression` surely evaluates to an array (or NULL): an array constant, a
    /// parameter or cast of an array type, `ARRAY(SELECT …)`.
    private static func isArrayValued(_ expression: BoundExpression) -> Bool {
        switch expression {
        case .constant(let value): if case .array = value { true } else { value.isNull }
        case .parameter(_, let type), .cast(_, let type): type.elementType != nil
        case .arraySubquery: true
        default: false
        }
    }

    /// How an index read in key order (or its reverse) gives the ORDER BY.
    struct Ordering {
        /// Read from the last key to the first (every ORDER BY key DESC).
        var reverse = false
        /// The entries whose key after the equalities is NULL are read at the other end
        /// from where the direction puts them (first forward, last in reverse).
        var nullsMoved = false
    }

    /// Whether reading the index in key order, or in its exact reverse, gives the ORDER BY:
    /// its keys are the index keys after the equalities, in order, each in its stored
    /// direction (forward) or each in the opposite one (reverse). A key's NULLs come first in
    /// its stored order when it is ascending and last when it is DESC (KeyCodec), and the
    /// other way round in reverse; a key whose NULLs come where the ORDER BY does not want
    /// them must hold no NULL (a NOT NULL column, or the bounded key), or be the first ORDER
    /// BY key, whose NULL entries the scan then reads at the other end (`nullsMoved`).
    private static func orderFollows(_ order: [Binder.OrderKey], index: IndexDefinition, keys: [BoundExpression],
                                     equalityCount: Int, boundedNext: Bool, table: TableDefinition) -> Ordering? {
        guard let first = order.first, equalityCount + order.count <= keys.count else { return nil }
        var ordering = Ordering(reverse: first.output.descending != index.isDescending(at: equalityCount))
        for (offset, key) in order.enumerated() {
            let position = equalityCount + offset
            let storedDescending = index.isDescending(at: position)
            guard key.output.descending == (storedDescending != ordering.reverse), let wanted = keys[position].structuralKey,
                  key.input.structuralKey == wanted else { return nil }
            let nullsWhereRead = storedDescending == ordering.reverse
            if key.output.nullsFirst == nullsWhereRead || isNotNullColumn(keys[position], table)
                || (offset == 0 && boundedNext) { continue }
            guard offset == 0 else { return nil }
            ordering.nullsMoved = true
        }
        return ordering
    }

    private static func isNotNullColumn(_ key: BoundExpression, _ table: TableDefinition) -> Bool {
        guard case .column(let position) = key, position < table.columns.count else { return false }
        return table.columns[position].notNull || table.rowIDColumn == position
    }

    /// The term search a gin index can answer, by its operator class.
    private static func termSearch(on index: IndexDefinition, key: BoundExpression, _ conjuncts: [BoundExpression]) -> IndexCandidate? {
        switch index.invertedOperatorClass {
        case nil: textSearch(on: index, key: key, conjuncts)
        case Trigrams.operatorClass?: trigramSearch(on: index, key: key, conjuncts)
        default: jsonSearch(on: index, key: key, conjuncts)
        }
    }

    /// `key % value` or `key [I]LIKE pattern` (without ESCAPE, not negated; the value
    /// independent of the row) on a gin_trgm_ops index; scores as an equality.
    private static func trigramSearch(on index: IndexDefinition, key: BoundExpression, _ conjuncts: [BoundExpression]) -> IndexCandidate? {
        guard let wanted = key.structuralKey else { return nil }
        for conjunct in conjuncts {
            let query: TrigramIndexQuery, document: BoundExpression
            switch conjunct {
            case .function(let function, let arguments) where function.name == "similarity_op" && arguments.count == 2:
                // `%` is symmetric: the indexed text may stand on either side.
                let keyFirst = arguments[0].structuralKey == wanted
                (document, query) = (arguments[keyFirst ? 0 : 1], TrigramIndexQuery(kind: .similar, value: arguments[keyFirst ? 1 : 0]))
            case .like(let operand, let pattern, nil, _, false):
                (document, query) = (operand, TrigramIndexQuery(kind: .like, value: pattern))
            default: continue
            }
            guard query.value.isRowIndependent, document.structuralKey == wanted else { continue }
            var range = IndexRange(index: index)
            range.trigramQuery = query
            range.condition = "\(keyText(index, 0)) \(query.kind == .similar ? "%" : "LIKE") value"
            return IndexCandidate(range: range, score: 2, keysUsed: 1, reason: range.condition!)
        }
        return nil
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

    /// `key @> value` (either operator class) or `key ?`, `?|`, `?&` (jsonb_ops) on a gin
    /// index over jsonb, the value independent of the row; scores as an equality.
    private static func jsonSearch(on index: IndexDefinition, key: BoundExpression, _ conjuncts: [BoundExpression]) -> IndexCandidate? {
        guard let wanted = key.structuralKey else { return nil }
        let operators: Set<BinaryOperator> = index.invertedOperatorClass == "jsonb_path_ops" ? [.contains] : [.contains, .hasKey, .hasAnyKey, .hasAllKeys]
        for (position, conjunct) in conjuncts.enumerated() {
            guard case .binary(let op, let document, let value) = conjunct, operators.contains(op), value.isRowIndependent,
                  document.structuralKey == wanted else { continue }
            var range = IndexRange(index: index)
            range.jsonQuery = JSONIndexQuery(op: op, value: value)
            range.condition = "\(keyText(index, 0)) \(op.rawValue) value"
            range.conjunctsUsed = [position]
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
