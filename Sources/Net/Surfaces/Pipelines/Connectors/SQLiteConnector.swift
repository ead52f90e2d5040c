import CSQLite
import Foundation
import VireoQuery
import VireoStorage

/// A SQLite database file under the configured roots, opened read-only through libsqlite3.
/// Tables and views come from `sqlite_master`, columns from `PRAGMA table_info`; a query
/// source is SQLite's own SQL with SQLite's `:name` parameters.
struct SQLiteConnector: ConnectorReader {
    let path: String

    final class Handle {
        let pointer: OpaquePointer
        init(pointer: OpaquePointer) { self.pointer = pointer }
        deinit { sqlite3_close_v2(pointer) }
    }

    func open() throws -> Handle {
        guard FileManager.default.fileExists(atPath: path) else { throw ConnectorError.unreachable("\(path) does not exist") }
        var pointer: OpaquePointer?
        let status = sqlite3_open_v2(path, &pointer, SQLITE_OPEN_READONLY, nil)
        guard status == SQLITE_OK, let pointer else {
            if let pointer { sqlite3_close_v2(pointer) }
            throw ConnectorError.unreachable("cannot open \(path) as SQLite: \(String(cString: sqlite3_errstr(status)))")
        }
        return Handle(pointer: pointer)
    }

    func test() throws {
        let database = try open()
        _ = try rows(database, "SELECT count(*) FROM sqlite_master", [:])
    }

    func tables() throws -> [SourceTable] {
        let database = try open()
        let names = try rows(database, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name", [:])
        return try names.compactMap { row in
            guard case .text(let name) = row[0] else { return nil }
            return SourceTable(name: name, columns: try columns(database, name))
        }
    }

    func columns(_ database: Handle, _ table: String) throws -> [SourceColumn] {
        try rows(database, "PRAGMA table_info(\(quoteIdentifier(table)))", [:]).compactMap { row in
            guard case .text(let name) = row[1] else { return nil }
            guard case .text(let declared) = row[2] else { return SourceColumn(name: name, type: "text") }
            return SourceColumn(name: name, type: Self.vireoType(declared))
        }
    }

    /// SQLite's type affinity rules (section 3.1 of its datatype page), plus dates as timestamps.
    static func vireoType(_ declared: String) -> String {
        let type = declared.uppercased()
        if type.contains("INT") { return "bigint" }
        if type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT") { return "text" }
        if type.contains("BLOB") { return "bytea" }
        if type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB") || type.contains("NUMERIC") || type.contains("DECIMAL") { return "double precision" }
        if type.contains("BOOL") { return "boolean" }
        if type.contains("DATE") || type.contains("TIME") { return "timestamp" }
        return "text"
    }

    func count(_ table: String) throws -> Int? {
        let database = try open()
        guard case .int(let count)? = try rows(database, "SELECT count(*) FROM \(quoteIdentifier(table))", [:]).first?.first else { return nil }
        return Int(count)
    }

    func read(_ selection: SourceSelection, parameters: [String: Value], batchRows: Int,
              _ body: ([SourceColumn], [[Value]]) throws -> Bool) throws {
        let database = try open()
        let sql: String
        var declared: [String: String] = [:]
        switch selection {
        case .table(let table):
            let columns = try columns(database, table)
            guard !columns.isEmpty else { throw ConnectorError.noTable(table) }
            for column in columns { declared[column.name] = column.type }
            sql = "SELECT * FROM \(quoteIdentifier(table))"
        case .query(let query): sql = query
        }
        let statement = try prepare(database, sql, parameters)
        defer { sqlite3_finalize(statement) }
        let count = Int(sqlite3_column_count(statement))
        let names = (0..<count).map { String(cString: sqlite3_column_name(statement, Int32($0))) }
        var columns: [SourceColumn]?
        var batch: [[Value]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw queryError(database) }
            let row = (0..<count).map { Self.value(statement, Int32($0)) }
            if columns == nil { columns = zip(names, row).map { SourceColumn(name: $0, type: declared[$0] ?? Self.type(of: $1)) } }
            batch.append(row)
            if batch.count == batchRows {
                guard try body(columns ?? [], batch) else { return }
                batch = []
            }
        }
        let finalColumns = columns ?? names.map { SourceColumn(name: $0, type: declared[$0] ?? "text") }
        if !batch.isEmpty || columns == nil { _ = try body(finalColumns, batch) }
    }

