import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import VireoQuery
import VireoStorage

/// A PostgreSQL database through postgres-nio: schema discovery from
/// `information_schema.columns`, and reads through a server-side cursor (`DECLARE … CURSOR`,
/// `FETCH n`), so a large table arrives in batches. Settings: host, port (5432), database,
/// user, schema (public), ssl_mode (disable | require); the password is a sealed secret.
/// Queries are PostgreSQL's own SQL with `:name` parameters, bound by type.
struct PostgresConnector: ConnectorReader {
    static let connectTimeoutSeconds: Int64 = 10
    let host: String
    let port: Int
    let database: String
    let user: String
    let password: String?
    let schema: String
    let requireTLS: Bool

    init(_ connector: StoredConnector) throws {
        guard let host = connector.value("host")?.unquotedText, !host.isEmpty else { throw RESTError.invalid("config.host", "is required") }
        self.host = host
        port = connector.value("port").flatMap { if case .number(let n) = $0 { Int(exactly: n) } else { $0.unquotedText.flatMap { Int($0) } } } ?? 5432
        guard (1...65535).contains(port) else { throw RESTError.invalid("config.port", "must be a port number") }
        database = connector.value("database")?.unquotedText ?? "postgres"
        user = connector.value("user")?.unquotedText ?? connector.value("username")?.unquotedText ?? "postgres"
        password = connector.value("password")?.unquotedText
        schema = connector.value("schema")?.unquotedText ?? "public"
        let mode = connector.value("ssl_mode")?.unquotedText ?? "disable"
        guard ["disable", "require"].contains(mode) else { throw RESTError.invalid("config.ssl_mode", "must be disable or require") }
        requireTLS = mode == "require"
    }

    // MARK: The blocking bridge

