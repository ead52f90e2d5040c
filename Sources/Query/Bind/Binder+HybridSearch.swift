import VireoStorage

/// `hybrid_search(table, text_column_or_tsv, vector_column, query_text, query_vector [, k
/// [, keyword_weight [, vector_weight [, fusion]]]])` in FROM: a BM25 ranking and a vector
/// ranking of one table fused into one, as one statement. A text column is searched as
/// `to_tsvector('english', column)`, which a gin index on that expression serves. It is the SQL pattern documented in
/// docs/full-text-search.md, written out for the named table and bound as a subquery:
///
///   - keyword side: the best `depth` rows by bm25(tsv, q) among `tsv @@ q`, where q is
///     query_text's words joined by `|` (plainto_tsquery, english) — the gin index's WAND;
///   - vector side: the `depth` nearest rows by the vector column's HNSW operator (cosine
///     when it has no index);
///   - fused (`fusion` 'relative', the default): each side's scores scaled to 0…1 between the
///     worst and the best of its candidates, score = keyword_weight × keyword part +
///     vector_weight × vector part, a missing side adding nothing; ('rrf'): score =
///     keyword_weight / (60 + keyword rank) + vector_weight / (60 + vector rank). The best k
///     rows, the table's columns first.
///
/// depth is max(4k, 50). The table needs an integer primary key (the rows' identity). Why
/// relative is the default: docs/benchmarks-fts.md (it is ahead of RRF on both query sets).
extension Binder {
    static let hybridSearchName = "hybrid_search"

    func bindHybridSearch(_ reference: TableFunctionReference) throws -> (PlanNode, Scope) {
        let call = reference.call
        guard (5...9).contains(call.arguments.count) else {
            throw VireoError(.undefinedFunction, "function hybrid_search(\(call.arguments.count) arguments) does not exist",
                             hint: "hybrid_search(table, tsv_column, vector_column, query_text, query_vector [, k [, keyword_weight [, vector_weight [, fusion]]]])")
        }
        let names = try call.arguments.prefix(3).map(Self.nameArgument)
        let table = try catalog.table(names[0], schema: nil)
        guard let key = table.rowIDColumn else {
            throw VireoError(.featureNotSupported, "hybrid_search needs a table with an integer primary key; \"\(table.name)\" has none")
        }
        try Self.checkColumn(table, names[1], isType: { $0 == .tsvector || HybridSearchSQL.isText($0) }, "tsvector or text")
        try Self.checkColumn(table, names[2], isType: { if case .vector = $0 { true } else { false } }, "vector")
        let fusion = try call.arguments.count > 8 ? Self.fusionArgument(call.arguments[8]) : HybridSearchSQL.fusionDefault
        let arguments = call.arguments.dropFirst(3).prefix(5).map { "(\($0.sql))" }
        let sql = HybridSearchSQL.statement(table: table, key: table.columns[key].name, tsv: names[1], vectorColumn: names[2],
                                            text: arguments[0], vector: arguments[1], k: arguments.count > 2 ? arguments[2] : "10",
                                            keywordWeight: arguments.count > 3 ? arguments[3] : "1",
                                            vectorWeight: arguments.count > 4 ? arguments[4] : "1", fusion: fusion)
        guard case .select(let query) = try Parser.parseStatement(sql).body else {
            throw VireoError(.internalError, "hybrid_search's statement did not parse as a query")
        }
        return try bindTableReference(.subquery(query, alias: reference.alias ?? call.name))
    }

    private static func nameArgument(_ argument: SQLExpression) throws -> String {
        guard case .literal(.string(let name)) = argument else {
            throw VireoError(.featureNotSupported, "hybrid_search takes the table and its columns as string literals")
        }
        return name
    }

    /// The fusion shapes the statement, so it is a literal: 'relative' or 'rrf'.
    private static func fusionArgument(_ argument: SQLExpression) throws -> HybridSearchSQL.Fusion {
        let names = HybridSearchSQL.Fusion.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")
        guard case .literal(.string(let name)) = argument else {
            throw VireoError(.featureNotSupported, "hybrid_search takes its fusion as a string literal: \(names)")
        }
        guard let fusion = HybridSearchSQL.Fusion(rawValue: name.lowercased()) else {
            throw VireoError(.invalidParameter, "hybrid_search: unknown fusion \"\(name)\"; expected \(names)")
        }
        return fusion
    }

    private static func checkColumn(_ table: TableDefinition, _ name: String, isType: (ColumnType) -> Bool, _ typeName: String) throws {
        guard let position = table.columnIndex(name) else {
            throw VireoError(.undefinedColumn, "column \"\(name)\" of relation \"\(table.name)\" does not exist")
        }
        guard isType(table.columns[position].type) else {
            throw VireoError(.typeMismatch, "hybrid_search: column \"\(name)\" is \(table.columns[position].type.name), not \(typeName)")
        }
    }
}

/// The fusion statement behind hybrid_search, for callers that build SQL (the REST search
/// routes add their filters to both rankings).
public enum HybridSearchSQL {
    /// How the two rankings become one (docs/full-text-search.md, docs/benchmarks-fts.md).
    public enum Fusion: String, Sendable, CaseIterable {
        /// Each side's scores scaled to 0…1 by the best and worst of its candidates, weighted
        /// and added (a row missing from a side gets 0 there).
        case relative
        /// Each side's weight / (60 + rank).
        case rrf
    }

