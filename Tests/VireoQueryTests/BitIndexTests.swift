import Testing
@testable import VireoQuery
@testable import VireoStorage
import Foundation

/// HNSW indexes over bit(n) columns (pgvector's bit_hamming_ops and bit_jaccard_ops): the
/// errors of CREATE INDEX as pgvector 0.8.5 gives them, and searches measured against brute
/// force on seeded clustered bit vectors.
@Suite("SQL: HNSW over bit columns")
struct BitIndexTests {
    static let bitCount = 256
    static let rowCount = 3_000

    /// Bit strings around `centreCount` random centres, each bit flipped with probability
    /// `flip`: clustered, as fingerprints and binary-quantized embeddings are.
    static func clustered(count: Int, centreCount: Int = 40, flip: Double = 0.12, seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        var centreRandom = SplitMix64(seed: 7)
        let centres = (0..<centreCount).map { _ in (0..<bitCount).map { _ in Bool.random(using: &centreRandom) } }
        return (0..<count).map { _ in
            let centre = centres[Int.random(in: 0..<centreCount, using: &random)]
            return String(centre.map { Double.random(in: 0..<1, using: &random) < flip ? !$0 : $0 }.map { $0 ? "1" : "0" })
        }
    }

    static func hamming(_ a: String, _ b: String) -> Double {
        Double(zip(a.utf8, b.utf8).filter { $0 != $1 }.count)
    }

    static func jaccard(_ a: String, _ b: String) -> Double {
        let one = UInt8(ascii: "1")
        let both = zip(a.utf8, b.utf8).filter { $0 == one && $1 == one }.count
        let either = zip(a.utf8, b.utf8).filter { $0 == one || $1 == one }.count
        return both == 0 ? 1 : 1 - Double(both) / Double(either)
    }

    /// A table `b (id, grp, bits bit(256))` of `rowCount` clustered rows, grp = id % 4.
    static func load(_ db: Database) throws -> [String] {
        let bits = clustered(count: rowCount, seed: 42)
        try db.execute("CREATE TABLE b (id int PRIMARY KEY, grp int, bits bit(\(bitCount)))")
        for start in stride(from: 0, to: rowCount, by: 500) {
            let values = (start..<min(start + 500, rowCount)).map { "(\($0), \($0 % 4), '\(bits[$0])')" }
            try db.execute("INSERT INTO b VALUES " + values.joined(separator: ", "))
        }
        return bits
    }

    /// The share of the index's ids whose distance is within the 10th exact distance (ties
    /// at the boundary count as found), over all queries.
    static func recall(_ db: Database, _ rows: [String], op: String, where filter: String = "", keep: (Int) -> Bool = { _ in true },
                       distance: (String, String) -> Double) throws -> Double {
        var found = 0, wanted = 0
        for query in clustered(count: 20, seed: 99) {
            let exact = rows.indices.filter(keep).map { distance(rows[$0], query) }.sorted()
            let boundary = exact[9]
            let ids = try db.execute("SELECT id FROM b \(filter) ORDER BY bits \(op) $1 LIMIT 10", [.text(query)]).rows.map { row -> Int in
                if case .int(let id) = row[0] { return Int(id) }
                return -1
            }
            let allKept = ids.allSatisfy(keep)
            #expect(allKept, "the WHERE clause holds for every row found")
            found += ids.filter { $0 >= 0 && distance(rows[$0], query) <= boundary }.count
            wanted += 10
        }
        return Double(found) / Double(wanted)
    }

    static func plan(_ db: Database, _ op: String) throws -> String {
        try db.execute("EXPLAIN SELECT id FROM b ORDER BY bits \(op) $1 LIMIT 10", [.text(String(repeating: "1", count: bitCount))])
            .rows.map { $0[0].text ?? "" }.joined(separator: "\n")
    }

