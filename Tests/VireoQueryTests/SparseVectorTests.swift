import Testing
@testable import VireoQuery
@testable import VireoStorage
import Foundation

/// pgvector's `sparsevec`: its text and binary forms, limits and errors, operators,
/// functions, casts and columns, each expected result taken from pgvector 0.8.5 running the
/// same statements.
@Suite("SQL: sparsevec")
struct SparseVectorTests {
    @Test("text input is sorted, drops zeros, allows whitespace and prints as pgvector prints it")
    func textForm() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT '{3:2,1:1.5}/5'::sparsevec::text, '{1:0,3:2}/5'::sparsevec::text, ' { 1 : 1.5 , 3 : 2 } / 5 '::sparsevec::text")
                == [["{1:1.5,3:2}/5", "{3:2}/5", "{1:1.5,3:2}/5"]])
        #expect(try rows(db, "SELECT '{}/5'::sparsevec::text, '{1:1.23456789}/3'::sparsevec::text, '{1:1}/1000000000'::sparsevec::text")
                == [["{}/5", "{1:1.2345679}/3", "{1:1}/1000000000"]])
        #expect(try rows(db, "SELECT pg_typeof('{1:1}/3'::sparsevec), pg_typeof('{1:1}/3'::sparsevec(3)), sparsevec '{1:2}/2' <=> '{2:1}/2'")
                == [["sparsevec", "sparsevec", "1"]])
    }

    @Test("binary form: pgvector's layout both ways, and its checks of what a client sends")
    func binaryForm() throws {
        let vector = try SparseVector(parsing: "{1:1.5,3:-2}/5")
        let bytes = vector.binary
        #expect(bytes == [0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0])
        #expect(try SparseVector(binary: bytes) == vector)
        func refused(_ bytes: [UInt8]) -> String? {
            do {
                _ = try SparseVector(binary: bytes)
                return nil
            } catch let error as VireoError { return error.message } catch { return "\(error)" }
        }
        let header: [UInt8] = [0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 0]
        #expect(refused(header + [0, 0, 0, 2, 0, 0, 0, 0] + [0x3F, 0x80, 0, 0, 0x3F, 0x80, 0, 0]) == "sparsevec indices must be in ascending order")
        #expect(refused(header + [0, 0, 0, 2, 0, 0, 0, 2] + [0x3F, 0x80, 0, 0, 0x3F, 0x80, 0, 0]) == "sparsevec indices must not contain duplicates")
        #expect(refused(header + [0, 0, 0, 0, 0, 0, 0, 5] + [0x3F, 0x80, 0, 0, 0x3F, 0x80, 0, 0]) == "sparsevec index out of bounds")
        #expect(refused(header + [0, 0, 0, 0, 0, 0, 0, 1] + [0x3F, 0x80, 0, 0, 0, 0, 0, 0]) == "binary representation of sparsevec cannot contain zero values")
        #expect(refused([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]) == "expected unused to be 0, not 1")
        #expect(refused([0, 0, 0, 5, 0, 0, 0x3E, 0x81, 0, 0, 0, 0]) == "sparsevec cannot have more than 16000 non-zero elements")
        #expect(refused([0, 0, 0, 5, 0, 0, 0, 1]) == "malformed binary sparsevec parameter")
    }

    @Test("malformed text, limits and declared dimensions fail with pgvector's messages and SQLSTATEs")
    func errors() throws {
        let db = try Database.inMemory()
        let cases: [(String, String, String)] = [
            ("SELECT '{1:1.5,1:2}/5'::sparsevec", "22000", "sparsevec indices must not contain duplicates"),
            ("SELECT '{6:1}/5'::sparsevec", "22000", "sparsevec index out of bounds"),
            ("SELECT '{0:1}/5'::sparsevec", "22000", "sparsevec index out of bounds"),
            ("SELECT '{1:1}/0'::sparsevec", "22000", "sparsevec must have at least 1 dimension"),
            ("SELECT '{1:1}/1000000001'::sparsevec", "54000", "sparsevec cannot have more than 1000000000 dimensions"),
            ("SELECT '{1:1.5,3:2}'::sparsevec", "22P02", "invalid input syntax for type sparsevec: \"{1:1.5,3:2}\""),
            ("SELECT '{1:nan}/3'::sparsevec", "22000", "NaN not allowed in sparsevec"),
            ("SELECT '{1:inf}/3'::sparsevec", "22000", "infinite value not allowed in sparsevec"),
            ("SELECT '{1:1e40}/3'::sparsevec", "22003", "\"1e40\" is out of range for type sparsevec"),
            ("SELECT '{1:1e-50}/3'::sparsevec", "22003", "\"1e-50\" is out of range for type sparsevec"),
            ("SELECT '{1:a}/3'::sparsevec", "22P02", "invalid input syntax for type sparsevec: \"{1:a}/3\""),
            ("SELECT '{1:1}/3x'::sparsevec", "22P02", "invalid input syntax for type sparsevec: \"{1:1}/3x\""),
            ("SELECT '{1:1}/3'::sparsevec(4)", "22000", "expected 4 dimensions, not 3"),
            ("SELECT '{1:1}/3'::sparsevec::vector(4)", "22000", "expected 4 dimensions, not 3"),
            ("SELECT '[1,2]'::vector(2)::sparsevec(3)", "22000", "expected 3 dimensions, not 2"),
            ("SELECT '{1:1}/3'::sparsevec <-> '{1:1}/4'", "22000", "different sparsevec dimensions 3 and 4"),
            ("SELECT l2_norm('[3,4]'::sparsevec)", "22P02", "invalid input syntax for type sparsevec: \"[3,4]\""),
            ("CREATE TABLE s0 (e sparsevec(0))", "22023", "dimensions for type sparsevec must be at least 1"),
        ]
        for (sql, state, message) in cases {
            let error = sqlError(db, sql)
            #expect(error?.sqlState == state && error?.message == message, "\(sql): got \(error.map { "\($0.sqlState) \($0.message)" } ?? "none")")
        }
        let junk = sqlError(db, "SELECT '{1:1}/3x'::sparsevec")
        #expect(junk?.detail == "Junk after closing.")
        let many = "{" + (1...16_001).map { "\($0):1" }.joined(separator: ",") + "}/20000"
        #expect(sqlError(db, "SELECT '\(many)'::sparsevec")?.message == "sparsevec cannot have more than 16000 non-zero elements")
    }

    @Test("operators, functions, comparisons and casts give pgvector's values")
    func operators() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT '{1:1,3:2}/3'::sparsevec <-> '{2:1}/3', '{1:1,3:2}/3'::sparsevec <#> '{1:3}/3', '{1:1,3:2}/3'::sparsevec <=> '{1:1}/3', '{1:1,3:2}/3'::sparsevec <+> '{2:1}/3'")
                == [["2.449489742783178", "-3", "0.5527864045000421", "4"]])
        #expect(try rows(db, "SELECT l2_distance('{1:1,3:2}/3'::sparsevec, '{2:1}/3'), inner_product('{1:1,3:2}/3'::sparsevec, '{1:3}/3'), cosine_distance('{1:1,3:2}/3'::sparsevec, '{1:1}/3'), l1_distance('{1:1,3:2}/3'::sparsevec, '{2:1}/3')")
                == [["2.449489742783178", "3", "0.5527864045000421", "4"]])
        #expect(try rows(db, "SELECT l2_norm('{1:3,3:4}/3'::sparsevec), l2_normalize('{1:3,3:4}/3'::sparsevec)::text, l2_normalize('{}/3'::sparsevec)::text, '{}/3'::sparsevec <=> '{1:1}/3'")
                == [["5", "{1:0.6,3:0.8}/3", "{}/3", "NaN"]])
        #expect(try rows(db, "SELECT '{1:1}/3'::sparsevec = '{1:1}/3', '{1:1}/3'::sparsevec < '{1:2}/3', '{1:1}/3'::sparsevec < '{1:1}/4', '{2:1}/3'::sparsevec < '{1:1}/3', '{1:-1}/3'::sparsevec < '{}/3', '{1:1}/3'::sparsevec <> '{1:1}/3'")
                == [["t", "t", "t", "t", "t", "f"]])
        #expect(try rows(db, "SELECT '[1,0,2]'::vector::sparsevec::text, '{1:1,3:2}/3'::sparsevec::vector::text, '{1:1,3:2}/3'::sparsevec::halfvec(3)::text, '[1,0,2]'::halfvec::sparsevec(3)::text, array[1,0,2]::sparsevec(3)::text")
                == [["{1:1,3:2}/3", "[1,0,2]", "[1,0,2]", "{1:1,3:2}/3", "{1:1,3:2}/3"]])
        #expect(try rows(db, "SELECT '{1:1,3:2}/3'::sparsevec <-> '[1,0,2]'::vector, pg_typeof('{1:1}/3'::sparsevec <-> '[1,0,2]'::vector)") == [["0", "double precision"]])
    }

    @Test("sparsevec columns: declared dimensions, vectors assigned, ORDER BY distance, pg_type and format_type")
    func columns() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE sv (id int PRIMARY KEY, e sparsevec(3))")
        try db.execute("INSERT INTO sv VALUES (1, '[1,0,2]'::vector), (2, '{2:1}/3'), (3, $1)", [.text("{3:5}/3")])
        #expect(sqlError(db, "INSERT INTO sv VALUES (4, '{1:1}/4')")?.message == "expected 3 dimensions, not 4")
        #expect(try rows(db, "SELECT id, e::text FROM sv ORDER BY e <-> '{1:1,3:2}/3' LIMIT 2") == [["1", "{1:1,3:2}/3"], ["2", "{2:1}/3"]])
        #expect(try rows(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'sv'::regclass AND attname = 'e'") == [["sparsevec(3)"]])
        #expect(try rows(db, "SELECT typname, n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = to_regtype('sparsevec')")
                == [["sparsevec", "public"]])
        #expect(throws: VireoError.self) {
            try StoreTransaction.checkDeclaredType(.text("[1,2]"), .sparsevec(dimension: 2))
        }
        #expect(StoreTransaction.isSparseVectorText("{1:1}/3", dimension: 3) && !StoreTransaction.isSparseVectorText("{1:1}/3", dimension: 4))
    }

    /// Sparse rows of `dimension` as a learned sparse embedding's are: each row draws
    /// `nonZero` terms, most from one of 30 topics' 24 terms, with positive weights; seeded.
    static func sparseRows(count: Int, dimension: Int = 200, nonZero: Int = 12, seed: UInt64) -> [String] {
        var topicRandom = SplitMix64(seed: 17), random = SplitMix64(seed: seed)
        let topics = (0..<30).map { _ in (0..<24).map { _ in Int.random(in: 1...dimension, using: &topicRandom) } }
        return (0..<count).map { _ in
            let topic = topics[Int.random(in: 0..<topics.count, using: &random)]
            let terms = (0..<nonZero).map { n in
                n < nonZero - 2 ? topic[Int.random(in: 0..<topic.count, using: &random)] : Int.random(in: 1...dimension, using: &random)
            }
            let elements = Set(terms).sorted().map { "\($0):\(Float.random(in: 0.05...1, using: &random))" }
            return "{" + elements.joined(separator: ",") + "}/\(dimension)"
        }
    }

    @Test("HNSW sparsevec_l2_ops, _ip_ops, _cosine_ops and _l1_ops find what the exact scan finds (recall@10 ≥ 0.9)")
    func hnswRecall() throws {
        let db = try Database.inMemory()
        let data = Self.sparseRows(count: 1_500, seed: 3)
        for table in ["exact", "indexed"] {
            try db.execute("CREATE TABLE \(table) (id int PRIMARY KEY, e sparsevec(200))")
            for start in stride(from: 0, to: data.count, by: 500) {
                let values = (start..<min(start + 500, data.count)).map { "(\($0), '\(data[$0])')" }
                try db.execute("INSERT INTO \(table) VALUES " + values.joined(separator: ", "))
            }
        }
        for (opclass, op) in [("l2", "<->"), ("ip", "<#>"), ("cosine", "<=>"), ("l1", "<+>")] {
            try db.execute("CREATE INDEX indexed_\(opclass) ON indexed USING hnsw (e sparsevec_\(opclass)_ops)")
            var found = 0, wanted = 0
            for query in Self.sparseRows(count: 10, seed: 11) {
                let sql = "SELECT e \(op) '\(query)' FROM %@ ORDER BY e \(op) '\(query)' LIMIT 10"
                func distances(_ table: String) throws -> [Double] {
                    try db.execute(sql.replacingOccurrences(of: "%@", with: table)).rows.compactMap { row in
                        if case .double(let distance) = row[0] { return distance }
                        return nil
                    }
                }
                let exact = try distances("exact"), approximate = try distances("indexed")
                found += approximate.filter { $0 <= exact[9] + 1e-6 }.count
                wanted += 10
            }
            let plan = try rows(db, "EXPLAIN SELECT id FROM indexed ORDER BY e \(op) '{1:1}/200' LIMIT 10").joined().joined()
            #expect(plan.contains("indexed_\(opclass)"), "\(plan)")
            #expect(Double(found) / Double(wanted) >= 0.9, "sparsevec_\(opclass)_ops recall@10 \(Double(found) / Double(wanted))")
            try db.execute("DROP INDEX indexed_\(opclass)")
        }
    }

    @Test("HNSW over sparsevec columns refuses what pgvector refuses")
    func hnswErrors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE sh (id int, e sparsevec(2000), n sparsevec, huge sparsevec(100000))")
        #expect(sqlError(db, "CREATE INDEX ON sh USING hnsw (n sparsevec_l2_ops)")?.message == "column does not have dimensions")
        let noDefault = sqlError(db, "CREATE INDEX ON sh USING hnsw (e)")
        #expect(noDefault?.sqlState == "42704" && noDefault?.message == "data type sparsevec has no default operator class for access method \"hnsw\"")
        #expect(sqlError(db, "CREATE INDEX ON sh USING hnsw (e vector_l2_ops)")?.message == "operator class \"vector_l2_ops\" does not accept data type sparsevec")
        #expect(sqlError(db, "CREATE INDEX ON sh USING hnsw (huge sparsevec_l2_ops)")?.sqlState == "54000", "past Vireo's dense limit")
        let many = "{" + (1...1_001).map { "\($0):1" }.joined(separator: ",") + "}/2000"
        try db.execute("INSERT INTO sh (id, e) VALUES (1, '\(many)')")
        let build = sqlError(db, "CREATE INDEX ON sh USING hnsw (e sparsevec_l2_ops)")
        #expect(build?.sqlState == "54000" && build?.message == "sparsevec cannot have more than 1000 non-zero elements for hnsw index")
        try db.execute("DELETE FROM sh; CREATE INDEX ON sh USING hnsw (e sparsevec_l2_ops)")
        #expect(sqlError(db, "INSERT INTO sh (id, e) VALUES (2, '\(many)')")?.message == "sparsevec cannot have more than 1000 non-zero elements for hnsw index")
        try db.execute("INSERT INTO sh (id, e) VALUES (3, '{2:1}/2000'), (4, '{1:1}/2000')")
        #expect(try rows(db, "SELECT id FROM sh ORDER BY e <-> '{1:1}/2000' LIMIT 1") == [["4"]])
    }
}
