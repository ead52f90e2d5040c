import CSQLite
import Foundation
import PostgresNIO
import VireoQuery
import VireoStorage

/// Where a pipeline's rows go when its target is not one of this server's tables: a CSV or
/// JSON-lines file under a connector root, a SQLite file under one, or a PostgreSQL table.
/// Each write is all or nothing: a database target in one transaction, a file replaced by a
/// rename or appended only after every row was formatted.
protocol ConnectorWriter {
    /// Whether the target can be written (the folder exists, the database answers).
    func testTarget() throws
    /// Writes `rows` (in `columns`' order and Vireo types) into `table` by `mode`
    /// (append | upsert by `key` | replace); the number of rows written.
    func write(table: String, columns: [SourceColumn], rows: [[Value]], mode: String, key: [String]) throws -> Int
}

/// Which connector types a pipeline may write to, and the checks made when one is saved.
enum PipelineTargets {
    static let fileTypes = ["csv", "jsonl"]
    static let types = fileTypes + ["sqlite", "postgresql"]

    /// A 422 naming the field when `connector` cannot take `definition`'s rows as it says.
    static func check(_ connector: StoredConnector, _ definition: PipelineDefinition) throws {
        guard connector.type == ConnectorStore.vireoID || types.contains(connector.type) else {
            throw RESTError.invalid("definition.target.connector_id",
                                    "a \(connector.type) connector cannot be a target; targets are vireo, \(types.joined(separator: ", "))")
        }
        if fileTypes.contains(connector.type), definition.mode == "upsert" {
            throw RESTError.invalid("definition.target.mode", "a \(connector.type) file has no key to upsert by: use append or replace")
        }
    }
}

extension PipelineService {
    /// The writer of `connector`, a target of `PipelineTargets.types`.
    func writer(_ connector: StoredConnector) throws -> any ConnectorWriter {
        let path = { try self.roots.confine(connector.setting("path")?.unquotedText ?? "") }
        switch connector.type {
        case "csv":
            let delimiter = connector.setting("delimiter")?.unquotedText?.utf8.first ?? UInt8(ascii: ",")
            return FileWriter(format: .csv, path: try path(), delimiter: delimiter)
        case "jsonl": return FileWriter(format: .jsonl, path: try path(), delimiter: 0)
        case "sqlite": return SQLiteWriter(path: try path())
        case "postgresql": return PostgresWriter(connector: try PostgresConnector(connector))
        default: throw RESTError.invalid("definition.target.connector_id", "a \(connector.type) connector cannot be a target")
        }
    }
}

/// Statements of a SQL target: the table made to fit the rows, then the rows, by mode.
/// `quote` is the target's identifier quoting; `type` maps a Vireo type to the target's.
struct TargetSQL {
    let table: String
    let columns: [SourceColumn]
    let key: [String]
    let type: (String) -> String

    func create() -> String {
        "CREATE TABLE IF NOT EXISTS \(table) (" + columns.map { quoteIdentifier($0.name) + " " + type($0.type) }.joined(separator: ", ") + ")"
    }

    func addColumn(_ column: SourceColumn) -> String { "ALTER TABLE \(table) ADD COLUMN \(quoteIdentifier(column.name)) \(type(column.type))" }

    func uniqueKey(_ indexName: String) -> String {
        "CREATE UNIQUE INDEX IF NOT EXISTS \(quoteIdentifier(indexName)) ON \(table) (\(key.map(quoteIdentifier).joined(separator: ", ")))"
    }

    /// INSERT of `count` rows with `placeholder(n, column)` for the n-th parameter (1-based).
    func insert(rows count: Int, mode: String, placeholder: (Int, SourceColumn) -> String) -> String {
        var parameter = 0
        let tuples = (0..<count).map { _ in
            "(" + columns.map { column in parameter += 1; return placeholder(parameter, column) }.joined(separator: ", ") + ")"
        }
        let names = columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        return "INSERT INTO \(table) (\(names)) VALUES " + tuples.joined(separator: ", ") + conflict(mode)
    }

    func conflict(_ mode: String) -> String {
        guard mode == "upsert" else { return "" }
        let others = columns.map(\.name).filter { !key.contains($0) }
        let keyList = key.map(quoteIdentifier).joined(separator: ", ")
        guard !others.isEmpty else { return " ON CONFLICT (\(keyList)) DO NOTHING" }
        return " ON CONFLICT (\(keyList)) DO UPDATE SET " + others.map { "\(quoteIdentifier($0)) = excluded.\(quoteIdentifier($0))" }.joined(separator: ", ")
    }

    /// Rows a statement carries: at most `rowsMax`, and under the target's parameter limit.
    static func rowsPerStatement(columns: Int, parametersMax: Int, rowsMax: Int = 500) -> Int {
        max(1, min(rowsMax, parametersMax / max(1, columns)))
    }
}

// MARK: Files

