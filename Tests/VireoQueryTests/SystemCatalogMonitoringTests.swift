import Foundation
import Synchronization
import Testing
@testable import VireoQuery
import VireoStorage

/// What administration and monitoring tools read besides the schema: pg_settings,
/// pg_cursors, the statistics views, relation and database sizes, and DISCARD.
@Suite("pg_settings, pg_cursors, statistics views, sizes, DISCARD")
struct SystemCatalogMonitoringTests {
    private func texts(_ session: Session, _ sql: String) throws -> [[String]] {
        try session.execute(sql).rows.map { $0.map { $0.text ?? "NULL" } }
    }

    @Test("pg_settings shows the session's settings as PostgreSQL does, read when the statement runs")
    func settingsOfTheSession() throws {
        let db = try Database.inMemory()
        let session = db.session()
        let query = "SELECT name, setting, unit, vartype, source, context, boot_val, reset_val FROM pg_settings WHERE name IN ('work_mem', 'statement_timeout', 'TimeZone', 'myapp.tenant') ORDER BY name"
        #expect(try texts(session, query) == [
            ["TimeZone", "UTC", "NULL", "string", "default", "user", "UTC", "UTC"],
            ["statement_timeout", "0", "ms", "integer", "default", "user", "0", "0"],
            ["work_mem", "1048576", "kB", "integer", "default", "user", "1048576", "1048576"],
        ])
        try session.execute("SET work_mem = '4MB'")
        try session.execute("SET statement_timeout = '2s'")
        try session.execute("SET myapp.tenant = 'acme'")
        #expect(try texts(session, query) == [
            ["TimeZone", "UTC", "NULL", "string", "default", "user", "UTC", "UTC"],
            ["myapp.tenant", "acme", "NULL", "string", "session", "user", "NULL", "NULL"],
            ["statement_timeout", "2000", "ms", "integer", "session", "user", "0", "0"],
            ["work_mem", "4096", "kB", "integer", "session", "user", "1048576", "1048576"],
        ])
        let columns = try session.execute("SELECT * FROM pg_catalog.pg_settings LIMIT 0").columns.map(\.name)
        #expect(columns == ["name", "setting", "unit", "category", "short_desc", "extra_desc", "context", "vartype", "source",
                            "min_val", "max_val", "enumvals", "boot_val", "reset_val", "sourcefile", "sourceline", "pending_restart"])
        #expect(try texts(session, "SELECT setting FROM pg_settings WHERE name = 'transaction_isolation'") == [["read committed"]])
        #expect(try texts(db.session(), "SELECT setting FROM pg_settings WHERE name = 'work_mem'") == [["1048576"]],
                "another session has its own settings")
    }

    @Test("a prepared read of pg_settings sees a SET made after it was planned")
    func settingsAreNotFrozenInThePlan() throws {
        let db = try Database.inMemory()
        let session = db.session()
        let statement = try Parser.parseStatement("SELECT setting FROM pg_settings WHERE name = 'application_name'")
        let cache = PlanCache()
        #expect(try session.execute(statement, [], planCache: cache).rows == [[.text("")]])
        try session.execute("SET application_name = 'grafana'")
        #expect(try session.execute(statement, [], planCache: cache).rows == [[.text("grafana")]])
    }

    @Test("pg_cursors lists the session's open cursors")
    func cursorsOfTheSession() throws {
        let db = try Database.inMemory()
        let session = db.session()
        #expect(try texts(session, "SELECT count(*) FROM pg_cursors") == [["0"]])
        try session.execute("BEGIN")
        try session.execute("DECLARE c1 CURSOR FOR SELECT 1")
        try session.execute("DECLARE c2 CURSOR WITH HOLD FOR SELECT 2")
        #expect(try texts(session, "SELECT name, statement, is_holdable, is_binary, is_scrollable, creation_time IS NOT NULL FROM pg_cursors ORDER BY name")
                == [["c1", "DECLARE c1 CURSOR WITHOUT HOLD FOR SELECT 1", "f", "f", "t", "t"],
                    ["c2", "DECLARE c2 CURSOR WITH HOLD FOR SELECT 2", "t", "f", "t", "t"]])
        #expect(try texts(db.session(), "SELECT count(*) FROM pg_cursors") == [["0"]], "another session's cursors are not listed")
        try session.execute("COMMIT")
        #expect(try texts(session, "SELECT name FROM pg_cursor()") == [["c2"]])
    }

    @Test("schemata, pg_views and the statistics views follow the catalog")
    func monitoringRelations() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE big (id bigint PRIMARY KEY, tag text)")
        try db.execute("CREATE INDEX big_tag ON big (tag)")
        try db.execute("CREATE VIEW tagged AS SELECT id FROM big WHERE tag IS NOT NULL")
        try db.execute("INSERT INTO big SELECT g, 't' || g FROM generate_series(1, 30) g")
        #expect(try rows(db, "SELECT schema_name FROM information_schema.schemata ORDER BY 1")
                == [["information_schema"], ["pg_catalog"], ["public"], ["vireo"]], "vireo: Vireo's own tables")
        #expect(try rows(db, "SELECT schemaname, viewname, viewowner, definition FROM pg_views")
                == [["public", "tagged", SystemCatalog.ownerName, " SELECT id FROM big WHERE tag IS NOT NULL;"]])
        let activity = "SELECT relid = 'big'::regclass, schemaname, relname, n_live_tup, seq_scan, last_analyze FROM pg_stat_user_tables"
        #expect(try rows(db, activity) == [["t", "public", "big", "0", "0", "NULL"]])
        try db.execute("ANALYZE big")
        #expect(try rows(db, activity) == [["t", "public", "big", "30", "0", "NULL"]])
        #expect(try rows(db, "SELECT relname FROM pg_stat_all_tables") == [["big"]])
        #expect(try rows(db, "SELECT relname, heap_blks_read, toast_blks_read FROM pg_statio_user_tables") == [["big", "0", "NULL"]])
        #expect(try rows(db, "SELECT indexrelname FROM pg_stat_user_indexes ORDER BY 1") == [["big_pkey"], ["big_tag"]])
        for empty in ["pg_matviews", "pg_sequences", "pg_locks"] {
            #expect(try rows(db, "SELECT count(*) FROM \(empty)") == [["0"]], "\(empty)")
        }
        #expect(try db.execute("SELECT relid, relname FROM pg_stat_user_tables").columns.map(\.type) == [.oid, .name])
    }

    @Test("relation sizes take a name or an OID; pg_database_size the database's name or OID")
    func sizes() throws {
        try withTemporaryDirectory { directory in
            let db = try Database.open(path: directory + "/sizes.db")
            try db.execute("CREATE TABLE big (id bigint PRIMARY KEY, tag text); CREATE INDEX big_tag ON big (tag)")
            let page = Int64(StorageFormat.pageSizeBytes)
            func size(_ sql: String) throws -> Int64 {
                guard case .int(let bytes)? = try db.execute("SELECT " + sql).rows.first?.first else { throw VireoError(.internalError, sql) }
                return bytes
            }
            // Empty: one leaf page each for the table and the index.
            #expect(try size("pg_relation_size('big')") == page)
            #expect(try size("pg_indexes_size('big')") == page)
            try db.execute("INSERT INTO big SELECT n, repeat('tag ', 20) || n FROM generate_series(1, 5000) n")
            let table = try size("pg_relation_size('big')"), index = try size("pg_relation_size('big_tag')")
            #expect(table > 20 * page && table % page == 0, "5,000 rows of about 90 bytes take many pages: \(table)")
            #expect(index > 10 * page && index % page == 0, "\(index)")
            #expect(try size("pg_table_size('big')") == table)
            #expect(try size("pg_indexes_size('big')") == index, "the row-id primary key is the table's own tree")
            #expect(try size("pg_total_relation_size('big')") == table + index)
            #expect(try size("pg_relation_size('big_pkey')") == 0)
            #expect(try size("pg_indexes_size('big_tag')") == 0)
            #expect(try size("pg_relation_size('big', 'fsm')") == 0)
            for function in ["pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_indexes_size"] {
                let sameWays = try rows(db, "SELECT \(function)('big') = \(function)('public.big'), \(function)('big'::regclass) = \(function)(oid) FROM pg_class WHERE relname = 'big'")
                #expect(sameWays == [["t", "t"]], "\(function)")
                #expect(sqlError(db, "SELECT \(function)('nope')")?.sqlState == "42P01", "\(function)")
            }
            #expect(try rows(db, "SELECT pg_relation_size(12345)") == [["NULL"]], "an OID of nothing")
            let size = try db.execute("SELECT pg_database_size(current_database()), pg_database_size(oid) FROM pg_database").rows
            guard case .int(let bytes) = size.first?[0] else {
                Issue.record("pg_database_size gave \(size)")
                return
            }
            #expect(bytes > 0)
            #expect(size.first?[1] == .int(bytes))
            #expect(sqlError(db, "SELECT pg_database_size('other')")?.sqlState == "3D000")
        }
    }

    @Test("DISCARD ALL resets settings, closes cursors and releases advisory locks, outside a transaction block only")
    func discardAll() throws {
        let db = try Database.inMemory()
        let session = db.session(), other = db.session()
        try session.execute("SET work_mem = '8MB'")
        try session.execute("DECLARE kept CURSOR WITH HOLD FOR SELECT 1")
        try session.execute("SELECT pg_advisory_lock(7)")
        try session.execute("BEGIN")
        #expect(sqlError(session, "DISCARD ALL")?.sqlState == "25001")
        try session.execute("ROLLBACK")
        #expect(try session.execute("DISCARD ALL").commandTag == "DISCARD ALL")
        #expect(try texts(session, "SHOW work_mem") == [["1GB"]])
        #expect(try texts(session, "SELECT count(*) FROM pg_cursors") == [["0"]])
        #expect(try texts(other, "SELECT pg_try_advisory_lock(7)") == [["t"]])
        for (sql, tag) in [("DISCARD PLANS", "DISCARD PLANS"), ("discard sequences", "DISCARD SEQUENCES"),
                           ("DISCARD TEMP", "DISCARD TEMP"), ("DISCARD TEMPORARY", "DISCARD TEMP")] {
            #expect(try session.execute(sql).commandTag == tag)
        }
        #expect(sqlError(session, "DISCARD everything")?.sqlState == "42601")
    }

    @Test("pg_cancel_backend and pg_terminate_backend reach the handler a server installs; without one no pid is a backend")
    func backendSignals() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT pg_cancel_backend(4711), pg_terminate_backend(4711), pg_cancel_backend(NULL)") == [["f", "f", "NULL"]])
        let received = Mutex<[String]>([])
        db.backendSignals.install { processID, signal in
            received.withLock { $0.append("\(signal) \(processID)") }
            return processID == 7
        }
        #expect(try rows(db, "SELECT pg_cancel_backend(7), pg_terminate_backend(7, 1000), pg_cancel_backend(8), pg_cancel_backend(99999999999)")
                == [["t", "t", "f", "f"]])
        #expect(received.withLock { $0 } == ["cancel 7", "terminate 7", "cancel 8"])
    }
}
