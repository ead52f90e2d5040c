import Foundation
import Testing
@testable import VireoQuery
import VireoIndex
import VireoStorage

@Suite("SQL: vectors, pgvector operators and HNSW indexes")
struct VectorSQLTests {
    @Test("pgvector literals, operators and functions give pgvector's answers")
    func operatorsAndFunctions() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT '[1,2,3]'::vector, ' [ 1,  2 ,    3  ] '::vector(3), '[1.5e38]'::vector") == [["[1,2,3]", "[1,2,3]", "[1.5e+38]"]])
        #expect(try rows(db, "SELECT '[0,0]' <-> '[3,4]', '[1,2]' <#> '[3,4]', '[1,1]' <=> '[-1,-1]', '[0,0]' <+> '[3,4]'") == [["5", "-11", "2", "7"]])
        #expect(try rows(db, "SELECT l2_distance('[0,0]', '[0,1]'), inner_product('[1,2]', '[3,4]'), cosine_distance('[1,2]', '[2,4]'), l1_distance('[0,0]', '[3,4]')") == [["1", "11", "0", "7"]])
        #expect(try rows(db, "SELECT vector_dims('[1,2,3]'), vector_norm('[3,4]'), l2_normalize('[3,4]'), subvector('[1,2,3,4]', 2, 2)") == [["3", "5", "[0.6,0.8]", "[2,3]"]])
        #expect(try rows(db, "SELECT '[1,2,3]'::vector + '[4,5,6]', '[1,2,3]'::vector - '[4,5,6]', '[1,2,3]'::vector * '[4,5,6]'") == [["[5,7,9]", "[-3,-3,-3]", "[4,10,18]"]])
        #expect(try rows(db, "SELECT cosine_distance('[1,2]', '[0,0]')") == [["NaN"]])
    }

    @Test("bad vectors give pgvector's errors and SQLSTATEs", arguments: [
        ("SELECT '[1,2,3'::vector", "22P02", "malformed vector literal"),
        ("SELECT '1,2,3'::vector", "22P02", "malformed vector literal"),
        ("SELECT '[hello,1]'::vector", "22P02", "invalid input syntax for type vector"),
        ("SELECT '[NaN,1]'::vector", "22000", "NaN not allowed in vector"),
        ("SELECT '[Infinity,1]'::vector", "22000", "infinite value not allowed in vector"),
        ("SELECT '[]'::vector", "22000", "vector must have at least 1 dimension"),
        ("SELECT '[1,2,3]'::vector(2)", "22000", "expected 2 dimensions, not 3"),
        ("SELECT l2_distance('[1,2]', '[3]')", "22000", "different vector dimensions 2 and 1"),
        ("SELECT '[1,2]'::vector <-> '[1,2,3]'", "22000", "different vector dimensions 2 and 3"),
        ("SELECT '[3e38]'::vector + '[3e38]'", "22000", "value out of range: overflow"),
    ])
    func vectorErrors(sql: String, sqlState: String, message: String) throws {
        let db = try Database.inMemory()
        let error = sqlError(db, sql)
        #expect(error?.sqlState == sqlState, "\(sql): expected \(sqlState), got \(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(sql): expected '\(message)' in \(String(describing: error?.message))")
    }

    @Test("a column's dimension is enforced on insert, and hnsw options are checked")
    func columnDimensionsAndOptions() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3))")
        #expect(sqlError(db, "INSERT INTO items (embedding) VALUES ('[1,2]')")?.message == "expected 3 dimensions, not 2")
        #expect(sqlError(db, "INSERT INTO items (embedding) VALUES ($1)", [.vector([1, 2])])?.sqlState == "22000")
        #expect(sqlError(db, "CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (m = 1)")?.sqlState == "22023")
        #expect(sqlError(db, "CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (ef_construction = 2000)")?.sqlState == "22023")
        #expect(sqlError(db, "CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (m = 40, ef_construction = 50)")?.sqlState == "22023")
        #expect(sqlError(db, "CREATE INDEX ON items USING hnsw (embedding vector_foo_ops)")?.sqlState == "42704")
        // pgvector 0.8.5: no default operator class for the type (42704); a vector class on it 42804.
        #expect(sqlError(db, "CREATE INDEX ON items USING hnsw (id)")?.sqlState == "42704")
        #expect(sqlError(db, "CREATE INDEX ON items USING hnsw (id vector_l2_ops)")?.sqlState == "42804")
        #expect(sqlError(db, "SET hnsw.ef_search = 0")?.sqlState == "22023")
    }

    /// Random rows, and the exact nearest ids by brute force.
    static func populate(_ db: Database, count: Int, dimension: Int, seed: UInt64) throws -> [[Float]] {
        var random = SeededRandom(seed: seed)
        try db.execute("CREATE TABLE items (id bigserial PRIMARY KEY, category int, embedding vector(\(dimension)))")
        var vectors: [[Float]] = []
        let session = db.session()
        try session.execute("BEGIN")
        for index in 0..<count {
            let vector = (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) }
            vectors.append(vector)
            try session.execute("INSERT INTO items (category, embedding) VALUES ($1, $2)", [.int(Int64(index % 100)), .vector(vector)])
        }
        try session.execute("COMMIT")
        return vectors
    }

    static func exactNearest(_ vectors: [[Float]], _ query: [Float], k: Int, where include: (Int) -> Bool = { _ in true }) -> [Int64] {
        let scored = vectors.enumerated().filter { include($0.offset) }.map { (Int64($0.offset + 1), try! VectorMath.l2Distance($0.element, query)) }
        return scored.sorted { $0.1 < $1.1 }.prefix(k).map(\.0)
    }

    @Test("ORDER BY distance LIMIT k uses the HNSW index, with recall against brute force", arguments: ["l2", "cosine", "ip"])
    func hnswRecall(metric: String) throws {
        let db = try Database.inMemory()
        let vectors = try Self.populate(db, count: 1_500, dimension: 16, seed: 7)
        let (opclass, op) = ["l2": ("vector_l2_ops", "<->"), "cosine": ("vector_cosine_ops", "<=>"), "ip": ("vector_ip_ops", "<#>")][metric]!
        try db.execute("CREATE INDEX items_embedding ON items USING hnsw (embedding \(opclass)) WITH (m = 16, ef_construction = 64)")
        let plan = try rows(db, "EXPLAIN SELECT id FROM items ORDER BY embedding \(op) $1 LIMIT 10", [.vector(vectors[0])])
        #expect(plan.joined().joined(separator: "\n").contains("Vector Index Scan using items_embedding"), "plan: \(plan)")
        var found = 0
        var random = SeededRandom(seed: 99)
        for _ in 0..<20 {
            let query = (0..<16).map { _ in Float.random(in: -1...1, using: &random) }
            let result = try db.query("SELECT id FROM items ORDER BY embedding \(op) $1 LIMIT 10", [.vector(query)])
            let exact = try db.query("SELECT id FROM (SELECT id, embedding \(op) $1 AS d FROM items) s ORDER BY d LIMIT 10", [.vector(query)])
            found += Set(result.rows.map { $0[0] }).intersection(exact.rows.map { $0[0] }).count
            #expect(result.rows.count == 10)
        }
        let recall = Double(found) / 200
        #expect(recall >= 0.9, "\(metric): recall@10 \(recall) below 0.9")
    }

    @Test("a filtered vector search returns min(k, matching rows), only matching rows")
    func filteredSearch() throws {
        let db = try Database.inMemory()
        let vectors = try Self.populate(db, count: 2_000, dimension: 8, seed: 3)
        try db.execute("CREATE INDEX ON items USING hnsw (embedding vector_l2_ops)")
        let query = vectors[5]
        // 0.1% of rows: category 7 and id < 300 matches 3 rows (ids 8, 108, 208).
        let rare = try db.query("SELECT id, category FROM items WHERE category = 7 AND id < 300 ORDER BY embedding <-> $1 LIMIT 10", [.vector(query)])
        #expect(rare.rows.count == 3, "expected all 3 matching rows, got \(rare.rows.count)")
        #expect(rare.rows.allSatisfy { $0[1] == .int(7) })
        let common = try db.query("SELECT id FROM items WHERE category < 50 ORDER BY embedding <-> $1 LIMIT 10", [.vector(query)])
        let exact = Self.exactNearest(vectors, query, k: 10) { $0 % 100 < 50 }
        #expect(common.rows.count == 10)
        #expect(Set(common.rows.map { $0[0] }).intersection(exact.map(Value.int)).count >= 8)
    }

    @Test("deleted and updated rows leave the index correct")
    func deletesAndUpdates() throws {
        let db = try Database.inMemory()
        let vectors = try Self.populate(db, count: 500, dimension: 8, seed: 11)
        try db.execute("CREATE INDEX ON items USING hnsw (embedding vector_l2_ops)")
        let query = vectors[41]
        try db.execute("DELETE FROM items WHERE id = 42")
        let afterDelete = try db.query("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5", [.vector(query)])
        #expect(!afterDelete.rows.contains { $0[0] == .int(42) }, "a deleted row was returned")
        try db.execute("UPDATE items SET embedding = $1 WHERE id = 7", [.vector(query)])
        let afterUpdate = try db.query("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 1", [.vector(query)])
        #expect(afterUpdate.rows.first?[0] == .int(7), "the updated row should now be nearest")
    }

    @Test("the index survives reopen without re-inserting, and rows added after its snapshot are found")
    func persistence() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/vectors.vireo"
            var db = try Database.open(path: path)
            _ = try Self.populate(db, count: 800, dimension: 8, seed: 5)
            try db.execute("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)")
            try db.close()
            db = try Database.open(path: path)
            let table = try db.store.catalog.table("items")
            let definition = try #require(table.indexes.first { $0.name == "items_hnsw" })
            #expect(definition.root != 0, "the index has a snapshot")
            let index = try db.vectorIndexes.index(definition.name)
            #expect(index.count == 800, "a reopened index holds every row without re-inserting: \(index.count)")
            try db.close()
        }
    }

    @Test("after a power loss the index agrees with the table: no lost or phantom rows", arguments: [UInt64(1), 2, 3, 4, 5])
    func crashAgreement(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 256 << 10)
        let path = "/sim/vectors.vireo"
        var db = try Database.open(path: path, options: options)
        _ = try Self.populate(db, count: 300, dimension: 8, seed: seed)
        try db.execute("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)")
        let probe: [Float] = [9, 9, 9, 9, 9, 9, 9, 9]
        for round in 0..<30 {
            try db.execute("INSERT INTO items (category, embedding) VALUES ($1, $2)", [.int(Int64(round)), .vector(probe.map { $0 + Float(round) })])
            try db.execute("DELETE FROM items WHERE id = $1", [.int(Int64(round * 7 + 1))])
            try db.execute("UPDATE items SET embedding = $1 WHERE id = $2", [.vector(probe), .int(Int64(round * 5 + 2))])
        }
        let report = backend.crash()
        db = try Database.open(path: path, options: options)
        let table = try db.store.catalog.table("items")
        let definition = try #require(table.indexes.first { $0.name == "items_hnsw" })
        let index = try db.vectorIndexes.index(definition.name)
        var tableIDs = Set<Int64>()
        try db.store.read { snapshot in
            try snapshot.scanRows(table) { rowID, _ in tableIDs.insert(rowID); return true }
        }
        #expect(index.count == tableIDs.count, "\(report): index holds \(index.count) rows, table \(tableIDs.count)")
        for rowID in tableIDs.sorted().prefix(400) {
            #expect(index.contains(label: rowID), "\(report): row \(rowID) is missing from the index")
        }
        #expect(try db.store.checkIntegrity().isSound)
    }

    /// CREATE INDEX streams its snapshot into pages and commits them in one transaction. A
    /// commit cut anywhere (a failed, short or full-disk write, a failed fsync) and the power
    /// loss after it must leave the table as it was and the index either absent or whole.
    @Test("a CREATE INDEX whose commit is cut by a failed, short or full-disk write or fsync, then a power loss, leaves the table whole and the index absent or complete",
          arguments: ["write EIO", "write ENOSPC", "short write 1/8", "short write 1/2", "short write 7/8", "full disk", "fsync", "none"])
    func createIndexCutShort(fault: String) throws {
        let path = "/sim/build.vireo"
        let build = "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops) WITH (m = 8, ef_construction = 32)"
        // The full disk needs a commit larger than the zeros the WAL keeps ahead (1 MiB).
        let (rows, dimension) = (900, fault == "full disk" ? 320 : 16)
        func populated(_ backend: SimulatedBackend) throws -> (Database, [[Float]]) {
            let db = try Database.open(path: path, options: StorageOptions(backend: backend))
            return (db, try Self.populate(db, count: rows, dimension: dimension, seed: 13))
        }
        // A build without faults says how many bytes its commit writes.
        let clean = SimulatedBackend(seed: 13)
        let (cleanDB, _) = try populated(clean)
        let bytesBefore = clean.stats.bytesWrittenCount
        try cleanDB.execute(build)
        let bytes = clean.stats.bytesWrittenCount - bytesBefore
        try cleanDB.close()
        #expect(bytes > 16 * StorageFormat.pageSizeBytes, "the snapshot should span many pages, not \(bytes) bytes")

        let backend = SimulatedBackend(seed: 17)
        var (db, vectors) = try populated(backend)
        let onDisk = [path, path + "-wal"].compactMap { backend.currentContents(path: $0)?.count }.reduce(0, +)
        switch fault {
        case "write EIO": backend.faults.failWrite(number: 1, errno: EIO)
        case "write ENOSPC": backend.faults.failWrite(number: 1, errno: ENOSPC)
        case "short write 1/8": backend.faults.shortWrite(number: 1, keptBytes: bytes / 8)
        case "short write 1/2": backend.faults.shortWrite(number: 1, keptBytes: bytes / 2)
        case "short write 7/8": backend.faults.shortWrite(number: 1, keptBytes: bytes * 7 / 8)
        case "full disk": backend.faults.limitCapacity(bytes: onDisk)
        case "fsync": backend.faults.failSync(number: 1)
        default: break
        }
        var failure: VireoError?
        do { try db.execute(build) } catch { failure = try #require(error as? VireoError) }
        #expect((failure == nil) == (fault == "none"), "\(fault): \(failure?.message ?? "acknowledged")")
        let report = backend.crash()
        backend.faults.clear()
        let context = "\(fault), \(failure?.message ?? "acknowledged"), \(report)"
        db = try Database.open(path: path, options: StorageOptions(backend: backend))
        let stored = try db.query("SELECT embedding FROM items ORDER BY id").rows
        #expect(stored == vectors.map { [Value.vector($0)] }, "\(context): the table changed")
        let indexed = try db.store.catalog.table("items").indexes.contains { $0.name == "items_hnsw" }
        #expect(indexed || failure != nil, "\(context): an acknowledged index is lost")
        if !indexed { try db.execute(build) }
        let index = try db.vectorIndexes.index("items_hnsw")
        #expect(index.count == rows, "\(context): the index holds \(index.count) of \(rows) rows")
        try index.checkIntegrity()
        // An ef_search as large as the table: the search reaches every row it holds.
        let session = db.session()
        try session.execute("SET hnsw.ef_search = \(rows)")
        let nearest = try session.execute("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5", [.vector(vectors[7])]).rows
        #expect(nearest.first == [.int(8)], "\(context): a row's own vector is its nearest neighbour")
        #expect(try db.store.checkIntegrity().isSound, "\(context)")
        try db.close()
    }

    /// Recall@10 of `queries` through SQL against exact search; each answer must be ten rows
    /// in exact distance order (a quantized index re-ranks exactly).
    private static func recallInExactOrder(_ db: Database, _ vectors: [[Float]], queries: [[Float]]) throws -> Double {
        var found = 0
        for (q, query) in queries.enumerated() {
            let result = try db.query("SELECT id, embedding <-> $1 FROM items ORDER BY embedding <-> $1 LIMIT 10", [.vector(query)])
            let distances = result.rows.map { row -> Double in if case .double(let d) = row[1] { d } else { -1 } }
            #expect(distances == distances.sorted() && distances.count == 10, "query \(q): not 10 rows in exact order: \(distances)")
            found += Set(result.rows.map { $0[0] }).intersection(exactNearest(vectors, query, k: 10).map(Value.int)).count
        }
        return Double(found) / Double(10 * queries.count)
    }

    @Test("an int8 index walks codes and re-ranks from the table's rows: exact order, changed and deleted rows followed")
    func int8IndexReranksFromTableRows() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/int8.vireo"
            var db = try Database.open(path: path)
            let vectors = try Self.populate(db, count: 800, dimension: 16, seed: 13)
            #expect(sqlError(db, "CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (quantization = int4)")?.sqlState == "22023")
            try db.execute("CREATE INDEX items_int8 ON items USING hnsw (embedding vector_l2_ops) WITH (quantization = int8)")
            try db.close()
            db = try Database.open(path: path)
            #expect(try db.vectorIndexes.index("items_int8").quantization == .int8, "the reopened index lost its quantization")
            let recall = try Self.recallInExactOrder(db, vectors, queries: (0..<20).map { vectors[$0 * 37] })
            #expect(recall >= 0.9, "int8 recall@10 \(recall) below 0.9")
            try db.execute("DELETE FROM items WHERE id = 42")
            try db.execute("UPDATE items SET embedding = $1 WHERE id = 7", [.vector(vectors[41])])
            let after = try db.query("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 3", [.vector(vectors[41])])
            #expect(after.rows.first?[0] == .int(7) && !after.rows.contains { $0[0] == .int(42) }, "after update and delete: \(after.rows)")
            try db.close()
        }
    }

    @Test("a binary index walks 1-bit codes and re-ranks from the table's rows: exact order, inserts and deletes followed")
    func binaryIndexReranksFromTableRows() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/binary.vireo"
            var db = try Database.open(path: path)
            let vectors = try Self.populate(db, count: 1_200, dimension: 64, seed: 17)
            let error = sqlError(db, "CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (quantization = bits)")
            #expect(error?.sqlState == "22023" && error?.message.contains("\"binary\"") == true, "\(String(describing: error))")
            try db.execute("CREATE INDEX items_bin ON items USING hnsw (embedding vector_l2_ops) WITH (quantization = binary)")
            try db.close()
            db = try Database.open(path: path)
            #expect(try db.vectorIndexes.index("items_bin").quantization == .binary, "the reopened index lost its quantization")
            try db.execute("SET hnsw.ef_search = 100")
            let recall = try Self.recallInExactOrder(db, vectors, queries: (0..<20).map { q in vectors[q * 53].map { $0 + 0.05 } })
            #expect(recall >= 0.85, "binary recall@10 \(recall) below 0.85")
            let fresh = vectors[5].map { -$0 }
            try db.execute("INSERT INTO items (category, embedding) VALUES (1, $1)", [.vector(fresh)])
            let inserted = try db.query("SELECT id, embedding <-> $1 FROM items ORDER BY embedding <-> $1 LIMIT 1", [.vector(fresh)])
            #expect(inserted.rows.first?[0] == .int(1_201) && inserted.rows.first?[1] == .double(0), "new row: \(inserted.rows)")
            try db.execute("DELETE FROM items WHERE id = 1201")
            let after = try db.query("SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5", [.vector(fresh)])
            #expect(after.rows.count == 5 && !after.rows.contains { $0[0] == .int(1_201) }, "after delete: \(after.rows)")
            #expect(try db.vectorIndexes.index("items_bin").integrityProblems() == [])
            try db.close()
        }
    }

    @Test("int8 searches on several threads while another session updates rows: k rows each, in exact distance order")
    func int8SearchesWhileRowsChange() throws {
        let db = try Database.inMemory()
        let vectors = try Self.populate(db, count: 400, dimension: 8, seed: 21)
        try db.execute("CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (quantization = int8)")
        let failures = ProblemList()
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            let session = db.session()
            for round in 0..<30 {
                do {
                    if worker == 0 {
                        let moved = vectors[(round * 13) % 400].map { $0 + 0.01 }
                        try session.execute("UPDATE items SET embedding = $1 WHERE id = $2", [.vector(moved), .int(Int64(round * 7 % 400 + 1))])
                        continue
                    }
                    let query = vectors[(round * 31 + worker) % 400]
                    let result = try session.execute("SELECT embedding <-> $1 FROM items ORDER BY embedding <-> $1 LIMIT 10", [.vector(query)])
                    let distances = result.rows.map { row -> Double in if case .double(let d) = row[0] { d } else { -1 } }
                    if distances.count != 10 || distances != distances.sorted() { failures.add("worker \(worker) round \(round): \(distances)") }
                } catch {
                    failures.add("worker \(worker) round \(round): \(error)")
                }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
    }

    @Test("a search inside a transaction that changed the table sees its own rows")
    func searchInsideTransaction() throws {
        let db = try Database.inMemory()
        _ = try Self.populate(db, count: 200, dimension: 4, seed: 2)
        try db.execute("CREATE INDEX ON items USING hnsw (embedding vector_l2_ops)")
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO items (category, embedding) VALUES (0, '[5,5,5,5]')")
        let inside = try session.execute("SELECT id FROM items ORDER BY embedding <-> '[5,5,5,5]' LIMIT 1")
        #expect(inside.rows.first?[0] == .int(201))
        try session.execute("ROLLBACK")
        let after = try session.execute("SELECT id FROM items ORDER BY embedding <-> '[5,5,5,5]' LIMIT 1")
        #expect(after.rows.first?[0] != .int(201))
    }
}

