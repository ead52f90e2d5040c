import Testing
@testable import VireoQuery
import VireoStorage

/// DECLARE, FETCH, MOVE and CLOSE with PostgreSQL's positions, tags, errors and lifetimes.
@Suite("Cursors")
struct CursorTests {
    /// A session over table t with ids 1…5.
    private func session() throws -> Session {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        try db.execute("INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 5) AS s(i)")
        return db.session()
    }

    private func ids(_ result: QueryResult) -> [Int64] {
        result.rows.map { row in
            guard case .int(let value) = row[0] else { return -1 }
            return value
        }
    }

    private func fetch(_ session: Session, _ sql: String) throws -> [Int64] {
        ids(try session.execute(sql))
    }

    private func sqlState(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as VireoError { return error.sqlState } catch { return "not a VireoError" }
        return nil
    }

    @Test("statements parse in every documented form and render back to the same tree")
    func parsing() throws {
        let forms = [
            "DECLARE c CURSOR FOR SELECT 1", "DECLARE \"Big\" BINARY INSENSITIVE NO SCROLL CURSOR WITH HOLD FOR SELECT 1",
            "DECLARE c ASENSITIVE SCROLL CURSOR WITHOUT HOLD FOR VALUES (1)", "FETCH c", "FETCH NEXT FROM c", "FETCH PRIOR IN c",
            "FETCH FIRST c", "FETCH LAST FROM c", "FETCH ABSOLUTE -2 FROM c", "FETCH RELATIVE 0 c", "FETCH 3 FROM c",
            "FETCH -3 FROM c", "FETCH ALL FROM c", "FETCH FORWARD c", "FETCH FORWARD 7 FROM c", "FETCH FORWARD ALL c",
            "FETCH BACKWARD FROM c", "FETCH BACKWARD 2 c", "FETCH BACKWARD ALL FROM c", "MOVE c", "MOVE ABSOLUTE 2 FROM c",
            "CLOSE c", "CLOSE ALL", "CLOSE \"all\"",
        ]
        for sql in forms {
            let body = try Parser.parseStatement(sql).body
            #expect(try Parser.parseStatement(body.sql).body == body, "\(sql) rendered as \(body.sql)")
        }
        #expect(try Parser.parseStatement("FETCH PRIOR FROM c").body == .fetch(FetchCursor(name: "c", direction: .backward(1))))
        #expect(try Parser.parseStatement("MOVE LAST IN c").body == .fetch(FetchCursor(name: "c", direction: .absolute(-1), isMove: true)))
        #expect(try Parser.parseStatement("CLOSE ALL").body == .closeCursor(nil))
        #expect(throws: VireoError.self) { try Parser.parseStatement("DECLARE c CURSOR FOR DELETE FROM t") }
    }

    @Test("FETCH moves forward and backward and stops at both ends, as PostgreSQL's positions do")
    func directions() throws {
        let session = try session()
        try session.execute("BEGIN; DECLARE c CURSOR FOR SELECT id FROM t ORDER BY id")
        #expect(try fetch(session, "FETCH PRIOR FROM c") == [], "nothing before the first row")
        #expect(try fetch(session, "FETCH c") == [1])
        #expect(try fetch(session, "FETCH FORWARD 2 FROM c") == [2, 3])
        #expect(try fetch(session, "FETCH RELATIVE 0 FROM c") == [3], "RELATIVE 0 re-fetches the current row")
        #expect(try fetch(session, "FETCH BACKWARD 5 FROM c") == [2, 1], "runs off the start")
        #expect(try fetch(session, "FETCH NEXT FROM c") == [1], "from before the first row")
        #expect(try fetch(session, "FETCH ALL FROM c") == [2, 3, 4, 5])
        #expect(try fetch(session, "FETCH NEXT FROM c") == [], "after the last row")
        #expect(try fetch(session, "FETCH PRIOR FROM c") == [5])
        #expect(try fetch(session, "FETCH ABSOLUTE 2 FROM c") == [2])
        #expect(try fetch(session, "FETCH ABSOLUTE -1 FROM c") == [5])
        #expect(try fetch(session, "FETCH ABSOLUTE 9 FROM c") == [])
        #expect(try fetch(session, "FETCH BACKWARD 2 FROM c") == [5, 4], "from after the last row")
        #expect(try fetch(session, "FETCH RELATIVE -2 FROM c") == [2])
        #expect(try fetch(session, "FETCH RELATIVE 9223372036854775807 FROM c") == [], "no overflow")
        #expect(try fetch(session, "FETCH FIRST FROM c") == [1])
        #expect(try fetch(session, "FETCH LAST FROM c") == [5])
        #expect(try fetch(session, "FETCH ABSOLUTE -6 FROM c") == [], "before the first row")
        #expect(try fetch(session, "FETCH -2 FROM c") == [], "a negative count goes backward, here from before the first row")
        #expect(try fetch(session, "FETCH FORWARD 9223372036854775807 FROM c") == [1, 2, 3, 4, 5])
        #expect(try fetch(session, "FETCH BACKWARD ALL FROM c") == [5, 4, 3, 2, 1])
        #expect(try fetch(session, "FETCH ABSOLUTE 0 FROM c") == [])
        #expect(try fetch(session, "FETCH NEXT FROM c") == [1], "ABSOLUTE 0 is before the first row")
    }

