import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

@Suite("Embedded API")
struct EmbeddedAPITests {
    struct Item: Decodable, Equatable {
        var id: Int
        var name: String
        var score: Double?
        var embedding: [Float]
        var created: Date
    }

    @Test("typed parameters in, Decodable rows out")
    func typedRoundTrip() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE items (id bigserial PRIMARY KEY, name text, score double precision, embedding vector(2), created timestamp, meta jsonb, blob bytea, ok boolean)")
        let created = Date(timeIntervalSince1970: 1_700_000_000.25)
        try db.execute("INSERT INTO items (name, score, embedding, created, meta, blob, ok) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       "first", 0.5, [1, 2] as [Float], created, JSONText("{\"a\": [1, 2]}"), Data([0, 255]), true)
        try db.execute("INSERT INTO items (name, score, embedding, created) VALUES ($1, $2, $3, $4)", "second", Double?.none, [3, 4] as [Float], created)
        let items = try db.query("SELECT id, name, score, embedding, created FROM items ORDER BY id").decode(Item.self)
        #expect(items == [Item(id: 1, name: "first", score: 0.5, embedding: [1, 2], created: created),
                          Item(id: 2, name: "second", score: nil, embedding: [3, 4], created: created)])
        #expect(try rows(db, "SELECT meta->'a'->>1, blob, ok FROM items WHERE id = 1") == [["2", "\\x00ff", "t"]])
    }

    @Test("prepared statements run many times; transactions commit or roll back as a whole")
    func preparedAndTransactions() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        let insert = try db.prepare("INSERT INTO t VALUES ($1, $2)")
        for id in 1...5 { try insert.execute(id, "v\(id)") }
        #expect(try rows(db, "SELECT count(*) FROM t") == [["5"]])
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try db.transaction { session in
                try session.execute("INSERT INTO t VALUES (6, 'x')")
                throw Stop()
            }
        }
        #expect(try rows(db, "SELECT count(*) FROM t") == [["5"]], "the failed transaction left nothing")
        try db.transaction { session in try session.execute("DELETE FROM t WHERE id > $1", 3) }
        #expect(try rows(db, "SELECT count(*) FROM t") == [["3"]])
    }

    @Test("a database is safe to share across threads")
    func concurrentUse() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE hits (id bigserial PRIMARY KEY, worker int)")
        let failures = ProblemList()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let session = db.session()
            for _ in 0..<50 {
                do {
                    try session.execute("INSERT INTO hits (worker) VALUES ($1)", worker)
                    _ = try session.execute("SELECT count(*) FROM hits WHERE worker = $1", worker)
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        #expect(try rows(db, "SELECT count(*), count(DISTINCT worker) FROM hits") == [["200", "4"]])
    }

    @Test("syntax errors carry the position")
    func syntaxErrorPosition() throws {
        let db = try Database.inMemory()
        let error = sqlError(db, "SELECT 1 FROM WHERE")
        #expect(error?.code == .syntaxError)
        #expect(error?.position == 14, "position \(String(describing: error?.position))")
    }
}

final class ProblemList: @unchecked Sendable {
    private let lock = Lock()
    private var stored: [String] = []
    func add(_ item: String) { lock.withLock { stored.append(item) } }
    var items: [String] { lock.withLock { stored } }
}

@Suite("Prepared plans")
struct PreparedPlanTests {
    @Test("a prepared query keeps its plan until the schema changes")
    func replansAfterSchemaChange() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, a text)")
        try db.execute("INSERT INTO t VALUES (1, 'x')")
        let select = try db.prepare("SELECT * FROM t WHERE id = $1")
        #expect(try select.execute(1).columns.map(\.name) == ["id", "a"])
        try db.execute("ALTER TABLE t ADD COLUMN b int DEFAULT 7")
        let after = try select.execute(1)
        #expect(after.columns.map(\.name) == ["id", "a", "b"], "the plan must follow the new schema")
        #expect(after.rows == [[.int(1), .text("x"), .int(7)]])
        try db.execute("DROP TABLE t")
        #expect(throws: VireoError.self) { try select.execute(1) }
    }
}
