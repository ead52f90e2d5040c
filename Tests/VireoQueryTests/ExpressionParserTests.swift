import Testing
@testable import VireoQuery

@Suite("Parser: expressions")
struct ExpressionParserTests {
    @Test("multiplication binds tighter than addition, both associate left")
    func arithmetic() throws {
        #expect(try expr("a + b * c") == bin(.add, col("a"), bin(.multiply, col("b"), col("c"))))
        #expect(try expr("a - b - c") == chain(col("a"), (.subtract, col("b")), (.subtract, col("c"))))
        #expect(try expr("(a + b) * c") == bin(.multiply, bin(.add, col("a"), col("b")), col("c")))
        #expect(try expr("a % 2 / 3") == chain(col("a"), (.modulo, int(2)), (.divide, int(3))))
        #expect(try expr("(a - b) - c") == bin(.subtract, bin(.subtract, col("a"), col("b")), col("c")))
    }

    @Test("NOT binds looser than comparison and tighter than AND; OR is loosest")
    func logic() throws {
        #expect(try expr("NOT a = b AND c") == bin(.and, not(bin(.equal, col("a"), col("b"))), col("c")))
        #expect(try expr("a OR b AND c") == bin(.or, col("a"), bin(.and, col("b"), col("c"))))
        #expect(try expr("NOT NOT a") == not(not(col("a"))))
        #expect(try expr("a = NOT b") == bin(.equal, col("a"), not(col("b"))))
    }

    @Test("pgvector operators bind like other operators: tighter than comparison, looser than arithmetic")
    func vectorOperators() throws {
        #expect(try expr("x <-> '[1,2]' < 3") == bin(.less, bin(.l2Distance, col("x"), str("[1,2]")), int(3)))
        #expect(try expr("a <#> b") == bin(.negativeInnerProduct, col("a"), col("b")))
        #expect(try expr("a <=> b + c") == bin(.cosineDistance, col("a"), bin(.add, col("b"), col("c"))))
        #expect(try expr("a <+> b") == bin(.l1Distance, col("a"), col("b")))
        #expect(try expr("e<->$1") == bin(.l2Distance, col("e"), param(1)))
    }

    @Test(":: binds tighter than everything, unary minus tighter than ^")
    func castsAndSigns() throws {
        #expect(try expr("a::int + 1") == bin(.add, .cast(col("a"), .integer), int(1)))
        #expect(try expr("-2 ^ 2") == bin(.power, int(-2), int(2)))
        #expect(try expr("-a ^ 2") == bin(.power, .unary(.minus, col("a")), int(2)))
        #expect(try expr("-2::int") == .unary(.minus, .cast(int(2), .integer)))
        #expect(try expr("- -3") == .unary(.minus, int(-3)))
        #expect(try expr("a<-1") == bin(.less, col("a"), int(-1)))
        #expect(try expr("2^3^2") == chain(int(2), (.power, int(3)), (.power, int(2))))
        #expect(try expr("'[1,2,3]'::vector(3)") == .cast(str("[1,2,3]"), .vector(dimension: 3)))
        #expect(try expr("x::double precision") == .cast(col("x"), .doublePrecision))
        #expect(try expr("CAST(x AS varchar(10))") == .cast(col("x"), .varchar(length: 10)))
        #expect(try expr("timestamp '2024-01-01'") == .cast(str("2024-01-01"), .timestamp(withTimeZone: false)))
    }

    @Test("literals: integers, big integers, decimals, exponents, strings, escapes, dollar quotes")
    func literals() throws {
        #expect(try expr("42") == int(42))
        #expect(try expr("9223372036854775807") == int(.max))
        #expect(try expr("-9223372036854775808") == int(.min))
        #expect(try expr("9223372036854775808") == num("9223372036854775808"))
        #expect(try expr("1.5") == num("1.5"))
        #expect(try expr(".5") == num(".5"))
        #expect(try expr("1e10") == num("1e10"))
        #expect(try expr("2.5E-3") == num("2.5E-3"))
        #expect(try expr("-1.5") == num("-1.5"))
        #expect(try expr("'it''s'") == str("it's"))
        #expect(try expr("'a\\nb'") == str("a\\nb"))
        #expect(try expr("E'a\\nb\\t\\x41\\101\\u00e9\\''") == str("a\nb\tAAé'"))
        #expect(try expr("$$it's $1$$") == str("it's $1"))
        #expect(try expr("$tag$a$$b$tag$") == str("a$$b"))
        #expect(try expr("TRUE") == .literal(.boolean(true)))
        #expect(try expr("false") == .literal(.boolean(false)))
        #expect(try expr("NULL") == null)
    }

