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

    static let search = RouteDeclaration(
        .post, "/api/v1/tables/{name}/search",
        summary: "The k rows nearest a vector; inner_product distances are negated, so smaller is nearer",
        parameters: [TableRoutes.nameParameter],
        requestBody: .object([
            ("vector", .array(of: .number, count: 1...RESTColumnType.vectorDimensionMax)),
            ("column", .described(.string(length: 1...TableSQL.identifierBytesMax), "vector column; may be left out when the table has one")),
            ("k", .integer(range: 1...Int64(resultsMax))),
            ("metric", .string(allowed: Metric.allCases.map(\.rawValue))),
            ("filter", .described(.map(of: .any), "column → value rows must equal")),
            ("include_vectors", .boolean),
        ], required: ["vector"]),
        response: .object([
            ("results", .array(of: .object([("row", RowRoutes.row), ("distance", .number)]))),
            ("count", .integer()), ("column", .string()), ("metric", .string()),
        ])
    ) { input, session in
        let table = try TableSQL.table(input, session)
        let column = try vectorColumn(input, table)
        let metric = Metric(rawValue: input.field("metric")?.unquotedText ?? "") ?? .l2
        let (sql, parameters) = try statement(input, table, column, metric)
        let result = try session.execute(sql, parameters)
        let results: [JSONValue] = result.rows.map { row in
            .fields(("row", TableSQL.object(Array(row.dropLast()), result.columns.dropLast())), ("distance", JSONValue(row.last ?? .null)))
        }
        return RouteOutput(.fields(("results", .array(results)), ("count", .integer(results.count)),
                                   ("column", .string(column.name)), ("metric", .string(metric.rawValue))))
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
        let k = input.field("k").flatMap { if case .number(let number) = $0 { Int(number) } else { nil } } ?? resultsDefault
        let sql = "SELECT \((selected + ["\(distance) AS \(distanceAlias)"]).joined(separator: ", ")) FROM \(quoteIdentifier(table.name))"
            + TableSQL.whereClause(filters, firstParameter: 2) + " ORDER BY \(distance) LIMIT \(k)"
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
