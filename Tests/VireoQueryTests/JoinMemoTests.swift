import Testing
@testable import VireoQuery
import VireoStorage

/// An index nested-loop join keeps the rows each probe found per key for one execution
/// when ANALYZE says the outer keys repeat (JoinMemo, ProbeMemo, RowIDMemo: PostgreSQL's
/// Memoize). These compare its answers with the same joins run as hash joins and with
/// `enable_memoize` off, on random outer keys that repeat, are NULL, name no row, or are
/// all distinct, with LEFT joins, expressions, filtered and wide inner rows.
@Suite("Executor: a join's memo of its probes gives the rows of the plain join")
struct JoinMemoTests {
    /// `a` (outer, 300 rows): `k` one of 12 values or NULL, `kd` the same as a double (and
    /// some halves), `u` distinct; `b` (inner, 400 rows) keyed by its primary key and by a
    /// non-unique index on `x`, with gaps, NULL labels and labels in overflow pages.
    private func database(seed: UInt64) throws -> Database {
        var random = SplitMix64(seed: seed)
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id bigint PRIMARY KEY, k int, kd double precision, u bigint);
            CREATE TABLE b (id bigint PRIMARY KEY, x int, label text, n int);
            CREATE INDEX b_x ON b (x);
            """)
        for id in 1...300 {
            let choice = Int.random(in: 0..<20, using: &random)
            let number: Int64? = choice == 0 ? nil : choice == 1 ? 900 : Int64.random(in: 0..<12, using: &random) * 3
            let key: Value = number.map { .int($0) } ?? .null
            let double: Value = choice == 2 ? .double(4.5) : number.map { .double(Double($0)) } ?? .null
            try db.execute("INSERT INTO a VALUES ($1, $2, $3, $4)", [.int(Int64(id)), key, double, .int(Int64(id) * 7 % 400)])
        }
        for id in 0..<400 where Int.random(in: 0..<10, using: &random) != 0 {
            let x: Value = Int.random(in: 0..<8, using: &random) == 0 ? .null : .int(Int64.random(in: 0...40, using: &random))
            let label: Value = id % 9 == 0 ? .null : id % 10 == 3 ? .text(String(repeating: "é", count: 5000) + "\(id)") : .text("label \(id)")
            try db.execute("INSERT INTO b VALUES ($1, $2, $3, $4)", [.int(Int64(id)), x, label, .int(Int64(id % 5))])
        }
        try db.execute("ANALYZE")
        return db
    }

    private func plan(_ db: Database, _ sql: String, _ parameters: [Value] = []) throws -> String {
        try rows(db, "EXPLAIN " + sql, parameters).map { $0[0] }.joined(separator: "\n")
    }

    /// Joins on `a.k` or `a.kd`, whose values repeat (memoized), beside the same join that
    /// only a hash join can run (`+ 0` on the inner key).
    private let joins: [(probed: String, hashed: String)] = [
        ("JOIN b ON b.id = a.k", "JOIN b ON b.id + 0 = a.k"),
        ("LEFT JOIN b ON b.id = a.k", "LEFT JOIN b ON b.id + 0 = a.k"),
        ("JOIN b ON b.id = a.kd", "JOIN b ON b.id + 0 = a.kd"),
        ("LEFT JOIN b ON b.id = a.k AND b.n > 1", "LEFT JOIN b ON b.id + 0 = a.k AND b.n > 1"),
        ("JOIN b ON b.id = a.k + 1", "JOIN b ON b.id + 0 = a.k + 1"),
        ("JOIN b ON b.x = a.k", "JOIN b ON b.x + 0 = a.k"),
        ("LEFT JOIN b ON b.x = a.k AND b.label <> 'label 30'", "LEFT JOIN b ON b.x + 0 = a.k AND b.label <> 'label 30'"),
        ("JOIN b ON b.x = a.kd", "JOIN b ON b.x + 0 = a.kd"),
    ]

    @Test("on random keys that repeat, are NULL or name no row, memoized joins give the hash join's rows and those with enable_memoize off")
    func memoizedJoinsAgree() throws {
        for seed: UInt64 in [1, 5, 23] {
            let db = try database(seed: seed)
            var random = SplitMix64(seed: seed &* 977)
            for (probed, hashed) in joins {
                let query = { (join: String) in
                    "SELECT a.id, a.k, b.id, b.label, b.n FROM a \(join) WHERE a.id BETWEEN $1 AND $2 ORDER BY 1, 3"
                }
                let low = Int64.random(in: 1...60, using: &random)
                let parameters: [Value] = [.int(low), .int(low + 60)]
                let memoPlan = try plan(db, query(probed), parameters)
                #expect(memoPlan.contains("Memoize") && !memoPlan.contains("Hash"), "seed \(seed): \(memoPlan)")
                #expect(try plan(db, query(hashed), parameters).contains("Hash"), "seed \(seed)")
                let expected = try rows(db, query(hashed), parameters)
                let got = try rows(db, query(probed), parameters)
                #expect(got == expected, "seed \(seed), \(probed): expected \(expected.count) rows, got \(got.count)")
                try db.execute("SET enable_memoize = off")
                #expect(!(try plan(db, query(probed), parameters)).contains("Memoize"))
                #expect(try rows(db, query(probed), parameters) == expected, "seed \(seed), \(probed), enable_memoize off")
                try db.execute("RESET enable_memoize")
            }
        }
    }

    @Test("projected, aggregated and limited memoized joins give the plain join's rows, overflow labels whole")
    func memoizedShapes() throws {
        let db = try database(seed: 3)
        let queries = [
            "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80",
            "SELECT b.label, a.id, length(b.label) FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80",
            "SELECT b.id, count(*), max(length(b.label)) FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80 GROUP BY b.id",
            "SELECT * FROM a LEFT JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80",
            "SELECT a.id, b.label FROM a JOIN b ON b.x = a.k WHERE a.id BETWEEN 1 AND 80",
        ]
        for query in queries {
            #expect(try plan(db, query).contains("Memoize"), "\(query)")
            let got = try rows(db, query).sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
            try db.execute("SET enable_memoize = off")
            let expected = try rows(db, query).sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
            try db.execute("RESET enable_memoize")
            #expect(got == expected, "\(query)")
        }
        let long = try rows(db, "SELECT DISTINCT length(b.label) FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80 AND b.id % 10 = 3")
        #expect(long.allSatisfy { Int($0[0]).map { $0 > 5000 } ?? false }, "labels in overflow pages come whole from the memo: \(long)")
        let limited = try rows(db, "SELECT a.id, b.id FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80 ORDER BY a.id LIMIT 7")
        #expect(limited.count == 7)
    }

    @Test("EXPLAIN shows Memoize with its cache key above the probe; EXPLAIN ANALYZE counts hits and misses")
    func explained() throws {
        let db = try database(seed: 7)
        let sql = "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80"
        let lines = try plan(db, sql).split(separator: "\n").map(String.init)
        let memoize = try #require(lines.firstIndex { $0.hasSuffix("->  Memoize") }, "\(lines)")
        #expect(lines[memoize + 1].contains("Cache Key: a.k"), "\(lines)")
        #expect(lines[memoize + 2].contains("Cache Mode: logical"), "\(lines)")
        #expect(lines.dropFirst(memoize).contains { $0.contains("->  Primary Key Lookup on b") }, "\(lines)")
        let lookupIndent = lines.first { $0.contains("Primary Key Lookup on b") }!.prefix { $0 == " " }.count
        #expect(lookupIndent > lines[memoize].prefix { $0 == " " }.count, "the probe is under Memoize: \(lines)")
        let analyzed = try rows(db, "EXPLAIN ANALYZE " + sql).map { $0[0] }
        let counts = try #require(analyzed.first { $0.contains("Hits: ") }, "\(analyzed)")
        let numbers = counts.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        let outer = try rows(db, "SELECT count(*), count(DISTINCT k) + CASE WHEN count(*) > count(k) THEN 1 ELSE 0 END FROM a WHERE id BETWEEN 1 AND 80")[0]
        #expect(numbers[0] + numbers[1] == Int(outer[0]), "hits and misses add up to the outer rows with a key: \(counts) \(outer)")
        #expect(numbers[1] == Int(outer[1]) && numbers[0] > 0, "one miss per distinct key, NULL one of them: \(counts) \(outer)")
        let json = try rows(db, "EXPLAIN (FORMAT JSON) " + sql).map { $0[0] }.joined()
        #expect(json.contains("Memoize") && json.contains("Cache Key"), "\(json)")
    }

    @Test("a join whose outer keys are all distinct, or not analysed, has no memo")
    func notWhereKeysAreDistinct() throws {
        let db = try database(seed: 9)
        let distinct = try plan(db, "SELECT a.id, b.label FROM a JOIN b ON b.id = a.u WHERE a.id BETWEEN 1 AND 80")
        #expect(distinct.contains("Primary Key Lookup on b") && !distinct.contains("Memoize"), "\(distinct)")
        try db.execute("CREATE TABLE c (id bigint PRIMARY KEY, k int); INSERT INTO c SELECT g, g % 3 FROM generate_series(1, 50) g")
        let unanalysed = try plan(db, "SELECT c.id, b.label FROM c JOIN b ON b.id = c.k WHERE c.id BETWEEN 1 AND 50")
        #expect(unanalysed.contains("Primary Key Lookup on b") && !unanalysed.contains("Memoize"), "\(unanalysed)")
    }

    @Test("a memo past work_mem stops keeping rows and the join still gives every row")
    func boundedByWorkMemory() throws {
        let db = try database(seed: 13)
        // One result row and no sort: only the memo holds the long labels.
        let sql = "SELECT count(*), sum(length(b.label)), sum(a.id * b.id) FROM a JOIN b ON b.x = a.k WHERE a.id BETWEEN 1 AND 80"
        let expected = try rows(db, sql)
        try db.execute("SET work_mem = '64kB'")
        let analyzed = try rows(db, "EXPLAIN ANALYZE " + sql).map { $0[0] }
        #expect(try rows(db, sql) == expected)
        #expect(analyzed.contains { $0.contains("Overflows: ") && !$0.contains("Overflows: 0") }, "labels of 5,000 characters overflow 64kB: \(analyzed)")
        try db.execute("RESET work_mem")
    }

    @Test("a memoized join in a transaction sees the transaction's own inserts, updates and deletes of the probed rows")
    func memoSeesOwnWrites() throws {
        let session = try database(seed: 11).session()
        let probed = "SELECT a.id, b.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 80 ORDER BY 1"
        let hashed = "SELECT a.id, b.id, b.label FROM a JOIN b ON b.id + 0 = a.k WHERE a.id BETWEEN 1 AND 80 ORDER BY 1"
        _ = try session.execute("BEGIN")
        _ = try session.execute("DELETE FROM b WHERE id IN (0, 3, 6, 9, 900)")
        _ = try session.execute("INSERT INTO b VALUES (3, 0, 'new three', 1), (900, 1, 'nine hundred', 2)")
        _ = try session.execute("UPDATE b SET label = 'renamed ' || id WHERE id IN (12, 900)")
        let memoPlan = try rows(session, "EXPLAIN " + probed).map { $0[0] }.joined(separator: "\n")
        #expect(memoPlan.contains("Memoize"), "\(memoPlan)")
        let got = try rows(session, probed)
        #expect(got == (try rows(session, hashed)))
        #expect(got.contains { $0[2] == "renamed 900" } && got.contains { $0[2] == "new three" }, "own writes seen: \(got.prefix(8))")
        #expect(!got.contains { $0[1] == "6" }, "a row deleted in the transaction is not joined")
        _ = try session.execute("ROLLBACK")
        #expect(try rows(session, probed) == (try rows(session, hashed)))
        #expect(!(try rows(session, probed)).contains { $0[2] == "renamed 900" }, "rolled back")
    }

    @Test("a prepared memoized join's memo lasts one execution: the next sees rows another session committed")
    func memoPerExecution() throws {
        let db = try database(seed: 12)
        let (reader, writer) = (try db.session(), try db.session())
        let statement = try Parser.parseStatement("SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2")
        let cache = PlanCache()
        let labels = { () throws -> Set<String> in
            Set(try reader.execute(statement, [.int(1), .int(120)], planCache: cache).rows.compactMap { $0[1].text })
        }
        let before = try labels()
        _ = try writer.execute("UPDATE b SET label = 'changed ' || id WHERE id % 3 = 0")
        let after = try labels()
        #expect(!before.contains { $0.hasPrefix("changed ") } && after.contains { $0.hasPrefix("changed ") }, "\(after.sorted().prefix(5))")
        #expect(!after.contains("label 6") && !after.contains("label 12"), "no label kept from the execution before")
    }

    @Test("enable_memoize takes PostgreSQL's boolean spellings and refuses others")
    func setting() throws {
        let session = try database(seed: 2).session()
        for (text, shown) in [("off", "off"), ("TRUE", "on"), ("0", "off"), ("yes", "on"), ("of", "off"), ("t", "on")] {
            _ = try session.execute("SET enable_memoize = '\(text)'")
            #expect(try rows(session, "SHOW enable_memoize") == [[shown]], "\(text)")
        }
        for text in ["o", "maybe", ""] {
            #expect(throws: VireoError.self, "\(text)") { try session.execute("SET enable_memoize = '\(text)'") }
        }
        _ = try session.execute("RESET enable_memoize")
        #expect(try rows(session, "SHOW enable_memoize") == [["on"]])
        #expect(try rows(session, "SELECT setting, vartype FROM pg_settings WHERE name = 'enable_memoize'") == [["on", "bool"]])
    }

    @Test("a row-id memo answers every id it kept through its table's growth, absent rows too, and stops at its bound")
    func rowIDMemo() {
        var random = SplitMix64(seed: 0x3E30)
        let memo = RowIDMemo(positions: [0, 2], bytesMax: 1 << 20)
        var kept: [Int64: Value?] = [:]
        var row = PlanExecutor.nullRow(4)
        for _ in 0..<3_000 {
            let rowID = Int64.random(in: -5_000...5_000, using: &random) &* 0x1_0000_0001  // colliding low bits
            if kept[rowID] != nil { continue }
            let found = Bool.random(using: &random)
            // Kept from position 1: positions 0 and 2 of the right row are row[1] and row[3].
            row[1] = .text("label \(rowID)")
            row[2] = .text("not kept")
            row[3] = .int(rowID)
            let stored = memo.keep(rowID, found: found, from: row, at: 1)
            #expect(stored)
            kept[rowID] = found ? .text("label \(rowID)") : .some(nil)
        }
        for (rowID, label) in kept {
            var out = PlanExecutor.nullRow(5)
            let found = memo.recall(rowID, into: &out, at: 2)
            #expect(found == (label != nil), "row id \(rowID)")
            if let label { #expect(out == [.null, .null, label, .null, .int(rowID)], "row id \(rowID): \(out)") }
        }
        #expect(memo.recall(123_456_789, into: &row, at: 0) == nil)
        let small = RowIDMemo(positions: [0], bytesMax: 250)
        let long = [Value.text(String(repeating: "x", count: 150))]
        let first = small.keep(1, found: true, from: long, at: 0)
        let second = small.keep(2, found: true, from: long, at: 0)
        #expect(first && !second, "a row of 214 bytes is kept, a second passes 250")
        #expect(small.recall(2, into: &row, at: 0) == nil)
    }

    @Test("the expected distinct keys among random draws grow to the values and never pass the draws")
    func expectedDistinct() {
        #expect(abs(IndexJoin.expectedDistinct(values: 100, draws: 100) - 63.4) < 0.1)
        #expect(IndexJoin.expectedDistinct(values: 1, draws: 50) == 1)
        #expect(IndexJoin.expectedDistinct(values: 1_000_000, draws: 100) > 99.9)
        #expect(IndexJoin.expectedDistinct(values: 10, draws: 10_000) == 10)
    }
}
