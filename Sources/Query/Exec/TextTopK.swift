import VireoStorage

/// `WHERE tsv @@ q … ORDER BY bm25(tsv, q) DESC LIMIT k` (tsv a column or the index's key
/// expression) straight from a format 2 gin index, by WAND (Broder et al., 2003): one cursor per query term over its postings in row
/// order, each term with an upper bound of its score (from its statistics' largest term
/// frequency and smallest document length). Sorted by current row, the cursors' bounds are
/// added up until they pass the k-th best score so far; rows before that pivot cannot enter
/// the top k, so the cursors behind it skip straight to the pivot's row. Only rows that may
/// enter are scored, and only those the WHERE clause accepts are kept.
///
/// Every row that satisfies `tsv @@ q` holds one of q's terms (the planner takes this path
/// only then), so the answer is exactly the top k of the WHERE clause's rows, ties broken by
/// row id.
enum TextTopK {
    /// The search a plan runs: the scoring call's query and parameters, and how many rows.
    struct Search: Sendable {
        /// bm25's document: the index's key, a tsvector column or an expression over the row.
        var document: BoundExpression
        /// bm25's query.
        var query: BoundExpression
        /// The query of the WHERE clause's `tsv @@ query`.
        var match: BoundExpression
        var k1: BoundExpression
        var b: BoundExpression
        var limit: BoundExpression
        var offset: BoundExpression?
    }

    static func run(_ scan: TableScan, _ index: IndexDefinition, _ search: Search, _ context: ExecutionContext,
                    _ emit: PlanExecutor.Emit) throws -> Bool {
        guard let k = try PlanExecutor.rowsWanted(limit: search.limit, offset: search.offset, context), k > 0 else {
            return try PlanExecutor.invertedIndexScan(scan, index, search.match, context, emit)
        }
        let value = try Evaluator.evaluate(search.query, [], context)
        let matchValue = try Evaluator.evaluate(search.match, [], context)
        if matchValue.isNull { return true }
        // A NULL bm25 query scores every row NULL: any order will do, the sort above decides.
        if value.isNull { return try PlanExecutor.invertedIndexScan(scan, index, search.match, context, emit) }
        let parameters = try BM25.Parameters(k1: Functions.double(Evaluator.evaluate(search.k1, [], context)),
                                             b: Functions.double(Evaluator.evaluate(search.b, [], context))).validated()
        let document = search.document
        let source: TextScore.Source = if case .column(let column) = document { .column(column) } else { .index(index.name) }
        let statistics = try TextCorpusStatistics.load(table: scan.table.name, source: source, context)
        let query = try TSQuery(parsing: Cast.textForm(value))
        var scan = scan
        scan.filter = withQueryValue(scan.filter, document: document, query: search.match, value: matchValue)
        let best: [(Double, Int64)]
        // WAND sees only rows holding one of bm25's terms: enough when they are the terms of
        // the WHERE clause's query and it cannot match rows holding none of them.
        if Cast.textForm(value) == Cast.textForm(matchValue), let root = query.root, isNarrowed(root) {
            let terms = try cursors(BM25.Terms(query), index, statistics, parameters, context)
            best = try wand(terms, k: k, scan: scan, document: document, statistics: statistics, parameters: parameters, context)
        } else {
            best = try exactTopK(scan, index, .constant(matchValue), document: document, query: query, k: k, statistics, parameters, context)
        }
        var unfiltered = scan
        unfiltered.filter = nil
        for (_, rowID) in best where !(try PlanExecutor.emitRow(rowID, unfiltered, context, emit)) { return false }
        return true
    }

    /// The WHERE clause with the query of `document @@ query` evaluated once, rather than for
    /// every candidate row (it is independent of the row: the planner checked).
    private static func withQueryValue(_ filter: BoundExpression?, document: BoundExpression, query: BoundExpression, value: Value) -> BoundExpression? {
        guard let filter else { return nil }
        let key = String(describing: query)
        return BoundExpression.conjunction(filter.conjuncts.map { conjunct in
            guard case .binary(.textSearchMatch, let written, let writtenQuery) = conjunct, written.structuralKey == document.structuralKey,
                  String(describing: writtenQuery) == key else { return conjunct }
            return .binary(.textSearchMatch, written, .constant(value))
        })
    }

    /// Whether every row matching `node` holds one of its scored terms (no `!a` or `a | !b`).
    static func isNarrowed(_ node: TSQuery.Node) -> Bool {
        switch node {
        case .operand: true
        case .not, .stop: false
        case .and(let a, let b), .phrase(let a, let b, _): isNarrowed(a) || isNarrowed(b)
        case .or(let a, let b): isNarrowed(a) && isNarrowed(b)
        }
    }

