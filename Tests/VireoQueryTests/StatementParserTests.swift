import Testing
import VireoStorage
@testable import VireoQuery

@Suite("Parser: DDL, transactions, settings, EXPLAIN")
struct StatementParserTests {
    @Test("CREATE TABLE with every type and column and table constraints")
    func createTable() throws {
        let sql = """
            CREATE TABLE IF NOT EXISTS Items (
              id BIGSERIAL PRIMARY KEY, a INT NOT NULL, b INTEGER NULL, c BIGINT UNIQUE, d SMALLINT DEFAULT -1,
              e REAL, f FLOAT, g DOUBLE PRECISION, h NUMERIC, i NUMERIC(10, 2), j TEXT DEFAULT 'x', k VARCHAR(20),
              l CHAR(3), m BOOLEAN DEFAULT true, n BOOL, o BYTEA, p JSON, q JSONB, r TIMESTAMP DEFAULT now(),
              s TIMESTAMPTZ, t TIMESTAMP WITH TIME ZONE, u TIMESTAMP WITHOUT TIME ZONE, v VECTOR(3), w SERIAL,
              x character varying(5), y float(10), z int8,
              CONSTRAINT items_pk PRIMARY KEY (a, b), UNIQUE (c, d)
            )
            """
        guard case .createTable(let table) = try body(sql) else { Issue.record("not CREATE TABLE"); return }
        #expect(table.name == TableName("items"))
        #expect(table.ifNotExists)
        let types = table.columns.map(\.type)
        let expected: [TypeName] = [
            .bigserial, .integer, .integer, .bigint, .smallint, .real, .doublePrecision, .doublePrecision,
            .numeric(precision: nil, scale: nil), .numeric(precision: 10, scale: 2), .text, .varchar(length: 20),
            .char(length: 3), .boolean, .boolean, .bytea, .json, .jsonb, .timestamp(withTimeZone: false),
            .timestamp(withTimeZone: true), .timestamp(withTimeZone: true), .timestamp(withTimeZone: false),
            .vector(dimension: 3), .serial, .varchar(length: 5), .real, .bigint,
        ]
        #expect(types == expected)
        #expect(table.columns[0].isPrimaryKey && table.columns[0].isNotNull)
        #expect(table.columns[1].constraints == [ColumnConstraint(.notNull)])
        #expect(table.columns[2].constraints == [ColumnConstraint(.null)])
        #expect(table.columns[3].isUnique)
        #expect(table.columns[4].defaultValue == int(-1))
        #expect(table.columns[18].defaultValue == call("now"))
        #expect(table.constraints == [
            TableConstraint(name: "items_pk", .primaryKey(columns: ["a", "b"])),
            TableConstraint(.unique(columns: ["c", "d"])),
        ])
    }

    @Test("type names map to storage column types")
    func columnTypes() throws {
        #expect(try TypeName.varchar(length: 3).columnType() == .varchar(length: 3))
        #expect(try TypeName.varchar(length: nil).columnType() == .varchar(length: 0), "varchar of any length")
        #expect(try TypeName.char(length: nil).columnType() == .char(length: 1))
        #expect(try TypeName.numeric(precision: 5, scale: 1).columnType() == .numeric(precision: 5, scale: 1))
        #expect(try TypeName.serial.columnType() == .integer)
        #expect(try TypeName.bigserial.columnType() == .int)
        #expect(try TypeName.smallint.columnType() == .smallint)
        #expect(try TypeName.real.columnType() == .real)
        #expect(try TypeName.vector(dimension: 3).columnType() == .vector(dimension: 3))
        #expect(try TypeName.timestamp(withTimeZone: true).columnType() == .timestamptz)
        #expect(try TypeName.date.columnType() == .date)
        #expect(throws: VireoError.self) { try TypeName.vector(dimension: 16_001).columnType() }
        #expect(throws: VireoError.self) { try TypeName.vector(dimension: 0).columnType() }
        #expect(throws: VireoError.self) { try TypeName.other(name: "uuid", modifiers: []).columnType() }
    }

    @Test("DROP TABLE and DROP INDEX with IF EXISTS, lists and CASCADE")
    func drops() throws {
        #expect(try body("DROP TABLE a") == .dropTable(DropTable(names: [TableName("a")])))
        #expect(try body("drop table if exists a, public.b cascade") ==
            .dropTable(DropTable(names: [TableName("a"), TableName(schema: "public", "b")], ifExists: true, cascade: true)))
        #expect(try body("DROP INDEX IF EXISTS items_idx") == .dropIndex(DropIndex(names: [TableName("items_idx")], ifExists: true)))
    }

    @Test("ALTER TABLE ADD, DROP, RENAME COLUMN, RENAME TO")
    func alterTable() throws {
        let add = AlterTableAction.addColumn(ColumnDefinition(name: "c", type: .text, constraints: [ColumnConstraint(.notNull)]), ifNotExists: true)
        #expect(try body("ALTER TABLE t ADD COLUMN IF NOT EXISTS c text NOT NULL") == .alterTable(AlterTable(name: TableName("t"), actions: [add])))
        #expect(try body("ALTER TABLE t ADD c text NOT NULL, DROP d") == .alterTable(AlterTable(name: TableName("t"), actions: [
            .addColumn(ColumnDefinition(name: "c", type: .text, constraints: [ColumnConstraint(.notNull)]), ifNotExists: false),
            .dropColumn(name: "d", ifExists: false, cascade: false),
        ])))
        #expect(try body("ALTER TABLE IF EXISTS t DROP COLUMN IF EXISTS c") == .alterTable(AlterTable(name: TableName("t"), ifExists: true,
            actions: [.dropColumn(name: "c", ifExists: true, cascade: false)])))
        #expect(try body("ALTER TABLE t RENAME COLUMN a TO b") == .alterTable(AlterTable(name: TableName("t"), actions: [.renameColumn(from: "a", to: "b")])))
        #expect(try body("ALTER TABLE t RENAME a TO b") == .alterTable(AlterTable(name: TableName("t"), actions: [.renameColumn(from: "a", to: "b")])))
        #expect(try body("ALTER TABLE t RENAME TO u") == .alterTable(AlterTable(name: TableName("t"), actions: [.renameTable(to: "u")])))
    }

    @Test("CREATE INDEX: unique, unnamed, USING hnsw with operator class and WITH options")
    func createIndex() throws {
        #expect(try body("CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a, b DESC NULLS LAST)") == .createIndex(CreateIndex(
            name: "i", unique: true, ifNotExists: true, table: TableName("t"),
            columns: [IndexColumn(name: "a"), IndexColumn(name: "b", descending: true, nullsFirst: false)])))
        #expect(try body("CREATE INDEX ON t USING btree (a)") == .createIndex(CreateIndex(
            name: nil, table: TableName("t"), method: "btree", columns: [IndexColumn(name: "a")])))
        let hnsw = "CREATE INDEX items_embedding ON items USING HNSW (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        #expect(try body(hnsw) == .createIndex(CreateIndex(
            name: "items_embedding", table: TableName("items"), method: "hnsw",
            columns: [IndexColumn(name: "embedding", operatorClass: "vector_cosine_ops")],
            options: [IndexOption(name: "m", value: .number("16")), IndexOption(name: "ef_construction", value: .number("64"))])))
    }

    @Test("CONCURRENTLY is accepted; an index may still be named concurrently")
    func concurrently() throws {
        #expect(try body("CREATE INDEX CONCURRENTLY ON t (a)") == .createIndex(CreateIndex(name: nil, table: TableName("t"), columns: [IndexColumn(name: "a")])))
        #expect(try body("CREATE INDEX CONCURRENTLY i ON t (a)") == .createIndex(CreateIndex(name: "i", table: TableName("t"), columns: [IndexColumn(name: "a")])))
        #expect(try body("CREATE INDEX concurrently ON t (a)") == .createIndex(CreateIndex(name: nil, table: TableName("t"), columns: [IndexColumn(name: "a")])))
        #expect(try body("DROP INDEX CONCURRENTLY IF EXISTS i") == .dropIndex(DropIndex(names: [TableName("i")], ifExists: true)))
    }

    @Test("CREATE EXTENSION vector is accepted")
    func createExtension() throws {
        #expect(try body("CREATE EXTENSION IF NOT EXISTS vector") == .createExtension(CreateExtension(name: "vector", ifNotExists: true)))
    }

    @Test("transaction control in all its spellings")
    func transactions() throws {
        for sql in ["BEGIN", "begin work", "BEGIN TRANSACTION"] {
            #expect(try body(sql) == .transaction(.begin), "\(sql)")
        }
        #expect(try body("START TRANSACTION") == .transaction(.begin(TransactionModes(), spelledStart: true)))
        for sql in ["COMMIT", "COMMIT WORK", "END", "end transaction"] {
            #expect(try body(sql) == .transaction(.commit), "\(sql)")
        }
        for sql in ["ROLLBACK", "ROLLBACK TRANSACTION", "ABORT"] {
            #expect(try body(sql) == .transaction(.rollback), "\(sql)")
        }
    }

    @Test("SET, SHOW, RESET with dotted names, scopes and values")
    func settings() throws {
        #expect(try body("SET hnsw.ef_search = 100") == .set(SetStatement(name: "hnsw.ef_search", value: .number("100"))))
        #expect(try body("SET LOCAL hnsw.ef_search TO 40") == .set(SetStatement(scope: .local, name: "hnsw.ef_search", value: .number("40"))))
        #expect(try body("SET SESSION application_name = 'psql'") == .set(SetStatement(name: "application_name", value: .string("psql"))))
        #expect(try body("SET enable_seqscan = off") == .set(SetStatement(name: "enable_seqscan", value: .word("off"))))
        #expect(try body("SET x = DEFAULT") == .set(SetStatement(name: "x", value: .default)))
        #expect(try body("SET search_path = a, b") == .set(SetStatement(name: "search_path", value: .list([.word("a"), .word("b")]))))
        #expect(try body("SET extra_float_digits = -3") == .set(SetStatement(name: "extra_float_digits", value: .number("-3"))))
        #expect(try body("SET TIME ZONE 'UTC'") == .set(SetStatement(name: "timezone", value: .string("UTC"))))
        #expect(try body("SHOW hnsw.ef_search") == .show(ShowStatement(name: "hnsw.ef_search")))
        #expect(try body("SHOW ALL") == .show(ShowStatement(name: nil)))
        #expect(try body("SHOW TRANSACTION ISOLATION LEVEL") == .show(ShowStatement(name: "transaction_isolation")))
        #expect(try body("RESET hnsw.ef_search") == .reset(ResetStatement(name: "hnsw.ef_search")))
        #expect(try body("RESET ALL") == .reset(ResetStatement(name: nil)))
    }

    @Test("EXPLAIN: short form, option list, and the statement inside")
    func explain() throws {
        let inner = StatementBody.select(Query(Select(items: [.expression(int(1), alias: nil)])))
        #expect(try body("EXPLAIN SELECT 1") == .explain(Explain(statement: inner)))
        let analyzed = try body("EXPLAIN ANALYZE VERBOSE SELECT 1")
        #expect(analyzed == .explain(Explain(options: [ExplainOption(name: "analyze"), ExplainOption(name: "verbose")], statement: inner)))
        guard case .explain(let listed) = try body("EXPLAIN (ANALYZE, VERBOSE false, FORMAT json) SELECT 1") else {
            Issue.record("not EXPLAIN")
            return
        }
        #expect(listed.analyze && !listed.verbose)
        #expect(listed.options == [ExplainOption(name: "analyze"), ExplainOption(name: "verbose", value: .word("false")),
                                   ExplainOption(name: "format", value: .word("json"))])
        guard case .explain(let update) = try body("EXPLAIN UPDATE t SET a = 1"), case .update = update.statement else {
            Issue.record("EXPLAIN UPDATE")
            return
        }
    }

    @Test("a script splits on ';' and keeps each statement's source range and text")
    func script() throws {
        let text = "BEGIN; INSERT INTO t VALUES ($1, $3);;\n SELECT ';' FROM t ; COMMIT"
        let statements = try Parser.parseScript(text)
        #expect(statements.count == 4)
        #expect(statements.map(\.sourceText) == ["BEGIN", "INSERT INTO t VALUES ($1, $3)", "SELECT ';' FROM t", "COMMIT"])
        #expect(statements[1].sourceRange == 7..<36)
        #expect(statements[1].parameterCount == 3)
        #expect(statements[2].parameterCount == 0)
        #expect(try Parser.parseScript("  ;; -- nothing\n").isEmpty)
        #expect(try Parser.parseStatement("SELECT 1;").sourceText == "SELECT 1")
    }
}