    @Test("tags count rows; MOVE moves as FETCH would and returns no rows; FETCH's columns are the query's")
    func tagsAndColumns() throws {
        let session = try session()
        #expect(try session.execute("BEGIN").commandTag == "BEGIN")
        #expect(try session.execute("DECLARE c CURSOR FOR SELECT id, v AS label FROM t ORDER BY id").commandTag == "DECLARE CURSOR")
        let moved = try session.execute("MOVE FORWARD 3 FROM c")
        #expect(moved.commandTag == "MOVE 3" && moved.rows.isEmpty && moved.columns.isEmpty)
        #expect(try session.execute("MOVE 9 IN c").commandTag == "MOVE 2")
        let fetched = try session.execute("FETCH BACKWARD 2 FROM c")
        #expect(fetched.commandTag == "FETCH 2")
        #expect(fetched.columns == (try session.execute("SELECT id, v AS label FROM t LIMIT 0").columns))
        #expect(fetched.columns.map(\.name) == ["id", "label"])
        #expect(fetched.rows == [[.int(5), .text("v5")], [.int(4), .text("v4")]])
        #expect(try session.execute("FETCH ABSOLUTE 7 FROM c").commandTag == "FETCH 0")
        let described = try session.describe(Parser.parseStatement("FETCH 10 FROM c"))
        #expect(described.columns == fetched.columns, "Describe of FETCH gives the cursor's columns")
        #expect(try session.execute("CLOSE c").commandTag == "CLOSE CURSOR")
    }

    @Test("PostgreSQL's SQLSTATEs: DECLARE outside a block 25P01, an unknown cursor 34000, a duplicate name 42P03")
    func errors() throws {
        let session = try session()
        #expect(sqlState { try session.execute("DECLARE c CURSOR FOR SELECT 1") } == "25P01")
        #expect(sqlState { try session.execute("FETCH c") } == "34000")
        #expect(sqlState { try session.execute("CLOSE c") } == "34000")
        #expect(sqlState { _ = try session.describe(Parser.parseStatement("FETCH c")) } == "34000")
        try session.execute("BEGIN; DECLARE c CURSOR FOR SELECT 1")
        #expect(sqlState { try session.execute("DECLARE c CURSOR FOR SELECT 2") } == "42P03")
        try session.execute("ROLLBACK; BEGIN; DECLARE c CURSOR FOR SELECT 1")
        #expect(sqlState { try session.execute("MOVE x") } == "34000")
        #expect(sqlState { try session.execute("FETCH c") } == "25P02", "the error aborted the block")
        #expect(try session.execute("ROLLBACK").commandTag == "ROLLBACK")
        #expect(sqlState { try session.execute("FETCH c") } == "34000", "ROLLBACK closed it")
    }