    @Test("identifiers fold to lower case unless quoted; t.c qualifies; parameters")
    func names() throws {
        #expect(try expr("Name") == col("name"))
        #expect(try expr("\"Name\"") == col("Name"))
        #expect(try expr("\"a\"\"b\"") == col("a\"b"))
        #expect(try expr("T.Col") == col("col", "t"))
        #expect(try expr("excluded.score") == col("score", "excluded"))
        #expect(try expr("$12") == param(12))
        #expect(try expr("text") == col("text"))
        #expect(try expr("t.\"from\"") == col("from", "t"))
    }

    @Test("IS tests, IN, BETWEEN, LIKE")
    func predicates() throws {
        #expect(try expr("a IS NULL") == .isNull(col("a"), negated: false))
        #expect(try expr("a IS NOT NULL AND b") == bin(.and, .isNull(col("a"), negated: true), col("b")))
        #expect(try expr("a = b IS NULL") == .isNull(bin(.equal, col("a"), col("b")), negated: false))
        #expect(try expr("a IS NOT TRUE") == .isBoolean(col("a"), value: true, negated: true))
        #expect(try expr("a IS FALSE") == .isBoolean(col("a"), value: false, negated: false))
        #expect(try expr("a IS NOT DISTINCT FROM b") == .isDistinctFrom(col("a"), col("b"), negated: true))
        #expect(try expr("a IN (1, 2)") == .inList(col("a"), [int(1), int(2)], negated: false))
        #expect(try expr("a NOT IN (1)") == .inList(col("a"), [int(1)], negated: true))
        #expect(try expr("a BETWEEN 1 AND 2 AND b") == bin(.and, .between(col("a"), lower: int(1), upper: int(2), negated: false), col("b")))
        #expect(try expr("a NOT BETWEEN b + 1 AND c") == .between(col("a"), lower: bin(.add, col("b"), int(1)), upper: col("c"), negated: true))
        #expect(try expr("a LIKE 'x%'") == .like(col("a"), pattern: str("x%"), escape: nil, caseInsensitive: false, negated: false))
        #expect(try expr("a NOT ILIKE 'x!%' ESCAPE '!'") == .like(col("a"), pattern: str("x!%"), escape: str("!"), caseInsensitive: true, negated: true))
        #expect(try expr("a || b LIKE c") == .like(bin(.concat, col("a"), col("b")), pattern: col("c"), escape: nil, caseInsensitive: false, negated: false))
    }

    @Test("subqueries: IN (SELECT), EXISTS, scalar")
    func subqueries() throws {
        let inner = Query(Select(items: [.expression(col("id"), alias: nil)], from: [.table(TableName("t"), alias: nil)]))
        #expect(try expr("a IN (SELECT id FROM t)") == .inSubquery(col("a"), inner, negated: false))
        #expect(try expr("NOT EXISTS (SELECT id FROM t)") == not(.exists(inner)))
        #expect(try expr("(SELECT id FROM t) + 1") == bin(.add, .subquery(inner), int(1)))
    }

    @Test("function calls: plain, count(*), count(DISTINCT x), no arguments, left()")
    func functions() throws {
        #expect(try expr("lower(Name)") == call("lower", col("name")))
        #expect(try expr("count(*)") == .function(FunctionCall("count", star: true)))
        #expect(try expr("COUNT(DISTINCT x)") == .function(FunctionCall("count", [col("x")], distinct: true)))
        #expect(try expr("now()") == call("now"))
        #expect(try expr("coalesce(a, 0)") == call("coalesce", col("a"), int(0)))
        #expect(try expr("left(s, 2)") == call("left", col("s"), int(2)))
        #expect(try expr("CURRENT_TIMESTAMP") == call("current_timestamp"))
        #expect(try expr("l2_distance(e, '[1,2]')") == call("l2_distance", col("e"), str("[1,2]")))
    }

