import VireoQuery
import VireoStorage

/// What the tables surface's plans share: names checked and quoted, tables looked up
/// through the session, rows as JSON objects, and the column types' REST names.
enum TableSQL {
    /// PostgreSQL's identifier limit, which the engine enforces too.
    static let identifierBytesMax = SyntaxLimits.identifierLengthBytesMax
    /// PostgreSQL's column limit per table.
    static let columnsMax = 1600
    /// Parameters one statement may bind (the wire protocol's 16-bit count).
    static let parametersMax = SyntaxLimits.parametersMax
    /// The column every table created over REST gets, and that row routes address rows by.
    static let idColumn = "id"
    static let identifierPattern = "^[A-Za-z_][A-Za-z0-9_]{0,\(identifierBytesMax - 1)}$"

    /// `name` when it is a plain identifier (letters, digits, underscores; not starting with
    /// a digit; at most 63 bytes), else a 422 naming `field`.
    static func identifier(_ name: String, field: String) throws(RESTError) -> String {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= identifierBytesMax, !isDigit(first),
              bytes.allSatisfy({ isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "_") }) else {
            throw .invalid(field, "must be 1 to \(identifierBytesMax) letters, digits or underscores, not starting with a digit")
        }
        return name
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// The table named in the path, or a 404 naming the `name` parameter.
    static func table(_ input: RouteInput, _ session: Session) throws -> TableDefinition {
        let name = input.path("name")
        do {
            return try session.tableDefinition(name)
        } catch let error as VireoError where error.code == .undefinedTable {
            var notFound = RESTError.notFound("table \"\(name)\" does not exist", field: "name")
            notFound.code = "table_not_found"
            throw notFound
        }
    }

    /// Tables whose names start so belong to the server (vector stores, the job queue): the
    /// tables surface reads them but neither creates, changes nor drops them.
    static let internalTablePrefix = "vireo_"

    /// The table named in the path, for a change: a 403 for the server's own tables.
    static func writableTable(_ input: RouteInput, _ session: Session) throws -> TableDefinition {
        let table = try table(input, session)
        try refuseInternal(table.name, field: "name")
        return table
    }

    /// A 403 naming `field` when `name` is one of the server's own tables.
    static func refuseInternal(_ name: String, field: String) throws {
        guard name.lowercased().hasPrefix(internalTablePrefix) else { return }
        throw RESTError(.forbidden, code: "internal_table", "table \"\(name)\" belongs to the server (names starting with "
            + "\(internalTablePrefix) hold vector stores and background jobs); change it through /v1/vector_stores or /openai/v1", field: field)
    }

    /// The column called `name` in `table`, or a 422 naming `field`.
    static func column(_ name: String, in table: TableDefinition, field: String) throws(RESTError) -> VireoStorage.ColumnDefinition {
        guard let position = table.columnIndex(name) else {
            throw .invalid(field, "table \"\(table.name)\" has no column \"\(name)\"")
        }
        return table.columns[position]
    }

    /// The table's `id` column, which row routes need.
    static func idColumn(of table: TableDefinition) throws(RESTError) -> VireoStorage.ColumnDefinition {
        guard let position = table.columnIndex(idColumn), table.columns[position].type.isInteger else {
            throw RESTError(.badRequest, code: "no_id_column", "table \"\(table.name)\" has no integer \"id\" column to address rows by")
        }
        return table.columns[position]
    }

    /// A row of `result` as an object keyed by column name.
    static func object(_ row: [Value], _ columns: [ResultColumn]) -> JSONValue {
        .object(zip(columns, row).map { ($0.name, JSONValue($1, type: $0.type)) })
    }

    /// Runs `body` inside BEGIN … COMMIT, so a plan of several statements is all or nothing.
    static func transaction<R>(_ session: Session, _ body: () throws -> R) throws -> R {
        try session.execute("BEGIN")
        do {
            let result = try body()
            try session.execute("COMMIT")
            return result
        } catch {
            // The session may serve the next request: never leave it inside a failed block.
            _ = try? session.execute("ROLLBACK")
            throw error
        }
    }

    /// `equalities` as a WHERE clause with parameters numbered from `firstParameter`.
    static func whereClause(_ equalities: [(column: String, value: Value)], firstParameter: Int = 1) -> String {
        guard !equalities.isEmpty else { return "" }
        let terms = equalities.enumerated().map { quoteIdentifier($1.column) + " = $\(firstParameter + $0)" }
        return " WHERE " + terms.joined(separator: " AND ")
    }
}

/// The column types of the tables surface: the seed's `string`, `int`, `float`, plus `bool`,
/// `json`, `timestamp` and `vector(n)`; `bytes` only describes tables made with SQL.
enum RESTColumnType {
    static let names = ["string", "int", "float", "bool", "json", "timestamp", "vector(n)"]
    static let vectorDimensionMax = TypeName.vectorDimensionsMax

    /// The SQL type for a REST type name (case-insensitive), or a 422 naming `field`.
    static func sqlType(_ name: String, field: String) throws(RESTError) -> String {
        switch name.lowercased() {
        case "string": return "text"
        case "int": return "bigint"
        case "float": return "double precision"
        case "bool": return "boolean"
        case "json": return "jsonb"
        case "timestamp": return "timestamp"
        default:
            if let dimension = vectorDimension(name.lowercased()), (1...vectorDimensionMax).contains(dimension) {
                return "vector(\(dimension))"
            }
            throw .invalid(field, "unknown column type \"\(name)\"; use one of \(names.joined(separator: ", ")) (n from 1 to \(vectorDimensionMax))")
        }
    }

    private static func vectorDimension(_ name: String) -> Int? {
        guard name.hasPrefix("vector("), name.hasSuffix(")") else { return nil }
        return Int(name.dropFirst("vector(".count).dropLast())
    }

    /// The REST name of a stored column type.
    static func name(_ type: ColumnType) -> String {
        switch type {
        case .text, .varchar, .char, .uuid: "string"
        case .int, .smallint, .integer: "int"
        case .double, .real: "float"
        case .numeric: "numeric"
        case .bool: "bool"
        case .json, .jsonText: "json"
        case .timestamp, .timestamptz: "timestamp"
        case .date: "date"
        case .interval: "interval"
        case .time: "time"
        case .bytes: "bytes"
        case .vector, .halfvec, .sparsevec, .bit: type.name
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        case .array(let element): name(element) + "[]"
        // An enum column (made with SQL) by its type's name, as PostgreSQL shows it.
        case .enumeration(let type): type.name
        case .fractionalSeconds(let base, _): name(base)
        }
    }
}
