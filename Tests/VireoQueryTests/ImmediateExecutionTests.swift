import Testing
@testable import VireoQuery
import VireoStorage

/// `Session.executeImmediately` lets a server's event loop answer a point lookup or a
/// plain nearest-neighbour search itself; it must refuse (nil) everything that could wait
/// or run long, and answer exactly as `execute` does otherwise.
@Suite("Immediate execution: point lookups and plain index searches on cached pages only")
struct ImmediateExecutionTests {
    private func database(_ path: String? = nil) throws -> Database {
        let db = try path.map { try Database.open(path: $0) } ?? Database.inMemory()
        try db.execute("""
            CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, email text UNIQUE, v text, g int);
            CREATE INDEX IF NOT EXISTS t_g ON t (g)
            """)
        return db
    }

    private func fill(_ db: Database, rows: Int) throws {
        try db.execute("INSERT INTO t SELECT i, 'u' || i || '@x', 'value ' || i, i % 7 FROM generate_series(1, \(rows)) i")
    }

    private func immediate(_ session: Session, _ sql: String, _ parameters: [Value] = []) throws -> [[Value]]? {
        try session.executeImmediately(Parser.parseStatement(sql), parameters, planCache: PlanCache())?.rows
    }

    @Test("lookups by primary key or by every column of a unique index are answered, as execute answers them")
    func answersPointLookups() throws {
        let db = try database()
        try fill(db, rows: 100)
        let session = db.session()
        let lookups: [(String, [Value])] = [
            ("SELECT v FROM t WHERE id = $1", [.int(42)]),
            ("SELECT id, v FROM t WHERE id = 7 AND g = 0", []),
            ("SELECT id FROM t WHERE id IN (1, 2, 3)", []),
            ("SELECT v, g + 1 FROM t WHERE email = $1", [.text("u5@x")]),
            ("SELECT v FROM t WHERE id = $1", [.int(1000)]),
            ("SELECT v FROM t WHERE id = $1 LIMIT 1", [.int(9)]),
        ]
        for (sql, parameters) in lookups {
            let answered = try immediate(session, sql, parameters)
            #expect(answered != nil, "\(sql) should run immediately")
            #expect(answered == (try session.execute(Parser.parseStatement(sql), parameters).rows), "\(sql)")
        }
    }

    @Test("scans, open ranges, function calls, subqueries, sorts and writes are left to an engine thread")
    func refusesEverythingElse() throws {
        let db = try database()
        try fill(db, rows: 100)
        let session = db.session()
        let refused = [
            "SELECT v FROM t",
            "SELECT v FROM t WHERE g = 3",
            "SELECT v FROM t WHERE id > 5",
            "SELECT v FROM t WHERE email >= 'u5' AND email <= 'u5@x'",
            "SELECT random() FROM t WHERE id = 1",
            "SELECT upper(v) FROM t WHERE id = 1",
            "SELECT (SELECT count(*) FROM t) FROM t WHERE id = 1",
            "SELECT count(*) FROM t WHERE id = 1",
            "SELECT 1",
            "INSERT INTO t VALUES (1000, 'new@x', 'new', 1)",
        ]
        for sql in refused {
            #expect(try immediate(session, sql) == nil, "\(sql) must not run immediately")
        }
        #expect(try rows(db, "SELECT count(*) FROM t") == [["100"]], "a refused INSERT did not run")
    }

    @Test("a primary-key range bounded on both sides and narrower than 1,000 ids is answered; a wider or open one is not")
    func answersNarrowRanges() throws {
        let db = try database()
        try fill(db, rows: 3000)
        let session = db.session()
        let answered: [(String, [Value])] = [
            ("SELECT id, v FROM t WHERE id BETWEEN $1 AND $2", [.int(10), .int(109)]),
            ("SELECT id FROM t WHERE id >= $1 AND id < $2 AND v <> 'value 7'", [.int(1), .int(1000)]),
            ("SELECT v FROM t WHERE id > 2900 AND id <= 3500", []),
            ("SELECT id FROM t WHERE id BETWEEN $1 AND $2", [.int(50), .int(40)]),
        ]
        for (sql, parameters) in answered {
            let rows = try immediate(session, sql, parameters)
            #expect(rows != nil, "\(sql) \(parameters) should run immediately")
            #expect(rows == (try session.execute(Parser.parseStatement(sql), parameters).rows), "\(sql)")
        }
        let refused: [(String, [Value])] = [
            ("SELECT id FROM t WHERE id BETWEEN $1 AND $2", [.int(1), .int(1001)]),
            ("SELECT id FROM t WHERE id > $1", [.int(2990)]),
            ("SELECT id FROM t WHERE id BETWEEN $1 AND $2", [.int(-9_223_372_036_854_775_807), .int(9_223_372_036_854_775_807)]),
            ("SELECT upper(v) FROM t WHERE id BETWEEN 1 AND 10", []),
        ]
        for (sql, parameters) in refused {
            #expect(try immediate(session, sql, parameters) == nil, "\(sql) \(parameters) must not run immediately")
        }
    }

