import Dispatch
import Foundation
import Synchronization
import Testing
@testable import VireoQuery
import VireoStorage

/// SELECT … FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE with NOWAIT and SKIP LOCKED, and
/// how plain UPDATE and DELETE meet row locks (docs/transactions.md, "Row locks"). Two
/// sessions meet deterministically: the waiting one runs on a thread, and the test waits
/// until the lock table shows it waiting before the holder goes on.
@Suite("Row locks")
struct RowLockTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        try db.execute("INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
        try db.execute("CREATE TABLE jobs (id int PRIMARY KEY, state text, taken_by int)")
        try db.execute("INSERT INTO jobs SELECT g, 'queued', NULL FROM generate_series(1, 5) g")
        return db
    }

    private func ints(_ session: Session, _ sql: String) throws -> [Int64] {
        try session.execute(sql).rows.map { row in
            guard case .int(let value) = row[0] else { return -1 }
            return value
        }
    }

    private func expect(_ error: VireoError?, _ sqlState: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error?.sqlState == sqlState && error?.message == message,
                "expected \(sqlState) \"\(message)\", got \(String(describing: error))", sourceLocation: sourceLocation)
    }

    /// Waits (bounded) until `count` transactions wait for a row lock: the event a test needs
    /// before the holder goes on, so that the waiter really waited.
    private func waitForWaiters(_ db: Database, _ count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<5_000 where db.store.rowLockWaiterCount < count { usleep(1_000) }
        #expect(db.store.rowLockWaiterCount >= count, "no transaction came to wait for a row lock", sourceLocation: sourceLocation)
    }

    // MARK: Syntax and refusals

    @Test("locking clauses parse in every form and print back as written")
    func syntax() throws {
        let forms = [
            "SELECT id FROM t ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
            "SELECT id FROM t FOR NO KEY UPDATE OF t NOWAIT",
            "SELECT id FROM t FOR SHARE",
            "SELECT id FROM t a FOR KEY SHARE OF a FOR UPDATE OF a",
        ]
        for sql in forms {
            let statement = try Parser.parseStatement(sql)
            let printed = statement.body.sql
            #expect(printed.hasSuffix(sql.components(separatedBy: " FOR ").dropFirst().map { "FOR " + $0 }.joined(separator: " ")),
                    "printed \(printed)")
            #expect(try Parser.parseStatement(printed).body == statement.body, "\(printed) parses back to the same statement")
            guard case .selectChangingData = statement.body else {
                Issue.record("\(sql) must run as a write")
                continue
            }
        }
        #expect(try Parser.parseStatement("SELECT id FROM t FOR UPDATE LIMIT 1").body.sql == "SELECT id FROM t LIMIT 1 FOR UPDATE")
    }

    @Test("FOR UPDATE is refused with aggregates, GROUP BY, DISTINCT, set operations, VALUES and window functions, as PostgreSQL")
    func refusals() throws {
        let db = try database()
        let session = db.session()
        let cases: [(String, String, String)] = [
            ("SELECT count(*) FROM t FOR UPDATE", "0A000", "FOR UPDATE is not allowed with aggregate functions"),
            ("SELECT v FROM t GROUP BY v FOR SHARE", "0A000", "FOR SHARE is not allowed with GROUP BY clause"),
            ("SELECT DISTINCT v FROM t FOR UPDATE", "0A000", "FOR UPDATE is not allowed with DISTINCT clause"),
            ("SELECT v FROM t UNION SELECT 1 FOR UPDATE", "0A000", "FOR UPDATE is not allowed with UNION/INTERSECT/EXCEPT"),
            ("VALUES (1) FOR UPDATE", "0A000", "FOR UPDATE cannot be applied to VALUES"),
            ("SELECT row_number() OVER () FROM t FOR UPDATE", "0A000", "FOR UPDATE is not allowed with window functions"),
            ("SELECT * FROM t a FOR UPDATE OF b", "42P01", "relation \"b\" in FOR UPDATE clause not found in FROM clause"),
        ]
        for (sql, state, message) in cases { expect(sqlError(session, sql), state, message) }
        try session.execute("BEGIN READ ONLY")
        expect(sqlError(session, "SELECT * FROM t FOR SHARE"), "25006", "cannot execute SELECT FOR SHARE in a read-only transaction")
        try session.execute("ROLLBACK")
        #expect(try ints(session, "SELECT 1 FOR UPDATE") == [1], "a query without tables locks nothing and runs")
        let plan = try session.execute("EXPLAIN SELECT id FROM t WHERE id = 1 FOR UPDATE").rows.map { "\($0)" }.joined()
        #expect(plan.contains("LockRows"), "EXPLAIN shows the LockRows node: \(plan)")
    }

    // MARK: NOWAIT, SKIP LOCKED, release

    @Test("NOWAIT fails at once with 55P03 on a row another transaction locked; other rows lock")
    func noWait() throws {
        let db = try database()
        let holder = db.session(), other = db.session()
        try holder.execute("BEGIN")
        #expect(try ints(holder, "SELECT v FROM t WHERE id = 1 FOR UPDATE") == [10])
        try other.execute("BEGIN")
        expect(sqlError(other, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT"), "55P03", "could not obtain lock on row in relation \"t\"")
        try other.execute("ROLLBACK; BEGIN")
        #expect(try ints(other, "SELECT v FROM t WHERE id = 2 FOR UPDATE NOWAIT") == [20])
        #expect(sqlError(other, "SELECT v FROM t WHERE id = 1 FOR KEY SHARE NOWAIT")?.sqlState == "55P03",
                "FOR KEY SHARE conflicts with FOR UPDATE")
    }

    @Test("lock modes conflict as PostgreSQL's: shares together, KEY SHARE beside NO KEY UPDATE, UPDATE against all")
    func modeConflicts() throws {
        let db = try database()
        let first = db.session(), second = db.session()
        let modes = ["FOR KEY SHARE", "FOR SHARE", "FOR NO KEY UPDATE", "FOR UPDATE"]
        let compatible: Set<String> = ["FOR KEY SHARE/FOR KEY SHARE", "FOR KEY SHARE/FOR SHARE", "FOR SHARE/FOR KEY SHARE",
                                       "FOR SHARE/FOR SHARE", "FOR KEY SHARE/FOR NO KEY UPDATE", "FOR NO KEY UPDATE/FOR KEY SHARE"]
        for held in modes {
            for asked in modes {
                try first.execute("BEGIN")
                _ = try first.execute("SELECT id FROM t WHERE id = 1 \(held)")
                try second.execute("BEGIN")
                let granted = (try? second.execute("SELECT id FROM t WHERE id = 1 \(asked) NOWAIT")) != nil
                #expect(granted == compatible.contains("\(held)/\(asked)"), "\(held) then \(asked): granted \(granted)")
                try first.execute("ROLLBACK")
                try second.execute("ROLLBACK")
            }
        }
    }

    @Test("SKIP LOCKED leaves out rows others locked, and LIMIT counts only the rows it returns")
    func skipLocked() throws {
        let db = try database()
        let first = db.session(), second = db.session(), third = db.session()
        let claim = "SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
        try first.execute("BEGIN")
        try second.execute("BEGIN")
        try third.execute("BEGIN")
        #expect(try ints(first, claim) == [1])
        #expect(try ints(second, claim) == [2])
        #expect(try ints(third, "SELECT id FROM jobs ORDER BY id FOR UPDATE SKIP LOCKED") == [3, 4, 5])
        try first.execute("ROLLBACK")
        #expect(try ints(third, "SELECT id FROM jobs ORDER BY id FOR UPDATE SKIP LOCKED") == [1, 3, 4, 5],
                "its own locks do not hide rows from it; a released row comes back")
    }

    @Test("locks go at COMMIT, ROLLBACK, ROLLBACK TO SAVEPOINT for those taken after it, and at the end of a statement outside a block")
    func release() throws {
        let db = try database()
        let holder = db.session(), other = db.session()
        let probe = "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT"
        _ = try holder.execute("SELECT v FROM t WHERE id = 1 FOR UPDATE")
        #expect(try ints(other, probe) == [10], "a statement outside a block releases its locks")
        try holder.execute("BEGIN; SELECT v FROM t WHERE id = 2 FOR UPDATE; SAVEPOINT s; SELECT v FROM t WHERE id = 1 FOR UPDATE")
        #expect(sqlError(other, probe)?.sqlState == "55P03")
        try holder.execute("ROLLBACK TO SAVEPOINT s")
        #expect(try ints(other, probe) == [10], "ROLLBACK TO SAVEPOINT releases the locks taken after it, as PostgreSQL")
        #expect(sqlError(other, "SELECT v FROM t WHERE id = 2 FOR UPDATE NOWAIT")?.sqlState == "55P03", "the earlier lock stays")
        try holder.execute("COMMIT")
        #expect(try ints(other, "SELECT v FROM t WHERE id = 2 FOR UPDATE NOWAIT") == [20])
        #expect(db.store.lockedRowCount == 0, "no lock left behind")
    }

    @Test("OF locks only the named FROM entries of a join")
    func ofRestrictsToTables() throws {
        let db = try database()
        let holder = db.session(), other = db.session()
        try holder.execute("BEGIN")
        #expect(try ints(holder, "SELECT j.id FROM jobs j JOIN t ON t.id = j.id WHERE j.id = 1 FOR UPDATE OF j") == [1])
        #expect(try ints(other, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT") == [10], "t was not named in OF")
        #expect(sqlError(other, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT")?.sqlState == "55P03")
        #expect(try ints(holder, "SELECT t.id FROM jobs j JOIN t ON t.id = j.id WHERE j.id = 2 FOR SHARE") == [2])
        #expect(sqlError(other, "SELECT v FROM t WHERE id = 2 FOR UPDATE NOWAIT")?.sqlState == "55P03", "without OF every table locks")
        #expect(sqlError(other, "SELECT id FROM jobs WHERE id = 2 FOR UPDATE NOWAIT")?.sqlState == "55P03")
        try holder.execute("COMMIT")
    }

    @Test("a bulk writer holding the writer gate records no row locks, yet a locker after it sees its changes")
    func gateHolderRecordsNoImplicitLocks() throws {
        let db = try database()
        let bulk = db.session(), locker = db.session()
        try bulk.execute("BEGIN; CREATE TABLE side (x int); UPDATE t SET v = v + 1")
        #expect(db.store.lockedRowCount == 0, "the gate holder's updates are not in the lock table")
        try bulk.execute("COMMIT")
        #expect(try ints(locker, "SELECT v FROM t ORDER BY id FOR UPDATE") == [11, 21, 31])
    }

    // MARK: Waiting

    @Test("a second FOR UPDATE waits for the holder, then reads the committed new version; no update is lost")
    func waiterSeesNewVersion() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute("BEGIN")
        #expect(try ints(holder, "SELECT v FROM t WHERE id = 1 FOR UPDATE") == [10])
        let waiting = Background { () -> [Int64] in
            try waiter.execute("BEGIN")
            let seen = try self.ints(waiter, "SELECT v FROM t WHERE id = 1 FOR UPDATE")
            try waiter.execute("UPDATE t SET v = v + 1 WHERE id = 1; COMMIT")
            return seen
        }
        waitForWaiters(db, 1)
        try holder.execute("UPDATE t SET v = v + 100 WHERE id = 1; COMMIT")
        #expect(try waiting.result() == [110], "the waiter reads the version the holder committed")
        #expect(try ints(holder, "SELECT v FROM t WHERE id = 1") == [111])
    }

    @Test("READ COMMITTED: a locked row that no longer matches after the wait is skipped, and LIMIT takes the next")
    func waiterRechecksWhere() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute("BEGIN")
        #expect(try ints(holder, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE") == [1])
        let waiting = Background { () -> [Int64] in
            try self.ints(waiter, "SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE")
        }
        waitForWaiters(db, 1)
        try holder.execute("UPDATE jobs SET state = 'done' WHERE id = 1; COMMIT")
        #expect(try waiting.result() == [2])
    }

    @Test("READ COMMITTED: a locked row deleted by the holder is skipped")
    func waiterSkipsDeleted() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute("BEGIN; DELETE FROM t WHERE id = 1")
        let waiting = Background { () -> [Int64] in try self.ints(waiter, "SELECT v FROM t WHERE id <= 2 ORDER BY id FOR UPDATE") }
        waitForWaiters(db, 1)
        try holder.execute("COMMIT")
        #expect(try waiting.result() == [20])
    }

    @Test("REPEATABLE READ: a row changed after the snapshot gives 40001, whether it waited or not")
    func repeatableReadConflict() throws {
        let db = try database()
        let reader = db.session(), writer = db.session()
        try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(try ints(reader, "SELECT v FROM t WHERE id = 1") == [10])
        try writer.execute("UPDATE t SET v = 11 WHERE id = 1")
        expect(sqlError(reader, "SELECT v FROM t WHERE id = 1 FOR UPDATE"), "40001", "could not serialize access due to concurrent update")
        try reader.execute("ROLLBACK")

        try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(try ints(reader, "SELECT v FROM t WHERE id = 2") == [20])
        try writer.execute("BEGIN; SELECT v FROM t WHERE id = 2 FOR UPDATE")
        let waiting = Background { () -> String? in sqlError(reader, "SELECT v FROM t WHERE id = 2 FOR SHARE")?.sqlState }
        waitForWaiters(db, 1)
        try writer.execute("UPDATE t SET v = 21 WHERE id = 2; COMMIT")
        #expect(try waiting.result() == "40001")
        try reader.execute("ROLLBACK")
    }

    @Test("a plain UPDATE waits for a FOR UPDATE holder, then updates the new version; the holder's own update never fails")
    func plainUpdateWaits() throws {
        let db = try database()
        let holder = db.session(), writer = db.session()
        try holder.execute("BEGIN")
        #expect(try ints(holder, "SELECT v FROM t WHERE id = 1 FOR UPDATE") == [10])
        let waiting = Background { () -> String in try writer.execute("UPDATE t SET v = v + 1 WHERE id = 1").commandTag }
        waitForWaiters(db, 1)
        try holder.execute("UPDATE t SET v = v + 10 WHERE id = 1; COMMIT")
        #expect(try waiting.result() == "UPDATE 1")
        #expect(try ints(holder, "SELECT v FROM t WHERE id = 1") == [21], "both updates count")
        // A DELETE waits too, and then finds the row gone or changed as it is now.
        try holder.execute("BEGIN; SELECT v FROM t WHERE id = 2 FOR SHARE")
        let deleting = Background { () -> String in try writer.execute("DELETE FROM t WHERE id = 2 AND v = 20").commandTag }
        waitForWaiters(db, 1)
        try holder.execute("UPDATE t SET v = 25 WHERE id = 2; COMMIT")
        #expect(try deleting.result() == "DELETE 0", "the row no longer matches v = 20")
    }

    @Test("MERGE locks the rows it changes as UPDATE does: it waits for a FOR UPDATE holder, then merges the new version")
    func mergeWaitsLikeUpdate() throws {
        let db = try database()
        let holder = db.session(), writer = db.session()
        try holder.execute("BEGIN")
        #expect(try ints(holder, "SELECT v FROM t WHERE id = 1 FOR UPDATE") == [10])
        let merge = """
            MERGE INTO t USING (VALUES (1, 1), (4, 40)) s(id, d) ON t.id = s.id
              WHEN MATCHED THEN UPDATE SET v = t.v + s.d WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.d)
            """
        let waiting = Background { () -> String in try writer.execute(merge).commandTag }
        waitForWaiters(db, 1)
        try holder.execute("UPDATE t SET v = v + 10 WHERE id = 1; COMMIT")
        #expect(try waiting.result() == "MERGE 2")
        #expect(try ints(holder, "SELECT v FROM t WHERE id IN (1, 4) ORDER BY id") == [21, 40], "the holder's update and the merge both count")
        // Two plain writers of one row: the first to commit wins, as for UPDATE.
        try holder.execute("BEGIN; MERGE INTO t USING (SELECT 2 AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = 1")
        try writer.execute("BEGIN; MERGE INTO t USING (SELECT 2 AS id) s ON t.id = s.id WHEN MATCHED THEN DELETE")
        try holder.execute("COMMIT")
        expect(sqlError(writer, "COMMIT"), "40001", "could not serialize access due to concurrent update")
    }

    @Test("two plain writers of a row still do not wait for each other: the first to commit wins (40001)")
    func plainWritersDoNotWait() throws {
        let db = try database()
        let first = db.session(), second = db.session()
        try first.execute("BEGIN; UPDATE t SET v = 1 WHERE id = 1")
        try second.execute("BEGIN; UPDATE t SET v = 2 WHERE id = 1")
        try first.execute("COMMIT")
        expect(sqlError(second, "COMMIT"), "40001", "could not serialize access due to concurrent update")
    }

    @Test("FOR UPDATE waits for a transaction that updated the row and has not committed")
    func lockWaitsForWriter() throws {
        let db = try database()
        let writer = db.session(), locker = db.session()
        try writer.execute("BEGIN; UPDATE t SET v = 12 WHERE id = 1")
        expect(sqlError(locker, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT"), "55P03", "could not obtain lock on row in relation \"t\"")
        let waiting = Background { () -> [Int64] in try self.ints(locker, "SELECT v FROM t WHERE id = 1 FOR UPDATE") }
        waitForWaiters(db, 1)
        try writer.execute("COMMIT")
        #expect(try waiting.result() == [12])
    }

    // MARK: Timeouts, cancel, deadlocks

    @Test("lock_timeout ends a wait with 55P03, a cancel with 57014, and the idle timeout of the holder frees the row")
    func timeoutsAndCancel() throws {
        let db = try database()
        let holder = db.session(), waiter = db.session()
        try holder.execute("BEGIN; SELECT v FROM t WHERE id = 1 FOR UPDATE")
        try waiter.execute("SET lock_timeout = '30ms'")
        expect(sqlError(waiter, "SELECT v FROM t WHERE id = 1 FOR UPDATE"), "55P03", "canceling statement due to lock timeout")
        expect(sqlError(waiter, "UPDATE t SET v = 0 WHERE id = 1"), "55P03", "canceling statement due to lock timeout")
        try waiter.execute("SET lock_timeout = 0; SET statement_timeout = '30ms'")
        expect(sqlError(waiter, "SELECT v FROM t WHERE id = 1 FOR UPDATE"), "57014", "canceling statement due to statement timeout")
        try waiter.execute("SET statement_timeout = 0")
        let cancelled = Background { () -> String? in sqlError(waiter, "SELECT v FROM t WHERE id = 1 FOR UPDATE")?.sqlState }
        waitForWaiters(db, 1)
        waiter.cancel()
        #expect(try cancelled.result() == "57014")
        try holder.execute("ROLLBACK")

        try holder.execute("SET idle_in_transaction_session_timeout = '50ms'")
        try holder.execute("BEGIN; SELECT v FROM t WHERE id = 1 FOR UPDATE")
        #expect(try ints(waiter, "SELECT v FROM t WHERE id = 1 FOR UPDATE") == [10], "the holder's block was ended by its idle timeout")
    }

    @Test("two transactions waiting for each other's row locks: one gets 40P01, the other goes on")
    func deadlock() throws {
        let db = try database()
        let first = db.session(), second = db.session()
        try first.execute("BEGIN; SELECT v FROM t WHERE id = 1 FOR UPDATE")
        try second.execute("BEGIN; SELECT v FROM t WHERE id = 2 FOR UPDATE")
        let waiting = Background { () -> [Int64] in try self.ints(first, "SELECT v FROM t WHERE id = 2 FOR UPDATE") }
        waitForWaiters(db, 1)
        let error = sqlError(second, "SELECT v FROM t WHERE id = 1 FOR UPDATE")
        expect(error, "40P01", "deadlock detected")
        try second.execute("ROLLBACK")
        #expect(try waiting.result() == [20], "the other transaction gets its lock once the victim rolled back")
        try first.execute("COMMIT")
    }

    // MARK: Threads

    @Test("threads incrementing one counter with SELECT … FOR UPDATE then UPDATE lose no increment and see no 40001")
    func readModifyWriteCounter() throws {
        let db = try Database.inMemory()
        let threadCount = 6, incrementsPerThread = 40
        try db.execute("CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0)")
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threadCount) { worker in
            let session = db.session()
            do {
                for _ in 0..<incrementsPerThread {
                    try session.execute("BEGIN")
                    guard case .int(let n)? = try session.execute("SELECT n FROM counter WHERE id = 1 FOR UPDATE").rows.first?.first else {
                        throw VireoError(.internalError, "the counter row is missing")
                    }
                    try session.execute("UPDATE counter SET n = $1 WHERE id = 1", [.int(n + 1)])
                    try session.execute("COMMIT")
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(try db.execute("SELECT n FROM counter").rows == [[.int(Int64(threadCount * incrementsPerThread))]])
    }

    @Test("threads draining a queue with FOR UPDATE SKIP LOCKED take every job exactly once, with no 40001")
    func queueDrain() throws {
        let db = try Database.inMemory()
        let jobCount = 300, workerCount = 8
        try db.execute("CREATE TABLE jobs (id int PRIMARY KEY, state text, taken_by int)")
        try db.execute("INSERT INTO jobs SELECT g, 'queued', NULL FROM generate_series(1, \(jobCount)) g")
        let failures = Mutex<[String]>([])
        let taken = Mutex<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            let session = db.session()
            do {
                for _ in 0..<(jobCount + 1) {
                    try session.execute("BEGIN")
                    let rows = try session.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED").rows
                    guard case .int(let id)? = rows.first?.first else {
                        try session.execute("COMMIT")
                        break
                    }
                    try session.execute("UPDATE jobs SET state = 'done', taken_by = $1 WHERE id = $2", [.int(Int64(worker)), .int(id)])
                    try session.execute("COMMIT")
                    taken.withLock { $0.append(id) }
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let ids = taken.withLock { $0 }.sorted()
        #expect(ids == (1...Int64(jobCount)).map { $0 }, "each job taken once: \(ids.count) takes of \(Set(ids).count) jobs")
        #expect(try db.execute("SELECT count(*) FROM jobs WHERE state = 'done'").rows == [[.int(Int64(jobCount))]])
        #expect(db.store.lockedRowCount == 0)
    }
}

/// A statement run on another thread, and its outcome.
private final class Background<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<T, Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        DispatchQueue.global().async {
            self.outcome = Result { try body() }
            self.done.signal()
        }
    }

    /// Its result, waiting at most 30 s (a hang fails the test instead of stalling it).
    func result() throws -> T {
        guard done.wait(timeout: .now() + 30) == .success, let outcome else {
            throw VireoError(.internalError, "the background statement did not finish")
        }
        return try outcome.get()
    }
}
