import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE DOMAIN: constraints checked on casts, stored values and defaults with PostgreSQL's
/// SQLSTATEs and messages; pg_type rows; DROP DOMAIN; reopen.
@Suite("Domains")
struct DomainTests {
    private func domains(_ db: Database) throws {
        try db.execute("""
            CREATE DOMAIN posint AS integer CHECK (VALUE > 0) CHECK (VALUE < 100);
            CREATE DOMAIN tag AS text NOT NULL DEFAULT 'none';
            CREATE DOMAIN required AS text NOT NULL;
            CREATE DOMAIN small AS int CONSTRAINT under_ten CHECK (VALUE < 10);
            CREATE TABLE items (id int PRIMARY KEY, qty posint, label tag, code required)
            """)
    }

    @Test("a column of a domain stores its base type's values and takes the domain's default")
    func columns() throws {
        let db = try Database.inMemory()
        try domains(db)
        try db.execute("INSERT INTO items (id, qty, code) VALUES (1, 5, 'a'), (2, NULL, 'b')")
        try db.execute("UPDATE items SET qty = qty + 1 WHERE id = 1")
        #expect(try rows(db, "SELECT id, qty, label, code, qty + 1 FROM items ORDER BY id") == [["1", "6", "none", "a", "7"], ["2", "NULL", "none", "b", "NULL"]])
        #expect(try rows(db, "SELECT 5::posint, CAST('7' AS small), NULL::posint") == [["5", "7", "NULL"]])
    }

    @Test("violations are 23514 and 23502 with PostgreSQL's messages, on casts, inserts, updates and defaults")
    func violations() throws {
        let db = try Database.inMemory()
        try domains(db)
        let check = sqlError(db, "INSERT INTO items (id, qty, code) VALUES (1, 0, 'a')")
        #expect(check?.sqlState == "23514" && check?.message == "value for domain posint violates check constraint \"posint_check\"")
        #expect(sqlError(db, "INSERT INTO items (id, qty, code) VALUES (1, 100, 'a')")?.message == "value for domain posint violates check constraint \"posint_check1\"")
        let missing = sqlError(db, "INSERT INTO items (id) VALUES (3)")
        #expect(missing?.sqlState == "23502" && missing?.message == "domain required does not allow null values")
        #expect(sqlError(db, "INSERT INTO items (id, code) VALUES (3, NULL)")?.sqlState == "23502")
        #expect(sqlError(db, "SELECT (-1)::posint")?.sqlState == "23514")
        #expect(sqlError(db, "SELECT 11::small")?.message == "value for domain small violates check constraint \"under_ten\"")
        #expect(sqlError(db, "SELECT NULL::required")?.sqlState == "23502")
        try db.execute("INSERT INTO items (id, qty, code) VALUES (1, 50, 'a')")
        #expect(sqlError(db, "UPDATE items SET qty = -5")?.sqlState == "23514")
        #expect(try rows(db, "SELECT qty FROM items") == [["50"]], "failed statements changed nothing")
    }

    @Test("DDL errors, pg_type rows and DROP DOMAIN")
    func catalogAndDrop() throws {
        let db = try Database.inMemory()
        try domains(db)
        #expect(try rows(db, "SELECT typname, typtype, typbasetype, typnotnull, typdefault FROM pg_type WHERE typtype = 'd' ORDER BY typname")
                == [["posint", "d", "23", "f", "NULL"], ["required", "d", "25", "t", "NULL"], ["small", "d", "23", "f", "NULL"], ["tag", "d", "25", "t", "'none'::text"]])
        #expect(sqlError(db, "CREATE DOMAIN posint AS int")?.sqlState == "42710")
        #expect(sqlError(db, "CREATE DOMAIN bad AS int CHECK (VALUE)")?.sqlState == "42804")
        #expect(sqlError(db, "CREATE DOMAIN bad AS int CHECK (x > 1)")?.sqlState == "42703")
        #expect(sqlError(db, "CREATE DOMAIN bad AS nosuchtype")?.sqlState == "42704")
        let drop = sqlError(db, "DROP DOMAIN posint")
        #expect(drop?.sqlState == "2BP01" && drop?.detail == "column qty of table items depends on type posint")
        #expect(sqlError(db, "DROP DOMAIN nosuch")?.message == "type \"nosuch\" does not exist")
        try db.execute("DROP DOMAIN IF EXISTS nosuch, small; DROP TABLE items; DROP DOMAIN posint; DROP TYPE tag")
        #expect(try rows(db, "SELECT typname FROM pg_type WHERE typtype = 'd'") == [["required"]])
    }

    @Test("domains and the columns of them survive reopen")
    func durable() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/domains.vireo"
            var db = try Database.open(path: path)
            try domains(db)
            try db.close()
            db = try Database.open(path: path)
            defer { try? db.close() }
            #expect(sqlError(db, "INSERT INTO items (id, qty, code) VALUES (1, 0, 'a')")?.sqlState == "23514")
            try db.execute("INSERT INTO items (id, qty, code) VALUES (1, 1, 'a')")
            #expect(try rows(db, "SELECT label FROM items") == [["none"]])
        }
    }
}