    /// A query that matches rows holding none of its terms: every row the WHERE clause
    /// accepts is scored.
    private static func exactTopK(_ scan: TableScan, _ index: IndexDefinition, _ queryExpression: BoundExpression, document: BoundExpression,
                                  query: TSQuery, k: Int, _ statistics: TextCorpusStatistics, _ parameters: BM25.Parameters,
                                  _ context: ExecutionContext) throws -> [(Double, Int64)] {
        var heap = ScoreHeap(capacity: k)
        let terms = BM25.Terms(query)
        let rowIDPosition = scan.table.columns.count
        _ = try PlanExecutor.invertedIndexScan(scan, index, queryExpression, context) { row in
            guard case .int(let rowID) = row[rowIDPosition], case .text(let text) = try Evaluator.evaluate(document, row, context) else { return true }
            let score = try BM25.score(try TSVector(parsing: text), terms, statistics, parameters, context.data)
            if heap.admits(score) { heap.insert(score, rowID) }
            return true
        }
        return heap.sortedBestFirst()
    }

    /// One cursor per term (prefixes expanded to the corpus's lexemes), in lexeme order.
    private static func cursors(_ terms: BM25.Terms, _ index: IndexDefinition, _ statistics: TextCorpusStatistics,
                                _ parameters: BM25.Parameters, _ context: ExecutionContext) throws -> [PostingCursor] {
        var lexemes: [String: InvertedLexeme] = [:]
        for lexeme in terms.exact { lexemes[lexeme] = try context.data.invertedLexeme(index, lexeme) }
        for prefix in terms.prefixes {
            for (lexeme, found) in try context.data.invertedLexemes(index, prefix: prefix) { lexemes[lexeme] = found }
        }
        let corpus = statistics.corpus
        return try lexemes.keys.sorted(by: TSVector.lexemeOrder).enumerated().compactMap { position, lexeme in
            guard let found = lexemes[lexeme] else { return nil }
            let idf = BM25.inverseDocumentFrequency(documentCount: corpus.documentCount, documentFrequency: found.documentFrequency)
            let bound = BM25.termScore(idf: idf, termFrequency: found.termFrequencyMax, documentLength: found.documentLengthMin,
                                       averageLength: corpus.averageLength, parameters)
            let termBound = { (frequencyMax: Int, lengthMin: Int) in
                BM25.termScore(idf: idf, termFrequency: frequencyMax, documentLength: lengthMin,
                               averageLength: corpus.averageLength, parameters)
            }
            return try PostingCursor(order: position, lexeme: lexeme, idf: idf, upperBound: bound, index: index,
                                     context, blockBound: termBound)
        }
    }

    /// The best k (score, row id) pairs, best first, by block-max WAND (Ding and Suel, 2011):
    /// WAND's pivot from the terms' bounds, then the bounds of the blocks holding the pivot's
    /// row; when those cannot beat the k-th score either, every row up to the end of the
    /// first of those blocks is skipped without decoding a posting.
    private static func wand(_ cursors: [PostingCursor], k: Int, scan: TableScan, document: BoundExpression, statistics: TextCorpusStatistics,
                             parameters: BM25.Parameters, _ context: ExecutionContext) throws -> [(Double, Int64)] {
        var heap = ScoreHeap(capacity: k)
        for cursor in cursors { try cursor.seek(.min) }
        var live = cursors.filter { $0.current != nil }
        let recheck = needsRecheck(scan, document: document)
        while true {
            try context.checkCancel()
            live.removeAll { $0.current == nil }
            live.sort { $0.currentRowID < $1.currentRowID }
            guard var pivot = pivotPosition(live, threshold: heap.threshold) else { break }
            let pivotRow = live[pivot].currentRowID
            while pivot + 1 < live.count && live[pivot + 1].currentRowID == pivotRow { pivot += 1 }
            if let threshold = heap.threshold, let skipTo = blockSkip(live, pivot: pivot, row: pivotRow, threshold: threshold) {
                for cursor in live[...pivot] { try cursor.seek(skipTo) }
                continue
            }
            if live[0].currentRowID == pivotRow {
                let atPivot = live[...pivot]
                let score = rowScore(atPivot, statistics: statistics, parameters: parameters)
                if heap.admits(score), try !recheck || accepts(pivotRow, scan, context) { heap.insert(score, pivotRow) }
                for cursor in atPivot { try cursor.seek(pivotRow + 1) }
            } else {
                for cursor in live[...pivot] where cursor.currentRowID < pivotRow { try cursor.seek(pivotRow) }
            }
        }
        return heap.sortedBestFirst()
    }

