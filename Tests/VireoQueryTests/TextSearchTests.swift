import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Full-text search: the stemmer and parser against PostgreSQL's answers, tsvector/tsquery text
/// forms, the to_tsquery family, `@@` and the ranking functions. Expected values were printed by
/// PostgreSQL 15 (initdb --locale=C, so `english` is the default configuration).
@Suite("full-text search")
struct TextSearchTests {
    private func value(_ sql: String) throws -> String {
        try rows(try Database.inMemory(), "SELECT " + sql).first?.first ?? "<no row>"
    }

    @Test("the English stemmer and stop words give PostgreSQL's lexeme for each of 2,600 words")
    func stemmerKnownPairs() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/english_stems.tsv")
        let pairs = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(pairs.count > 2_500)
        var mismatches: [String] = []
        for line in pairs {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let expected = fields[1].isEmpty ? nil : fields[1]
            let got = TextSearchConfiguration.english.lexeme(TextSearchToken(text: fields[0], kind: .word))
            if got != expected { mismatches.append("\(fields[0]): expected \(expected ?? "stop word"), got \(got ?? "stop word")") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    @Test("to_tsvector splits, numbers, stems and drops stop words as PostgreSQL does")
    func toTSVector() throws {
        let text = "The quick brown foxes jumped over state-of-the-art lazy dogs e-mail foo@bar.com example.com 3.14 1.2.3 abc123 don't supernovae's"
        #expect(try value("to_tsvector('english', '\(text.replacingOccurrences(of: "'", with: "''"))')")
            == "'1.2.3':20 '3.14':19 'abc123':21 'art':11 'brown':3 'dog':13 'e':15 'e-mail':14 'example.com':18 'foo@bar.com':17 'fox':4 'jump':5 'lazi':12 'mail':16 'quick':2 'state':8 'state-of-the-art':7 'supernova':24")
        #expect(try value("to_tsvector('simple', '10-20 -5 +3 a-10 10-a 1.5-2')") == "'+3':4 '-10':6 '-2':10 '-20':2 '-5':3 '1.5':9 '10':1,7 'a':5,8")
        #expect(try value("to_tsvector('The Fat Rats')") == "'fat':2 'rat':3")
        #expect(sqlError(try Database.inMemory(), "SELECT to_tsvector('klingon', 'x')")?.sqlState == "42704")
    }

    @Test("tsvector and tsquery literals print in PostgreSQL's canonical form")
    func canonicalText() throws {
        #expect(try value("'b:3 a:2,1,2 a:5 c'::tsvector") == "'a':1,2,5 'b':3 'c'")
        #expect(try value("$$'it''s':1 a\\\\b$$::tsvector") == "'a\\\\b' 'it''s':1")
        #expect(try value("'a:1 b:2,3A c'::tsvector") == "'a':1 'b':2,3A 'c'")
        let queries = [
            ("a & b | c & d", "'a' & 'b' | 'c' & 'd'"), ("(a | b) & (c | d)", "( 'a' | 'b' ) & ( 'c' | 'd' )"),
            ("a <-> (b <-> c)", "'a' <-> ( 'b' <-> 'c' )"), ("(a <-> b) <-> c", "'a' <-> 'b' <-> 'c'"),
            ("!(a & b)", "!( 'a' & 'b' )"), ("!!a", "!!'a'"), ("a <0> b", "'a' <0> 'b'"), ("a:*", "'a':*"),
            ("a:AbC", "'a':ABC"), ("'a b' & c", "'a b' & 'c'"), ("b & !(a | c) <-> d:*AB", "'b' & !( 'a' | 'c' ) <-> 'd':*AB"),
        ]
        for (input, expected) in queries {
            #expect(try value("'\(input.replacingOccurrences(of: "'", with: "''"))'::tsquery") == expected, "\(input)")
        }
        let database = try Database.inMemory()
        #expect(sqlError(database, "SELECT 'a:0'::tsvector")?.sqlState == "42601")
        #expect(sqlError(database, "SELECT 'a &'::tsquery")?.sqlState == "42601")
        #expect(sqlError(database, "SELECT 'a <-> (b'::tsquery")?.sqlState == "42601")
        #expect(sqlError(database, "SELECT 'a <99999> b'::tsquery")?.sqlState == "42601")
    }

    @Test("to_tsquery, plainto_tsquery, phraseto_tsquery and websearch_to_tsquery build PostgreSQL's queries")
    func queryBuilders() throws {
        let cases = [
            ("to_tsquery('english', 'fat & (rat | cats) & !the & sup:*')", "'fat' & ( 'rat' | 'cat' ) & 'sup':*"),
            ("to_tsquery('english', 'supernovae:*')", "'supernova':*"), ("to_tsquery('english', 'Fat:ab & Cats')", "'fat':AB & 'cat'"),
            ("to_tsquery('english', 'the & a')", ""), ("to_tsquery('english', 'fat <-> the <-> rat')", "'fat' <2> 'rat'"),
            ("to_tsquery('english', '!(the | an) & cat')", "'cat'"), ("to_tsquery('simple', 'foo-bar')", "'foo-bar' <-> 'foo' <-> 'bar'"),
            ("plainto_tsquery('english', 'The Fat Rats:C')", "'fat' & 'rat' & 'c'"), ("plainto_tsquery('simple', 'foo-bar')", "'foo-bar' & 'foo' & 'bar'"),
            ("phraseto_tsquery('english', 'The Fat Rats')", "'fat' <-> 'rat'"), ("phraseto_tsquery('english', 'the cat and the rat')", "'cat' <3> 'rat'"),
            ("websearch_to_tsquery('english', 'The fat rats')", "'fat' & 'rat'"),
            ("websearch_to_tsquery('english', '\"supernovae stars\" -crab')", "'supernova' <-> 'star' & !'crab'"),
            ("websearch_to_tsquery('english', '\"sad cat\" or \"fat rat\"')", "'sad' <-> 'cat' | 'fat' <-> 'rat'"),
            ("websearch_to_tsquery('english', 'signal -\"segmentation fault\"')", "'signal' & !( 'segment' <-> 'fault' )"),
            ("websearch_to_tsquery('simple', 'a or or b')", "'a' | 'or' & 'b'"), ("websearch_to_tsquery('simple', 'or a b or')", "'or' & 'a' & 'b' & 'or'"),
            ("websearch_to_tsquery('english', 'dog & cat | (rat)')", "'dog' & 'cat' & 'rat'"),
            ("numnode('(a | b) & !c'::tsquery)", "6"), ("strip('a:1,2 b:3'::tsvector)", "'a' 'b'"),
            ("setweight('a:1,2 b:3C'::tsvector, 'b')", "'a':1B,2B 'b':3B"),
        ]
        for (sql, expected) in cases { #expect(try value(sql) == expected, "\(sql)") }
    }

    @Test("@@ follows PostgreSQL: Boolean operators, phrases with distances and negation, prefixes and weights")
    func matchOperator() throws {
        let cases: [(String, Bool)] = [
            ("to_tsvector('fat cats ate rats') @@ to_tsquery('cat & rat')", true), ("'fat cats' @@ 'cat'::tsquery", true),
            ("'fat cats'::text @@ 'cats'", true), ("'cats' @@ to_tsvector('fat cats')", false), ("to_tsvector('fat cats') @@ 'cats'", false),
            ("to_tsvector('simple','a b c d a b') @@ 'a <-> b <-> c'", true), ("to_tsvector('simple','a b c d a b') @@ 'b <-> a'", false),
            ("to_tsvector('simple','a b c d a b') @@ 'd <-> a <-> b'", true), ("to_tsvector('simple','a b c d a b') @@ '(a | d) <-> b'", true),
            ("to_tsvector('simple','a b c d a b') @@ 'a <3> d'", true), ("to_tsvector('simple','a b c d a b') @@ 'a <-> !c'", true),
            ("to_tsvector('simple','a b c d a b') @@ 'a <-> !b'", false), ("to_tsvector('simple','a b c d') @@ 'a <-> (b & c)'", false),
            ("to_tsvector('simple','a b c d') @@ 'a <-> (b <-> c)'", true), ("to_tsvector('simple','a b c d') @@ '(a <-> b) <-> (c <-> d)'", true),
            ("to_tsvector('simple','a b c d') @@ 'a <2> (c | x)'", true), ("'a:1A b:2B'::tsvector @@ 'a:A & b:B'", true),
            ("'a:1A b:2B'::tsvector @@ 'a:B'", false), ("'a:1A b:2B'::tsvector @@ 'b:AB'", true), ("'abc:1 abd:2'::tsvector @@ 'ab:*'", true),
            ("'abc:1 abd:2'::tsvector @@ 'ac:*'", false), ("'abc:1 abd:2'::tsvector @@ '!abc'", false), ("'a b'::tsvector @@ 'a <-> b'", false),
            ("'a b'::tsvector @@ ''::tsquery", false),
        ]
        for (sql, expected) in cases { #expect(try value(sql) == (expected ? "t" : "f"), "\(sql)") }
    }

    @Test("ts_rank and ts_rank_cd give PostgreSQL's numbers, with each normalization")
    func ranking() throws {
        let fox = "to_tsvector('english','The quick brown fox jumps over the lazy dog; the dog sleeps')"
        let cases = [
            ("ts_rank(\(fox), to_tsquery('english','dog'))", "0.075990885"), ("ts_rank(\(fox), to_tsquery('english','dog | fox'), 1)", "0.02157521"),
            ("ts_rank(\(fox), to_tsquery('english','dog & fox'), 2)", "0.02008386"), ("ts_rank(\(fox), to_tsquery('english','dog <-> sleep'), 8)", "0.026687594"),
            ("ts_rank(\(fox), to_tsquery('english','qui:* & lazy'), 16)", "0.028432421"), ("ts_rank(\(fox), to_tsquery('english','fox & cat'), 32)", "1e-20"),
            ("ts_rank(setweight(to_tsvector('english','Fox news'), 'A'), to_tsquery('fox & news'))", "0.9910322"),
            ("ts_rank('a b c'::tsvector, 'a & b'::tsquery)", "1e-16"), ("ts_rank(to_tsvector('a b c a'), to_tsquery('a & c'))", "0.06079271"),
            ("ts_rank_cd(\(fox), to_tsquery('english','dog'))", "0.2"), ("ts_rank_cd(\(fox), to_tsquery('english','dog | fox'), 1)", "0.13653588"),
            ("ts_rank_cd(\(fox), to_tsquery('english','dog & fox'), 4)", "0.02"),
            ("ts_rank_cd(to_tsvector('english','The quick brown fox jumps over the lazy dog; the dog sleeps and the fox runs'), to_tsquery('english','dog & fox'), 4)", "0.0034615386"),
            ("ts_rank_cd(\(fox), to_tsquery('english','dog & !cat'), 10)", "0.0035714286"),
            ("ts_rank_cd(setweight(to_tsvector('english','Fox news'), 'B'), to_tsquery('fox & news'), 32)", "0.2857143"),
            ("ts_rank_cd(to_tsvector('english','a cat sat on the mat with a rat'), to_tsquery('cat & rat'))", "0.014285714"),
        ]
        for (sql, expected) in cases { #expect(try value(sql) == expected, "\(sql)") }
    }

    @Test("a tsvector column stores the canonical form, reports its type, and filters with @@")
    func tsvectorColumn() throws {
        let database = try Database.inMemory()
        try database.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, tsv tsvector)")
        try database.execute("INSERT INTO docs VALUES (1, 'fat cats', to_tsvector('fat cats')), (2, 'lean dogs', 'dog:2 lean:1'), (3, 'x', NULL)")
        #expect(try rows(database, "SELECT tsv FROM docs ORDER BY id") == [["'cat':2 'fat':1"], ["'dog':2 'lean':1"], ["NULL"]])
        #expect(try rows(database, "SELECT id FROM docs WHERE tsv @@ to_tsquery('dogs | lean')") == [["2"]])
        #expect(try rows(database, "SELECT id FROM docs WHERE body @@ 'cat'") == [["1"]])
        #expect(try database.execute("SELECT tsv, to_tsquery('a') FROM docs").columns.map(\.type) == [.tsvector, .tsquery])
        #expect(sqlError(database, "INSERT INTO docs VALUES (4, 'y', 'a:x')")?.sqlState == "42601")
    }

    @Test("a generated tsvector column follows inserts, updates and upserts, refuses written values, and is indexed")
    func generatedColumn() throws {
        let database = try Database.inMemory()
        try database.execute("""
            CREATE TABLE docs (id int PRIMARY KEY, title text, body text,
              tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', coalesce(title, '')), 'A') || to_tsvector('english', body)) STORED)
            """)
        try database.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
        try database.execute("INSERT INTO docs (id, title, body) VALUES (1, 'Cats', 'fat cats ate rats'), (2, NULL, 'dogs')")
        try database.execute("UPDATE docs SET body = 'lazy dogs' WHERE id = 2")
        try database.execute("INSERT INTO docs (id, body) VALUES (2, 'birds') ON CONFLICT (id) DO UPDATE SET body = excluded.body")
        try database.execute("INSERT INTO docs (id, title, body, tsv) VALUES (3, 'x', 'y', DEFAULT)")
        #expect(try rows(database, "SELECT id, tsv FROM docs ORDER BY id")
            == [["1", "'ate':4 'cat':1A,3 'fat':2 'rat':5"], ["2", "'bird':1"], ["3", "'x':1A 'y':2"]])
        #expect(try rows(database, "SELECT id FROM docs WHERE tsv @@ 'bird | cat:A'") == [["1"], ["2"]])
        #expect(sqlError(database, "INSERT INTO docs VALUES (4, 'a', 'b', 'c')")?.sqlState == "428C9")
        #expect(sqlError(database, "INSERT INTO docs (id, tsv) SELECT 4, 'c'")?.sqlState == "428C9")
        #expect(sqlError(database, "UPDATE docs SET tsv = 'a'")?.sqlState == "428C9")
        #expect(sqlError(database, "CREATE TABLE bad (a int, b int GENERATED ALWAYS AS (a + 1) STORED, c int GENERATED ALWAYS AS (b * 2) STORED)")?.sqlState == "42P17")
        #expect(sqlError(database, "CREATE TABLE bad (a int, b int DEFAULT 1 GENERATED ALWAYS AS (a + 1) STORED)")?.sqlState == "42601")
        try database.execute("ALTER TABLE docs ADD COLUMN words tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED")
        #expect(try rows(database, "SELECT words FROM docs ORDER BY id") == [["'ate':3 'cats':2 'fat':1 'rats':4"], ["'birds':1"], ["'y':1"]])
        #expect(try database.store.checkIntegrity().isSound)
    }
}
