import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Partial indexes, indexes over expressions and multi-column B+tree indexes: their entries
/// follow random inserts, updates (rows moving in and out of a predicate), deletes and
/// rollbacks, and a power loss; every query the planner answers through one of them gives
/// what a full scan gives; uniqueness holds among the rows an index covers.
@Suite("indexes: partial, expression, multi-column")
struct IndexKindsTests {
    static let schema = """
        CREATE TABLE t (id int PRIMARY KEY, a int, b int, email text, del int);
        CREATE INDEX t_ab ON t (a, b);
        CREATE INDEX t_lower ON t (lower(email));
        CREATE INDEX t_live ON t (b) WHERE del IS NULL;
        CREATE INDEX t_big ON t (del) WHERE b > 50
        """

    /// Each query through an index, the same through a full scan (`+ 0` hides the key), and
    /// the index EXPLAIN must name.
    static let queries: [(indexed: String, scanned: String, index: String)] = [
        ("SELECT id FROM t WHERE a = $1 AND b > $2 ORDER BY id", "SELECT id FROM t WHERE a + 0 = $1 AND b + 0 > $2 ORDER BY id", "t_ab"),
        ("SELECT id FROM t WHERE a = $1 AND b = $2 ORDER BY id", "SELECT id FROM t WHERE a + 0 = $1 AND b + 0 = $2 ORDER BY id", "t_ab"),
        ("SELECT b FROM t WHERE a = $1 ORDER BY b LIMIT 4", "SELECT b FROM t WHERE a + 0 = $1 ORDER BY b LIMIT 4", "t_ab"),
        ("SELECT id FROM t WHERE lower(email) = 'm' || $1 ORDER BY id", "SELECT id FROM t WHERE lower(email) || '' = 'm' || $1 ORDER BY id", "t_lower"),
        ("SELECT id FROM t WHERE del IS NULL AND b = $1 ORDER BY id", "SELECT id FROM t WHERE del IS NULL AND b + 0 = $1 ORDER BY id", "t_live"),
        ("SELECT id FROM t WHERE b > 70 AND del = $1 % 2 ORDER BY id", "SELECT id FROM t WHERE b + 0 > 70 AND del + 0 = $1 % 2 ORDER BY id", "t_big"),
    ]

    static func row(_ random: inout SplitMix64, id: Int) -> String {
        let b = Int.random(in: 0...100, using: &random)
        let b1 = Int.random(in: 0..<8, using: &random) == 0 ? "NULL" : String(b)
        let email = ["'M\(Int.random(in: 0..<5, using: &random))'", "'m\(Int.random(in: 0..<5, using: &random))'", "NULL"].randomElement(using: &random)!
        let del = Bool.random(using: &random) ? "NULL" : "1"
        return "(\(id), \(Int.random(in: 0..<6, using: &random)), \(b1), \(email), \(del))"
    }

    static func setUp(_ db: Database, count: Int, seed: UInt64) throws {
        try db.execute(schema)
        var random = SplitMix64(seed: seed)
        let values = (1...count).map { row(&random, id: $0) }.joined(separator: ", ")
        try db.execute("INSERT INTO t VALUES \(values)")
    }

    /// One random change: an insert, an update of one column (moving rows across the
    /// predicates), a delete, or a transaction of changes rolled back.
    static func change(_ db: Database, _ random: inout SplitMix64, count: Int) throws {
        let id = Int.random(in: 1...count, using: &random)
        switch Int.random(in: 0..<6, using: &random) {
        case 0: try db.execute("INSERT INTO t VALUES \(row(&random, id: id)) ON CONFLICT DO NOTHING")
        case 1: try db.execute("UPDATE t SET del = CASE WHEN del IS NULL THEN 1 END WHERE id = \(id)")
        case 2: try db.execute("UPDATE t SET b = \(Int.random(in: 0...100, using: &random)), a = a + 1 WHERE id % 7 = \(id % 7)")
        case 3: try db.execute("UPDATE t SET email = upper(email) WHERE id = \(id)")
        case 4: try db.execute("DELETE FROM t WHERE id = \(id)")
        default:
            let session = db.session()
            try session.execute("BEGIN")
            try session.execute("UPDATE t SET b = b + 40, del = NULL WHERE id % 3 = \(id % 3)")
            try session.execute("DELETE FROM t WHERE id % 5 = \(id % 5)")
            try session.execute("ROLLBACK")
        }
    }

