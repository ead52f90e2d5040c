import Testing
@testable import VireoQuery
import VireoStorage

@Suite("SQL: tables, rows and queries")
struct SQLBasicsTests {
    @Test("create, insert, select with WHERE, ORDER BY and LIMIT")
    func basics() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, age int, score double precision)")
        let inserted = try db.execute("INSERT INTO users (name, age, score) VALUES ('ann', 31, 1.5), ('bob', 25, NULL), ('cy', 40, 3) RETURNING id, name")
        #expect(inserted.rows.map { $0.map { $0.text ?? "NULL" } } == [["1", "ann"], ["2", "bob"], ["3", "cy"]])
        #expect(inserted.commandTag == "INSERT 0 3")
        #expect(try rows(db, "SELECT name FROM users WHERE age > 26 ORDER BY age DESC") == [["cy"], ["ann"]])
        #expect(try rows(db, "SELECT name, score FROM users ORDER BY score NULLS FIRST LIMIT 2") == [["bob", "NULL"], ["ann", "1.5"]])
        #expect(try rows(db, "SELECT count(*), sum(age), avg(age), min(name), max(score) FROM users") == [["3", "96", "32.0000000000000000", "ann", "3"]])
        #expect(try rows(db, "SELECT id FROM users WHERE id = $1", [.int(2)]) == [["2"]])
        #expect(try rows(db, "SELECT upper(name) || '!' AS shout FROM users WHERE name LIKE 'b%'") == [["BOB!"]])
    }

    @Test("update and delete with RETURNING, and three-valued logic")
    func updateDelete() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        try db.execute("INSERT INTO t VALUES (1, 10), (2, NULL), (3, 30)")
        #expect(try rows(db, "UPDATE t SET v = v + 1 WHERE v IS NOT NULL RETURNING id, v") == [["1", "11"], ["3", "31"]])
        #expect(try rows(db, "SELECT id FROM t WHERE NOT (v > 20) ORDER BY id") == [["1"]])
        #expect(try rows(db, "SELECT id FROM t WHERE v > 20 OR v IS NULL ORDER BY id") == [["2"], ["3"]])
        #expect(try rows(db, "DELETE FROM t WHERE id IN (1, 2) RETURNING id") == [["1"], ["2"]])
        #expect(try rows(db, "SELECT * FROM t") == [["3", "31"]])
    }

    @Test("group by, having, joins and subqueries")
    func groupsJoinsSubqueries() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE authors (id int PRIMARY KEY, name text);
            CREATE TABLE books (id int PRIMARY KEY, author_id int, title text, pages int);
            INSERT INTO authors VALUES (1, 'le guin'), (2, 'banks'), (3, 'nobody');
            INSERT INTO books VALUES (1, 1, 'dispossessed', 387), (2, 1, 'lathe', 184), (3, 2, 'player', 309);
            """)
        #expect(try rows(db, "SELECT a.name, count(b.id) FROM authors a LEFT JOIN books b ON b.author_id = a.id GROUP BY a.name ORDER BY a.name")
                == [["banks", "1"], ["le guin", "2"], ["nobody", "0"]])
        #expect(try rows(db, "SELECT author_id, sum(pages) FROM books GROUP BY author_id HAVING sum(pages) > 400") == [["1", "571"]])
        #expect(try rows(db, "SELECT name FROM authors WHERE id IN (SELECT author_id FROM books) ORDER BY 1") == [["banks"], ["le guin"]])
        #expect(try rows(db, "SELECT name FROM authors a WHERE NOT EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.id)") == [["nobody"]])
        #expect(try rows(db, "SELECT title FROM books WHERE pages = (SELECT max(pages) FROM books)") == [["dispossessed"]])
        #expect(try rows(db, "SELECT count(DISTINCT author_id) FROM books") == [["2"]])
    }

    @Test("constraints and errors carry their SQLSTATE")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE, n int NOT NULL)")
        try db.execute("INSERT INTO t VALUES (1, 'a', 1)")
        #expect(sqlError(db, "INSERT INTO t VALUES (1, 'b', 1)")?.sqlState == "23505")
        #expect(sqlError(db, "INSERT INTO t VALUES (2, 'a', 1)")?.sqlState == "23505")
        #expect(sqlError(db, "INSERT INTO t VALUES (3, 'c', NULL)")?.sqlState == "23502")
        #expect(sqlError(db, "SELECT * FROM missing")?.sqlState == "42P01")
        #expect(sqlError(db, "SELECT nope FROM t")?.sqlState == "42703")
        #expect(sqlError(db, "SELEC 1")?.sqlState == "42601")
        #expect(sqlError(db, "SELECT 1/0")?.sqlState == "22012")
        #expect(sqlError(db, "SELECT 'x'::int")?.sqlState == "22P02")
        #expect(try rows(db, "SELECT count(*) FROM t") == [["1"]])
    }

    @Test("transactions: commit, rollback, and an aborted block")
    func transactions() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE t (v int)")
        try session.execute("BEGIN; INSERT INTO t VALUES (1); ROLLBACK")
        #expect(try session.execute("SELECT count(*) FROM t").rows[0][0] == .int(0))
        try session.execute("BEGIN; INSERT INTO t VALUES (2)")
        #expect(try session.execute("SELECT count(*) FROM t").rows[0][0] == .int(1), "a transaction sees its own rows")
        #expect(try db.session().execute("SELECT count(*) FROM t").rows[0][0] == .int(0), "others do not, until commit")
        try session.execute("COMMIT")
        #expect(try db.session().execute("SELECT count(*) FROM t").rows[0][0] == .int(1))
        try session.execute("BEGIN")
        _ = try? session.execute("SELECT nope FROM t")
        let aborted = try? session.execute("SELECT 1")
        #expect(aborted == nil, "statements after an error in a block are refused")
        #expect(try session.execute("COMMIT").commandTag == "ROLLBACK")
    }
}

@Suite("SQL: PostgreSQL compatibility details")
struct CompatibilityTests {
    @Test("CREATE EXTENSION vector is accepted; SET LOCAL outside a block does nothing; unique violations show the key")
    func details() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        #expect(sqlError(db, "CREATE EXTENSION postgis")?.sqlState == "42704")
        // Text-search configurations: listed in pg_ts_config (psql's \dF), named by regconfig.
        #expect(try rows(db, "SELECT cfgname FROM pg_ts_config ORDER BY 1") == [["english"], ["simple"]])
        #expect(try rows(db, "SELECT to_tsvector('english'::regconfig, 'fat cats'), to_tsvector(cfgname::regconfig, 'cats') FROM pg_ts_config WHERE cfgname = 'simple'")
                == [["'cat':2 'fat':1", "'cats':1"]])
        #expect(sqlError(db, "SELECT 'klingon'::regconfig")?.sqlState == "42704")
        // asyncpg reads jit before it introspects a type, inside the caller's transaction.
        #expect(try rows(db, "SELECT current_setting('jit'), current_setting('enable_bitmapscan')") == [["off", "on"]])
        try db.execute("SET LOCAL hnsw.ef_search = 77")
        #expect(try rows(db, "SHOW hnsw.ef_search") == [["40"]])
        let session = db.session()
        try session.execute("BEGIN; SET LOCAL hnsw.ef_search = 77")
        #expect(try session.execute("SHOW hnsw.ef_search").rows == [[.text("77")]])
        try session.execute("COMMIT")
        #expect(try session.execute("SHOW hnsw.ef_search").rows == [[.text("40")]], "SET LOCAL ends with the transaction")
        try db.execute("CREATE TABLE u (email text UNIQUE)")
        try db.execute("INSERT INTO u VALUES ('a@x')")
        #expect(sqlError(db, "INSERT INTO u VALUES ('a@x')")?.detail == "Key (email)=(a@x) already exists.")
    }
}

@Suite("Planner: predicate pushdown into joins")
struct PushdownTests {
    @Test("WHERE parts move into the scans they read, and a comma join on an equality becomes a hash join")
    func pushdown() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id int PRIMARY KEY, x int);
            CREATE TABLE b (id int PRIMARY KEY, a_id int, y text);
            CREATE INDEX b_y ON b (y);
            INSERT INTO a VALUES (1, 10), (2, 20), (3, 30);
            INSERT INTO b VALUES (1, 1, 'p'), (2, 1, 'q'), (3, 2, 'p'), (4, 3, 'r');
            """)
        let sql = "SELECT a.id, b.id FROM a, b WHERE a.id = b.a_id AND b.y = 'p' AND a.x > 5 ORDER BY 1, 2"
        #expect(try rows(db, sql) == [["1", "1"], ["2", "3"]])
        let plan = try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
        #expect(plan.contains("Hash Join"), "\(plan)")
        #expect(plan.contains("Index Scan using b_y"), "\(plan)")
        #expect(!plan.contains("->  Filter"), "every WHERE part was pushed: \(plan)")
        let left = "SELECT a.id, b.id FROM a LEFT JOIN b ON b.a_id = a.id AND b.y = 'p' WHERE b.id IS NULL ORDER BY 1"
        #expect(try rows(db, left) == [["3", "NULL"]], "a condition on the right side of a LEFT JOIN stays above it")
    }
}

