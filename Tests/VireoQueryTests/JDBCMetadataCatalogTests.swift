import Testing
@testable import VireoQuery
import VireoStorage

/// The catalog entries pgJDBC's DatabaseMetaData reads that Vireo lacked (found by
/// Tests/e2e/test_jdbc_metadata.py, which compares every method with PostgreSQL 15); the
/// expected answers are PostgreSQL 15's for the same schema.
@Suite("Catalog entries DatabaseMetaData reads")
struct JDBCMetadataCatalogTests {
    private func schema() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE authors (id integer PRIMARY KEY, email varchar(80) UNIQUE);
            CREATE TABLE books (id bigint PRIMARY KEY, author_id integer REFERENCES authors (id), email varchar(80) REFERENCES authors (email));
            CREATE VIEW cheap AS SELECT id FROM books
            """)
        return db
    }

    @Test("a foreign key's conindid is the referenced table's unique index over its columns (getImportedKeys' PK_NAME)")
    func foreignKeyIndex() throws {
        let db = try schema()
        #expect(try rows(db, """
            SELECT con.conname, ic.relname FROM pg_constraint con JOIN pg_class ic ON ic.oid = con.conindid
            WHERE con.contype = 'f' ORDER BY 1
            """) == [["books_author_id_fkey", "authors_pkey"], ["books_email_fkey", "authors_email_key"]])
    }

    @Test("tables and views have a row type in pg_type, named by pg_class.reltype (getUDTs)")
    func rowTypes() throws {
        let db = try schema()
        #expect(try rows(db, """
            SELECT c.relname, t.typname, t.typtype, t.typcategory, t.typlen, t.typrelid = c.oid FROM pg_class c
            JOIN pg_type t ON t.oid = c.reltype ORDER BY 1
            """) == [["authors", "authors", "c", "C", "-1", "t"], ["books", "books", "c", "C", "-1", "t"], ["cheap", "cheap", "c", "C", "-1", "t"]])
        #expect(try rows(db, "SELECT count(*) FROM pg_class WHERE relkind = 'i' AND reltype <> 0") == [["0"]])
    }

    @Test("current_database() is of type name, as pgJDBC's getFunctions describes FUNCTION_CAT")
    func currentDatabaseType() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT pg_typeof(current_database()), current_database() = 'vireo'") == [["name", "t"]])
    }
}
