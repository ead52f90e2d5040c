import VireoStorage

/// `hybrid_search(table, tsv_column, vector_column, query_text, query_vector [, k
/// [, keyword_weight [, vector_weight]]])` in FROM: reciprocal rank fusion of a BM25 ranking
/// and a vector ranking of one table, as one statement. It is the SQL pattern documented in
/// docs/full-text-search.md, written out for the named table and bound as a subquery:
///
///   - keyword side: the best `depth` rows by bm25(tsv, q) among `tsv @@ q`, where q is
///     query_text's words joined by `|` (plainto_tsquery, english) — the gin index's WAND;
///   - vector side: the `depth` nearest rows by the vector column's HNSW operator (cosine
///     when it has no index);
///   - fused: score = keyword_weight / (60 + keyword rank) + vector_weight / (60 + vector
///     rank), a missing rank adding nothing; the best k rows, the table's columns first.
///
/// depth is max(4k, 50). The table needs an integer primary key (the rows' identity).
extension Binder {
    static let hybridSearchName = "hybrid_search"

    func bindHybridSearch(_ reference: TableFunctionReference) throws -> (PlanNode, Scope) {
        let call = reference.call
        guard (5...8).contains(call.arguments.count) else {
            throw VireoError(.undefinedFunction, "function hybrid_search(\(call.arguments.count) arguments) does not exist",
                             hint: "hybrid_search(table, tsv_column, vector_column, query_text, query_vector [, k [, keyword_weight [, vector_weight]]])")
        }
        let names = try call.arguments.prefix(3).map(Self.nameArgument)
        let table = try catalog.table(names[0])
        guard let key = table.rowIDColumn else {
            throw VireoError(.featureNotSupported, "hybrid_search needs a table with an integer primary key; \"\(table.name)\" has none")
        }
        try Self.checkColumn(table, names[1], isType: { $0 == .tsvector }, "tsvector")
        try Self.checkColumn(table, names[2], isType: { if case .vector = $0 { true } else { false } }, "vector")
        let arguments = call.arguments.dropFirst(3).map { "(\($0.sql))" }
        let sql = HybridSearchSQL.statement(table: table, key: table.columns[key].name, tsv: names[1], vectorColumn: names[2],
                                            text: arguments[0], vector: arguments[1], k: arguments.count > 2 ? arguments[2] : "10",
                                            keywordWeight: arguments.count > 3 ? arguments[3] : "1",
                                            vectorWeight: arguments.count > 4 ? arguments[4] : "1")
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

    private static func checkColumn(_ table: TableDefinition, _ name: String, isType: (ColumnType) -> Bool, _ typeName: String) throws {
        guard let position = table.columnIndex(name) else {
            throw VireoError(.undefinedColumn, "column \"\(name)\" of relation \"\(table.name)\" does not exist")
        }
        guard isType(table.columns[position].type) else {
            throw VireoError(.typeMismatch, "hybrid_search: column \"\(name)\" is \(table.columns[position].type.name), not \(typeName)")
        }
    }
}

/// The reciprocal-rank-fusion statement behind hybrid_search, for callers that build SQL
/// (the REST search routes add their filters to both rankings).
public enum HybridSearchSQL {
    static let reciprocalRankConstant = 60

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// The keyword side's tsquery: the words of `text` (SQL) joined by `|`.
    public static func anyWordQuery(_ text: String) -> String {
        "CAST(replace(CAST(plainto_tsquery('english', \(text)) AS text), '&', '|') AS tsquery)"
    }

    /// The fusion of the best rows by bm25(tsv, query) and by `vectorColumn <op> vector`:
    /// the table's columns (`columns`, or all), then score, keyword_rank and vector_rank, best
    /// first. `text`, `vector`, `k` and the weights are SQL expressions; `filter`, if any, a
    /// condition on the table's columns both rankings apply.
    public static func statement(table: TableDefinition, key: String, tsv: String, vectorColumn: String, text: String, vector: String,
                                 k: String = "10", keywordWeight: String = "1", vectorWeight: String = "1",
                                 filter: String? = nil, columns: [String]? = nil) -> String {
        let t = quoted(table.name), id = quoted(key), document = quoted(tsv), embedding = quoted(vectorColumn)
        let vectorValue = "CAST(\(vector) AS vector)", query = anyWordQuery(text)
        let metric = table.indexes.first { $0.method == "hnsw" && $0.columns.first == vectorColumn }?.options["metric"] ?? "cosine"
        let op = ["l2": "<->", "ip": "<#>", "cosine": "<=>"][metric] ?? "<=>"
        let depth = "greatest(4 * \(k), 50)", r = reciprocalRankConstant
        let extra = filter.map { " AND (\($0))" } ?? ""
        let selected = columns.map { $0.map { "\(t).\(quoted($0))" }.joined(separator: ", ") } ?? "\(t).*"
        return """
        SELECT \(selected), fused.score, fused.keyword_rank, fused.vector_rank FROM (
          SELECT coalesce(kw.id, vec.id) AS id,
                 coalesce(CAST(\(keywordWeight) AS double precision) / (\(r) + kw.rank), 0)
                 + coalesce(CAST(\(vectorWeight) AS double precision) / (\(r) + vec.rank), 0) AS score,
                 kw.rank AS keyword_rank, vec.rank AS vector_rank
          FROM (SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank
                FROM (SELECT \(id) AS id, bm25(\(document), \(query)) AS score FROM \(t)
                      WHERE \(document) @@ \(query)\(extra) ORDER BY bm25(\(document), \(query)) DESC LIMIT \(depth)) AS keyword_hits) AS kw
          FULL JOIN (SELECT id, row_number() OVER (ORDER BY distance, id) AS rank
                     FROM (SELECT \(id) AS id, \(embedding) \(op) \(vectorValue) AS distance FROM \(t)
                           WHERE \(embedding) IS NOT NULL\(extra) ORDER BY \(embedding) \(op) \(vectorValue) LIMIT \(depth)) AS vector_hits) AS vec
            ON kw.id = vec.id
        ) AS fused JOIN \(t) ON \(t).\(id) = fused.id
        ORDER BY fused.score DESC, fused.id LIMIT \(k)
        """
    }
}