    @Test("inside a transaction block nothing runs immediately, and the block is untouched")
    func refusesInTransactionBlocks() throws {
        let db = try database()
        try fill(db, rows: 10)
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("UPDATE t SET v = 'changed' WHERE id = 1")
        #expect(try immediate(session, "SELECT v FROM t WHERE id = 1") == nil)
        #expect(try session.execute("SELECT v FROM t WHERE id = 1").rows == [[.text("changed")]])
        try session.execute("ROLLBACK")
        #expect(try immediate(session, "SELECT v FROM t WHERE id = 1") == [[.text("value 1")]])
    }

    @Test("a lookup whose pages are not cached is refused before it reads the disk; once cached it runs immediately")
    func refusesUncachedPages() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/cold.vireo"
            let db = try database(path)
            try fill(db, rows: 5_000)
            try db.close()

            let reopened = try database(path)
            defer { try? reopened.close() }
            let session = reopened.session()
            let sql = "SELECT v FROM t WHERE id = $1"
            let cache = PlanCache()
            let statement = try Parser.parseStatement(sql)
            #expect(try session.executeImmediately(statement, [.int(4_321)], planCache: cache) == nil)
            #expect(try session.execute(statement, [.int(4_321)], planCache: cache).rows == [[.text("value 4321")]])
            #expect(try session.executeImmediately(statement, [.int(4_321)], planCache: cache)?.rows == [[.text("value 4321")]])
            #expect(!CachedPagesOnly.isActive, "the thread's reads are unrestricted again")
        }
    }

    private func vectorDatabase(_ path: String? = nil) throws -> Database {
        let db = try path.map { try Database.open(path: $0) } ?? Database.inMemory()
        try db.execute("""
            CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY, g int, embedding vector(3));
            INSERT INTO items SELECT i, i % 5, ('[' || i % 17 || ',' || i % 13 || ',' || i % 7 || ']')::vector
                FROM generate_series(1, 500) i ON CONFLICT DO NOTHING;
            CREATE INDEX IF NOT EXISTS items_embedding ON items USING hnsw (embedding vector_l2_ops)
            """)
        return db
    }

    @Test("an unfiltered nearest-neighbour search by an index in memory is answered, as execute answers it")
    func answersIndexSearches() throws {
        let db = try vectorDatabase()
        let session = db.session()
        let searches: [(String, [Value])] = [
            ("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5", [.vector([3, 4, 5])]),
            ("SELECT id, g, embedding <-> '[1,1,1]' FROM items ORDER BY embedding <-> '[1,1,1]' LIMIT $1", [.int(10)]),
            ("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 3 OFFSET 2", [.vector([0, 0, 0])]),
        ]
        _ = try session.execute(Parser.parseStatement(searches[0].0), searches[0].1)  // loads the index
        for (sql, parameters) in searches {
            let answered = try immediate(session, sql, parameters)
            #expect(answered != nil, "\(sql) should run immediately")
            #expect(answered == (try session.execute(Parser.parseStatement(sql), parameters).rows), "\(sql)")
        }
    }

    @Test("a filtered search, a large ef_search or k, a NULL query vector and an index not yet loaded go to an engine thread")
    func refusesUnboundedSearches() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/vectors.vireo"
            try vectorDatabase(path).close()
            let db = try vectorDatabase(path)
            defer { try? db.close() }
            let session = db.session()
            let search = "SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5"
            #expect(try immediate(session, search, [.vector([1, 2, 3])]) == nil, "the index is not in memory yet")
            _ = try session.execute(Parser.parseStatement(search), [.vector([1, 2, 3])])
            #expect(try immediate(session, search, [.vector([1, 2, 3])]) != nil)
            let refused: [(String, [Value])] = [
                ("SELECT id FROM items WHERE g = 1 ORDER BY embedding <-> $1 LIMIT 5", [.vector([1, 2, 3])]),
                ("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 300", [.vector([1, 2, 3])]),
                ("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5", [.null]),
                ("SELECT id FROM items ORDER BY embedding <-> $1", [.vector([1, 2, 3])]),
            ]
            for (sql, parameters) in refused {
                #expect(try immediate(session, sql, parameters) == nil, "\(sql) must not run immediately")
            }
            try session.execute("SET hnsw.ef_search = 400")
            #expect(try immediate(session, search, [.vector([1, 2, 3])]) == nil, "ef_search 400 is past the bound")
            try session.execute("SET hnsw.ef_search = 40")
            #expect(try immediate(session, search, [.vector([1, 2, 3])]) != nil)
        }
    }

    @Test("an error of an immediate lookup is the statement's own error")
    func reportsErrors() throws {
        let db = try database()
        try fill(db, rows: 3)
        let session = db.session()
        #expect(throws: VireoError.self) { try immediate(session, "SELECT v FROM t WHERE id = $1", [.text("not a number")]) }
        #expect(!session.isInTransaction)
    }
}
