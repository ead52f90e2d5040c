import Testing
@testable import VireoQuery

/// Statements covering every form the grammar has; the round-trip and fuzz tests use them.
let corpus: [String] = [
    "CREATE TABLE IF NOT EXISTS items (id bigserial PRIMARY KEY, embedding vector(3) NOT NULL, body text DEFAULT 'x' UNIQUE, n int NULL)",
    "CREATE TABLE t (a numeric(10,2), b varchar(20), c char(2), d double precision, e timestamp with time zone, f jsonb DEFAULT '{}', CONSTRAINT pk PRIMARY KEY (a, b), UNIQUE (c))",
    "CREATE TABLE \"Odd Name\" (\"select\" int DEFAULT -1, \"Mixed\" text DEFAULT 'a' || 'b', x real DEFAULT 1 + 2 * 3, y boolean DEFAULT NOT false)",
    "CREATE TABLE s.t (ts timestamp DEFAULT CURRENT_TIMESTAMP, u uuid, v bytea, w json, x smallint, y float(40), z serial)",
    "CREATE TABLE empty ()",
    "DROP TABLE IF EXISTS a, b CASCADE",
    "DROP TABLE t",
    "ALTER TABLE t ADD COLUMN IF NOT EXISTS c vector(8) NOT NULL DEFAULT '[1,2,3,4,5,6,7,8]'",
    "ALTER TABLE IF EXISTS t ADD c int, DROP COLUMN IF EXISTS d CASCADE, DROP e",
    "ALTER TABLE t RENAME COLUMN a TO \"B\"",
    "ALTER TABLE t RENAME TO u",
    "ALTER TABLE t RENAME CONSTRAINT a TO \"B\"",
    "CREATE TEMP TABLE t (a int) ON COMMIT DELETE ROWS",
    "CREATE LOCAL TEMPORARY TABLE IF NOT EXISTS t (a) ON COMMIT DROP AS SELECT 1",
    "SELECT a, b INTO TEMP TABLE t2 FROM t WHERE a > 1",
    "PREPARE p (int, text) AS SELECT $1, $2 FROM t",
    "PREPARE q AS UPDATE t SET a = $1 RETURNING a",
    "EXECUTE p (1, 'x')",
    "DEALLOCATE PREPARE p",
    "DEALLOCATE ALL",
    "EXPLAIN ((SELECT 1 UNION SELECT 2) UNION ALL (SELECT 3 INTERSECT SELECT 4)) EXCEPT SELECT 5 ORDER BY 1",
    "DEALLOCATE prepare",
    "DEALLOCATE PREPARE \"all\"",
    "LOCK TABLE ONLY t, u IN SHARE ROW EXCLUSIVE MODE NOWAIT",
    "LOCK t",
    "GRANT SELECT, UPDATE (a) ON t, u TO PUBLIC, vireo WITH GRANT OPTION",
    "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM CURRENT_USER CASCADE",
    "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC NULLS FIRST, b)",
    "CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)",
    "CREATE INDEX idx ON items USING hnsw (embedding vector_ip_ops)",
    "DROP INDEX IF EXISTS idx, idx2",
    "CREATE EXTENSION IF NOT EXISTS vector",
    "CREATE SCHEMA IF NOT EXISTS public",
    "DROP SCHEMA IF EXISTS a, b CASCADE",
    "INSERT INTO t (a, b) VALUES (1, 'x'), (2, DEFAULT), ($1, $2) RETURNING *",
    "INSERT INTO t VALUES ('[1,2,3]', '{\"a\": 1}', E'line\\nbreak', -1.5e-3)",
    "INSERT INTO t AS x SELECT * FROM u WHERE u.a > 0 ON CONFLICT DO NOTHING",
    "INSERT INTO t (id, n) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET n = t.n + excluded.n, m = DEFAULT WHERE t.n < 10 RETURNING id, n AS total",
    "INSERT INTO t DEFAULT VALUES",
    "SELECT 1",
    "SELECT DISTINCT a, b AS c, t.* FROM t",
    "SELECT * FROM a, b AS y JOIN c ON y.id = c.id LEFT JOIN d USING (id) CROSS JOIN e RIGHT OUTER JOIN f ON TRUE FULL JOIN g ON FALSE",
    "SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x",
    "WITH a AS (SELECT 1 AS x), b (y) AS MATERIALIZED (SELECT x FROM a) SELECT * FROM a, b",
    "WITH RECURSIVE t (n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT n FROM t ORDER BY n LIMIT 2",
    "WITH v AS (SELECT 1 AS id) INSERT INTO t SELECT id FROM v RETURNING id",
    "WITH v AS (SELECT 1 AS id) UPDATE t SET n = 2 WHERE id IN (SELECT id FROM v)",
    "WITH v AS (SELECT 1 AS id) DELETE FROM t WHERE id = (SELECT id FROM v)",
    "SELECT row_number() OVER (), rank() OVER (PARTITION BY a ORDER BY b DESC NULLS FIRST), sum(c) OVER w, lag(c, 2, 0) OVER (w ORDER BY d) FROM t WINDOW w AS (PARTITION BY a), v AS (ORDER BY b)",
    "SELECT sum(a) OVER (ORDER BY b ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), avg(a) OVER (ORDER BY b RANGE UNBOUNDED PRECEDING), count(*) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM t",
    "SELECT count(*) FILTER (WHERE a > 1), sum(b) FILTER (WHERE c) OVER (ORDER BY d RANGE BETWEEN 1 PRECEDING AND 2 FOLLOWING) FROM t",
    "SELECT DISTINCT ON (a, b + 1) a, c FROM t ORDER BY a, b + 1, c",
    "SELECT FROM t WHERE EXISTS (SELECT FROM u)",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v (id, name) FULL JOIN t ON t.id = v.id",
    "VALUES (1, 2), (3, 4) ORDER BY 1",
    "SELECT * FROM a NATURAL JOIN b NATURAL LEFT JOIN c NATURAL FULL JOIN d JOIN e USING (id)",
    "SELECT count(*) OVER (ORDER BY a GROUPS BETWEEN 2 PRECEDING AND 1 FOLLOWING EXCLUDE TIES), sum(a) OVER (ROWS 1 PRECEDING EXCLUDE CURRENT ROW), min(a) OVER (RANGE CURRENT ROW EXCLUDE GROUP) FROM t",
    "WITH d AS (DELETE FROM t WHERE id < 3 RETURNING *), i (n) AS (INSERT INTO u SELECT id FROM d RETURNING n) SELECT count(*) FROM i",
    "WITH d AS (UPDATE t SET n = n + 1 RETURNING id) INSERT INTO log SELECT id FROM d",
    "SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.x = a.x LIMIT 1) AS s LEFT JOIN LATERAL (SELECT 1) AS t ON TRUE",
    "SELECT s.a FROM (SELECT a FROM t ORDER BY a LIMIT 3) AS s WHERE s.a IS NOT NULL",
    "SELECT a, count(*), count(DISTINCT b), sum(c) FROM t WHERE d BETWEEN 1 AND 10 GROUP BY a HAVING count(*) > 1 ORDER BY a DESC NULLS LAST, 2 LIMIT 5 OFFSET 10",
    "SELECT id FROM items ORDER BY embedding <-> '[1,2,3]' LIMIT 10",
    "SELECT id, embedding <=> $1 AS distance FROM items WHERE category = $2 ORDER BY embedding <=> $1 LIMIT $3",
    "SELECT id FROM items ORDER BY embedding <#> $1, embedding <+> $1 FETCH FIRST 5 ROWS ONLY",
    "SELECT 1 UNION SELECT 2 UNION ALL SELECT 3 INTERSECT SELECT 4 EXCEPT SELECT 5 ORDER BY 1",
    "(SELECT a FROM t LIMIT 1) UNION ALL (SELECT b FROM u ORDER BY b LIMIT 2)",
    "SELECT * FROM t WHERE a IN (1, 2, 3) AND b NOT IN (SELECT b FROM u) OR EXISTS (SELECT 1 FROM v WHERE v.a = t.a)",
    "SELECT a LIKE 'x%' ESCAPE '!', b NOT ILIKE '%y', c IS TRUE, d IS NOT FALSE, e IS DISTINCT FROM f, g IS NOT DISTINCT FROM h",
    "SELECT CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END, CASE b WHEN 1 THEN 'one' END FROM t",
    "SELECT CAST(a AS integer), b::text, c::vector(3), '1'::numeric(5,1), d::double precision, e::timestamptz FROM t",
    "SELECT -a, - -b, -(-1), +c, -2 ^ 2, (-2) ^ 2, -(2 ^ 2), 2 ^ -2, a - -1, NOT NOT d, NOT (a AND b), a * (b + c), (a + b) * c",
    "SELECT a = b, a <> b, a != b, a < b, a <= b, a > b, a >= b, (a = b) = c, a = (b = c), (a < b) IS NULL",
    "SELECT data -> 'a' ->> 'b', data #> '{a,b}', data #>> '{a}', data @> '{\"k\": 1}', data ? 'k', a || b || c FROM docs",
    "SELECT (SELECT max(a) FROM t) + 1, ARRAY[1, 2, 3], lower(name), coalesce(a, b, 0), nullif(a, 0), now(), left(s, 2) FROM t",
    "SELECT \"Mixed Case\", \"with \"\"quote\"\"\", \"from\".\"where\" FROM \"from\"",
    "SELECT 'it''s', $$dollar 'quoted'$$, E'\\t\\x41', 9223372036854775807, -9223372036854775808, 99999999999999999999, .5, 1e10, NULL, TRUE",
    "SELECT a FROM t WHERE (a + 1) * 2 BETWEEN b - 1 AND c + 1 AND NOT a IS NULL",
    "SELECT timestamp '2024-01-01 00:00:00', vector '[1,2]', jsonb '{}'",
    "SELECT 1 LIMIT ALL OFFSET 3",
    "SELECT substring(s FROM 2 FOR 3), trim(BOTH 'x' FROM s), trim(s), position('a' IN s), extract(epoch FROM ts) FROM t",
    "SELECT overlay(s PLACING 'ab' FROM 2 FOR 3), overlay(s PLACING r FROM n), @ -5 + 1, 2 * @ x, @ @ y FROM t",
    "SELECT a SIMILAR TO '%(b|c)%', a NOT SIMILAR TO 'x#_' ESCAPE '#', b SIMILAR TO c || 'd' AND e FROM t WHERE s SIMILAR TO '[a-z]*'",
    "UPDATE t SET a = 1, b = DEFAULT, c = c || 'x' WHERE id = $1 RETURNING *",
    "UPDATE t AS x SET a = u.a FROM u WHERE x.id = u.id RETURNING x.a, u.b AS c",
    "DELETE FROM t WHERE id IN (SELECT id FROM u) RETURNING id",
    "DELETE FROM t AS x USING u WHERE x.a = u.a",
    "DELETE FROM t",
    "BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT WORK",
    "SET hnsw.ef_search = 100", "SET LOCAL hnsw.ef_search TO 40", "SET search_path TO public, \"Other\"",
    "SET TIME ZONE 'UTC'", "SET x = DEFAULT", "SET extra_float_digits = -3", "SET enable_seqscan = off",
    "SHOW hnsw.ef_search", "SHOW ALL", "SHOW \"all\"", "SET SESSION \"local\".x = 1", "SET \"time\" = 1", "SHOW TIME ZONE", "RESET ALL", "RESET hnsw.ef_search",
    "EXPLAIN SELECT * FROM t", "EXPLAIN ANALYZE SELECT * FROM t", "EXPLAIN ANALYZE VERBOSE DELETE FROM t",
    "EXPLAIN (ANALYZE, VERBOSE false, FORMAT json) UPDATE t SET a = 1",
    "CREATE TABLE c (a int REFERENCES p DEFERRABLE INITIALLY DEFERRED, b int REFERENCES p (id) ON DELETE CASCADE NOT DEFERRABLE)",
    "ALTER TABLE c ADD CONSTRAINT k FOREIGN KEY (a) REFERENCES p INITIALLY DEFERRED DEFERRABLE",
    "CREATE TABLE k (a int PRIMARY KEY NOT DEFERRABLE, b int UNIQUE INITIALLY IMMEDIATE, UNIQUE (a, b) NOT DEFERRABLE)",
    "SET CONSTRAINTS ALL DEFERRED", "SET CONSTRAINTS a, s.b, \"all\" IMMEDIATE", "SET constraints.x = 1", "SET constraints TO 1",
    "SELECT a BETWEEN SYMMETRIC 10 AND 1, a NOT BETWEEN SYMMETRIC b + 1 AND c, a BETWEEN ASYMMETRIC 1 AND 2 FROM t WHERE (a BETWEEN SYMMETRIC 1 AND 2) = (b NOT BETWEEN 1 AND 2)",
]

