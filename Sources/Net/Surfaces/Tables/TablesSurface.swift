import VireoQuery
import VireoStorage

/// The tables surface (seed 000): table management, rows, vector search and SQL.
public enum TablesSurface {
    /// Every route of the surface, in the order the OpenAPI document lists them.
    public static var routes: [RouteDeclaration] { TableRoutes.all + RowRoutes.all + [SearchRoute.search, QueryRoute.query] }
}

/// One SQL statement with `$n` parameters, for what the other routes do not cover.
enum QueryRoute {
    /// Parameters one statement may bind (the wire protocol's 16-bit count).
    static let parametersMax = TableSQL.parametersMax

    static let query = RouteDeclaration(
        .post, "/api/v1/query", summary: "Run one SQL statement with parameters $1, $2 …",
        requestBody: .object([
            ("sql", .string(length: 1...Int.max)),
            ("params", .described(.array(of: .any, count: 0...parametersMax), "values for $1, $2 …; arrays of numbers bind as vectors")),
        ], required: ["sql"]),
        response: .object([
            ("columns", .array(of: .object([("name", .string()), ("type", .string())]))),
            ("rows", .array(of: .array(of: .any))), ("row_count", .integer()), ("command", .string()),
        ])
    ) { input, session in
        let statement = try Parser.parseStatement(input.field("sql")?.unquotedText ?? "")
        var parameters: [Value] = []
        if case .array(let items)? = input.field("params") { parameters = items.map(\.parameter) }
        guard parameters.count >= statement.parameterCount else {
            throw RESTError.invalid("params", "the statement takes \(statement.parameterCount) parameters, \(parameters.count) given")
        }
        let result = try session.execute(statement, parameters)
        let columns: [JSONValue] = result.columns.map { .fields(("name", .string($0.name)), ("type", .string($0.type.description))) }
        return RouteOutput(.fields(("columns", .array(columns)), ("rows", .array(result.rows.map { row in .array(zip(row, result.columns).map { JSONValue($0, type: $1.type) }) })),
                                   ("row_count", .integer(result.rowCount)), ("command", .string(result.commandTag))))
    }
}