/// A CSV or JSON-lines file: the connector's path when it names a file (whose name must then be
/// the target table), else `<path>/<table>.csv|.jsonl` in the folder it names. `replace` writes a
/// new file beside it and renames it over; `append` adds lines (a CSV's header must match the
/// columns; a new file gets one).
struct FileWriter: ConnectorWriter {
    let format: FileConnector.Format
    let path: String
    let delimiter: UInt8

    var fileExtension: String { format == .csv ? "csv" : "jsonl" }

    func testTarget() throws {
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? path : (path as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: folder) else { throw ConnectorError.unreachable("cannot write in \(folder)") }
    }

    func file(for table: String) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return path + "/" + table + "." + fileExtension
        }
        guard FileConnector.tableName(path) == table else {
            throw RESTError.invalid("definition.target.table", "this connector writes \(path), table \(FileConnector.tableName(path)), not \(table)")
        }
        return path
    }

    func write(table: String, columns: [SourceColumn], rows: [[Value]], mode: String, key: [String]) throws -> Int {
        let file = try file(for: table)
        let names = columns.map(\.name)
        let sizeBytes = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int ?? 0
        let exists = sizeBytes > 0
        var text = ""
        if format == .csv, mode == "replace" || !exists { text += csvLine(names.map { Value.text($0) }) }
        if format == .csv, mode != "replace", exists { try requireHeader(file, names) }
        for row in rows { text += format == .csv ? csvLine(row) : jsonLine(names, row) }
        if mode == "replace" || !exists {
            let temporary = file + ".vireo-" + PipelineIDs.make("w")
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, file) != 0 {
                try? FileManager.default.removeItem(atPath: temporary)
                throw ConnectorError.unreachable("cannot replace \(file): \(String(cString: strerror(errno)))")
            }
        } else {
            guard let handle = FileHandle(forUpdatingAtPath: file) else { throw ConnectorError.unreachable("cannot open \(file) to append") }
            defer { try? handle.close() }
            let end = try handle.seekToEnd()
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                if try handle.read(upToCount: 1) != Data("\n".utf8) { text = "\n" + text }
            }
            try handle.write(contentsOf: Data(text.utf8))
        }
        return rows.count
    }

    func requireHeader(_ file: String, _ names: [String]) throws {
        var records = CSVRecords(file: try ChunkedFile(path: file), delimiter: delimiter)
        let header = try records.next() ?? []
        guard header == names else {
            throw RESTError(.badRequest, code: "target_mismatch",
                            "\(file) has the columns \(header.joined(separator: ", ")); the rows have \(names.joined(separator: ", "))", field: "target")
        }
    }

    func csvLine(_ values: [Value]) -> String {
        let separator = String(UnicodeScalar(delimiter))
        return values.map { value -> String in
            let text = switch value {
            case .null: ""
            case .bool(let flag): flag ? "true" : "false"
            default: value.text ?? ""
            }
            guard text.contains(where: { $0 == "\"" || $0 == "\n" || $0 == "\r" || String($0) == separator }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: separator) + "\n"
    }

    func jsonLine(_ names: [String], _ row: [Value]) -> String {
        JSONValue.object(zip(names, row).map { ($0, JSONValue($1)) }).text + "\n"
    }
}

// MARK: SQLite

/// A SQLite database file under the connector roots, created when missing, written in one
/// transaction (`BEGIN IMMEDIATE`): the table created or widened to fit the rows, then the
/// rows by mode (upsert through a unique index on the key and `ON CONFLICT … DO UPDATE`).
struct SQLiteWriter: ConnectorWriter {
    /// SQLite's default limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER).
    static let parametersMax = 32_766
    let path: String

    func testTarget() throws {
        let folder = (path as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: FileManager.default.fileExists(atPath: path) ? path : folder) else {
            throw ConnectorError.unreachable("cannot write \(path)")
        }
    }

    static func type(_ vireoType: String) -> String {
        let type = vireoType.lowercased()
        if type.contains("int") { return "INTEGER" }
        if type.contains("double") || type.contains("real") || type.contains("numeric") || type.contains("float") { return "REAL" }
        if type.contains("bool") { return "BOOLEAN" }
        if type == "bytea" { return "BLOB" }
        if type.hasPrefix("timestamp") || type == "date" { return "TIMESTAMP" }
        return "TEXT"
    }

