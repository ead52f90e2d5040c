import VireoQuery
import VireoStorage

/// Nearest neighbours over a vector column, with an optional equality filter: one
/// `ORDER BY column <op> $1 LIMIT k`, which an HNSW index of the same metric serves.
enum SearchRoute {
    /// Neighbours one search may return.
    static let resultsMax = 1000
    static let resultsDefault = 10
    /// The result column carrying the distance; no REST-made column can be called this.
    static let distanceAlias = "_distance"

    /// Distance measures, named as hosted vector databases name them.
    enum Metric: String, CaseIterable {
        case l2, cosine
        case innerProduct = "inner_product"

        /// pgvector's operator: L2, cosine distance, negative inner product.
        var sqlOperator: String {
            switch self {
            case .l2: "<->"
            case .cosine: "<=>"
            case .innerProduct: "<#>"
            }
        }

        var operatorClass: String {
            switch self {
            case .l2: "vector_l2_ops"
            case .cosine: "vector_cosine_ops"
            case .innerProduct: "vector_ip_ops"
            }
        }
    }

    /// How results are ranked: by vector distance, by BM25 over a tsvector column, or both
    /// combined by relative score fusion.
    enum Ranking: String, CaseIterable {
        case vector, keyword, hybrid
    }

    static let search = RouteDeclaration(
        .post, "/api/v1/tables/{name}/search",
        summary: "The k best rows: nearest a vector (inner_product distances are negated, so smaller is nearer), best by BM25 for a text query over a tsvector column, or both combined by relative score fusion, each side scaled to 0…1 (ranking hybrid, the default when both vector and query are given)",
        parameters: [TableRoutes.nameParameter],
        requestBody: .object([
            ("vector", .array(of: .number, count: 1...RESTColumnType.vectorDimensionMax)),
            ("query", .described(.string(length: 1...queryCharactersMax), "text whose words (any of them) the keyword ranking looks for")),
            ("ranking", .described(.string(allowed: Ranking.allCases.map(\.rawValue)),
                                   "vector (needs vector), keyword (needs query) or hybrid (needs both); by default hybrid when both are given, else the one given")),
            ("column", .described(.string(length: 1...TableSQL.identifierBytesMax), "vector column; may be left out when the table has one")),
            ("text_column", .described(.string(length: 1...TableSQL.identifierBytesMax), "tsvector column for keyword ranking; may be left out when the table has one")),
            ("k", .integer(range: 1...Int64(resultsMax))),
            ("metric", .string(allowed: Metric.allCases.map(\.rawValue))),
            ("filter", .described(.map(of: .any), "column → value rows must equal")),
            ("include_vectors", .boolean),
        ], required: []),
        response: .object([
            ("results", .array(of: .object([("row", RowRoutes.row), ("distance", .described(.number, "vector ranking")),
                                            ("score", .described(.number, "keyword ranking: BM25; hybrid: the two rankings' scores, each scaled to 0…1, combined with equal weights")),
                                            ("keyword_rank", .nullable(.integer())), ("vector_rank", .nullable(.integer()))]))),
            ("count", .integer()), ("column", .string()), ("metric", .string()), ("ranking", .string()),
        ])
    ) { input, session in
        let table = try TableSQL.table(input, session)
        let ranking = try Self.ranking(input)
        switch ranking {
        case .vector: return try vectorSearch(input, table, session)
        case .keyword, .hybrid: return try textSearch(input, table, ranking, session)
        }
    }

    /// Characters of a text query.
    static let queryCharactersMax = 32_768

    static func ranking(_ input: RouteInput) throws -> Ranking {
        let hasVector = input.field("vector") != nil, hasQuery = input.field("query") != nil
        let ranking = Ranking(rawValue: input.field("ranking")?.unquotedText ?? "")
            ?? (hasVector && hasQuery ? .hybrid : hasQuery ? .keyword : .vector)
        if ranking != .keyword && !hasVector { throw RESTError.invalid("vector", "ranking \(ranking.rawValue) needs a vector") }
        if ranking != .vector && !hasQuery { throw RESTError.invalid("query", "ranking \(ranking.rawValue) needs a query") }
        return ranking
    }

    static func vectorSearch(_ input: RouteInput, _ table: TableDefinition, _ session: Session) throws -> RouteOutput {
        let column = try vectorColumn(input, table)
        let metric = Metric(rawValue: input.field("metric")?.unquotedText ?? "") ?? .l2
        let (sql, parameters) = try statement(input, table, column, metric)
        let result = try session.execute(sql, parameters)
        let results: [JSONValue] = result.rows.map { row in
            .fields(("row", TableSQL.object(Array(row.dropLast()), result.columns.dropLast())), ("distance", JSONValue(row.last ?? .null)))
        }
        return RouteOutput(.fields(("results", .array(results)), ("count", .integer(results.count)),
                                   ("column", .string(column.name)), ("metric", .string(metric.rawValue)), ("ranking", .string("vector"))))
    }

    static func requestedK(_ input: RouteInput) -> Int {
        input.field("k").flatMap { if case .number(let number) = $0 { Int(number) } else { nil } } ?? resultsDefault
    }

