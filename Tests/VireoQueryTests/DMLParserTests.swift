import Testing
@testable import VireoQuery
import VireoStorage

@Suite("Parser: SELECT, INSERT, UPDATE, DELETE")
struct DMLParserTests {
    @Test("SELECT items: *, t.*, expressions with and without AS, DISTINCT")
    func selectItems() throws {
        let s = try select("SELECT DISTINCT *, t.*, a AS x, b y, c + 1 FROM t")
        #expect(s.distinct)
        #expect(s.items == [.wildcard, .qualifiedWildcard(table: "t"), .expression(col("a"), alias: "x"),
                            .expression(col("b"), alias: "y"), .expression(bin(.add, col("c"), int(1)), alias: nil)])
        #expect(try select("SELECT 1 AS from").items == [.expression(int(1), alias: "from")])
    }

    @Test("FROM: aliases, comma joins, inner, left outer, cross joins, USING, subqueries")
    func from() throws {
        let s = try select("SELECT * FROM a AS x, b y JOIN c ON y.id = c.id LEFT OUTER JOIN d USING (id) CROSS JOIN e INNER JOIN f ON true")
        let joinC = TableReference.join(Join(.inner, .table(TableName("b"), alias: "y"), .table(TableName("c"), alias: nil),
                                             .on(bin(.equal, col("id", "y"), col("id", "c")))))
        let joinD = TableReference.join(Join(.left, joinC, .table(TableName("d"), alias: nil), .using(["id"])))
        let joinE = TableReference.join(Join(.cross, joinD, .table(TableName("e"), alias: nil), .none))
        let joinF = TableReference.join(Join(.inner, joinE, .table(TableName("f"), alias: nil), .on(.literal(.boolean(true)))))
        #expect(s.from == [.table(TableName("a"), alias: "x"), joinF])
        let sub = try select("SELECT * FROM (SELECT 1) AS s, (a JOIN b ON true)")
        #expect(sub.from == [
            .subquery(Query(Select(items: [.expression(int(1), alias: nil)])), alias: "s"),
            .join(Join(.inner, .table(TableName("a"), alias: nil), .table(TableName("b"), alias: nil), .on(.literal(.boolean(true))))),
        ])
    }

    @Test("WHERE, GROUP BY, HAVING, ORDER BY keys with directions and NULLS, LIMIT, OFFSET")
    func clauses() throws {
        let q = try query("SELECT a, count(*) FROM t WHERE b > 1 GROUP BY a HAVING count(*) > 2 ORDER BY a DESC NULLS LAST, 2, c ASC NULLS FIRST LIMIT 10 OFFSET 5")
        guard case .select(let s) = q.body else { Issue.record("not a select"); return }
        #expect(s.whereClause == bin(.greater, col("b"), int(1)))
        #expect(s.groupBy == [.expression(col("a"))])
        #expect(s.having == bin(.greater, .function(FunctionCall("count", star: true)), int(2)))
        #expect(q.orderBy == [OrderItem(col("a"), descending: true, nullsFirst: false), OrderItem(int(2)),
                              OrderItem(col("c"), nullsFirst: true)])
        #expect(q.limit == int(10))
        #expect(q.offset == int(5))
        #expect(try query("SELECT 1 OFFSET 2 LIMIT ALL").limit == nil)
        #expect(try query("SELECT 1 OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY").limit == int(3))
        #expect(try query("SELECT 1 FETCH NEXT ROW ONLY").limit == int(1))
        #expect(try query("SELECT id FROM t ORDER BY embedding <=> $1 LIMIT 10").orderBy == [OrderItem(bin(.cosineDistance, col("embedding"), param(1)))])
    }

    @Test("UNION, UNION ALL, INTERSECT binding tighter, ORDER BY over the whole")
    func setOperations() throws {
        func one(_ value: Int64) -> Query { Query(Select(items: [.expression(int(value), alias: nil)])) }
        let q = try query("SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 3 ORDER BY 1")
        let expected = Query(body: .setOperation(SetOperation(.union, all: true, one(1),
                             Query(body: .setOperation(SetOperation(.intersect, one(2), one(3)))))), orderBy: [OrderItem(int(1))])
        #expect(q == expected)
        let parenthesized = try query("(SELECT 1 LIMIT 1) UNION SELECT 2")
        guard case .setOperation(let operation) = parenthesized.body else { Issue.record("not a set operation"); return }
        #expect(operation.left.limit == int(1))
    }

    @Test("INSERT: columns, many rows, DEFAULT, SELECT source, ON CONFLICT, RETURNING")
    func insert() throws {
        #expect(try body("INSERT INTO t (a, b) VALUES (1, 'x'), ($1, DEFAULT) RETURNING id, a AS b") == .insert(Insert(
            table: TableName("t"), columns: ["a", "b"],
            source: .values([[.expression(int(1)), .expression(str("x"))], [.expression(param(1)), .default]]),
            returning: [.expression(col("id"), alias: nil), .expression(col("a"), alias: "b")])))
        #expect(try body("INSERT INTO t SELECT * FROM u") == .insert(Insert(
            table: TableName("t"), source: .query(Query(Select(items: [.wildcard], from: [.table(TableName("u"), alias: nil)]))))))
        #expect(try body("INSERT INTO t DEFAULT VALUES") == .insert(Insert(table: TableName("t"), source: .defaultValues)))
        #expect(try body("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING") == .insert(Insert(
            table: TableName("t"), source: .values([[.expression(int(1))]]), onConflict: OnConflict(action: .doNothing))))
        let upsert = try body("INSERT INTO t (id, n) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET n = t.n + EXCLUDED.n WHERE t.n < 10 RETURNING *")
        #expect(upsert == .insert(Insert(
            table: TableName("t"), columns: ["id", "n"], source: .values([[.expression(int(1)), .expression(int(2))]]),
            onConflict: OnConflict(columns: ["id"], action: .doUpdate(
                assignments: [Assignment(column: "n", value: .expression(bin(.add, col("n", "t"), col("n", "excluded"))))],
                whereClause: bin(.less, col("n", "t"), int(10)))),
            returning: [.wildcard])))
    }

    @Test("VALUES items that are lone literals parse as the general expression parser reads them")
    func insertLiteralFastPath() throws {
        // Each item once with `,` after it and once with `)`, so the lone-literal path and,
        // for the rest, the general one both run; the expected tree is parseExpression's.
        let items = ["42", "-7", "- 7", "0", "-0", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                     "-99999999999999999999", "1.5", "-1.5", ".5", "1e5", "-2.5E-3", "'text'", "'it''s'", "''", "E'a\\nb'",
                     "NULL", "null", "TRUE", "false", "$1", "-'5'", "'5'::int", "-5::int", "5 + 1", "-5 * 2", "(7)",
                     "CAST(1 AS text)", "NULL::text", "'[1,2]'::vector", "1.5::real", "-$1", "+5", "ARRAY[1, -2]"]
        for item in items {
            let general = try Parser.parseExpression(item)
            let sql = "INSERT INTO t VALUES (\(item), \(item)), (DEFAULT, \(item))"
            guard case .insert(let insert) = try body(sql), case .values(let rows) = insert.source else {
                Issue.record("\(sql): not an INSERT … VALUES")
                continue
            }
            #expect(rows == [[.expression(general), .expression(general)], [.default, .expression(general)]], "\(sql)")
        }
        let strings = ["'it''s'": "it's", "''": "", "''''": "'", "'héllo 日本'": "héllo 日本", "'a''b''c'": "a'b'c", "'x'": "x"]
        for (item, value) in strings {
            #expect(try Parser.parseExpression(item) == str(value), "\(item)")
            #expect(try body("INSERT INTO t VALUES (\(item))") == .insert(Insert(table: TableName("t"), source: .values([[.expression(str(value))]]))))
        }
        #expect(throws: VireoError.self) { try Parser.parseStatement("INSERT INTO t VALUES ('unterminated)") }
        #expect(try Parser.parseStatement("INSERT INTO t VALUES ($3, 1)").parameterCount == 3)
        #expect(throws: VireoError.self) { try Parser.parseStatement("INSERT INTO t VALUES (1 2)") }
        #expect(throws: VireoError.self) { try Parser.parseStatement("INSERT INTO t VALUES (1,)") }
        #expect(throws: VireoError.self) { try Parser.parseStatement("INSERT INTO t VALUES (-, 1)") }
    }

    @Test("decimal literals the binder reads without the general parse are the numbers Numeric(text) reads")
    func plainDecimalLiterals() throws {
        let short = ["0", "0.0", "00.50", "1234.25", ".5", "5.", "0.000001", "1.50", "999999999999999999",
                     "12345678901234567.8", "000000000000000001"]
        for text in short {
            let fast = try #require(Binder.plainDecimal(text), "\(text)")
            #expect(fast == Numeric(text), "\(text)")
            #expect(fast.description == Numeric(text)?.description, "\(text)")
        }
        // Left to the general parse: more than 18 digits, exponents, signs, spaces, two points, no digit.
        for text in ["1234567890123456789", "0.1234567890123456789", "1e5", "-1.5", "+1", " 1", "1.2.3", ".", ""] {
            #expect(Binder.plainDecimal(text) == nil, "\(text)")
        }
        let db = try Database.inMemory()
        #expect(try db.execute("SELECT 1234.25::float8, 00.50, 1.50 * 2, 1234567890123456789.5").rows
            == [[.double(1234.25), .numeric(Numeric("0.50")!), .numeric(Numeric("3.00")!), .numeric(Numeric("1234567890123456789.5")!)]])
    }

    @Test("UPDATE with alias, FROM, WHERE, RETURNING; DELETE with USING, WHERE, RETURNING")
    func updateAndDelete() throws {
        #expect(try body("UPDATE t AS x SET a = 1, b = DEFAULT FROM u WHERE x.id = u.id RETURNING x.a") == .update(Update(
            table: TableName("t"), alias: "x",
            assignments: [Assignment(column: "a", value: .expression(int(1))), Assignment(column: "b", value: .default)],
            from: [.table(TableName("u"), alias: nil)], whereClause: bin(.equal, col("id", "x"), col("id", "u")),
            returning: [.expression(col("a", "x"), alias: nil)])))
        #expect(try body("UPDATE t SET a = a + 1") == .update(Update(
            table: TableName("t"), assignments: [Assignment(column: "a", value: .expression(bin(.add, col("a"), int(1))))])))
        #expect(try body("DELETE FROM t WHERE id = $1 RETURNING *") == .delete(Delete(
            table: TableName("t"), whereClause: bin(.equal, col("id"), param(1)), returning: [.wildcard])))
        #expect(try body("DELETE FROM t x USING u WHERE x.a = u.a") == .delete(Delete(
            table: TableName("t"), alias: "x", using: [.table(TableName("u"), alias: nil)],
            whereClause: bin(.equal, col("a", "x"), col("a", "u")))))
    }
}
