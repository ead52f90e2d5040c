import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// now(), current_timestamp, transaction_timestamp(), current_date, localtime and
/// localtimestamp answer the transaction's start time, as in PostgreSQL: one value for every
/// row and call of a statement and for every statement of a block; clock_timestamp() moves.
@Suite("The transaction's clock")
struct TransactionClockTests {
    private func values(_ session: Session, _ sql: String) throws -> [String] {
        let result = try session.execute(sql)
        return result.rows.flatMap { row in zip(row, result.columns).map { $0.text(as: $1.type) ?? "NULL" } }
    }

    @Test("one value throughout a statement, however many rows and calls")
    func stableWithinAStatement() throws {
        let session = try Database.inMemory().session()
        #expect(try values(session, "SELECT now() - now(), now() = current_timestamp, transaction_timestamp() = now()") == ["00:00:00", "t", "t"])
        #expect(try values(session, "SELECT count(DISTINCT now()), count(DISTINCT localtimestamp), count(DISTINCT clock_timestamp()) > 1 FROM generate_series(1, 2000)")
                == ["1", "1", "t"])
        try session.execute("CREATE TABLE t (id int, at timestamptz DEFAULT now())")
        try session.execute("INSERT INTO t (id) SELECT g FROM generate_series(1, 500) g")
        #expect(try values(session, "SELECT count(DISTINCT at) FROM t") == ["1"])
    }

    @Test("a block keeps BEGIN's time; each statement outside a block has its own")
    func stableWithinABlock() throws {
        let session = try Database.inMemory().session()
        try session.execute("BEGIN")
        let first = try values(session, "SELECT now()")
        try session.execute("SELECT pg_sleep(0.02)")
        #expect(try values(session, "SELECT now()") == first)
        #expect(try values(session, "SELECT current_date = now()::date, localtimestamp = now()::timestamp, clock_timestamp() > now()") == ["t", "t", "t"])
        try session.execute("COMMIT")
        let after = try values(session, "SELECT now()")
        #expect(after != first)
        try session.execute("SELECT pg_sleep(0.02)")
        #expect(try values(session, "SELECT now()") != after)
    }

    @Test("a rolled-back or failed block ends its clock too")
    func endsWithTheBlock() throws {
        let session = try Database.inMemory().session()
        try session.execute("BEGIN")
        let inBlock = try values(session, "SELECT now()")
        #expect(throws: VireoError.self) { try session.execute("SELECT 1 / 0") }
        try session.execute("ROLLBACK")
        try session.execute("SELECT pg_sleep(0.02)")
        #expect(try values(session, "SELECT now()") != inBlock)
    }
}
