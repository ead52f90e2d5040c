import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// pgvector 0.8's SQL beyond its operators: the casts between arrays and vectors, and
/// vectors compared, sorted, grouped and deduplicated as its btree operator class orders them.
@Suite("SQL: pgvector compatibility (array casts, vector ordering)")
struct PgvectorCompatTests {
    @Test("arrays of integer, real, double precision and numeric cast to vector, and vector to real[]")
    func arrayCasts() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT ARRAY[1,2,3]::vector, '{1,2,3}'::real[]::vector, ARRAY[1.5,2.25]::vector(2)") == [["[1,2,3]", "[1,2,3]", "[1.5,2.25]"]])
        #expect(try rows(db, "SELECT ARRAY[0.1,2]::double precision[]::vector, '{0.1,2}'::numeric[]::vector, '{4,5}'::integer[]::vector") == [["[0.1,2]", "[0.1,2]", "[4,5]"]])
        #expect(try rows(db, "SELECT '[1,2.5,3]'::vector::real[], array_length('[1,2,3]'::vector::real[], 1)") == [["{1,2.5,3}", "3"]])
        #expect(try rows(db, "SELECT ('[1,2.5]'::vector::real[])[2], CAST(ARRAY[1,2] AS vector) <-> '[1,3]'") == [["2.5", "1"]])
        try db.execute("CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3))")
        // pgvector declares the array-to-vector casts AS ASSIGNMENT: an INSERT or UPDATE takes an array.
        try db.execute("INSERT INTO items (embedding) VALUES (ARRAY[1,2,3]), ('{4,5,6}'::real[]), ($1)", [.array([.double(7), .double(8), .double(9.5)])])
        try db.execute("UPDATE items SET embedding = ARRAY[0.5,1,1]::numeric[] WHERE id = 1")
        #expect(try rows(db, "SELECT id, embedding, embedding::real[] FROM items ORDER BY id") == [
            ["1", "[0.5,1,1]", "{0.5,1,1}"], ["2", "[4,5,6]", "{4,5,6}"], ["3", "[7,8,9.5]", "{7,8,9.5}"],
        ])
        #expect(sqlError(db, "INSERT INTO items (embedding) VALUES (ARRAY[1,2])")?.message == "expected 3 dimensions, not 2")
    }

    @Test("vectors compare, sort, group and deduplicate as pgvector's btree class orders them")
    func vectorOrdering() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (id int PRIMARY KEY, emb vector(3))")
        try db.execute("INSERT INTO t VALUES (1, '[1,2,3]'), (2, '[1,2]'::vector || '[4]'), (3, '[1,2,3]'), (4, '[0,9,9]'), (5, '[1,2,3.5]'), (6, NULL)")
        #expect(try rows(db, "SELECT id FROM t WHERE emb IN ('[1,2,3]') ORDER BY id") == [["1"], ["3"]])
        #expect(try rows(db, "SELECT id FROM t WHERE emb <> '[1,2,3]' ORDER BY id") == [["2"], ["4"], ["5"]])
        #expect(try rows(db, "SELECT id FROM t WHERE emb NOT IN ('[1,2,3]', '[0,9,9]') ORDER BY id") == [["2"], ["5"]])
        #expect(try rows(db, "SELECT id FROM t WHERE emb = ANY(ARRAY['[1,2,3]'::vector, '[0,9,9]']) ORDER BY id") == [["1"], ["3"], ["4"]])
        // A literal of another dimension is a vector to compare with, not one to store: no match, no error.
        #expect(try rows(db, "SELECT count(*) FROM t WHERE emb = '[1,2]'") == [["0"]])
        #expect(try rows(db, "SELECT id FROM t ORDER BY emb, id") == [["4"], ["1"], ["3"], ["5"], ["2"], ["6"]])
        #expect(try rows(db, "SELECT DISTINCT emb FROM t ORDER BY emb DESC NULLS LAST") == [["[1,2,4]"], ["[1,2,3.5]"], ["[1,2,3]"], ["[0,9,9]"], ["NULL"]])
        #expect(try rows(db, "SELECT emb, count(*) FROM t WHERE emb IS NOT NULL GROUP BY emb ORDER BY emb") == [
            ["[0,9,9]", "1"], ["[1,2,3]", "2"], ["[1,2,3.5]", "1"], ["[1,2,4]", "1"],
        ])
        #expect(try rows(db, "SELECT '[1,2]'::vector(2) UNION ALL SELECT '[1,2,3]'::vector(3)") == [["[1,2]"], ["[1,2,3]"]])
        // Element by element, then the shorter first.
        #expect(try rows(db, "SELECT '[1,2]'::vector < '[1,2,0]', '[2]'::vector > '[1,5]', '[1,2,3]'::vector = '[1,2,3]'") == [["t", "t", "t"]])
    }

    @Test("binary_quantize, bit strings and the Hamming and Jaccard distances")
    func bitStrings() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT binary_quantize('[1,-2,3,0]'), '1010'::bit(4), '101'::bit varying(5), 'x1F'::bit(8)") == [["1010", "1010", "101", "00011111"]])
        // An explicit cast cuts or zero-pads to the length; `bit` alone is bit(1).
        #expect(try rows(db, "SELECT binary_quantize('[1,-2,3,4,5]')::bit(3), '101'::bit(5), '101'::bit, '10101'::varbit(2)") == [["101", "10100", "1", "10"]])
        #expect(try rows(db, "SELECT '101'::bit(3) <~> '011', hamming_distance('1111', '0000'), '1100'::bit(4) <%> '1010', jaccard_distance('0000', '0000')") == [["2", "4", "0.6666666666666667", "1"]])
        #expect(try rows(db, "SELECT '101'::bit(3) = '101', '100'::bit(3) < '101', binary_quantize('[1,2]')::text") == [["t", "t", "11"]])
        #expect(try rows(db, "SELECT B'10'::bit(2) UNION ALL SELECT '101'::bit(3)") == [["10"], ["101"]])
        // Bit string constants: B'…' and X'…' (hex, 4 bits a digit).
        #expect(try rows(db, "SELECT B'1010', x'1F', B'101' <~> b'011', B'1100' <%> binary_quantize('[1,-1,1,-1]')") == [["1010", "00011111", "2", "0.6666666666666667"]])
        try db.execute("CREATE TABLE items (id int PRIMARY KEY, embedding vector(3))")
        try db.execute("INSERT INTO items VALUES (1, '[1,1,1]'), (2, '[2,-2,3]'), (3, '[-1,-2,-3]'), (4, '[1,-2,2.5]'), (5, '[-1,2,3]')")
        // pgvector's README: binary quantization, then re-ranking by the exact distance.
        let rerank = """
            SELECT id FROM (SELECT * FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]') LIMIT 3)
            ORDER BY embedding <=> '[1,-2,3]' LIMIT 2
            """
        #expect(try rows(db, rerank) == [["4"], ["2"]])
    }

    @Test("a parameter keeps the type its first use gave it: a function call, then a distance operator (LangChain's PGVectorStore)")
    func parameterTypedByFirstUse() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE items (id int, embedding vector(3))")
        try db.execute("INSERT INTO items VALUES (1, '[1,0,0]'), (2, '[0,1,0]')")
        let sql = "SELECT id, cosine_distance(embedding, $1) FROM items ORDER BY embedding <=> $1 LIMIT 2"
        #expect(try rows(db, sql, [.text("[0,1,0]")]).map { $0[0] } == ["2", "1"])
        #expect(try rows(db, "SELECT vector_dims($1), $1 <-> '[0,0,0]' FROM items LIMIT 1", [.text("[3,4,0]")]) == [["3", "5"]])
    }

    @Test("array casts and bit strings give pgvector's and PostgreSQL's errors", arguments: [
        ("SELECT ARRAY[1,NULL,3]::vector", "22004", "array must not contain nulls"),
        ("SELECT '{}'::real[]::vector", "22000", "vector must have at least 1 dimension"),
        ("SELECT ARRAY[1,2,3]::vector(2)", "22000", "expected 2 dimensions, not 3"),
        ("SELECT '{NaN,1}'::real[]::vector", "22000", "NaN not allowed in vector"),
        ("SELECT '{Infinity,1}'::double precision[]::vector", "22000", "infinite value not allowed in vector"),
        ("SELECT ARRAY[1e300,1]::double precision[]::vector", "22000", "infinite value not allowed in vector"),
        ("SELECT '{NaN,1}'::numeric[]::vector", "22000", "NaN not allowed in vector"),
        ("SELECT array_agg(g)::vector FROM generate_series(1, 16001) g", "54000", "vector cannot have more than 16000 dimensions"),
        ("SELECT ARRAY[1,2]::bigint[]::vector", "42846", "cannot cast type bigint[] to vector"),
        ("SELECT ARRAY['a']::vector", "42846", "cannot cast type text[] to vector"),
        ("SELECT '[1,2]'::vector::double precision[]", "42846", "cannot cast type vector to double precision[]"),
        ("SELECT '102'::bit(3)", "22P02", "\"2\" is not a valid binary digit"),
        ("SELECT 'xG'::varbit", "22P02", "\"G\" is not a valid hexadecimal digit"),
        ("SELECT B'12'", "22P02", "\"2\" is not a valid binary digit"),
        ("SELECT '101'::bit(3) <~> '1010'", "22000", "different bit lengths 3 and 4"),
        ("SELECT jaccard_distance('1', '10')", "22000", "different bit lengths 1 and 2"),
        ("SELECT 1.5::bit(3)", "42846", "cannot cast type numeric to bit"),
        ("SELECT '[1,2]'::vector <~> '[1,2]'", "42883", "operator does not exist: vector <~> unknown"),
    ])
    func errors(sql: String, sqlState: String, message: String) throws {
        let db = try Database.inMemory()
        let error = sqlError(db, sql)
        #expect(error?.sqlState == sqlState, "\(sql): expected \(sqlState), got \(String(describing: error))")
        #expect(error?.message == message, "\(sql): expected '\(message)', got \(String(describing: error?.message))")
    }
}
