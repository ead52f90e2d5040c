import Testing
@testable import VireoQuery
import VireoStorage

/// A prepared INSERT keeps its plan (PlanCache) while the schema is the one it was made
/// for: every execution must still insert what an unprepared statement would.
@Suite("Prepared INSERT: the plan is kept per schema version")
struct PreparedInsertTests {
    private func prepared(_ sql: String) throws -> (Statement, PlanCache) {
        (try Parser.parseStatement(sql), PlanCache())
    }

    @Test("each execution inserts its own parameters, with defaults, serials, casts and RETURNING")
    func executionsUseTheirParameters() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id serial PRIMARY KEY, name text NOT NULL, score real DEFAULT 1.5, tag varchar(3))")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (name, tag) VALUES ($1, $2) RETURNING id, score")
        for i in 1...5 {
            let result = try session.execute(statement, [.text("n\(i)"), .text("t\(i)")], planCache: cache)
            #expect(result.rows == [[.int(Int64(i)), .double(1.5)]])
        }
        #expect(throws: VireoError.self) { try session.execute(statement, [.text("x"), .text("toolong")], planCache: cache) }
        #expect(throws: VireoError.self) { try session.execute(statement, [.null, .text("t")], planCache: cache) }
        #expect(try session.execute("SELECT count(*), min(name), max(tag) FROM t").rows == [[.int(5), .text("n1"), .text("t5")]])
    }

    @Test("a float parameter for an integer column rounds half to even, as PostgreSQL's float8-to-int cast (rint)")
    func floatParametersRoundHalfToEven() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (k int PRIMARY KEY, i int, b bigint, s smallint)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t VALUES ($1, $2, $3, $4)")
        for (key, number) in [2.5, 3.5, -2.5, 0.5, 2.4999, 2.5001].enumerated() {
            try session.execute(statement, [.int(Int64(key)), .double(number), .double(number), .double(number)], planCache: cache)
        }
        let expected: [Int64] = [2, 4, -2, 0, 2, 3]
        #expect(try db.execute("SELECT i, b, s FROM t ORDER BY k").rows == expected.map { [.int($0), .int($0), .int($0)] })
        // The same rounding in an explicit cast.
        #expect(try session.execute("SELECT k FROM t WHERE i = $1::float8::int", [.double(3.5)]).rows == [[.int(1)]])
        #expect(try session.execute("SELECT 2.5::float8::int, (-3.5)::float8::bigint, 2.5::int").rows == [[.int(2), .int(-4), .int(3)]])
    }

    @Test("a schema change between executions is seen: a new column's default fills the next row")
    func followsSchemaChanges() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (id, a) VALUES ($1, $2)")
        try session.execute(statement, [.int(1), .int(10)], planCache: cache)
        try db.execute("ALTER TABLE t ADD COLUMN b int DEFAULT 7")
        try session.execute(statement, [.int(2), .int(20)], planCache: cache)
        try db.execute("ALTER TABLE t DROP COLUMN a")
        #expect(throws: VireoError.self) { try session.execute(statement, [.int(3), .int(30)], planCache: cache) }
        #expect(try db.execute("SELECT id, b FROM t ORDER BY id").rows == [[.int(1), .int(7)], [.int(2), .int(7)]])
    }

    @Test("a plan made for a schema that was rolled back is not taken for another session's schema change")
    func rolledBackSchemaIsNotReused() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (id) VALUES ($1)")
        try session.execute("BEGIN; ALTER TABLE t ADD COLUMN x int DEFAULT 5")
        try session.execute(statement, [.int(1)], planCache: cache)
        try session.execute("ROLLBACK")
        // Another session changes the schema from the same base, as the rolled-back block did.
        try db.session().execute("ALTER TABLE t ADD COLUMN y int DEFAULT 9")
        try session.execute(statement, [.int(2)], planCache: cache)
        #expect(try db.execute("SELECT id, y FROM t").rows == [[.int(2), .int(9)]])
    }

    @Test("ON CONFLICT and a subquery in VALUES answer as the unprepared statement")
    func conflictsAndSubqueries() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, n int); CREATE TABLE seen (id int)")
        let session = db.session()
        let (upsert, upsertCache) = try prepared("INSERT INTO t VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1")
        for id in [1, 2, 1, 1] { try session.execute(upsert, [.int(Int64(id))], planCache: upsertCache) }
        #expect(try db.execute("SELECT id, n FROM t ORDER BY id").rows == [[.int(1), .int(3)], [.int(2), .int(1)]])
        let (counted, countedCache) = try prepared("INSERT INTO seen VALUES ((SELECT count(*) FROM t) + $1)")
        try session.execute(counted, [.int(0)], planCache: countedCache)
        try db.execute("INSERT INTO t VALUES (3, 1)")
        try session.execute(counted, [.int(0)], planCache: countedCache)
        #expect(try db.execute("SELECT id FROM seen ORDER BY id").rows == [[.int(2)], [.int(3)]])
    }

    @Test("inside one block, a reused context and plan see CREATE INDEX, ALTER TABLE and a table dropped and made again")
    func schemaChangesInsideABlock() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (id, a) VALUES ($1, $2)")
        try session.execute("BEGIN")
        for id in 1...3 { try session.execute(statement, [.int(Int64(id)), .int(Int64(id) * 10)], planCache: cache) }
        try session.execute("CREATE UNIQUE INDEX t_a ON t (a)")
        try session.execute(statement, [.int(4), .int(40)], planCache: cache)
        try session.execute("SAVEPOINT s")
        #expect(throws: VireoError.self) { try session.execute(statement, [.int(5), .int(40)], planCache: cache) }
        try session.execute("ROLLBACK TO SAVEPOINT s")
        try session.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'")
        try session.execute(statement, [.int(5), .int(50)], planCache: cache)
        #expect(try session.execute("SELECT id FROM t WHERE a = 50").rows == [[.int(5)]])
        try session.execute("DROP TABLE t; CREATE TABLE t (a int, id int PRIMARY KEY, c int DEFAULT 3)")
        try session.execute(statement, [.int(6), .int(60)], planCache: cache)
        try session.execute("COMMIT")
        #expect(try db.execute("SELECT a, id, c FROM t").rows == [[.int(60), .int(6), .int(3)]])
    }

    @Test("a parameter converted from text is converted again at each execution, not taken from the last one")
    func convertedParametersAreNotKept() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, d date)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t VALUES ($1, $2)")
        try session.execute(statement, [.int(1), .text("2026-01-02")], planCache: cache)
        try session.execute(statement, [.int(2), .text("2026-03-04")], planCache: cache)
        #expect(try db.execute("SELECT id, d::text FROM t ORDER BY id").rows
            == [[.int(1), .text("2026-01-02")], [.int(2), .text("2026-03-04")]])
    }

    @Test("work_mem is counted per execution and follows SET between executions")
    func workMemoryPerExecution() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, pad text)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, $1) g")
        try session.execute("SET work_mem = '64kB'")
        // About 30 kB a run of 100 rows: counted over runs, the third would pass 64 kB.
        for _ in 1...10 { try session.execute(statement, [.int(100)], planCache: cache) }
        #expect(throws: VireoError.self) { try session.execute(statement, [.int(300)], planCache: cache) }
        try session.execute("RESET work_mem")
        try session.execute(statement, [.int(300)], planCache: cache)
        #expect(try db.execute("SELECT count(*) FROM t").rows == [[.int(1300)]])
    }
    @Test("an integer or smallint column takes an int parameter within its range as sent and refuses one past it with 22003")
    func narrowIntegerParametersAtTheirBounds() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (k bigint PRIMARY KEY, i int, s smallint)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t VALUES ($1, $2, $3)")
        try session.execute(statement, [.int(1), .int(2_147_483_647), .int(32_767)], planCache: cache)
        try session.execute(statement, [.int(2), .int(-2_147_483_648), .int(-32_768)], planCache: cache)
        for parameters: [Value] in [[.int(3), .int(2_147_483_648), .int(0)], [.int(3), .int(-2_147_483_649), .int(0)],
                                    [.int(3), .int(0), .int(32_768)], [.int(3), .int(0), .int(-32_769)]] {
            do {
                try session.execute(statement, parameters, planCache: cache)
                Issue.record("expected 22003 for \(parameters)")
            } catch let error as VireoError {
                #expect(error.sqlState == "22003", "for \(parameters): \(error.message)")
            }
        }
        let stored = try db.execute("SELECT * FROM t ORDER BY k").rows
        #expect(stored == [[.int(1), .int(2_147_483_647), .int(32_767)], [.int(2), .int(-2_147_483_648), .int(-32_768)]], "got \(stored)")
    }

    @Test("a parameter of its column's own kind is stored as sent; others are converted, range- and length-checked as before")
    func parametersOfTheColumnsKindAndOthers() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id bigint, f double precision, b boolean, s text, n int, v varchar(3))")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6)")
        try session.execute(statement, [.int(1), .double(2.5), .bool(true), .text("x"), .int(5), .text("abc")], planCache: cache)
        try session.execute(statement, [.text("2"), .int(3), .text("t"), .int(7), .double(2), .text("ab")], planCache: cache)
        try session.execute(statement, [.double(4), .null, .null, .null, .null, .null], planCache: cache)
        for (parameters, sqlState) in [([Value.int(9), .null, .null, .null, .int(3_000_000_000), .null], "22003"),
                                       ([.int(9), .null, .null, .null, .null, .text("abcd")], "22001"),
                                       ([.int(9), .text("nope"), .null, .null, .null, .null], "22P02")] {
            do {
                try session.execute(statement, parameters, planCache: cache)
                Issue.record("expected \(sqlState) for \(parameters)")
            } catch let error as VireoError {
                #expect(error.sqlState == sqlState, "for \(parameters)")
            }
        }
        let stored = try db.execute("SELECT * FROM t ORDER BY id").rows
        #expect(stored == [
            [.int(1), .double(2.5), .bool(true), .text("x"), .int(5), .text("abc")],
            [.int(2), .double(3), .bool(true), .text("7"), .int(2), .text("ab")],
            [.int(4), .null, .null, .null, .null, .null],
        ], "got \(stored)")
    }

    @Test("a VALUES row of parameters only, in another order than the columns, takes each value as sent or through its column's cast, in order")
    func rowOfParametersOnly() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id bigint PRIMARY KEY, n int, f double precision, s text)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (s, id, f, n) VALUES ($2, $1, $3, $4)")
        try session.execute(statement, [.int(1), .text("one"), .double(1.5), .int(1)], planCache: cache)
        try session.execute(statement, [.text("2"), .int(22), .int(3), .text("2")], planCache: cache)
        // A double for the bigint and int columns rounds half to even: 3.5 is stored as 4.
        try session.execute(statement, [.double(3.5), .null, .null, .double(3.5)], planCache: cache)
        for (parameters, sqlState) in [([Value.int(5), .text("big"), .null, .int(3_000_000_000)], "22003"),
                                       ([.int(5), .text("x"), .text("nope"), .int(5)], "22P02"),
                                       ([.int(1), .text("again"), .null, .null], "23505")] {
            do {
                try session.execute(statement, parameters, planCache: cache)
                Issue.record("expected \(sqlState) for \(parameters)")
            } catch let error as VireoError {
                #expect(error.sqlState == sqlState, "for \(parameters): got \(error)")
            }
        }
        #expect(throws: VireoError.self) { try session.execute(statement, [.int(6), .text("short"), .null], planCache: cache) }
        let stored = try db.execute("SELECT id, n, f, s FROM t ORDER BY id").rows
        #expect(stored == [
            [.int(1), .int(1), .double(1.5), .text("one")],
            [.int(2), .int(2), .double(3), .text("22")],
            [.int(4), .int(4), .null, .null],
        ], "got \(stored)")
    }

    @Test("a row of plain parameters, stored without a context, meets NOT NULL and UNIQUE, and every constraint, default, generated column and trigger added between executions")
    func plainRowsMeetConstraintsAddedBetweenExecutions() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE p (id bigint PRIMARY KEY); INSERT INTO p VALUES (1), (2)")
        try db.execute("CREATE TABLE t (id bigint PRIMARY KEY, n int, s text, note text, must int NOT NULL DEFAULT 0)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)")
        func sqlState(_ parameters: [Value]) -> String? {
            do {
                let result = try session.execute(statement, parameters, planCache: cache)
                #expect(result.commandTag == "INSERT 0 1" && result.rows.isEmpty && result.columns.isEmpty, "got \(result)")
                return nil
            } catch let error as VireoError {
                return error.sqlState
            } catch {
                return "\(error)"
            }
        }
        #expect(sqlState([.int(1), .int(1), .text("a")]) == nil)
        #expect(sqlState([.int(1), .int(2), .text("b")]) == "23505")
        try db.execute("ALTER TABLE t ALTER COLUMN must DROP DEFAULT")
        #expect(sqlState([.int(2), .int(1), .text("b")]) == "23502")
        try db.execute("ALTER TABLE t ALTER COLUMN must SET DEFAULT 4; ALTER TABLE t ALTER COLUMN note SET DEFAULT 'd'")
        #expect(sqlState([.int(2), .int(1), .text("b")]) == nil)
        try db.execute("ALTER TABLE t ADD CONSTRAINT positive CHECK (n > 0)")
        #expect(sqlState([.int(3), .int(-1), .text("c")]) == "23514")
        try db.execute("ALTER TABLE t ADD CONSTRAINT k FOREIGN KEY (n) REFERENCES p")
        #expect(sqlState([.int(3), .int(9), .text("c")]) == "23503")
        #expect(sqlState([.int(3), .int(2), .text("c")]) == nil)
        try db.execute("CREATE UNIQUE INDEX t_s ON t (s)")
        #expect(sqlState([.int(4), .int(2), .text("c")]) == "23505")
        try db.execute("ALTER TABLE t ADD COLUMN twice int GENERATED ALWAYS AS (n * 2) STORED")
        #expect(sqlState([.int(4), .int(2), .text("e")]) == nil)
        try db.execute("""
            CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.s := upper(NEW.s); RETURN NEW; END $$;
            CREATE TRIGGER t_shout BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION shout()
            """)
        #expect(sqlState([.int(5), .int(2), .text("f")]) == nil)
        let stored = try db.execute("SELECT id, n, s, note, must, twice FROM t ORDER BY id").rows
        #expect(stored == [
            [.int(1), .int(1), .text("a"), .null, .int(0), .int(2)],
            [.int(2), .int(1), .text("b"), .text("d"), .int(4), .int(2)],
            [.int(3), .int(2), .text("c"), .text("d"), .int(4), .int(4)],
            [.int(4), .int(2), .text("e"), .text("d"), .int(4), .int(4)],
            [.int(5), .int(2), .text("F"), .text("d"), .int(4), .int(4)],
        ], "got \(stored)")
    }

    @Test("only a plan whose row needs nothing more is stored as sent: not with a default, CHECK, trigger, RETURNING or a value to convert")
    func rowsStoredAsSentOnlyWhenNothingMoreIsAsked() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE plain (id bigint PRIMARY KEY, n int, s text, note text);
            CREATE TABLE defaulted (id bigint PRIMARY KEY, n int DEFAULT 1);
            CREATE TABLE checked (id bigint PRIMARY KEY, n int CHECK (n > 0));
            CREATE TABLE numbered (id serial PRIMARY KEY, n int);
            CREATE TABLE triggered (id bigint PRIMARY KEY, n int);
            CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            CREATE TRIGGER triggered_keep BEFORE INSERT ON triggered FOR EACH ROW EXECUTE FUNCTION keep();
            CREATE TABLE pair (id bigint PRIMARY KEY, n int)
            """)
        func plan(_ sql: String) throws -> InsertPlan {
            guard case .insert(let insert) = try Parser.parseStatement(sql).body else { throw VireoError(.internalError, "not an INSERT") }
            return try InsertPlan(insert, catalog: db.store.catalog, binder: Binder(catalog: db.store.catalog))
        }
        let sent: [Value] = [.int(1), .int(2)]
        #expect(try plan("INSERT INTO plain (id, n) VALUES ($1, $2)").rowStoredAsSent(sent) == [.int(1), .int(2), .null, .null])
        #expect(try plan("INSERT INTO plain (n, id) VALUES ($2, $1)").rowStoredAsSent(sent) == [.int(1), .int(2), .null, .null])
        #expect(try plan("INSERT INTO plain (id, n) VALUES ($1, $2)").rowStoredAsSent([.int(1), .text("2")]) == nil)
        #expect(try plan("INSERT INTO plain (id, n) VALUES ($1, $2)").rowStoredAsSent([.int(1), .int(3_000_000_000)]) == nil)
        #expect(try plan("INSERT INTO plain (id, n) VALUES ($1, $2)").rowStoredAsSent([.int(1), .null]) == nil)
        #expect(try plan("INSERT INTO plain (id, n) VALUES ($1, $2) RETURNING id").rowStoredAsSent(sent) == nil)
        #expect(try plan("INSERT INTO plain (id, n) VALUES ($1, $2 + 1)").rowStoredAsSent(sent) == nil)
        #expect(try plan("INSERT INTO defaulted (id) VALUES ($1)").rowStoredAsSent(sent) == nil)
        #expect(try plan("INSERT INTO checked (id, n) VALUES ($1, $2)").rowStoredAsSent(sent) == nil)
        #expect(try plan("INSERT INTO numbered (n) VALUES ($1)").rowStoredAsSent(sent) == nil)
        #expect(try plan("INSERT INTO triggered VALUES ($1, $2)").rowStoredAsSent(sent) == nil)
        #expect(try plan("INSERT INTO pair VALUES ($1, $2)").rowStoredAsSent(sent) == sent)
        #expect(try plan("INSERT INTO pair VALUES ($1, $2)").rowStoredAsSent([.int(1), .int(2), .int(3)]) == sent)
        #expect(try plan("INSERT INTO pair VALUES ($1, $2)").rowStoredAsSent([.int(1), .double(2)]) == nil)
        #expect(try plan("INSERT INTO pair (n, id) VALUES ($1, $2)").rowStoredAsSent(sent) == [.int(2), .int(1)])
    }

    @Test("parameters that are the row, one per column, are stored as sent across leaf splits, a savepoint and the caller's array changed afterwards")
    func parametersThatAreTheRow() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id bigint PRIMARY KEY, grp int, name text, score double precision)")
        let session = db.session()
        let (statement, cache) = try prepared("INSERT INTO t (id, grp, name, score) VALUES ($1, $2, $3, $4)")
        var parameters: [Value] = []
        try session.execute("BEGIN")
        for id in 1...2_000 {
            parameters = [.int(Int64(id)), .int(Int64(id % 7)), .text(String(repeating: "n", count: id % 40)), .double(Double(id) / 4)]
            try session.execute(statement, parameters, planCache: cache)
            // The caller's array is the caller's: changing it after the call changes no stored row.
            parameters[2] = .text("changed")
        }
        try session.execute("SAVEPOINT s")
        try session.execute(statement, [.int(2_001), .int(0), .text("gone"), .double(0)], planCache: cache)
        #expect(throws: VireoError.self) { try session.execute(statement, [.int(5), .int(0), .text("dup"), .double(0)], planCache: cache) }
        try session.execute("ROLLBACK TO SAVEPOINT s")
        try session.execute("COMMIT")
        let rows = try db.execute("SELECT id, grp, name, score FROM t ORDER BY id").rows
        let expected: [[Value]] = (1...2_000).map { id in
            [.int(Int64(id)), .int(Int64(id % 7)), .text(String(repeating: "n", count: id % 40)), .double(Double(id) / 4)]
        }
        #expect(rows.count == expected.count && rows == expected, "got \(rows.count) rows, first differing \(String(describing: zip(rows, expected).first { $0 != $1 }))")
    }
}
