import Foundation
import Testing
import VireoStorage
@testable import VireoQuery

/// grammar/vireo.ebnf is the source of truth; these checks catch the parser and the grammar
/// drifting apart where a machine can compare them.
@Suite("Grammar and parser in step")
struct GrammarSyncTests {
    private func grammar() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("grammar/vireo.ebnf"), encoding: .utf8)
    }

    /// The quoted terminals of one rule, from `name =` to its closing `;`.
    private func terminals(ofRule name: String, in text: String) throws -> Set<String> {
        guard let start = text.range(of: "\n" + name + " ") else {
            Issue.record("rule \(name) not found in the grammar")
            return []
        }
        let rest = text[start.upperBound...]
        let body = rest[..<(rest.range(of: ";")?.lowerBound ?? rest.endIndex)]
        let withoutComments = body.replacingOccurrences(of: #"\(\*.*?\*\)"#, with: "", options: .regularExpression)
        let pattern = try NSRegularExpression(pattern: #""([^"]+)""#)
        let range = NSRange(withoutComments.startIndex..., in: withoutComments)
        return Set(pattern.matches(in: withoutComments, range: range).compactMap {
            Range($0.range(at: 1), in: withoutComments).map { String(withoutComments[$0]) }
        })
    }

    @Test("the grammar's reserved words are exactly the parser's")
    func reservedWords() throws {
        let listed = try terminals(ofRule: "reserved_word", in: grammar())
        let parser = Set(Keyword.reserved.map { $0.rawValue.uppercased() })
        #expect(listed == parser, "only in grammar: \(listed.subtracting(parser).sorted()); only in parser: \(parser.subtracting(listed).sorted())")
    }

    @Test("every operator the grammar lists is one the parser knows, and the other way round")
    func operators() throws {
        let text = try grammar()
        let listed = try terminals(ofRule: "other_op", in: text)
            .union(terminals(ofRule: "comparison_op", in: text))
            .union(["+", "-", "*", "/", "%", "^", "AND", "OR"])
        let parser = Set(BinaryOperator.allCases.map(\.rawValue)).union(["!="])
        #expect(listed == parser, "only in grammar: \(listed.subtracting(parser).sorted()); only in parser: \(parser.subtracting(listed).sorted())")
        for spelling in listed { #expect(BinaryOperator(spelling: spelling) != nil, "\(spelling)") }
    }

    @Test("every parser function the grammar names exists in Sources/Query/Syntax")
    func namedFunctions() throws {
        let text = try grammar()
        let pattern = try NSRegularExpression(pattern: #"\bparse[A-Z][A-Za-z]*"#)
        let names = Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        })
        #expect(names.count > 20, "found only \(names.sorted())")
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Query/Syntax")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        let sources = try files.map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }.joined()
        for name in names.sorted() {
            #expect(sources.contains("func \(name)("), "the grammar names \(name), which the parser does not define")
        }
    }

    @Test("every literal-prefix type word in the grammar makes a typed literal")
    func typeWords() throws {
        for word in try terminals(ofRule: "type_word", in: grammar()) {
            #expect(throws: Never.self, "\(word) '1'") { _ = try Parser.parseExpression("\(word) '1'") }
            if case .cast = try Parser.parseExpression("\(word) '1'") {} else { Issue.record("\(word) '1' is not a cast") }
        }
    }
}

@Suite("Lexer")
struct LexerTests {
    private func tokens(_ text: String) -> [TokenKind] {
        var lexer = Lexer(text)
        var kinds: [TokenKind] = []
        while true {
            let token = lexer.next()
            if token.kind == .end { return kinds }
            kinds.append(token.kind)
        }
    }

    @Test("operators follow PostgreSQL's longest-run rule with trailing + and - given back")
    func operatorRule() {
        #expect(tokens("a<-1") == [.word("a", nil), .op("<"), .op("-"), .integer("1")])
        #expect(tokens("a<->b") == [.word("a", nil), .op("<->"), .word("b", nil)])
        #expect(tokens("a*-1") == [.word("a", nil), .op("*"), .op("-"), .integer("1")])
        #expect(tokens("a@-1") == [.word("a", nil), .op("@-"), .integer("1")])
        #expect(tokens("a--b") == [.word("a", nil)])
        #expect(tokens("a+/*c*/b") == [.word("a", nil), .op("+"), .word("b", nil)])
        #expect(tokens("x::int") == [.word("x", nil), .doubleColon, .word("int", .int)])
    }

    @Test("tokens carry byte offsets, counting UTF-8 bytes")
    func offsets() {
        var lexer = Lexer("'é' + x")
        let first = lexer.next()
        let second = lexer.next()
        let third = lexer.next()
        #expect((first.start, first.end) == (0, 4))
        #expect((second.start, second.end) == (5, 6))
        #expect((third.start, third.end) == (7, 8))
    }

    @Test("words: folding, keywords, $ inside, non-ASCII letters, E-strings")
    func words() {
        #expect(tokens("SeLeCt") == [.word("select", .select)])
        #expect(tokens("a$b") == [.word("a$b", nil)])
        #expect(tokens("café") == [.word("café", nil)])
        #expect(tokens("e 'x'") == [.word("e", nil), .string("x")])
        #expect(tokens("E'\\u00E9'") == [.string("é")])
        #expect(tokens("1.5e") .first == .error(VireoError(.syntaxError, "trailing junk after numeric literal at or near \"1.5e\"", position: 0)))
    }
}
