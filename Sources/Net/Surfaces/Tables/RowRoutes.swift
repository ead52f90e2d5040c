import VireoQuery
import VireoStorage

/// Rows of a table: batch insert, filtered pages, and one row by id.
enum RowRoutes {
    static var all: [RouteDeclaration] { [insert, list, read, update, delete] }

    /// Rows one insert request may carry; bigger loads are several requests.
    static let insertRowsMax = 1000
    /// Rows one page may hold, and the page size when the client names none.
    static let pageRowsMax = 1000
    static let pageRowsDefault = 100
    /// Query parameters of the list route that are not column filters.
    static let pagingParameters: Set<String> = ["limit", "offset", "order_by", "order"]

    static let idParameter = ParameterDeclaration("id", in: .path, .integer(), summary: "the row's id")
    static let row = Schema.map(of: .any)

    static let insert = RouteDeclaration(
        .post, "/api/v1/tables/{name}/rows", summary: "Insert rows (all or none); columns left out take their defaults",
        parameters: [TableRoutes.nameParameter],
        requestBody: .object([("rows", .array(of: row, count: 1...insertRowsMax))], required: ["rows"]),
        status: .created, response: .object([("count", .integer()), ("ids", .array(of: .integer()))])
    ) { input, session in
        let table = try TableSQL.writableTable(input, session)
        guard case .array(let rows)? = input.field("rows"), !rows.isEmpty else { throw RESTError.invalid("rows", "must hold at least one row") }
        let (sql, parameters) = try insertStatement(table, rows)
        let result = try session.execute(sql, parameters)
        let ids = result.rows.compactMap { $0.first.map(JSONValue.init) }
        return RouteOutput(.fields(("count", .integer(result.rowCount)), ("ids", .array(ids))))
    }

    static let list = RouteDeclaration(
        .get, "/api/v1/tables/{name}/rows",
        summary: "A page of rows; any other query parameter `column=value` filters by equality",
        parameters: [
            TableRoutes.nameParameter,
            ParameterDeclaration("limit", in: .query, .integer(range: 0...Int64(pageRowsMax)), summary: "rows per page (default \(pageRowsDefault))"),
            ParameterDeclaration("offset", in: .query, .integer(range: 0...Int64.max), summary: "rows to skip"),
            ParameterDeclaration("order_by", in: .query, .string(length: 1...TableSQL.identifierBytesMax), summary: "column to sort by (default id)"),
            ParameterDeclaration("order", in: .query, .string(allowed: ["asc", "desc"])),
        ],
        response: .object([("rows", .array(of: row)), ("total", .integer()), ("limit", .integer()), ("offset", .integer()), ("has_more", .boolean)])
    ) { input, session in
        try page(input, try TableSQL.table(input, session), session)
    }

    static let read = RouteDeclaration(
        .get, "/api/v1/tables/{name}/rows/{id}", summary: "One row by id",
        parameters: [TableRoutes.nameParameter, idParameter], response: row
    ) { input, session in
        let table = try TableSQL.table(input, session)
        let id = try rowID(input, table)
        let result = try session.execute("SELECT * FROM \(quoteIdentifier(table.name)) WHERE \(quoteIdentifier(TableSQL.idColumn)) = $1", [id])
        return RouteOutput(try only(result, table, id))
    }

    static let update = RouteDeclaration(
        .patch, "/api/v1/tables/{name}/rows/{id}", summary: "Change some columns of one row",
        parameters: [TableRoutes.nameParameter, idParameter], requestBody: .map(of: .any, count: 1...TableSQL.columnsMax), response: row
    ) { input, session in
        let table = try TableSQL.writableTable(input, session)
        let id = try rowID(input, table)
        guard case .object(let fields)? = input.body, !fields.isEmpty else { throw RESTError.invalid("body", "name at least one column to change") }
        let values = try assignments(fields, table, field: "")
        let set = values.enumerated().map { "\(quoteIdentifier($1.column)) = $\($0 + 2)" }.joined(separator: ", ")
        let sql = "UPDATE \(quoteIdentifier(table.name)) SET \(set) WHERE \(quoteIdentifier(TableSQL.idColumn)) = $1 RETURNING *"
        return RouteOutput(try only(try session.execute(sql, [id] + values.map(\.value)), table, id))
    }

    static let delete = RouteDeclaration(
        .delete, "/api/v1/tables/{name}/rows/{id}", summary: "Delete one row",
        parameters: [TableRoutes.nameParameter, idParameter], response: .object([("id", .integer()), ("deleted", .boolean)])
    ) { input, session in
        let table = try TableSQL.writableTable(input, session)
        let id = try rowID(input, table)
        let result = try session.execute("DELETE FROM \(quoteIdentifier(table.name)) WHERE \(quoteIdentifier(TableSQL.idColumn)) = $1", [id])
        guard result.rowCount > 0 else { throw rowNotFound(table, id) }
        return RouteOutput(.fields(("id", JSONValue(id)), ("deleted", .bool(true))))
    }

    // MARK: Plans' pieces

