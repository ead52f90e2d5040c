import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// The gin index over jsonb (jsonb_ops, jsonb_path_ops): the planner uses it for `@>` (and
/// jsonb_ops for `?`, `?|`, `?&`), and its answers equal a full scan's over random documents
/// and queries, through updates, deletes, a rollback, a reopen and a power loss.
@Suite("jsonb: gin index")
struct JSONBIndexTests {
    static let keys = ["a", "b", "c", "tags", "page", "source"]
    static let strings = ["x", "y", "z", "alpha", "beta"]

    static func scalar(_ random: inout SplitMix64) -> String {
        switch random.next() % 7 {
        case 0: return "null"
        case 1: return random.next() % 2 == 0 ? "true" : "false"
        case 2: return ["1", "1.0", "2", "2.50", "-3"][Int(random.next() % 5)]
        default: return "\"\(strings[Int(random.next() % UInt64(strings.count))])\""
        }
    }

    /// A random value: mostly scalars, some arrays of scalars, some nested objects.
    static func value(_ random: inout SplitMix64, depth: Int) -> String {
        switch depth < 2 ? random.next() % 6 : 0 {
        case 4: return "[" + (0..<Int(random.next() % 4)).map { _ in scalar(&random) }.joined(separator: ", ") + "]"
        case 5: return object(&random, depth: depth + 1)
        default: return scalar(&random)
        }
    }

    static func object(_ random: inout SplitMix64, depth: Int = 0) -> String {
        let members = (0..<Int(random.next() % 4)).map { _ in
            "\"\(keys[Int(random.next() % UInt64(keys.count))])\": \(value(&random, depth: depth))"
        }
        return "{" + members.joined(separator: ", ") + "}"
    }

    /// A document: usually an object, sometimes a top-level array or scalar.
    static func document(_ random: inout SplitMix64) -> String {
        switch random.next() % 10 {
        case 0: return "[" + (0..<Int(random.next() % 4)).map { _ in value(&random, depth: 1) }.joined(separator: ", ") + "]"
        case 1: return scalar(&random)
        default: return object(&random)
        }
    }

    static let tables = ["ops", "paths", "plain"]

    static func setUp(_ db: Database, count: Int, seed: UInt64) throws {
        for table in tables { try db.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, doc jsonb)") }
        var random = SplitMix64(seed: seed)
        for id in 1...count {
            let doc: Value = random.next() % 15 == 0 ? .null : .text(document(&random))
            for table in tables { try db.execute("INSERT INTO \(table) VALUES ($1, $2::jsonb)", [.int(Int64(id)), doc]) }
        }
        try db.execute("CREATE INDEX ops_doc ON ops USING gin (doc)")
        try db.execute("CREATE INDEX paths_doc ON paths USING gin (doc jsonb_path_ops)")
    }

    /// Applies the same random update or delete to every table.
    static func change(_ db: Database, _ random: inout SplitMix64, count: Int) throws {
        let id = Int64(1 + random.next() % UInt64(count))
        let delete = random.next() % 3 == 0, doc = document(&random)
        for table in tables {
            if delete {
                try db.execute("DELETE FROM \(table) WHERE id = $1", [.int(id)])
            } else {
                try db.execute("UPDATE \(table) SET doc = $1::jsonb WHERE id = $2", [.text(doc), .int(id)])
            }
        }
    }

    /// A random condition on doc with a bound parameter, and which tables' indexes serve it.
    static func condition(_ random: inout SplitMix64) -> (sql: String, parameter: Value, pathOps: Bool) {
        let key = keys[Int(random.next() % UInt64(keys.count))]
        switch random.next() % 6 {
        case 0: return ("doc ? $1", .text(random.next() % 2 == 0 ? key : strings[Int(random.next() % 5)]), false)
        case 1: return ("doc ?| $1::text[]", .text("{\(key),\(strings[Int(random.next() % 5)])}"), false)
        case 2: return ("doc ?& $1::text[]", .text("{\(key),\(keys[Int(random.next() % 6)])}"), false)
        default: return ("doc @> $1::jsonb", .text(document(&random)), true)
        }
    }

    static func ids(_ db: Database, _ table: String, _ sql: String, _ parameter: Value) throws -> [String] {
        try rows(db, "SELECT id FROM \(table) WHERE \(sql) ORDER BY id", [parameter]).map { $0[0] }
    }

    static func expectAgreement(_ db: Database, _ random: inout SplitMix64, queries: Int, _ context: String = "") throws {
        var matched = 0
        for _ in 0..<queries {
            let (sql, parameter, pathOps) = condition(&random)
            let scanned = try ids(db, "plain", sql, parameter)
            matched += scanned.count
            for table in pathOps ? ["ops", "paths"] : ["ops"] {
                let indexed = try ids(db, table, sql, parameter)
                #expect(indexed == scanned, "\(context) \(table) \(sql) with \(parameter): index gave \(indexed), a scan \(scanned)")
            }
        }
        #expect(matched > 0, "the random conditions matched no row: the comparison proved nothing")
    }

