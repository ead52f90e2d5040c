import Testing
@testable import VireoQuery
import VireoStorage

/// REINDEX rebuilds B-tree and GIN indexes from their rows inside the statement's transaction:
/// look-ups through the rebuilt index answer as before, the old pages are freed (the
/// integrity check finds no leak), a ROLLBACK keeps the old entries, and a reopened
/// database reads the new ones.
@Suite("REINDEX")
struct ReindexTests {
    private static let setup = """
        CREATE TABLE docs (id int PRIMARY KEY, code text UNIQUE, n int, body text, tags jsonb);
        CREATE INDEX docs_n ON docs (n);
        CREATE INDEX docs_lower ON docs (lower(code)) WHERE n > 2;
        CREATE INDEX docs_tags ON docs USING gin (tags);
        INSERT INTO docs SELECT i, 'C' || i, i % 7, repeat('x', i), jsonb_build_object('k', i % 3) FROM generate_series(1, 300) i;
        DELETE FROM docs WHERE id % 4 = 0;
        """

    private static func answers(_ session: Session) throws -> [String] {
        try typedValues(session, """
            SELECT (SELECT count(*) FROM docs WHERE n = 3), (SELECT id FROM docs WHERE code = 'C77'),
                   (SELECT count(*) FROM docs WHERE lower(code) = 'c5' AND n > 2), (SELECT count(*) FROM docs WHERE tags @> '{"k": 1}')
            """)
    }

    @Test("INDEX, TABLE, SCHEMA and DATABASE rebuild and leave the answers and the file sound")
    func rebuilds() throws {
        let database = try Database.inMemory()
        let session = database.session()
        try session.execute(Self.setup)
        let before = try Self.answers(session)
        for statement in ["REINDEX INDEX docs_n", "REINDEX TABLE docs", "REINDEX (VERBOSE) SCHEMA public", "REINDEX DATABASE", "REINDEX SYSTEM", "REINDEX TABLE CONCURRENTLY docs"] {
            #expect(try session.execute(statement).commandTag == "REINDEX")
            #expect(try Self.answers(session) == before, "\(statement)")
            let integrity = try database.store.checkIntegrity()
            #expect(integrity.isSound, "\(statement): \(integrity)")
        }
        #expect(sqlError(session, "INSERT INTO docs VALUES (1000, 'C77', 1, '', '{}')")?.sqlState == "23505")
    }

    @Test("a ROLLBACK keeps the old entries; a reopened file reads the rebuilt ones")
    func transactionsAndReopen() throws {
        try withTemporaryDirectory { directory in
            let database = try reopenedDatabase(directory, "reindex.vireo", after: Self.setup)
            let session = database.session()
            let before = try Self.answers(session)
            try session.execute("BEGIN; REINDEX TABLE docs; INSERT INTO docs VALUES (1001, 'new', 3, '', '{\"k\": 1}')")
            try session.execute("ROLLBACK")
            #expect(try Self.answers(session) == before)
            try session.execute("REINDEX TABLE docs")
            try database.close()
            let reopened = try Database.open(path: directory + "/reindex.vireo")
            #expect(try Self.answers(reopened.session()) == before)
            #expect(try reopened.store.checkIntegrity().isSound)
            try reopened.close()
        }
    }

    @Test("a power loss after REINDEX keeps the rebuilt (or the old) entries whole", arguments: [UInt64(3), 9])
    func crashAfterReindex(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 64 << 10)
        let path = "/sim/reindex.vireo"
        var database = try Database.open(path: path, options: options)
        try database.execute(Self.setup)
        let before = try Self.answers(database.session())
        try database.execute("REINDEX TABLE docs")
        try database.execute("INSERT INTO docs VALUES (1001, 'late', 3, '', '{\"k\": 1}'); REINDEX INDEX docs_n")
        let report = backend.crash()
        database = try Database.open(path: path, options: options)
        let integrity = try database.store.checkIntegrity()
        #expect(integrity.isSound, "\(report): \(integrity)")
        // Whatever the power kept, the rebuilt indexes answer as a scan of the rows does.
        let session = database.session()
        let throughIndexes = try Self.answers(session)
        let throughScans = try typedValues(session, """
            SELECT (SELECT count(*) FROM docs WHERE n + 0 = 3), (SELECT id FROM docs WHERE code || '' = 'C77'),
                   (SELECT count(*) FROM docs WHERE lower(code) || '' = 'c5' AND n + 0 > 2),
                   (SELECT count(*) FROM docs WHERE (tags || '{}') @> '{"k": 1}')
            """)
        #expect(throughIndexes == throughScans, "\(report)")
        #expect(throughIndexes[1] == before[1], "\(report): the row committed before the REINDEX is there")
        try database.close()
    }

    @Test("errors name what is missing or of the wrong kind, and what cannot run in a block")
    func errors() throws {
        let session = try Database.inMemory().session()
        try session.execute(Self.setup)
        #expect(sqlError(session, "REINDEX INDEX nosuch")?.sqlState == "42P01")
        #expect(sqlError(session, "REINDEX INDEX docs")?.sqlState == "42809")
        #expect(sqlError(session, "REINDEX TABLE docs_n")?.sqlState == "42809")
        #expect(sqlError(session, "REINDEX TABLE nosuch")?.sqlState == "42P01")
        #expect(sqlError(session, "REINDEX SCHEMA nosuch")?.sqlState == "3F000")
        #expect(sqlError(session, "REINDEX DATABASE otherdb")?.sqlState == "0A000")
        #expect(sqlError(session, "REINDEX VIEW docs")?.sqlState == "42601")
        try session.execute("BEGIN")
        #expect(sqlError(session, "REINDEX DATABASE")?.sqlState == "25001")
        try session.execute("ROLLBACK; BEGIN")
        #expect(sqlError(session, "REINDEX INDEX CONCURRENTLY docs_n")?.sqlState == "25001")
        try session.execute("ROLLBACK")
    }
}
