import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Functions that read or change the calling session: settings, advisory locks, pg_sleep.
@Suite("Session functions")
struct SessionFunctionTests {
    private func value(_ session: Session, _ sql: String) throws -> Value {
        try session.execute(sql).rows[0][0]
    }

    private func sqlState(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as VireoError { return error.sqlState } catch { return "not a VireoError" }
        return nil
    }

    @Test("current_setting reads what SET and set_config set; set_config(…, true) lasts for the transaction")
    func settings() throws {
        let session = try Database.inMemory().session()
        #expect(try value(session, "SELECT current_setting('hnsw.ef_search')") == .text("40"))
        try session.execute("SET hnsw.ef_search = 64")
        #expect(try value(session, "SELECT current_setting('HNSW.EF_SEARCH')") == .text("64"))
        #expect(try value(session, "SELECT set_config('application_name', 'tool', false)") == .text("tool"))
        #expect(try value(session, "SHOW application_name") == .text("tool"))
        try session.execute("BEGIN")
        #expect(try value(session, "SELECT set_config('application_name', 'inner', true)") == .text("inner"))
        try session.execute("COMMIT")
        #expect(try value(session, "SELECT current_setting('application_name')") == .text("tool"), "a local setting ends with its transaction")
        #expect(try value(session, "SELECT current_setting('server_version_num')::int >= 90400") == .bool(true))
        #expect(sqlState { _ = try session.execute("SELECT current_setting('no_such_setting')") } == "42704")
        #expect(try value(session, "SELECT current_setting('no_such_setting', true)") == .null)
        let prepared = try Parser.parseStatement("SELECT current_setting('work_mem')")
        let cache = PlanCache()
        _ = try session.execute(prepared, [], planCache: cache)
        try session.execute("SET work_mem = '2MB'")
        #expect(try session.execute(prepared, [], planCache: cache).rows == [[.text("2MB")]], "a reused plan reads the setting anew")
    }

    @Test("advisory locks exclude other sessions, nest within one, and end with their session or transaction")
    func advisoryLocks() throws {
        let db = try Database.inMemory()
        let a = db.session(), b = db.session()
        try a.execute("SELECT pg_advisory_lock(42)")
        #expect(try value(b, "SELECT pg_try_advisory_lock(42)") == .bool(false))
        #expect(try value(b, "SELECT pg_try_advisory_lock(43)") == .bool(true))
        #expect(try value(b, "SELECT pg_try_advisory_lock(4, 2)") == .bool(true), "(int, int) keys are apart from bigint ones")
        #expect(try value(a, "SELECT pg_try_advisory_lock(42)") == .bool(true), "a session takes its own lock again")
        #expect(try value(a, "SELECT pg_advisory_unlock(42)") == .bool(true))
        #expect(try value(b, "SELECT pg_try_advisory_lock(42)") == .bool(false), "one take is still held")
        #expect(try value(a, "SELECT pg_advisory_unlock(42)") == .bool(true))
        #expect(try value(a, "SELECT pg_advisory_unlock(42)") == .bool(false), "nothing left to unlock")
        #expect(try value(b, "SELECT pg_try_advisory_lock(42)") == .bool(true))
        try b.execute("SELECT pg_advisory_unlock_all()")
        #expect(try value(a, "SELECT pg_try_advisory_lock_shared(42)") == .bool(true))
        #expect(try value(b, "SELECT pg_try_advisory_lock_shared(42)") == .bool(true), "shared takes share")
        #expect(try value(b, "SELECT pg_try_advisory_lock(42)") == .bool(false), "an exclusive take waits for shared ones")
        try a.execute("SELECT pg_advisory_unlock_all()")
        try b.execute("SELECT pg_advisory_unlock_all()")

        try a.execute("BEGIN")
        try a.execute("SELECT pg_advisory_xact_lock(7)")
        #expect(try value(b, "SELECT pg_try_advisory_xact_lock(7)") == .bool(false))
        try a.execute("COMMIT")
        #expect(try value(b, "SELECT pg_try_advisory_xact_lock(7)") == .bool(true), "released at the end of the transaction")
        #expect(try value(a, "SELECT pg_try_advisory_lock(7)") == .bool(true), "b's took it for its statement's own transaction only")

        var c: Session? = db.session()
        try c!.execute("SELECT pg_advisory_lock(99)")
        #expect(try value(a, "SELECT pg_try_advisory_lock(99)") == .bool(false))
        c = nil
        #expect(try value(a, "SELECT pg_try_advisory_lock(99)") == .bool(true), "a session that goes away releases its locks")
    }

    @Test("a waiting pg_advisory_lock obeys lock_timeout, and is granted once the holder unlocks")
    func advisoryWaits() throws {
        let db = try Database.inMemory()
        let a = db.session(), b = db.session()
        try a.execute("SELECT pg_advisory_lock(1)")
        try b.execute("SET lock_timeout = '50ms'")
        #expect(sqlState { _ = try b.execute("SELECT pg_advisory_lock(1)") } == "55P03")
        try b.execute("SET lock_timeout = 0")
        let unlocker = Thread { _ = try? a.execute("SELECT pg_sleep(0.05), pg_advisory_unlock(1)") }
        unlocker.start()
        try b.execute("SELECT pg_advisory_lock(1)")
        #expect(try value(a, "SELECT pg_try_advisory_lock(1)") == .bool(false), "b holds it now")
    }

    @Test("pg_sleep waits, and statement_timeout ends it with 57014")
    func sleep() throws {
        let session = try Database.inMemory().session()
        #expect(try value(session, "SELECT pg_sleep(0.01)") == .null)
        try session.execute("SET statement_timeout = '30ms'")
        #expect(sqlState { _ = try session.execute("SELECT pg_sleep(5)") } == "57014")
    }

    @Test("LISTEN, NOTIFY and UNLISTEN answer their command tags (NotifyTests covers what they do)")
    func notifications() throws {
        let session = try Database.inMemory().session()
        #expect(try session.execute("UNLISTEN *").commandTag == "UNLISTEN")
        #expect(try session.execute("UNLISTEN some_channel").commandTag == "UNLISTEN", "a channel not listened to is no error")
        #expect(try Parser.parseStatement("UNLISTEN *").body.sql == "UNLISTEN *")
        #expect(try session.execute("LISTEN jobs").commandTag == "LISTEN")
        #expect(try session.execute("NOTIFY jobs, 'x'").commandTag == "NOTIFY")
        #expect(try session.execute("SELECT has_table_privilege('t', 'SELECT'), pg_is_in_recovery()").rows == [[.bool(true), .bool(false)]])
        #expect(try value(session, "SELECT pg_backend_pid()") == .int(Int64(getpid())))
    }
}