    @Test("the gin indexes answer @>, ?, ?|, ?& exactly as a full scan, through updates and deletes", arguments: [UInt64(1), 2, 3])
    func agreesWithScan(seed: UInt64) throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 200, seed: seed)
        var random = SplitMix64(seed: seed &* 7919)
        try Self.expectAgreement(db, &random, queries: 80)
        for _ in 0..<80 { try Self.change(db, &random, count: 200) }
        try Self.expectAgreement(db, &random, queries: 80, "after changes:")
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("EXPLAIN shows the index for @> alone and beside other WHERE terms; path_ops not for ?")
    func explain() throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 20, seed: 4)
        func plan(_ sql: String) throws -> String { try rows(db, "EXPLAIN " + sql).map { $0[0] }.joined(separator: "\n") }
        let alone = try plan("SELECT id FROM paths WHERE doc @> '{\"a\": \"x\"}'")
        #expect(alone.contains("Index Scan using paths_doc on paths") && alone.contains("Reason: doc @> value"), "\(alone)")
        let combined = try plan("SELECT id FROM ops WHERE id > 3 AND doc @> $1::jsonb AND doc ->> 'b' <> 'y'")
        #expect(combined.contains("Index Scan using ops_doc"), "\(combined)")
        #expect(try plan("SELECT id FROM ops WHERE doc ? 'a'").contains("Index Scan using ops_doc"))
        #expect(!(try plan("SELECT id FROM paths WHERE doc ? 'a'")).contains("Index Scan"), "jsonb_path_ops serves @> only")
        #expect(!(try plan("SELECT id FROM plain WHERE doc @> '{}'")).contains("Index Scan"))
        #expect(try rows(db, "SELECT pg_get_indexdef('paths_doc'::regclass)") == [["CREATE INDEX paths_doc ON public.paths USING gin (doc jsonb_path_ops)"]])
    }

    @Test("other operators still work on an indexed column, by a scan")
    func otherOperators() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, doc jsonb)")
        try db.execute("CREATE INDEX ON t USING gin (doc jsonb_path_ops)")
        try db.execute("INSERT INTO t VALUES (1, '{\"a\": 1, \"tags\": [\"x\", \"y\"]}'), (2, '{\"a\": 2}'), (3, NULL)")
        #expect(try rows(db, "SELECT id FROM t WHERE doc ->> 'a' = '2'") == [["2"]])
        #expect(try rows(db, "SELECT id FROM t WHERE doc <@ '{\"a\": 2, \"b\": 3}'") == [["2"]])
        #expect(try rows(db, "SELECT id FROM t WHERE doc ? 'tags'") == [["1"]])
        #expect(try rows(db, "SELECT id FROM t WHERE doc @> '{\"tags\": [\"y\"]}'") == [["1"]])
        #expect(try rows(db, "SELECT id FROM t WHERE doc @> '{}' ORDER BY id") == [["1"], ["2"]])
        #expect(try rows(db, "SELECT id FROM t WHERE doc @> '{\"a\": 1.00}'") == [["1"]], "numbers meet by value")
    }

    @Test("a transaction's own entries are visible to it and vanish on rollback")
    func transactionVisibility() throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 10, seed: 5)
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO ops VALUES (100, '{\"zebra\": \"stripes\"}')")
        #expect(try session.execute("SELECT id FROM ops WHERE doc @> '{\"zebra\": \"stripes\"}'").rows == [[.int(100)]])
        #expect(try rows(db, "SELECT id FROM ops WHERE doc ? 'zebra'").isEmpty, "another session does not see it")
        try session.execute("ROLLBACK")
        #expect(try rows(db, "SELECT id FROM ops WHERE doc ? 'zebra'").isEmpty)
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("the index survives a reopen and a power loss", arguments: [UInt64(1), 2])
    func persistence(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 64 << 10)
        let path = "/sim/jsonb.vireo"
        var db = try Database.open(path: path, options: options)
        try Self.setUp(db, count: 100, seed: seed)
        try db.close()
        db = try Database.open(path: path, options: options)
        var random = SplitMix64(seed: seed &+ 11)
        try Self.expectAgreement(db, &random, queries: 30, "after reopen:")
        #expect(try rows(db, "EXPLAIN SELECT id FROM paths WHERE doc @> '{\"a\": 1}'").map { $0[0] }.joined().contains("paths_doc"))
        for _ in 0..<40 { try Self.change(db, &random, count: 100) }
        let report = backend.crash()
        db = try Database.open(path: path, options: options)
        let integrity = try db.store.checkIntegrity()
        #expect(integrity.isSound, "\(report): \(integrity)")
        try Self.expectAgreement(db, &random, queries: 30, "\(report):")
        try db.close()
    }

    @Test("gin takes jsonb with jsonb_ops or jsonb_path_ops, with PostgreSQL's errors otherwise")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, doc jsonb, body text)")
        #expect(sqlError(db, "CREATE INDEX ON t USING gin (doc tsvector_ops)")?.sqlState == "42704")
        #expect(sqlError(db, "CREATE INDEX ON t USING gin (doc jsonb_hash_ops)")?.sqlState == "42704")
        #expect(sqlError(db, "CREATE INDEX ON t USING gin (body jsonb_ops)")?.sqlState == "42704")
        try db.execute("CREATE INDEX t_doc ON t USING gin (doc jsonb_ops)")
        try db.execute("INSERT INTO t VALUES (1, NULL), (2, '{}'), (3, '[]'), (4, '\"s\"')")
        #expect(try rows(db, "SELECT id FROM t WHERE doc ? 's'") == [["4"]])
        #expect(try rows(db, "SELECT id FROM t WHERE doc ?| '{}'").isEmpty)
        #expect(try rows(db, "SELECT id FROM t WHERE doc ?& '{}' ORDER BY id") == [["2"], ["3"], ["4"]])
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("long strings are indexed by a bounded term and still found")
    func longValues() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, doc jsonb)")
        try db.execute("CREATE INDEX ON t USING gin (doc)")
        let long = String(repeating: "ü", count: 3000)
        try db.execute("INSERT INTO t VALUES (1, jsonb_build_object('text', $1::text)), (2, jsonb_build_object('text', $1::text || 'x'))", [.text(long)])
        #expect(try rows(db, "SELECT id FROM t WHERE doc @> jsonb_build_object('text', $1::text)", [.text(long)]) == [["1"]])
        #expect(try db.store.checkIntegrity().isSound)
    }
}
