import VireoStorage

/// `WHERE tsv @@ q … ORDER BY bm25(tsv, q) DESC LIMIT k` straight from a format 2 gin
/// index, by WAND (Broder et al., 2003): one cursor per query term over its postings in row
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
        /// bm25's query.
        var query: BoundExpression
        /// The query of the WHERE clause's `tsv @@ query`.
        var match: BoundExpression
        var k1: BoundExpression
        var b: BoundExpression
        var limit: BoundExpression
        var offset: BoundExpression?
    }

    /// Postings buffered per cursor refill.
    static let batchSizeMax = 256

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
        guard let column = scan.table.columnIndex(index.columns[0]) else { return true }
        let statistics = try TextCorpusStatistics.load(table: scan.table.name, column: column, context)
        let query = try TSQuery(parsing: Cast.textForm(value))
        var scan = scan
        scan.filter = withQueryValue(scan.filter, column: column, query: search.match, value: matchValue)
        let best: [(Double, Int64)]
        // WAND sees only rows holding one of bm25's terms: enough when they are the terms of
        // the WHERE clause's query and it cannot match rows holding none of them.
        if Cast.textForm(value) == Cast.textForm(matchValue), let root = query.root, isNarrowed(root) {
            let terms = try cursors(BM25.Terms(query), index, statistics, parameters, context)
            best = try wand(terms, k: k, scan: scan, statistics: statistics, parameters: parameters, context)
        } else {
            best = try exactTopK(scan, index, .constant(matchValue), column: column, query: query, k: k, statistics, parameters, context)
        }
        var unfiltered = scan
        unfiltered.filter = nil
        for (_, rowID) in best where !(try PlanExecutor.emitRow(rowID, unfiltered, context, emit)) { return false }
        return true
    }

    /// The WHERE clause with the query of `column @@ query` evaluated once, rather than for
    /// every candidate row (it is independent of the row: the planner checked).
    private static func withQueryValue(_ filter: BoundExpression?, column: Int, query: BoundExpression, value: Value) -> BoundExpression? {
        guard let filter else { return nil }
        let key = String(describing: query)
        return BoundExpression.conjunction(filter.conjuncts.map { conjunct in
            guard case .binary(.textSearchMatch, .column(column), let written) = conjunct, String(describing: written) == key else { return conjunct }
            return .binary(.textSearchMatch, .column(column), .constant(value))
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
    private static func exactTopK(_ scan: TableScan, _ index: IndexDefinition, _ queryExpression: BoundExpression, column: Int,
                                  query: TSQuery, k: Int, _ statistics: TextCorpusStatistics, _ parameters: BM25.Parameters,
                                  _ context: ExecutionContext) throws -> [(Double, Int64)] {
        var heap = ScoreHeap(capacity: k)
        let terms = BM25.Terms(query)
        let rowIDPosition = scan.table.columns.count
        _ = try PlanExecutor.invertedIndexScan(scan, index, queryExpression, context) { row in
            guard case .int(let rowID) = row[rowIDPosition], case .text(let text) = row[column] else { return true }
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
        return lexemes.keys.sorted(by: TSVector.lexemeOrder).enumerated().compactMap { position, lexeme in
            guard let found = lexemes[lexeme] else { return nil }
            let idf = BM25.inverseDocumentFrequency(documentCount: corpus.documentCount, documentFrequency: found.documentFrequency)
            let bound = BM25.termScore(idf: idf, termFrequency: found.termFrequencyMax, documentLength: found.documentLengthMin,
                                       averageLength: corpus.averageLength, parameters)
            return PostingCursor(order: position, lexeme: lexeme, idf: idf, upperBound: bound, index: index)
        }
    }

    /// The best k (score, row id) pairs, best first.
    private static func wand(_ cursors: [PostingCursor], k: Int, scan: TableScan, statistics: TextCorpusStatistics,
                             parameters: BM25.Parameters, _ context: ExecutionContext) throws -> [(Double, Int64)] {
        var heap = ScoreHeap(capacity: k)
        for cursor in cursors { try cursor.seek(.min, context) }
        var live = cursors.filter { $0.current != nil }
        while true {
            try context.checkCancel()
            live.removeAll { $0.current == nil }
            live.sort { $0.current!.rowID < $1.current!.rowID }
            guard let pivot = pivotPosition(live, threshold: heap.threshold) else { break }
            let pivotRow = live[pivot].current!.rowID
            if live[0].current!.rowID == pivotRow {
                let atPivot = live.filter { $0.current?.rowID == pivotRow }
                let score = rowScore(atPivot, statistics: statistics, parameters: parameters)
                if heap.admits(score), try accepts(pivotRow, scan, context) { heap.insert(score, pivotRow) }
                for cursor in atPivot { try cursor.seek(pivotRow + 1, context) }
            } else {
                for cursor in live[..<pivot] { try cursor.seek(pivotRow, context) }
            }
        }
        return heap.sortedBestFirst()
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
    private static func rowScore(_ atPivot: [PostingCursor], statistics: TextCorpusStatistics, parameters: BM25.Parameters) -> Double {
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

/// A term's postings, read from the index a batch at a time.
final class PostingCursor {
    let order: Int
    let lexeme: String
    let idf: Double
    let upperBound: Double
    let index: IndexDefinition
    private var buffer: [InvertedPosting] = []
    private var position = 0
    private var exhausted = false

    init(order: Int, lexeme: String, idf: Double, upperBound: Double, index: IndexDefinition) {
        self.order = order
        self.lexeme = lexeme
        self.idf = idf
        self.upperBound = upperBound
        self.index = index
    }

    /// The posting under the cursor; nil past the last one.
    var current: InvertedPosting? { position < buffer.count ? buffer[position] : nil }

    /// Moves to the first posting whose row is `target` or later.
    func seek(_ target: Int64, _ context: ExecutionContext) throws {
        while position < buffer.count && buffer[position].rowID < target { position += 1 }
        if position < buffer.count || exhausted { return }
        buffer.removeAll(keepingCapacity: true)
        position = 0
        try context.data.scanPostings(index, lexeme, from: target) { posting in
            buffer.append(posting)
            return buffer.count < TextTopK.batchSizeMax
        }
        if buffer.count < TextTopK.batchSizeMax { exhausted = true }
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