    @Test("CASE with and without operand, ARRAY")
    func caseAndArray() throws {
        let searched = CaseExpression(branches: [.init(when: bin(.greater, col("a"), int(0)), then: str("pos"))], elseResult: str("neg"))
        #expect(try expr("CASE WHEN a > 0 THEN 'pos' ELSE 'neg' END") == .caseWhen(searched))
        let simple = CaseExpression(operand: col("a"), branches: [.init(when: int(1), then: str("one")), .init(when: int(2), then: str("two"))])
        #expect(try expr("CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END") == .caseWhen(simple))
        #expect(try expr("ARRAY[1, 2]") == .array([int(1), int(2)]))
    }

    @Test("JSON operators bind like other operators")
    func json() throws {
        #expect(try expr("d -> 'a' ->> 'b'") == chain(col("d"), (.jsonGet, str("a")), (.jsonGetText, str("b"))))
        #expect(try expr("d @> '{}' AND d ? 'k'") == bin(.and, bin(.contains, col("d"), str("{}")), bin(.hasKey, col("d"), str("k"))))
        #expect(try expr("d #>> '{a,b}' = 'x'") == bin(.equal, bin(.jsonPathText, col("d"), str("{a,b}")), str("x")))
        #expect(try expr("a != b") == bin(.notEqual, col("a"), col("b")))
    }

    @Test("comments are skipped, nested block comments included")
    func comments() throws {
        #expect(try expr("a /* one /* two */ still */ + -- rest\n b") == bin(.add, col("a"), col("b")))
    }

    @Test("walking visits every subexpression")
    func walking() throws {
        let tree = try expr("f(a + 1, CASE WHEN b THEN c END) AND d IN (e)")
        var columns: [String] = []
        tree.walk { expression in
            if case .column(let reference) = expression { columns.append(reference.column) }
            return true
        }
        #expect(columns == ["a", "b", "c", "d", "e"])
        #expect(tree.contains { $0 == col("c") })
        #expect(!tree.contains { $0 == col("z") })
    }
}

@Suite("Parser: standard call syntaxes")
struct SpecialCallTests {
    @Test("substring, trim, position and extract with keywords become plain calls")
    func keywordCalls() throws {
        #expect(try expr("substring(s FROM 2 FOR 3)") == call("substring", col("s"), int(2), int(3)))
        #expect(try expr("substring(s FROM 2)") == call("substring", col("s"), int(2)))
        #expect(try expr("substring(s FOR 3)") == call("substring", col("s"), int(1), int(3)))
        #expect(try expr("substring(s, 2, 3)") == call("substring", col("s"), int(2), int(3)))
        #expect(try expr("trim(s)") == call("trim", col("s")))
        #expect(try expr("trim(BOTH FROM s)") == call("btrim", col("s")))
        #expect(try expr("trim(LEADING 'x' FROM s)") == call("ltrim", col("s"), str("x")))
        #expect(try expr("trim(TRAILING FROM s)") == call("rtrim", col("s")))
        #expect(try expr("trim('x' FROM s)") == call("btrim", col("s"), str("x")))
        #expect(try expr("trim(FROM s)") == call("btrim", col("s")))
        #expect(try expr("trim(LEADING s)") == call("ltrim", col("s")))
        #expect(try expr("trim(BOTH s, 'x')") == call("btrim", col("s"), str("x")))
        #expect(try expr("position('b' IN s)") == call("position", col("s"), str("b")))
        #expect(try expr("extract(epoch FROM ts)") == call("extract", str("epoch"), col("ts")))
        #expect(try expr("trim(f(a, (b)) || c)") == call("trim", bin(.concat, call("f", col("a"), col("b")), col("c"))))
    }

    @Test("a long argument list without FROM is scanned in linear time")
    func longTrim() throws {
        let text = "trim(" + Array(repeating: "1", count: 50_000).joined(separator: ", ") + ")"
        guard case .function(let call) = try expr(text) else { Issue.record("not a call"); return }
        #expect(call.arguments.count == 50_000)
    }
}

/// A run of left-associative operators as the parser gives it: one `.chain` node.
private func chain(_ first: SQLExpression, _ links: (BinaryOperator, SQLExpression)...) -> SQLExpression {
    .chain(first, links.map { OperatorLink($0.0, $0.1) })
}
