import VireoStorage

extension AccessPath {
    /// `WHERE tsv @@ q … ORDER BY bm25(tsv, q) DESC LIMIT k` on a table whose tsv column
    /// has a format 2 gin index: the top k straight from the posting lists (TextTopK). Both
    /// queries must be independent of the row; TextTopK checks at run time that they are the same.
    static func textTopK(_ scan: TableScan, order: [Binder.OrderKey], query: Query, binder: Binder) -> PlanNode? {
        guard order.count == 1, let first = order.first, first.output.descending, let limit = query.limit,
              let call = TextScore.call(first.input), call.column < scan.table.columns.count,
              [call.query, call.k1, call.b].allSatisfy(\.isRowIndependent),
              let index = TextCorpusStatistics.textIndex(scan.table, column: call.column) else { return nil }
        let match = (scan.filter?.conjuncts ?? []).lazy.compactMap { conjunct -> BoundExpression? in
            guard case .binary(.textSearchMatch, .column(call.column), let query) = conjunct, query.isRowIndependent else { return nil }
            return query
        }.first
        guard let match, let k = try? binder.coerce(binder.bind(limit, Scope()), to: .int) else { return nil }
        var offset: BoundExpression?
        if let written = query.offset {
            guard let bound = try? binder.coerce(binder.bind(written, Scope()), to: .int) else { return nil }
            offset = bound
        }
        var range = IndexRange(index: index)
        range.textQuery = match
        range.textTopK = TextTopK.Search(query: call.query, match: match, k1: call.k1, b: call.b, limit: k, offset: offset)
        var reading = scan
        reading.reason = "ORDER BY bm25(\(index.columns[0]), query) DESC LIMIT k"
        return .indexScan(reading, range)
    }
}
