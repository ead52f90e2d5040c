import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// CHECK constraints with PostgreSQL 15's names, errors and NULL rule, on every path that
/// writes a row, kept in the catalog across a reopen.
@Suite("CHECK constraints")
struct CheckConstraintTests {
    @Test("column and table CHECKs get PostgreSQL's default names and refuse rows with 23514")
    func namesAndEnforcement() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id int PRIMARY KEY, x int CHECK (x > 0), y int, z text,
                            CHECK (y > x), CHECK (y < 100), CONSTRAINT z_short CHECK (length(z) < 4))
            """)
        #expect(try rows(db, "SELECT conname FROM pg_constraint WHERE contype = 'c' ORDER BY conname")
            == [["t_check"], ["t_x_check"], ["t_y_check"], ["z_short"]])
        try db.execute("INSERT INTO t VALUES (1, 1, 2, 'abc')")
        let error = sqlError(db, "INSERT INTO t VALUES (2, 0, 5, 'a')")
        #expect(error?.sqlState == "23514")
        #expect(error?.message == "new row for relation \"t\" violates check constraint \"t_x_check\"")
        #expect(sqlError(db, "INSERT INTO t VALUES (2, 5, 1, 'a')")?.message.contains("\"t_check\"") == true)
        #expect(sqlError(db, "INSERT INTO t VALUES (2, 5, 100, 'a')")?.message.contains("\"t_y_check\"") == true)
        #expect(sqlError(db, "INSERT INTO t VALUES (2, 5, 6, 'abcd')")?.message.contains("\"z_short\"") == true)
        // NULL results pass, as in PostgreSQL.
        try db.execute("INSERT INTO t VALUES (3, NULL, NULL, NULL)")
        #expect(sqlError(db, "UPDATE t SET x = -1 WHERE id = 1")?.sqlState == "23514")
        #expect(sqlError(db, "INSERT INTO t VALUES (1, 1, 2, 'a') ON CONFLICT (id) DO UPDATE SET y = 0")?.sqlState == "23514")
        try db.execute("INSERT INTO t VALUES (1, 1, 2, 'a') ON CONFLICT (id) DO UPDATE SET y = 50")
        #expect(try rows(db, "SELECT id, x, y FROM t ORDER BY id") == [["1", "1", "50"], ["3", "NULL", "NULL"]])
        #expect(sqlError(db, "CREATE TABLE u (a int CHECK (a + 1))")?.sqlState == "42804")
        #expect(sqlError(db, "CREATE TABLE u (a int CHECK (b > 0))")?.sqlState == "42703")
        #expect(sqlError(db, "CREATE TABLE u (a int, CONSTRAINT c CHECK (a > 0), CONSTRAINT c CHECK (a < 9))")?.sqlState == "42710")
    }

    @Test("ALTER TABLE ADD CHECK validates existing rows; DROP CONSTRAINT removes one")
    func alter() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int, b int)")
        try db.execute("INSERT INTO t VALUES (1, 10), (2, 20)")
        let error = sqlError(db, "ALTER TABLE t ADD CHECK (a > 1)")
        #expect(error?.sqlState == "23514")
        #expect(error?.message == "check constraint \"t_a_check\" of relation \"t\" is violated by some row")
        try db.execute("ALTER TABLE t ADD CHECK (b > a)")
        try db.execute("ALTER TABLE t ADD CONSTRAINT small CHECK (b < 100)")
        #expect(sqlError(db, "INSERT INTO t VALUES (5, 1)")?.message.contains("\"t_check\"") == true)
        #expect(sqlError(db, "INSERT INTO t VALUES (5, 500)")?.message.contains("\"small\"") == true)
        try db.execute("ALTER TABLE t DROP CONSTRAINT small")
        try db.execute("INSERT INTO t VALUES (5, 500)")
        #expect(sqlError(db, "ALTER TABLE t DROP CONSTRAINT small")?.sqlState == "42704")
        try db.execute("ALTER TABLE t DROP CONSTRAINT IF EXISTS small")
        #expect(try rows(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 't_check'") == [["CHECK ((b > a))"]])
        // Dropping a column drops the constraints that read it.
        try db.execute("ALTER TABLE t DROP COLUMN b")
        try db.execute("INSERT INTO t VALUES (9)")
        #expect(try rows(db, "SELECT count(*) FROM pg_constraint WHERE contype = 'c'") == [["0"]])
    }

    @Test("CHECK constraints survive a reopen and are enforced after it")
    func persistence() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/checks.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("CREATE TABLE t (n int CHECK (n >= 0))")
                try db.execute("ALTER TABLE t ADD CONSTRAINT below CHECK (n < 10)")
                try db.close()
            }
            let db = try Database.open(path: path)
            #expect(sqlError(db, "INSERT INTO t VALUES (-1)")?.message.contains("\"t_n_check\"") == true)
            #expect(sqlError(db, "INSERT INTO t VALUES (10)")?.message.contains("\"below\"") == true)
            try db.execute("INSERT INTO t VALUES (5)")
            try db.close()
        }
    }
}
