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
        let db = try Database.inMemory()
        for (sql, expected) in Self.cases {
            let got = try rows(db, sql).first?.first
            #expect(got == expected, "\(sql)\n  expected: \(expected)\n  got:      \(got ?? "nil")")
        }
    }

    @Test("ts_headline's options are checked with PostgreSQL's errors")
    func optionErrors() throws {
        let db = try Database.inMemory()
        let cases: [(String, String)] = [("MinWords=40", "22023"), ("Foo=1", "22023"), ("MaxWords=x", "22P02"),
                                         ("MinWords=0", "22023"), ("MaxWords", "42601"), ("MaxFragments=-1", "22023"),
                                         ("MaxFragments=2", "0A000")]
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
