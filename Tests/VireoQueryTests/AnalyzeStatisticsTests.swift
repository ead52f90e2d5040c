import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// ANALYZE collects per-table and per-column statistics, keeps them in the catalog across a
/// reopen, shows them as pg_stats and pg_class.reltuples, and the planner then chooses
/// between an index and a sequential scan, and between indexes, by the rows it expects;
/// whatever it chooses, the answer is the one a scan without any index gives.
@Suite("ANALYZE statistics and the plans they choose")
struct AnalyzeStatisticsTests {
    /// 2,000 rows: status 'open' in 90% of them, 'late' in 5%, a unique 'rare-<id>' in the
    /// rest; n uniform over 1…1000; flag true in every 100th row and NULL in every 10th.
    static func populated() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE orders (id int PRIMARY KEY, status text, n int, flag boolean);
            CREATE INDEX orders_status ON orders (status);
            CREATE INDEX orders_n ON orders (n);
            CREATE INDEX orders_flag ON orders (flag);
            INSERT INTO orders SELECT g,
                CASE WHEN g % 20 = 0 THEN 'late' WHEN g % 20 = 1 THEN 'rare-' || g ELSE 'open' END,
                (g % 1000) + 1, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 100 = 1 END
              FROM generate_series(1, 2000) g
            """)
        return db
    }

    static func plan(_ db: Database, _ sql: String) throws -> String {
        try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
    }

    @Test("before ANALYZE reltuples is -1 and pg_stats is empty; after it both describe the table")
    func catalogViews() throws {
        let db = try Self.populated()
        #expect(try rows(db, "SELECT reltuples FROM pg_class WHERE relname = 'orders'") == [["-1"]])
        #expect(try rows(db, "SELECT count(*) FROM pg_stats WHERE tablename = 'orders'") == [["0"]])
        try db.execute("ANALYZE orders")
        #expect(try rows(db, "SELECT reltuples FROM pg_class WHERE relname = 'orders'") == [["2000"]])
        let status = try rows(db, """
            SELECT null_frac, n_distinct, most_common_vals, most_common_freqs
            FROM pg_stats WHERE tablename = 'orders' AND attname = 'status'
            """)
        #expect(status.count == 1)
        #expect(status.first?[0] == "0")
        #expect(status.first?[2] == "{open,late}", "\(status)")
        #expect(status.first?[3] == "{0.9,0.05}", "\(status)")
        // 102 distinct values in 2,000 rows: a count, not a fraction (at most a tenth of the rows).
        #expect(status.first?[1] == "102", "\(status)")
        let flag = try rows(db, "SELECT null_frac, most_common_vals FROM pg_stats WHERE tablename = 'orders' AND attname = 'flag'")
        #expect(flag == [["0.1", "{f,t}"]])
        let id = try rows(db, "SELECT n_distinct, most_common_vals, histogram_bounds FROM pg_stats WHERE tablename = 'orders' AND attname = 'id'")
        #expect(id.first?[0] == "-1", "a unique column's n_distinct is -1: \(id)")
        #expect(id.first?[1] == "NULL")
        #expect(id.first?[2].hasPrefix("{1,") == true && id.first?[2].hasSuffix(",2000}") == true, "\(id)")
    }

    @Test("statistics survive closing and reopening the database")
    func durable() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/stats.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("CREATE TABLE t (id int PRIMARY KEY, k text); INSERT INTO t SELECT g, 'k' || (g % 3) FROM generate_series(1, 30) g")
                try db.execute("ANALYZE t")
                try db.close()
            }
            let db = try Database.open(path: path)
            #expect(try rows(db, "SELECT reltuples FROM pg_class WHERE relname = 't'") == [["30"]])
            #expect(try rows(db, "SELECT most_common_vals FROM pg_stats WHERE attname = 'k'") == [["{k0,k1,k2}"]])
        }
    }

    @Test("a predicate most rows pass scans the table; a selective one uses the index; answers match a scan")
    func indexOrScan() throws {
        let db = try Self.populated()
        let cases: [(sql: String, brute: String)] = [
            ("SELECT id FROM orders WHERE status = 'open' ORDER BY id", "SELECT id FROM orders WHERE status || '' = 'open' ORDER BY id"),
            ("SELECT id FROM orders WHERE status = 'rare-41' ORDER BY id", "SELECT id FROM orders WHERE status || '' = 'rare-41' ORDER BY id"),
            ("SELECT id FROM orders WHERE n > 990 ORDER BY id", "SELECT id FROM orders WHERE n + 0 > 990 ORDER BY id"),
            ("SELECT id FROM orders WHERE n > 10 ORDER BY id", "SELECT id FROM orders WHERE n + 0 > 10 ORDER BY id"),
            ("SELECT id FROM orders WHERE flag = true ORDER BY id", "SELECT id FROM orders WHERE flag OR false ORDER BY id"),
            ("SELECT id FROM orders WHERE flag = false ORDER BY id", "SELECT id FROM orders WHERE NOT flag ORDER BY id"),
        ]
        // Without statistics every one of them goes through its index.
        for (sql, _) in cases { #expect(try Self.plan(db, sql).contains("Index Scan using"), "\(sql)") }
        try db.execute("ANALYZE")
        let expectIndex = [false, true, true, false, true, false]
        for ((sql, brute), index) in zip(cases, expectIndex) {
            let plan = try Self.plan(db, sql)
            #expect(plan.contains("Index Scan using") == index, "\(sql):\n\(plan)")
            #expect(plan.contains("estimated"), "the reason names the estimate: \(plan)")
            #expect(try rows(db, sql) == rows(db, brute), "\(sql)")
        }
    }

    @Test("among several indexes the one expected to keep fewer rows is chosen")
    func betweenIndexes() throws {
        let db = try Self.populated()
        let sql = "SELECT id FROM orders WHERE status = 'late' AND n = 500 ORDER BY id"
        let before = try Self.plan(db, sql)
        #expect(before.contains("Index Scan using orders_status"), "the first index without statistics: \(before)")
        try db.execute("ANALYZE orders")
        let after = try Self.plan(db, sql)
        #expect(after.contains("Index Scan using orders_n"), "\(after)")
        #expect(try rows(db, sql) == rows(db, "SELECT id FROM orders WHERE status || '' = 'late' AND n + 0 = 500 ORDER BY id"))
    }

    @Test("ANALYZE of named columns keeps the others' statistics; unknown names are refused")
    func columnsAndErrors() throws {
        let db = try Self.populated()
        try db.execute("ANALYZE orders")
        try db.execute("UPDATE orders SET status = 'closed'")
        try db.execute("ANALYZE orders (status)")
        #expect(try rows(db, "SELECT most_common_vals FROM pg_stats WHERE attname = 'status'") == [["{closed}"]])
        #expect(try rows(db, "SELECT count(*) FROM pg_stats WHERE tablename = 'orders'") == [["4"]])
        #expect(sqlError(db, "ANALYZE orders (nope)")?.sqlState == "42703")
        #expect(sqlError(db, "ANALYZE nope")?.sqlState == "42P01")
        let session = db.session()
        try session.execute("BEGIN READ ONLY")
        #expect(sqlError(session, "ANALYZE orders")?.message == "cannot execute ANALYZE in a read-only transaction")
        try session.execute("ROLLBACK")
        try db.execute("ALTER TABLE orders RENAME COLUMN status TO state")
        #expect(try rows(db, "SELECT attname FROM pg_stats WHERE tablename = 'orders' ORDER BY attname") == [["flag"], ["id"], ["n"], ["state"]])
        try db.execute("ALTER TABLE orders DROP COLUMN flag")
        #expect(try rows(db, "SELECT count(*) FROM pg_stats WHERE tablename = 'orders'") == [["3"]])
    }

    @Test("an inner hash join hashes the side expected to give fewer rows; the rows are the same")
    func hashedSide() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE small (id int PRIMARY KEY, k int);
            CREATE TABLE big (id int PRIMARY KEY, k int);
            INSERT INTO small SELECT g, g * 3 FROM generate_series(1, 20) g;
            INSERT INTO big SELECT g, g % 90 FROM generate_series(1, 3000) g
            """)
        let smallFirst = "SELECT s.id, b.id FROM small s JOIN big b ON b.k = s.k ORDER BY 1, 2"
        let bigFirst = "SELECT s.id, b.id FROM big b JOIN small s ON b.k = s.k ORDER BY 1, 2"
        let filtered = "SELECT s.id, b.id FROM big b, small s WHERE b.k = s.k AND b.id < 10 ORDER BY 1, 2"
        let expected = try [smallFirst, bigFirst, filtered].map { try rows(db, $0) }
        for sql in [smallFirst, bigFirst, filtered] { #expect(try !Self.plan(db, sql).contains("Hashed: left side"), "\(sql)") }
        try db.execute("ANALYZE")
        let smallPlan = try Self.plan(db, smallFirst), filteredPlan = try Self.plan(db, filtered)
        #expect(smallPlan.contains("Hashed: left side (estimated 20 rows against 3000)"), "\(smallPlan)")
        #expect(try !Self.plan(db, bigFirst).contains("Hashed: left side"))
        #expect(filteredPlan.contains("Hashed: left side"), "the filtered big side is the smaller: \(filteredPlan)")
        #expect(try [smallFirst, bigFirst, filtered].map { try rows(db, $0) } == expected)
    }

    @Test("values wider than 1 kB are counted but not kept, as PostgreSQL's WIDTH_THRESHOLD")
    func wideValues() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE docs (id int PRIMARY KEY, body text)")
        try db.execute("INSERT INTO docs SELECT g, repeat('x', 2000) || (g % 5) FROM generate_series(1, 50) g")
        try db.execute("ANALYZE docs")
        let stats = try rows(db, "SELECT n_distinct, most_common_vals, histogram_bounds, avg_width > 1024 FROM pg_stats WHERE attname = 'body'")
        #expect(stats == [["-1", "NULL", "NULL", "t"]], "\(stats)")
    }

    @Test("a sample bounds the work on a large table and still estimates its distribution")
    func sampled() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE big (id int PRIMARY KEY, k int)")
        try db.execute("INSERT INTO big SELECT g, g % 4 FROM generate_series(1, \(StatisticsCollector.sampleRowsMax + 5000)) g")
        try db.execute("ANALYZE big")
        let stats = try rows(db, "SELECT n_distinct, most_common_vals FROM pg_stats WHERE attname = 'k'")
        #expect(stats.first?[0] == "4", "\(stats)")
        let common = stats.first?[1].trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").map(String.init)
        #expect(Set(common ?? []) == ["0", "1", "2", "3"], "every value of a four-valued column is common: \(stats)")
        #expect(try rows(db, "SELECT reltuples FROM pg_class WHERE relname = 'big'") == [["\(StatisticsCollector.sampleRowsMax + 5000)"]])
    }
}
