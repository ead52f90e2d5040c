import Testing
@testable import VireoQuery
import VireoStorage

/// PostgreSQL's other spellings of operators and queries: the prefix roots `|/` and `||/`,
/// `^@`, LIKE's operators `~~ ~~* !~~ !~~*` and `LIKE ANY/ALL (…)`, `TABLE name`, and the
/// built-in array types' internal names (`_int4`).
@Suite("Operator spellings: prefix roots, ^@, ~~, LIKE ANY, TABLE")
struct OperatorSpellingTests {
    @Test("|/ and ||/ take the square and cube root of a double precision, named ?column?")
    func prefixRoots() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT |/ 25.0, ||/ 27.0 < 3.0001, (|/ 16) + 1, pg_typeof(|/ 4.0)") == ["5", "t", "5", "double precision"])
        #expect(try session.execute("SELECT |/ 9, @ -2, ~ 1").columns.map(\.name) == ["?column?", "?column?", "?column?"])
        #expect(sqlError(session, "SELECT |/ -1.0")?.sqlState == "2201F")
        #expect(try typedValues(session, "SELECT dsqrt(2.25), dcbrt(8)") == ["1.5", "2"])
    }

    @Test("^@ is starts_with on text")
    func startsWith() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT 'abc' ^@ 'ab', 'abc' ^@ 'b', NULL::text ^@ 'a'") == ["t", "f", "NULL"])
        #expect(sqlError(session, "SELECT 1 ^@ 2")?.sqlState == "42883")
    }

    @Test("~~, ~~*, !~~ and !~~* are LIKE, ILIKE and their negations")
    func likeOperators() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT 'abc' ~~ 'a%', 'abc' ~~* 'A_C', 'abc' !~~ 'a%', 'abc' !~~* 'X%', 'a_c' ~~ 'a\\_c'")
                == ["t", "t", "f", "t", "t"])
    }

    @Test("LIKE ANY / ALL over an array or a query, with NULLs as PostgreSQL counts them")
    func quantifiedLike() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT 'abc' LIKE ANY (ARRAY['a%', 'x%']), 'abc' LIKE ALL (ARRAY['a%', 'x%']), 'abc' NOT LIKE ALL (ARRAY['x%', 'y%'])")
                == ["t", "f", "t"])
        #expect(try typedValues(session, "SELECT 'ABC' ILIKE SOME (ARRAY['a%']), 'abc' NOT ILIKE ANY (ARRAY['A%', 'B%']), 'abc' LIKE ANY ('{}'::text[])")
                == ["t", "t", "f"])
        #expect(try typedValues(session, "SELECT 'abc' LIKE ANY (ARRAY['x%', NULL]), 'abc' LIKE ANY (ARRAY['a%', NULL]), 'abc' LIKE ALL (ARRAY['a%', NULL])")
                == ["NULL", "t", "NULL"])
        try session.execute("CREATE TABLE words (w text); INSERT INTO words VALUES ('apple'), ('banana'), ('cherry'), (NULL)")
        #expect(try typedValues(session, "SELECT w FROM words WHERE w LIKE ANY (ARRAY['a%', '%rr%']) ORDER BY w") == ["apple", "cherry"])
        #expect(try typedValues(session, "SELECT w FROM words WHERE w NOT LIKE ALL (SELECT 'b%' UNION SELECT 'c%') ORDER BY w") == ["apple"])
        #expect(try typedValues(session, "SELECT count(*) FROM words WHERE w LIKE ANY ($$%a%$$::text || ARRAY[]::text[])") == ["2"])
    }

    @Test("TABLE name is SELECT * FROM name, also as a subquery and with ORDER BY / LIMIT")
    func tableQuery() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (a int, b text); INSERT INTO t VALUES (2, 'y'), (1, 'x')")
        #expect(try typedLines(session, "TABLE t ORDER BY a") == ["1|x", "2|y"])
        #expect(try typedValues(session, "TABLE t ORDER BY a DESC LIMIT 1") == ["2", "y"])
        #expect(try typedValues(session, "SELECT count(*) FROM (TABLE t) s") == ["2"])
        #expect(try typedValues(session, "SELECT 1 WHERE (2, 'y') IN (TABLE t)") == ["1"])
        #expect(sqlError(session, "TABLE nosuch")?.sqlState == "42P01")
    }

    @Test("_int4, _text and the other internal array type names are the array types")
    func internalArrayNames() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT '{1,2}'::_int4, pg_typeof('{a}'::_text), pg_typeof('{1}'::_int8), pg_typeof('{2024-01-02}'::_date)")
                == ["{1,2}", "text[]", "bigint[]", "date[]"])
        try session.execute("CREATE TABLE arrays (a _float8, b _numeric)")
        try session.execute("INSERT INTO arrays VALUES ('{1.5}', '{2.25}')")
        #expect(try typedValues(session, "SELECT a[1] * 2, b[1] FROM arrays") == ["3", "2.25"])
        #expect(sqlError(session, "SELECT '{1}'::_nosuch")?.sqlState == "42704")
    }

    @Test("width_bucket over an array of thresholds counts those at most the operand")
    func widthBucketThresholds() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT width_bucket(3, ARRAY[1, 4, 7]), width_bucket(0, ARRAY[1, 4, 7]), width_bucket(7, ARRAY[1, 4, 7]), width_bucket(5.5, 0, 10, 4)")
                == ["1", "0", "3", "3"])
        #expect(try typedValues(session, "SELECT width_bucket('m'::text, ARRAY['a', 'n', 'z']), width_bucket(2.5, ARRAY[]::numeric[])") == ["1", "0"])
        #expect(sqlError(session, "SELECT width_bucket(3, ARRAY[1, NULL])")?.sqlState == "22004")
        #expect(sqlError(session, "SELECT width_bucket(3, ARRAY[[1, 2], [3, 4]])")?.sqlState == "2202E")
    }
}
