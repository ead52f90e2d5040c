import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// INSERT, UPDATE and DELETE on simple views write through to the table as PostgreSQL 15's
/// automatically updatable views do: the view's WHERE limits UPDATE and DELETE, RETURNING
/// speaks in the view's columns, WITH CHECK OPTION refuses rows the view would not show
/// (44000), and views that cannot be written are refused with PostgreSQL's error (55000).
@Suite("updatable views")
struct UpdatableViewTests {
    static func populated() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price int DEFAULT 10, active boolean DEFAULT true);
            INSERT INTO items (name, price, active) VALUES ('a', 5, true), ('b', 50, false), ('c', 500, true), ('d', 7, true);
            CREATE VIEW live AS SELECT id, name AS label, price FROM items WHERE active;
            """)
        return db
    }

    @Test("INSERT through a view fills the table's other columns from their defaults, RETURNING the view's columns")
    func insert() throws {
        let db = try Self.populated()
        let result = try db.execute("INSERT INTO live (label, price) VALUES ('e', 1) RETURNING *")
        #expect(result.columns.map(\.name) == ["id", "label", "price"])
        #expect(result.rows.map { $0.map { $0.text ?? "NULL" } } == [["5", "e", "1"]])
        #expect(try rows(db, "SELECT name, price, active FROM items WHERE id = 5") == [["e", "1", "t"]])
        try db.execute("INSERT INTO live (label) VALUES ('f')")
        #expect(try rows(db, "SELECT price FROM items WHERE name = 'f'") == [["10"]])
    }

    @Test("UPDATE and DELETE see only the rows the view shows")
    func updateDelete() throws {
        let db = try Self.populated()
        let updated = try db.execute("UPDATE live SET price = price * 2 WHERE price < 100 RETURNING label, price")
        #expect(updated.commandTag == "UPDATE 2")
        #expect(Set(updated.rows.map { $0.map { $0.text ?? "NULL" } }) == [["a", "10"], ["d", "14"]])
        #expect(try rows(db, "SELECT price FROM items WHERE name = 'b'") == [["50"]], "an inactive row is not in the view")
        let deleted = try db.execute("DELETE FROM live WHERE label IN ('b', 'c') RETURNING id")
        #expect(deleted.rows.map { $0[0].text ?? "" } == ["3"])
        #expect(try rows(db, "SELECT name FROM items ORDER BY id") == [["a"], ["b"], ["d"]])
        #expect(try db.execute("UPDATE live SET label = 'z' WHERE label = 'b'").commandTag == "UPDATE 0")
    }

    @Test("a view of a view writes through both, and their WHEREs both apply")
    func nested() throws {
        let db = try Self.populated()
        try db.execute("CREATE VIEW cheap AS SELECT label, id FROM live WHERE price < 100")
        #expect(try db.execute("DELETE FROM cheap").commandTag == "DELETE 2")
        #expect(try rows(db, "SELECT name FROM items ORDER BY id") == [["b"], ["c"]])
        try db.execute("INSERT INTO cheap (label) VALUES ('g')")
        #expect(try rows(db, "SELECT name, price, active FROM items WHERE name = 'g'") == [["g", "10", "t"]])
    }

    @Test("CHECK OPTION: CASCADED checks the views below, LOCAL only its own WHERE (44000)")
    func checkOption() throws {
        let db = try Self.populated()
        try db.execute("CREATE VIEW live_checked AS SELECT * FROM items WHERE active WITH CHECK OPTION")
        let error = sqlError(db, "INSERT INTO live_checked (name, active) VALUES ('x', false)")
        #expect(error?.sqlState == "44000")
        #expect(error?.message == "new row violates check option for view \"live_checked\"")
        #expect(error?.detail?.hasPrefix("Failing row contains (") == true, "\(String(describing: error?.detail))")
        #expect(sqlError(db, "UPDATE live_checked SET active = false WHERE id = 1")?.sqlState == "44000")
        try db.execute("UPDATE live_checked SET price = 6 WHERE id = 1")
        try db.execute("CREATE VIEW cheap_local AS SELECT * FROM live WHERE price < 100 WITH LOCAL CHECK OPTION")
        try db.execute("CREATE VIEW cheap_cascaded AS SELECT * FROM live WHERE price < 100 WITH CASCADED CHECK OPTION")
        #expect(sqlError(db, "INSERT INTO cheap_local (label, price) VALUES ('y', 500)")?.sqlState == "44000")
        #expect(sqlError(db, "INSERT INTO cheap_cascaded (label, price) VALUES ('y', 500)")?.sqlState == "44000")
        try db.execute("UPDATE items SET active = true")
        try db.execute("CREATE VIEW under AS SELECT * FROM items WHERE price < 1000")
        try db.execute("CREATE VIEW over_local AS SELECT * FROM under WHERE price > 1 WITH LOCAL CHECK OPTION")
        try db.execute("CREATE VIEW over_cascaded AS SELECT * FROM under WHERE price > 1 WITH CASCADED CHECK OPTION")
        try db.execute("INSERT INTO over_local (name, price) VALUES ('big', 5000)")  // under's WHERE is not checked
        #expect(sqlError(db, "INSERT INTO over_cascaded (name, price) VALUES ('big2', 5000)")?.sqlState == "44000")
        #expect(try rows(db, "SELECT count(*) FROM items WHERE name LIKE 'big%'") == [["1"]])
    }

    @Test("computed columns are refused (0A000); views that cannot be written are refused with PostgreSQL's reason (55000)")
    func refusals() throws {
        let db = try Self.populated()
        try db.execute("CREATE VIEW doubled AS SELECT id, price * 2 AS twice, name FROM items")
        #expect(sqlError(db, "INSERT INTO doubled (id, twice) VALUES (9, 1)")?.sqlState == "0A000")
        #expect(sqlError(db, "INSERT INTO doubled VALUES (9, 1, 'x')")?.sqlState == "0A000")
        // Only the columns given values are targets, as in PostgreSQL: not the computed one,
        // so the row reaches the table's NOT NULL name (23502) instead of 0A000.
        #expect(sqlError(db, "INSERT INTO doubled VALUES (9)")?.sqlState == "23502")
        #expect(sqlError(db, "UPDATE doubled SET twice = 1")?.sqlState == "0A000")
        try db.execute("UPDATE doubled SET name = 'A' WHERE twice = 10")
        #expect(try rows(db, "SELECT name FROM items WHERE id = 1") == [["A"]])
        let refused: [(view: String, statement: String, detail: String)] = [
            ("CREATE VIEW g AS SELECT active, count(*) FROM items GROUP BY active", "DELETE FROM g", "Views containing GROUP BY are not automatically updatable."),
            ("CREATE VIEW d AS SELECT DISTINCT name FROM items", "UPDATE d SET name = 'x'", "Views containing DISTINCT are not automatically updatable."),
            ("CREATE VIEW l AS SELECT * FROM items LIMIT 1", "DELETE FROM l", "Views containing LIMIT or OFFSET are not automatically updatable."),
            ("CREATE VIEW u AS SELECT id FROM items UNION SELECT id FROM items", "DELETE FROM u", "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable."),
            ("CREATE VIEW j AS SELECT a.id FROM items a JOIN items b ON a.id = b.id", "DELETE FROM j", "Views that do not select from a single table or view are not automatically updatable."),
            ("CREATE VIEW agg AS SELECT max(price) FROM items", "DELETE FROM agg", "Views that return aggregate functions are not automatically updatable."),
            ("CREATE VIEW w AS SELECT id, row_number() OVER () FROM items", "DELETE FROM w", "Views that return window functions are not automatically updatable."),
            ("CREATE VIEW c AS SELECT 1 AS one", "INSERT INTO c VALUES (1)", "Views that do not select from a single table or view are not automatically updatable."),
        ]
        for (view, statement, detail) in refused {
            try db.execute(view)
            let error = sqlError(db, statement)
            #expect(error?.sqlState == "55000", "\(statement)")
            #expect(error?.detail == detail, "\(statement): \(String(describing: error?.detail))")
            #expect(error?.hint?.hasPrefix("To enable") == true, "\(statement)")
        }
        #expect(sqlError(db, "CREATE VIEW bad AS SELECT active, count(*) FROM items GROUP BY active WITH CHECK OPTION")?.sqlState == "0A000")
    }

    @Test("INSERT … ON CONFLICT into a view: view columns in the target and SET, the table's unique index as arbiter")
    func onConflict() throws {
        let db = try Self.populated()
        try db.execute("CREATE UNIQUE INDEX items_name ON items (name)")
        #expect(try rows(db, "INSERT INTO live VALUES (1, 'x', 1) ON CONFLICT (id) DO NOTHING RETURNING id") == [])
        let updated = try rows(db, """
            INSERT INTO live AS l VALUES (1, 'a', 3) ON CONFLICT (label) DO UPDATE SET price = l.price * excluded.price
            RETURNING id, label, price
            """)
        #expect(updated == [["1", "a", "15"]])
        // The view's WHERE (active) does not hide an existing row from the conflict, as in PostgreSQL.
        #expect(try rows(db, "INSERT INTO live VALUES (2, 'b', 1) ON CONFLICT (id) DO UPDATE SET label = 'bb' RETURNING *") == [["2", "bb", "50"]])
        #expect(try rows(db, "SELECT name, price, active FROM items WHERE id IN (1, 2) ORDER BY id") == [["a", "15", "t"], ["bb", "50", "f"]])
        #expect(sqlError(db, "INSERT INTO live VALUES (1, 'a', 1) ON CONFLICT (price) DO NOTHING")?.sqlState == "42P10")
        #expect(sqlError(db, "INSERT INTO live VALUES (1, 'a', 1) ON CONFLICT (name) DO NOTHING")?.sqlState == "42703")
        #expect(sqlError(db, "INSERT INTO live VALUES (1, 'a', 1) ON CONFLICT (id) DO UPDATE SET active = false")?.sqlState == "42703")
        try db.execute("CREATE VIEW cheap AS SELECT id, name, price FROM items WHERE price < 100 WITH CHECK OPTION")
        #expect(sqlError(db, "INSERT INTO cheap VALUES (1, 'a', 1) ON CONFLICT (id) DO UPDATE SET price = 500")?.sqlState == "44000")
        #expect(try rows(db, "SELECT price FROM items WHERE id = 1") == [["15"]])
    }

    @Test("the check option is kept in the catalog across a reopen")
    func durable() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/views.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("CREATE TABLE t (n int); CREATE VIEW positive AS SELECT n FROM t WHERE n > 0 WITH LOCAL CHECK OPTION")
                try db.close()
            }
            let db = try Database.open(path: path)
            #expect(sqlError(db, "INSERT INTO positive VALUES (-1)")?.sqlState == "44000")
            try db.execute("INSERT INTO positive VALUES (1)")
            #expect(try rows(db, "SELECT n FROM t") == [["1"]])
        }
    }
}
