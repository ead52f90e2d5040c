import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Every error code the engine has, reached through SQL where a statement can reach it.
@Suite("Error codes and SQLSTATEs")
struct ErrorCodeTests {
    static let setup = """
        CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL UNIQUE, n int, v vector(2), doc jsonb);
        CREATE TABLE u (id int PRIMARY KEY, name text);
        INSERT INTO t VALUES (1, 'a', 1, '[1,2]', '{"k": 1}'), (2, 'b', 2, NULL, NULL);
        INSERT INTO u VALUES (1, 'x');
        """

    static let cases: [(VireoError.Code, String, String)] = [
        (.syntaxError, "SELECT FROM WHERE", "42601"),
        (.undefinedTable, "SELECT * FROM nowhere", "42P01"),
        (.undefinedColumn, "SELECT nothing FROM t", "42703"),
        (.undefinedObject, "DROP INDEX no_such_index", "42704"),
        (.duplicateTable, "CREATE TABLE t (x int)", "42P07"),
        (.uniqueViolation, "INSERT INTO t VALUES (3, 'a', 0, NULL, NULL)", "23505"),
        (.notNullViolation, "INSERT INTO t (id) VALUES (4)", "23502"),
        (.typeMismatch, "INSERT INTO t (id, name, n) VALUES (5, 'e', true)", "42804"),
        (.cannotCoerce, "SELECT 'x'::bytea::vector", "42846"),
        (.invalidParameter, "SET hnsw.ef_search = 5000", "22023"),
        (.dataException, "SELECT '[1,2,3]'::vector(2)", "22000"),
        (.invalidTextRepresentation, "SELECT '[1,2'::vector", "22P02"),
        (.divisionByZero, "SELECT n / 0 FROM t", "22012"),
        (.featureNotSupported, "SELECT count(DISTINCT id) OVER () FROM t", "0A000"),
        (.limitExceeded, "SELECT ('[' || repeat('1,', 16000) || '1]')::vector", "54000"),
        (.cardinalityViolation, "SELECT (SELECT id FROM t)", "21000"),
        (.undefinedFunction, "SELECT no_such_function(1)", "42883"),
        (.ambiguousColumn, "SELECT id FROM t, u", "42702"),
        (.groupingError, "SELECT name, count(*) FROM t", "42803"),
        (.numericOutOfRange, "SELECT abs(-9223372036854775807 - 1)", "22003"),
        (.invalidColumnReference, "SELECT id FROM t ORDER BY 5", "42P10"),
        (.substringError, "SELECT substr('abc', 1, -1)", "22011"),
        (.invalidRowCount, "SELECT id FROM t LIMIT -1", "2201W"),
        (.invalidOffsetCount, "SELECT id FROM t OFFSET -1", "2201X"),
        (.invalidRecursion, "WITH RECURSIVE r(n) AS (SELECT n FROM r UNION ALL SELECT 1) SELECT * FROM r", "42P19"),
        (.duplicateAlias, "WITH a AS (SELECT 1), a AS (SELECT 2) SELECT 1", "42712"),
        (.windowingError, "SELECT id FROM t WHERE row_number() OVER () = 1", "42P20"),
        (.invalidNtileArgument, "SELECT ntile(0) OVER () FROM t", "22014"),
        (.invalidNthValueArgument, "SELECT nth_value(id, 0) OVER () FROM t", "22016"),
        (.invalidFrameOffset, "SELECT sum(id) OVER (ORDER BY id ROWS -1 PRECEDING) FROM t", "22013"),
        (.wrongObjectType, "SELECT lower(name) OVER () FROM t", "42809"),
        (.stringDataRightTruncation, "CREATE TABLE short (v varchar(2)); INSERT INTO short VALUES ('abc')", "22001"),
        (.invalidDatetimeFormat, "SELECT 'soon'::timestamp", "22007"),
        (.datetimeFieldOverflow, "SELECT '2024-02-30'::timestamp", "22008"),
    ]

    @Test("each statement fails with its code and SQLSTATE", arguments: cases.indices)
    func statementError(index: Int) throws {
        let (code, sql, sqlState) = Self.cases[index]
        let db = try Database.inMemory()
        try db.execute(Self.setup)
        let error = sqlError(db, sql)
        #expect(error?.code == code && error?.sqlState == sqlState, "\(sql): expected \(code) (\(sqlState)), got \(String(describing: error))")
    }

    @Test("an aborted transaction gives in_failed_sql_transaction (25P02) until it ends")
    func transactionState() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("BEGIN")
        _ = try? session.execute("SELECT * FROM nowhere")
        do {
            try session.execute("SELECT 1")
            Issue.record("expected the aborted block to refuse statements")
        } catch let error as VireoError {
            #expect(error.code == .inFailedTransaction && error.sqlState == "25P02")
        }
    }

    @Test("storage failures reach SQL as io_error, disk_full, read_only and corruption")
    func storageErrors() throws {
        let backend = SimulatedBackend(seed: 9)
        let options = StorageOptions(backend: backend)
        var db = try Database.open(path: "/sim/errors.vireo", options: options)
        try db.execute(Self.setup)
        backend.faults.failWrite(number: 1, errno: ENOSPC)
        #expect(sqlError(db, "INSERT INTO u VALUES (2, 'y')")?.code == .diskFull)
        #expect(sqlError(db, "INSERT INTO u VALUES (3, 'z')")?.code == .readOnly, "writes are refused after a failed write")
        #expect(try rows(db, "SELECT count(*) FROM u") == [["1"]], "reads still work")
        backend.faults.clear()
        backend.crash()
        db = try Database.open(path: "/sim/errors.vireo", options: options)
        backend.faults.failSync(number: 1)
        #expect(sqlError(db, "INSERT INTO u VALUES (4, 'w')")?.code == .ioError)
        backend.faults.clear()
        backend.crash()
        db = try Database.open(path: "/sim/errors.vireo", options: options)
        try db.store.checkpoint()
        let table = try db.store.catalog.table("u")
        let pageSize = StorageFormat.pageSizeBytes
        try db.close()
        backend.faults.corruptReads(path: "/sim/errors.vireo", byteRange: (Int(table.root) * pageSize + 50)..<(Int(table.root) * pageSize + 60))
        db = try Database.open(path: "/sim/errors.vireo", options: options)
        #expect(sqlError(db, "SELECT * FROM u")?.code == .corruption)
        try? db.close()
        #expect(sqlError(db, "SELECT 1 FROM u")?.code == .transactionState, "a closed database refuses statements")
    }
}
