import Testing
@testable import VireoQuery
import VireoStorage

@Suite("Planner: primary-key ranges read only their rows")
struct PrimaryKeyRangeTests {
    /// A table whose keys have gaps and reach both ends of bigint, so that bounds between,
    /// on and beyond keys, and at the ends of the type, are all tried.
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text, g int); CREATE INDEX t_g ON t (g)")
        let keys: [Int64] = [.min, -5, -1, 0, 1, 2, 3, 5, 8, 13, 21, 34, 55, .max]
        for (offset, key) in keys.enumerated() {
            try db.execute("INSERT INTO t VALUES ($1, $2, $3)", [.int(key), .text("row \(key)"), .int(Int64(offset % 3))])
        }
        return db
    }

    private func plan(_ db: Database, _ sql: String, _ parameters: [Value] = []) throws -> String {
        try rows(db, "EXPLAIN " + sql, parameters).map { $0[0] }.joined(separator: "\n")
    }

    @Test("every comparison and BETWEEN on the key gives the rows a full scan gives, at every bound")
    func rangesAgreeWithFullScan() throws {
        let db = try database()
        let bounds: [Value] = [.int(.min), .int(-6), .int(-1), .int(0), .int(4), .int(5), .int(55), .int(.max), .double(2.5), .null]
        for op in ["<", "<=", ">", ">="] {
            for bound in bounds {
                let ranged = try rows(db, "SELECT id FROM t WHERE id \(op) $1 ORDER BY id", [bound])
                let scanned = try rows(db, "SELECT id FROM t WHERE id + 0 \(op) $1 ORDER BY id", [bound])
                #expect(ranged == scanned, "id \(op) \(bound)")
            }
        }
        for low in bounds {
            for high in bounds {
                let ranged = try rows(db, "SELECT id FROM t WHERE id BETWEEN $1 AND $2 ORDER BY id", [low, high])
                let scanned = try rows(db, "SELECT id FROM t WHERE id + 0 BETWEEN $1 AND $2 ORDER BY id", [low, high])
                #expect(ranged == scanned, "BETWEEN \(low) AND \(high)")
            }
        }
    }

    @Test("a range on the key is planned as a key range scan, in joins too; an index equality still wins")
    func planned() throws {
        let db = try database()
        #expect(try plan(db, "SELECT v FROM t WHERE id BETWEEN $1 AND $2", [.int(1), .int(5)]).contains("Primary Key Range Scan on t"))
        #expect(try plan(db, "SELECT v FROM t WHERE id > 3").contains("Primary Key Range Scan on t"))
        let join = "SELECT a.id, b.v FROM t a JOIN t b ON b.id = a.g WHERE a.id BETWEEN 1 AND 8 ORDER BY 1"
        #expect(try plan(db, join).contains("Primary Key Range Scan on t"))
        #expect(try rows(db, join) == [["1", "row 1"], ["2", "row 2"], ["3", "row 0"], ["5", "row 1"], ["8", "row 2"]])
        #expect(try plan(db, "SELECT v FROM t WHERE id > 3 AND g = 1").contains("Index Scan using t_g"))
        #expect(try rows(db, "SELECT id FROM t WHERE id > 3 AND g = 1 ORDER BY id") == [["5"], ["21"], ["9223372036854775807"]])
        #expect(try plan(db, "SELECT v FROM t WHERE id + 1 > 3").contains("Seq Scan on t"))
    }

    @Test("plain columns projected straight from a scan: the key, columns added after the row was written, a filter left to check")
    func projectionOverScan() throws {
        let db = try database()
        try db.execute("ALTER TABLE t ADD COLUMN extra int")
        try db.execute("INSERT INTO t VALUES (4, 'row 4', 1, 7)")
        #expect(try rows(db, "SELECT extra, id, v FROM t WHERE id BETWEEN 3 AND 5") ==
                [["NULL", "3", "row 3"], ["7", "4", "row 4"], ["NULL", "5", "row 5"]])
        #expect(try rows(db, "SELECT id FROM t WHERE id BETWEEN $1 AND 5", [.double(2.5)]) == [["3"], ["4"], ["5"]])
        #expect(try rows(db, "SELECT g, id FROM t WHERE id < 3 AND v <> 'row 1'") ==
                [["0", "-9223372036854775808"], ["1", "-5"], ["2", "-1"], ["0", "0"], ["2", "2"]])
    }

    @Test("a transaction's range scan sees its own inserts and deletes, and UPDATE/DELETE by range change just those rows")
    func rangesInTransactions() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO t VALUES (4, 'new', 0); DELETE FROM t WHERE id = 3")
        #expect(try session.execute("SELECT id FROM t WHERE id BETWEEN 2 AND 5 ORDER BY id").rows == [[.int(2)], [.int(4)], [.int(5)]])
        try session.execute("ROLLBACK")
        try db.execute("UPDATE t SET v = 'changed' WHERE id > 13 AND id < 55")
        #expect(try rows(db, "SELECT id FROM t WHERE v = 'changed'") == [["21"], ["34"]])
        try db.execute("DELETE FROM t WHERE id >= 34")
        #expect(try rows(db, "SELECT max(id) FROM t") == [["21"]])
    }
}
