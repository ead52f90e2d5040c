import VireoStorage

extension AccessPath {
    /// `WHERE tsv @@ q … ORDER BY bm25(tsv, q) DESC LIMIT k` on a table whose tsv column
    /// has a format 2 gin index: the top k straight from the posting lists (TextTopK). The
    /// query of the ORDER BY must be the WHERE clause's, and independent of the row.
    static func textTopK(_ scan: TableScan, order: [Binder.OrderKey], query: Query, binder: Binder) -> PlanNode? {
        guard order.count == 1, let first = order.first, first.output.descending, let limit = query.limit,
              let call = TextScore.call(first.input), call.column < scan.table.columns.count,
              [call.query, call.k1, call.b].allSatisfy(\.isRowIndependent),
              let index = TextCorpusStatistics.textIndex(scan.table, column: call.column) else { return nil }
        let matchesQuery = (scan.filter?.conjuncts ?? []).contains { conjunct in
            guard case .binary(.textSearchMatch, .column(call.column), let where_) = conjunct else { return false }
            return String(describing: where_) == String(describing: call.query)
        }
        guard matchesQuery, let k = try? binder.coerce(binder.bind(limit, Scope()), to: .int) else { return nil }
        var offset: BoundExpression?
        if let written = query.offset {
            guard let bound = try? binder.coerce(binder.bind(written, Scope()), to: .int) else { return nil }
            offset = bound
        }
        var range = IndexRange(index: index)
        range.textQuery = call.query
        range.textTopK = TextTopK.Search(query: call.query, k1: call.k1, b: call.b, limit: k, offset: offset)
        var reading = scan
        reading.reason = "ORDER BY bm25(\(index.columns[0]), query) DESC LIMIT k"
        return .indexScan(reading, range)
    }
}