    func write(table: String, columns: [SourceColumn], rows: [[Value]], mode: String, key: [String]) throws -> Int {
        var pointer: OpaquePointer?
        guard sqlite3_open_v2(path, &pointer, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK, let pointer else {
            if let pointer { sqlite3_close_v2(pointer) }
            throw ConnectorError.unreachable("cannot open \(path) as SQLite for writing")
        }
        let database = SQLiteConnector.Handle(pointer: pointer)
        sqlite3_busy_timeout(pointer, 10_000)
        let sql = TargetSQL(table: quoteIdentifier(table), columns: columns, key: key, type: Self.type)
        try execute(database, "BEGIN IMMEDIATE")
        do {
            try prepareTable(database, sql, table: table, mode: mode)
            let perStatement = TargetSQL.rowsPerStatement(columns: columns.count, parametersMax: Self.parametersMax)
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + perStatement, rows.count)]
                try execute(database, sql.insert(rows: chunk.count, mode: mode) { number, _ in "?\(number)" }, chunk.flatMap { $0 })
                start += chunk.count
            }
            try execute(database, "COMMIT")
        } catch {
            try? execute(database, "ROLLBACK")
            throw error
        }
        return rows.count
    }

    func prepareTable(_ database: SQLiteConnector.Handle, _ sql: TargetSQL, table: String, mode: String) throws {
        try execute(database, sql.create())
        let reader = SQLiteConnector(path: path)
        let existing = Set(try reader.columns(database, table).map(\.name))
        for column in sql.columns where !existing.contains(column.name) { try execute(database, sql.addColumn(column)) }
        if mode == "replace" { try execute(database, "DELETE FROM \(sql.table)") }
        if mode == "upsert" { try execute(database, sql.uniqueKey(table + "_pipeline_key")) }
    }

    func execute(_ database: SQLiteConnector.Handle, _ text: String, _ values: [Value] = []) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database.pointer, text, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure(database) }
        defer { sqlite3_finalize(statement) }
        for (index, value) in values.enumerated() {
            if case .bytes(let bytes) = value {
                let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
                sqlite3_bind_blob(statement, Int32(index + 1), bytes, Int32(bytes.count), transient)
            } else {
                SQLiteConnector.bind(statement, Int32(index + 1), value)
            }
        }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw failure(database) }
    }

    func failure(_ database: SQLiteConnector.Handle) -> RESTError {
        RESTError(.badRequest, code: "target_write_failed", "SQLite: " + String(cString: sqlite3_errmsg(database.pointer)), field: "target")
    }
}

// MARK: PostgreSQL

/// A table in the connector's schema, written in one transaction over postgres-nio: created or
/// widened (`ADD COLUMN IF NOT EXISTS`) to fit the rows, then multi-row INSERTs with each
/// parameter cast to the column's type; upsert by a unique index on the key. Vectors are
/// written as pgvector's text (`[1,2,3]`) in a text column.
struct PostgresWriter: ConnectorWriter {
    /// PostgreSQL's limit on a statement's parameters.
    static let parametersMax = 65_535
    let connector: PostgresConnector

    func testTarget() throws { try connector.test() }

    static func type(_ vireoType: String) -> String {
        let type = vireoType.lowercased()
        if type.contains("int") { return "bigint" }
        if type.contains("double") || type.contains("real") || type.contains("numeric") || type.contains("float") { return "double precision" }
        if type.contains("bool") { return "boolean" }
        if type == "timestamptz" || type.contains("with time zone") { return "timestamptz" }
        if type.hasPrefix("timestamp") { return "timestamp" }
        if type == "date" { return "date" }
        if type.hasPrefix("json") { return "jsonb" }
        if type == "bytea" { return "bytea" }
        return "text"
    }

    func write(table: String, columns: [SourceColumn], rows: [[Value]], mode: String, key: [String]) throws -> Int {
        let connection = try connector.connect()
        defer { connector.close(connection) }
        let sql = TargetSQL(table: connector.qualified(table), columns: columns, key: key, type: Self.type)
        do {
            _ = try connector.rows(connection, "BEGIN")
            _ = try connector.rows(connection, sql.create())
            for column in columns {
                _ = try connector.rows(connection, sql.addColumn(column).replacingOccurrences(of: "ADD COLUMN", with: "ADD COLUMN IF NOT EXISTS"))
            }
            if mode == "replace" { _ = try connector.rows(connection, "DELETE FROM \(sql.table)") }
            if mode == "upsert" { _ = try connector.rows(connection, sql.uniqueKey(table + "_pipeline_key")) }
            let perStatement = TargetSQL.rowsPerStatement(columns: columns.count, parametersMax: Self.parametersMax)
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + perStatement, rows.count)]
                let text = sql.insert(rows: chunk.count, mode: mode) { number, column in "$\(number)::\(Self.type(column.type))" }
                _ = try connector.rows(connection, text, chunk.flatMap { $0.map(Self.bindable) })
                start += chunk.count
            }
            _ = try connector.rows(connection, "COMMIT")
        } catch var error as RESTError {
            _ = try? connector.rows(connection, "ROLLBACK")
            if error.field == "source" { error.field = "target" }
            throw error
        }
        return rows.count
    }

    /// What postgres-nio binds: numbers and booleans as such, the rest as their text (cast by the statement).
    static func bindable(_ value: Value) -> Value {
        switch value {
        case .null, .bool, .int, .double: value
        default: .text(value.text ?? "")
        }
    }
}
