import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// `CREATE INDEX … (a, b DESC)`: the index keeps each key in the direction its definition
/// names (a DESC key's components stored inverted), serves the matching ORDER BY and its
/// exact reverse with no Sort, answers ranges on a DESC key, and gives the same rows a sort
/// of a full scan gives.
@Suite("DESC index keys")
struct IndexDescendingKeyTests {
    static func populated() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, c int, s text);
            CREATE INDEX t_a_b ON t (a, b DESC);
            CREATE INDEX t_a_c ON t (a DESC, c DESC);
            CREATE INDEX t_s ON t (s DESC NULLS LAST);
            INSERT INTO t SELECT g, g % 5, (g * 37) % 101, CASE WHEN g % 7 = 0 THEN NULL ELSE (g * 13) % 50 END,
                                 CASE WHEN g % 11 = 0 THEN NULL ELSE 's' || (g % 17) END
              FROM generate_series(1, 300) g
            """)
        return db
    }

    /// Each query, the same with the keys hidden from the planner (`+ 0`, `|| ''`) so that a
    /// sort gives the order, and how the index must be read (nil: not for the order).
    static let cases: [(sql: String, brute: String, read: String?)] = [
        ("SELECT a, b FROM t ORDER BY a, b DESC LIMIT 20", "SELECT a, b FROM t ORDER BY a + 0, b + 0 DESC LIMIT 20", "Index Scan using"),
        ("SELECT a, b FROM t ORDER BY a DESC, b LIMIT 20", "SELECT a, b FROM t ORDER BY a + 0 DESC, b + 0 LIMIT 20", "Index Scan Backward using"),
        ("SELECT id, b FROM t WHERE a = 2 ORDER BY b DESC", "SELECT id, b FROM t WHERE a + 0 = 2 ORDER BY b + 0 DESC", "Index Scan using"),
        ("SELECT id, b FROM t WHERE a = 2 AND b > 40 ORDER BY b", "SELECT id, b FROM t WHERE a + 0 = 2 AND b + 0 > 40 ORDER BY b + 0", "Index Scan Backward using"),
        ("SELECT id, b FROM t WHERE a = 3 AND b >= 20 AND b < 60 ORDER BY b DESC",
         "SELECT id, b FROM t WHERE a + 0 = 3 AND b + 0 >= 20 AND b + 0 < 60 ORDER BY b + 0 DESC", "Index Scan using"),
        ("SELECT id, b FROM t WHERE a = 4 AND b <= 33 ORDER BY b DESC", "SELECT id, b FROM t WHERE a + 0 = 4 AND b + 0 <= 33 ORDER BY b + 0 DESC", "Index Scan using"),
        ("SELECT a, c FROM t WHERE a = 1 ORDER BY c DESC NULLS LAST, id", "SELECT a, c FROM t WHERE a + 0 = 1 ORDER BY c + 0 DESC NULLS LAST, id", nil),
        ("SELECT c FROM t WHERE a = 1 ORDER BY c DESC NULLS LAST", "SELECT c FROM t WHERE a + 0 = 1 ORDER BY c + 0 DESC NULLS LAST", "Index Scan using"),
        ("SELECT c FROM t WHERE a = 1 ORDER BY c DESC", "SELECT c FROM t WHERE a + 0 = 1 ORDER BY c + 0 DESC", "Index Scan using"),
        ("SELECT c FROM t WHERE a = 1 ORDER BY c NULLS FIRST", "SELECT c FROM t WHERE a + 0 = 1 ORDER BY c + 0 NULLS FIRST", "Index Scan Backward using"),
        ("SELECT c FROM t WHERE a = 1 ORDER BY c", "SELECT c FROM t WHERE a + 0 = 1 ORDER BY c + 0", "Index Scan Backward using"),
        ("SELECT id, c FROM t WHERE a = 0 AND c > 30 ORDER BY id", "SELECT id, c FROM t WHERE a + 0 = 0 AND c + 0 > 30 ORDER BY id", nil),
        ("SELECT s FROM t ORDER BY s DESC LIMIT 40", "SELECT s FROM t ORDER BY s || '' DESC LIMIT 40", "Index Scan using"),
        ("SELECT s FROM t WHERE s < 's5' ORDER BY s", "SELECT s FROM t WHERE s || '' < 's5' ORDER BY s || ''", "Index Scan Backward using"),
    ]

    @Test("the matching ORDER BY and its reverse read the index with no Sort; every answer matches a sorted scan")
    func orderAndRanges() throws {
        let db = try Self.populated()
        for (sql, brute, read) in Self.cases {
            let plan = try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
            if let read {
                #expect(!plan.contains("Sort"), "\(sql):\n\(plan)")
                #expect(plan.contains(read), "\(sql):\n\(plan)")
            }
            #expect(try rows(db, sql) == rows(db, brute), "\(sql)")
        }
        for sql in ["SELECT a, b FROM t ORDER BY a, b LIMIT 10", "SELECT a, b FROM t ORDER BY a DESC, b DESC LIMIT 10"] {
            let plan = try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
            #expect(plan.contains("Sort"), "\(sql): the index holds b the other way:\n\(plan)")
        }
    }

    @Test("a unique DESC index refuses duplicates, and the definition prints its directions")
    func uniqueAndDefinition() throws {
        let db = try Self.populated()
        try db.execute("""
            CREATE TABLE u (x int, y text);
            CREATE UNIQUE INDEX u_xy ON u (x DESC, y DESC);
            INSERT INTO u VALUES (1, 'a'), (1, 'b'), (2, 'a'), (NULL, 'a'), (NULL, 'a')
            """)
        let duplicate = sqlError(db, "INSERT INTO u VALUES (1, 'a')")
        #expect(duplicate?.sqlState == "23505" && duplicate?.message.contains("u_xy") == true, "\(String(describing: duplicate))")
        #expect(try rows(db, "SELECT x, y FROM u WHERE x = 1 ORDER BY y DESC") == [["1", "b"], ["1", "a"]])
        #expect(try rows(db, "SELECT pg_get_indexdef('t_a_b'::regclass)") == [["CREATE INDEX t_a_b ON public.t USING btree (a, b DESC)"]])
        #expect(sqlError(db, "CREATE INDEX t_gin ON t USING gin (to_tsvector('english', s) DESC)")?.sqlState == "0A000")
    }

    @Test("the directions are kept across a reopen, and a definition written without them reads as ascending")
    func durableAndCompatible() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "desc.vireo", after: """
                CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL); CREATE INDEX t_a ON t (a DESC);
                INSERT INTO t SELECT g, (g * 7) % 23 FROM generate_series(1, 50) g
                """)
            let plan = try rows(db, "EXPLAIN SELECT a FROM t ORDER BY a DESC LIMIT 3").map { $0[0] }.joined(separator: "\n")
            #expect(plan.contains("Index Scan using t_a") && !plan.contains("Sort"), "\(plan)")
            #expect(try rows(db, "SELECT a FROM t ORDER BY a DESC LIMIT 3") == [["22"], ["22"], ["21"]])
            #expect(try rows(db, "SELECT count(*) FROM t WHERE a > 20") == rows(db, "SELECT count(*) FROM t WHERE a + 0 > 20"))
            #expect(try rows(db, "SELECT count(*) FROM t WHERE a > 20") == [["5"]])
        }
        let old = #"{"name":"i","columns":["a"],"isUnique":false,"method":"btree","options":{},"root":7}"#
        let definition = try JSONDecoder().decode(IndexDefinition.self, from: Data(old.utf8))
        #expect(definition.descending == nil && !definition.isDescending(at: 0))
        #expect(definition.nullsFirst == nil && !definition.isNullsFirst(at: 0))
        let oldDescending = #"{"name":"i","columns":["a"],"isUnique":false,"method":"btree","options":{},"root":7,"descending":[true]}"#
        #expect(try JSONDecoder().decode(IndexDefinition.self, from: Data(oldDescending.utf8)).isNullsFirst(at: 0),
                "a DESC key written before NULLS clauses were kept has DESC's default, NULLS FIRST")
    }

    static let nullsIndexes = """
        CREATE TABLE ix (id int PRIMARY KEY, n int, m text);
        CREATE INDEX ix_a ON ix (n DESC NULLS LAST);
        CREATE INDEX ix_b ON ix (n NULLS FIRST);
        CREATE INDEX ix_c ON ix (n DESC NULLS FIRST);
        CREATE INDEX ix_d ON ix (n ASC NULLS LAST);
        CREATE INDEX ix_e ON ix (n DESC, m NULLS FIRST);
        CREATE INDEX ix_f ON ix (lower(m) DESC NULLS LAST);
        INSERT INTO ix SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 10 END, CASE WHEN g % 4 = 0 THEN NULL ELSE 'm' || (g % 5) END
          FROM generate_series(1, 40) g;
        """

    @Test("NULLS FIRST/LAST are kept as declared: pg_get_indexdef, indoption and pg_get_indexdef's single key as PostgreSQL 15 shows them, across a reopen")
    func nullsClauses() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "nulls.vireo", after: Self.nullsIndexes)
            // PostgreSQL 15's answers to the same statement.
            #expect(try rows(db, """
                SELECT c.relname, i.indoption::text, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = 'ix'::regclass AND NOT i.indisprimary ORDER BY 1
                """) == [
                    ["ix_a", "1", "CREATE INDEX ix_a ON public.ix USING btree (n DESC NULLS LAST)"],
                    ["ix_b", "2", "CREATE INDEX ix_b ON public.ix USING btree (n NULLS FIRST)"],
                    ["ix_c", "3", "CREATE INDEX ix_c ON public.ix USING btree (n DESC)"],
                    ["ix_d", "0", "CREATE INDEX ix_d ON public.ix USING btree (n)"],
                    ["ix_e", "3 2", "CREATE INDEX ix_e ON public.ix USING btree (n DESC, m NULLS FIRST)"],
                    ["ix_f", "1", "CREATE INDEX ix_f ON public.ix USING btree (lower(m) DESC NULLS LAST)"]])
            #expect(try rows(db, "SELECT pg_get_indexdef('ix_e'::regclass, 1, true), pg_get_indexdef('ix_e'::regclass, 2, true), pg_get_indexdef('ix_a'::regclass, 1, true)")
                    == [["n", "m", "n"]])
        }
    }

    @Test("an ORDER BY with NULLS reads an index only where its stored order gives it, and every answer matches a sorted scan")
    func nullsOrderThroughIndexes() throws {
        let db = try Database.inMemory()
        try db.execute(Self.nullsIndexes)
        // (query, the same sorted without an index, whether an index gives the order with no Sort)
        let cases: [(String, String, Bool)] = [
            ("SELECT n FROM ix ORDER BY n DESC NULLS LAST LIMIT 20", "SELECT n FROM ix ORDER BY n + 0 DESC NULLS LAST LIMIT 20", true),
            ("SELECT n FROM ix ORDER BY n NULLS FIRST LIMIT 20", "SELECT n FROM ix ORDER BY n + 0 NULLS FIRST LIMIT 20", true),
            ("SELECT n FROM ix ORDER BY n DESC LIMIT 5", "SELECT n FROM ix ORDER BY n + 0 DESC LIMIT 5", true),
            ("SELECT n FROM ix ORDER BY n LIMIT 5", "SELECT n FROM ix ORDER BY n + 0 LIMIT 5", true),
            ("SELECT n, m FROM ix ORDER BY n DESC, m NULLS FIRST LIMIT 12", "SELECT n, m FROM ix ORDER BY n + 0 DESC, m || '' NULLS FIRST LIMIT 12", true),
            ("SELECT n, m FROM ix WHERE n = 4 ORDER BY m NULLS FIRST", "SELECT n, m FROM ix WHERE n + 0 = 4 ORDER BY m || '' NULLS FIRST", true),
            // The first ORDER BY key's NULLs are read at the other end of the range.
            ("SELECT n, m FROM ix WHERE n = 4 ORDER BY m NULLS LAST", "SELECT n, m FROM ix WHERE n + 0 = 4 ORDER BY m || '' NULLS LAST", true),
            ("SELECT n, m FROM ix ORDER BY n DESC, m NULLS LAST LIMIT 12", "SELECT n, m FROM ix ORDER BY n + 0 DESC, m || '' NULLS LAST LIMIT 12", false),
            ("SELECT m FROM ix ORDER BY lower(m) DESC NULLS LAST, id", "SELECT m FROM ix ORDER BY lower(m) || '' DESC NULLS LAST, id", false),
        ]
        for (sql, brute, indexOnly) in cases {
            let plan = try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n")
            if indexOnly { #expect(!plan.contains("Sort") && plan.contains("Index Scan"), "\(sql):\n\(plan)") }
            #expect(try rows(db, sql) == rows(db, brute), "\(sql)")
        }
        // ix_e holds m's NULLs first after each n, and only the first key's NULLs can be read apart.
        let sorted = try rows(db, "EXPLAIN SELECT n, m FROM ix ORDER BY n DESC, m NULLS LAST LIMIT 12").map { $0[0] }.joined(separator: "\n")
        #expect(sorted.contains("Sort"), "\(sorted)")
    }
}
