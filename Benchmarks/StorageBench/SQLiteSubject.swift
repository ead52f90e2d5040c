import BenchSQLite

/// SQLite through its C library, configured as the issue asks: WAL journal, synchronous=FULL,
/// prepared statements. Page size, cache and checkpoint threshold match Vireo's.
final class SQLiteSubject: StorageSubject {
    private let database: SQLiteDatabase
    private let insertStatement: SQLiteStatement
    private let lookupStatement: SQLiteStatement
    private let scanStatement: SQLiteStatement

    /// Creates the database at `path` with `pageSizeBytes` pages, a cache of `cacheBytes`
    /// and an automatic checkpoint once the WAL holds `walCheckpointBytes`.
    init(path: String, pageSizeBytes: Int, cacheBytes: Int, walCheckpointBytes: Int) throws {
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA page_size=\(pageSizeBytes)")
        guard try database.text("PRAGMA journal_mode=WAL") == "wal" else { throw BenchError("SQLite refused WAL mode") }
        try database.execute("""
            PRAGMA synchronous=FULL;
            PRAGMA cache_size=-\(cacheBytes >> 10);
            PRAGMA wal_autocheckpoint=\(walCheckpointBytes / pageSizeBytes);
            CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL);
            """)
        guard try database.text("PRAGMA synchronous") == "2" else { throw BenchError("SQLite refused synchronous=FULL") }
        insertStatement = try database.prepare("INSERT INTO t(id, a, b, c) VALUES (?, ?, ?, ?)")
        lookupStatement = try database.prepare("SELECT a FROM t WHERE id = ?")
        scanStatement = try database.prepare("SELECT a FROM t ORDER BY id")
    }

    func insert(_ rows: ArraySlice<BenchRow>) throws {
        try database.execute("BEGIN")
        do {
            for row in rows { try insertOne(row) }
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    private func insertOne(_ row: BenchRow) throws {
        try insertStatement.bind(row.id, at: 1)
        try insertStatement.bind(row.a, at: 2)
        try insertStatement.bind(row.b, at: 3)
        try insertStatement.bind(row.c, at: 4)
        _ = try insertStatement.step()
        try insertStatement.reset()
    }

    /// Each SELECT outside BEGIN runs in its own implicit read transaction.
    func lookupEach(_ ids: [Int64]) throws -> Int64 {
        var sum: Int64 = 0
        for id in ids { sum &+= try lookup(id) }
        return sum
    }

    func lookupAllInOneRead(_ ids: [Int64]) throws -> Int64 {
        try database.execute("BEGIN")
        defer { try? database.execute("COMMIT") }
        return try lookupEach(ids)
    }

    private func lookup(_ id: Int64) throws -> Int64 {
        try lookupStatement.bind(id, at: 1)
        defer { try? lookupStatement.reset() }
        guard try lookupStatement.step() else { throw BenchError("SQLite: row \(id) not found") }
        return lookupStatement.int64(0)
    }

    func scan() throws -> (rowCount: Int, sum: Int64) {
        var result = (rowCount: 0, sum: Int64(0))
        defer { try? scanStatement.reset() }
        while try scanStatement.step() {
            result.rowCount += 1
            result.sum &+= scanStatement.int64(0)
        }
        return result
    }

    func close() throws {
        insertStatement.finalize()
        lookupStatement.finalize()
        scanStatement.finalize()
        try database.close()
    }
}
