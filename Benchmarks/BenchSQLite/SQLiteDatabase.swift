import CSQLite

/// A failure of the SQLite library, with its message.
public struct SQLiteError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A thin, throwing wrapper over one SQLite connection (C API).
public final class SQLiteDatabase {
    private var handle: OpaquePointer?

    /// The version of the SQLite library linked in.
    public static var version: String { String(cString: sqlite3_libversion()) }

    public init(path: String) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(code)"
            sqlite3_close(handle)
            throw SQLiteError("SQLite: cannot open \(path): \(message)")
        }
    }

    /// Runs `sql` (any number of statements, results ignored).
    public func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    /// The first column of the first row of `sql`, as text.
    public func text(_ sql: String) throws -> String {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard try statement.step() else { throw SQLiteError("SQLite: \(sql) returned no row") }
        return statement.text(0)
    }

    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil), sql)
        guard let statement else { throw SQLiteError("SQLite: empty statement \(sql)") }
        return SQLiteStatement(statement, database: self)
    }

    public func check(_ code: Int32, _ context: String) throws {
        guard code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW else {
            throw SQLiteError("SQLite: \(context): \(String(cString: sqlite3_errmsg(handle))) (code \(code))")
        }
    }

    /// Closes the connection; the last one checkpoints the WAL into the database file.
    public func close() throws {
        try check(sqlite3_close(handle), "close")
        handle = nil
    }
}

/// A prepared statement of a `SQLiteDatabase`.
public final class SQLiteStatement {
    private let handle: OpaquePointer
    private let database: SQLiteDatabase

    init(_ handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    public func bind(_ value: Int64, at index: Int32) throws {
        try database.check(sqlite3_bind_int64(handle, index, value), "bind")
    }

    public func bind(_ value: Double, at index: Int32) throws {
        try database.check(sqlite3_bind_double(handle, index, value), "bind")
    }

    /// Binds `value` copied by SQLite (SQLITE_TRANSIENT), so the Swift string may go away.
    public func bind(_ value: String, at index: Int32) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        try database.check(sqlite3_bind_text(handle, index, value, -1, transient), "bind")
    }

    /// Advances to the next row; false when the statement is done.
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        try database.check(code, "step")
        return code == SQLITE_ROW
    }

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// Bytes of the text in `column`, read without building a Swift string.
    public func textByteCount(_ column: Int32) -> Int {
        _ = sqlite3_column_text(handle, column)
        return Int(sqlite3_column_bytes(handle, column))
    }

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func columnType(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }

    public func text(_ column: Int32) -> String {
        sqlite3_column_text(handle, column).map { String(cString: $0) } ?? ""
    }

    /// Makes the statement ready to run again with new bindings.
    public func reset() throws { try database.check(sqlite3_reset(handle), "reset") }

    public func finalize() { sqlite3_finalize(handle) }
}
