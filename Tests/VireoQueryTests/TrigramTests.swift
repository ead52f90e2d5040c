import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// pg_trgm built in: its functions, operators and thresholds. Every expected value was read
/// from PostgreSQL 15.18 with `CREATE EXTENSION pg_trgm`.
@Suite("pg_trgm: trigram similarity")
struct TrigramTests {
    @Test("show_trgm: padded, lower-cased words; multi-byte trigrams as pg_trgm's CRC, in its order")
    func trigrams() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT show_trgm('word'), show_trgm('a'), show_trgm('')") == [#"{"  w"," wo",ord,"rd ",wor}"#, #"{"  a"," a "}"#, "{}"])
        #expect(try typedValues(session, "SELECT show_trgm('Hello, World 42!')")
                == [#"{"  4","  h","  w"," 42"," he"," wo","42 ",ell,hel,"ld ",llo,"lo ",orl,rld,wor}"#])
        #expect(try typedValues(session, "SELECT show_trgm('café'), show_trgm('naïve über')")
                == [#"{0xef5960,"  c"," ca",0x544980,caf}"#, #"{0xb1fa7d,0xb96f40,0xd8acd7,0x0d7f89,"  n"," na",0x4f84fe,0x59a8da,ber,"er ","ve "}"#])
    }

    @Test("similarity, word_similarity and strict_word_similarity, as float4")
    func similarities() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        #expect(try typedValues(session, "SELECT similarity('word', 'words'), similarity('Hello World', 'hello wrld'), similarity('', 'a'), similarity('abc', 'abc')")
                == ["0.5714286", "0.64285713", "0", "1"])
        #expect(try typedValues(session, """
            SELECT word_similarity('word', 'two words'), word_similarity('words', 'word two'), strict_word_similarity('word', 'two words'),
                   word_similarity('post', 'postgresql is great'), strict_word_similarity('gres', 'postgresql is great')
            """) == ["0.8", "0.6666667", "0.5714286", "0.8", "0.375"])
        #expect(try typedValues(session, "SELECT word_similarity('abc', 'xyz'), word_similarity('', 'abc'), word_similarity('abc', '')") == ["0", "0", "0"])
        #expect(try typedValues(session, """
            SELECT word_similarity('Kateryna', 'Katarina Kate'), strict_word_similarity('Kateryna', 'Katarina Kate'),
                   word_similarity('onetwothree', 'one two three onetwo three')
            """) == ["0.5555556", "0.4", "0.8333333"])
        #expect(try typedValues(session, "SELECT pg_typeof(similarity('a', 'b'))::text, pg_typeof('a' <-> 'b'::text)::text") == ["real", "real"])
    }

    @Test("the operators, their thresholds and set_limit")
    func operators() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT 'word' % 'words', 'word' % 'xyz', 'word' <% 'two words', 'two words' %> 'word', 'word' <<% 'two words', 'two words' %>> 'word'")
                == ["t", "f", "t", "t", "t", "t"])
        #expect(try typedValues(session, "SELECT 'word' <-> 'words'::text, 'word' <<-> 'two words', 'two words' <->> 'word', 'word' <<<-> 'two words', 'two words' <->>> 'word'")
                == ["0.4285714", "0.19999999", "0.19999999", "0.4285714", "0.4285714"])
        #expect(try typedValues(session, "SELECT '4' % '3'") == ["f"], "two untyped literals are text to %, as PostgreSQL resolves them")
        #expect(try typedValues(session, "SELECT 7 % 3") == ["1"])
        #expect(try typedValues(session, "SELECT show_limit(), set_limit(0.5), show_limit(), 'word' % 'words'") == ["0.3", "0.5", "0.5", "t"])
        #expect(try typedValues(session, "SHOW pg_trgm.similarity_threshold") == ["0.5"])
        try session.execute("SET pg_trgm.similarity_threshold = 0.8")
        #expect(try typedValues(session, "SELECT 'word' % 'words'") == ["f"])
        for bad in ["2", "'x'"] {
            #expect(throws: VireoError.self) { try session.execute("SET pg_trgm.similarity_threshold = \(bad)") }
        }
        #expect(throws: VireoError.self) { try session.execute("SELECT 1 <% 'a'") }
    }

    @Test("fuzzy search over a table: filter with %, order by <->")
    func fuzzySearch() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE names (id int PRIMARY KEY, name text)")
        try session.execute("INSERT INTO names VALUES (1, 'Katarina'), (2, 'Kateryna'), (3, 'Catherine'), (4, 'Bob'), (5, NULL)")
        #expect(try typedValues(session, "SELECT id FROM names WHERE name % 'Katerina' ORDER BY name <-> 'Katerina', id") == ["1", "2"])
        #expect(try typedValues(session, "SELECT count(*) FROM names WHERE name <% 'Kate'") == ["0"])
        #expect(try typedValues(session, "SELECT id FROM names WHERE 'Kate' <% name ORDER BY id") == ["1", "2"])
    }
}

/// A gin_trgm_ops index: the planner reads it for `%` and [I]LIKE, and its answers equal a
/// full scan's through inserts, updates, deletes, threshold changes and a reopen.
@Suite("pg_trgm: gin_trgm_ops index")
struct TrigramIndexTests {
    static let words = ["river", "delta", "sediment", "harbour", "harbor", "layers", "stone", "Vireo", "vector", "victor",
                        "katarina", "kateryna", "catherine", "search", "fuzzy", "café", "naïve", "über"]

    static func text(_ random: inout SplitMix64) -> String {
        (0..<Int(1 + random.next() % 4)).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
    }

    private func ids(_ db: Database, _ sql: String) throws -> [String] {
        try db.execute(sql).rows.map { $0[0].text ?? "NULL" }
    }

    private func plan(_ db: Database, _ sql: String) throws -> String {
        try db.execute("EXPLAIN " + sql).rows.map { $0[0].text ?? "" }.joined(separator: "\n")
    }

    /// Each query's rows with the index equal those of the same query over an unindexed copy.
    private func checkAgreement(_ db: Database, _ queries: [String]) throws {
        for query in queries {
            let indexed = try ids(db, "SELECT id FROM docs WHERE \(query) ORDER BY id")
            let scanned = try ids(db, "SELECT id FROM plain WHERE \(query) ORDER BY id")
            #expect(indexed == scanned, "\(query)")
        }
    }

    static let queries = ["body % 'harbour delta'", "'kateryna' % body", "body % 'vectr'", "body LIKE '%arbo%'", "body ILIKE '%VIREO%'",
                          "body LIKE 'river%'", "body LIKE '%ta'", "body LIKE '%ab%'", "body ILIKE 'caf_%'", "body LIKE '%naïve über%'",
                          "body % ''", "body LIKE '%'"]

    @Test("the planner uses it for % and LIKE, and its rows equal a full scan's")
    func agreesWithAScan() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trgm-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.vireo").path
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var random = SplitMix64(seed: 7)
        do {
            let db = try Database.open(path: path)
            try db.execute("CREATE TABLE docs (id int PRIMARY KEY, body text)")
            try db.execute("CREATE TABLE plain (id int PRIMARY KEY, body text)")
            try db.execute("CREATE INDEX docs_body ON docs USING gin (body gin_trgm_ops)")
            for id in 1...400 {
                let body = id % 50 == 0 ? "NULL" : "'\(Self.text(&random))'"
                try db.execute("INSERT INTO docs VALUES (\(id), \(body))")
                try db.execute("INSERT INTO plain VALUES (\(id), \(body))")
            }
            #expect(try plan(db, "SELECT id FROM docs WHERE body % 'harbour'").contains("Index Scan using docs_body on docs"))
            #expect(try plan(db, "SELECT id FROM docs WHERE body ILIKE '%arbo%'").contains("Index Scan using docs_body on docs"))
            #expect(!(try plan(db, "SELECT id FROM docs WHERE body NOT LIKE '%arbo%'")).contains("Index Scan"))
            try checkAgreement(db, Self.queries)
            for statement in ["UPDATE docs SET body = 'harbour stone' WHERE id % 7 = 0", "UPDATE plain SET body = 'harbour stone' WHERE id % 7 = 0",
                              "DELETE FROM docs WHERE id % 11 = 0", "DELETE FROM plain WHERE id % 11 = 0"] {
                try db.execute(statement)
            }
            try checkAgreement(db, Self.queries)
            try db.execute("SET pg_trgm.similarity_threshold = 0")
            try checkAgreement(db, ["body % 'zzz'", "body % 'harbour'"])
            #expect(try db.execute("SELECT pg_get_indexdef('docs_body'::regclass)").rows[0][0].text == "CREATE INDEX docs_body ON public.docs USING gin (body gin_trgm_ops)")
            try db.close()
        }
        let reopened = try Database.open(path: path)
        try checkAgreement(reopened, Self.queries)
        try reopened.close()
    }

    @Test("text needs gin_trgm_ops by name; other types refuse it")
    func operatorClassChecks() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, body text, n int)")
        #expect(throws: VireoError.self) { try db.execute("CREATE INDEX ON t USING gin (body)") }
        #expect(throws: VireoError.self) { try db.execute("CREATE INDEX ON t USING gin (n gin_trgm_ops)") }
        #expect(throws: VireoError.self) { try db.execute("CREATE INDEX ON t USING gin (body jsonb_path_ops)") }
        try db.execute("CREATE INDEX ON t USING gin (lower(body) gin_trgm_ops)")
        try db.execute("INSERT INTO t VALUES (1, 'Harbour', 1)")
        #expect(try ids(db, "SELECT id FROM t WHERE lower(body) LIKE '%arbo%'") == ["1"])
        #expect(try plan(db, "SELECT id FROM t WHERE lower(body) LIKE '%arbo%'").contains("Index Scan"))
    }
}
