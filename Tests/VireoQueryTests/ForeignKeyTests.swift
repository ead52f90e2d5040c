import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// FOREIGN KEY constraints with PostgreSQL 15's names, messages, DETAILs and actions; kept
/// across a reopen; and safe under concurrent transactions (docs/transactions.md).
@Suite("FOREIGN KEY constraints")
struct ForeignKeyTests {
    private func parentAndChild(_ onDelete: String = "") throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE)")
        try db.execute("CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id) \(onDelete))")
        try db.execute("INSERT INTO p VALUES (1, 'a'), (2, 'b')")
        return db
    }

    @Test("a missing referenced key is 23503 with PostgreSQL's message and DETAIL; NULL keys pass")
    func missingKey() throws {
        let db = try parentAndChild()
        let error = sqlError(db, "INSERT INTO c VALUES (1, 5)")
        #expect(error?.sqlState == "23503")
        #expect(error?.message == "insert or update on table \"c\" violates foreign key constraint \"c_p_id_fkey\"")
        #expect(error?.detail == "Key (p_id)=(5) is not present in table \"p\".")
        try db.execute("INSERT INTO c VALUES (1, 1), (2, NULL)")
        #expect(sqlError(db, "UPDATE c SET p_id = 7 WHERE id = 1")?.sqlState == "23503")
        #expect(try rows(db, "SELECT id, p_id FROM c ORDER BY id") == [["1", "1"], ["2", "NULL"]])
    }

    @Test("deleting a referenced row is 23503 ('is still referenced'); CASCADE and SET NULL act instead")
    func referencedRowDeleted() throws {
        let db = try parentAndChild()
        try db.execute("INSERT INTO c VALUES (1, 1)")
        let error = sqlError(db, "DELETE FROM p WHERE id = 1")
        #expect(error?.message == "update or delete on table \"p\" violates foreign key constraint \"c_p_id_fkey\" on table \"c\"")
        #expect(error?.detail == "Key (id)=(1) is still referenced from table \"c\".")
        try db.execute("DELETE FROM p WHERE id = 2")

        let cascading = try parentAndChild("ON DELETE CASCADE ON UPDATE CASCADE")
        try cascading.execute("INSERT INTO c VALUES (1, 1), (2, 2), (3, 1)")
        try cascading.execute("UPDATE p SET id = 20 WHERE id = 2")
        try cascading.execute("DELETE FROM p WHERE id = 1")
        #expect(try rows(cascading, "SELECT id, p_id FROM c ORDER BY id") == [["2", "20"]])

        let nulling = try parentAndChild("ON DELETE SET NULL")
        try nulling.execute("INSERT INTO c VALUES (1, 1), (2, 2)")
        try nulling.execute("DELETE FROM p WHERE id = 1")
        #expect(try rows(nulling, "SELECT id, p_id FROM c ORDER BY id") == [["1", "NULL"], ["2", "2"]])
    }

    @Test("NO ACTION is checked when the statement ends, RESTRICT at once")
    func noActionAndRestrict() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE list (id int PRIMARY KEY, next int REFERENCES list)")
        try db.execute("INSERT INTO list VALUES (3, 2), (2, 1), (1, NULL)")
        #expect(sqlError(db, "DELETE FROM list WHERE id = 1")?.sqlState == "23503")
        try db.execute("DELETE FROM list")
        #expect(try rows(db, "SELECT count(*) FROM list") == [["0"]])
        let restricted = try parentAndChild("ON DELETE RESTRICT")
        try restricted.execute("INSERT INTO c VALUES (1, 1)")
        #expect(sqlError(restricted, "DELETE FROM p WHERE id = 1")?.sqlState == "23503")
    }

    @Test("the referenced columns must be a primary key or unique (42830); types must compare (42804)")
    func declarationErrors() throws {
        let db = try parentAndChild()
        try db.execute("CREATE TABLE loose (a int)")
        #expect(sqlError(db, "CREATE TABLE x (a int REFERENCES loose)")?.message == "there is no primary key for referenced table \"loose\"")
        #expect(sqlError(db, "CREATE TABLE x (a int REFERENCES loose (a))")?.sqlState == "42830")
        #expect(sqlError(db, "CREATE TABLE x (a int, b int, FOREIGN KEY (a, b) REFERENCES p (id))")?.sqlState == "42830")
        #expect(sqlError(db, "CREATE TABLE x (a text REFERENCES p (id))")?.sqlState == "42804")
        #expect(sqlError(db, "CREATE TABLE x (a int REFERENCES nowhere)")?.sqlState == "42P01")
        try db.execute("CREATE TABLE x (a text REFERENCES p (code))")
    }

    @Test("DROP TABLE of a referenced table needs CASCADE (2BP01), which drops the constraint")
    func dropReferencedTable() throws {
        let db = try parentAndChild()
        let error = sqlError(db, "DROP TABLE p")
        #expect(error?.sqlState == "2BP01")
        #expect(error?.detail == "constraint c_p_id_fkey on table c depends on table p")
        try db.execute("DROP TABLE p CASCADE")
        try db.execute("INSERT INTO c VALUES (1, 99)")
        #expect(try rows(db, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == [["0"]])
    }

    @Test("foreign keys survive a reopen, keep their actions and follow renames")
    func persistence() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/keys.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("CREATE TABLE p (id int PRIMARY KEY)")
                try db.execute("CREATE TABLE c (id int, p_id int, CONSTRAINT to_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE)")
                try db.execute("INSERT INTO p VALUES (1), (2)")
                try db.execute("INSERT INTO c VALUES (1, 1), (2, 2)")
                try db.close()
            }
            let db = try Database.open(path: path)
            #expect(sqlError(db, "INSERT INTO c VALUES (3, 3)")?.message.contains("\"to_p\"") == true)
            try db.execute("ALTER TABLE p RENAME TO parent")
            try db.execute("ALTER TABLE parent RENAME COLUMN id TO pk")
            try db.execute("DELETE FROM parent WHERE pk = 1")
            #expect(try rows(db, "SELECT id FROM c") == [["2"]])
            #expect(try rows(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'")
                == [["FOREIGN KEY (p_id) REFERENCES parent(pk) ON DELETE CASCADE"]])
            try db.close()
        }
    }

    @Test("a child insert and a concurrent delete of its parent never both commit, in either order")
    func concurrentParentDelete() throws {
        for childFirst in [true, false] {
            let db = try parentAndChild()
            let child = db.session(), parent = db.session()
            try child.execute("BEGIN; INSERT INTO c VALUES (1, 1)")
            try parent.execute("BEGIN; DELETE FROM p WHERE id = 1")
            let (first, second) = childFirst ? (child, parent) : (parent, child)
            try first.execute("COMMIT")
            let error = sqlError(second, "COMMIT")
            #expect(error?.sqlState == "40001", "expected 40001 for the later commit, got \(String(describing: error))")
            let orphans = try rows(db, "SELECT count(*) FROM c WHERE p_id NOT IN (SELECT id FROM p)")
            #expect(orphans == [["0"]])
        }
    }

    @Test("two children of one parent inserted concurrently both commit")
    func concurrentChildren() throws {
        let db = try parentAndChild()
        let first = db.session(), second = db.session()
        try first.execute("BEGIN; INSERT INTO c VALUES (1, 1)")
        try second.execute("BEGIN; INSERT INTO c VALUES (2, 1)")
        try first.execute("COMMIT")
        try second.execute("COMMIT")
        #expect(try rows(db, "SELECT count(*) FROM c") == [["2"]])
    }

    @Test("TRUNCATE of a referenced table needs its referencing tables or CASCADE")
    func truncate() throws {
        let db = try parentAndChild()
        try db.execute("INSERT INTO c VALUES (1, 1)")
        #expect(sqlError(db, "TRUNCATE p")?.sqlState == "0A000")
        try db.execute("TRUNCATE p CASCADE")
        #expect(try rows(db, "SELECT (SELECT count(*) FROM p) + (SELECT count(*) FROM c)") == [["0"]])
    }
}