    /// Where to skip when the blocks of `live[...pivot]` holding `row` cannot beat
    /// `threshold`: the first row past one of those blocks, or the next cursor's row. Nil
    /// when they can.
    private static func blockSkip(_ live: [PostingCursor], pivot: Int, row: Int64, threshold: Double) -> Int64? {
        var bound = 0.0
        var next = pivot + 1 < live.count ? live[pivot + 1].currentRowID : Int64.max
        for cursor in live[...pivot] {
            guard let block = cursor.block(holdingOrAfter: row) else { continue }
            bound += block.bound
            if block.lastRowID < next { next = block.lastRowID + 1 }
        }
        if bound > threshold - 1e-9 * abs(threshold) { return nil }
        return next
    }

    /// Whether a row holding one of the terms must still be checked against the WHERE
    /// clause: not when the clause is only `document @@ q` and q is terms joined by `|` (no
    /// weights, phrases or `!`), which every such row satisfies.
    private static func needsRecheck(_ scan: TableScan, document: BoundExpression) -> Bool {
        guard let filter = scan.filter else { return false }
        let conjuncts = filter.conjuncts
        guard conjuncts.count == 1, case .binary(.textSearchMatch, let written, .constant(let value)) = conjuncts[0],
              written.structuralKey == document.structuralKey,
              case .text(let text) = value, let root = try? TSQuery(parsing: text).root else { return true }
        return !isDisjunction(root)
    }

    private static func isDisjunction(_ node: TSQuery.Node) -> Bool {
        switch node {
        case .operand(let operand): operand.weightMask == 0
        case .or(let a, let b): isDisjunction(a) && isDisjunction(b)
        case .not, .stop, .and, .phrase: false
        }
    }

    /// The first cursor at which the bounds so far can beat `threshold`; nil when none can.
    private static func pivotPosition(_ live: [PostingCursor], threshold: Double?) -> Int? {
        guard let threshold else { return live.isEmpty ? nil : 0 }
        var bound = 0.0
        for (position, cursor) in live.enumerated() {
            bound += cursor.upperBound
            // The slack covers rounding: the bounds add up in another order than a score.
            if bound > threshold - 1e-9 * abs(threshold) { return position }
        }
        return nil
    }

    /// Sums the terms in lexeme order, as `bm25()` does on the row's tsvector.
    private static func rowScore(_ atPivot: ArraySlice<PostingCursor>, statistics: TextCorpusStatistics, parameters: BM25.Parameters) -> Double {
        var total = 0.0
        for cursor in atPivot.sorted(by: { $0.order < $1.order }) {
            guard let posting = cursor.current else { continue }
            total += BM25.termScore(idf: cursor.idf, termFrequency: posting.termFrequency, documentLength: posting.documentLength,
                                    averageLength: statistics.corpus.averageLength, parameters)
        }
        return total
    }

    private static func accepts(_ rowID: Int64, _ scan: TableScan, _ context: ExecutionContext) throws -> Bool {
        guard let filter = scan.filter else { return true }
        let row = try context.data.withRow(scan.table, rowID: rowID) { try PlanExecutor.row($0, rowID: rowID, scan: scan) }
        guard let row else { return false }
        return try Evaluator.holds(filter, row, context)
    }
}

/// The k best (score, row id) pairs seen so far: a min-heap on score, a later row losing
/// a tie (rows arrive in row-id order).
struct ScoreHeap {
    let capacity: Int
    private var items: [(score: Double, rowID: Int64)] = []

    init(capacity: Int) { self.capacity = capacity }

    /// The score a row must beat once the heap is full; nil before.
    var threshold: Double? { items.count < capacity ? nil : items[0].score }

    func admits(_ score: Double) -> Bool { threshold.map { score > $0 } ?? true }

    private static func worse(_ a: (score: Double, rowID: Int64), _ b: (score: Double, rowID: Int64)) -> Bool {
        a.score < b.score || (a.score == b.score && a.rowID > b.rowID)
    }

    mutating func insert(_ score: Double, _ rowID: Int64) {
        if items.count == capacity {
            items[0] = (score, rowID)
            siftDown(0)
        } else {
            items.append((score, rowID))
            siftUp(items.count - 1)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.worse(items[child], items[parent]) else { return }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var smallest = parent
            for child in [2 * parent + 1, 2 * parent + 2] where child < items.count && Self.worse(items[child], items[smallest]) {
                smallest = child
            }
            if smallest == parent { return }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }

    func sortedBestFirst() -> [(Double, Int64)] {
        items.sorted { Self.worse($1, $0) }.map { ($0.score, $0.rowID) }
    }
}
