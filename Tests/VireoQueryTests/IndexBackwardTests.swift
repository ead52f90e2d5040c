import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// ORDER BY … DESC through a B+tree index read backwards (the exact reverse of its key
/// order), with no Sort in the plan; NULLs placed where PostgreSQL puts them (first for
/// DESC unless NULLS LAST); the answer always the one a sort of a full scan gives.
@Suite("index scans backward for ORDER BY DESC")
struct IndexBackwardTests {
    static func populated() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id int PRIMARY KEY, a int, b int NOT NULL, c int);
            CREATE INDEX t_b ON t (b);
            CREATE INDEX t_c ON t (c);
            CREATE INDEX t_ab ON t (a, b);
            INSERT INTO t SELECT g, g % 5, (g * 37) % 101, CASE WHEN g % 7 = 0 THEN NULL ELSE (g * 13) % 50 END
              FROM generate_series(1, 300) g
            """)
        return db
    }

    /// Each query through the index, the same with the key hidden from the planner (`+ 0`)
    /// so that a sort gives the order, and whether the index must give the order.
    static let cases: [(sql: String, brute: String, backward: Bool)] = [
        ("SELECT id, b FROM t ORDER BY b DESC LIMIT 7", "SELECT id, b FROM t ORDER BY b + 0 DESC, id DESC LIMIT 7", true),
        ("SELECT id, b FROM t WHERE b < 40 ORDER BY b DESC LIMIT 5", "SELECT id, b FROM t WHERE b + 0 < 40 ORDER BY b + 0 DESC, id DESC LIMIT 5", true),
        ("SELECT c FROM t ORDER BY c DESC LIMIT 50", "SELECT c FROM t ORDER BY c + 0 DESC LIMIT 50", true),
        ("SELECT c FROM t ORDER BY c DESC NULLS LAST LIMIT 300", "SELECT c FROM t ORDER BY c + 0 DESC NULLS LAST LIMIT 300", true),
        ("SELECT c FROM t ORDER BY c NULLS FIRST LIMIT 60", "SELECT c FROM t ORDER BY c + 0 NULLS FIRST LIMIT 60", false),
        ("SELECT a, b FROM t WHERE a = 3 ORDER BY b DESC", "SELECT a, b FROM t WHERE a + 0 = 3 ORDER BY b + 0 DESC", true),
        ("SELECT a, b FROM t ORDER BY a DESC, b DESC LIMIT 20", "SELECT a, b FROM t ORDER BY a + 0 DESC, b + 0 DESC LIMIT 20", true),
        ("SELECT a, b FROM t WHERE a > 1 ORDER BY a DESC, b DESC LIMIT 9", "SELECT a, b FROM t WHERE a + 0 > 1 ORDER BY a + 0 DESC, b + 0 DESC LIMIT 9", true),
    ]

    @Test("ORDER BY DESC reads the index backwards with no Sort, and matches a sorted scan")
    func backward() throws {
        let db = try Self.populated()
        for (sql, brute, backward) in Self.cases {
            let plan = try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
            #expect(!plan.contains("Sort"), "\(sql):\n\(plan)")
            #expect(plan.contains("Index Scan Backward using") == backward, "\(sql):\n\(plan)")
            #expect(try rows(db, sql) == rows(db, brute), "\(sql)")
        }
    }

    @Test("mixed directions the index cannot give in either direction are sorted")
    func mixedDirections() throws {
        let db = try Self.populated()
        for sql in ["SELECT a, b FROM t ORDER BY a, b DESC LIMIT 10", "SELECT a, b FROM t ORDER BY a DESC, b LIMIT 10"] {
            let plan = try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
            #expect(plan.contains("Sort"), "\(sql):\n\(plan)")
            let brute = sql.replacingOccurrences(of: "ORDER BY a", with: "ORDER BY a + 0").replacingOccurrences(of: ", b", with: ", b + 0")
            #expect(try rows(db, sql) == rows(db, brute), "\(sql)")
        }
    }

    @Test("a backward scan inside a transaction sees its own uncommitted rows")
    func transaction() throws {
        let db = try Self.populated()
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO t VALUES (1000, 0, 500, NULL), (1001, 0, -1, 99)")
        let top = try session.execute("SELECT id FROM t ORDER BY b DESC LIMIT 1").rows.map { $0[0].text ?? "NULL" }
        #expect(top == ["1000"])
        let c = try session.execute("SELECT c FROM t ORDER BY c DESC LIMIT 1").rows.map { $0[0].text ?? "NULL" }
        #expect(c == ["NULL"], "DESC puts NULLs first, as PostgreSQL")
        try session.execute("ROLLBACK")
    }
}
