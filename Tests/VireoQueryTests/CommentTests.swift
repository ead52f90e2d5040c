import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// COMMENT ON TABLE / COLUMN kept in the catalog (across a reopen and renames), and ANALYZE
/// accepted with PostgreSQL's errors for what does not exist.
@Suite("COMMENT ON and ANALYZE")
struct CommentTests {
    @Test("comments survive a reopen and a column rename; IS NULL removes one")
    func comments() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/comments.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("CREATE TABLE t (id int, label text)")
                try db.execute("COMMENT ON TABLE t IS 'Things'")
                try db.execute("COMMENT ON COLUMN t.label IS 'Their names'")
                try db.close()
            }
            let db = try Database.open(path: path)
            try db.execute("ALTER TABLE t RENAME COLUMN label TO name")
            #expect(try rows(db, "SELECT obj_description('t'::regclass, 'pg_class'), col_description('t'::regclass, 2)")
                == [["Things", "Their names"]])
            try db.execute("COMMENT ON COLUMN t.name IS NULL")
            #expect(try rows(db, "SELECT objsubid, description FROM pg_description WHERE classoid = 'pg_class'::regclass") == [["0", "Things"]])
            #expect(sqlError(db, "COMMENT ON COLUMN t.nope IS 'x'")?.sqlState == "42703")
            #expect(sqlError(db, "COMMENT ON TABLE nope IS 'x'")?.sqlState == "42P01")
            #expect(sqlError(db, "COMMENT ON INDEX i IS 'x'")?.sqlState == "0A000")
            try db.close()
        }
    }

    @Test("ANALYZE is accepted for existing tables and columns only")
    func analyze() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (a int)")
        #expect(try db.execute("ANALYZE").commandTag == "ANALYZE")
        #expect(try db.execute("ANALYZE VERBOSE t (a)").commandTag == "ANALYZE")
        #expect(sqlError(db, "ANALYZE t (b)")?.sqlState == "42703")
        #expect(sqlError(db, "ANALYZE missing")?.sqlState == "42P01")
    }
}