    /// The rankings a statement puts in its score: both fused, or the keyword side alone,
    /// scored as its part of the fusion (so a keyword search's scores read like a hybrid one's).
    public enum Sides: Sendable {
        case both, keyword
    }

    public static let fusionDefault = Fusion.relative
    static let reciprocalRankConstant = 60

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// Whether a column of this type is searched as `to_tsvector('english', column)`.
    public static func isText(_ type: ColumnType) -> Bool {
        switch type {
        case .text, .varchar, .char: true
        default: false
        }
    }

    /// The keyword side's document: the tsvector column, or a text column's english tsvector.
    static func document(_ table: TableDefinition, _ column: String) -> String {
        guard let position = table.columnIndex(column), isText(table.columns[position].type) else { return quoted(column) }
        return "to_tsvector('english', \(quoted(column)))"
    }

    /// The keyword side's tsquery: the words of `text` (SQL) joined by `|`.
    public static func anyWordQuery(_ text: String) -> String {
        "CAST(replace(CAST(plainto_tsquery('english', \(text)) AS text), '&', '|') AS tsquery)"
    }

    /// How many candidates each side contributes for `k` results (SQL).
    static func depth(_ k: String) -> String { "greatest(4 * \(k), 50)" }

    /// The fusion of the best rows by bm25(tsv, query) (tsv a tsvector column, or a text
    /// column's `to_tsvector('english', …)`) and by `vectorColumn <op> vector`:
    /// the table's columns (`columns`, or all), then score, keyword_rank and vector_rank, best
    /// first. `text`, `vector`, `k` and the weights are SQL expressions; `filter`, if any, a
    /// condition on the table's columns both rankings apply. With `sides` .keyword, the vector
    /// side is left out (its rank is NULL, and `vector` is not used).
    public static func statement(table: TableDefinition, key: String, tsv: String, vectorColumn: String, text: String, vector: String,
                                 k: String = "10", keywordWeight: String = "1", vectorWeight: String = "1", fusion: Fusion = fusionDefault,
                                 filter: String? = nil, columns: [String]? = nil, sides: Sides = .both) -> String {
        let t = quoted(table.name), id = quoted(key), document = document(table, tsv), embedding = quoted(vectorColumn)
        let vectorValue = "CAST(\(vector) AS vector)", query = anyWordQuery(text)
        let metric = table.indexes.first { $0.method == "hnsw" && $0.columns.first == vectorColumn }?.options["metric"] ?? "cosine"
        let op = ["l2": "<->", "ip": "<#>", "cosine": "<=>"][metric] ?? "<=>"
        let extra = filter.map { " AND (\($0))" } ?? ""
        let selected = columns.map { $0.map { "\(t).\(quoted($0))" }.joined(separator: ", ") } ?? "\(t).*"
        let keywordHits = "SELECT \(id) AS id, bm25(\(document), \(query)) AS score FROM \(t) WHERE \(document) @@ \(query)\(extra) "
            + "ORDER BY bm25(\(document), \(query)) DESC LIMIT \(depth(k))"
        // The vector side's score is the negated distance: larger is better for every metric.
        let vectorHits = "SELECT \(id) AS id, -(\(embedding) \(op) \(vectorValue)) AS score FROM \(t) WHERE \(embedding) IS NOT NULL\(extra) "
            + "ORDER BY \(embedding) \(op) \(vectorValue) LIMIT \(depth(k))"
        let keywordRanked = ranked(keywordHits, alias: "keyword_hits", fusion)
        let fusedRows = switch sides {
        case .keyword: """
          SELECT kw.id AS id, CAST(\(keywordWeight) AS double precision) * kw.part AS score,
                 kw.rank AS keyword_rank, CAST(NULL AS bigint) AS vector_rank
          FROM (\(keywordRanked)) AS kw
          """
        case .both: """
          SELECT coalesce(kw.id, vec.id) AS id,
                 coalesce(CAST(\(keywordWeight) AS double precision) * kw.part, 0)
                 + coalesce(CAST(\(vectorWeight) AS double precision) * vec.part, 0) AS score,
                 kw.rank AS keyword_rank, vec.rank AS vector_rank
          FROM (\(keywordRanked)) AS kw
          FULL JOIN (\(ranked(vectorHits, alias: "vector_hits", fusion))) AS vec ON kw.id = vec.id
          """
        }
        return """
        SELECT \(selected), fused.score, fused.keyword_rank, fused.vector_rank FROM (
        \(fusedRows)
        ) AS fused JOIN \(t) ON \(t).\(id) = fused.id
        ORDER BY fused.score DESC, fused.id LIMIT \(k)
        """
    }

    /// One side's candidates (`id`, `score`, larger better) with their rank and their part of
    /// the fused score before weighting.
    private static func ranked(_ hits: String, alias: String, _ fusion: Fusion) -> String {
        let part = switch fusion {
        case .rrf: "1.0 / (\(reciprocalRankConstant) + row_number() OVER (ORDER BY score DESC, id))"
        case .relative: "CASE WHEN max(score) OVER () > min(score) OVER () "
            + "THEN (score - min(score) OVER ()) / (max(score) OVER () - min(score) OVER ()) ELSE 1.0 END"
        }
        return "SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank, \(part) AS part FROM (\(hits)) AS \(alias)"
    }
}
