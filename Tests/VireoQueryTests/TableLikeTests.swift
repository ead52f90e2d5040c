import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE TABLE … (LIKE source [INCLUDING …]) copies what PostgreSQL 15 copies.
@Suite("CREATE TABLE LIKE")
struct TableLikeTests {
    private func source() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE src (id int PRIMARY KEY, name text NOT NULL DEFAULT 'none', n int CHECK (n >= 0), code text UNIQUE)")
        return db
    }

    @Test("plain LIKE copies names, types and NOT NULL only")
    func plain() throws {
        let db = try source()
        try db.execute("CREATE TABLE copy (before int, LIKE src, after int)")
        #expect(try rows(db, "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'copy' ORDER BY ordinal_position")
            == [["before", "YES"], ["id", "NO"], ["name", "NO"], ["n", "YES"], ["code", "YES"], ["after", "YES"]])
        #expect(sqlError(db, "INSERT INTO copy (id, n) VALUES (1, 1)")?.sqlState == "23502", "no default copied, so name is NULL")
        try db.execute("INSERT INTO copy (id, name, n) VALUES (1, 'a', -1), (1, 'a', -1)")
        #expect(try rows(db, "SELECT count(*) FROM copy") == [["2"]], "neither the key, the unique index nor the CHECK came along")
    }

    @Test("INCLUDING ALL copies defaults, CHECKs under their names, and keys under the new table's names")
    func including() throws {
        let db = try source()
        try db.execute("CREATE TABLE copy (LIKE src INCLUDING ALL)")
        try db.execute("INSERT INTO copy (id, n, code) VALUES (1, 1, 'x')")
        #expect(try rows(db, "SELECT id, name FROM copy") == [["1", "none"]])
        #expect(sqlError(db, "INSERT INTO copy (id, n) VALUES (1, 2)")?.sqlState == "23505")
        #expect(sqlError(db, "INSERT INTO copy (id, n, code) VALUES (2, 2, 'x')")?.message.contains("copy_code_key") == true)
        #expect(sqlError(db, "INSERT INTO copy (id, n) VALUES (3, -1)")?.message.contains("src_n_check") == true)
        try db.execute("CREATE TABLE partial (LIKE src INCLUDING ALL EXCLUDING INDEXES)")
        try db.execute("INSERT INTO partial (id, n) VALUES (1, 1), (1, 1)")
        #expect(sqlError(db, "CREATE TABLE clash (LIKE src, id int)")?.sqlState == "42701")
        #expect(sqlError(db, "CREATE TABLE clash (LIKE nowhere)")?.sqlState == "42P01")
    }
}