    /// Reads run on the engine's pool, which may block: each round trip waits for the driver.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        try BlockingBridge.run(body, translate: translated)
    }

    static func translated(_ error: any Error) -> RESTError {
        if let error = error as? RESTError { return error }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                var failure = RESTError(.badRequest, code: "source_query_failed", "PostgreSQL: \(message)", field: "source")
                failure.sqlState = error.serverInfo?[.sqlState]
                return failure
            }
            return ConnectorError.unreachable("PostgreSQL: \(error.code)")
        }
        return ConnectorError.unreachable("PostgreSQL: \(error)")
    }

    func connect() throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database,
            tls: requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable)
        configuration.options.connectTimeout = .seconds(Self.connectTimeoutSeconds)
        var logger = Logger(label: "vireo.postgres")
        logger.logLevel = .error
        let settings = configuration, quiet = logger
        return try Self.blocking {
            try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: settings, id: 1, logger: quiet).get()
        }
    }

    func rows(_ connection: PostgresConnection, _ sql: String, _ parameters: [Value] = []) throws -> [[Value]] {
        var binds = PostgresBindings()
        for parameter in parameters { Self.bind(&binds, parameter) }
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        let logger = Logger(label: "vireo.postgres")
        let rows = try Self.blocking { try await connection.query(query, logger: logger).collect() }
        return rows.map { row in row.map(Self.value) }
    }

    func close(_ connection: PostgresConnection) { _ = try? Self.blocking { try await connection.close() } }

    // MARK: Values

    static func bind(_ binds: inout PostgresBindings, _ value: Value) {
        switch value {
        case .null: binds.appendNull()
        case .bool(let flag): binds.append(flag)
        case .int(let number): binds.append(number)
        case .double(let number): binds.append(number)
        default: binds.append(value.text ?? "")
        }
    }

    static func value(_ cell: PostgresCell) -> Value {
        guard var bytes = cell.bytes else { return .null }
        do {
            switch cell.dataType {
            case .int2: return .int(Int64(try cell.decode(Int16.self)))
            case .int4: return .int(Int64(try cell.decode(Int32.self)))
            case .int8: return .int(try cell.decode(Int64.self))
            case .float4: return .double(Double(try cell.decode(Float.self)))
            case .float8: return .double(try cell.decode(Double.self))
            case .numeric:
                let decimal = try cell.decode(Decimal.self)
                return .double(NSDecimalNumber(decimal: decimal).doubleValue)
            case .bool: return .bool(try cell.decode(Bool.self))
            case .timestamp, .timestamptz, .date: return .timestamp(Int64((try cell.decode(Date.self).timeIntervalSince1970 * 1_000_000).rounded()))
            case .uuid: return .text(try cell.decode(UUID.self).uuidString.lowercased())
            case .bytea: return .bytes(bytes.readBytes(length: bytes.readableBytes) ?? [])
            case .jsonb:
                _ = bytes.readInteger(as: UInt8.self)  // the binary format's version byte
                return .json(bytes.readString(length: bytes.readableBytes) ?? "null")
            case .json: return .json(bytes.readString(length: bytes.readableBytes) ?? "null")
            default: return .text((try? cell.decode(String.self)) ?? bytes.readString(length: bytes.readableBytes) ?? "")
            }
        } catch {
            return .text(bytes.readString(length: bytes.readableBytes) ?? "")
        }
    }

    /// The Vireo type of a PostgreSQL type name (`information_schema.columns.data_type`).
    static func vireoType(_ name: String) -> String {
        switch name {
        case "smallint", "integer", "bigint": "bigint"
        case "real", "double precision", "numeric": "double precision"
        case "boolean": "boolean"
        case "timestamp without time zone", "timestamp with time zone", "date": "timestamp"
        case "json", "jsonb": "jsonb"
        case "bytea": "bytea"
        default: "text"
        }
    }

    static func vireoType(_ type: PostgresDataType) -> String {
        switch type {
        case .int2, .int4, .int8: "bigint"
        case .float4, .float8, .numeric: "double precision"
        case .bool: "boolean"
        case .timestamp, .timestamptz, .date: "timestamp"
        case .json, .jsonb: "jsonb"
        case .bytea: "bytea"
        default: "text"
        }
    }

    // MARK: ConnectorReader

    func test() throws {
        let connection = try connect()
        defer { close(connection) }
        _ = try rows(connection, "SELECT 1")
    }

    func tables() throws -> [SourceTable] {
        let connection = try connect()
        defer { close(connection) }
        return try tables(on: connection)
    }

    func tables(on connection: PostgresConnection) throws -> [SourceTable] {
        let rows = try rows(connection, """
            SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
            WHERE table_schema = $1 ORDER BY table_name, ordinal_position
            """, [.text(schema)])
        var tables: [SourceTable] = []
        for row in rows {
            guard let table = row.text(0), let column = row.text(1), let type = row.text(2) else { continue }
            if tables.last?.name != table { tables.append(SourceTable(name: table, columns: [])) }
            tables[tables.count - 1].columns.append(SourceColumn(name: column, type: Self.vireoType(type)))
        }
        return tables
    }

    func qualified(_ table: String) -> String { quoteIdentifier(schema) + "." + quoteIdentifier(table) }

    func count(_ table: String) throws -> Int? {
        let connection = try connect()
        defer { close(connection) }
        guard case .int(let count)? = try rows(connection, "SELECT count(*) FROM \(qualified(table))").first?.first else { return nil }
        return Int(count)
    }

    func read(_ selection: SourceSelection, parameters: [String: Value], batchRows: Int,
              _ body: ([SourceColumn], [[Value]]) throws -> Bool) throws {
        let connection = try connect()
        defer { close(connection) }
        var sql: String, bound: [Value] = [], declared: [SourceColumn] = []
        switch selection {
        case .table(let table):
            guard let found = try tables(on: connection).first(where: { $0.name == table }) else { throw ConnectorError.noTable(table) }
            declared = found.columns
            sql = "SELECT * FROM \(qualified(table))"
        case .query(let query):
            (sql, bound) = try NamedParameters.positional(query, parameters)
        }
        _ = try rows(connection, "BEGIN READ ONLY")
        _ = try rows(connection, "DECLARE vireo_read NO SCROLL CURSOR FOR " + sql, bound)
        var sent = false
        while true {
            let (columns, batch) = try fetch(connection, batchRows, declared)
            if !declared.isEmpty || !columns.isEmpty { declared = declared.isEmpty ? columns : declared }
            if batch.isEmpty { break }
            sent = true
            guard try body(declared, batch) else { break }
            if batch.count < batchRows { break }
        }
        if !sent { _ = try body(declared, []) }
        _ = try? rows(connection, "COMMIT")
    }

    /// One FETCH: the rows, and the columns as the cells name and type them.
    func fetch(_ connection: PostgresConnection, _ count: Int, _ declared: [SourceColumn]) throws -> ([SourceColumn], [[Value]]) {
        let logger = Logger(label: "vireo.postgres")
        let query = PostgresQuery(unsafeSQL: "FETCH FORWARD \(count) FROM vireo_read")
        let rows = try Self.blocking { try await connection.query(query, logger: logger).collect() }
        let columns = rows.first.map { row in row.map { SourceColumn(name: $0.columnName, type: Self.vireoType($0.dataType)) } } ?? []
        return (columns, rows.map { row in row.map(Self.value) })
    }
}
