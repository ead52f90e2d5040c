import VireoStorage

extension AccessPath {
    /// `WHERE doc @@ q … ORDER BY bm25(doc, q) DESC LIMIT k` on a table with a format 2 gin
    /// index whose key is doc (a tsvector column, or an expression such as
    /// `to_tsvector('english', body)`): the top k straight from the posting lists (TextTopK).
    /// Both queries must be independent of the row; TextTopK checks at run time that they are
    /// the same.
    static func textTopK(_ scan: TableScan, order: [Binder.OrderKey], query: Query, binder: Binder) -> PlanNode? {
        guard order.count == 1, let first = order.first, first.output.descending, let limit = query.limit,
              let call = TextScore.call(first.input), [call.query, call.k1, call.b].allSatisfy(\.isRowIndependent),
              let document = call.document.structuralKey,
              let index = TextScore.index(scan.table, document: call.document) else { return nil }
        let match = (scan.filter?.conjuncts ?? []).lazy.compactMap { conjunct -> BoundExpression? in
            guard case .binary(.textSearchMatch, let written, let query) = conjunct, written.structuralKey == document,
                  query.isRowIndependent else { return nil }
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
        range.textTopK = TextTopK.Search(document: call.document, query: call.query, match: match, k1: call.k1, b: call.b,
                                         limit: k, offset: offset)
        var reading = scan
        reading.reason = "ORDER BY bm25(\(keyText(index, 0)), query) DESC LIMIT k"
        return .indexScan(reading, range)
    }
}