/// Reproducible test data.
typealias SeededRandom = SplitMix64

@Suite("SQL: vector scans at the edges")
struct VectorEdgeTests {
    @Test("a LIMIT beyond the index's search bound, a huge LIMIT with OFFSET and a NULL query all answer exactly")
    func edges() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE v (id int PRIMARY KEY, e vector(2))")
        for id in 1...50 { try db.execute("INSERT INTO v VALUES ($1, $2)", id, [Float(id), 0] as [Float]) }
        try db.execute("CREATE INDEX ON v USING hnsw (e vector_l2_ops)")
        let all = try db.query("SELECT id FROM v ORDER BY e <-> '[0,0]' LIMIT 20000")
        #expect(all.rows.map { $0[0] } == (1...50).map { Value.int(Int64($0)) })
        let tail = try db.query("SELECT id FROM v ORDER BY e <-> '[0,0]' LIMIT 9223372036854775807 OFFSET 48")
        #expect(tail.rows.map { $0[0] } == [.int(49), .int(50)])
        let nullQuery = try db.query("SELECT id FROM v ORDER BY e <-> NULL LIMIT 3")
        #expect(nullQuery.rows.count == 3, "a NULL query vector still returns rows (all distances are NULL)")
    }

    @Test("a k-NN query's rows go straight from the scan to the result: OFFSET, LIMIT 0, columns read from the rows, the row id twice, an expression, a prepared query and EXPLAIN ANALYZE agree")
    func nearestRowsWithoutOperators() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE v (id int PRIMARY KEY, label text, e vector(2))")
        for id in 1...30 { try db.execute("INSERT INTO v VALUES ($1, $2, $3)", id, "n\(id)", [Float(id), 0] as [Float]) }
        try db.execute("CREATE INDEX ON v USING hnsw (e vector_l2_ops)")
        #expect(try rows(db, "SELECT id FROM v ORDER BY e <-> '[0,0]' LIMIT 3 OFFSET 2") == [["3"], ["4"], ["5"]])
        #expect(try rows(db, "SELECT id FROM v ORDER BY e <-> '[0,0]' LIMIT 0").isEmpty)
        #expect(try rows(db, "SELECT label, id, label FROM v ORDER BY e <-> '[30,0]' LIMIT 2") == [["n30", "30", "n30"], ["n29", "29", "n29"]])
        #expect(try rows(db, "SELECT id, id FROM v ORDER BY e <-> '[0,0]' LIMIT 1") == [["1", "1"]])
        #expect(try rows(db, "SELECT id * 10 FROM v ORDER BY e <-> '[0,0]' LIMIT 2") == [["10"], ["20"]])
        #expect(sqlError(db, "SELECT id FROM v ORDER BY e <-> '[0,0]' LIMIT -1")?.sqlState == "2201W")
        #expect(sqlError(db, "SELECT id FROM v ORDER BY e <-> $1 LIMIT 2", [.vector([.nan, 0])])?.message == "NaN not allowed in vector")
        #expect(sqlError(db, "SELECT id FROM v ORDER BY e <-> $1 LIMIT 2", [.vector([.infinity, .nan])])?.message == "infinite value not allowed in vector")
        let prepared = try db.prepare("SELECT id, label FROM v ORDER BY e <-> $1 LIMIT $2 OFFSET 1")
        for k in [1, 4] {
            let found = try prepared.execute([.vector([10.2, 0]), .int(Int64(k))]).rows
            #expect(found.map { $0[0] } == [.int(11), .int(9), .int(12), .int(8)].prefix(k).map { $0 }, "k \(k)")
        }
        let analyzed = try rows(db, "EXPLAIN ANALYZE SELECT id FROM v ORDER BY e <-> '[0,0]' LIMIT 3").map { $0[0] }.joined(separator: "\n")
        #expect(analyzed.contains("Vector Index Scan") && analyzed.contains("rows=3"))
    }

    @Test("VALUES lists of different lengths and ON CONFLICT touching a row twice are errors, as in PostgreSQL")
    func insertErrors() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE kv (k text PRIMARY KEY, v int)")
        #expect(sqlError(db, "INSERT INTO kv (k, v) VALUES ('a', 1), ('b')")?.sqlState == "42601")
        #expect(sqlError(db, "INSERT INTO kv VALUES ('m', 1), ('m', 2) ON CONFLICT (k) DO UPDATE SET v = excluded.v")?.sqlState == "21000")
        try db.execute("INSERT INTO kv VALUES ('m', 1), ('m', 2) ON CONFLICT (k) DO NOTHING")
        #expect(try rows(db, "SELECT k, v FROM kv") == [["m", "1"]])
    }

    @Test("an exact scan (no index) ranks the same whether the query vector is a literal, a vector or text parameter, or a CAST; a bad parameter still fails")
    func exactScanParameters() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE v (id int PRIMARY KEY, e vector(3))")
        var random = SplitMix64(seed: 11)
        for id in 1...200 {
            let vector = (0..<3).map { _ in Float(Int(random.next() % 2001) - 1000) / 1000 }
            try db.execute("INSERT INTO v VALUES ($1, $2)", [.int(Int64(id)), .vector(vector)])
        }
        let query = "[0.3,-0.2,0.9]"
        let literal = try rows(db, "SELECT id, e <=> '\(query)' FROM v ORDER BY e <=> '\(query)' LIMIT 10")
        #expect(literal.count == 10)
        #expect(try rows(db, "SELECT id, e <=> $1 FROM v ORDER BY e <=> $1 LIMIT 10", [.vector([0.3, -0.2, 0.9])]) == literal)
        #expect(try rows(db, "SELECT id, e <=> $1 FROM v ORDER BY e <=> $1 LIMIT 10", [.text(query)]) == literal)
        #expect(try rows(db, "SELECT id, e <=> CAST($1 AS vector) FROM v ORDER BY e <=> CAST($1 AS vector) LIMIT 10", [.text(query)]) == literal)
        #expect(try rows(db, "SELECT id FROM v WHERE e <=> $1 < 2 AND $1::text <> '' ORDER BY id LIMIT 3", [.text(query)]) == [["1"], ["2"], ["3"]],
                "one parameter read as two types")
        #expect(sqlError(db, "SELECT id FROM v ORDER BY e <=> $1 LIMIT 3", [.text("[1,2")])?.sqlState == "22P02")
        #expect(sqlError(db, "SELECT id FROM v ORDER BY e <=> $1 LIMIT 3", [.vector([1, 2])])?.sqlState == "22000")
    }
}