    @Test("WITHOUT HOLD cursors close at COMMIT and ROLLBACK; WITH HOLD ones outlive COMMIT until CLOSE")
    func lifetimes() throws {
        let session = try session()
        try session.execute("BEGIN; DECLARE plain CURSOR WITHOUT HOLD FOR SELECT id FROM t ORDER BY id")
        try session.execute("DECLARE held CURSOR WITH HOLD FOR SELECT id FROM t ORDER BY id")
        #expect(try fetch(session, "FETCH 2 FROM held") == [1, 2])
        try session.execute("COMMIT")
        #expect(sqlState { try session.execute("FETCH plain") } == "34000")
        #expect(try fetch(session, "FETCH held") == [3], "a held cursor keeps its position past COMMIT")
        try session.execute("BEGIN; DECLARE plain CURSOR FOR SELECT 1; ROLLBACK")
        #expect(sqlState { try session.execute("FETCH plain") } == "34000")
        #expect(try fetch(session, "FETCH held") == [4], "a later ROLLBACK does not close a cursor held by an earlier COMMIT")
        try session.execute("BEGIN; DECLARE held2 CURSOR WITH HOLD FOR SELECT 1; ROLLBACK")
        #expect(sqlState { try session.execute("FETCH held2") } == "34000", "ROLLBACK of the declaring transaction closes it")
        #expect(try session.execute("DECLARE outside CURSOR WITH HOLD FOR SELECT 7").commandTag == "DECLARE CURSOR")
        #expect(try session.execute("FETCH outside").rows == [[.int(7)]], "WITH HOLD needs no block")
        try session.execute("CLOSE held")
        #expect(sqlState { try session.execute("FETCH held") } == "34000")
        try session.execute("CLOSE ALL")
        #expect(sqlState { try session.execute("FETCH outside") } == "34000")
    }

    @Test("a cursor's rows are those of DECLARE's snapshot: rows written later are not fetched")
    func snapshot() throws {
        let session = try session()
        let other = session.database.session()
        try session.execute("BEGIN; DECLARE c CURSOR FOR SELECT id FROM t ORDER BY id")
        try session.execute("INSERT INTO t VALUES (6, 'own')")
        try other.execute("INSERT INTO t VALUES (7, 'other'); DELETE FROM t WHERE id = 1")
        #expect(try fetch(session, "FETCH ALL FROM c") == [1, 2, 3, 4, 5])
        try session.execute("COMMIT")
    }

    @Test("a pgwire portal's rows kept as a cursor page as Executes do and are moved, closed and ended as cursors are")
    func portalCursors() throws {
        let session = try session()
        try session.execute("BEGIN")
        try session.openPortalCursor("p", try session.execute("SELECT id FROM t ORDER BY id"))
        let first = try #require(session.fetchPortalCursor("p", count: 2))
        #expect(ids(QueryResult(columns: [], rows: first.rows, commandTag: "")) == [1, 2] && first.suspended)
        #expect(try fetch(session, "FETCH 1 FROM p") == [3], "SQL's FETCH reaches the portal")
        let last = try #require(session.fetchPortalCursor("p", count: 2))
        #expect(last.rows.count == 2 && last.suspended, "taking exactly the last rows still suspends, as in PostgreSQL")
        let after = try #require(session.fetchPortalCursor("p", count: 2))
        #expect(after.rows.isEmpty && !after.suspended)
        #expect(sqlState { try session.openPortalCursor("p", QueryResult(commandTag: "SELECT 0")) } == "42P03")
        session.closePortalCursor("p")
        #expect(session.fetchPortalCursor("p", count: nil) == nil)
        try session.execute("DECLARE d CURSOR FOR SELECT id FROM t")
        session.closePortalCursor("d")
        #expect(try fetch(session, "FETCH 1 FROM d") == [1], "closing a portal leaves a DECLARE's cursor of its name alone")
        try session.openPortalCursor("q", try session.execute("SELECT id FROM t"))
        try session.execute("COMMIT")
        #expect(session.fetchPortalCursor("q", count: 1) == nil, "the end of the transaction that bound it closes it")
    }
}
