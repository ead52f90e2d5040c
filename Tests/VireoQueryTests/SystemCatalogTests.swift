import Testing
@testable import VireoQuery
import VireoStorage

@Suite("pg_catalog and information_schema, regex operators, Describe")
struct SystemCatalogTests {
    @Test("pg_type answers the lookup pgvector-python's register_vector sends")
    func registerVectorLookup() throws {
        let db = try Database.inMemory()
        let sql = "SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype, typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype($1) ORDER BY t.oid"
        #expect(try rows(db, sql, [.text("vector")]) == [["vector", "16385", "16386", "vector", ","]])
        #expect(try rows(db, sql, [.text("bit")]).count == 1)
        #expect(try rows(db, sql, [.text("halfvec")]) == [["halfvec", "16387", "16388", "halfvec", ","]])
        #expect(try rows(db, sql, [.text("sparsevec")]) == [["sparsevec", "16389", "16390", "sparsevec", ","]])
        #expect(try rows(db, sql, [.text("nosuchvec")]).isEmpty, "an unknown type has no row")
        #expect(try rows(db, "SELECT to_regtype('double precision'), to_regtype('public.vector'), to_regtype('nope')") == [["701", "16385", "NULL"]])
    }

    @Test("SQL's user and catalog value functions need no parentheses, as in PostgreSQL")
    func bareValueFunctions() throws {
        let db = try Database.inMemory()
        let result = try db.session().execute("SELECT current_user, session_user, user, current_role, current_catalog, current_schema, current_schema()")
        #expect(result.columns.map(\.name) == ["current_user", "session_user", "current_user", "current_role", "current_catalog", "current_schema", "current_schema"])
        #expect(try rows(db, "SELECT current_user = session_user, current_catalog = current_database(), current_schema")
                == [["t", "t", "public"]])
        #expect(sqlError(db, "SELECT current_user()")?.sqlState == "42601", "PostgreSQL refuses parentheses here")
        let byParameter = try db.session().execute(Parser.parseStatement("SELECT CAST($1 AS regclass) = 'pg_class'::regclass"), [.text("pg_catalog.pg_class")], planCache: PlanCache())
        #expect(byParameter.rows == [[.bool(true)]], "a name given as a parameter is looked up when it runs")
        #expect(throws: VireoError.self) { try db.session().execute(Parser.parseStatement("SELECT CAST($1 AS regclass)"), [.text("nope")], planCache: PlanCache()) }
        try db.execute("CREATE VIEW who AS SELECT current_user AS name")
        #expect(try rows(db, "SELECT name FROM who") == [[SystemCatalog.ownerName]])
    }

    @Test("catalog columns have PostgreSQL's types: oid for references, name for identifiers, \"char\" for codes")
    func catalogColumnTypes() throws {
        let db = try Database.inMemory()
        let session = db.session()
        let lookup = try session.execute("SELECT t.oid, t.typelem AS elemtype, t.typtype AS kind, t.typname FROM pg_catalog.pg_type AS t "
                                         + "INNER JOIN pg_catalog.pg_namespace AS ns ON (ns.oid = t.typnamespace) WHERE t.typname = 'vector' AND ns.nspname = 'public'")
        #expect(lookup.columns.map(\.type) == [.oid, .oid, .internalChar, .name])
        #expect(lookup.rows == [[.int(16385), .int(0), .text("b"), .text("vector")]])
        #expect(try rows(db, "SELECT (-1)::oid, '4294967295'::oid, 7::oid = 7, 7::oid < 8::bigint, 'x'::name = 'x'::text, 'abc'::\"char\"")
                == [["4294967295", "4294967295", "t", "t", "t", "a"]])
        #expect(try rows(db, "SELECT 23::regtype::text, 1043::regtype::text, 1007::regtype::text, 99999::regtype::text")
                == [["integer", "character varying", "integer[]", "99999"]])
        #expect(sqlError(db, "SELECT 4294967296::oid")?.sqlState == "22003")
        #expect(sqlError(db, "SELECT 'x'::oid")?.sqlState == "22P02")
        #expect(try rows(db, "SELECT count(*) FROM pg_class c WHERE c.relkind = ANY (ARRAY['r', 'p'])") == [["0"]])
    }

    @Test("pg_class, pg_attribute, pg_index and information_schema follow the catalog")
    func catalogRelationsFollowTheSchema() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE docs (id bigint PRIMARY KEY, title text NOT NULL, embedding vector(4))")
        try db.execute("CREATE INDEX docs_embedding ON docs USING hnsw (embedding vector_cosine_ops)")
        #expect(try rows(db, "SELECT relname, relkind FROM pg_catalog.pg_class ORDER BY relname") == [["docs", "r"], ["docs_embedding", "i"], ["docs_pkey", "i"]])
        #expect(try rows(db, "SELECT pg_get_indexdef(indexrelid), indisprimary FROM pg_index ORDER BY 1")
                == [["CREATE INDEX docs_embedding ON public.docs USING hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')", "f"],
                    ["CREATE UNIQUE INDEX docs_pkey ON public.docs USING btree (id)", "t"]])
        // The printed statement makes the same index again (operator class and options included).
        let printed = try rows(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'docs_embedding'")[0][0]
        try db.execute("DROP INDEX docs_embedding")
        try db.execute(printed)
        #expect(try db.store.catalog.index("docs_embedding")?.index.options["metric"] == "cosine")
        try db.execute("CREATE INDEX docs_l2 ON docs USING hnsw (embedding) WITH (m = 8, ef_construction = 32, quantization = int8)")
        #expect(try rows(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'docs_l2'")
                == [["CREATE INDEX docs_l2 ON public.docs USING hnsw (embedding vector_l2_ops) WITH (m='8', ef_construction='32', quantization='int8')"]])
        try db.execute("DROP INDEX docs_l2")
        #expect(try rows(db, "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint") == [["docs_pkey", "p", "PRIMARY KEY (id)"]])
        #expect(try rows(db, "SELECT 'docs'::regclass = (SELECT oid FROM pg_class WHERE relname = 'docs'), pg_size_pretty(123456789)") == [["t", "118 MB"]])
        let attributes = "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'docs' ORDER BY a.attnum"
        #expect(try rows(db, attributes) == [["id", "bigint", "t"], ["title", "text", "t"], ["embedding", "vector(4)", "f"]])
        #expect(try rows(db, "SELECT i.indkey::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'docs_embedding'") == [["3"]])
        #expect(try rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'docs' ORDER BY ordinal_position")
                == [["id", "bigint"], ["title", "text"], ["embedding", "USER-DEFINED"]])
        try db.execute("DROP TABLE docs")
        #expect(try rows(db, "SELECT count(*) FROM pg_class") == [["0"]])
    }

    @Test("a user table of the same name shadows an unqualified catalog name; a qualified one does not")
    func userTablesShadowUnqualifiedNames() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE pg_type (x bigint)")
        #expect(try rows(db, "SELECT count(*) FROM pg_type") == [["0"]])
        #expect(try rows(db, "SELECT count(*) > 0 FROM pg_catalog.pg_type") == [["t"]])
    }

    @Test("~, ~*, !~ and !~* match regular expressions; a bad pattern is 22023")
    func regexOperators() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT 'items' ~ '^it', 'Items' ~ '^it', 'Items' ~* '^it', 'items' !~ 'x$', 'ITEMS' !~* 'items'") == [["t", "f", "t", "t", "f"]])
        #expect(try rows(db, "SELECT NULL ~ 'a'") == [["NULL"]])
        #expect(sqlError(db, "SELECT 'a' ~ '('")?.sqlState == "22023")
    }

    @Test("describe gives parameter types and result columns without running the statement")
    func describeDoesNotRun() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id bigint PRIMARY KEY, name text, score double precision)")
        let session = db.session()
        let insert = try session.describe(Parser.parseStatement("INSERT INTO t VALUES ($1, $2, $3) RETURNING id"))
        #expect(insert.parameterTypes == [.int, .text, .double])
        let t = SystemCatalog.oid(ofObject: "t")
        #expect(insert.columns == [ResultColumn(name: "id", type: .int, origin: ColumnOrigin(tableOID: t, attributeNumber: 1, declaredType: .int))])
        let select = try session.describe(Parser.parseStatement("SELECT name FROM t WHERE score > $1 AND id = $2"))
        #expect(select.parameterTypes == [.double, .int])
        #expect(select.columns == [ResultColumn(name: "name", type: .text, origin: ColumnOrigin(tableOID: t, attributeNumber: 2, declaredType: .text))])
        #expect(try rows(db, "SELECT count(*) FROM t") == [["0"]], "describe ran the INSERT")
    }

    @Test("a default that is one literal reads back from pg_attrdef as PostgreSQL 15 prints it, with its column's type")
    func literalDefaultsCarryTheirType() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TYPE mood AS ENUM ('ok', 'sad');
            CREATE TABLE dflt (m mood DEFAULT 'ok', t text DEFAULT 'x', v varchar(5) DEFAULT 'y', c char(2) DEFAULT 'z',
                               j jsonb DEFAULT '{}', a int[] DEFAULT '{1,2}', b bool DEFAULT TRUE, i int DEFAULT 0,
                               s text DEFAULT 'a' || 'b', m2 mood DEFAULT 'sad'::public.mood, t2 text DEFAULT CAST('w' AS text))
            """)
        let defaults = try rows(db, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'dflt'::regclass ORDER BY adnum")
        #expect(defaults == [["'ok'::mood"], ["'x'::text"], ["'y'::character varying"], ["'z'::bpchar"], ["'{}'::jsonb"],
                             ["'{1,2}'::integer[]"], ["true"], ["0"], ["'a' || 'b'"], ["'sad'::mood"], ["'w'::text"]])
    }

    @Test("information_schema's constraint views list keys, foreign keys and checks as PostgreSQL 15 does")
    func informationSchemaConstraintViews() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE ic_authors (id serial PRIMARY KEY, email text UNIQUE, age int CHECK (age > 0));
            CREATE TABLE ic_books (id int PRIMARY KEY, author_id int REFERENCES ic_authors (id) ON DELETE CASCADE, isbn text, code text,
                                   UNIQUE (isbn, code));
            CREATE TABLE ic_editions (isbn text, code text,
                                      FOREIGN KEY (code, isbn) REFERENCES ic_books (code, isbn) ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED)
            """)
        // Every expected row is what PostgreSQL 15 answers to the same statements; each NOT NULL
        // column (the primary keys' here) is a CHECK named by its schema's, table's and column's numbers.
        let notNulls = ["ic_authors", "ic_books"].map { ("2200_\(SystemCatalog.oid(ofObject: $0))_1_not_null", $0) }.sorted { $0.0 < $1.0 }
        #expect(try rows(db, """
            SELECT constraint_schema, constraint_name, table_name, constraint_type, is_deferrable, initially_deferred, enforced, nulls_distinct
            FROM information_schema.table_constraints WHERE table_name LIKE 'ic_%' ORDER BY constraint_name
            """) == notNulls.map { ["public", $0.0, $0.1, "CHECK", "NO", "NO", "YES", "NULL"] } + [
                       ["public", "ic_authors_age_check", "ic_authors", "CHECK", "NO", "NO", "YES", "NULL"],
                       ["public", "ic_authors_email_key", "ic_authors", "UNIQUE", "NO", "NO", "YES", "YES"],
                       ["public", "ic_authors_pkey", "ic_authors", "PRIMARY KEY", "NO", "NO", "YES", "NULL"],
                       ["public", "ic_books_author_id_fkey", "ic_books", "FOREIGN KEY", "NO", "NO", "YES", "NULL"],
                       ["public", "ic_books_isbn_code_key", "ic_books", "UNIQUE", "NO", "NO", "YES", "YES"],
                       ["public", "ic_books_pkey", "ic_books", "PRIMARY KEY", "NO", "NO", "YES", "NULL"],
                       ["public", "ic_editions_code_isbn_fkey", "ic_editions", "FOREIGN KEY", "YES", "YES", "YES", "NULL"]])
        #expect(try rows(db, """
            SELECT constraint_name, table_name, column_name, ordinal_position, position_in_unique_constraint
            FROM information_schema.key_column_usage WHERE table_name LIKE 'ic_%' ORDER BY constraint_name, ordinal_position
            """) == [["ic_authors_email_key", "ic_authors", "email", "1", "NULL"], ["ic_authors_pkey", "ic_authors", "id", "1", "NULL"],
                       ["ic_books_author_id_fkey", "ic_books", "author_id", "1", "1"], ["ic_books_isbn_code_key", "ic_books", "isbn", "1", "NULL"],
                       ["ic_books_isbn_code_key", "ic_books", "code", "2", "NULL"], ["ic_books_pkey", "ic_books", "id", "1", "NULL"],
                       ["ic_editions_code_isbn_fkey", "ic_editions", "code", "1", "2"], ["ic_editions_code_isbn_fkey", "ic_editions", "isbn", "2", "1"]])
        #expect(try rows(db, """
            SELECT table_name, column_name, constraint_name FROM information_schema.constraint_column_usage
            WHERE constraint_name LIKE 'ic_%' ORDER BY constraint_name, column_name
            """) == [["ic_authors", "age", "ic_authors_age_check"], ["ic_authors", "email", "ic_authors_email_key"],
                       ["ic_authors", "id", "ic_authors_pkey"], ["ic_authors", "id", "ic_books_author_id_fkey"],
                       ["ic_books", "code", "ic_books_isbn_code_key"], ["ic_books", "isbn", "ic_books_isbn_code_key"],
                       ["ic_books", "id", "ic_books_pkey"], ["ic_books", "code", "ic_editions_code_isbn_fkey"],
                       ["ic_books", "isbn", "ic_editions_code_isbn_fkey"]])
        #expect(try rows(db, """
            SELECT constraint_name, unique_constraint_schema, unique_constraint_name, match_option, update_rule, delete_rule
            FROM information_schema.referential_constraints WHERE constraint_name LIKE 'ic_%' ORDER BY 1
            """) == [["ic_books_author_id_fkey", "public", "ic_authors_pkey", "NONE", "NO ACTION", "CASCADE"],
                       ["ic_editions_code_isbn_fkey", "public", "ic_books_isbn_code_key", "NONE", "SET NULL", "NO ACTION"]])
        #expect(try rows(db, "SELECT constraint_name, check_clause FROM information_schema.check_constraints WHERE constraint_name LIKE 'ic_%'")
                == [["ic_authors_age_check", "((age > 0))"]])
    }

    @Test("information_schema lists each NOT NULL column as a CHECK in table_constraints and check_constraints only, as PostgreSQL 15 does")
    func notNullConstraints() throws {
        let db = try Database.inMemory()
        try db.execute(#"CREATE TABLE nn (id int PRIMARY KEY, a text NOT NULL, b int CHECK (b > 0), "Mixed" int NOT NULL, c int)"#)
        let prefix = "2200_\(SystemCatalog.oid(ofObject: "nn"))_"
        // PostgreSQL 15's answers (its table's OID in the names).
        #expect(try rows(db, "SELECT constraint_name, check_clause FROM information_schema.check_constraints ORDER BY 1") == [
            [prefix + "1_not_null", "id IS NOT NULL"], [prefix + "2_not_null", "a IS NOT NULL"], [prefix + "4_not_null", "Mixed IS NOT NULL"],
            ["nn_b_check", "((b > 0))"]])
        #expect(try rows(db, "SELECT constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_name = 'nn' ORDER BY 1") == [
            [prefix + "1_not_null", "CHECK"], [prefix + "2_not_null", "CHECK"], [prefix + "4_not_null", "CHECK"], ["nn_b_check", "CHECK"],
            ["nn_pkey", "PRIMARY KEY"]])
        #expect(try rows(db, "SELECT count(*) FROM information_schema.constraint_column_usage WHERE table_name = 'nn'") == [["2"]])
        #expect(try rows(db, "SELECT count(*) FROM information_schema.key_column_usage WHERE table_name = 'nn'") == [["1"]])
    }

    @Test("result columns name the table column they read unchanged and its declared type, as PostgreSQL's RowDescription does")
    func resultColumnOrigins() throws {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE oq (id int PRIMARY KEY, v varchar(10), n numeric(10,2), c char(4));
            CREATE TABLE oq2 (id int, w varchar(10));
            CREATE VIEW ov AS SELECT id, v, n + 1 AS n1 FROM oq
            """)
        let session = db.session()
        func described(_ sql: String) throws -> [String] {
            try session.describe(Parser.parseStatement(sql)).columns.map { column in
                guard let origin = column.origin else { return "-" }
                let table = [("oq", "oq"), ("oq2", "oq2"), ("ov", "ov"), ("copied", "copied")].first { SystemCatalog.oid(ofObject: $0.0) == origin.tableOID }?.1 ?? "\(origin.tableOID)"
                return "\(table).\(origin.attributeNumber) \(origin.textTypeOID ?? 0) \(origin.typeModifier)"
            }
        }
        // Each expected description is real PostgreSQL 15's (table, attnum, OID of a text type, typmod).
        #expect(try described("SELECT * FROM oq") == ["oq.1 0 -1", "oq.2 1043 14", "oq.3 0 655366", "oq.4 1042 8"])
        #expect(try described("SELECT id + 1, v AS vv, v::varchar(3), n::numeric(5,1), (v) FROM oq")
                == ["-", "oq.2 1043 14", "0.0 1043 7", "0.0 0 327685", "oq.2 1043 14"])
        #expect(try described("SELECT * FROM ov") == ["ov.1 0 -1", "ov.2 1043 14", "ov.3 0 -1"])
        try db.execute("CREATE TABLE copied AS SELECT v, n FROM oq")
        #expect(try described("SELECT * FROM copied") == ["copied.1 1043 14", "copied.2 0 655366"], "CREATE TABLE AS keeps the declared types")
        #expect(try described("SELECT s.v FROM (SELECT v FROM oq) s") == ["oq.2 1043 14"])
        #expect(try described("WITH w AS (SELECT n FROM oq) SELECT n FROM w") == ["oq.3 0 655366"])
        #expect(try described("SELECT oq.v, oq2.w FROM oq JOIN oq2 USING (id)") == ["oq.2 1043 14", "oq2.2 1043 14"])
        #expect(try described("UPDATE oq SET n = 2 WHERE id = 2 RETURNING id, c") == ["oq.1 0 -1", "oq.4 1042 8"])
        #expect(try described("SELECT v FROM oq UNION ALL SELECT w FROM oq2") == ["0.0 1043 14"])
        #expect(try described("SELECT v FROM oq UNION ALL SELECT c FROM oq") == ["-"])
        #expect(try described("SELECT max(v), coalesce(n, 0) FROM oq GROUP BY n") == ["-", "-"])
        #expect(try described("SELECT v FROM oq GROUP BY v") == ["oq.2 1043 14"])
    }
}
