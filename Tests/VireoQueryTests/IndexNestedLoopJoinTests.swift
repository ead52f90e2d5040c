import Testing
@testable import VireoQuery
import VireoStorage

@Suite("Planner: index nested-loop joins probe the inner table by key")
struct IndexNestedLoopJoinTests {
    /// `a` (the outer side) with integer, double, text and NULL join keys; `b` (the inner
    /// side) keyed by its primary key and by a non-unique index on `x`, with gaps.
    private func database(seed: UInt64) throws -> Database {
        var random = SplitMix64(seed: seed)
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id bigint PRIMARY KEY, k int, kd double precision, kn numeric);
            CREATE TABLE b (id bigint PRIMARY KEY, x int, label text);
            CREATE INDEX b_x ON b (x);
            """)
        for id in 1...60 {
            let key: Value = Int.random(in: 0..<8, using: &random) == 0 ? .null : .int(Int64.random(in: -3...40, using: &random))
            let half = Double(Int.random(in: -4...80, using: &random)) / 2
            try db.execute("INSERT INTO a VALUES ($1, $2, $3, $4)",
                           [.int(Int64(id)), key, .double(half), .text(String(half))])
        }
        for id in 0...40 where Int.random(in: 0..<4, using: &random) != 0 {
            let x: Value = Int.random(in: 0..<6, using: &random) == 0 ? .null : .int(Int64.random(in: 0...12, using: &random))
            try db.execute("INSERT INTO b VALUES ($1, $2, $3)", [.int(Int64(id)), x, .text("label \(id)")])
        }
        return db
    }

    private func plan(_ db: Database, _ sql: String, _ parameters: [Value] = []) throws -> String {
        try rows(db, "EXPLAIN " + sql, parameters).map { $0[0] }.joined(separator: "\n")
    }

    /// Joins whose inner key is a plain column (probed) beside the same join on `key + 0`,
    /// which no probe can use (hashed): every kind, key type and NULL key must agree.
    private let joins: [(probed: String, hashed: String)] = [
        ("JOIN b ON b.id = a.k", "JOIN b ON b.id + 0 = a.k"),
        ("LEFT JOIN b ON b.id = a.k", "LEFT JOIN b ON b.id + 0 = a.k"),
        ("JOIN b ON b.id = a.kd", "JOIN b ON b.id + 0 = a.kd"),
        ("LEFT JOIN b ON b.id = a.kd", "LEFT JOIN b ON b.id + 0 = a.kd"),
        ("JOIN b ON b.id = a.kn", "JOIN b ON b.id + 0 = a.kn"),
        ("JOIN b ON b.x = a.k", "JOIN b ON b.x + 0 = a.k"),
        ("LEFT JOIN b ON b.x = a.k AND b.label <> 'label 3'", "LEFT JOIN b ON b.x + 0 = a.k AND b.label <> 'label 3'"),
        ("JOIN b ON b.x = a.kd", "JOIN b ON b.x + 0 = a.kd"),
        ("JOIN b ON a.k = b.id AND b.x = a.k", "JOIN b ON a.k = b.id + 0 AND b.x + 0 = a.k"),
    ]

    @Test("on random data, every probed join gives the rows the hash join gives")
    func probedJoinsAgreeWithHashJoins() throws {
        for seed: UInt64 in [1, 2, 3, 17, 42] {
            let db = try database(seed: seed)
            var random = SplitMix64(seed: seed &* 31)
            for (probed, hashed) in joins {
                for _ in 0..<6 {
                    let low = Int64.random(in: -2...50, using: &random), high = low + Int64.random(in: -1...25, using: &random)
                    let query = { (join: String) in
                        "SELECT a.id, a.k, b.id, b.label FROM a \(join) WHERE a.id BETWEEN $1 AND $2 ORDER BY 1, 3"
                    }
                    let probedPlan = try plan(db, query(probed), [.int(low), .int(high)])
                    #expect(probedPlan.contains("Nested Loop") && !probedPlan.contains("Hash"), "seed \(seed): \(probedPlan)")
                    #expect(try plan(db, query(hashed), [.int(low), .int(high)]).contains("Hash"), "seed \(seed)")
                    let expected = try rows(db, query(hashed), [.int(low), .int(high)])
                    let got = try rows(db, query(probed), [.int(low), .int(high)])
                    #expect(got == expected, "seed \(seed), \(probed), ids \(low)...\(high): expected \(expected), got \(got)")
                }
            }
        }
    }

    @Test("EXPLAIN shows a nested loop probing the primary key or the index; an unbounded outer side is hashed")
    func explained() throws {
        let db = try database(seed: 7)
        let byKey = try plan(db, "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 10")
        #expect(byKey.contains("Nested Loop\n"), "\(byKey)")
        #expect(byKey.contains("->  Primary Key Range Scan on a"), "\(byKey)")
        #expect(byKey.contains("->  Primary Key Lookup on b"), "\(byKey)")
        #expect(byKey.contains("Reason: join key id = outer row's value"), "\(byKey)")
        let byIndex = try plan(db, "SELECT a.id, b.label FROM a LEFT JOIN b ON b.x = a.k WHERE a.id = 3")
        #expect(byIndex.contains("Nested Loop Left Join\n"), "\(byIndex)")
        #expect(byIndex.contains("->  Index Scan using b_x on b"), "\(byIndex)")
        let limited = try plan(db, "SELECT s.id, b.label FROM (SELECT id, k FROM a LIMIT 5) s JOIN b ON b.id = s.k")
        #expect(limited.contains("Primary Key Lookup on b"), "a LIMIT bounds the outer side: \(limited)")
        #expect(try plan(db, "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k").contains("Hash Join"))
        #expect(try plan(db, "SELECT a.id, b.label FROM a RIGHT JOIN b ON b.id = a.k WHERE a.id = 3").contains("Hash"))
    }

    @Test("ANALYZE's estimates decide: an outer side of many rows against a small inner table is hashed")
    func estimatesDecide() throws {
        let db = try database(seed: 9)
        try db.execute("ANALYZE")
        #expect(try plan(db, "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 60").contains("Hash"))
        #expect(try plan(db, "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 2").contains("Primary Key Lookup on b"))
    }

    @Test("a WHERE clause on the inner table still filters probed rows, and a prepared query re-probes with new parameters")
    func innerFilterAndParameters() throws {
        let db = try database(seed: 11)
        let sql = "SELECT a.id, b.id FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2 AND b.label <> 'label 5' ORDER BY 1"
        let hashed = sql.replacingOccurrences(of: "b.id = a.k", with: "b.id + 0 = a.k")
        for (low, high) in [(1, 20), (21, 40), (41, 60)] {
            let parameters: [Value] = [.int(Int64(low)), .int(Int64(high))]
            #expect(try rows(db, sql, parameters) == rows(db, hashed, parameters))
        }
    }
}
