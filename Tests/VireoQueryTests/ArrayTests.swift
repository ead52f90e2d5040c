import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Arrays (one-dimensional here; MultidimensionalArrayTests has the others) with PostgreSQL's text form, operators, functions and errors, in
/// expressions and in table columns that survive a reopen.
@Suite("Arrays")
struct ArrayTests {
    private func text(_ session: Session, _ sql: String) throws -> [String] { try typedLines(session, sql) }

    private func sqlState(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as VireoError { return error.sqlState } catch { return "not a VireoError" }
        return nil
    }

    @Test("constructors, literals, casts and subscripts")
    func constructors() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, "SELECT ARRAY[1,2,3], ARRAY['a','b c',NULL], '{1, 2 ,3}'::int[], '{}'::text[]")
                == ["{1,2,3}|{a,\"b c\",NULL}|{1,2,3}|{}"])
        #expect(try text(session, "SELECT (ARRAY[1,2,3])[2], (ARRAY[1,2,3])[5], (ARRAY[1,2,3])[2:], (ARRAY[1,2,3])[:1], (ARRAY[1,2,3])[3:2]")
                == ["2|NULL|{2,3}|{1}|{}"])
        #expect(try text(session, #"SELECT '{"a\"b", "NULL", NULL, " x "}'::text[]"#) == [#"{"a\"b","NULL",NULL," x "}"#])
        #expect(try text(session, "SELECT ARRAY[1.5, 2]::real[], ARRAY['2024-02-29'::date], ARRAY[]::int[]")
                == ["{1.5,2}|{2024-02-29}|{}"])
        #expect(try session.execute("SELECT ARRAY[1], '{1}'::int[], (ARRAY[1])[1]").columns.map(\.name) == ["array", "int4", "array"])
    }

    @Test("ANY and ALL follow three-valued logic, over arrays and subqueries")
    func quantified() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, "SELECT 2 = ANY(ARRAY[1,2]), 5 = ANY('{1,2}'), 1 < ALL(ARRAY[2,3]), 3 = ANY(ARRAY[1,NULL]), 1 = ANY(ARRAY[1,NULL])")
                == ["t|f|t|NULL|t"])
        #expect(try text(session, "SELECT 1 = ANY('{}'::int[]), 1 = ALL('{}'::int[]), 1 <> ALL(ARRAY[2,NULL]), NULL::int = ANY(ARRAY[1])")
                == ["f|t|NULL|NULL"])
        #expect(try text(session, "SELECT 2 = ANY(SELECT generate_series(1, 3)), 'ab' ~ ANY(ARRAY['^a', 'z'])") == ["t|t"])
    }

    @Test("parameters take the array type ANY needs")
    func parameters() throws {
        let session = try Database.inMemory().session()
        let result = try session.execute("SELECT x FROM generate_series(1, 5) x WHERE x = ANY($1) ORDER BY x",
                                         [.text("{2,4,9}")])
        #expect(result.rows == [[.int(2)], [.int(4)]])
        let array = try session.execute("SELECT x FROM generate_series(1, 5) x WHERE x = ANY($1)", [.array([.int(3)])])
        #expect(array.rows == [[.int(3)]])
    }

    @Test("operators and functions")
    func functions() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, "SELECT ARRAY[1,2] || 3, 0 || ARRAY[1], ARRAY[1] || ARRAY[2,3], ARRAY[1,2] @> ARRAY[2], ARRAY[1] <@ ARRAY[2], ARRAY[1,2] && ARRAY[2,9]")
                == ["{1,2,3}|{0,1}|{1,2,3}|t|f|t"])
        #expect(try text(session, "SELECT ARRAY[1,NULL] @> ARRAY[NULL::int], ARRAY[1,2] = ARRAY[1,2], ARRAY[1,2] < ARRAY[1,2,0], ARRAY[1,NULL] > ARRAY[1,2]")
                == ["f|t|t|t"])
        #expect(try text(session, "SELECT array_length(ARRAY[1,2,3], 1), array_length('{}'::int[], 1), cardinality('{}'::int[]), array_upper(ARRAY[4], 1), array_dims(ARRAY[1,2])")
                == ["3|NULL|0|1|[1:2]"])
        #expect(try text(session, "SELECT array_to_string(ARRAY[1,NULL,3], ','), array_to_string(ARRAY[1,NULL,3], ',', '*'), string_to_array('a,b,,c', ','), string_to_array('a,N', ',', 'N')")
                == ["1,3|1,*,3|{a,b,\"\",c}|{a,NULL}"])
        #expect(try text(session, "SELECT array_position(ARRAY['a','b','a'], 'a', 2), array_positions(ARRAY[1,2,1], 1), array_remove(ARRAY[1,NULL,1], 1), array_replace(ARRAY[1,2], 2, 9), array_append(NULL::int[], 1), array_cat(ARRAY[1], NULL)")
                == ["3|{1,3}|{NULL}|{1,9}|{1}|{1}"])
    }

    @Test("unnest and array_agg")
    func unnestAndAggregate() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, "SELECT unnest(ARRAY['x','y'])") == ["x", "y"])
        #expect(try text(session, "SELECT * FROM unnest(ARRAY[1,2], ARRAY['a','b','c']) WITH ORDINALITY") == ["1|a|1", "2|b|2", "NULL|c|3"])
        #expect(try text(session, "SELECT array_agg(x ORDER BY x DESC), array_agg(NULLIF(x, 2)) FROM generate_series(1, 3) x")
                == ["{3,2,1}|{1,NULL,3}"])
        #expect(try text(session, "SELECT array_agg(x) FROM generate_series(1, 0) x") == ["NULL"])
        #expect(try text(session, "SELECT ARRAY(SELECT x * 2 FROM generate_series(1, 3) x)") == ["{2,4,6}"])
    }

    @Test("set-returning functions of one select list run side by side; generate_subscripts")
    func setReturningFunctionsSideBySide() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, "SELECT unnest(ARRAY[10,20,30]) AS v, generate_subscripts(ARRAY[10,20,30], 1) AS i, 'x'")
                == ["10|1|x", "20|2|x", "30|3|x"])
        #expect(try text(session, "SELECT generate_series(1, 3), unnest(ARRAY['a'])") == ["1|a", "2|NULL", "3|NULL"])
        #expect(try text(session, "SELECT generate_subscripts(ARRAY['a','b'], 1, true)") == ["2", "1"])
        #expect(try text(session, "SELECT generate_subscripts(ARRAY['a','b'], 2)").isEmpty, "a one-dimensional array has no second dimension")
        _ = try session.execute("CREATE TABLE t (id bigint PRIMARY KEY, a int, b int)")
        _ = try session.execute("CREATE INDEX t_b_a ON t (b, a)")
        let keys = "SELECT unnest(i.indkey) AS k, generate_subscripts(i.indkey, 1) AS o, i.indkey[0], i.indkey::text FROM pg_index i "
            + "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 't_b_a' ORDER BY o"
        #expect(try text(session, keys) == ["3|0|3|3 2", "2|1|3|3 2"], "an int2vector's subscripts start at 0, as PostgreSQL's do")
        #expect(try text(session, "SELECT '1 2'::int2vector::text, ('7 8'::int2vector)[1]") == ["1 2|8"])
        #expect(throws: VireoError.self) { try session.execute("SELECT '1 70000'::int2vector") }
    }

    @Test("regexp_matches gives one text[] row per match (every match with g), in FROM and in a select list")
    func regexpMatches() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, #"SELECT regexp_matches('a1b22', '\d+', 'g')"#) == ["{1}", "{22}"])
        #expect(try text(session, #"SELECT regexp_matches('a1b22', '\d+')"#) == ["{1}"])
        #expect(try text(session, #"SELECT regexp_matches('a1b22', '([a-z])(\d+)', 'g')"#) == ["{a,1}", "{b,22}"])
        #expect(try text(session, "SELECT regexp_matches('abc', 'x', 'g')").isEmpty)
        #expect(try text(session, #"SELECT * FROM regexp_matches('a1b22', '(\d)(x)?', 'g') AS m"#) == ["{1,NULL}", "{2,NULL}", "{2,NULL}"])
        #expect(try text(session, #"SELECT m[1] FROM regexp_matches('A1a2', 'a(\d)', 'gi') m"#) == ["1", "2"])
        #expect(try text(session, "SELECT regexp_matches('aaa', '', 'g')") == [#"{""}"#, #"{""}"#, #"{""}"#, #"{""}"#])
        #expect(sqlState { try session.execute(#"SELECT regexp_matches('a1', '\d', 'z')"#) } == "22023")
        let result = try session.execute(#"SELECT regexp_matches('a1', '\d')"#)
        #expect(result.columns.map(\.name) == ["regexp_matches"] && result.columns.first?.type == .array(.text))
    }

    @Test("a set-returning function inside a select-list expression (cast, operator, function, subscript) gives its rows")
    func setReturningFunctionInsideExpressions() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, "SELECT generate_series('2024-01-01'::date, '2024-01-03', '1 day')::date") == ["2024-01-01", "2024-01-02", "2024-01-03"])
        #expect(try text(session, #"SELECT generate_series(1,3) * 10 AS x, upper(unnest(ARRAY['a','b'])), (regexp_matches('a1b22', '\d+', 'g'))[1]"#)
                == ["10|A|1", "20|B|22", "30|NULL|NULL"])
        let result = try session.execute("SELECT 1 + generate_series(1,2), 'k', (regexp_matches('x9y8', '(\\w)(\\d)', 'g'))[2] AS d")
        #expect(result.columns.map(\.name) == ["?column?", "?column?", "d"])
        #expect(try text(session, "SELECT 1 + generate_series(1,2), 'k', (regexp_matches('x9y8', '(\\w)(\\d)', 'g'))[2] AS d") == ["2|k|9", "3|k|8"])
        #expect(sqlState { try session.execute("SELECT coalesce(generate_series(1,2), 0)") } == "0A000")
        #expect(sqlState { try session.execute("SELECT x FROM generate_series(1,3) x WHERE x > generate_series(1,2)") } == "0A000")
    }

    @Test("array columns are stored, indexed, compared and kept across a reopen")
    func columns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-arrays-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.vireo").path
        do {
            let db = try Database.open(path: path)
            let session = db.session()
            try session.execute("CREATE TABLE t (id int PRIMARY KEY, tags text[], nums smallint[] NOT NULL)")
            try session.execute("CREATE INDEX t_nums ON t (nums)")
            try session.execute("INSERT INTO t VALUES (1, '{a,b}', ARRAY[1,2]), (2, ARRAY['c'], '{3,NULL}'), (3, NULL, '{}')")
            #expect(sqlState { try session.execute("INSERT INTO t VALUES (4, NULL, '{70000}')") } == "22003")
            #expect(sqlState { try session.execute("INSERT INTO t VALUES (4, NULL, '[0:0]={1}')") } == "0A000")
            #expect(sqlState { try session.execute("INSERT INTO t VALUES (4, NULL, '{1')") } == "22P02")
            try db.close()
        }
        let session = try Database.open(path: path).session()
        #expect(try text(session, "SELECT id FROM t WHERE 'a' = ANY(tags)") == ["1"])
        #expect(try text(session, "SELECT id, nums FROM t ORDER BY nums") == ["3|{}", "1|{1,2}", "2|{3,NULL}"])
        #expect(try text(session, "SELECT id FROM t WHERE nums = '{1,2}'") == ["1"])
        #expect(try text(session, "UPDATE t SET tags = tags || 'z'::text WHERE id = 1 RETURNING tags") == ["{a,b,z}"])
        #expect(try text(session, "SELECT id, t FROM t, unnest(tags) t ORDER BY 1, 2") == ["1|a", "1|b", "1|z", "2|c"])
    }

    @Test("errors name what is wrong, with PostgreSQL's SQLSTATEs")
    func errors() throws {
        let session = try Database.inMemory().session()
        #expect(sqlState { try session.execute("SELECT ARRAY[]") } == "42P18")
        #expect(sqlState { try session.execute("SELECT '{{1,2},{3}}'::int[]") } == "22P02")
        #expect(sqlState { try session.execute("SELECT '{1,2'::int[]") } == "22P02")
        #expect(sqlState { try session.execute("SELECT '{a}'::int[]") } == "22P02")
        #expect(sqlState { try session.execute("SELECT (1)[1]") } == "42804")
        #expect(sqlState { try session.execute("SELECT 1 = ANY(1)") } == "42809")
        #expect(sqlState { try session.execute("SELECT ARRAY[1] || 'x'::text") } == "42883")
        #expect(sqlState { try session.execute("SELECT ARRAY[1, ARRAY[2]]") } == "42804")
    }
}
