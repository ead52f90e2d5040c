import Testing
@testable import VireoQuery
import VireoStorage

/// A prepared k-NN query keeps its scan, search and index with its cached plan
/// (`NearestPlan`): each change that could make them stale must make the next execution
/// answer as a fresh plan would.
@Suite("SQL: a prepared k-NN query's kept plan and index")
struct NearestPlanTests {
    static let knn = "SELECT id FROM v ORDER BY e <-> $1 LIMIT 3"

    /// 1…20 along the x axis, and an HNSW index named v_e.
    static func makeTable(_ db: Database, offset: Float = 0) throws {
        try db.execute("CREATE TABLE v (id int PRIMARY KEY, label text, e vector(2))")
        for id in 1...20 { try db.execute("INSERT INTO v VALUES ($1, $2, $3)", id, "n\(id)", [Float(id) + offset, 0] as [Float]) }
        try db.execute("CREATE INDEX v_e ON v USING hnsw (e vector_l2_ops)")
    }

    static func ids(_ result: QueryResult) -> [Int64] {
        result.rows.map { if case .int(let id) = $0[0] { id } else { -1 } }
    }

    @Test("DROP INDEX, the same index made again and a changed table all answer as a fresh plan would")
    func indexDroppedAndMadeAgain() throws {
        let db = try Database.inMemory()
        try Self.makeTable(db)
        let prepared = try db.prepare(Self.knn)
        #expect(try Self.ids(prepared.execute([Value.vector([5.2, 0])])) == [5, 6, 4])
        try db.execute("DROP INDEX v_e")
        #expect(try Self.ids(prepared.execute([Value.vector([5.2, 0])])) == [5, 6, 4], "the exact scan answers without the index")
        try db.execute("INSERT INTO v VALUES (21, 'new', '[5.1,0]')")
        try db.execute("CREATE INDEX v_e ON v USING hnsw (e vector_l2_ops)")
        #expect(try Self.ids(prepared.execute([Value.vector([5.2, 0])])) == [21, 5, 6], "the index made again holds the new row")
        try db.execute("INSERT INTO v VALUES (22, 'newer', '[5.2,0]')")
        #expect(try Self.ids(prepared.execute([Value.vector([5.2, 0])])) == [22, 21, 5])
        try db.execute("ALTER TABLE v ADD COLUMN note text")
        try db.execute("DELETE FROM v WHERE id = 22")
        #expect(try Self.ids(prepared.execute([Value.vector([5.2, 0])])) == [21, 5, 6])
    }

    @Test("DROP TABLE gives the error a fresh plan gives; the table made again is searched, not the old one")
    func tableDroppedAndMadeAgain() throws {
        let db = try Database.inMemory()
        try Self.makeTable(db)
        let prepared = try db.prepare("SELECT id, label FROM v ORDER BY e <-> $1 LIMIT 2")
        #expect(try prepared.execute([Value.vector([1, 0])]).rows == [[.int(1), .text("n1")], [.int(2), .text("n2")]])
        try db.execute("DROP TABLE v")
        let fresh = sqlError(db, "SELECT id, label FROM v ORDER BY e <-> $1 LIMIT 2", [.vector([1, 0])])
        #expect(fresh?.sqlState == "42P01")
        do {
            _ = try prepared.execute([Value.vector([1, 0])])
            Issue.record("expected 42P01 after DROP TABLE")
        } catch let error as VireoError {
            #expect(error.sqlState == fresh?.sqlState && error.message == fresh?.message, "got \(error)")
        }
        try Self.makeTable(db, offset: 100)
        #expect(try prepared.execute([Value.vector([1, 0])]).rows == [[.int(1), .text("n1")], [.int(2), .text("n2")]])
        #expect(try prepared.execute([Value.vector([110.2, 0])]).rows == [[.int(10), .text("n10")], [.int(11), .text("n11")]])
    }

    @Test("an index dropped from memory without a schema change (a failed catch-up) is looked up again, so rows committed since are found")
    func indexForgottenWithoutSchemaChange() throws {
        let db = try Database.inMemory()
        try Self.makeTable(db)
        let prepared = try db.prepare(Self.knn)
        #expect(try Self.ids(prepared.execute([Value.vector([30, 0])])) == [20, 19, 18])
        let generation = db.vectorIndexes.generation
        let kept = try db.vectorIndexes.index("v_e")
        db.vectorIndexes.forget("v_e")
        #expect(db.vectorIndexes.generation != generation, "forget makes a new generation")
        try db.execute("INSERT INTO v VALUES (30, 'far', '[30,0]')")
        #expect(kept.count == 20, "the index dropped from memory no longer follows commits")
        #expect(try Self.ids(prepared.execute([Value.vector([30, 0])])) == [30, 20, 19])
        #expect(try db.vectorIndexes.index("v_e") !== kept)
    }

