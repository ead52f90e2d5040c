import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// The gin index over tsvector columns: the planner uses it for `@@`, and its answers equal a
/// full scan's over random documents and queries, through updates, deletes, rollbacks and a
/// power loss; `vireo check` (checkIntegrity) verifies one entry per (lexeme, row).
@Suite("full-text search: gin index")
struct TextSearchIndexTests {
    static let words = ["apple", "banana", "cherry", "date", "elder", "fig", "grape", "honey", "iris", "jade",
                        "kiwi", "lemon", "mango", "nectar", "olive", "peach", "quince", "rasp", "sage", "thyme"]

    /// A document of 1–12 words, some repeated, some of them English stop words.
    static func document(_ random: inout SplitMix64) -> String {
        (0..<(1 + Int(random.next() % 12))).map { _ in
            random.next() % 8 == 0 ? "the" : words[Int(random.next() % UInt64(words.count))]
        }.joined(separator: " ")
    }

    /// A random tsquery over the same words: operands (some prefixes), !, &, |, <->.
    static func query(_ random: inout SplitMix64, depth: Int = 0) -> String {
        let word = words[Int(random.next() % UInt64(words.count))]
        guard depth < 3, random.next() % 3 != 0 else {
            return random.next() % 5 == 0 ? String(word.prefix(2)) + ":*" : word
        }
        let left = query(&random, depth: depth + 1), right = query(&random, depth: depth + 1)
        switch random.next() % 5 {
        case 0: return "!(\(left))"
        case 1: return "(\(left)) | (\(right))"
        case 2: return "(\(left)) <-> (\(right))"
        default: return "(\(left)) & (\(right))"
        }
    }

    static func setUp(_ db: Database, count: Int, seed: UInt64) throws {
        try db.execute("CREATE TABLE docs (id bigint PRIMARY KEY, body text, tsv tsvector)")
        try db.execute("CREATE TABLE plain (id bigint PRIMARY KEY, body text, tsv tsvector)")
        var random = SplitMix64(seed: seed)
        for id in 1...count {
            let body = document(&random)
            for table in ["docs", "plain"] {
                try db.execute("INSERT INTO \(table) VALUES ($1, $2, to_tsvector($2))", [.int(Int64(id)), .text(body)])
            }
        }
        try db.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
    }

    /// Applies the same random update or delete to both tables.
    static func change(_ db: Database, _ random: inout SplitMix64, count: Int) throws {
        let id = Int64(1 + random.next() % UInt64(count))
        let delete = random.next() % 3 == 0, body = document(&random)
        for table in ["docs", "plain"] {
            if delete {
                try db.execute("DELETE FROM \(table) WHERE id = $1", [.int(id)])
            } else {
                try db.execute("UPDATE \(table) SET tsv = to_tsvector($1) WHERE id = $2", [.text(body), .int(id)])
            }
        }
    }

    static func expectAgreement(_ db: Database, _ random: inout SplitMix64, queries: Int, _ context: String = "") throws {
        for _ in 0..<queries {
            let text = query(&random)
            let indexed = try rows(db, "SELECT id FROM docs WHERE tsv @@ $1::tsquery ORDER BY id", [.text(text)])
            let scanned = try rows(db, "SELECT id FROM plain WHERE tsv @@ $1::tsquery ORDER BY id", [.text(text)])
            #expect(indexed == scanned, "\(context) query \(text): index gave \(indexed.count) rows, a scan \(scanned.count)")
        }
    }

    @Test("the gin index answers @@ exactly as a full scan, through updates and deletes", arguments: [UInt64(1), 2, 3])
    func agreesWithScan(seed: UInt64) throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 150, seed: seed)
        var random = SplitMix64(seed: seed &* 7919)
        try Self.expectAgreement(db, &random, queries: 40)
        for _ in 0..<60 { try Self.change(db, &random, count: 150) }
        try Self.expectAgreement(db, &random, queries: 40, "after changes:")
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("EXPLAIN shows the index for @@ alone and beside other WHERE terms; other tables scan")
    func explain() throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 20, seed: 4)
        let alone = try rows(db, "EXPLAIN SELECT id FROM docs WHERE tsv @@ to_tsquery('apple')").map { $0[0] }.joined(separator: "\n")
        #expect(alone.contains("Index Scan using docs_tsv on docs") && alone.contains("Reason: tsv @@ query"), "\(alone)")
        let combined = try rows(db, "EXPLAIN SELECT id FROM docs WHERE id > 3 AND tsv @@ 'fig & kiwi' AND body <> 'x'").map { $0[0] }.joined(separator: "\n")
        #expect(combined.contains("Index Scan using docs_tsv"), "\(combined)")
        let plain = try rows(db, "EXPLAIN SELECT id FROM plain WHERE tsv @@ to_tsquery('apple')").map { $0[0] }.joined(separator: "\n")
        #expect(!plain.contains("Index Scan"), "\(plain)")
        #expect(try rows(db, "SELECT count(*) FROM docs WHERE id > 3 AND tsv @@ 'fig & kiwi'")
            == rows(db, "SELECT count(*) FROM plain WHERE id > 3 AND tsv @@ 'fig & kiwi'"))
    }

    @Test("a transaction's own index entries are visible to it and vanish on rollback")
    func transactionVisibility() throws {
        let db = try Database.inMemory()
        try Self.setUp(db, count: 10, seed: 5)
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO docs VALUES (100, 'zebra', to_tsvector('zebra'))")
        #expect(try session.execute("SELECT id FROM docs WHERE tsv @@ 'zebra'").rows == [[.int(100)]])
        #expect(try rows(db, "SELECT id FROM docs WHERE tsv @@ 'zebra'").isEmpty, "another session does not see it")
        try session.execute("ROLLBACK")
        #expect(try rows(db, "SELECT id FROM docs WHERE tsv @@ 'zebra'").isEmpty)
        #expect(try db.store.checkIntegrity().isSound)
    }

    @Test("after a power loss the gin index agrees with the table and passes the integrity check", arguments: [UInt64(1), 2])
    func crashAgreement(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 64 << 10)
        let path = "/sim/fts.vireo"
        var db = try Database.open(path: path, options: options)
        try Self.setUp(db, count: 100, seed: seed)
        var random = SplitMix64(seed: seed &+ 11)
        for _ in 0..<40 { try Self.change(db, &random, count: 100) }
        let report = backend.crash()
        db = try Database.open(path: path, options: options)
        let integrity = try db.store.checkIntegrity()
        #expect(integrity.isSound, "\(report): \(integrity)")
        try Self.expectAgreement(db, &random, queries: 40, "\(report):")
        try db.close()
    }

    @Test("gin needs one tsvector column, with PostgreSQL's errors otherwise")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, body text, tsv tsvector)")
        #expect(sqlError(db, "CREATE INDEX ON t USING gin (body)")?.sqlState == "42704")
        #expect(sqlError(db, "CREATE INDEX ON t USING gin (tsv jsonb_ops)")?.sqlState == "42704")
        #expect(sqlError(db, "CREATE UNIQUE INDEX ON t USING gin (tsv)")?.sqlState == "0A000")
        #expect(sqlError(db, "CREATE INDEX ON t USING gin (tsv, body)")?.sqlState == "0A000")
        try db.execute("CREATE INDEX t_tsv ON t USING gin (tsv)")
        try db.execute("INSERT INTO t VALUES (1, 'a', NULL), (2, 'b', '')")
        #expect(try rows(db, "SELECT id FROM t WHERE tsv @@ 'a'").isEmpty)
        #expect(try db.store.checkIntegrity().isSound)
    }
}