    static func type(of value: Value) -> String {
        switch value {
        case .int: "bigint"
        case .double: "double precision"
        case .bytes: "bytea"
        default: "text"
        }
    }

    static func value(_ statement: OpaquePointer, _ index: Int32) -> Value {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .bytes([]) }
            return .bytes(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    func prepare(_ database: Handle, _ sql: String, _ parameters: [String: Value]) throws -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database.pointer, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw queryError(database) }
        for index in 0..<sqlite3_bind_parameter_count(statement) {
            guard let rawName = sqlite3_bind_parameter_name(statement, index + 1) else { continue }
            let name = String(String(cString: rawName).dropFirst())
            guard let value = parameters[name] else {
                sqlite3_finalize(statement)
                throw RESTError.invalid("params.\(name)", "the query uses :\(name) but no such parameter was given")
            }
            Self.bind(statement, index + 1, value)
        }
        return statement
    }

    static func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Value) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        switch value {
        case .null: sqlite3_bind_null(statement, index)
        case .bool(let flag): sqlite3_bind_int64(statement, index, flag ? 1 : 0)
        case .int(let number): sqlite3_bind_int64(statement, index, number)
        case .double(let number): sqlite3_bind_double(statement, index, number)
        default: sqlite3_bind_text(statement, index, value.text ?? "", -1, transient)
        }
    }

    func rows(_ database: Handle, _ sql: String, _ parameters: [String: Value]) throws -> [[Value]] {
        var result: [[Value]] = []
        try read(database, sql, parameters) { result.append($0) }
        return result
    }

    private func read(_ database: Handle, _ sql: String, _ parameters: [String: Value], _ row: ([Value]) -> Void) throws {
        let statement = try prepare(database, sql, parameters)
        defer { sqlite3_finalize(statement) }
        let count = sqlite3_column_count(statement)
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw queryError(database) }
            row((0..<count).map { Self.value(statement, $0) })
        }
    }

    func queryError(_ database: Handle) -> RESTError {
        RESTError(.badRequest, code: "source_query_failed", "SQLite: " + String(cString: sqlite3_errmsg(database.pointer)), field: "source")
    }
}

/// Vireo's own tables (not its `vireo_*` internal ones), read with a session of the server.
struct VireoConnector: ConnectorReader {
    let session: Session

    func test() throws { _ = try session.execute("SELECT 1") }

    func tables() throws -> [SourceTable] {
        try session.tableDefinitions().filter { !$0.name.hasPrefix(TableSQL.internalTablePrefix) }.map { table in
            SourceTable(name: table.name, columns: table.columns.map { SourceColumn(name: $0.name, type: SQLType($0.type).description) })
        }
    }

    func count(_ table: String) throws -> Int? {
        try Pagination.count(session, "SELECT count(*) FROM \(quoteIdentifier(table))")
    }

    func read(_ selection: SourceSelection, parameters: [String: Value], batchRows: Int,
              _ body: ([SourceColumn], [[Value]]) throws -> Bool) throws {
        let sql: String, bound: [Value]
        switch selection {
        case .table(let table):
            guard !table.hasPrefix(TableSQL.internalTablePrefix) else {
                throw RESTError(.forbidden, code: "internal_table", "\(table) is one of Vireo's internal tables", field: "table")
            }
            guard (try? session.tableDefinition(table)) != nil else { throw ConnectorError.noTable(table) }
            (sql, bound) = ("SELECT * FROM \(quoteIdentifier(table))", [])
        case .query(let query):
            (sql, bound) = try NamedParameters.positional(query, parameters)
            try PipelineSQL.requireQuery(sql, field: "source.query")
        }
        let result = try session.execute(sql, bound)
        let columns = result.columns.map { SourceColumn(name: $0.name, type: $0.type == .unknown ? "text" : $0.type.description) }
        var start = 0
        repeat {
            let end = min(start + batchRows, result.rows.count)
            guard try body(columns, Array(result.rows[start..<end])) else { return }
            start = end
        } while start < result.rows.count
    }
}
