import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE VIEW / DROP VIEW with PostgreSQL 15's semantics: views expand wherever a table
/// may appear, keep their columns, live in the catalog across reopens and crashes, and
/// refuse what PostgreSQL refuses with its SQLSTATEs.
@Suite("views")
struct ViewTests {
    static func setUp(_ db: Database) throws {
        try db.execute("CREATE TABLE emp (id int PRIMARY KEY, name text, dept text, salary int)")
        try db.execute("INSERT INTO emp VALUES (1, 'ada', 'eng', 120), (2, 'bob', 'eng', 100), (3, 'cy', 'ops', 90), (4, 'dee', NULL, 70)")
    }

    @Test("a view reads like a table in FROM, joins, subqueries and WITH queries")
    func expansion() throws {
        let db = try Database.inMemory()
        try Self.setUp(db)
        try db.execute("CREATE VIEW rich AS SELECT id, name, salary FROM emp WHERE salary >= 100")
        #expect(try rows(db, "SELECT name FROM rich ORDER BY id") == [["ada"], ["bob"]])
        #expect(try rows(db, "SELECT e.name, r.salary FROM emp e LEFT JOIN rich r ON r.id = e.id ORDER BY e.id")
            == [["ada", "120"], ["bob", "100"], ["cy", "NULL"], ["dee", "NULL"]])
        #expect(try rows(db, "SELECT count(*) FROM emp WHERE id IN (SELECT id FROM rich)") == [["2"]])
        #expect(try rows(db, "WITH w AS (SELECT * FROM rich WHERE id > 1) SELECT name FROM w") == [["bob"]])
        #expect(try rows(db, "SELECT x.name FROM (SELECT * FROM rich) x WHERE x.salary = 120") == [["ada"]])
        #expect(try rows(db, "SELECT rich.name FROM public.rich WHERE rich.id = 2") == [["bob"]])
        // A view of a view sees the table's current rows.
        try db.execute("CREATE VIEW rich_names AS SELECT upper(name) FROM rich")
        try db.execute("UPDATE emp SET salary = 130 WHERE id = 3")
        #expect(try rows(db, "SELECT * FROM rich_names ORDER BY 1") == [["ADA"], ["BOB"], ["CY"]])
        // A WITH name of the statement does not leak into the view's query.
        #expect(try rows(db, "WITH emp AS (SELECT 1 AS id) SELECT count(*) FROM rich") == [["3"]])
    }

    @Test("view columns are named as PostgreSQL names them, or by the column list")
    func columnNames() throws {
        let db = try Database.inMemory()
        try Self.setUp(db)
        try db.execute("CREATE VIEW d AS SELECT dept, count(*), sum(salary), salary + 1, 'x' AS lit FROM emp GROUP BY dept, salary")
        let grouped = try db.execute("SELECT * FROM d")
        #expect(grouped.columns.map(\.name) == ["dept", "count", "sum", "?column?", "lit"])
        #expect(grouped.columns.last?.type == .text)
        #expect(sqlError(db, "CREATE VIEW twice AS SELECT 1, 2")?.message == "column \"?column?\" specified more than once")
        try db.execute("CREATE VIEW n (a, b) AS SELECT id, name, salary FROM emp")
        let result = try db.execute("SELECT * FROM n WHERE a = 1")
        #expect(result.columns.map(\.name) == ["a", "b", "salary"])
        #expect(result.columns.map(\.type) == [.integer, .text, .integer])
        #expect(sqlError(db, "CREATE VIEW m (a, b, c) AS SELECT 1, 2")?.sqlState == "42601")
        #expect(sqlError(db, "CREATE VIEW m (a, a) AS SELECT 1, 2")?.sqlState == "42701")
        #expect(sqlError(db, "CREATE VIEW m AS SELECT 1 AS x, 2 AS x")?.sqlState == "42701")
        // SELECT * is fixed at creation: a later column does not appear.
        try db.execute("CREATE VIEW everything AS SELECT * FROM emp")
        try db.execute("ALTER TABLE emp ADD COLUMN extra int")
        #expect(try db.execute("SELECT * FROM everything").columns.map(\.name) == ["id", "name", "dept", "salary"])
    }

    @Test("names clash with tables and indexes (42P07); DML on a view that is not updatable is refused (55000)")
    func refusals() throws {
        let db = try Database.inMemory()
        try Self.setUp(db)
        try db.execute("CREATE VIEW v AS SELECT id FROM emp")
        #expect(sqlError(db, "CREATE VIEW emp AS SELECT 1")?.sqlState == "42P07")
        #expect(sqlError(db, "CREATE VIEW v AS SELECT 1")?.sqlState == "42P07")
        #expect(sqlError(db, "CREATE TABLE v (a int)")?.sqlState == "42P07")
        #expect(sqlError(db, "CREATE INDEX v ON emp (id)")?.sqlState == "42P07")
        #expect(sqlError(db, "CREATE OR REPLACE VIEW emp AS SELECT 1")?.sqlState == "42809")
        try db.execute("CREATE TABLE IF NOT EXISTS v (a int)")
        try db.execute("CREATE VIEW counted AS SELECT count(*) AS n FROM emp")
        #expect(sqlError(db, "INSERT INTO counted VALUES (9)")?.message == "cannot insert into view \"counted\"")
        #expect(sqlError(db, "UPDATE counted SET n = 1")?.sqlState == "55000")
        #expect(sqlError(db, "DELETE FROM counted")?.sqlState == "55000")
        #expect(sqlError(db, "TRUNCATE v")?.sqlState == "42809")
        #expect(sqlError(db, "DROP TABLE v")?.sqlState == "42809")
        #expect(sqlError(db, "DROP VIEW emp")?.sqlState == "42809")
        #expect(sqlError(db, "DROP VIEW nope")?.sqlState == "42P01")
        #expect(sqlError(db, "CREATE VIEW w AS SELECT * FROM nope")?.sqlState == "42P01")
        #expect(sqlError(db, "CREATE VIEW w AS SELECT $1")?.sqlState == "42P02")
        #expect(sqlError(db, "CREATE VIEW w AS WITH d AS (DELETE FROM emp RETURNING id) SELECT * FROM d")?.sqlState == "0A000")
        #expect(try rows(db, "SELECT count(*) FROM emp") == [["4"]])
    }

    @Test("OR REPLACE keeps the columns; CASCADE drops dependent views, RESTRICT refuses (2BP01)")
    func replaceAndDrop() throws {
        let db = try Database.inMemory()
        try Self.setUp(db)
        try db.execute("CREATE VIEW v AS SELECT id, name FROM emp")
        try db.execute("CREATE OR REPLACE VIEW v AS SELECT id, upper(name) AS name, dept FROM emp")
        #expect(try rows(db, "SELECT name, dept FROM v WHERE id = 1") == [["ADA", "eng"]])
        #expect(sqlError(db, "CREATE OR REPLACE VIEW v AS SELECT id FROM emp")?.sqlState == "42P16")
        #expect(sqlError(db, "CREATE OR REPLACE VIEW v AS SELECT id, dept AS nm, name FROM emp")?.sqlState == "42P16")
        #expect(sqlError(db, "CREATE OR REPLACE VIEW v AS SELECT name, id, dept FROM emp")?.sqlState == "42P16")
        try db.execute("CREATE VIEW w AS SELECT id FROM v WHERE dept = 'eng'")
        #expect(sqlError(db, "CREATE OR REPLACE VIEW v AS SELECT id, 'x' AS name, 'y' AS dept FROM w")?.sqlState == "42P17")
        #expect(sqlError(db, "DROP TABLE emp")?.sqlState == "2BP01")
        #expect(sqlError(db, "DROP VIEW v")?.sqlState == "2BP01")
        #expect(sqlError(db, "ALTER TABLE emp DROP COLUMN dept")?.sqlState == "2BP01")
        #expect(sqlError(db, "ALTER TABLE emp RENAME TO staff")?.sqlState == "0A000")
        try db.execute("ALTER TABLE emp DROP COLUMN salary")
        #expect(try rows(db, "SELECT count(*) FROM w") == [["2"]])
        try db.execute("DROP TABLE emp CASCADE")
        #expect(sqlError(db, "SELECT * FROM v")?.sqlState == "42P01")
        #expect(sqlError(db, "SELECT * FROM w")?.sqlState == "42P01")
        try db.execute("DROP VIEW IF EXISTS v, w")
    }

    @Test("a view rolled back with its transaction is gone; one committed survives a reopen")
    func persistence() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/views.vireo"
            do {
                let db = try Database.open(path: path)
                try Self.setUp(db)
                let session = db.session()
                try session.execute("BEGIN")
                try session.execute("CREATE VIEW gone AS SELECT 1")
                try session.execute("ROLLBACK")
                try db.execute("CREATE VIEW kept (who) AS SELECT name FROM emp WHERE dept = 'eng'")
                try db.execute("CREATE VIEW dropped AS SELECT 1")
                try db.execute("DROP VIEW dropped")
                try db.close()
            }
            let db = try Database.open(path: path)
            #expect(try rows(db, "SELECT who FROM kept ORDER BY who") == [["ada"], ["bob"]])
            #expect(sqlError(db, "SELECT * FROM gone")?.sqlState == "42P01")
            #expect(sqlError(db, "SELECT * FROM dropped")?.sqlState == "42P01")
            #expect(try db.store.checkIntegrity().isSound)
            try db.close()
        }
    }

    @Test("a committed view survives a power loss", arguments: [UInt64(1), 2, 3])
    func crash(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend)
        let path = "/sim/views.vireo"
        var db = try Database.open(path: path, options: options)
        try Self.setUp(db)
        try db.execute("CREATE VIEW v AS SELECT name FROM emp WHERE salary > 95")
        let report = backend.crash()
        db = try Database.open(path: path, options: options)
        #expect(try rows(db, "SELECT * FROM v ORDER BY name") == [["ada"], ["bob"]], "\(report)")
        try db.close()
    }

    @Test("pg_class, information_schema.tables and .views show views")
    func systemCatalog() throws {
        let db = try Database.inMemory()
        try Self.setUp(db)
        try db.execute("CREATE VIEW v AS SELECT id, name FROM emp")
        #expect(try rows(db, "SELECT relname, relkind FROM pg_class WHERE relname IN ('emp', 'v') ORDER BY 1") == [["emp", "r"], ["v", "v"]])
        #expect(try rows(db, "SELECT table_name, table_type FROM information_schema.tables ORDER BY 1") == [["emp", "BASE TABLE"], ["v", "VIEW"]])
        #expect(try rows(db, "SELECT table_name, is_updatable FROM information_schema.views") == [["v", "YES"]])
        #expect(try rows(db, "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'v' ORDER BY a.attnum") == [["id"], ["name"]])
        #expect(try rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'v' ORDER BY ordinal_position") == [["id", "integer"], ["name", "text"]])
        #expect(try rows(db, "SELECT pg_get_viewdef('v'::regclass) LIKE '%SELECT%'") == [["t"]])
        #expect(try rows(db, "SELECT relname FROM pg_class WHERE relname = 'v'") == [["v"]])
    }
}