    static func expectAgreement(_ db: Database, _ random: inout SplitMix64, _ context: String = "") throws {
        for (indexed, scanned, index) in queries {
            let parameters: [Value] = [.int(Int64.random(in: 0..<6, using: &random)), .int(Int64.random(in: 0...100, using: &random))]
            let used = parameters.count == 2 && indexed.contains("$2") ? parameters : [parameters[0]]
            let scannedParameters = scanned.contains("$2") ? parameters : [parameters[0]]
            let plan = try rows(db, "EXPLAIN " + indexed, used).map { $0[0] }.joined(separator: "\n")
            #expect(plan.contains("Index Scan using \(index) on t"), "\(context) \(indexed): \(plan)")
            let expected = try rows(db, scanned, scannedParameters)
            #expect(try rows(db, indexed, used) == expected, "\(context) \(indexed) \(parameters)")
        }
    }

    @Test("random changes keep every index equal to a full scan and the integrity check sound", arguments: [UInt64(1), 2, 3])
    func maintenance(seed: UInt64) throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 120, seed: seed)
        var random = SplitMix64(seed: seed &+ 7)
        for round in 0..<6 {
            for _ in 0..<25 { try Self.change(db, &random, count: 140) }
            try Self.expectAgreement(db, &random, "round \(round):")
            let integrity = try db.store.checkIntegrity()
            #expect(integrity.isSound, "round \(round): \(integrity)")
        }
    }

    @Test("after a power loss the indexes agree with the table and pass the integrity check", arguments: [UInt64(4), 5])
    func crash(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 64 << 10)
        let path = "/sim/index-kinds.vireo"
        var db = try Database.open(path: path, options: options)
        try Self.setUp(db, count: 100, seed: seed)
        var random = SplitMix64(seed: seed &+ 11)
        for _ in 0..<60 { try Self.change(db, &random, count: 120) }
        let report = backend.crash()
        db = try Database.open(path: path, options: options)
        let integrity = try db.store.checkIntegrity()
        #expect(integrity.isSound, "\(report): \(integrity)")
        try Self.expectAgreement(db, &random, "\(report):")
        try db.close()
    }

    @Test("the integrity check finds an index entry that does not match its row")
    func checkFindsWrongEntry() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE u (id int PRIMARY KEY, email text); CREATE INDEX u_lower ON u (lower(email)); INSERT INTO u VALUES (1, 'A'), (2, 'B')")
        let table = try db.store.catalog.table("u")
        let index = try #require(table.indexes.first)
        let transaction = try db.store.beginTransaction()
        try transaction.acquireWriterGate(timeoutMs: nil)
        // The entry of row 2 under another key: as if the key were computed from a stale row.
        #expect(try BTree(root: index.root).remove(key: StoreTransaction.indexKeys(index, table: table, row: [.int(2), .text("B")], rowID: 2)[0], in: transaction.pages))
        _ = try BTree(root: index.root).insert(key: StoreTransaction.indexKeys(index, table: table, row: [.int(2), .text("C")], rowID: 2)[0],
                                               value: KeyCodec.encodeRowID(2, form: .fixed), in: transaction.pages)
        try transaction.commit()
        let integrity = try db.store.checkIntegrity()
        #expect(integrity.problems.contains { $0.contains("index u_lower has 2 entries (1 not matching a row)") }, "\(integrity)")
    }

    @Test("a partial unique index enforces uniqueness among the rows it covers; ON CONFLICT … WHERE infers it")
    func partialUnique() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE users (id int PRIMARY KEY, email text, deleted_at int);
            CREATE UNIQUE INDEX users_live ON users (email) WHERE deleted_at IS NULL;
            INSERT INTO users VALUES (1, 'a', NULL), (2, 'a', 5), (3, 'a', 6)
            """)
        let duplicate = sqlError(db, "INSERT INTO users VALUES (4, 'a', NULL)")
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.detail == "Key (email)=(a) already exists.")
        #expect(sqlError(db, "UPDATE users SET deleted_at = NULL WHERE id = 2")?.sqlState == "23505")
        try db.execute("UPDATE users SET deleted_at = 9 WHERE id = 1; UPDATE users SET deleted_at = NULL WHERE id = 2")
        #expect(try rows(db, "SELECT id FROM users WHERE email = 'a' AND deleted_at IS NULL") == [["2"]])
        try db.execute("INSERT INTO users VALUES (5, 'a', NULL) ON CONFLICT (email) WHERE deleted_at IS NULL DO UPDATE SET email = 'b'")
        #expect(try rows(db, "SELECT id, email FROM users WHERE deleted_at IS NULL ORDER BY id") == [["2", "b"]])
        try db.execute("INSERT INTO users VALUES (6, 'b', NULL) ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING")
        #expect(try rows(db, "SELECT count(*) FROM users") == [["3"]])
        #expect(sqlError(db, "INSERT INTO users VALUES (7, 'c', NULL) ON CONFLICT (email) DO NOTHING")?.sqlState == "42P10")
        #expect(sqlError(db, "CREATE UNIQUE INDEX ON users (email)")?.sqlState == "23505")
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("a unique expression index enforces on the expression's value, with the expression in DETAIL")
    func expressionUnique() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE p (id int PRIMARY KEY, email text, data jsonb); CREATE UNIQUE INDEX ON p (lower(email))")
        try db.execute("INSERT INTO p VALUES (1, 'Ann@X', '{\"k\": 1}')")
        let error = sqlError(db, "INSERT INTO p VALUES (2, 'ann@x', NULL)")
        #expect(error?.sqlState == "23505")
        #expect(error?.message == "duplicate key value violates unique constraint \"p_lower_idx\"")
        #expect(error?.detail == "Key (lower(email))=(ann@x) already exists.")
        try db.execute("INSERT INTO p VALUES (2, NULL, NULL), (3, NULL, NULL)")
        try db.execute("CREATE INDEX ON p ((data->>'k'))")
        #expect(try rows(db, "SELECT indexdef FROM (SELECT pg_get_indexdef(indexrelid, 0, true) AS indexdef FROM pg_index WHERE indrelid = 'p'::regclass) d ORDER BY 1")
                == [["CREATE INDEX p_expr_idx ON p USING btree ((data ->> 'k'))"],
                    ["CREATE UNIQUE INDEX p_lower_idx ON p USING btree (lower(email))"],
                    ["CREATE UNIQUE INDEX p_pkey ON p USING btree (id)"]])
        #expect(try rows(db, "EXPLAIN SELECT id FROM p WHERE data->>'k' = '1'").map { $0[0] }.contains { $0.contains("Index Scan using p_expr_idx") })
        #expect(try rows(db, "SELECT id FROM p WHERE data->>'k' = '1'") == [["1"]])
    }

    @Test("index expressions and predicates must be immutable and free of subqueries")
    func refusedExpressions() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE r (id int PRIMARY KEY, t timestamp, x int)")
        for sql in ["CREATE INDEX ON r ((x + random()))", "CREATE INDEX ON r ((t < now()))"] {
            let error = sqlError(db, sql)
            #expect(error?.sqlState == "42P17", "\(sql)")
            #expect(error?.message == "functions in index expression must be marked IMMUTABLE", "\(sql)")
        }
        #expect(sqlError(db, "CREATE INDEX ON r (x) WHERE t < now()")?.message == "functions in index predicate must be marked IMMUTABLE")
        #expect(sqlError(db, "CREATE INDEX ON r ((x + (SELECT 1)))")?.sqlState == "0A000")
        #expect(sqlError(db, "CREATE INDEX ON r (x) WHERE x")?.sqlState == "42804")
        #expect(sqlError(db, "CREATE INDEX ON r (lower(nope))")?.sqlState == "42703")
    }

    @Test("a keyword's call form is an index key without extra parentheses: CAST(…), COALESCE(…), as SQLAlchemy writes them")
    func keywordCallKeys() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE d (id int PRIMARY KEY, metadata_ jsonb, x int);
            CREATE INDEX d_page ON d USING btree (CAST(metadata_ ->> 'page' AS INTEGER));
            CREATE INDEX d_tags ON d USING gin (CAST(metadata_ -> 'tags' AS JSONB));
            CREATE INDEX d_x ON d (COALESCE(x, 0) DESC);
            INSERT INTO d SELECT g, jsonb_build_object('page', g, 'tags', jsonb_build_array('t' || (g % 3))),
                CASE WHEN g % 2 = 0 THEN g END FROM generate_series(1, 300) g
            """)
        let cases: [(sql: String, index: String, rows: [[String]])] = [
            ("SELECT id FROM d WHERE CAST(metadata_ ->> 'page' AS INTEGER) = 3", "d_page", [["3"]]),
            ("SELECT count(*) FROM d WHERE (metadata_ -> 'tags')::jsonb @> '[\"t1\"]'", "d_tags", [["100"]]),
            ("SELECT id FROM d WHERE COALESCE(x, 0) = 4", "d_x", [["4"]]),
        ]
        for (sql, index, expected) in cases {
            #expect(try rows(db, sql) == expected, "\(sql)")
            #expect(try rows(db, "EXPLAIN " + sql).joined().joined().contains(index), "\(sql)")
        }
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("DROP COLUMN drops the indexes whose expressions or predicate read it; RENAME COLUMN refuses while one does")
    func columnChanges() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE c (id int PRIMARY KEY, email text, gone int, x int);
            CREATE INDEX c_lower ON c (lower(email)); CREATE INDEX c_part ON c (x) WHERE gone IS NULL; CREATE INDEX c_x ON c (x);
            INSERT INTO c VALUES (1, 'A', NULL, 1), (2, 'B', 3, 2)
            """)
        #expect(sqlError(db, "ALTER TABLE c RENAME COLUMN email TO mail")?.sqlState == "0A000")
        try db.execute("ALTER TABLE c RENAME COLUMN x TO y")
        try db.execute("ALTER TABLE c DROP COLUMN gone")
        #expect(try rows(db, "SELECT relname FROM pg_class WHERE relname IN ('c_lower', 'c_part', 'c_x', 'c_pkey') ORDER BY 1")
                == [["c_lower"], ["c_pkey"], ["c_x"]])
        try db.execute("INSERT INTO c VALUES (3, 'a', 3)")
        #expect(try rows(db, "SELECT id FROM c WHERE lower(email) = 'a' ORDER BY id") == [["1"], ["3"]])
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("a partial index serves a query only when its WHERE clause implies the predicate")
    func implication() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE q (id int PRIMARY KEY, x int, y text); CREATE INDEX q_x ON q (x) WHERE x > 5; CREATE INDEX q_y ON q (y) WHERE y IS NOT NULL")
        try db.execute("INSERT INTO q SELECT i, i % 20, 'v' || (i % 4) FROM generate_series(1, 100) i")
        func uses(_ sql: String, _ index: String) throws -> Bool {
            try rows(db, "EXPLAIN " + sql).map { $0[0] }.contains { $0.contains("Index Scan using \(index) ") }
        }
        #expect(try uses("SELECT id FROM q WHERE x > 10", "q_x"))
        #expect(try uses("SELECT id FROM q WHERE x >= 6", "q_x"))
        #expect(try uses("SELECT id FROM q WHERE x = 7", "q_x"))
        #expect(try uses("SELECT id FROM q WHERE 12 < x", "q_x"))
        #expect(try !uses("SELECT id FROM q WHERE x > 4", "q_x"))
        #expect(try !uses("SELECT id FROM q WHERE x >= 5", "q_x"))
        #expect(try !uses("SELECT id FROM q WHERE x < 9", "q_x"))
        #expect(try uses("SELECT id FROM q WHERE y = 'v1'", "q_y"))
        #expect(try rows(db, "SELECT count(*) FROM q WHERE x > 10") == [["45"]])
        #expect(try rows(db, "SELECT count(*) FROM q WHERE y = 'v1'") == [["25"]])
    }

    @Test("a multi-column index serves an equality prefix, a range on the next key and ORDER BY without a sort")
    func multiColumnPlans() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE m (a int, b int, c text); CREATE INDEX m_ab ON m (a, b)")
        try db.execute("INSERT INTO m SELECT i % 10, CASE WHEN i % 7 = 0 THEN NULL ELSE i END, 'r' || i FROM generate_series(1, 300) i")
        func plan(_ sql: String) throws -> String { try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n") }
        let ranged = try plan("SELECT c FROM m WHERE a = 3 AND b > 150")
        #expect(ranged.contains("Index Scan using m_ab on m") && ranged.contains("Index Cond: a = value AND b > value"), "\(ranged)")
        let ordered = try plan("SELECT c FROM m WHERE a = 3 ORDER BY b LIMIT 5")
        #expect(ordered.contains("Order: index key order (no sort)") && !ordered.contains("Sort"), "\(ordered)")
        #expect(try rows(db, "SELECT b FROM m WHERE a = 3 ORDER BY b LIMIT 3") == [["3"], ["13"], ["23"]])
        // NULLs of b come after the others, as ORDER BY b (NULLS LAST) wants.
        #expect(try rows(db, "SELECT b FROM m WHERE a = 3 ORDER BY b LIMIT 3 OFFSET 25") == [["293"], ["NULL"], ["NULL"]])
        // DESC reads the same range backwards, NULLs of b first as ORDER BY b DESC wants (IndexBackwardTests).
        #expect(try plan("SELECT c FROM m WHERE a = 3 ORDER BY b DESC LIMIT 5").contains("Index Scan Backward using m_ab"))
        #expect(try rows(db, "SELECT b FROM m WHERE a = 3 ORDER BY b DESC LIMIT 3") == [["NULL"], ["NULL"], ["NULL"]])
        #expect(try plan("SELECT c FROM m WHERE b = 3").contains("Seq Scan on m"))
        // With no condition on the keys, the index gives the order only under a LIMIT.
        #expect(try plan("SELECT a FROM m ORDER BY a LIMIT 2").contains("Index Scan using m_ab on m"))
        #expect(try plan("SELECT a FROM m ORDER BY a").contains("Seq Scan on m"))
        #expect(try plan("SELECT a, b FROM m ORDER BY a, b LIMIT 2").contains("Seq Scan on m"))
        #expect(try rows(db, "SELECT a FROM m ORDER BY a LIMIT 40 OFFSET 20") == rows(db, "SELECT a FROM m ORDER BY a + 0 LIMIT 40 OFFSET 20"))
        #expect(try rows(db, "SELECT c FROM m WHERE a = 3 AND b BETWEEN 100 AND 140 ORDER BY b") == [["r103"], ["r113"], ["r123"]])
        #expect(try rows(db, "SELECT count(*) FROM m WHERE a = 3 AND b = 13.5") == [["0"]])
        #expect(try rows(db, "SELECT b FROM m WHERE a = 3.0 AND b > 280.5 ORDER BY b") == [["283"], ["293"]])
        #expect(try rows(db, "SELECT b FROM m WHERE a = 3 AND b >= 283.0 AND b < 293.5 ORDER BY b") == [["283"], ["293"]])
    }

    @Test("a gin index over to_tsvector(…) serves the same expression @@ query")
    func textSearchExpression() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE d (id int PRIMARY KEY, body text); CREATE INDEX d_fts ON d USING gin (to_tsvector('english', body))")
        try db.execute("INSERT INTO d VALUES (1, 'The cats are running'), (2, 'A dog runs'), (3, 'Birds fly'), (4, NULL)")
        let query = "SELECT id FROM d WHERE to_tsvector('english', body) @@ to_tsquery('english', 'run') ORDER BY id"
        #expect(try rows(db, "EXPLAIN " + query).map { $0[0] }.contains { $0.contains("Index Scan using d_fts on d") })
        #expect(try rows(db, query) == [["1"], ["2"]])
        try db.execute("UPDATE d SET body = 'running late' WHERE id = 3; DELETE FROM d WHERE id = 1")
        #expect(try rows(db, query) == [["2"], ["3"]])
        #expect(try db.store.checkIntegrity().isSound)
        #expect(sqlError(db, "CREATE INDEX ON d USING gin (lower(body))")?.sqlState == "42704")
    }
}
