import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Arrays of more than one dimension, as PostgreSQL 15 has them (every expected answer was
/// taken from PostgreSQL 15): literals, constructors, subscripts and slices, the dimension
/// functions, operators, aggregates, errors, and columns that keep them across a reopen.
@Suite("Multidimensional arrays")
struct MultidimensionalArrayTests {
    private func text(_ session: Session, _ sql: String) throws -> [String] { try typedLines(session, sql) }


    @Test("literals and constructors of two and more dimensions print as PostgreSQL's")
    func literals() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, """
            SELECT '{{1,2},{3,4}}'::int[], ARRAY[[1,2],[3,4]], ARRAY[ARRAY['a','b c'],ARRAY[NULL,'d']], '{{{1},{2}}}'::int[], '[1:2]={5,6}'::int[]
            """) == [#"{{1,2},{3,4}}|{{1,2},{3,4}}|{{a,"b c"},{NULL,d}}|{{{1},{2}}}|{5,6}"#])
        #expect(try text(session, #"SELECT '{ { ",", 3 } , { 4, "" } }'::text[], '{{NULL,"NULL"}}'::text[]"#)
                == [#"{{",",3},{4,""}}|{{NULL,"NULL"}}"#])
        #expect(try text(session, "SELECT ARRAY(SELECT ARRAY[i, i * 10] FROM generate_series(1, 3) i)") == ["{{1,10},{2,20},{3,30}}"])
        #expect(try text(session, "SELECT array_agg(x) FROM (VALUES (ARRAY[1,2]), (ARRAY[3,4])) v(x)") == ["{{1,2},{3,4}}"])
        #expect(try text(session, "SELECT '{{1.5,2},{3,4}}'::float8[]::int[], ARRAY[['a','bc'],['def','hijk']]::text[]::varchar[]")
                == ["{{2,2},{3,4}}|{{a,bc},{def,hijk}}"])
    }

    @Test("subscripts, slices and the dimension functions")
    func subscripts() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, """
            SELECT a[2][1], a[1][3], a[1], a[1:1], a[2][1:1], a[1:2][2], a[:][2:], a[3:4], array_dims(a), array_ndims(a),
                   array_length(a, 2), array_length(a, 3), array_upper(a, 2), array_lower(a, 1), cardinality(a)
            FROM (SELECT '{{1,2,3},{4,5,6}}'::int[] AS a) s
            """) == ["4|3|NULL|{{1,2,3}}|{{1},{4}}|{{1,2},{4,5}}|{{2,3},{5,6}}|{}|[1:2][1:3]|2|3|NULL|3|1|6"])
        #expect(try text(session, "SELECT * FROM generate_subscripts('{{1,2,3},{4,5,6}}'::int[], 2)") == ["1", "2", "3"])
        #expect(try text(session, "SELECT * FROM generate_subscripts('{{1,2,3},{4,5,6}}'::int[], 1, true)") == ["2", "1"])
        #expect(try text(session, "SELECT unnest('{{1,2},{3,4}}'::int[])") == ["1", "2", "3", "4"])
    }

    @Test("operators and functions treat the elements in storage order")
    func operators() throws {
        let session = try Database.inMemory().session()
        #expect(try text(session, """
            SELECT 5 = ANY('{{1,2},{3,5}}'::int[]), 6 = ALL('{{6,6},{6,NULL}}'::int[]), ARRAY[[1,2],[3,4]] @> ARRAY[4,1], ARRAY[[1,2]] && ARRAY[[9,2]]
            """) == ["t|NULL|t|t"])
        #expect(try text(session, """
            SELECT ARRAY[[1,2],[3,4]] || ARRAY[5,6], ARRAY[5,6] || ARRAY[[1,2]], ARRAY[[1,2]] || ARRAY[[3,4]], array_cat(ARRAY[[1]], NULL), array_cat('{}'::int[], ARRAY[[7]])
            """) == ["{{1,2},{3,4},{5,6}}|{{5,6},{1,2}}|{{1,2},{3,4}}|{{1}}|{{7}}"])
        #expect(try text(session, """
            SELECT '{{1,2},{3,4}}'::int[] = '{1,2,3,4}'::int[], '{{1,2},{3,4}}'::int[] > '{1,2,3,4}'::int[], '{{1,2},{3,4}}'::int[] > '{{1,2,3,4}}'::int[], '{{1,2}}'::int[] < '{{1,3}}'::int[]
            """) == ["f|t|t|t"])
        #expect(try text(session, "SELECT array_to_string('{{1,NULL},{3,4}}'::int[], ',', '*'), array_replace('{{1,2},{3,2}}'::int[], 2, 9)")
                == ["1,*,3,4|{{1,9},{3,9}}"])
        #expect(try text(session, """
            SELECT array_fill(7, ARRAY[2,3]), array_fill('x'::text, ARRAY[2]), array_fill(NULL::int, ARRAY[1,2], ARRAY[1,1]), array_fill(1, '{}'::int[]), trim_array(ARRAY[[1,2],[3,4],[5,6]], 2), trim_array(ARRAY[1,2,3], 0)
            """) == ["{{7,7,7},{7,7,7}}|{x,x}|{{NULL,NULL}}|{}|{{1,2}}|{1,2,3}"])
        #expect(try text(session, "SELECT to_jsonb('{{1,2},{3,4}}'::int[])") == ["[[1, 2], [3, 4]]"])
    }

    @Test("errors carry PostgreSQL's SQLSTATEs")
    func errors() throws {
        let session = try Database.inMemory().session()
        let expected: [(String, String)] = [
            ("SELECT '{{1,2},{3}}'::int[]", "22P02"), ("SELECT '{{1},2}'::int[]", "22P02"), ("SELECT '{{},{}}'::text[]", "22P02"),
            ("SELECT '[1:3]={1,2}'::int[]", "22P02"), ("SELECT '{{{{{{{1}}}}}}}'::int[]", "54000"),
            ("SELECT ARRAY[[1,2],[3]]", "2202E"), ("SELECT ARRAY[ARRAY[1,2], ARRAY[3]]", "2202E"),
            ("SELECT array_cat(ARRAY[[1,2]], ARRAY[[1,2,3]])", "2202E"), ("SELECT ARRAY[[1,2]] || 3", "22000"),
            ("SELECT array_position(ARRAY[[1,2],[3,4]], 3)", "0A000"), ("SELECT array_remove(ARRAY[[1,2],[3,4]], 3)", "0A000"),
            ("SELECT array_agg(x) FROM (VALUES (ARRAY[1,2]), (ARRAY[3])) v(x)", "2202E"),
            ("SELECT array_agg(x) FROM (VALUES (ARRAY[1,2]), (NULL)) v(x)", "22004"),
            ("SELECT array_fill(1, NULL::int[])", "22004"), ("SELECT array_fill(1, ARRAY[2], ARRAY[1,1])", "2202E"),
            ("SELECT trim_array(ARRAY[1,2], 3)", "2202E"), ("SELECT ARRAY[1, ARRAY[2]]", "42804"),
            // Lower bounds other than 1 are not kept (PostgreSQL prints [0:1]={1,2}).
            ("SELECT '[0:1]={1,2}'::int[]", "0A000"),
        ]
        for (sql, state) in expected {
            #expect(sqlError(session, sql)?.sqlState == state, "\(sql)")
        }
    }

    @Test("columns keep multidimensional values across a reopen, beside one-dimensional ones")
    func columns() throws {
        try withTemporaryDirectory { directory in
            let db = try reopenedDatabase(directory, "a.vireo", after: """
                CREATE TABLE m (id int PRIMARY KEY, grid int[][], words text[]);
                INSERT INTO m VALUES (1, '{1,2}', '{a}'), (2, NULL, '{{x,y},{z,NULL}}'), (3, ARRAY[[1,2],[3,4]], '{}')
                """)
            let session = db.session()
            #expect(try text(session, "SELECT id, grid, words, array_dims(words), grid[2][1] FROM m ORDER BY id")
                    == ["1|{1,2}|{a}|[1:1]|NULL", "2|NULL|{{x,y},{z,NULL}}|[1:2][1:2]|NULL", "3|{{1,2},{3,4}}|{}|NULL|3"])
            #expect(try text(session, "SELECT id FROM m WHERE 3 = ANY(grid) OR 'z' = ANY(words) ORDER BY id") == ["2", "3"])
            #expect(try text(session, "SELECT id FROM m WHERE grid = '{{1,2},{3,4}}' ORDER BY id") == ["3"])
        }
    }
}