    /// One INSERT for the whole batch: the columns any row names, `DEFAULT` where a row
    /// leaves one out, every value a parameter; `RETURNING id` when the table has one.
    static func insertStatement(_ table: TableDefinition, _ rows: [JSONValue]) throws -> (String, [Value]) {
        var columns: [String] = []
        var rowValues: [[String: Value]] = []
        for (index, row) in rows.enumerated() {
            guard case .object(let fields) = row else { throw RESTError.invalid("rows[\(index)]", "must be an object") }
            let values = try assignments(fields, table, field: "rows[\(index)]")
            for (column, _) in values where !columns.contains(column) { columns.append(column) }
            rowValues.append(Dictionary(values, uniquingKeysWith: { $1 }))
        }
        // Rows that name no column still need one in the statement: VALUES (DEFAULT), (DEFAULT) …
        if columns.isEmpty, let first = table.columns.first { columns = [first.name] }
        guard rows.count * max(columns.count, 1) <= TableSQL.parametersMax else {
            throw RESTError.invalid("rows", "more than \(TableSQL.parametersMax) values in one request; split the batch")
        }
        var parameters: [Value] = []
        let tuples = rowValues.map { values in
            "(" + columns.map { column in
                guard let value = values[column] else { return "DEFAULT" }
                parameters.append(value)
                return "$\(parameters.count)"
            }.joined(separator: ", ") + ")"
        }
        let target = quoteIdentifier(table.name) + " (" + columns.map(quoteIdentifier).joined(separator: ", ") + ")"
        let source = " VALUES " + tuples.joined(separator: ", ")
        let returning = table.columnIndex(TableSQL.idColumn) == nil ? "" : " RETURNING " + quoteIdentifier(TableSQL.idColumn)
        return ("INSERT INTO " + target + source + returning, parameters)
    }

    /// `column: value` pairs of a request, each checked against the column's type.
    static func assignments(_ fields: [(String, JSONValue)], _ table: TableDefinition, field: String) throws -> [(column: String, value: Value)] {
        try fields.map { name, value in
            let path = Schema.join(field, name)
            let column = try TableSQL.column(name, in: table, field: path)
            return (column.name, try value.parameter(for: column.type, field: path))
        }
    }

    /// `column: value` filters; json and vector columns are refused, since equality of their
    /// text is not equality of their values.
    static func equalities(_ fields: [(String, JSONValue)], _ table: TableDefinition, field: String) throws -> [(column: String, value: Value)] {
        for (name, _) in fields {
            let column = try TableSQL.column(name, in: table, field: Schema.join(field, name))
            switch column.type {
            case .json, .jsonText, .vector, .halfvec: throw RESTError.invalid(Schema.join(field, name), "\(column.type.name) columns cannot be filtered by equality")
            default: continue
            }
        }
        return try assignments(fields, table, field: field)
    }

    /// A page of rows and the total that match the filters.
    static func page(_ input: RouteInput, _ table: TableDefinition, _ session: Session) throws -> RouteOutput {
        let pairs = input.query.filter { !pagingParameters.contains($0.0) }.map { ($0.0, JSONValue.string($0.1)) }
        let filters = try equalities(pairs, table, field: "")
        let limit = input.query("limit").flatMap { Int($0) } ?? pageRowsDefault
        let offset = input.query("offset").flatMap { Int($0) } ?? 0
        let name = quoteIdentifier(table.name)
        let clause = TableSQL.whereClause(filters)
        let total = try session.execute("SELECT count(*) FROM \(name)\(clause)", filters.map(\.value)).rows.first?.first ?? .int(0)
        let sql = "SELECT * FROM \(name)\(clause)\(try orderClause(input, table)) LIMIT \(limit) OFFSET \(offset)"
        let result = try session.execute(sql, filters.map(\.value))
        let totalCount: Int = if case .int(let count) = total { Int(count) } else { 0 }
        return RouteOutput(.fields(("rows", .array(result.rows.map { TableSQL.object($0, result.columns) })),
                                   ("total", .integer(totalCount)), ("limit", .integer(limit)), ("offset", .integer(offset)),
                                   ("has_more", .bool(offset + result.rows.count < totalCount))))
    }

    /// ORDER BY the named column (default `id` when the table has one), ascending unless told.
    static func orderClause(_ input: RouteInput, _ table: TableDefinition) throws -> String {
        let direction = input.query("order") == "desc" ? " DESC" : ""
        if let name = input.query("order_by") {
            return " ORDER BY " + quoteIdentifier(try TableSQL.column(name, in: table, field: "order_by").name) + direction
        }
        return table.columnIndex(TableSQL.idColumn) == nil ? "" : " ORDER BY " + quoteIdentifier(TableSQL.idColumn) + direction
    }

    static func rowID(_ input: RouteInput, _ table: TableDefinition) throws -> Value {
        _ = try TableSQL.idColumn(of: table)
        guard let id = Int64(input.path("id")) else { throw RESTError.invalid("id", "must be an integer") }
        return .int(id)
    }

    /// The one row a by-id statement returned, or a 404.
    static func only(_ result: QueryResult, _ table: TableDefinition, _ id: Value) throws -> JSONValue {
        guard let row = result.rows.first else { throw rowNotFound(table, id) }
        return TableSQL.object(row, result.columns)
    }

    static func rowNotFound(_ table: TableDefinition, _ id: Value) -> RESTError {
        var error = RESTError.notFound("table \"\(table.name)\" has no row with id \(id.text ?? "")", field: "id")
        error.code = "row_not_found"
        return error
    }
}
