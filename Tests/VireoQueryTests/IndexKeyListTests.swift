import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// `key IN (…)` and `key = ANY (array)` on a B+tree index key, leading or after equalities,
/// read as one range per listed value; answers always those of a scan without the index.
@Suite("IN lists and = ANY through B+tree indexes")
struct IndexKeyListTests {
    static func populated() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id int PRIMARY KEY, a int, b int, c text);
            CREATE INDEX t_abc ON t (a, b, c);
            INSERT INTO t SELECT g, g % 10, (g * 7) % 23, 'c' || (g % 3) FROM generate_series(1, 400) g
            """)
        return db
    }

    static let cases: [(sql: String, brute: String, parameters: [Value])] = [
        ("SELECT id FROM t WHERE a IN (3, 7, 7, NULL) ORDER BY id", "SELECT id FROM t WHERE a + 0 IN (3, 7) ORDER BY id", []),
        ("SELECT id FROM t WHERE a IN (1, 2) AND b = 5 ORDER BY id", "SELECT id FROM t WHERE a + 0 IN (1, 2) AND b + 0 = 5 ORDER BY id", []),
        ("SELECT id FROM t WHERE a = 4 AND b IN (1, 9, 22) ORDER BY id", "SELECT id FROM t WHERE a + 0 = 4 AND b + 0 IN (1, 9, 22) ORDER BY id", []),
        ("SELECT id FROM t WHERE a = 4 AND b IN (1, 9, 22) AND c > 'c0' ORDER BY id",
         "SELECT id FROM t WHERE a + 0 = 4 AND b + 0 IN (1, 9, 22) AND c || '' > 'c0' ORDER BY id", []),
        ("SELECT id FROM t WHERE a = ANY($1) ORDER BY id", "SELECT id FROM t WHERE a + 0 = ANY($1) ORDER BY id",
         [.array([.int(2), .int(5), .null])]),
        ("SELECT id FROM t WHERE a = 6 AND b = ANY($1) ORDER BY id", "SELECT id FROM t WHERE a + 0 = 6 AND b + 0 = ANY($1) ORDER BY id",
         [.array([.int(3), .int(4), .int(3)])]),
        ("SELECT id FROM t WHERE a IN (1.0, 1) ORDER BY id", "SELECT id FROM t WHERE a + 0 IN (1) ORDER BY id", []),
        ("SELECT id FROM t WHERE a = ANY($1) ORDER BY id", "SELECT id FROM t WHERE false", [.array([])]),
    ]

    @Test("the index reads one range per listed value, and the rows are the scan's")
    func keyLists() throws {
        let db = try Self.populated()
        for (sql, brute, parameters) in Self.cases {
            let plan = try rows(db, "EXPLAIN " + sql, parameters).map { $0[0] }.joined(separator: "\n")
            #expect(plan.contains("Index Scan using t_abc"), "\(sql):\n\(plan)")
            #expect(plan.contains("= ANY (values)"), "\(sql):\n\(plan)")
            #expect(try rows(db, sql, parameters) == rows(db, brute, parameters), "\(sql)")
        }
    }

    @Test("a list after a key with no condition cannot use the index")
    func gap() throws {
        let db = try Self.populated()
        let plan = try rows(db, "EXPLAIN SELECT id FROM t WHERE b IN (1, 2)").map { $0[0] }.joined(separator: "\n")
        #expect(!plan.contains("Index Scan"), "\(plan)")
    }
}
