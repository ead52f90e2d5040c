import Testing
@testable import VireoQuery
import VireoStorage

/// Scans decode each record over the previous row's array, a primary-key join decodes the
/// inner row straight into the joined row it reuses, and GROUP BY with one key hashes that
/// key alone (PlanExecutor.seqScan, Joins.DirectLookup, Aggregator.group). These compare
/// the answers with plans that build a new row each time (hash joins, several group keys)
/// on rows a reused array could leak into: columns added after a row was written, NULLs,
/// rows kept by the result, joins with no match, duplicate keys and empty tables.
@Suite("Executor: reused row arrays give the same answers as new ones")
struct RowReuseTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id bigint PRIMARY KEY, k int, v double precision, s text);
            CREATE TABLE b (id bigint PRIMARY KEY, label text);
            INSERT INTO a VALUES (2, 1, 1.5, 'two'), (3, NULL, 2.5, 'three'), (4, 0, NULL, 'four'), (5, 1, 2.0, NULL);
            INSERT INTO b VALUES (1, 'one'), (2, 'two'), (3, NULL);
            ALTER TABLE a ADD COLUMN late int;
            ALTER TABLE b ADD COLUMN note text;
            INSERT INTO a VALUES (1, 2, 0.5, 'one', 10), (6, 3, 6.0, 'six', 60), (7, 1, NULL, 'seven', NULL);
            INSERT INTO b VALUES (0, 'zero', 'new'), (7, 'seven', NULL);
            """)
        return db
    }

    @Test("a column added after some rows were written reads NULL for them, whatever row came before")
    func addedColumns() throws {
        let db = try database()
        // Row 1 (written after ALTER, late = 10) is scanned just before row 2 (written before it).
        #expect(try rows(db, "SELECT id, late FROM a ORDER BY id") ==
                [["1", "10"], ["2", "NULL"], ["3", "NULL"], ["4", "NULL"], ["5", "NULL"], ["6", "60"], ["7", "NULL"]])
        #expect(try rows(db, "SELECT id, late, s FROM a WHERE k = 1 OR late > 0") ==
                [["1", "10", "one"], ["2", "NULL", "two"], ["5", "NULL", "NULL"], ["6", "60", "six"], ["7", "NULL", "seven"]])
        #expect(try rows(db, "SELECT * FROM a WHERE v > 1") ==
                [["2", "1", "1.5", "two", "NULL"], ["3", "NULL", "2.5", "three", "NULL"], ["5", "1", "2", "NULL", "NULL"], ["6", "3", "6", "six", "60"]])
        #expect(try rows(db, "SELECT late, count(*) FROM a GROUP BY late ORDER BY 1") == [["10", "1"], ["60", "1"], ["NULL", "5"]])
        #expect(try rows(db, "SELECT a.id, b.id, b.note FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 7 ORDER BY 1") ==
                [["1", "2", "NULL"], ["2", "1", "NULL"], ["4", "0", "new"], ["5", "1", "NULL"], ["6", "3", "NULL"], ["7", "1", "NULL"]],
                "row 1 of b, written before its note column, follows row 0, which has one")
    }

    /// Joins probed by primary key beside the same join written so that only a hash join
    /// can run it (`b.id + 0`), over rows whose join keys are NULL, missing, repeated.
    @Test("primary-key joins agree with hash joins, with the rows kept whole, projected or aggregated")
    func probedJoins() throws {
        let db = try database()
        let queries = [
            "SELECT * FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT * FROM a LEFT JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT a.id, b.label FROM a JOIN b ON a.k = b.id WHERE a.id BETWEEN $1 AND $2",
            "SELECT a.id, b.label, b.note FROM a LEFT JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT b.label, count(*), sum(a.v) FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2 GROUP BY b.label",
            "SELECT a.id, b.id FROM a JOIN b ON b.id = a.k AND b.label <> 'two' WHERE a.id BETWEEN $1 AND $2",
            "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k AND a.v > 1 WHERE a.id BETWEEN $1 AND $2",
            "SELECT a.id, b.label FROM a JOIN b ON b.id = a.v WHERE a.id BETWEEN $1 AND $2",
            // Projections the join writes itself (Joins.Projection): columns of both sides in
            // another order, repeated, the right row's id, columns added after rows were written.
            "SELECT b.label, a.id, b.id, a.s, a.id FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT b.note, a.late, a.id, b.label FROM a LEFT JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT a.s FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
        ]
        try expectProbedJoinsAgree(db, queries, [(1, 7), (2, 4), (3, 3), (8, 9), (5, 1)])
        #expect(try rows(db, "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 1 AND 7 ORDER BY 1") ==
                [["1", "two"], ["2", "one"], ["4", "zero"], ["5", "one"], ["6", "NULL"], ["7", "one"]])
        #expect(try rows(db, "SELECT a.id, b.label FROM a JOIN b ON b.id = a.v WHERE a.id BETWEEN 1 AND 7 ORDER BY 1") ==
                [["5", "two"]], "a double key names the row of its integer value, 1.5 none")
    }

    /// A prepared query's rows streamed (the array lent to the caller is the join's own output
    /// row, written over for the next row) against the same rows collected by the result.
    @Test("a primary-key join's projected rows streamed equal the rows collected, for every key range")
    func streamedProjectedJoin() throws {
        let db = try database()
        let session = db.session()
        let sql = "SELECT a.id, b.label, a.late, b.id FROM a LEFT JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2"
        let statement = try Parser.parseStatement(sql)
        let cache = PlanCache()
        #expect(try plan(db, sql, [.int(1), .int(7)]).contains("Primary Key Lookup on b"))
        for (low, high) in [(1, 7), (2, 4), (3, 3), (8, 9)] {
            let parameters: [Value] = [.int(Int64(low)), .int(Int64(high))]
            var streamed: [[Value]] = []
            try session.execute(statement, parameters, planCache: cache) { row in streamed.append(row) }
            let collected = try session.execute(sql, parameters).rows
            #expect(streamed == collected, "\(low)...\(high)")
            #expect(streamed.count == max(0, min(high, 7) - low + 1), "every a row once (a LEFT JOIN), \(low)...\(high)")
        }
    }

    /// The probe's leaf search and the one-walk decode of the right record (BTreeNode.search,
    /// RecordView.decode(into:)) on a right table of many leaves under interior pages, with
    /// labels in overflow pages, non-ASCII and empty, and NULL or missing join keys.
    @Test("a primary-key join into a table of many leaves, overflow and non-ASCII labels, agrees with a hash join")
    func probedJoinsOverLargeRows() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id bigint PRIMARY KEY, k bigint, s text);
            CREATE TABLE b (id bigint PRIMARY KEY, label text, n int);
            INSERT INTO b SELECT g, 'label-' || g, g % 7 FROM generate_series(1, 3000) g;
            UPDATE b SET label = repeat('long é ', 3000) || id WHERE id % 500 = 0;
            UPDATE b SET label = 'grüße 😀 ' || id WHERE id % 500 = 1;
            UPDATE b SET label = '' WHERE id = 7;
            UPDATE b SET label = NULL, n = NULL WHERE id = 8;
            INSERT INTO a SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE (g * 37) % 3200 END, 'a' || g FROM generate_series(1, 400) g;
            INSERT INTO a VALUES (401, 500, repeat('ü', 9000)), (402, 501, 'x'), (403, 7, NULL), (404, 8, 'y'), (405, -1, 'z');
            """)
        let queries = [
            "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT b.n, b.label, a.s, a.id, b.id FROM a LEFT JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT * FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
            "SELECT length(b.label), a.id FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN $1 AND $2",
        ]
        try expectProbedJoinsAgree(db, queries, [(1, 405), (395, 405), (400, 401)])
        #expect(try rows(db, "SELECT a.id, length(b.label), left(b.label, 7) FROM a JOIN b ON b.id = a.k WHERE a.id BETWEEN 401 AND 405 ORDER BY 1") ==
                [["401", "21003", "long é "], ["402", "11", "grüße 😀"], ["403", "0", ""], ["404", "NULL", "NULL"]],
                "405's key names no row")
        #expect(try rows(db, "SELECT b.label FROM a JOIN b ON b.id = a.k WHERE a.id = 402") == [["grüße 😀 501"]])
    }

    @Test("the key equality is still checked when the join condition says more than it")
    func conditionBeyondTheKey() throws {
        let db = try database()
        #expect(try rows(db, "SELECT a.id, b.id FROM a JOIN b ON b.id = a.k AND b.id <> 2 WHERE a.id BETWEEN 1 AND 7 ORDER BY 1") ==
                [["2", "1"], ["4", "0"], ["5", "1"], ["6", "3"], ["7", "1"]])
        #expect(try rows(db, "SELECT a.id, b.id FROM a LEFT JOIN b ON b.id = a.k AND a.id > 2 WHERE a.id BETWEEN 1 AND 3 ORDER BY 1") ==
                [["1", "NULL"], ["2", "NULL"], ["3", "NULL"]])
    }

    @Test("GROUP BY one key gives the groups of the same key grouped with another, in first-seen order")
    func oneGroupKey() throws {
        let db = try database()
        try db.execute("CREATE TABLE n (id bigint PRIMARY KEY, i int, d double precision, t text)")
        #expect(try rows(db, "SELECT i, count(*) FROM n GROUP BY i") == [])
        #expect(try rows(db, "SELECT count(*), sum(d) FROM n") == [["0", "NULL"]])
        try db.execute("""
            INSERT INTO n VALUES (1, 1, 1.0, 'x'), (2, NULL, NULL, NULL), (3, 2, 2.5, 'y'), (4, 1, 1.0, 'x'),
                                 (5, NULL, 2.0, 'é'), (6, 2, 1.0, 'y'), (7, 3, 3.0, 'é');
            """)
        for key in ["i", "d", "t", "i + d"] {
            let one = try rows(db, "SELECT \(key), count(*), sum(id), min(t) FROM n GROUP BY \(key)")
            let two = try rows(db, "SELECT \(key), count(*), sum(id), min(t) FROM n GROUP BY \(key), \(key) IS NULL")
            #expect(one == two, "GROUP BY \(key)")
        }
        #expect(try rows(db, "SELECT i, count(*), sum(d) FROM n GROUP BY i") ==
                [["1", "2", "2"], ["NULL", "2", "2"], ["2", "2", "3.5"], ["3", "1", "3"]])
        #expect(try rows(db, "SELECT d, count(*) FROM n GROUP BY d") == [["1", "3"], ["NULL", "1"], ["2.5", "1"], ["2", "1"], ["3", "1"]])
        // 1 (int) and 1.0 (double) are one group, as `=` says.
        #expect(try rows(db, "SELECT count(*) FROM (SELECT i AS x FROM n UNION ALL SELECT d FROM n) u GROUP BY x HAVING x = 1") == [["5"]])
    }

    /// Each query, a join on `b.id = a.…` (or `a.k = b.id`), is planned as a primary-key
    /// lookup and gives, for each range of `a.id` bounds, the rows of the same join written so
    /// that only a hash join can run it (`b.id + 0`).
    private func expectProbedJoinsAgree(_ db: Database, _ queries: [String], _ ranges: [(Int, Int)]) throws {
        let (low, high) = ranges[0]
        for query in queries {
            let hashed = query.replacingOccurrences(of: "b.id = a.", with: "b.id + 0 = a.")
                .replacingOccurrences(of: "a.k = b.id", with: "a.k = b.id + 0")
            #expect(try plan(db, query, [.int(Int64(low)), .int(Int64(high))]).contains("Primary Key Lookup on b"), "\(query)")
            #expect(try plan(db, hashed, [.int(Int64(low)), .int(Int64(high))]).contains("Hash"), "\(hashed)")
            for (low, high) in ranges {
                let parameters: [Value] = [.int(Int64(low)), .int(Int64(high))]
                let expected = try rows(db, hashed, parameters).sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
                let got = try rows(db, query, parameters).sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
                #expect(got == expected, "\(query) \(low)...\(high)")
            }
        }
    }

    private func plan(_ db: Database, _ sql: String, _ parameters: [Value] = []) throws -> String {
        try rows(db, "EXPLAIN " + sql, parameters).map { $0[0] }.joined(separator: "\n")
    }
}
