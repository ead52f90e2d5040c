import Foundation
import Testing
@testable import VireoQuery
@testable import VireoStorage

/// Format 3 gin indexes keep each lexeme's postings in compressed blocks of up to 128.
/// With few distinct words every lexeme spans several blocks, so inserts into the middle of
/// full blocks split them, deletes shrink and remove them, and rollbacks and a power loss
/// take them back; through all of it the index answers as a full scan does, block-max WAND
/// returns the brute-force top k, and `vireo check` passes — and fails on a damaged block.
@Suite("full-text search: posting blocks")
struct TextSearchBlocksTests {
    typealias Fixture = TextSearchIndexTests
    static let words = Array(Fixture.words.prefix(5))

    static func document(_ random: inout SplitMix64) -> String {
        (0..<(1 + Int(random.next() % 6))).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
    }

    /// Inserts the same random documents into both tables through `execute`.
    static func insert(_ execute: (String, [Value]) throws -> QueryResult, ids: some Sequence<Int>, _ random: inout SplitMix64) throws {
        for id in ids {
            let body = document(&random)
            for table in ["docs", "plain"] {
                _ = try execute("INSERT INTO \(table) VALUES ($1, $2, to_tsvector($2))", [.int(Int64(id)), .text(body)])
            }
        }
    }

    static func setUp(_ db: Database, _ random: inout SplitMix64) throws {
        try db.execute("CREATE TABLE docs (id bigint PRIMARY KEY, body text, tsv tsvector)")
        try db.execute("CREATE TABLE plain (id bigint PRIMARY KEY, body text, tsv tsvector)")
        try insert(db.execute, ids: stride(from: 2, through: 800, by: 2), &random)
        try db.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
    }

    /// The index's posting blocks: (count of blocks, most postings in one).
    static func blockShape(_ db: Database) throws -> (blocks: Int, largest: Int) {
        try db.store.read { view in
            let (_, index) = try #require(view.catalog.index("docs_tsv"))
            var blocks = 0, largest = 0
            for word in words {
                for block in try view.postingBlocks(index, word) {
                    blocks += 1
                    largest = max(largest, block.summary.count)
                }
            }
            return (blocks, largest)
        }
    }

    static func expectExact(_ db: Database, _ random: inout SplitMix64, _ context: String) throws {
        #expect(try db.store.checkIntegrity().isSound, "\(context)")
        for _ in 0..<12 {
            let query = (0..<(1 + Int(random.next() % 3))).map { _ in words[Int(random.next() % UInt64(words.count))] }
                .joined(separator: random.next() % 4 == 0 ? " & " : " | ")
            let k = 1 + Int(random.next() % 12)
            let sql = "SELECT bm25(tsv, $1::tsquery) FROM docs WHERE tsv @@ $1::tsquery ORDER BY bm25(tsv, $1::tsquery) DESC LIMIT \(k)"
            let got = try rows(db, sql, [.text(query)]).map { Double($0[0])! }
            let brute = try rows(db, sql.replacingOccurrences(of: "FROM docs", with: "FROM plain"), [.text(query)]).map { Double($0[0])! }
            #expect(got.count == brute.count && zip(got, brute).allSatisfy { abs($0 - $1) < 1e-9 },
                    "\(context) query \(query) k \(k): index \(got), brute force \(brute)")
            let matched = "SELECT id FROM docs WHERE tsv @@ $1::tsquery ORDER BY id"
            #expect(try rows(db, matched, [.text(query)]) == rows(db, matched.replacingOccurrences(of: "docs", with: "plain"), [.text(query)]),
                    "\(context) query \(query): @@ rows differ")
        }
    }

    @Test("blocks fill at CREATE INDEX, split under inserts between their rows, shrink under deletes, roll back")
    func blocksStayExact() throws {
        let db = try Database.inMemory()
        var random = SplitMix64(seed: 12)
        try Self.setUp(db, &random)
        let built = try Self.blockShape(db)
        #expect(built.largest == PostingBlock.postingCountMax, "CREATE INDEX writes full blocks: \(built)")
        try Self.expectExact(db, &random, "built:")
        try Self.insert(db.execute, ids: stride(from: 1, through: 799, by: 4), &random)
        let split = try Self.blockShape(db)
        #expect(split.blocks > built.blocks && split.largest <= PostingBlock.postingCountMax, "\(built) then \(split)")
        try Self.expectExact(db, &random, "after inserts between rows:")
        for table in ["docs", "plain"] { try db.execute("DELETE FROM \(table) WHERE id % 3 = 0 OR id BETWEEN 300 AND 500") }
        for table in ["docs", "plain"] { try db.execute("UPDATE \(table) SET tsv = to_tsvector('\(Self.words[0]) \(Self.words[0])') WHERE id % 7 = 1") }
        try Self.expectExact(db, &random, "after deletes and updates:")
        let session = db.session()
        try session.execute("BEGIN")
        try Self.insert(session.execute, ids: stride(from: 1003, through: 1400, by: 2), &random)
        try session.execute("DELETE FROM docs WHERE id < 200")
        try session.execute("ROLLBACK")
        try db.execute("DELETE FROM plain WHERE id > 1000")
        try Self.expectExact(db, &random, "after a rollback:")
    }

    @Test("after a power loss the blocks are intact: the check passes and answers are exact", arguments: [UInt64(1), 2])
    func crash(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 64 << 10)
        let path = "/sim/blocks.vireo"
        var db = try Database.open(path: path, options: options)
        var random = SplitMix64(seed: seed)
        try Self.setUp(db, &random)
        try Self.insert(db.execute, ids: stride(from: 1, through: 799, by: 6), &random)
        for table in ["docs", "plain"] { try db.execute("DELETE FROM \(table) WHERE id % 5 = 0") }
        let report = backend.crash()
        db = try Database.open(path: path, options: options)
        try Self.expectExact(db, &random, "\(report):")
        try db.close()
    }

    @Test("vireo check reports a damaged block and overlapping blocks as corruption")
    func checkFindsDamagedBlocks() throws {
        let db = try Database.inMemory()
        var random = SplitMix64(seed: 3)
        try Self.setUp(db, &random)
        let word = Self.words[1]
        let first = try db.store.read { view in
            let (_, index) = try #require(view.catalog.index("docs_tsv"))
            return try #require(view.postingBlocks(index, word).first)
        }
        try db.store.write { transaction in
            let (_, index) = try #require(transaction.catalog.index("docs_tsv"))
            var damaged = first.bytes
            damaged[damaged.count / 2] ^= 0x10
            try BTree(root: index.root).insert(key: InvertedIndex.postingKey(word, rowID: first.summary.firstRowID), value: damaged,
                                               in: transaction.pages)
        }
        let damaged = try db.store.checkIntegrity()
        #expect(damaged.problems.contains { $0.contains("posting block checksum mismatch") }, "\(damaged)")
        try db.store.write { transaction in
            let (_, index) = try #require(transaction.catalog.index("docs_tsv"))
            try BTree(root: index.root).insert(key: InvertedIndex.postingKey(word, rowID: first.summary.firstRowID), value: first.bytes,
                                               in: transaction.pages)
            let inside = PostingBlock(rowIDs: [first.summary.firstRowID + 1], termFrequencies: [1], documentLengths: [1])
            try BTree(root: index.root).insert(key: InvertedIndex.postingKey(word, rowID: first.summary.firstRowID + 1),
                                               value: inside.encoded(), in: transaction.pages)
        }
        let overlapping = try db.store.checkIntegrity()
        #expect(overlapping.problems.contains { $0.contains("overlap") }, "\(overlapping)")
    }
}