@Suite("SQL: vector index consistency (review findings)")
struct VectorConsistencyTests {
    static func makeItems(_ db: Database) throws {
        try db.execute("CREATE TABLE items (id bigint PRIMARY KEY, note text, embedding vector(2))")
        try db.execute("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)")
        try db.execute("INSERT INTO items VALUES (1, 'a', '[1,1]'), (2, 'b', '[5,5]'), (3, 'c', '[9,9]')")
    }

    @Test("a NaN in a vector parameter is refused before anything is committed")
    func nanParameter() throws {
        let db = try Database.inMemory()
        try Self.makeItems(db)
        let error = sqlError(db, "INSERT INTO items VALUES (4, 'd', $1)", [.vector([.nan, 1])])
        #expect(error?.sqlState == "22000")
        #expect(try rows(db, "SELECT count(*) FROM items") == [["3"]])
        #expect(try rows(db, "SELECT id FROM items ORDER BY embedding <-> '[0,0]' LIMIT 5") == [["1"], ["2"], ["3"]])
    }

    @Test("ON CONFLICT DO UPDATE that changes the key keeps the row in the index")
    func conflictChangesKey() throws {
        let db = try Database.inMemory()
        try Self.makeItems(db)
        try db.execute("INSERT INTO items VALUES (1, 'a', '[1,1]') ON CONFLICT (id) DO UPDATE SET id = 100")
        #expect(try rows(db, "SELECT id FROM items ORDER BY embedding <-> '[0,0]' LIMIT 5") == [["100"], ["2"], ["3"]])
    }

