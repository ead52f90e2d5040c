import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// ts_headline against PostgreSQL 15.18's answers (each expected string was printed by it),
/// and `@@`'s query parsed once per statement.
@Suite("full-text search: ts_headline and @@ per statement")
struct TextSearchHeadlineTests {
    static let cases: [(sql: String, expected: String)] = [
        ("SELECT ts_headline('english', 'The most common type of search is to find all documents containing given query terms and return them in order of their similarity to the query.', to_tsquery('english', 'query & similarity'))",
         "containing given <b>query</b> terms and return them in order of their <b>similarity</b> to the <b>query</b>."),
        ("SELECT ts_headline('english', 'Search terms may occur many times in a document, requiring ranking of the search matches to decide which occurrences to display in the result.', to_tsquery('english', 'search & term'), 'MaxWords=10, MinWords=5')",
         "<b>Search</b> <b>terms</b> may occur many"),
        ("SELECT ts_headline('The fat cat sat on the mat and ate the fat rats', to_tsquery('fat'), 'StartSel=<em>, StopSel=</em>, HighlightAll=true')",
         "The <em>fat</em> cat sat on the mat and ate the <em>fat</em> rats"),
        ("SELECT ts_headline('english', 'state-of-the-art search at vireo.example.org, version 1.2.3 in 2024', to_tsquery('english', 'art | search'))",
         "state-of-the-<b>art</b> <b>search</b> at vireo.example.org, version 1.2.3 in 2024"),
        ("SELECT ts_headline('english', 'no match in this text at all, nothing whatsoever to see here, move along please, there is nothing of interest in this sentence or the next one which is longer', to_tsquery('english', 'zebra'))",
         "no match in this text at all, nothing whatsoever to see here, move along please"),
        ("SELECT ts_headline('english', 'a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk ll mm nn oo pp qq rr ss tt uu vv ww xx yy zz', to_tsquery('english', 'zz'))",
         "r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk ll mm nn oo pp qq rr ss tt uu vv ww xx yy <b>zz</b>"),
        ("SELECT ts_headline('english', 'The quick brown fox jumps over the lazy dog', phraseto_tsquery('english', 'lazy dog'), 'MaxWords=4, MinWords=2, ShortWord=0')",
         "<b>lazy</b> <b>dog</b>"),
        ("SELECT ts_headline('english', 'Cats: the fat cat, the thin cat. Cat-like! Star:* test', to_tsquery('english', 'cat:* & !dog'), 'StartSel = \"[\", StopSel = \"]\"')",
         "[Cats]: the fat [cat], the thin [cat]. [Cat]-like! Star:* test"),
        ("SELECT ts_headline('english', 'In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.', to_tsquery('english', 'spirit | water'), 'MaxWords=12, MinWords=4')",
         "<b>Spirit</b> of God moved"),
    ]

    @Test("ts_headline gives PostgreSQL 15's headlines: covers, MinWords/MaxWords, ShortWord, HighlightAll, selections")
    func matchesPostgreSQL() throws {
        try Self.expectHeadlines(Self.cases)
    }

    static func expectHeadlines(_ cases: [(sql: String, expected: String)]) throws {
        let db = try Database.inMemory()
        for (sql, expected) in cases {
            let got = try rows(db, sql).first?.first
            #expect(got == expected, "\(sql)\n  expected: \(expected)\n  got:      \(got ?? "nil")")
        }
    }

