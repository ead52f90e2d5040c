import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE / REFRESH / DROP MATERIALIZED VIEW: stored rows, indexes, WITH NO DATA (55000),
/// pg_class relkind 'm' and pg_matviews, PostgreSQL's errors, reopen.
@Suite("Materialized views")
struct MaterializedViewTests {
    private func source(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE src (id int PRIMARY KEY, v text);
            INSERT INTO src VALUES (1, 'a'), (2, 'b');
            CREATE MATERIALIZED VIEW mv AS SELECT id, upper(v) AS u FROM src;
            CREATE MATERIALIZED VIEW empty_mv AS SELECT id FROM src WITH NO DATA
            """)
    }

    @Test("the rows are the query's as of the last REFRESH, and an index can be made on them")
    func refresh() throws {
        let db = try Database.inMemory()
        try source(db)
        try db.execute("CREATE INDEX mv_id ON mv (id); INSERT INTO src VALUES (3, 'c')")
        #expect(try rows(db, "SELECT count(*) FROM mv") == [["2"]])
        #expect(try db.execute("REFRESH MATERIALIZED VIEW mv").commandTag == "REFRESH MATERIALIZED VIEW")
        #expect(try rows(db, "SELECT id, u FROM mv WHERE id >= 2 ORDER BY id") == [["2", "B"], ["3", "C"]])
        #expect(try db.execute("CREATE MATERIALIZED VIEW mv2 AS SELECT * FROM src").commandTag == "SELECT 3")
    }

    @Test("WITH NO DATA leaves it unreadable (55000) until REFRESH fills it")
    func unpopulated() throws {
        let db = try Database.inMemory()
        try source(db)
        let error = sqlError(db, "SELECT * FROM empty_mv")
        #expect(error?.sqlState == "55000" && error?.message == "materialized view \"empty_mv\" has not been populated")
        try db.execute("REFRESH MATERIALIZED VIEW empty_mv")
        #expect(try rows(db, "SELECT count(*) FROM empty_mv") == [["2"]])
        try db.execute("REFRESH MATERIALIZED VIEW empty_mv WITH NO DATA")
        #expect(sqlError(db, "SELECT count(*) FROM empty_mv")?.sqlState == "55000")
    }

    @Test("the catalog shows relkind m and pg_matviews; pg_tables does not list it")
    func catalogRows() throws {
        let db = try Database.inMemory()
        try source(db)
        #expect(try rows(db, "SELECT relname, relkind FROM pg_class WHERE relname LIKE '%mv' ORDER BY relname") == [["empty_mv", "m"], ["mv", "m"]])
        #expect(try rows(db, "SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1") == [["empty_mv", "f"], ["mv", "t"]])
        #expect(try rows(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == [["src"]])
    }

    @Test("writes, DROP TABLE and DROP MATERIALIZED VIEW of the wrong kind are PostgreSQL's errors")
    func errors() throws {
        let db = try Database.inMemory()
        try source(db)
        #expect(sqlError(db, "INSERT INTO mv VALUES (9, 'x')")?.message == "cannot change materialized view \"mv\"")
        #expect(sqlError(db, "DELETE FROM mv")?.sqlState == "42809")
        #expect(sqlError(db, "DROP TABLE mv")?.message == "\"mv\" is not a table")
        #expect(sqlError(db, "DROP MATERIALIZED VIEW src")?.message == "\"src\" is not a materialized view")
        #expect(sqlError(db, "DROP MATERIALIZED VIEW nosuch")?.sqlState == "42P01")
        #expect(sqlError(db, "REFRESH MATERIALIZED VIEW src")?.sqlState == "0A000")
        #expect(sqlError(db, "REFRESH MATERIALIZED VIEW nosuch")?.sqlState == "42P01")
        try db.execute("DROP MATERIALIZED VIEW IF EXISTS nosuch; DROP MATERIALIZED VIEW mv, empty_mv")
        #expect(try rows(db, "SELECT count(*) FROM pg_matviews") == [["0"]])
    }

    @Test("the rows and the definition survive reopen")
    func durable() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/matviews.vireo"
            var db = try Database.open(path: path)
            try source(db)
            try db.close()
            db = try Database.open(path: path)
            defer { try? db.close() }
            #expect(try rows(db, "SELECT id, u FROM mv ORDER BY id") == [["1", "A"], ["2", "B"]])
            try db.execute("INSERT INTO src VALUES (3, 'c'); REFRESH MATERIALIZED VIEW mv")
            #expect(try rows(db, "SELECT count(*) FROM mv") == [["3"]])
            #expect(sqlError(db, "SELECT * FROM empty_mv")?.sqlState == "55000")
        }
    }
}