    @Test("errors in a vector scan's WHERE clause are raised, and LIMIT NULL returns every row")
    func filterErrorsAndNullLimit() throws {
        let db = try Database.inMemory()
        try Self.makeItems(db)
        try db.execute("INSERT INTO items VALUES (4, 'zero', '[2,2]')")
        try db.execute("ALTER TABLE items ADD COLUMN n int DEFAULT 0")
        #expect(sqlError(db, "SELECT id FROM items WHERE 10 / n > 0 ORDER BY embedding <-> '[1,1]' LIMIT 5")?.sqlState == "22012")
        #expect(try rows(db, "SELECT id FROM items ORDER BY embedding <-> '[0,0]' LIMIT NULL") == [["1"], ["4"], ["2"], ["3"]])
    }

    @Test("a vector search inside a transaction that dropped a column does not damage the index")
    func dropColumnInTransaction() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/drop.vireo"
            var db = try Database.open(path: path)
            try Self.makeItems(db)
            try db.close()
            db = try Database.open(path: path)
            let session = db.session()
            try session.execute("BEGIN; ALTER TABLE items DROP COLUMN note")
            let inside = try session.execute("SELECT id FROM items ORDER BY embedding <-> '[1,1]' LIMIT 5")
            #expect(inside.rows.count == 3)
            try session.execute("COMMIT")
            try db.close()
            db = try Database.open(path: path)
            #expect(try rows(db, "SELECT id FROM items ORDER BY embedding <-> '[1,1]' LIMIT 5") == [["1"], ["2"], ["3"]])
            try db.close()
        }
    }

    @Test("closing with an open write transaction is refused, not a hang")
    func closeWithOpenTransaction() throws {
        let db = try Database.inMemory()
        try Self.makeItems(db)
        let session = db.session()
        try session.execute("BEGIN; INSERT INTO items VALUES (9, 'x', '[3,3]')")
        #expect(throws: VireoError.self) { try db.close() }
        try session.execute("ROLLBACK")
        try db.close()
    }
}