@Suite("SQL printer")
struct RoundTripTests {
    @Test("every statement of the corpus prints as SQL that parses to the same tree", arguments: corpus)
    func roundTrip(_ sql: String) throws {
        try expectRoundTrip(sql)
    }

    @Test("printing is canonical")
    func canonical() throws {
        #expect(try Parser.parseStatement("select A,b from T where x!=1 and y::int4>2").sql ==
            "SELECT a, b FROM t WHERE x <> 1 AND CAST(y AS integer) > 2")
        #expect(try Parser.parseStatement("select 1 fetch first 3 rows only").sql == "SELECT 1 LIMIT 3")
        #expect(try Parser.parseStatement("SELECT (a + b) * c, a + (b * c), (a = b) = c").sql == "SELECT (a + b) * c, a + b * c, (a = b) = c")
        #expect(try Parser.parseStatement("SELECT \"a\", \"A\", \"select\"").sql == "SELECT a, \"A\", \"select\"")
        #expect(try Parser.parseStatement("CREATE TABLE t (a int DEFAULT 1 + 2)").sql == "CREATE TABLE t (a integer DEFAULT (1 + 2))")
        #expect(try Parser.parseStatement("explain analyse verbose select 1").sql == "EXPLAIN (ANALYZE, VERBOSE) SELECT 1")
        #expect(try Parser.parseStatement("set local Hnsw.EF_Search to 5").sql == "SET LOCAL hnsw.ef_search = 5")
    }
}
