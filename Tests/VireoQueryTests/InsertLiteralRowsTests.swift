import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// A VALUES list of literals is stored from rows made when the statement is bound
/// (`InsertPlan.Source.literalRows`), other lists from unboxed literal values and bound
/// expressions (`ValuesItem`). Both must insert, and fail, as the expression path does:
/// each statement here is run twice, once as written and once with one literal written as
/// an expression (`(0 + n)`), which takes the other path, and the two must agree.
@Suite("INSERT … VALUES of literals: rows made at bind time")
struct InsertLiteralRowsTests {
    static let schema = """
        CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL, s varchar(3), d numeric(4,1), f double precision, b boolean)
        """

    /// What `values` (rows for t's six columns, the first row's id a bare integer) does,
    /// and what it does with that id written `(0 + id)`: result or error, then t's rows.
    private func outcomes(_ values: String, suffix: String = "") throws -> (literal: String, expression: String) {
        func run(_ text: String) throws -> String {
            let db = try Database.inMemory()
            try db.execute(Self.schema)
            let outcome: String
            do {
                let result = try db.execute("INSERT INTO t VALUES \(text)\(suffix)")
                outcome = "\(result.commandTag) \(result.rows)"
            } catch let error as VireoError {
                outcome = "\(error.sqlState) \(error.message) at \(String(describing: error.position))"
            }
            return outcome + " / " + "\(try db.execute("SELECT * FROM t ORDER BY id").rows)"
        }
        guard let open = values.firstIndex(of: "("), let comma = values[open...].firstIndex(of: ",") else {
            Issue.record("expected a row in \(values)")
            return ("", "")
        }
        let id = values[values.index(after: open)..<comma]
        let asExpression = values.replacingCharacters(in: values.index(after: open)..<comma, with: "(0 + \(id))")
        return (try run(values), try run(asExpression))
    }

    @Test("literals of every kind are stored through their column's assignment cast", arguments: [
        "(1, 2, 'ab', 12.25, 3, true), (2, -7, NULL, -0.04, 1.5, FALSE), (3, 0, 'x', 999.9, -2e3, NULL)",
        "(1, 2.5, 'abc', 1, 7, 't'), (2, 3.5, '', '12.34', '1e2', 'no')",
        "(1, DEFAULT, 'a', 1, 1, true)",
        // Rows that leave different columns to their defaults, each its own list of absent columns.
        "(1, 2, DEFAULT, 1, 1, true), (2, 3, 'x', DEFAULT, DEFAULT, DEFAULT), (3, 4, 'y', 2, 2, false)",
        // Integers at int's bounds; decimals into double precision with a coefficient below
        // 2^53 (one division) and above it (through the numeric), leading and trailing zeros.
        "(1, 2147483647, 'a', 1, 0.1, true), (2, -2147483648, 'b', 2, 123.000, false), (3, 0, 'c', 3, 00012.500, true)",
        "(1, 1, 'a', 1, 0.30000000000000004, true), (2, 1, 'b', 2, 9007199254740993.5, true), (3, 1, 'c', 3, 123456789012345.678, true)",
        "(1, 1, 'a', 1, 4503599627370495.5, true), (2, 1, 'b', 2, 0.000000000000000001, true), (3, 1, 'c', 3, 999999999999999.999, true)",
    ])
    func storedAsTheExpressionPathStoresThem(values: String) throws {
        let (literal, expression) = try outcomes(values)
        #expect(literal == expression)
    }

