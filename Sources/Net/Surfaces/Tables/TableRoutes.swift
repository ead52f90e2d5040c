import VireoQuery
import VireoStorage

/// Seed 000's table management: list, create, describe, drop.
enum TableRoutes {
    static var all: [RouteDeclaration] { [list, create, describe, drop] }

    static let nameParameter = ParameterDeclaration("name", in: .path, .string(length: 1...TableSQL.identifierBytesMax, pattern: TableSQL.identifierPattern), summary: "table name")
    static let metrics = SearchRoute.Metric.allCases.map(\.rawValue)

    static let tableInfo = Schema.object([
        ("name", .string()), ("primary_key", .nullable(.string())),
        ("columns", .array(of: .object([("name", .string()), ("type", .string()), ("nullable", .boolean)]))),
        ("column_count", .integer()), ("row_count", .integer()),
        ("indexes", .array(of: .object([("name", .string()), ("columns", .array(of: .string())), ("method", .string()), ("unique", .boolean)]))),
    ])

    static let list = RouteDeclaration(
        .get, "/api/v1/tables", summary: "List the names of all tables", response: .array(of: .string())
    ) { _, session in
        RouteOutput(.array(try session.tableDefinitions().map { .string($0.name) }))
    }

    static let create = RouteDeclaration(
        .post, "/api/v1/tables", summary: "Create a table; it gets an `id bigserial PRIMARY KEY` column",
        requestBody: .object([
            ("name", .string(length: 1...TableSQL.identifierBytesMax, pattern: TableSQL.identifierPattern)),
            ("columns", .described(.map(of: .string(), count: 0...TableSQL.columnsMax), "column name → string, int, float, bool, json, timestamp or vector(n)")),
            ("vector_indexes", .described(.map(of: .string(allowed: metrics)), "vector column → metric of an HNSW index to build")),
        ], required: ["name", "columns"]),
        status: .created, response: tableInfo
    ) { input, session in
        let name = try TableSQL.identifier(input.field("name")?.unquotedText ?? "", field: "name")
        try TableSQL.refuseInternal(name, field: "name")
        let columns = try columnDefinitions(input.field("columns"))
        let indexes = try indexStatements(input.field("vector_indexes"), table: name, columns: input.field("columns"))
        try TableSQL.transaction(session) {
            try session.execute("CREATE TABLE \(quoteIdentifier(name)) (\(([quoteIdentifier(TableSQL.idColumn) + " bigserial PRIMARY KEY"] + columns).joined(separator: ", ")))")
            for statement in indexes { try session.execute(statement) }
        }
        return RouteOutput(try info(try session.tableDefinition(name), session))
    }

    static let describe = RouteDeclaration(
        .get, "/api/v1/tables/{name}", summary: "A table's columns, indexes and row count",
        parameters: [nameParameter], response: tableInfo
    ) { input, session in
        RouteOutput(try info(try TableSQL.table(input, session), session))
    }

    static let drop = RouteDeclaration(
        .delete, "/api/v1/tables/{name}", summary: "Drop a table and its indexes",
        parameters: [nameParameter], response: .object([("name", .string()), ("dropped", .boolean)])
    ) { input, session in
        let table = try TableSQL.writableTable(input, session)
        try session.execute("DROP TABLE \(quoteIdentifier(table.name))")
        return RouteOutput(.fields(("name", .string(table.name)), ("dropped", .bool(true))))
    }

    /// `"col": "type"` pairs as SQL column definitions, in the order the client wrote them.
    static func columnDefinitions(_ columns: JSONValue?) throws -> [String] {
        guard case .object(let pairs) = columns else { return [] }
        return try pairs.map { column, type in
            let field = "columns.\(column)"
            let name = try TableSQL.identifier(column, field: field)
            guard name.lowercased() != TableSQL.idColumn else { throw RESTError.invalid(field, "\"id\" is added to every table; leave it out") }
            return quoteIdentifier(name) + " " + (try RESTColumnType.sqlType(type.unquotedText ?? "", field: field))
        }
    }

    /// CREATE INDEX … USING hnsw for each `"column": "metric"`; the column must be a vector
    /// column of the request.
    static func indexStatements(_ indexes: JSONValue?, table: String, columns: JSONValue?) throws -> [String] {
        guard case .object(let pairs) = indexes else { return [] }
        return try pairs.map { column, metric in
            let field = "vector_indexes.\(column)"
            guard let type = columns?.field(.text(column))?.unquotedText, type.lowercased().hasPrefix("vector(") else {
                throw RESTError.invalid(field, "must name a vector column of this table")
            }
            let operatorClass = SearchRoute.Metric(rawValue: metric.unquotedText ?? "")?.operatorClass ?? "vector_l2_ops"
            return "CREATE INDEX ON \(quoteIdentifier(table)) USING hnsw (\(quoteIdentifier(column)) \(operatorClass))"
        }
    }

    /// The answer that describes a table.
    static func info(_ table: TableDefinition, _ session: Session) throws -> JSONValue {
        let count = try session.execute("SELECT count(*) FROM \(quoteIdentifier(table.name))").rows.first?.first ?? .int(0)
        let columns: [JSONValue] = table.columns.map {
            .fields(("name", .string($0.name)), ("type", .string(RESTColumnType.name($0.type))), ("nullable", .bool(!$0.notNull)))
        }
        let indexes: [JSONValue] = table.indexes.map {
            .fields(("name", .string($0.name)), ("columns", .array($0.columns.map(JSONValue.string))), ("method", .string($0.method)),
                    ("unique", .bool($0.isUnique)))
        }
        let primaryKey = table.rowIDColumn.map { JSONValue.string(table.columns[$0].name) } ?? .null
        return .fields(("name", .string(table.name)), ("primary_key", primaryKey), ("columns", .array(columns)),
                       ("column_count", .integer(columns.count)), ("row_count", JSONValue(count)), ("indexes", .array(indexes)))
    }
}
