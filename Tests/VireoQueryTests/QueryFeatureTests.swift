import Testing
@testable import VireoQuery
import VireoStorage

/// Issue 10's queries: WITH (recursive too), window functions, DISTINCT ON, FILTER, RIGHT and
/// FULL joins, VALUES as a table, empty select lists. The PostgreSQL differential test
/// (Tests/e2e/test_postgres_differential.py) compares many more statements with PostgreSQL 15.
@Suite("SQL: WITH, window functions and the other PostgreSQL query forms")
struct QueryFeatureTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE emp (id int PRIMARY KEY, dept int, salary int);
            INSERT INTO emp VALUES (1, 1, 100), (2, 1, 100), (3, 1, 80), (4, 2, 90), (5, 2, NULL), (6, NULL, 70)
            """)
        return db
    }

    @Test("several WITH queries, a later one reading an earlier one, shadowing a table")
    func commonTables() throws {
        let db = try database()
        #expect(try rows(db, "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT x, y FROM a, b") == [["1", "2"]])
        #expect(try rows(db, "WITH emp AS (SELECT 42 AS id) SELECT id FROM emp") == [["42"]])
        #expect(try rows(db, "WITH t(k) AS (SELECT 5, 6) SELECT * FROM t") == [["5", "6"]], "fewer names rename the first columns")
        #expect(sqlError(db, "WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a")?.sqlState == "42712")
        #expect(sqlError(db, "WITH t(a, b) AS (SELECT 1) SELECT * FROM t")?.sqlState == "42P10")
        #expect(sqlError(db, "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a")?.sqlState == "42P01")
    }

    @Test("a WITH query read twice is computed once: a volatile function gives the same value")
    func commonTableComputedOnce() throws {
        let db = try database()
        #expect(try rows(db, "WITH r AS (SELECT random() AS v) SELECT a.v = b.v FROM r a, r b") == [["t"]])
        let perRow = "WITH r AS (SELECT random() AS v) SELECT count(DISTINCT (SELECT v FROM r WHERE emp.id > 0)) FROM emp"
        #expect(try rows(db, perRow) == [["1"]], "read from a subquery run per row, still computed once")
    }

    @Test("WITH RECURSIVE with UNION ALL and UNION, over a graph with a cycle")
    func recursive() throws {
        let db = try database()
        #expect(try rows(db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT sum(n) FROM t") == [["15"]])
        try db.execute("CREATE TABLE edges (a int, b int); INSERT INTO edges VALUES (1, 2), (2, 3), (3, 1), (4, 5)")
        let reach = "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT b FROM edges JOIN r ON a = n) SELECT n FROM r ORDER BY n"
        #expect(try rows(db, reach) == [["1"], ["2"], ["3"]], "UNION drops rows already seen, so the cycle ends")
        #expect(try rows(db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT n FROM t LIMIT 3")
                == [["1"], ["2"], ["3"]], "a LIMIT above stops an endless recursion")
        #expect(sqlError(db, "WITH RECURSIVE t(n) AS (SELECT n FROM t UNION ALL SELECT 1) SELECT * FROM t")?.sqlState == "42P19")
        #expect(sqlError(db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT a.n FROM t a, t b) SELECT * FROM t")?.sqlState == "42P19")
        #expect(sqlError(db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE EXISTS (SELECT FROM t)) SELECT * FROM t")?.sqlState
                == "42P19", "not within a subquery")
        #expect(try rows(db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT s.n + 1 FROM (SELECT n FROM t) s WHERE s.n < 3) SELECT count(*) FROM t")
                == [["3"]], "a FROM subquery may read it")
        #expect(sqlError(db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT count(*) FROM t) SELECT * FROM t")?.sqlState == "42P19",
                "no aggregates in the recursive term")
        #expect(sqlError(db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT e.id FROM emp e LEFT JOIN t ON t.n = e.id) SELECT * FROM t")?.sqlState
                == "42P19", "not on the NULL-filled side of an outer join")
    }

    @Test("an endless recursion fails with 54000 once its rows pass work_mem, and the session goes on")
    func runawayRecursion() throws {
        let db = try database()
        let session = db.session()
        try session.execute("SET work_mem = '64kB'")
        let error = sqlError(session, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t")
        #expect(error?.sqlState == "54000", "expected 54000, got \(String(describing: error))")
        #expect(error?.message.contains("recursive") == true, "\(String(describing: error?.message))")
        #expect(try session.execute("SELECT 1").rows == [[.int(1)]])
    }

    @Test("an endless recursion stops at statement_timeout with 57014")
    func recursionTimeout() throws {
        let db = try database()
        let session = db.session()
        try session.execute("SET statement_timeout = '150ms'")
        let timeout = sqlError(session, "WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT (n + 1) % 1000000000 FROM t) SELECT count(*) FROM t")
        #expect(timeout?.sqlState == "57014", "expected 57014, got \(String(describing: timeout))")
    }

    @Test("WITH before INSERT, UPDATE and DELETE")
    func commonTablesInChanges() throws {
        let db = try database()
        try db.execute("CREATE TABLE log (id int, msg text)")
        try db.execute("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) INSERT INTO log SELECT n, 'm' || n FROM t")
        try db.execute("WITH x AS (SELECT 2 AS id) UPDATE log SET msg = 'two' WHERE id = (SELECT id FROM x)")
        try db.execute("WITH x AS (SELECT 3 AS id) DELETE FROM log WHERE id IN (SELECT id FROM x)")
        #expect(try rows(db, "SELECT id, msg FROM log ORDER BY id") == [["1", "m1"], ["2", "two"]])
        let described = try db.session().describe(Parser.parseStatement("WITH v AS (SELECT $1::int AS id) INSERT INTO log SELECT id, 'x' FROM v RETURNING id"))
        #expect(described.columns.map(\.name) == ["id"], "Describe binds the WITH list too")
    }

    @Test("data-modifying WITH entries run once and return their rows; only at the top level")
    func dataModifyingWith() throws {
        let db = try database()
        try db.execute("CREATE TABLE done (id int, salary int)")
        let moved = try rows(db, "WITH gone AS (DELETE FROM emp WHERE dept = 2 RETURNING id, salary) INSERT INTO done SELECT * FROM gone RETURNING id")
        #expect(moved.sorted { $0[0] < $1[0] } == [["4"], ["5"]])
        #expect(try rows(db, "SELECT count(*) FROM emp WHERE dept = 2") == [["0"]])
        #expect(try rows(db, "WITH up AS (UPDATE done SET salary = 1 RETURNING id) SELECT count(*) FROM up") == [["2"]])
        #expect(try rows(db, "SELECT salary FROM done ORDER BY id") == [["1"], ["1"]])
        try db.execute("WITH d AS (DELETE FROM done WHERE id = 4) SELECT 1")
        #expect(try rows(db, "SELECT count(*) FROM done") == [["1"]], "an entry runs even when nothing reads it")
        #expect(sqlError(db, "WITH d AS (DELETE FROM done) SELECT * FROM d")?.sqlState == "0A000", "no RETURNING, nothing to read")
        #expect(sqlError(db, "SELECT * FROM (WITH d AS (DELETE FROM done RETURNING id) SELECT id FROM d) s")?.sqlState == "0A000")
        #expect(try rows(db, "SELECT count(*) FROM done") == [["1"]], "the refused statement changed nothing")
    }

    @Test("ranking functions: row_number, rank, dense_rank, percent_rank, cume_dist, ntile")
    func ranking() throws {
        let db = try database()
        let sql = """
            SELECT id, row_number() OVER w, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w,
                   ntile(4) OVER w FROM emp WHERE salary IS NOT NULL WINDOW w AS (ORDER BY salary DESC) ORDER BY id
            """
        #expect(try rows(db, sql) == [
            ["1", "1", "1", "1", "0", "0.4", "1"], ["2", "2", "1", "1", "0", "0.4", "1"], ["3", "4", "4", "3", "0.75", "0.8", "3"],
            ["4", "3", "3", "2", "0.5", "0.6", "2"], ["6", "5", "5", "4", "1", "1", "4"],
        ])
        #expect(sqlError(db, "SELECT ntile(0) OVER () FROM emp")?.sqlState == "22014")
    }

    @Test("lag and lead with offset and default; first_value, last_value, nth_value over the frame")
    func valueFunctions() throws {
        let db = try database()
        #expect(try rows(db, "SELECT id, lag(id) OVER (ORDER BY id), lead(id, 2, 0) OVER (ORDER BY id) FROM emp WHERE id <= 4 ORDER BY id")
                == [["1", "NULL", "3"], ["2", "1", "4"], ["3", "2", "0"], ["4", "3", "0"]])
        #expect(try rows(db, "SELECT id, last_value(id) OVER (ORDER BY salary), nth_value(id, 2) OVER (ORDER BY id) FROM emp WHERE dept = 1 ORDER BY id")
                == [["1", "2", "NULL"], ["2", "2", "2"], ["3", "3", "2"]], "the default frame ends with the row's last peer")
        #expect(sqlError(db, "SELECT nth_value(id, 0) OVER () FROM emp")?.sqlState == "22016")
    }

    @Test("aggregates over ROWS and RANGE frames, PostgreSQL's default frame, partitions")
    func frames() throws {
        let db = try database()
        #expect(try rows(db, "SELECT id, sum(salary) OVER (ORDER BY salary) FROM emp WHERE dept = 1 ORDER BY id")
                == [["1", "280"], ["2", "280"], ["3", "80"]], "peers share the default frame")
        #expect(try rows(db, "SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM emp ORDER BY id")
                == [["1", "3"], ["2", "6"], ["3", "9"], ["4", "12"], ["5", "15"], ["6", "11"]])
        #expect(try rows(db, "SELECT id, count(*) OVER (ORDER BY salary RANGE BETWEEN 10 PRECEDING AND CURRENT ROW) FROM emp WHERE salary IS NOT NULL ORDER BY id")
                == [["1", "3"], ["2", "3"], ["3", "2"], ["4", "2"], ["6", "1"]])
        #expect(try rows(db, "SELECT id, avg(salary) OVER (PARTITION BY dept) FROM emp WHERE dept = 2 ORDER BY id") == [["4", "90.0000000000000000"], ["5", "90.0000000000000000"]])
        #expect(try rows(db, "SELECT id, sum(id) OVER (ORDER BY salary GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM emp WHERE salary IS NOT NULL ORDER BY id")
                == [["1", "7"], ["2", "7"], ["3", "9"], ["4", "7"], ["6", "6"]], "GROUPS counts peer groups")
        #expect(sqlError(db, "SELECT sum(id) OVER (GROUPS 1 PRECEDING) FROM emp")?.sqlState == "42P20")
        #expect(try rows(db, """
            SELECT id, sum(id) OVER (ORDER BY salary ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE GROUP),
                   first_value(id) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING EXCLUDE CURRENT ROW)
            FROM emp WHERE dept = 1 ORDER BY id
            """) == [["1", "3", "2"], ["2", "3", "3"], ["3", "3", "NULL"]], "EXCLUDE leaves rows out of the frame")
        #expect(sqlError(db, "SELECT sum(id) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM emp")?.sqlState == "22013")
        #expect(sqlError(db, "SELECT sum(id) OVER (ORDER BY id ROWS UNBOUNDED FOLLOWING) FROM emp")?.sqlState == "42P20")
        #expect(sqlError(db, "SELECT id FROM emp WHERE row_number() OVER () > 1")?.sqlState == "42P20")
    }

    @Test("window functions over grouped rows, and the named WINDOW clause's rules")
    func windowsOverGroups() throws {
        let db = try database()
        #expect(try rows(db, "SELECT dept, sum(salary), rank() OVER (ORDER BY sum(salary) DESC) FROM emp WHERE dept IS NOT NULL GROUP BY dept ORDER BY dept")
                == [["1", "280", "1"], ["2", "90", "2"]])
        #expect(sqlError(db, "SELECT sum(id) OVER (w ORDER BY id) FROM emp WINDOW w AS (ORDER BY dept)")?.sqlState == "42P20")
        #expect(sqlError(db, "SELECT sum(id) OVER w FROM emp")?.sqlState == "42704")
        #expect(sqlError(db, "SELECT sum(row_number() OVER ()) FROM emp")?.sqlState == "42803")
    }

    @Test("DISTINCT ON keeps the first row of each group in ORDER BY order")
    func distinctOn() throws {
        let db = try database()
        #expect(try rows(db, "SELECT DISTINCT ON (dept) dept, id FROM emp ORDER BY dept, salary DESC NULLS LAST, id DESC")
                == [["1", "2"], ["2", "4"], ["NULL", "6"]])
        #expect(sqlError(db, "SELECT DISTINCT ON (dept) dept, id FROM emp ORDER BY id")?.sqlState == "42P10")
    }

    @Test("FETCH FIRST n ROWS WITH TIES keeps the rows tied with the last in the ORDER BY keys; 42601 without ORDER BY")
    func fetchWithTies() throws {
        let db = try database()
        try db.execute("CREATE INDEX emp_dept ON emp (dept)")
        #expect(try rows(db, "SELECT id FROM emp ORDER BY salary DESC NULLS LAST, id FETCH FIRST 1 ROW WITH TIES") == [["1"]])
        #expect(try rows(db, "SELECT id FROM emp ORDER BY salary DESC NULLS LAST FETCH FIRST 1 ROW WITH TIES").sorted { $0[0] < $1[0] } == [["1"], ["2"]])
        #expect(try rows(db, "SELECT dept FROM emp ORDER BY dept FETCH FIRST 1 ROWS WITH TIES") == [["1"], ["1"], ["1"]], "read in index order")
        #expect(try rows(db, "SELECT dept, id FROM emp ORDER BY dept DESC OFFSET 1 ROWS FETCH NEXT 1 ROW WITH TIES").sorted { $0[1] < $1[1] }
                == [["2", "4"], ["2", "5"]])
        #expect(try rows(db, "SELECT salary FROM emp ORDER BY salary DESC FETCH FIRST 1 ROW WITH TIES") == [["NULL"]])
        #expect(try rows(db, "SELECT dept FROM emp ORDER BY dept FETCH FIRST 0 ROWS WITH TIES").isEmpty)
        #expect(try rows(db, "SELECT count(*) FROM (SELECT dept FROM emp ORDER BY dept FETCH FIRST 2 ROWS WITH TIES) s") == [["3"]])
        #expect(try rows(db, "SELECT dept, count(*) FROM emp GROUP BY dept ORDER BY count(*) DESC FETCH FIRST 1 ROW WITH TIES") == [["1", "3"]])
        #expect(try rows(db, "SELECT dept FROM emp UNION ALL SELECT 1 ORDER BY dept FETCH FIRST 1 ROWS WITH TIES").count == 4)
        #expect(try rows(db, "SELECT x FROM (VALUES (1),(1),(1),(2)) v(x) ORDER BY x FETCH FIRST 2 ROWS WITH TIES") == [["1"], ["1"], ["1"]])
        #expect(sqlError(db, "SELECT dept FROM emp FETCH FIRST 1 ROWS WITH TIES")?.message == "WITH TIES cannot be specified without ORDER BY clause")
        #expect(sqlError(db, "SELECT dept FROM emp FETCH FIRST 1 ROWS WITH TIES")?.sqlState == "42601")
        #expect(sqlError(db, "SELECT dept FROM emp ORDER BY dept FETCH FIRST NULL ROWS WITH TIES")?.sqlState == "2201W")
        #expect(sqlError(db, "SELECT dept FROM emp ORDER BY dept FETCH FIRST -1 ROWS WITH TIES")?.sqlState == "2201W")
    }

    @Test("FILTER (WHERE …) on every aggregate, grouped or not")
    func filter() throws {
        let db = try database()
        #expect(try rows(db, "SELECT count(*) FILTER (WHERE salary > 80), sum(salary) FILTER (WHERE dept = 1), count(*) FROM emp")
                == [["3", "280", "6"]])
        #expect(try rows(db, "SELECT dept, count(*) FILTER (WHERE salary IS NULL) FROM emp GROUP BY dept ORDER BY dept")
                == [["1", "0"], ["2", "1"], ["NULL", "0"]])
        #expect(sqlError(db, "SELECT lower('a') FILTER (WHERE true)")?.sqlState == "42809")
    }

    @Test("LATERAL subqueries read the FROM entries before them, once per row")
    func lateral() throws {
        let db = try database()
        let top = "SELECT name FROM (VALUES (1), (2), (7)) AS d(dept) LEFT JOIN LATERAL (SELECT id AS name FROM emp WHERE emp.dept = d.dept ORDER BY salary DESC NULLS LAST, id LIMIT 1) t ON true ORDER BY d.dept"
        #expect(try rows(db, top) == [["1"], ["4"], ["NULL"]])
        #expect(try rows(db, "SELECT d.x, s.c FROM (VALUES (1), (2)) d(x), LATERAL (SELECT count(*) AS c FROM emp WHERE dept = d.x) s ORDER BY d.x")
                == [["1", "3"], ["2", "2"]])
        #expect(sqlError(db, "SELECT * FROM (VALUES (1)) d(x), (SELECT id FROM emp WHERE dept = d.x) s")?.sqlState == "42P01",
                "without LATERAL the subquery cannot see d")
    }

    @Test("a vector search as a WITH query joined to a table, and per row through LATERAL")
    func vectorSearchAsSubquery() throws {
        let db = try database()
        try db.execute("""
            CREATE TABLE items (id int PRIMARY KEY, dept int, embedding vector(2));
            INSERT INTO items VALUES (1, 1, '[1,0]'), (2, 1, '[0,1]'), (3, 2, '[1,1]'), (4, 2, '[0,2]');
            CREATE INDEX ON items USING hnsw (embedding vector_l2_ops)
            """)
        let joined = "WITH nn AS (SELECT id, dept FROM items ORDER BY embedding <-> '[1,0.1]' LIMIT 2) SELECT nn.id, count(e.id) FROM nn JOIN emp e ON e.dept = nn.dept GROUP BY nn.id ORDER BY nn.id"
        #expect(try rows(db, joined) == [["1", "3"], ["3", "2"]])
        let perRow = "SELECT q.x, nn.id FROM (VALUES (1, '[0,1]'::vector), (2, '[2,2]'::vector)) q(x, v) CROSS JOIN LATERAL (SELECT id FROM items ORDER BY embedding <-> q.v LIMIT 1) nn ORDER BY q.x"
        #expect(try rows(db, perRow) == [["1", "2"], ["2", "3"]])
    }

    @Test("USING and NATURAL show each merged column once; a FULL JOIN's is the side not NULL")
    func usingColumns() throws {
        let db = try database()
        let full = "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) l(k, v) FULL JOIN (VALUES (2, 'x'), (3, 'y')) r(k, w) USING (k) ORDER BY k"
        #expect(try rows(db, full) == [["1", "a", "NULL"], ["2", "b", "x"], ["3", "NULL", "y"]])
        #expect(try db.execute(full).columns.map(\.name) == ["k", "v", "w"])
        #expect(try rows(db, "SELECT k, l.k, r.k FROM (VALUES (1)) l(k) NATURAL LEFT JOIN (VALUES (2)) r(k)") == [["1", "1", "NULL"]])
        #expect(sqlError(db, "SELECT l.k, r.k FROM (VALUES (1)) l(k) JOIN (VALUES (1)) r(k) USING (k) ORDER BY k")?.sqlState == "42702",
                "ORDER BY a name two different output columns have is ambiguous")
    }

    @Test("RIGHT, FULL and CROSS joins; VALUES as a table; empty select lists")
    func joinsAndValues() throws {
        let db = try database()
        let values = "(VALUES (1, 'a'), (3, 'c'), (9, 'z')) AS v(id, name)"
        #expect(try rows(db, "SELECT e.id, v.name FROM emp e RIGHT JOIN \(values) ON v.id = e.id ORDER BY v.id")
                == [["1", "a"], ["3", "c"], ["NULL", "z"]])
        #expect(try rows(db, "SELECT count(*), count(e.id), count(v.id) FROM emp e FULL JOIN \(values) ON v.id = e.id") == [["7", "6", "3"]])
        #expect(try rows(db, "SELECT count(*) FROM emp CROSS JOIN \(values)") == [["18"]])
        #expect(try rows(db, "SELECT EXISTS (SELECT FROM emp WHERE id = 1), NOT EXISTS (SELECT FROM emp WHERE id = 9)") == [["t", "t"]])
        #expect(try db.execute("SELECT FROM emp").rows.count == 6)
        #expect(sqlError(db, "SELECT * FROM (VALUES (1))")?.sqlState == "42601", "VALUES in FROM needs an alias")
    }
}
