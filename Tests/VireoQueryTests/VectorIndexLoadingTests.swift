import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// `Database.loadVectorIndexes` loads a reopened database's HNSW indexes in the background,
/// so that the first search finds them in memory; searches during the load and a close
/// right after it must still be safe.
@Suite("Vector indexes load in the background after open")
struct VectorIndexLoadingTests {
    private func makeDatabase(_ path: String) throws {
        let db = try Database.open(path: path)
        try db.execute("""
            CREATE TABLE a (id bigint PRIMARY KEY, embedding vector(4));
            CREATE TABLE b (id bigint PRIMARY KEY, embedding vector(2));
            INSERT INTO a SELECT i, ('[' || i % 11 || ',' || i % 7 || ',' || i % 5 || ',' || i % 3 || ']')::vector
                FROM generate_series(1, 2000) i;
            INSERT INTO b SELECT i, ('[' || i % 13 || ',' || i % 17 || ']')::vector FROM generate_series(1, 500) i;
            CREATE INDEX a_embedding ON a USING hnsw (embedding vector_l2_ops);
            CREATE INDEX b_embedding ON b USING hnsw (embedding vector_cosine_ops);
            """)
        try db.close()
    }

    private let search = "SELECT id FROM a ORDER BY embedding <-> '[1,2,3,1]' LIMIT 5"

    @Test("after loadVectorIndexes every index is in memory without a search, and searches answer as before")
    func loadsEveryIndex() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/load.vireo"
            try makeDatabase(path)
            let expected = try { () throws -> [[Value]] in
                let db = try Database.open(path: path)
                defer { try? db.close() }
                return try db.query(search).rows
            }()

            let db = try Database.open(path: path)
            defer { try? db.close() }
            #expect(db.vectorIndexSizes.isEmpty, "nothing is loaded before a search or loadVectorIndexes")
            db.loadVectorIndexes()
            #expect(try db.query(search).rows == expected, "a search during the load waits for it")
            var waited = 0
            while db.vectorIndexSizes.count < 2 && waited < 1_000 {
                Thread.sleep(forTimeInterval: 0.01)
                waited += 1
            }
            #expect(db.vectorIndexSizes == ["a_embedding": 2000, "b_embedding": 500])
        }
    }

    @Test("after stopVectorIndexCatchUp commits drop the indexes they change from memory, and searches still see every committed row, before and after a reopen")
    func stoppedCatchUp() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/stop.vireo"
            try makeDatabase(path)
            let nearNew = "SELECT id FROM a ORDER BY embedding <-> '[100,100,100,100]' LIMIT 2"
            func check(_ db: Database) throws {
                #expect(try db.query(nearNew).rows == [[.int(5001)], [.int(5002)]], "the index holds the rows inserted after the stop")
                let found = try db.query(search).rows
                #expect(found.count == 5 && found.allSatisfy { if case .int(let id) = $0[0] { id > 1000 } else { false } },
                        "and none of the rows deleted after it")
            }
            let db = try Database.open(path: path)
            _ = try db.query(search)
            #expect(db.vectorIndexSizes["a_embedding"] == 2000)
            db.stopVectorIndexCatchUp()
            try db.execute("INSERT INTO a VALUES (5001, '[100,100,100,100]'), (5002, '[100,100,100,101]'); DELETE FROM a WHERE id <= 1000")
            #expect(db.vectorIndexSizes["a_embedding"] == nil, "the commit dropped the index it changed instead of catching up")
            try check(db)
            #expect(db.vectorIndexSizes["a_embedding"] == 1002, "loaded again from its snapshot and change tree")
            try db.close()

            let reopened = try Database.open(path: path)
            defer { try? reopened.close() }
            try check(reopened)
        }
    }

    @Test("closing right after loadVectorIndexes waits for the load and closes cleanly")
    func closeDuringLoad() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/close.vireo"
            try makeDatabase(path)
            for _ in 0..<5 {
                let db = try Database.open(path: path)
                db.loadVectorIndexes()
                try db.close()
            }
            let db = try Database.open(path: path)
            defer { try? db.close() }
            #expect(try db.query(search).rows.count == 5)
        }
    }
}