    @Test("bit_hamming_ops and bit_jaccard_ops find the exact neighbours (recall@10 ≥ 0.95), also with a WHERE, also after reopening")
    func recallAgainstBruteForce() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/bits.vireo"
            let stored: [String]
            do {
                let db = try Database.open(path: path)
                stored = try Self.load(db)
                try db.execute("CREATE INDEX b_hamming ON b USING hnsw (bits bit_hamming_ops)")
                try db.execute("CREATE INDEX b_jaccard ON b USING hnsw (bits bit_jaccard_ops) WITH (m = 16, ef_construction = 64)")
                #expect(try Self.plan(db, "<~>").contains("b_hamming"))
                #expect(try Self.plan(db, "<%>").contains("b_jaccard"))
                let hamming = try Self.recall(db, stored, op: "<~>", distance: Self.hamming)
                let jaccard = try Self.recall(db, stored, op: "<%>", distance: Self.jaccard)
                #expect(hamming >= 0.95 && jaccard >= 0.95, "recall@10 hamming \(hamming), jaccard \(jaccard)")
                let filtered = try Self.recall(db, stored, op: "<~>", where: "WHERE grp = 1", keep: { $0 % 4 == 1 }, distance: Self.hamming)
                #expect(filtered >= 0.95, "recall@10 with WHERE grp = 1: \(filtered)")
                try db.close()
            }
            let db = try Database.open(path: path)
            #expect(try Self.plan(db, "<~>").contains("b_hamming"), "the index is used after reopening")
            let hamming = try Self.recall(db, stored, op: "<~>", distance: Self.hamming)
            #expect(hamming >= 0.95, "recall@10 after reopening \(hamming)")
            // Rows inserted after the build are found; the distance is the operator's.
            let inserted = String(repeating: "10", count: Self.bitCount / 2)
            try db.execute("INSERT INTO b VALUES (-1, 0, '\(inserted)')")
            #expect(try rows(db, "SELECT id, bits <~> '\(inserted)', bits <%> '\(inserted)' FROM b ORDER BY bits <~> '\(inserted)' LIMIT 1") == [["-1", "0", "0"]])
            #expect(try rows(db, "SELECT id FROM b ORDER BY bits <%> '\(inserted)' LIMIT 1") == [["-1"]])
        }
    }

    @Test("CREATE INDEX over bit columns fails as pgvector's does")
    func errors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, b bit(4), v varbit(4), n bit varying, one bit, e vector(3), big bit(64001), edge bit(64000))")
        let noDefault = sqlError(db, "CREATE INDEX ON t USING hnsw (b)")
        #expect(noDefault?.sqlState == "42704" && noDefault?.message == "data type bit has no default operator class for access method \"hnsw\"")
        let varying = sqlError(db, "CREATE INDEX ON t USING hnsw (v bit_hamming_ops)")
        #expect(varying?.sqlState == "0A000" && varying?.message == "type not supported for hnsw index")
        #expect(sqlError(db, "CREATE INDEX ON t USING hnsw (n bit_jaccard_ops)")?.message == "type not supported for hnsw index")
        let tooLong = sqlError(db, "CREATE INDEX ON t USING hnsw (big bit_hamming_ops)")
        #expect(tooLong?.sqlState == "54000" && tooLong?.message == "column cannot have more than 64000 dimensions for hnsw index")
        let unknown = sqlError(db, "CREATE INDEX ON t USING hnsw (b bit_l2_ops)")
        #expect(unknown?.sqlState == "42704" && unknown?.message == "operator class \"bit_l2_ops\" does not exist for access method \"hnsw\"")
        let vectorClass = sqlError(db, "CREATE INDEX ON t USING hnsw (b vector_l2_ops)")
        #expect(vectorClass?.sqlState == "42804" && vectorClass?.message == "operator class \"vector_l2_ops\" does not accept data type bit")
        #expect(sqlError(db, "CREATE INDEX ON t USING hnsw (e bit_hamming_ops)")?.message == "operator class \"bit_hamming_ops\" does not accept data type vector")
        #expect(sqlError(db, "CREATE INDEX ON t USING hnsw (id)")?.message == "data type integer has no default operator class for access method \"hnsw\"")
        try db.execute("CREATE INDEX ON t USING hnsw (one bit_hamming_ops)")
        try db.execute("CREATE INDEX ON t USING hnsw (edge bit_hamming_ops)")
        try db.execute("CREATE INDEX t_b ON t USING hnsw (b bit_jaccard_ops)")
        let definition = try rows(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 't_b'").joined().joined()
        #expect(definition.contains("USING hnsw (b ") && definition.contains("bit_jaccard_ops)"), "\(definition)")
    }

    @Test("searches through a bit index give pgvector's answers, its errors for other lengths, and skip NULLs")
    func smallTable() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE tb (id int, b bit(4))")
        try db.execute("INSERT INTO tb VALUES (1, '0101'), (2, '1111'), (3, '0000'), (4, NULL)")
        try db.execute("CREATE INDEX ON tb USING hnsw (b bit_hamming_ops); CREATE INDEX ON tb USING hnsw (b bit_jaccard_ops)")
        #expect(try rows(db, "SELECT id, b <%> '0111' FROM tb ORDER BY b <%> '0111' LIMIT 3")
                == [["2", "0.25"], ["1", "0.33333333333333337"], ["3", "1"]])
        #expect(try rows(db, "SELECT id FROM tb ORDER BY b <~> '0111' LIMIT 10").count == 3)
        let length = sqlError(db, "SELECT id FROM tb ORDER BY b <~> '011' LIMIT 2")
        #expect(length?.message == "different bit lengths 3 and 4")
        #expect(sqlError(db, "SELECT id FROM tb ORDER BY b <%> '011' LIMIT 2")?.message == "different bit lengths 3 and 4")
    }
}
