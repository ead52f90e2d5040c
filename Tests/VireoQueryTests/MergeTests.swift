import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// MERGE as PostgreSQL 15 runs it: the source joined to the target, each source row taking
/// the first WHEN clause of its kind whose condition holds, through the same row writes as
/// INSERT, UPDATE and DELETE. Expected rows, tags and errors were read from PostgreSQL 15.
@Suite("MERGE")
struct MergeTests {
    static func stock() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE stock (item text PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0), note text DEFAULT 'new',
                                total int GENERATED ALWAYS AS (qty * 10) STORED);
            INSERT INTO stock (item, qty) VALUES ('apple', 5), ('pear', 2), ('plum', 0);
            CREATE TABLE deliveries (item text, qty int);
            INSERT INTO deliveries VALUES ('apple', 3), ('pear', -2), ('kiwi', 4), ('fig', 0);
            """)
        return db
    }

    static let restock = """
        MERGE INTO stock s USING deliveries d ON s.item = d.item
          WHEN MATCHED AND s.qty + d.qty = 0 THEN DELETE
          WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty, note = 'restocked'
          WHEN NOT MATCHED AND d.qty > 0 THEN INSERT (item, qty) VALUES (d.item, d.qty)
          WHEN NOT MATCHED THEN DO NOTHING
        """

    @Test("each source row takes the first clause whose condition holds; the tag counts rows changed")
    func clausesInOrder() throws {
        let db = try Self.stock()
        #expect(try db.execute(Self.restock).commandTag == "MERGE 3")
        #expect(try rows(db, "SELECT * FROM stock ORDER BY item") == [
            ["apple", "8", "restocked", "80"], ["kiwi", "4", "new", "40"], ["plum", "0", "new", "0"],
        ])
    }

    @Test("the source may be a subquery or VALUES; SET col = DEFAULT and an INSERT without a column list")
    func sourceKinds() throws {
        let db = try Self.stock()
        try db.execute(Self.restock)
        let tag = try db.execute("MERGE INTO stock USING (SELECT 'plum' AS item) q ON stock.item = q.item WHEN MATCHED THEN UPDATE SET note = DEFAULT")
        #expect(tag.commandTag == "MERGE 1")
        let merged = try db.execute("""
            MERGE INTO stock s USING (VALUES ('apple', 1), ('zz', 1), ('kiwi', 2)) v(item, qty) ON s.item = v.item
              WHEN MATCHED THEN UPDATE SET qty = v.qty WHEN NOT MATCHED THEN INSERT VALUES (v.item, v.qty, 'x')
            """)
        #expect(merged.commandTag == "MERGE 3")
        #expect(try rows(db, "SELECT * FROM stock ORDER BY item") == [
            ["apple", "1", "restocked", "10"], ["kiwi", "2", "new", "20"], ["plum", "0", "new", "0"], ["zz", "1", "x", "10"],
        ])
    }

    @Test("a target row matched by two source rows is 21000 when changed twice, not when left alone")
    func touchedTwice() throws {
        let db = try Self.stock()
        let error = sqlError(db, "MERGE INTO stock USING (VALUES ('apple'), ('apple')) q(item) ON stock.item = q.item WHEN MATCHED THEN UPDATE SET note = 'dup'")
        #expect(error?.sqlState == "21000")
        #expect(error?.message == "MERGE command cannot affect row a second time")
        #expect(error?.hint == "Ensure that not more than one source row matches any one target row.")
        #expect(sqlError(db, "MERGE INTO stock USING (VALUES ('pear'), ('pear')) q(item) ON stock.item = q.item WHEN MATCHED THEN DELETE")?.sqlState == "21000")
        let nothing = try db.execute("MERGE INTO stock USING (VALUES ('apple'), ('apple')) q(item) ON stock.item = q.item WHEN MATCHED THEN DO NOTHING")
        #expect(nothing.commandTag == "MERGE 0")
        #expect(try rows(db, "SELECT note FROM stock WHERE item = 'apple'") == [["new"]])
    }

    @Test("constraints, defaults and generated columns hold as for INSERT and UPDATE")
    func constraints() throws {
        let db = try Self.stock()
        let into = "MERGE INTO stock s USING (VALUES ('apple', 1)) v(item, qty) ON s.item = v.item "
        #expect(sqlError(db, into + "WHEN MATCHED THEN UPDATE SET qty = -1")?.sqlState == "23514")
        #expect(sqlError(db, into + "WHEN MATCHED THEN UPDATE SET qty = NULL")?.sqlState == "23502")
        #expect(sqlError(db, into + "WHEN MATCHED THEN UPDATE SET item = 'pear'")?.sqlState == "23505")
        let generated = sqlError(db, into + "WHEN MATCHED THEN UPDATE SET total = 1")
        #expect(generated?.sqlState == "428C9")
        #expect(generated?.message == "column \"total\" can only be updated to DEFAULT")
        #expect(sqlError(db, "MERGE INTO stock s USING (VALUES ('x')) v(item) ON s.item = v.item WHEN NOT MATCHED THEN INSERT (item, total) VALUES (v.item, 1)")?.sqlState == "428C9")
        #expect(sqlError(db, "MERGE INTO stock s USING (VALUES ('x')) v(item) ON s.item = v.item WHEN NOT MATCHED THEN INSERT DEFAULT VALUES")?.sqlState == "23502")
        #expect(try rows(db, "SELECT * FROM stock ORDER BY item") == [["apple", "5", "new", "50"], ["pear", "2", "new", "20"], ["plum", "0", "new", "0"]])
    }

    @Test("foreign keys are checked on both sides")
    func foreignKeys() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1), (2);
            CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent); INSERT INTO child VALUES (10, 1);
            """)
        #expect(sqlError(db, "MERGE INTO child c USING (VALUES (11, 3)) v(id, p) ON c.id = v.id WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.p)")?.sqlState == "23503")
        #expect(sqlError(db, "MERGE INTO parent p USING (VALUES (1)) v(id) ON p.id = v.id WHEN MATCHED THEN DELETE")?.sqlState == "23503")
        #expect(try db.execute("MERGE INTO parent p USING (VALUES (2)) v(id) ON p.id = v.id WHEN MATCHED THEN DELETE").commandTag == "MERGE 1")
        #expect(try rows(db, "SELECT id FROM parent") == [["1"]])
    }

    @Test("errors PostgreSQL gives, with its SQLSTATE and message", arguments: [
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN DELETE RETURNING *", "42601", nil),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED BY SOURCE THEN DELETE", "42601", nil),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item", "42601", nil),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN INSERT VALUES (1)", "42601", nil),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED THEN INSERT VALUES (d.item, s.qty)", "42P01",
         "invalid reference to FROM-clause entry for table \"s\""),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED THEN INSERT VALUES (d.item, note)", "42703",
         "column \"note\" does not exist"),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN DELETE WHEN MATCHED THEN DO NOTHING", "42601",
         "unreachable WHEN clause specified after unconditional WHEN clause"),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED AND d.qty THEN DELETE", "42804",
         "argument of WHEN must be type boolean, not type integer"),
        ("MERGE INTO stock USING stock ON true WHEN MATCHED THEN DELETE", "42712", "name \"stock\" specified more than once"),
        ("MERGE INTO shelf USING deliveries d ON true WHEN MATCHED THEN DELETE", "0A000", "cannot execute MERGE on relation \"shelf\""),
        ("MERGE INTO nosuch USING deliveries d ON true WHEN MATCHED THEN DELETE", "42P01", "relation \"nosuch\" does not exist"),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET nope = 1", "42703",
         "column \"nope\" of relation \"stock\" does not exist"),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET note = 'a', note = 'b'", "42601",
         "multiple assignments to same column \"note\""),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED THEN INSERT (item, item) VALUES ('a', 'b')", "42701",
         "column \"item\" specified more than once"),
        ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED THEN INSERT (item) VALUES ('a', 1)", "42601",
         "INSERT has more expressions than target columns"),
    ] as [(String, String, String?)])
    func errors(sql: String, state: String, message: String?) throws {
        let db = try Self.stock()
        try db.execute("CREATE VIEW shelf AS SELECT * FROM stock")
        let error = sqlError(db, sql)
        #expect(error?.sqlState == state)
        if let message { #expect(error?.message == message) }
    }

    @Test("a MERGE that fails midway changes nothing: not on its own, not in a block, not after reopening")
    func allOrNothing() throws {
        try withTemporaryDirectory { directory in
            var db = try reopenedDatabase(directory, "merge.vireo", after: "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one')")
            // The third row inserted repeats the second's key: 23505 after two rows changed.
            let failing = """
                MERGE INTO t USING (VALUES (1, 'uno'), (2, 'two'), (3, 'three'), (2, 'again')) s(id, v) ON t.id = s.id
                  WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)
                """
            #expect(sqlError(db, failing)?.sqlState == "23505")
            #expect(try rows(db, "SELECT * FROM t ORDER BY id") == [["1", "one"]])
            let session = db.session()
            try session.execute("BEGIN; INSERT INTO t VALUES (5, 'five'); SAVEPOINT s")
            #expect(sqlError(session, failing)?.sqlState == "23505")
            try session.execute("ROLLBACK TO SAVEPOINT s; COMMIT")
            try db.close()
            db = try Database.open(path: directory + "/merge.vireo")
            #expect(try rows(db, "SELECT * FROM t ORDER BY id") == [["1", "one"], ["5", "five"]])
            try db.execute("MERGE INTO t USING (VALUES (1, 'uno'), (2, 'two')) s(id, v) ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)")
            try db.close()
            db = try Database.open(path: directory + "/merge.vireo")
            #expect(try rows(db, "SELECT * FROM t ORDER BY id") == [["1", "uno"], ["2", "two"], ["5", "five"]])
            try db.close()
        }
    }

    @Test("parameters in a MERGE, given directly and through PREPARE")
    func parameters() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        // As in PostgreSQL, VALUES gives an untyped parameter the type text: $1 is cast to compare with t.id.
        let upsert = "MERGE INTO t USING (VALUES ($1::int, $2)) q(a, b) ON t.id = q.a WHEN MATCHED THEN UPDATE SET v = q.b WHEN NOT MATCHED THEN INSERT VALUES (q.a, q.b)"
        #expect(try db.execute(upsert, [.int(1), .text("x")]).commandTag == "MERGE 1")
        #expect(try db.execute(upsert, [.int(1), .text("y")]).commandTag == "MERGE 1")
        let session = db.session()
        try session.execute("PREPARE p(int, text) AS MERGE INTO t USING (VALUES ($1, $2)) q(a, b) ON t.id = q.a WHEN MATCHED AND q.b IS NULL THEN DELETE WHEN MATCHED THEN UPDATE SET v = q.b WHEN NOT MATCHED THEN INSERT VALUES (q.a, q.b)")
        #expect(try session.execute("EXECUTE p(20, 'p')").commandTag == "MERGE 1")
        #expect(try session.execute("EXECUTE p(20, 'q')").commandTag == "MERGE 1")
        #expect(try session.execute("EXECUTE p(1, NULL)").commandTag == "MERGE 1")
        #expect(try rows(db, "SELECT * FROM t ORDER BY id") == [["20", "q"]])
    }

    @Test("the vector index and the text-search index follow MERGE's updates, inserts and deletes")
    func indexesFollow() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE docs (id int PRIMARY KEY, embedding vector(3), body text, tsv tsvector);
            CREATE INDEX docs_embedding ON docs USING hnsw (embedding vector_l2_ops);
            CREATE INDEX docs_tsv ON docs USING gin (tsv);
            INSERT INTO docs SELECT i, ('[' || i || ',0,0]')::vector, 'word' || i, to_tsvector('word' || i) FROM generate_series(1, 50) i;
            """)
        try db.execute("""
            MERGE INTO docs d USING (VALUES (1, '[100,100,100]', 'zebra'), (2, NULL, 'gone'), (60, '[99,99,99]', 'zebra crossing')) s(id, e, body)
              ON d.id = s.id
              WHEN MATCHED AND s.e IS NULL THEN DELETE
              WHEN MATCHED THEN UPDATE SET embedding = s.e::vector, body = s.body, tsv = to_tsvector(s.body)
              WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.e::vector, s.body, to_tsvector(s.body))
            """)
        let reports = try db.checkVectorIndexes()
        #expect(reports.first?.problems == [])
        #expect(reports.first?.vectorCount == 50)
        #expect(try rows(db, "SELECT id FROM docs ORDER BY embedding <-> '[100,100,100]' LIMIT 2") == [["1"], ["60"]])
        #expect(try rows(db, "SELECT id FROM docs WHERE tsv @@ to_tsquery('zebra') ORDER BY id") == [["1"], ["60"]])
        #expect(try rows(db, "SELECT id FROM docs WHERE tsv @@ to_tsquery('word1')") == [])
        #expect(try rows(db, "SELECT count(*) FROM docs WHERE id = 2") == [["0"]])
    }

    @Test("a WITH list before MERGE names what its source reads")
    func withClause() throws {
        let db = try Self.stock()
        let merged = try db.execute("""
            WITH big AS (SELECT item, qty FROM deliveries WHERE qty > 2)
            MERGE INTO stock s USING big ON s.item = big.item
              WHEN MATCHED THEN UPDATE SET qty = s.qty + big.qty WHEN NOT MATCHED THEN INSERT (item, qty) VALUES (big.item, big.qty)
            """)
        #expect(merged.commandTag == "MERGE 2")
        #expect(try rows(db, "SELECT item, qty FROM stock ORDER BY item") == [["apple", "8"], ["kiwi", "4"], ["pear", "2"], ["plum", "0"]])
    }

    @Test("EXPLAIN MERGE shows the target and the join its rows come from")
    func explain() throws {
        let db = try Self.stock()
        let lines = try db.execute("EXPLAIN MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN DELETE").rows.map { $0[0].text ?? "" }
        #expect(lines.first == "Merge on stock")
        #expect(lines.dropFirst().first?.contains("Join") == true, "\(lines)")
        #expect(lines.contains { $0.contains("deliveries") } && lines.contains { $0.contains("stock") }, "\(lines)")
        #expect(try rows(db, "SELECT count(*) FROM stock") == [["3"]], "EXPLAIN without ANALYZE changes nothing")
    }

    @Test("MERGE renders back to SQL that parses to the same statement")
    func roundTrip() throws {
        let statement = try Parser.parseStatement(Self.restock + " WHEN NOT MATCHED AND d.qty < 0 THEN INSERT DEFAULT VALUES")
        #expect(try Parser.parseStatement(statement.body.sql).body == statement.body)
        let with = try Parser.parseStatement("WITH d AS (SELECT 1 AS item) " + Self.restock)
        #expect(try Parser.parseStatement(with.body.sql).body == with.body)
    }
}
