import BenchSQLite
import CSQLite
import VireoQuery
import VireoStorage

/// A parameter value of the workload, bound natively by each system.
enum BenchParameter {
    case int(Int64)
    case double(Double)
    case text(String)
}

/// What a statement returned, reduced so that two systems can be compared: the rows, and
/// the sums of their integer, floating-point and text-length columns. Reading every value
/// into it makes both systems produce the whole result, not just step over it.
struct Checksum: Equatable, CustomStringConvertible {
    var rows = 0
    var integers: Int64 = 0
    var doubles: Double = 0
    var textBytes = 0

    static func + (left: Checksum, right: Checksum) -> Checksum {
        Checksum(rows: left.rows + right.rows, integers: left.integers &+ right.integers,
                 doubles: left.doubles + right.doubles, textBytes: left.textBytes + right.textBytes)
    }

    var description: String { "\(rows) rows, Σint \(integers), Σdouble \(doubles), \(textBytes) text bytes" }
}

/// One database under test, opened on one connection (SQLite) or one session (Vireo).
protocol SQLSubject: AnyObject {
    /// Runs every statement of `sql` as one call of the system's script API.
    func run(_ sql: String) throws
    /// Parses `sql` once for repeated runs.
    func prepare(_ sql: String) throws -> any PreparedSQL
    /// Closes the database, leaving its files checkpointed.
    func close() throws
}

/// A statement prepared by a `SQLSubject`.
protocol PreparedSQL {
    func run(_ parameters: [BenchParameter]) throws -> Checksum
}

/// Vireo through its embedded API: `Database.open`, one `Session`, statements parsed once
/// and planned once (a `PlanCache`), as a client's prepared statement is.
final class VireoSQLSubject: SQLSubject {
    private let database: Database
    private let session: Session

    init(path: String) throws {
        database = try Database.open(path: path)
        session = database.session()
    }

    func run(_ sql: String) throws { try session.execute(sql) }

    func prepare(_ sql: String) throws -> any PreparedSQL {
        VireoPrepared(session: session, statement: try Parser.parseStatement(sql))
    }

    func close() throws { try database.close() }
}

struct VireoPrepared: PreparedSQL {
    let session: Session
    let statement: Statement
    let planCache = PlanCache()

    func run(_ parameters: [BenchParameter]) throws -> Checksum {
        let values: [Value] = parameters.map {
            switch $0 {
            case .int(let value): .int(value)
            case .double(let value): .double(value)
            case .text(let value): .text(value)
            }
        }
        // Rows streamed as SQLite's sqlite3_step hands them out, none collected.
        var checksum = Checksum(rows: 0)
        try session.execute(statement, values, planCache: planCache) { row in
            checksum.rows += 1
            for value in row {
                switch value {
                case .int(let value): checksum.integers &+= value
                case .double(let value): checksum.doubles += value
                case .text(let value): checksum.textBytes += value.utf8.count
                default: break
                }
            }
        }
        return checksum
    }
}

/// SQLite through its C API, with the durability of Vireo's commits: WAL journal and
/// synchronous=FULL (the WAL is fsynced at every commit). Page size, page cache and
/// checkpoint threshold are set to Vireo's (8 KiB, 256 MiB, 64 MiB of WAL).
final class SQLiteSQLSubject: SQLSubject {
    private let database: SQLiteDatabase

    init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA page_size=\(StorageFormat.pageSizeBytes)")
        guard try database.text("PRAGMA journal_mode=WAL") == "wal" else { throw SQLiteError("SQLite refused WAL mode") }
        let options = StorageOptions()
        try database.execute("""
            PRAGMA synchronous=FULL;
            PRAGMA cache_size=-\(options.bufferPoolBytes >> 10);
            PRAGMA wal_autocheckpoint=\(options.walCheckpointBytes / StorageFormat.pageSizeBytes);
            """)
        guard try database.text("PRAGMA synchronous") == "2" else { throw SQLiteError("SQLite refused synchronous=FULL") }
    }

    func run(_ sql: String) throws { try database.execute(sql) }

    func prepare(_ sql: String) throws -> any PreparedSQL { SQLitePrepared(statement: try database.prepare(sql)) }

    func close() throws { try database.close() }
}

/// Finalized when the phase that prepared it lets it go, so that the connection can close.
final class SQLitePrepared: PreparedSQL {
    let statement: SQLiteStatement

    init(statement: SQLiteStatement) { self.statement = statement }

    deinit { statement.finalize() }

    func run(_ parameters: [BenchParameter]) throws -> Checksum {
        for (offset, parameter) in parameters.enumerated() {
            switch parameter {
            case .int(let value): try statement.bind(value, at: Int32(offset + 1))
            case .double(let value): try statement.bind(value, at: Int32(offset + 1))
            case .text(let value): try statement.bind(value, at: Int32(offset + 1))
            }
        }
        var checksum = Checksum()
        while try statement.step() {
            checksum.rows += 1
            for column in 0..<statement.columnCount { add(column, to: &checksum) }
        }
        try statement.reset()
        return checksum
    }

    private func add(_ column: Int32, to checksum: inout Checksum) {
        switch statement.columnType(column) {
        case SQLITE_INTEGER: checksum.integers &+= statement.int64(column)
        case SQLITE_FLOAT: checksum.doubles += statement.double(column)
        case SQLITE_TEXT: checksum.textBytes += statement.textByteCount(column)
        default: break
        }
    }
}