    @Test("a decimal literal's double made without the numeric is the numeric's double")
    func plainDecimalDoubleIsTheNumericsDouble() throws {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "0.0", "1.", "00012.500", "9007199254740991", "9007199254740993", "999999999999999999", "0.00000000000000001"]
        for _ in 0..<2_000 {
            let digits = String((0..<Int.random(in: 1...18, using: &generator)).map { _ in "0123456789".randomElement(using: &generator)! })
            let point = Int.random(in: 0...digits.count, using: &generator)
            texts.append(String(digits.prefix(point)) + "." + digits.dropFirst(point))
        }
        for text in texts {
            let numeric = try #require(Binder.plainDecimal(text), "\(text)")
            #expect(Binder.plainDecimalDouble(text) == numeric.double, "\(text)")
        }
        #expect(Binder.plainDecimalDouble("1e5") == nil && Binder.plainDecimalDouble("-1.5") == nil)
        #expect(Binder.plainDecimalDouble("1234567890123456789") == nil)
    }

    @Test("a failing literal fails with the same SQLSTATE, message and position, and nothing is stored", arguments: [
        ("(1, 'abc', 'a', 1, 1, true)", "22P02"),
        ("(1, 3000000000, 'a', 1, 1, true)", "22003"),
        ("(1, 1, 'abcd', 1, 1, true)", "22001"),
        ("(1, 1, 'a', 1234.56, 1, true)", "22003"),
        ("(1, NULL, 'a', 1, 1, true)", "23502"),
        ("(1, 1, 'a', 1, 1, true), (1, 2, 'b', 2, 2, false)", "23505"),
        ("(1, 1, 'a', 1, 1, 'maybe')", "22P02"),
        // The cast of a later row fails before the first row's NOT NULL is checked, as before.
        ("(1, NULL, 'a', 1, 1, true), (2, 5000000000, 'b', 2, 2, false)", "22003"),
    ])
    func failsAsTheExpressionPathFails(values: String, sqlState: String) throws {
        let (literal, expression) = try outcomes(values)
        #expect(literal.hasPrefix(sqlState + " "), "got \(literal)")
        #expect(literal.hasSuffix(" / []"), "expected nothing stored, got \(literal)")
        #expect(literal == expression)
    }

    @Test("an error binding the rest of the statement comes before a literal's failing assignment cast, a string literal's conversion after it")
    func bindingErrorsComeFirst() throws {
        // The assignment cast ran with the statement, after RETURNING was bound…
        var (literal, expression) = try outcomes("(1, 3000000000, 'a', 1, 1, true)", suffix: " RETURNING nosuchcolumn")
        #expect(literal.hasPrefix("42703 "), "got \(literal)")
        #expect(literal == expression)
        // …while a string literal took its column's type while VALUES was bound, before it.
        (literal, expression) = try outcomes("(1, 'abc', 'a', 1, 1, true)", suffix: " RETURNING nosuchcolumn")
        #expect(literal.hasPrefix("22P02 "), "got \(literal)")
        #expect(literal == expression)
    }

    @Test("a prepared INSERT of literals inserts its rows at each execution, serials and defaults drawn anew")
    func preparedLiteralRowsRunAgain() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE p (id serial PRIMARY KEY, a int DEFAULT 4, s text)")
        let session = db.session()
        let statement = try Parser.parseStatement("INSERT INTO p (a, s) VALUES (1, 'x'), (DEFAULT, 'y') RETURNING id, a, s")
        let cache = PlanCache()
        for execution in 0..<3 {
            let rows = try session.execute(statement, [], planCache: cache).rows
            let first = Int64(2 * execution + 1)
            #expect(rows == [[.int(first), .int(1), .text("x")], [.int(first + 1), .int(4), .text("y")]])
        }
        #expect(try db.execute("SELECT count(*), sum(a) FROM p").rows == [[.int(6), .int(15)]])
    }

    @Test("prepared statements alternating in one session, or one statement shared by two sessions, each run their own plan")
    func plansKeptPerStatement() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE a (x int); CREATE TABLE b (x int, y int DEFAULT 9)")
        let first = db.session(), second = db.session()
        let intoA = try Parser.parseStatement("INSERT INTO a VALUES ($1)"), intoB = try Parser.parseStatement("INSERT INTO b (x) VALUES ($1)")
        let countA = try Parser.parseStatement("SELECT count(*) FROM a WHERE x >= $1")
        let cacheA = PlanCache(), cacheB = PlanCache(), cacheCount = PlanCache()
        for i in 1...3 {
            try first.execute(intoA, [.int(Int64(i))], planCache: cacheA)
            try first.execute(intoB, [.int(Int64(i))], planCache: cacheB)
            // The first session's rows 1…i and the second's 10…10(i-1).
            #expect(try first.execute(countA, [.int(1)], planCache: cacheCount).rows == [[.int(Int64(2 * i - 1))]])
            try second.execute(intoA, [.int(Int64(10 * i))], planCache: cacheA)
            #expect(try second.execute(countA, [.int(10)], planCache: cacheCount).rows == [[.int(Int64(i))]])
        }
        // A schema change: the next executions plan again, in both sessions.
        try db.execute("ALTER TABLE b ADD COLUMN z int DEFAULT 5")
        try first.execute(intoB, [.int(4)], planCache: cacheB)
        try second.execute(intoB, [.int(5)], planCache: cacheB)
        #expect(try db.execute("SELECT count(*) FROM a").rows == [[.int(6)]])
        #expect(try db.execute("SELECT x, y, z FROM b WHERE x > 3 ORDER BY x").rows == [[.int(4), .int(9), .int(5)], [.int(5), .int(9), .int(5)]])
    }
}
