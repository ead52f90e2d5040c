import Testing
@testable import VireoQuery
import VireoStorage

/// `Session.execute(_:_:planCache:columns:row:)` hands rows over as the plan makes them
/// (projections reuse one output array): the rows must be those `execute` collects, in the
/// same order, whatever plan produced them, and a result past work_mem must stream.
@Suite("Streamed results: the rows execute collects, one at a time")
struct StreamedResultTests {
    private func session() throws -> Session {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id bigint PRIMARY KEY, k int, s text);
            CREATE TABLE b (id bigint PRIMARY KEY, label text);
            INSERT INTO b VALUES (0, 'zero'), (1, 'one'), (2, NULL);
            INSERT INTO a SELECT g, g % 4, 'row ' || g FROM generate_series(1, 3000) AS g;
            """)
        return db.session()
    }

    /// The collected rows and the streamed ones (copied as each arrives), with the columns.
    private func bothWays(_ session: Session, _ sql: String, _ parameters: [Value] = []) throws
        -> (collected: QueryResult, streamed: [[Value]], columns: [ResultColumn], tag: String) {
        let statement = try Parser.parseStatement(sql)
        let collected = try session.execute(statement, parameters, planCache: PlanCache())
        var streamed: [[Value]] = []
        var columns: [ResultColumn]?
        let result = try session.execute(statement, parameters, planCache: PlanCache(), columns: {
            #expect(columns == nil, "columns reported twice")
            columns = $0
        }, row: { row in
            #expect(columns != nil, "a row before the columns")
            streamed.append(row)
        })
        #expect(result.rows.isEmpty)
        return (collected, streamed, columns ?? [], result.commandTag)
    }

    @Test("scans, filters, expressions, joins, sorts and aggregates stream the collected rows", arguments: [
        "SELECT id, s FROM a WHERE id BETWEEN $1 AND 2500",
        "SELECT * FROM a WHERE k = 1 AND id > $1",
        "SELECT id * 2, upper(s), k IS NULL FROM a WHERE id < $1",
        "SELECT a.id, b.label FROM a JOIN b ON b.id = a.k WHERE a.id > $1",
        "SELECT a.id, b.label FROM a LEFT JOIN b ON b.id = a.k - 1 WHERE a.id > $1 ORDER BY a.id DESC",
        "SELECT k, count(*), max(s) FROM a WHERE id > $1 GROUP BY k ORDER BY k",
        "SELECT s FROM a WHERE id > $1 ORDER BY s LIMIT 7",
        "SELECT id FROM a WHERE id > $1 AND id < 0",
    ])
    func sameRows(sql: String) throws {
        let session = try session()
        let (collected, streamed, columns, tag) = try bothWays(session, sql, [.int(40)])
        #expect(streamed == collected.rows)
        #expect(columns == collected.columns)
        #expect(tag == collected.commandTag)
    }

    @Test("statements other than queries hand their collected rows to the closure")
    func returningAndShow() throws {
        let session = try session()
        var rows: [[Value]] = []
        let result = try session.execute(try Parser.parseStatement("INSERT INTO b VALUES (5, 'five'), (6, 'six') RETURNING id"),
                                         [], planCache: PlanCache()) { rows.append($0) }
        #expect(rows == [[.int(5)], [.int(6)]])
        #expect(result.commandTag == "INSERT 0 2")
        let (collected, streamed, _, _) = try bothWays(session, "SHOW work_mem")
        #expect(streamed == collected.rows && streamed.count == 1)
    }

    @Test("EXECUTE of a prepared query with arguments streams the query's rows, not its arguments' row")
    func executeWithArguments() throws {
        let session = try session()
        try session.execute("PREPARE near_id (bigint, int) AS SELECT id, k FROM a WHERE id BETWEEN $1 AND $1 + $2 ORDER BY id")
        let (collected, streamed, columns, tag) = try bothWays(session, "EXECUTE near_id(10 + 5, 2)")
        #expect(collected.rows == [[.int(15), .int(3)], [.int(16), .int(0)], [.int(17), .int(1)]])
        #expect(streamed == collected.rows, "streamed \(streamed), collected \(collected.rows)")
        #expect(columns.map(\.name) == ["id", "k"])
        #expect(tag == "SELECT 3")
    }

    @Test("a prepared INSERT run through the streaming call stores its row each time and hands over RETURNING")
    func preparedInsertStreamed() throws {
        let session = try session()
        let statement = try Parser.parseStatement("INSERT INTO b VALUES ($1, $2) RETURNING id, (SELECT count(*) FROM a WHERE k = 0)")
        let cache = PlanCache()
        var rows: [[Value]] = []
        var columnNames: [[String]] = []
        for id in Int64(10)...12 {
            let result = try session.execute(statement, [.int(id), .text("n\(id)")], planCache: cache,
                                             columns: { columnNames.append($0.map(\.name)) }, row: { rows.append($0) })
            #expect(result.commandTag == "INSERT 0 1" && result.rows.isEmpty)
        }
        #expect(rows == [[.int(10), .int(750)], [.int(11), .int(750)], [.int(12), .int(750)]])
        #expect(columnNames == Array(repeating: ["id", "count"], count: 3))
        #expect(try session.execute("SELECT count(*) FROM b WHERE id BETWEEN 10 AND 12").rows == [[.int(3)]])
    }

    @Test("a result larger than work_mem streams; collected, it is refused with 54000")
    func pastWorkMem() throws {
        let session = try session()
        try session.execute("SET work_mem = '64kB'")
        let statement = try Parser.parseStatement("SELECT id, s FROM a")
        #expect(throws: VireoError.self) { try session.execute(statement, [], planCache: PlanCache()) }
        var count = 0
        var sum: Int64 = 0
        let result = try session.execute(statement, [], planCache: PlanCache()) { row in
            count += 1
            if case .int(let id) = row[0] { sum += id }
        }
        #expect(count == 3000 && sum == 3000 * 3001 / 2)
        #expect(result.commandTag == "SELECT 3000")
    }

    @Test("an error thrown by the row closure ends the statement, and the session goes on")
    func closureError() throws {
        struct Stop: Error {}
        let session = try session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO b VALUES (9, 'nine')")
        var seen = 0
        #expect(throws: Stop.self) {
            try session.execute(try Parser.parseStatement("SELECT id FROM a"), [], planCache: PlanCache()) { _ in
                seen += 1
                if seen == 10 { throw Stop() }
            }
        }
        #expect(seen == 10)
        // The block's own row is still there, and a streamed read sees it.
        var labels: [Value] = []
        try session.execute(try Parser.parseStatement("SELECT label FROM b WHERE id = 9"), [], planCache: PlanCache()) {
            labels.append($0[0])
        }
        #expect(labels == [.text("nine")])
        try session.execute("COMMIT")
        #expect(try session.execute("SELECT count(*) FROM b").rows == [[.int(4)]])
    }
}
