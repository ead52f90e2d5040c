import Testing
import VireoStorage
@testable import VireoQuery

@Suite("Parser: errors and limits")
struct ParserErrorTests {
    @Test("syntax errors read like PostgreSQL's, say what was expected, and point at the token")
    func syntaxErrors() {
        expectError("SELECT 1, FROM t", "syntax error at or near \"FROM\": expected an expression", at: 10)
        expectError("SELECT a FROM", "syntax error at end of input: expected a table name", at: 13)
        expectError("SELECT (1 + 2", "syntax error at end of input: expected ')'", at: 13)
        expectError("SELEC 1", "syntax error at or near \"SELEC\": expected a statement", at: 0)
        expectError("SELECT 1 2", "syntax error at or near \"2\": expected ';' or end of input", at: 9)
        expectError("INSERT INTO t VALUES (1,)", "syntax error at or near \")\": expected an expression", at: 24)
        expectError("CREATE TABLE t (a)", "syntax error at or near \")\": expected a type name", at: 17)
        expectError("SELECT a < b < c", "syntax error at or near \"<\"", at: 13)
        expectError("SELECT * FROM t WHERE a IS 3", "expected NULL, TRUE, FALSE or DISTINCT FROM after IS", at: 27)
        expectError("SELECT 1; SELEC 2", "syntax error at or near \"SELEC\"", at: 10)
        expectError("SELECT 1 +; SELECT 2", "syntax error at or near \";\": expected an expression", at: 10)
        expectError("SELECT a FROM t JOIN u", "expected ON or USING")
        expectError("SELECT 1 LIMIT 1 LIMIT 2", "multiple LIMIT clauses not allowed")
        expectError("INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 1", "requires a conflict target")
        expectError("EXPLAIN BEGIN", "expected SELECT, INSERT, UPDATE, DELETE or MERGE after EXPLAIN")
        expectError("SET \"a.b\" = 1", "a part may not contain '.'", at: 4)
        expectError("SELECT select", "syntax error at or near \"select\": expected an expression", at: 7)
    }

    @Test("lexical errors: unterminated strings, quoted identifiers, comments, dollar quotes; junk after numbers")
    func lexicalErrors() {
        expectError("SELECT 'abc", "unterminated quoted string at or near \"'abc\"", at: 7)
        expectError("SELECT E'abc\\'", "unterminated quoted string", at: 7)
        expectError("SELECT \"abc", "unterminated quoted identifier at or near \"\"abc\"", at: 7)
        expectError("SELECT 1 /* open", "unterminated /* comment", at: 9)
        expectError("SELECT $$abc", "unterminated dollar-quoted string", at: 7)
        expectError("SELECT \"\"", "zero-length delimited identifier", at: 7)
        expectError("SELECT 123abc", "trailing junk after numeric literal at or near \"123abc\"", at: 7)
        expectError("SELECT $0", "there is no parameter $0", at: 7)
        expectError("SELECT a \\ b", "syntax error at or near \"\\\"", at: 9)
        expectError("SELECT E'\\xff'", .characterNotInRepertoire, "invalid byte sequence", at: 7)
    }

    @Test("unsupported features name themselves")
    func unsupported() {
        expectError("SELECT a ## b", .featureNotSupported, "operator does not exist: ##", at: 9)
        expectError("SELECT * FROM a NATURAL CROSS JOIN b", "syntax error at or near \"CROSS\": expected JOIN")
        expectError("CREATE TABLE t (a int UNIQUE DEFERRABLE)", .featureNotSupported, "deferrable UNIQUE and PRIMARY KEY constraints")
        expectError("CREATE TABLE t (a int, PRIMARY KEY (a) INITIALLY DEFERRED)", .featureNotSupported, "deferrable UNIQUE and PRIMARY KEY constraints")
    }

