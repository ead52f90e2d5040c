import Testing
@testable import VireoQuery
import VireoStorage

@Suite("EXPLAIN (FORMAT JSON): PostgreSQL's document shape, as tools read it")
struct ExplainFormatTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE items (id bigint PRIMARY KEY, grp int, name text);
            CREATE TABLE groups (id bigint PRIMARY KEY, label text);
            CREATE INDEX items_grp ON items (grp);
            INSERT INTO groups VALUES (1, 'one'), (2, 'two');
            INSERT INTO items VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 1, 'c');
            """)
        return db
    }

    private func document(_ db: Database, _ sql: String) throws -> JSONValue {
        let result = try db.execute(sql)
        #expect(result.columns.map(\.name) == ["QUERY PLAN"])
        #expect(result.columns.first?.type == .json)
        #expect(result.rows.count == 1)
        guard case .json(let text) = result.rows[0][0] else {
            Issue.record("not a json value: \(result.rows[0][0])")
            return .null
        }
        return try JSONValue.parse(text)
    }

    private func plan(_ document: JSONValue) -> JSONValue? {
        guard case .array(let items) = document, items.count == 1 else { return nil }
        return items[0].field(.text("Plan"))
    }

    @Test("a join: node types, relations, join type and the inputs under Plans")
    func join() throws {
        let db = try database()
        let explained = try document(db, "EXPLAIN (FORMAT JSON) SELECT i.id, g.label FROM items i JOIN groups g ON g.id = i.grp WHERE i.id BETWEEN 1 AND 2")
        let text = explained.pretty(indent: 2)
        guard let root = plan(explained) else { Issue.record("no Plan in \(text)"); return }
        // The text form names the same nodes.
        let lines = try rows(db, "EXPLAIN SELECT i.id, g.label FROM items i JOIN groups g ON g.id = i.grp WHERE i.id BETWEEN 1 AND 2").map { $0[0] }
        #expect(lines.contains { $0.hasSuffix("->  Nested Loop") }, "\(lines)")
        var found: [String: JSONValue] = [:]
        func visit(_ node: JSONValue) {
            if case .string(let type)? = node.field(.text("Node Type")) { found[type] = node }
            if case .array(let children)? = node.field(.text("Plans")) { children.forEach(visit) }
        }
        visit(root)
        #expect(found["Nested Loop"]?.field(.text("Join Type")) == .string("Inner"), "\(text)")
        #expect(found["Primary Key Lookup"]?.field(.text("Relation Name")) == .string("groups"), "\(text)")
        #expect(found["Primary Key Lookup"]?.field(.text("Parent Relationship")) == .string("Inner"), "\(text)")
        #expect(found["Primary Key Range Scan"]?.field(.text("Relation Name")) == .string("items"), "\(text)")
        #expect(found["Primary Key Range Scan"]?.field(.text("Reason")) != nil, "detail lines become keys: \(text)")
        #expect(text.hasPrefix("[\n  {\n    \"Plan\": {\n      \"Node Type\": "), "PostgreSQL's layout: \(text)")
    }

    @Test("ANALYZE adds actual rows and time per node and the execution time")
    func analyze() throws {
        let db = try database()
        let explained = try document(db, "EXPLAIN (ANALYZE, FORMAT JSON) SELECT name FROM items WHERE grp = 1")
        guard let root = plan(explained), case .array(let items) = explained else { Issue.record("no Plan"); return }
        var rowsOut: [Double] = []
        func visit(_ node: JSONValue) {
            if case .number(let rows)? = node.field(.text("Actual Rows")) { rowsOut.append(rows) }
            if case .array(let children)? = node.field(.text("Plans")) { children.forEach(visit) }
        }
        visit(root)
        #expect(rowsOut.first == 2, "the top node returned both rows of group 1: \(explained.text)")
        #expect(root.field(.text("Actual Total Time")) != nil)
        if case .number(let total)? = items[0].field(.text("Execution Time")) { #expect(total >= 0) } else { Issue.record("no Execution Time") }
        let insert = try document(db, "EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO items VALUES (9, 2, 'z')")
        #expect(plan(insert)?.field(.text("Node Type")) == .string("ModifyTable"))
        #expect(plan(insert)?.field(.text("Operation")) == .string("Insert"))
        #expect(plan(insert)?.field(.text("Actual Rows")) == .number(1))
    }

    @Test("FORMAT TEXT is the default; other formats and unknown options are refused as PostgreSQL does")
    func options() throws {
        let db = try database()
        let plain = try db.execute("EXPLAIN (FORMAT TEXT, COSTS OFF, BUFFERS) SELECT * FROM items")
        #expect(plain.columns.first?.type == .text)
        #expect(plain.rows.contains { $0.first == .text("  ->  Seq Scan on items") }, "\(plain.rows)")
        func state(_ sql: String) -> String? {
            do { _ = try db.execute(sql) } catch let error as VireoError { return error.sqlState } catch { return "other" }
            return nil
        }
        #expect(state("EXPLAIN (FORMAT YAML) SELECT 1") == "0A000")
        #expect(state("EXPLAIN (FORMAT csv) SELECT 1") == "22023")
        #expect(state("EXPLAIN (COLOUR) SELECT 1") == "42601")
    }

    @Test("jsonb_pretty prints a document over lines, four spaces a level")
    func jsonbPretty() throws {
        let db = try database()
        let text = try rows(db, #"SELECT jsonb_pretty('{"a": [1, {"b": null}], "c": {}}')"#)[0][0]
        #expect(text == "{\n    \"a\": [\n        1,\n        {\n            \"b\": null\n        }\n    ],\n    \"c\": {}\n}")
    }
}