    @Test("a prepared search in a transaction sees its own inserts; ef_search, a dimension mismatch, a NULL vector and a filter answer as a fresh plan")
    func transactionSettingsAndErrors() throws {
        let db = try Database.inMemory()
        try Self.makeTable(db)
        let session = db.session()
        try session.execute("PREPARE near (vector) AS SELECT id FROM v ORDER BY e <-> $1 LIMIT 3")
        #expect(try rows(session, "EXECUTE near ('[7.2,0]')") == [["7"], ["8"], ["6"]])
        try session.execute("BEGIN")
        try session.execute("INSERT INTO v VALUES (40, 'own', '[7.3,0]')")
        #expect(try rows(session, "EXECUTE near ('[7.2,0]')") == [["40"], ["7"], ["8"]])
        try session.execute("ROLLBACK")
        #expect(try rows(session, "EXECUTE near ('[7.2,0]')") == [["7"], ["8"], ["6"]])
        try session.execute("SET hnsw.ef_search = 1")
        #expect(try rows(session, "EXECUTE near ('[7.2,0]')").count == 3)
        try session.execute("RESET hnsw.ef_search")
        #expect(sqlError(session, "EXECUTE near ('[1,2,3]')")?.sqlState == "22000")
        #expect(try rows(session, "EXECUTE near (NULL)").count == 3, "a NULL query vector takes the exact plan")
        let filtered = try db.prepare("SELECT id FROM v WHERE id % 2 = 0 ORDER BY e <-> $1 LIMIT 3")
        for _ in 0..<2 { #expect(try Self.ids(filtered.execute([Value.vector([7.2, 0])])) == [8, 6, 10]) }
    }

    @Test("a streamed prepared search (as a server runs it) gives the rows a collected one gives, with LIMIT and OFFSET")
    func streamedRows() throws {
        let db = try Database.inMemory()
        try Self.makeTable(db)
        let session = db.session(), cache = PlanCache()
        let statement = try Parser.parseStatement("SELECT label, id FROM v ORDER BY e <-> $1 LIMIT $2 OFFSET 1")
        for limit in [0, 2, 5] {
            let parameters: [Value] = [.vector([9.9, 0]), .int(Int64(limit))]
            let collected = try session.execute(statement, parameters, planCache: cache).rows
            var streamed: [[Value]] = []
            let result = try session.execute(statement, parameters, planCache: cache) { streamed.append($0) }
            #expect(streamed == collected && collected.count == limit, "LIMIT \(limit)")
            #expect(result.commandTag == "SELECT \(limit)")
        }
        let immediate = try session.executeImmediately(statement, [.vector([9.9, 0]), .int(2)], planCache: cache)
        #expect(immediate?.rows == [[.text("n9"), .int(9)], [.text("n11"), .int(11)]])
    }

    @Test("constant LIMIT and OFFSET, kept with the plan, give the rows their parameters give; negative ones fail as before")
    func constantLimitAndOffset() throws {
        let db = try Database.inMemory()
        try Self.makeTable(db)
        let query: [Float] = [9.9, 0]
        let byParameters = try db.prepare("SELECT id FROM v ORDER BY e <-> $1 LIMIT $2 OFFSET $3")
        for (limit, offset) in [(0, 0), (3, 0), (2, 1), (4, 18), (5, 30)] {
            let constant = try db.prepare("SELECT id FROM v ORDER BY e <-> $1 LIMIT \(limit) OFFSET \(offset)")
            let expected = try Self.ids(byParameters.execute([Value.vector(query), .int(Int64(limit)), .int(Int64(offset))]))
            for _ in 0..<2 {
                #expect(try Self.ids(constant.execute([Value.vector(query)])) == expected, "LIMIT \(limit) OFFSET \(offset)")
            }
        }
        #expect(try Self.ids(db.prepare("SELECT id FROM v ORDER BY e <-> $1 LIMIT 2").execute([Value.vector(query)])) == [10, 9])
        for (sql, code) in [("LIMIT -1", VireoError.Code.invalidRowCount), ("LIMIT 2 OFFSET -1", .invalidOffsetCount)] {
            let prepared = try db.prepare("SELECT id FROM v ORDER BY e <-> $1 \(sql)")
            let error = #expect(throws: VireoError.self, "\(sql)") { try prepared.execute([Value.vector(query)]) }
            #expect(error?.code == code, "\(sql)")
        }
    }

    @Test("a prepared k-NN query reading only the row id charges each row it gives to work_mem: LIMIT 1100 of 64-byte rows fails with 54000 under 64kB, LIMIT 1000 and rows skipped by OFFSET do not")
    func rowIDRowsChargedToWorkMemory() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("CREATE TABLE w (id int PRIMARY KEY, e vector(2))")
        try session.execute("BEGIN")
        for id in 1...1_300 { try session.execute("INSERT INTO w VALUES ($1, $2)", id, [Float(id), 0] as [Float]) }
        try session.execute("COMMIT")
        try session.execute("CREATE INDEX w_e ON w USING hnsw (e vector_l2_ops)")
        try session.execute("SET work_mem = '64kB'")
        try session.execute("PREPARE over (vector) AS SELECT id FROM w ORDER BY e <-> $1 LIMIT 1100")
        try session.execute("PREPARE under (vector) AS SELECT id FROM w ORDER BY e <-> $1 LIMIT 1000 OFFSET 250")
        for _ in 0..<2 {
            #expect(sqlError(session, "EXECUTE over ('[1,0]')")?.sqlState == "54000", "1,100 rows of 64 bytes past 64kB")
            let ids = try Self.ids(session.execute("EXECUTE under ('[1,0]')"))
            #expect(ids.count == 1_000 && Set(ids).count == 1_000, "1,000 rows (64,000 bytes) after the nearest 250, got \(ids.count)")
        }
        try session.execute("SET work_mem = '128kB'")
        #expect(try session.execute("EXECUTE over ('[1,0]')").rows.count == 1_100)
    }

    @Test("a SELECT's command tag names its row count, literal or formatted")
    func selectTags() {
        for count in [0, 1, 2, 9, 10, 11, 99, 100, 101, 12_345] {
            #expect(Session.selectTag(count) == "SELECT \(count)")
        }
    }
}