    @Test("limits: identifier length, parameter number, nesting depth, text length")
    func limits() throws {
        let long = String(repeating: "a", count: SyntaxLimits.identifierLengthBytesMax + 1)
        expectError("SELECT \(long)", .limitExceeded, "is too long (63 bytes max)", at: 7)
        expectError("SELECT \"\(long)\"", .limitExceeded, "is too long", at: 7)
        #expect(try expr(String(repeating: "a", count: SyntaxLimits.identifierLengthBytesMax)) == col(String(repeating: "a", count: 63)))
        let tag = String(repeating: "t", count: 64)
        expectError("SELECT $\(tag)$x$\(tag)$", .limitExceeded, "dollar-quote tag is too long", at: 7)
        let longestTag = String(repeating: "t", count: 63)
        #expect(try expr("$\(longestTag)$x$\(longestTag)$") == str("x"))
        let unclosed = "SELECT $" + String(repeating: "a", count: 63) + "$" + String(repeating: "a", count: 200_000)
        expectError(unclosed, "unterminated dollar-quoted string")
        expectError("SELECT $65536", .limitExceeded, "exceeds the limit of 65535 parameters", at: 7)
        expectError("SELECT $99999999999999999999999", .limitExceeded, "exceeds the limit")
        #expect(try Parser.parseStatement("SELECT $65535").parameterCount == 65_535)

        let deep = "SELECT " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        expectError(deep, .limitExceeded, "nesting is deeper than")
        let grouped = "SELECT " + String(repeating: "(1 + ", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        expectError(grouped, .limitExceeded, "nesting is deeper than")
        let signs = "SELECT " + String(repeating: "- ", count: 100_000) + "1"
        expectError(signs, .limitExceeded, "nesting is deeper than")
        let nots = "SELECT " + String(repeating: "NOT ", count: 100_000) + "true"
        expectError(nots, .limitExceeded, "nesting is deeper than")
        let casts = "SELECT 1" + String(repeating: "::int", count: 100_000)
        expectError(casts, .limitExceeded, "nesting is deeper than")
        let subqueries = String(repeating: "SELECT * FROM (", count: 10_000) + "SELECT 1" + String(repeating: ") s", count: 10_000)
        expectError(subqueries, .limitExceeded, "nesting is deeper than")
        let joins = "SELECT * FROM a" + String(repeating: " JOIN a ON true", count: 10_000)
        expectError(joins, .limitExceeded, "nesting is deeper than")
        let alternating = (0..<10_000).map { $0 % 2 == 0 ? "SELECT 1 UNION" : "SELECT 1 EXCEPT" }.joined(separator: " ") + " SELECT 1"
        expectError(alternating, .limitExceeded, "nesting is deeper than")
    }

    @Test("a flat run of one level's operators counts once against the nesting limit, however long")
    func flatChainsAreNotNesting() throws {
        let sum = try expr(Array(repeating: "1", count: 100_000).joined(separator: " + "))
        guard case .chain(_, let links) = sum else { Issue.record("expected a chain"); return }
        #expect(links.count == 99_999)
        let unions = try Parser.parseStatement(Array(repeating: "SELECT 1", count: 10_000).joined(separator: " UNION "))
        guard case .select(let query) = unions.body, case .setOperation(let operation) = query.body else {
            Issue.record("expected a set operation")
            return
        }
        #expect(operation.operands.count == 10_000)
        #expect(try Parser.parseStatement(unions.sql).body == unions.body)
    }

    @Test("nesting just under the limit parses, and the tree can be printed and compared")
    func deepButAllowed() throws {
        let levels = SyntaxLimits.nestingDepthMax - 10
        let nested = String(repeating: "(", count: levels) + "1" + String(repeating: ")", count: levels)
        #expect(try expr(nested) == int(1))
        let chainText = Array(repeating: "a", count: levels).joined(separator: " + ")
        let chain = try expr(chainText)
        #expect(try expr(chain.sql) == chain)
        let mixed = String(repeating: "-(", count: levels / 2) + "a" + String(repeating: ")", count: levels / 2)
        let tree = try expr(mixed)
        #expect(try expr(tree.sql) == tree)
    }

    @Test("the deepest nesting allowed of every recursive construct parses without exhausting the stack")
    func deepestOfEachConstruct() throws {
        let levels = SyntaxLimits.nestingDepthMax
        let shapes: [(String, String, String)] = [
            ("f(", "1", ")"),
            ("(SELECT ", "1", ")"),
            ("CASE WHEN ", "true", " THEN 1 END"),
            ("1 IN (", "1", ")"),
            ("EXISTS (SELECT ", "1", ")"),
            ("CAST(", "1", " AS int)"),
            ("ARRAY[", "1", "]"),
            ("NOT (", "true", ")"),
        ]
        for (open, middle, close) in shapes {
            func text(_ count: Int) -> String {
                "SELECT " + String(repeating: open, count: count) + middle + String(repeating: close, count: count)
            }
            var (low, high) = (0, levels + 1)  // text(low) parses (or low is 0), text(high) does not
            while high - low > 1 {
                let count = (low + high) / 2
                if (try? Parser.parseStatement(text(count))) != nil { low = count } else { high = count }
            }
            let deepestParsed = low
            let statement = try Parser.parseStatement(text(deepestParsed))
            #expect(try Parser.parseStatement(statement.sql).body == statement.body, "\(open) at depth \(deepestParsed)")
            print("deepest \(open)…\(close) that parses: \(deepestParsed)")
            #expect(deepestParsed >= levels / 3, "\(open)…: deepest that parsed is \(deepestParsed)")
        }
    }

    @Test("text longer than the limit is refused before lexing")
    func textLength() {
        let text = String(decoding: [UInt8](repeating: 0x20, count: SyntaxLimits.textLengthBytesMax + 1), as: UTF8.self)
        expectError(text, .limitExceeded, "exceeds the limit", at: 0)
    }
}
