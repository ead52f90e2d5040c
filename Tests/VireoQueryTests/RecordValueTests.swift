import Testing
@testable import VireoQuery
import VireoStorage

/// Records as values: `ROW(a, b)` and `(a, b)` outside a comparison, and a FROM entry's name
/// as its whole row, printed as PostgreSQL's record_out prints them, each field in its own
/// type's text; a whole row is NULL where an outer join added it.
@Suite("Record values: ROW(…) and whole-row references")
struct RecordValueTests {
    @Test("ROW(…) and (a, b) in a select list print as records, fields f1, f2, …")
    func rowConstructors() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT ROW(1, 'a b', NULL, date '2024-01-02', 1.5::real, true), (1, 2), ROW()")
                == ["(1,\"a b\",,2024-01-02,1.5,t)", "(1,2)", "()"])
        #expect(try typedValues(session, "SELECT pg_typeof(ROW(1)), (ROW(1, 'x')).f2, ROW(1, 2) IS NULL") == ["record", "x", "f"])
        #expect(try typedValues(session, "SELECT ROW('{1,2}'::int[], 'q\"uote', '')") == ["(\"{1,2}\",\"q\"\"uote\",\"\")"])
        // Cast to text, a row is its output text too (it read as an array's `{…}`).
        #expect(try typedValues(session, "SELECT ROW(2, 'x y', true)::text, CAST((1, NULL) AS text)") == ["(2,\"x y\",t)", "(1,)"])
    }

    @Test("a FROM entry's name is its whole row; NULL where an outer join added it")
    func wholeRows() throws {
        let session = try Database.inMemory().session()
        try session.execute("""
            CREATE TABLE people (id int PRIMARY KEY, name text, born date);
            CREATE TABLE pets (owner int, pet text);
            INSERT INTO people VALUES (1, 'Ann', '1970-01-02'), (2, 'Bob', NULL);
            INSERT INTO pets VALUES (1, 'cat');
            """)
        #expect(try typedValues(session, "SELECT p FROM people p ORDER BY id") == ["(1,Ann,1970-01-02)", "(2,Bob,)"])
        #expect(try typedValues(session, "SELECT people FROM people WHERE id = 2") == ["(2,Bob,)"])
        #expect(try typedValues(session, "SELECT (p).name, (p).born FROM people p WHERE id = 1") == ["Ann", "1970-01-02"])
        #expect(try typedValues(session, "SELECT x, x IS NULL FROM people p LEFT JOIN pets x ON x.owner = p.id ORDER BY p.id")
                == ["(1,cat)", "f", "NULL", "t"])
        #expect(try typedValues(session, "SELECT count(DISTINCT p) FROM people p") == ["2"])
        #expect(try typedValues(session, "SELECT s FROM (SELECT id, upper(name) AS n FROM people) s ORDER BY s.id") == ["(1,ANN)", "(2,BOB)"])
        // A column of the entry's name is the column, as in PostgreSQL.
        try session.execute("CREATE TABLE t (t int); INSERT INTO t VALUES (5)")
        #expect(try typedValues(session, "SELECT t FROM t") == ["5"])
        #expect(sqlError(session, "SELECT nosuch FROM people")?.sqlState == "42703")
    }
}
