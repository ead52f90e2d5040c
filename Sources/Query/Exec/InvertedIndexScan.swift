import VireoStorage

/// Reads a gin index for `tsvector @@ tsquery` (and for jsonb: `jsonIndexScan`): each operand's lexeme (or prefix) names the
/// rows whose tsvector holds it, `&` and phrases intersect, `|` unites. A query whose answer
/// can include rows without any of its lexemes (`!a`, `a | !b`) cannot be narrowed and reads
/// the whole table; either way the WHERE clause rechecks each row (phrases, weights, NOT).
extension PlanExecutor {
    static func invertedIndexScan(_ scan: TableScan, _ index: IndexDefinition, _ queryExpression: BoundExpression,
                                  _ context: ExecutionContext, _ emit: Emit) throws -> Bool {
        let value = try Evaluator.evaluate(queryExpression, [], context)
        if value.isNull { return true }
        let query = try TSQuery(parsing: Cast.textForm(value))
        guard let root = query.root else { return true }
        guard let candidates = try InvertedIndexReader(index: index, context: context).rows(root) else {
            return try seqScanFallback(scan, context, emit)
        }
        for rowID in candidates.sorted() where !(try emitRow(rowID, scan, context, emit)) { return false }
        return true
    }

    /// `doc @> value`: the rows holding every term of value's document (none: every row);
    /// `doc ? key`, `?&` keys: every key's term; `?|`: any key's. The WHERE clause rechecks
    /// each candidate, which also drops NULL documents and the structure terms cannot see.
    static func jsonIndexScan(_ scan: TableScan, _ index: IndexDefinition, _ query: JSONIndexQuery,
                              _ context: ExecutionContext, _ emit: Emit) throws -> Bool {
        let value = try Evaluator.evaluate(query.value, [], context)
        if value.isNull { return true }
        let reader = InvertedIndexReader(index: index, context: context)
        var terms: [String]
        switch query.op {
        case .contains: terms = JSONIndexTerms.terms(try JSONValue.jsonb(Cast.textForm(value)), operatorClass: index.invertedOperatorClass ?? "")
        case .hasKey: terms = [JSONIndexTerms.keyTerm(Cast.textForm(value))]
        default: terms = try JSONOperators.pathKeys(value).map { JSONIndexTerms.keyTerm(Cast.textForm($0)) }
        }
        var candidates: Set<Int64>?
        for term in terms {
            let rows = try reader.postings(term, isPrefix: false)
            candidates = query.op == .hasAnyKey ? (candidates ?? []).union(rows) : (candidates?.intersection(rows) ?? rows)
        }
        if query.op == .hasAnyKey, candidates == nil { return true }  // `?|` of no keys holds for no row
        guard let candidates else { return try seqScanFallback(scan, context, emit) }
        for rowID in candidates.sorted() where !(try emitRow(rowID, scan, context, emit)) { return false }
        return true
    }

    /// `doc % value`: the rows sharing a trigram with value (a row sharing none has
    /// similarity 0, below any threshold but 0); `doc LIKE pattern`: the rows holding every
    /// trigram the pattern requires. Every row when the query cannot narrow them (a
    /// threshold of 0, a value or pattern without trigrams). The WHERE clause rechecks each.
    static func trigramIndexScan(_ scan: TableScan, _ index: IndexDefinition, _ query: TrigramIndexQuery,
                                 _ context: ExecutionContext, _ emit: Emit) throws -> Bool {
        let value = try Evaluator.evaluate(query.value, [], context)
        if value.isNull { return true }
        let text = Cast.textForm(value)
        let reader = InvertedIndexReader(index: index, context: context)
        var candidates: Set<Int64>?
        switch query.kind {
        case .similar:
            let threshold = try context.session.map { try $0.trigramThreshold("pg_trgm.similarity_threshold") } ?? 0.3
            guard threshold > 0 else { break }
            for trigram in Trigrams.set(text) { candidates = (candidates ?? []).union(try reader.postings(Trigrams.term(trigram), isPrefix: false)) }
        case .like:
            for trigram in Trigrams.requiredByPattern(text) {
                let rows = try reader.postings(Trigrams.term(trigram), isPrefix: false)
                candidates = candidates?.intersection(rows) ?? rows
            }
        }
        guard let candidates else { return try seqScanFallback(scan, context, emit) }
        for rowID in candidates.sorted() where !(try emitRow(rowID, scan, context, emit)) { return false }
        return true
    }

    private static func seqScanFallback(_ scan: TableScan, _ context: ExecutionContext, _ emit: Emit) throws -> Bool {
        var rowIDs: [Int64] = []
        try context.data.scanRows(scan.table) { rowID, _ in
            try context.checkCancel()
            rowIDs.append(rowID)
            return true
        }
        for rowID in rowIDs where !(try emitRow(rowID, scan, context, emit)) { return false }
        return true
    }
}

/// The candidate rows of a query's subtrees, from an inverted index.
struct InvertedIndexReader {
    let index: IndexDefinition
    let context: ExecutionContext

    /// The rows that may match `node`; nil when rows holding none of its lexemes may match.
    func rows(_ node: TSQuery.Node) throws -> Set<Int64>? {
        switch node {
        case .operand(let operand): return try postings(operand)
        case .not, .stop: return nil
        case .and(let a, let b), .phrase(let a, let b, _):
            switch (try rows(a), try rows(b)) {
            case (let x?, let y?): return x.intersection(y)
            case (let x?, nil): return x
            case (nil, let y?): return y
            case (nil, nil): return nil
            }
        case .or(let a, let b):
            guard let x = try rows(a), let y = try rows(b) else { return nil }
            return x.union(y)
        }
    }

    /// The row ids listed under a lexeme, or under every lexeme starting with a prefix.
    func postings(_ operand: TSQuery.Operand) throws -> Set<Int64> {
        try postings(operand.lexeme, isPrefix: operand.isPrefix)
    }

    /// The row ids listed under a term, or under every term starting with it.
    func postings(_ term: String, isPrefix: Bool) throws -> Set<Int64> {
        let lower = ValueBound([.text(term)], inclusive: true)
        let upper = isPrefix ? ValueBound([.text(term + "\u{10FFFF}")], inclusive: true) : lower
        var rowIDs = Set<Int64>()
        try context.data.scanIndex(index, from: lower, to: upper) { rowID in
            try context.checkCancel()
            try context.workMemory.charge(bytes: MemoryLayout<Int64>.size, for: .indexScan)
            rowIDs.insert(rowID)
            return true
        }
        return rowIDs
    }
}
