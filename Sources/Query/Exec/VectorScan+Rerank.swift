import VireoIndex
import VireoStorage

extension VectorSearch {
    /// The type of the query an index over a bit or sparsevec column takes (its rows hold
    /// texts, searched as floats: `IndexedVector`); nil for vector and halfvec indexes.
    var textValuedType: SQLType? {
        switch index.options["type"] {
        case "bit": .bit(nil, varying: false)
        case "sparsevec": .sparsevec(nil)
        default: nil
        }
    }

    /// pgvector's error for a query of another length than the index's rows (bits or a
    /// sparsevec; a vector's is VectorText.check's), the query's length first as its
    /// index scan gives it.
    func checkQuery(_ query: [Float], dimension: Int) throws {
        guard let type = textValuedType, query.count != dimension else { return }
        let what = type.isBit ? "bit lengths" : "sparsevec dimensions"
        throw VireoError(.dataException, "different \(what) \(query.count) and \(dimension)")
    }

    /// The operator a search re-ranks its candidates by, when the graph measures another
    /// metric (bit_jaccard_ops on a cosine graph, *_l1_ops on an l2 graph); nil otherwise.
    var exactOperator: BinaryOperator? {
        switch index.options["metric"] {
        case "jaccard": .jaccardDistance
        case "l1": .l1Distance
        default: nil
        }
    }
}

extension VectorScan {
    /// How many labels the index search returns for `k` rows: twice ef candidates when the
    /// scan re-ranks them (`exactOperator`; on 1,500 random 200-d sparsevecs, l1 over the l2
    /// graph found 0.80 of the exact 10 from ef candidates), else the k nearest.
    static func candidateCount(_ plan: NearestPlan, k: Int, efSearch: Int) -> Int {
        plan.exactOperator == nil ? k : min(HNSWIndex.efSearchMax, max(k, 2 * efSearch))
    }

    /// `found`'s k rows nearest by the search's operator, measured on the values this
    /// statement sees (a row it does not see is left out), when the graph measures another
    /// metric; `found` as it is otherwise.
    static func rerankExactly(_ found: Found, k: Int, _ plan: NearestPlan, _ context: ExecutionContext) throws -> Found {
        guard let op = plan.exactOperator, let column = plan.scan.table.columnIndex(plan.search.index.columns[0]) else {
            return found
        }
        var query = try Evaluator.evaluate(plan.search.query, [], context)
        if let type = plan.textValuedType { query = try Cast.convert(query, to: type) }
        var measured: [(label: Int64, distance: Float)] = []
        measured.reserveCapacity(found.rows.count)
        for (label, _) in found.rows {
            try context.checkCancel()
            let value = try context.data.withRow(plan.scan.table, rowID: label) { record -> Value in
                column < record.columnCount ? try record.value(at: column) : .null
            }
            guard let value, !value.isNull, case .double(let distance) = try Operators.apply(op, value, query) else { continue }
            measured.append((label, Float(distance)))
        }
        // Stable: ties keep the graph's order.
        let ranked = measured.enumerated().sorted { ($0.element.distance, $0.offset) < ($1.element.distance, $1.offset) }
        return Found(rows: ranked.prefix(k).map(\.element), inSnapshot: found.inSnapshot)
    }
}