    /// Keyword (BM25 over the tsvector column, the gin index's top-k when it has one) or
    /// hybrid (HybridSearchSQL) ranking.
    static func textSearch(_ input: RouteInput, _ table: TableDefinition, _ ranking: Ranking, _ session: Session) throws -> RouteOutput {
        let tsv = try textColumn(input, table)
        var filters: [(column: String, value: Value)] = []
        if case .object(let fields)? = input.field("filter") { filters = try RowRoutes.equalities(fields, table, field: "filter") }
        let text = Value.text(input.field("query")?.unquotedText ?? "")
        let includeVectors = input.field("include_vectors") == .bool(true)
        let vectorColumnName = ranking == .hybrid ? try vectorColumn(input, table).name : nil
        let shown = table.columns.filter { (includeVectors || $0.name != vectorColumnName) && $0.name != tsv.name }.map(\.name)
        let firstFilter = ranking == .hybrid ? 3 : 2
        let filter = filters.isEmpty ? nil : filters.enumerated().map { quoteIdentifier($1.column) + " = $\(firstFilter + $0)" }.joined(separator: " AND ")
        let sql: String, parameters: [Value]
        if let vectorColumnName {
            guard let key = table.rowIDColumn else { throw RESTError.invalid("ranking", "hybrid ranking needs a table with an integer primary key") }
            let column = try vectorColumn(input, table)
            let vector = try input.field("vector")?.parameter(for: column.type, field: "vector") ?? .null
            sql = HybridSearchSQL.statement(table: table, key: table.columns[key].name, tsv: tsv.name, vectorColumn: vectorColumnName,
                                            text: "$1", vector: "$2", k: String(requestedK(input)), filter: filter, columns: shown)
            parameters = [text, vector] + filters.map(\.value)
        } else {
            let query = HybridSearchSQL.anyWordQuery("$1"), score = "bm25(\(quoteIdentifier(tsv.name)), \(query))"
            let extra = filter.map { " AND " + $0 } ?? ""
            sql = "SELECT \((shown.map(quoteIdentifier) + ["\(score) AS score"]).joined(separator: ", ")) FROM \(quoteIdentifier(table.name))"
                + " WHERE \(quoteIdentifier(tsv.name)) @@ \(query)\(extra) ORDER BY \(score) DESC LIMIT \(requestedK(input))"
            parameters = [text] + filters.map(\.value)
        }
        let result = try session.execute(sql, parameters)
        let extraColumns = ranking == .hybrid ? 3 : 1
        let results: [JSONValue] = result.rows.map { row in
            let values = Array(row.suffix(extraColumns))
            var fields: [(String, JSONValue)] = [("row", TableSQL.object(Array(row.dropLast(extraColumns)), result.columns.dropLast(extraColumns))),
                                                 ("score", JSONValue(values[0]))]
            if ranking == .hybrid { fields += [("keyword_rank", JSONValue(values[1])), ("vector_rank", JSONValue(values[2]))] }
            return .object(fields)
        }
        return RouteOutput(.fields(("results", .array(results)), ("count", .integer(results.count)),
                                   ("column", .string(tsv.name)), ("metric", .string("bm25")), ("ranking", .string(ranking.rawValue))))
    }

    /// The tsvector column named in the request, or the table's only one.
    static func textColumn(_ input: RouteInput, _ table: TableDefinition) throws -> VireoStorage.ColumnDefinition {
        if let name = input.field("text_column")?.unquotedText {
            let column = try TableSQL.column(name, in: table, field: "text_column")
            guard column.type == .tsvector else { throw RESTError.invalid("text_column", "\"\(name)\" is not a tsvector column") }
            return column
        }
        let vectors = table.columns.filter { $0.type == .tsvector }
        guard vectors.count == 1, let only = vectors.first else {
            throw RESTError.invalid("text_column", vectors.isEmpty
                ? "table \"\(table.name)\" has no tsvector column; add one, e.g. ALTER TABLE … ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED"
                : "the table has several tsvector columns; name one")
        }
        return only
    }

    /// `SELECT cols, column <op> $1 AS _distance FROM t [WHERE …] ORDER BY column <op> $1 LIMIT k`.
    static func statement(_ input: RouteInput, _ table: TableDefinition, _ column: VireoStorage.ColumnDefinition,
                          _ metric: Metric) throws -> (String, [Value]) {
        let query = try input.field("vector")?.parameter(for: column.type, field: "vector") ?? .null
        var filters: [(column: String, value: Value)] = []
        if case .object(let fields)? = input.field("filter") { filters = try RowRoutes.equalities(fields, table, field: "filter") }
        let includeVectors = input.field("include_vectors") == .bool(true)
        let selected = table.columns.filter { includeVectors || $0.name != column.name }.map { quoteIdentifier($0.name) }
        let distance = "\(quoteIdentifier(column.name)) \(metric.sqlOperator) $1"
        let sql = "SELECT \((selected + ["\(distance) AS \(distanceAlias)"]).joined(separator: ", ")) FROM \(quoteIdentifier(table.name))"
            + TableSQL.whereClause(filters, firstParameter: 2) + " ORDER BY \(distance) LIMIT \(requestedK(input))"
        return (sql, [query] + filters.map(\.value))
    }

    /// The column named in the request, or the table's only vector column.
    static func vectorColumn(_ input: RouteInput, _ table: TableDefinition) throws -> VireoStorage.ColumnDefinition {
        if let name = input.field("column")?.unquotedText {
            let column = try TableSQL.column(name, in: table, field: "column")
            guard case .vector = column.type else { throw RESTError.invalid("column", "\"\(name)\" is not a vector column") }
            return column
        }
        let vectors = table.columns.filter { if case .vector = $0.type { true } else { false } }
        guard vectors.count == 1, let only = vectors.first else {
            throw RESTError.invalid("column", vectors.isEmpty ? "table \"\(table.name)\" has no vector column" : "the table has several vector columns; name one")
        }
        return only
    }
}
