import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// `FROM t TABLESAMPLE SYSTEM (p) | BERNOULLI (p) [REPEATABLE (seed)]`. Which rows a sample
/// holds is the method's own (PostgreSQL's differ); its bounds, repeatability and errors are
/// PostgreSQL 15's.
@Suite("TABLESAMPLE")
struct TableSampleTests {
    static func numbers() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE ts (id int PRIMARY KEY, v text); INSERT INTO ts SELECT g, 'v' || g FROM generate_series(1, 1000) g")
        return db
    }

    @Test("100 returns every row and 0 none, for both methods")
    func bounds() throws {
        let db = try Self.numbers()
        for method in ["SYSTEM", "BERNOULLI"] {
            #expect(try rows(db, "SELECT count(*) FROM ts TABLESAMPLE \(method) (100)") == [["1000"]])
            #expect(try rows(db, "SELECT count(*) FROM ts TABLESAMPLE \(method) (0)") == [["0"]])
            #expect(try rows(db, "SELECT count(*) FROM ts TABLESAMPLE \(method) (100) REPEATABLE (7)") == [["1000"]])
        }
    }

    @Test("REPEATABLE gives the same sample for the same seed on the same data, near the percentage asked")
    func repeatable() throws {
        let db = try Self.numbers()
        for method in ["SYSTEM", "BERNOULLI"] {
            let sql = "SELECT id FROM ts AS t TABLESAMPLE \(method) (30) REPEATABLE (42) WHERE t.id > 0 ORDER BY id"
            let first = try rows(db, sql)
            #expect(try rows(db, sql) == first)
            #expect(try rows(db, sql.replacingOccurrences(of: "(42)", with: "(43)")) != first)
            #expect((150...450).contains(first.count), "\(method) (30) kept \(first.count) of 1000 rows")
        }
        let bernoulli = try rows(db, "SELECT count(*) FROM ts TABLESAMPLE BERNOULLI (50)")
        #expect((350...650).contains(Int(bernoulli[0][0]) ?? 0), "BERNOULLI (50) kept \(bernoulli) of 1000 rows")
    }

    @Test("a sampled table joins and filters like any other; the sample's rows are the table's")
    func joins() throws {
        let db = try Self.numbers()
        let joined = try rows(db, "SELECT count(*) FROM ts TABLESAMPLE BERNOULLI (20) REPEATABLE (1) JOIN ts t2 ON t2.id = ts.id WHERE ts.v = t2.v")
        let alone = try rows(db, "SELECT count(*) FROM ts TABLESAMPLE BERNOULLI (20) REPEATABLE (1)")
        #expect(joined == alone)
        #expect(try rows(db, "SELECT count(*) FROM ts TABLESAMPLE SYSTEM (100) WHERE id <= 10") == [["10"]])
    }

    @Test("errors as PostgreSQL gives them", arguments: [
        ("SELECT count(*) FROM ts TABLESAMPLE BERNOULLI (101)", "2202H", "sample percentage must be between 0 and 100"),
        ("SELECT count(*) FROM ts TABLESAMPLE SYSTEM (-1)", "2202H", "sample percentage must be between 0 and 100"),
        ("SELECT count(*) FROM ts TABLESAMPLE BERNOULLI (NULL)", "2202H", "TABLESAMPLE parameter cannot be null"),
        ("SELECT count(*) FROM ts TABLESAMPLE BERNOULLI (10) REPEATABLE (NULL)", "2202G", "TABLESAMPLE REPEATABLE parameter cannot be null"),
        ("SELECT count(*) FROM ts TABLESAMPLE foo (10)", "42704", "tablesample method foo does not exist"),
        ("SELECT count(*) FROM ts TABLESAMPLE BERNOULLI (10, 2)", "2202H", "tablesample method bernoulli requires 1 argument, not 2"),
        ("SELECT count(*) FROM tsv TABLESAMPLE BERNOULLI (50)", "0A000", "TABLESAMPLE clause can only be applied to tables and materialized views"),
        ("SELECT count(*) FROM (SELECT * FROM ts) s TABLESAMPLE BERNOULLI (50)", "42601", nil),
    ] as [(String, String, String?)])
    func errors(sql: String, state: String, message: String?) throws {
        let db = try Self.numbers()
        try db.execute("CREATE VIEW tsv AS SELECT * FROM ts")
        let error = sqlError(db, sql)
        #expect(error?.sqlState == state)
        if let message { #expect(error?.message == message) }
    }

    @Test("the percentage may be a parameter, checked when the statement runs")
    func parameter() throws {
        let db = try Self.numbers()
        #expect(try rows(db, "SELECT count(*) FROM ts TABLESAMPLE BERNOULLI ($1)", [.int(100)]) == [["1000"]])
        #expect(sqlError(db, "SELECT count(*) FROM ts TABLESAMPLE BERNOULLI ($1)", [.int(200)])?.sqlState == "2202H")
    }
}
