import Testing
@testable import VireoQuery
import VireoStorage

/// What migration tools send after the first CREATE TABLE: ALTER COLUMN (defaults, NOT
/// NULL, types), UNIQUE and PRIMARY KEY constraints added and dropped, ALTER INDEX … RENAME,
/// and VACUUM, with PostgreSQL's errors.
@Suite("ALTER COLUMN, key constraints, ALTER INDEX, CREATE TABLE AS and VACUUM")
struct AlterColumnTests {
    private static func populated() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id bigserial PRIMARY KEY, name text, n int, f float8, emb vector(3));
            INSERT INTO t (name, n, f, emb) VALUES ('a', 1, 1.5, '[1,2,3]'), ('b', 2, 2.5, '[3,2,1]'), (NULL, 3, 3.5, NULL);
            CREATE INDEX t_n ON t (n);
            """)
        return db
    }

    @Test("SET and DROP DEFAULT change what later INSERTs take; identity, generated and serial columns refuse")
    func defaults() throws {
        let db = try Self.populated()
        try db.execute("ALTER TABLE t ALTER COLUMN name SET DEFAULT 'x' || 'y'")
        #expect(try rows(db, "INSERT INTO t (n) VALUES (4) RETURNING name") == [["xy"]])
        #expect(try rows(db, "SELECT column_default FROM information_schema.columns WHERE table_name = 't' AND column_name = 'name'")
            .joined().joined().contains("'x'"))
        try db.execute("ALTER TABLE t ALTER name DROP DEFAULT")
        #expect(try rows(db, "INSERT INTO t (n) VALUES (5) RETURNING name") == [["NULL"]])
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN name SET DEFAULT nope")?.sqlState == "42703")
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN missing SET DEFAULT 1")?.sqlState == "42703")
        try db.execute("CREATE TABLE g (id int GENERATED ALWAYS AS IDENTITY, a int, b int GENERATED ALWAYS AS (a * 2) STORED)")
        let identity = try #require(sqlError(db, "ALTER TABLE g ALTER COLUMN id SET DEFAULT 5"))
        #expect(identity.sqlState == "42601" && identity.message == "column \"id\" of relation \"g\" is an identity column")
        #expect(sqlError(db, "ALTER TABLE g ALTER COLUMN b DROP DEFAULT")?.message == "column \"b\" of relation \"g\" is a generated column")
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN id DROP DEFAULT")?.sqlState == "0A000")
    }

    @Test("SET NOT NULL checks the rows first (23502); DROP NOT NULL is refused for a primary key column")
    func notNull() throws {
        let db = try Self.populated()
        let refused = try #require(sqlError(db, "ALTER TABLE t ALTER COLUMN name SET NOT NULL"))
        #expect(refused.sqlState == "23502" && refused.message == "column \"name\" of relation \"t\" contains null values")
        try db.execute("UPDATE t SET name = 'c' WHERE name IS NULL; ALTER TABLE t ALTER COLUMN name SET NOT NULL")
        #expect(sqlError(db, "INSERT INTO t (n) VALUES (9)")?.sqlState == "23502")
        #expect(try rows(db, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'name'") == [["t"]])
        try db.execute("ALTER TABLE t ALTER COLUMN name DROP NOT NULL")
        try db.execute("INSERT INTO t (n) VALUES (9)")
        let key = try #require(sqlError(db, "ALTER TABLE t ALTER COLUMN id DROP NOT NULL"))
        #expect(key.sqlState == "42P16" && key.message == "column \"id\" is in a primary key")
    }

    @Test("TYPE converts every row, keeps the column's index usable, and follows PostgreSQL's casts")
    func changeType() throws {
        let db = try Self.populated()
        try db.execute("ALTER TABLE t ALTER COLUMN f TYPE int")
        #expect(try rows(db, "SELECT f FROM t ORDER BY id") == [["2"], ["2"], ["4"]], "float to integer rounds half to even")
        try db.execute("ALTER TABLE t ALTER COLUMN n TYPE bigint")
        try db.execute("ALTER TABLE t ALTER COLUMN n SET DATA TYPE text USING n::text || '!'")
        #expect(try rows(db, "SELECT id FROM t WHERE n = '2!'") == [["2"]])
        #expect(try rows(db, "EXPLAIN SELECT id FROM t WHERE n = '2!'").joined().joined().contains("Index Scan using t_n"))
        let automatic = try #require(sqlError(db, "ALTER TABLE t ALTER COLUMN name TYPE int"))
        #expect(automatic.sqlState == "42804" && automatic.message == "column \"name\" cannot be cast automatically to type integer")
        #expect(automatic.hint == "You might need to specify \"USING name::integer\".")
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN name TYPE int USING name::int")?.sqlState == "22P02", "'a' is not a number")
        #expect(try rows(db, "SELECT name FROM t ORDER BY id") == [["a"], ["b"], ["NULL"]], "a failed change leaves the rows")
        try db.execute("ALTER TABLE t ALTER COLUMN name TYPE varchar(1)")
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN name TYPE char(0)") != nil)
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN emb TYPE vector(2)")?.message == "expected 2 dimensions, not 3")
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN id TYPE text")?.sqlState == "0A000")
        try db.execute("ALTER TABLE t ALTER COLUMN id TYPE int")
        #expect(try rows(db, "INSERT INTO t (name) VALUES ('d') RETURNING id") == [["4"]])
    }

    @Test("TYPE is refused where a view, a vector index, a check or a foreign key reads the column")
    func typeDependents() throws {
        let db = try Self.populated()
        try db.execute("CREATE VIEW v AS SELECT n FROM t; CREATE INDEX t_emb ON t USING hnsw (emb vector_l2_ops)")
        let view = try #require(sqlError(db, "ALTER TABLE t ALTER COLUMN n TYPE bigint"))
        #expect(view.sqlState == "0A000" && view.message == "cannot alter type of a column used by a view or rule")
        try db.execute("ALTER TABLE t ALTER COLUMN name TYPE varchar(20)")  // the view does not read it
        #expect(sqlError(db, "ALTER TABLE t ALTER COLUMN emb TYPE vector(2)")?.message.contains("hnsw index \"t_emb\"") == true)
        try db.execute("CREATE TABLE c (k int PRIMARY KEY, a int CHECK (a > 0), p int REFERENCES c (k))")
        #expect(sqlError(db, "ALTER TABLE c ALTER COLUMN a TYPE bigint")?.message.contains("check constraint") == true)
        #expect(sqlError(db, "ALTER TABLE c ALTER COLUMN p TYPE bigint")?.message.contains("foreign key") == true)
    }

    @Test("ADD UNIQUE and PRIMARY KEY build a unique index from the rows; DROP CONSTRAINT drops it")
    func keyConstraints() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE u (a int, b text); INSERT INTO u VALUES (1, 'x'), (2, 'x'), (NULL, 'z')")
        #expect(sqlError(db, "ALTER TABLE u ADD CONSTRAINT u_b_uq UNIQUE (b)")?.sqlState == "23505")
        #expect(sqlError(db, "ALTER TABLE u ADD PRIMARY KEY (a)")?.sqlState == "23502")
        try db.execute("DELETE FROM u WHERE a IS NULL OR a = 2")
        try db.execute("ALTER TABLE u ADD CONSTRAINT u_b_uq UNIQUE (b), ADD PRIMARY KEY (a)")
        #expect(sqlError(db, "INSERT INTO u VALUES (3, 'x')")?.message == "duplicate key value violates unique constraint \"u_b_uq\"")
        #expect(sqlError(db, "INSERT INTO u VALUES (1, 'y')")?.message == "duplicate key value violates unique constraint \"u_pkey\"")
        #expect(try rows(db, "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'u'::regclass ORDER BY conname")
                == [["u_b_uq", "u"], ["u_pkey", "p"]])
        #expect(try rows(db, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'u'::regclass AND attname = 'a'") == [["t"]])
        let second = try #require(sqlError(db, "ALTER TABLE u ADD CONSTRAINT other PRIMARY KEY (b)"))
        #expect(second.sqlState == "42P16" && second.message == "multiple primary keys for table \"u\" are not allowed")
        try db.execute("CREATE TABLE child (x text REFERENCES u (b))")
        #expect(sqlError(db, "ALTER TABLE u DROP CONSTRAINT u_b_uq")?.sqlState == "2BP01")
        try db.execute("DROP TABLE child; ALTER TABLE u DROP CONSTRAINT u_b_uq; ALTER TABLE u DROP CONSTRAINT u_pkey")
        try db.execute("INSERT INTO u VALUES (1, 'x')")
        #expect(try rows(db, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'u'::regclass") == [["0"]])
        try db.execute("CREATE TABLE n (a int, CONSTRAINT n_a_unique UNIQUE (a))")
        #expect(try rows(db, "SELECT indexname FROM pg_indexes WHERE tablename = 'n'") == [["n_a_unique"]], "named as written")
        #expect(sqlError(db, "ALTER TABLE t_missing ADD UNIQUE (a)")?.sqlState == "42P01")
        #expect(sqlError(db, "ALTER TABLE n ADD UNIQUE (nope)")?.sqlState == "42703")
    }

    @Test("ALTER INDEX … RENAME TO renames B+tree and vector indexes; searches use the new name, also after reopening")
    func renameIndex() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/rename.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("""
                    CREATE TABLE t (id int PRIMARY KEY, k int, emb vector(2));
                    INSERT INTO t SELECT g, g % 5, ('[' || g || ',' || g * 2 || ']')::vector FROM generate_series(1, 50) g;
                    CREATE INDEX t_k ON t (k); CREATE INDEX t_emb ON t USING hnsw (emb vector_l2_ops);
                    SELECT id FROM t ORDER BY emb <-> '[1,2]' LIMIT 1;
                    ALTER INDEX t_k RENAME TO t_k_renamed; ALTER INDEX IF EXISTS t_emb RENAME TO t_emb_renamed;
                    """)
                #expect(sqlError(db, "ALTER INDEX t_k RENAME TO x")?.sqlState == "42P01")
                #expect(sqlError(db, "ALTER INDEX t_k_renamed RENAME TO t")?.sqlState == "42P07")
                #expect(sqlError(db, "ALTER INDEX t_pkey RENAME TO other")?.sqlState == "0A000")
                try db.execute("ALTER INDEX IF EXISTS nope RENAME TO x")
                try db.execute("INSERT INTO t VALUES (51, 1, '[100,200]')")
                #expect(try rows(db, "SELECT id FROM t ORDER BY emb <-> '[100,200]' LIMIT 1") == [["51"]])
                try db.close()
            }
            let db = try Database.open(path: path)
            let plan = try rows(db, "EXPLAIN SELECT id FROM t ORDER BY emb <-> '[3,6]' LIMIT 1").joined().joined()
            #expect(plan.contains("t_emb_renamed"), "\(plan)")
            #expect(try rows(db, "SELECT id FROM t ORDER BY emb <-> '[3,6]' LIMIT 1") == [["3"]])
            #expect(try rows(db, "SELECT count(*) FROM t WHERE k = 1") == [["11"]])
            #expect(try rows(db, "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1")
                    == [["t_emb_renamed"], ["t_k_renamed"], ["t_pkey"]])
        }
    }

    @Test("VACUUM [ANALYZE] checks its tables, gathers statistics when asked, and refuses a transaction block")
    func vacuum() throws {
        let db = try Self.populated()
        try db.execute("VACUUM")
        #expect(try rows(db, "SELECT reltuples FROM pg_class WHERE relname = 't'") != [["3"]])
        try db.execute("VACUUM (VERBOSE, ANALYZE) t (n)")
        #expect(try rows(db, "SELECT reltuples FROM pg_class WHERE relname = 't'") == [["3"]])
        try db.execute("VACUUM FULL ANALYZE")
        #expect(sqlError(db, "VACUUM nope")?.sqlState == "42P01")
        let session = try db.session()
        try session.execute("BEGIN")
        #expect(sqlError(session, "VACUUM")?.sqlState == "25001")
    }

    @Test("CREATE TABLE … AS makes a table of the query's columns and rows; WITH NO DATA only the columns")
    func createTableAs() throws {
        let db = try Self.populated()
        let created = try db.execute("CREATE TABLE copy AS SELECT id, name, n * 2 AS twice, 'x' AS tag FROM t WHERE n < 3")
        #expect(created.commandTag == "SELECT 2" && !created.returnsRows, "tagged as PostgreSQL tags it, without rows")
        #expect(try rows(db, "SELECT * FROM copy ORDER BY id") == [["1", "a", "2", "x"], ["2", "b", "4", "x"]])
        #expect(try rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'copy' ORDER BY ordinal_position")
                == [["id", "bigint"], ["name", "text"], ["twice", "integer"], ["tag", "text"]])
        try db.execute("CREATE TABLE named (k, v) AS WITH s AS (SELECT n, f FROM t) SELECT * FROM s WITH NO DATA")
        #expect(try rows(db, "SELECT count(*) FROM named") == [["0"]])
        try db.execute("INSERT INTO named VALUES (7, 0.5)")
        #expect(try rows(db, "SELECT k, v FROM named") == [["7", "0.5"]])
        #expect(try db.execute("CREATE TABLE IF NOT EXISTS named AS SELECT 1").commandTag == "CREATE TABLE AS")
        #expect(sqlError(db, "CREATE TABLE named AS SELECT 1")?.sqlState == "42P07")
        #expect(sqlError(db, "CREATE TABLE bad (a, b, c) AS SELECT 1, 2")?.sqlState == "42601")
        #expect(try db.execute("CREATE TABLE p AS SELECT $1::int AS x", [.int(5)]).commandTag == "SELECT 1")
        #expect(try rows(db, "SELECT x FROM p") == [["5"]])
        try db.execute("CREATE TABLE plain (a int, b text)")  // a column list still makes a plain table
    }

    @Test("pgvector is listed as an installed extension, beside the built-in one Vireo's own tables belong to")
    func extensionListed() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public")
        #expect(try rows(db, "SELECT extname, extversion, oid >= 16384 FROM pg_extension ORDER BY 1")
                == [["vector", SystemCatalog.pgvectorVersion, "t"], ["vireo", SystemCatalog.vireoVersion, "f"]])
    }
}