    /// MaxFragments > 0 (mark_hl_fragments), each expected string printed by PostgreSQL 15.
    static let fragmentCases: [(sql: String, expected: String)] = [
        ("SELECT ts_headline('english', 'The quick brown fox jumps over the lazy dog. A fox is quick and the dog is lazy, but every fox likes a dog now and then when the sun is out.', to_tsquery('english', 'fox & dog'), 'MaxFragments=2, MaxWords=5, MinWords=2')",
         "lazy <b>dog</b>. A <b>fox</b> ... <b>fox</b> likes a <b>dog</b>"),
        ("SELECT ts_headline('english', 'In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And God said, Let there be light: and there was light.', to_tsquery('english', 'god | light'), 'MaxFragments=3, MaxWords=8, MinWords=3')",
         "beginning <b>God</b> created the heaven and the earth ... Spirit of <b>God</b> moved upon the face ... waters. And <b>God</b> said, Let there be <b>light</b>"),
        ("SELECT ts_headline('english', 'In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And God said, Let there be light: and there was light.', to_tsquery('english', 'earth & water'), 'MaxFragments=2, MaxWords=6, MinWords=2, FragmentDelimiter=\" | \"')",
         "<b>earth</b>. And the <b>earth</b> was without | <b>waters</b>. And God said, Let there"),
        ("SELECT ts_headline('english', 'Search terms may occur many times in a document, requiring ranking of the search matches to decide which occurrences to display in the result.', to_tsquery('english', 'search & term'), 'MaxFragments=1')",
         "<b>Search</b> <b>terms</b> may occur many times in a document, requiring ranking of the <b>search</b> matches to decide which occurrences to display in the result"),
        ("SELECT ts_headline('english', 'Search terms may occur many times in a document, requiring ranking of the search matches to decide which occurrences to display in the result.', to_tsquery('english', 'search | display'), 'MaxFragments=5, MaxWords=4, MinWords=1, StartSel=<em>, StopSel=</em>')",
         "<em>Search</em> terms may occur ... <em>search</em> matches to decide ... <em>display</em> in the result"),
        ("SELECT ts_headline('english', 'no match in this text at all, nothing whatsoever to see here, move along please, there is nothing of interest in this sentence', to_tsquery('english', 'zebra'), 'MaxFragments=2, MinWords=4, MaxWords=8')",
         "no match in this"),
        ("SELECT ts_headline('english', 'a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk ll mm nn oo pp qq rr ss tt uu vv ww xx yy zz', to_tsquery('simple', 'c | zz | mm'), 'MaxFragments=2, MaxWords=6, MinWords=2, ShortWord=0')",
         "a b <b>c</b> d e f ... kk ll <b>mm</b> nn oo pp"),
        ("SELECT ts_headline('english', 'version 1.2.3 of the fat cat, then 2024 and the 42 rats in 7 boxes; cats at 3 and rats at 9 after the fat year', to_tsquery('english', 'cat & rat'), 'MaxFragments=3, MaxWords=7, MinWords=3')",
         "<b>rats</b> in 7 boxes; <b>cats</b>"),
        ("SELECT ts_headline('english', 'state-of-the-art search at vireo.example.org, and a second search of the state-of-the-art art galleries', to_tsquery('english', 'art & search'), 'MaxFragments=2, MaxWords=5, MinWords=2')",
         "<b>art</b> <b>search</b> at vireo.example.org ... second <b>search</b> of the state"),
        ("SELECT ts_headline('english', 'The quick brown fox jumps over the lazy dog, and the dog sleeps while the fox runs far into the woods beyond the hill', phraseto_tsquery('english', 'lazy dog'), 'MaxFragments=4, MaxWords=10, MinWords=5')",
         "jumps over the <b>lazy</b> <b>dog</b>, and the <b>dog</b> sleeps while"),
        ("SELECT ts_headline('english', 'The fat cat sat on the mat and ate the fat rats', to_tsquery('english', 'fat'), 'MaxFragments=2, MaxWords=3, MinWords=1, HighlightAll=true')",
         "<b>fat</b> ... <b>fat</b> rats"),
        ("SELECT ts_headline('english', 'Cats chase rats. Dogs chase cats. Rats fear cats and dogs. Mice fear everything, cats most of all.', to_tsquery('english', 'cat & (rat | mice)'), 'MaxFragments=10, MaxWords=4, MinWords=1')",
         "<b>Cats</b> chase <b>rats</b>. Dogs ... chase <b>cats</b>. <b>Rats</b> fear ... <b>cats</b> and dogs. <b>Mice</b>"),
    ]

    @Test("ts_headline with MaxFragments gives PostgreSQL 15's fragments: pieces, stretching, delimiter, no cover")
    func fragmentsMatchPostgreSQL() throws {
        try Self.expectHeadlines(Self.fragmentCases)
    }

    @Test("ts_headline's options are checked with PostgreSQL's errors")
    func optionErrors() throws {
        let db = try Database.inMemory()
        let cases: [(String, String)] = [("MinWords=40", "22023"), ("Foo=1", "22023"), ("MaxWords=x", "22P02"),
                                         ("MinWords=0", "22023"), ("MaxWords", "42601"), ("MaxFragments=-1", "22023")]
        for (options, state) in cases {
            #expect(sqlError(db, "SELECT ts_headline('a b', 'a'::tsquery, '\(options)')")?.sqlState == state, "\(options)")
        }
        #expect(try rows(db, "SELECT ts_headline('a b', NULL::tsquery)") == [["NULL"]])
        #expect(try rows(db, "SELECT ts_headline('', 'a'::tsquery), ts_headline('...', 'a'::tsquery)") == [["", "..."]])
    }

    @Test("@@ parses a parameter's tsquery once per statement, not once per row")
    func queryParsedOncePerStatement() throws {
        let context = ExecutionContext.constantFolding
        let match = BoundExpression.binary(.textSearchMatch, .column(0), .cast(.constant(.text("cat & !dog")), .tsquery))
        var matched = 0
        for number in 0..<200 {
            let document = number % 3 == 0 ? "'cat':1 'dog':2" : number % 3 == 1 ? "'cat':1" : "'rat':1"
            if try Evaluator.evaluate(match, [.text(document)], context) == .bool(true) { matched += 1 }
        }
        #expect(matched == 67, "rows holding cat without dog: expected 67, got \(matched)")
        #expect(context.cache.textQueries.count == 1, "parsed queries kept: \(context.cache.textQueries.count)")
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int, tsv tsvector)")
        for id in 1...30 { try db.execute("INSERT INTO t VALUES ($1, to_tsvector($2))", [.int(Int64(id)), .text(id % 2 == 0 ? "fat cats" : "thin rats")]) }
        #expect(try rows(db, "SELECT count(*) FROM t WHERE tsv @@ $1::tsquery", [.text("cat")]) == [["15"]])
        #expect(try rows(db, "SELECT count(*) FROM t WHERE tsv @@ to_tsquery($1)", [.text("rats")]) == [["15"]])
        #expect(sqlError(db, "SELECT count(*) FROM t WHERE tsv @@ $1::tsquery", [.text("a b")])?.sqlState == "42601")
    }
}
