import VireoStorage

/// `tsvector @@ tsquery` in a statement: the query's text is parsed once per statement,
/// not once per row. A query written `$1::tsquery` (or a cast of any text) skips the cast's
/// own parse too: the text goes straight to the statement's parsed queries.
enum TextMatch {
    /// Parsed queries kept per statement; past this many (a query that differs by row),
    /// the cache starts over.
    static let cachedQueriesMax = 64

    static func evaluate(_ document: BoundExpression, _ query: BoundExpression, _ row: [Value], _ context: ExecutionContext) throws -> Value {
        let vector = try Evaluator.evaluate(document, row, context)
        let text: Value
        if case .cast(let operand, .tsquery) = query, case .text(let written) = try Evaluator.evaluate(operand, row, context) {
            text = .text(written)
        } else {
            text = try Evaluator.evaluate(query, row, context)
        }
        if vector.isNull || text.isNull { return .null }
        let parsed = try parsedQuery(Cast.textForm(text), context)
        return .bool(parsed.matches(try TSVector(parsing: Cast.textForm(vector))))
    }

    /// The statement's parse of `text`.
    static func parsedQuery(_ text: String, _ context: ExecutionContext) throws -> TSQuery {
        if let parsed = context.cache.textQueries[text] { return parsed }
        let parsed = try TSQuery(parsing: text)
        if context.cache.textQueries.count >= cachedQueriesMax { context.cache.textQueries.removeAll() }
        context.cache.textQueries[text] = parsed
        return parsed
    }
}
