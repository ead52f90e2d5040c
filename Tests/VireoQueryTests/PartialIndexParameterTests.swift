import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// A prepared statement whose WHERE compares with `$n` uses a partial index when the
/// parameter values imply its predicate, planned for those values as PostgreSQL's custom
/// plans are; with other values the same statement scans, and the answer is always right.
@Suite("partial indexes and parameters")
struct PartialIndexParameterTests {
    static func populated() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE jobs (id int PRIMARY KEY, status text, priority int);
            CREATE INDEX jobs_pending ON jobs (priority) WHERE status = 'pending';
            CREATE INDEX jobs_urgent ON jobs (status) WHERE priority > 90;
            INSERT INTO jobs SELECT g, CASE WHEN g % 10 = 0 THEN 'pending' WHEN g % 3 = 0 THEN 'failed' ELSE 'done' END, g % 100
              FROM generate_series(1, 500) g
            """)
        return db
    }

    static func plan(_ db: Database, _ sql: String, _ parameters: [Value]) throws -> String {
        try rows(db, "EXPLAIN " + sql, parameters).map { $0[0] }.joined(separator: "\n")
    }

    @Test("EXPLAIN with the values shows the partial index only when they imply its predicate")
    func explained() throws {
        let db = try Self.populated()
        let sql = "SELECT id FROM jobs WHERE status = $1 AND priority > $2 ORDER BY id"
        #expect(try Self.plan(db, sql, [.text("pending"), .int(50)]).contains("Index Scan using jobs_pending"))
        #expect(try !Self.plan(db, sql, [.text("done"), .int(50)]).contains("jobs_pending"))
        let urgent = "SELECT id FROM jobs WHERE status = $1 AND priority >= $2 ORDER BY id"
        #expect(try Self.plan(db, urgent, [.text("failed"), .int(95)]).contains("Index Scan using jobs_urgent"))
        #expect(try !Self.plan(db, urgent, [.text("failed"), .int(90)]).contains("jobs_urgent"))
    }

    @Test("one prepared statement, run with values that do and do not imply the predicate, answers right each time")
    func prepared() throws {
        let db = try Self.populated()
        let statement = try db.prepare("SELECT id FROM jobs WHERE status = $1 AND priority > $2 ORDER BY id")
        let runs: [(String, Int64)] = [("pending", 50), ("done", 50), ("pending", 10), ("failed", 95), ("pending", 50), ("done", 0)]
        for (status, priority) in runs {
            let got = try statement.execute([.text(status), .int(priority)]).rows.map { $0[0].text ?? "NULL" }
            let expected = try rows(db, "SELECT id FROM jobs WHERE status || '' = $1 AND priority + 0 > $2 ORDER BY id",
                                    [.text(status), .int(priority)]).map { $0[0] }
            #expect(got == expected, "\(status), \(priority)")
            #expect(!got.isEmpty)
        }
    }

    @Test("UPDATE and DELETE with parameters use the partial index and change the right rows")
    func changes() throws {
        let db = try Self.populated()
        let session = db.session()
        let result = try session.execute("UPDATE jobs SET priority = priority + 1000 WHERE status = $1 AND priority < $2 RETURNING id",
                                         [.text("pending"), .int(30)])
        #expect(result.rows.map { $0[0].text ?? "" }.sorted() == (try rows(db, "SELECT id FROM jobs WHERE priority >= 1000").map { $0[0] }.sorted()))
        #expect(result.rows.count == 15)
        try session.execute("DELETE FROM jobs WHERE status = $1 AND priority > $2", [.text("pending"), .int(999)])
        #expect(try rows(db, "SELECT count(*) FROM jobs WHERE priority >= 1000") == [["0"]])
    }
}