@Suite("Grouping keys agree with =")
struct GroupKeyTests {
    @Test("text groups and joins by its bytes, as = compares it; numbers by value")
    func textByBytes() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE a (x text); CREATE TABLE b (y text)")
        try db.execute("INSERT INTO a VALUES ($1)", [.text("\u{E9}")])
        try db.execute("INSERT INTO b VALUES ($1)", [.text("e\u{301}")])
        #expect(try rows(db, "SELECT count(*) FROM a, b WHERE a.x = b.y") == [["0"]])
        #expect(try rows(db, "SELECT count(DISTINCT v) FROM (SELECT x AS v FROM a UNION ALL SELECT y FROM b) s") == [["2"]])
        #expect(try rows(db, "SELECT count(DISTINCT v) FROM (SELECT 1 AS v UNION ALL SELECT 1.0) s") == [["1"]])
    }
}

@Suite("SERIAL sequences follow renames")
struct SequenceTests {
    @Test("renaming a table or its serial column keeps counting; dropping the table forgets the counter")
    func renames() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id serial PRIMARY KEY, v text)")
        try db.execute("INSERT INTO t (v) VALUES ('a'), ('b')")
        try db.execute("ALTER TABLE t RENAME TO u")
        try db.execute("INSERT INTO u (v) VALUES ('c')")
        try db.execute("ALTER TABLE u RENAME COLUMN id TO key")
        #expect(try rows(db, "INSERT INTO u (v) VALUES ('d') RETURNING key") == [["4"]])
        try db.execute("DROP TABLE u")
        try db.execute("CREATE TABLE u (key serial PRIMARY KEY, v text)")
        #expect(try rows(db, "INSERT INTO u (v) VALUES ('e') RETURNING key") == [["1"]])
    }
}

@Suite("Defaults")
struct DefaultTests {
    @Test("a DEFAULT is evaluated for each row; SET col = DEFAULT uses it too")
    func perRow() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, r double precision DEFAULT random(), n int DEFAULT 2 + 3)")
        try db.execute("INSERT INTO t (id) VALUES (1), (2), (3)")
        #expect(try rows(db, "SELECT count(DISTINCT r), min(n), max(n) FROM t") == [["3", "5", "5"]])
        try db.execute("UPDATE t SET n = 9 WHERE id = 1")
        try db.execute("UPDATE t SET n = DEFAULT WHERE id = 1")
        #expect(try rows(db, "SELECT n FROM t WHERE id = 1") == [["5"]])
    }
}
