import Testing
@testable import VireoQuery
import VireoStorage

@Suite("Planner: an aggregate's input decodes only the columns its keys, arguments and WHERE read")
struct AggregateColumnTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE t (id bigint PRIMARY KEY, g int, v int, s text, sep text, unused text);
            INSERT INTO t VALUES (1, 1, 10, 'a', '-', 'u'), (2, 1, 20, 'b', '-', 'u'),
                                 (3, 2, 30, 'c', '+', 'u'), (4, 2, NULL, 'd', '+', 'u');
            """)
        return db
    }

    @Test("every column an aggregation reads is decoded: group keys, arguments, FILTER, ORDER BY, second arguments")
    func columnsReadByTheAggregation() throws {
        let db = try database()
        #expect(try rows(db, "SELECT g, count(*), sum(v) FROM t GROUP BY g ORDER BY g") == [["1", "2", "30"], ["2", "2", "30"]])
        #expect(try rows(db, "SELECT count(*) FILTER (WHERE s > 'a') FROM t") == [["3"]])
        #expect(try rows(db, "SELECT string_agg(s, sep ORDER BY v DESC) FROM t WHERE g = 1") == [["b-a"]])
        #expect(try rows(db, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM t") == [["20"]])
        #expect(try rows(db, "SELECT jsonb_object_agg(s, v) FROM t WHERE g = 1") == [[#"{"a": 10, "b": 20}"#]])
        #expect(try rows(db, "SELECT g FROM t WHERE s IN ('a', 'c') GROUP BY g HAVING max(v) > 10 ORDER BY 1") == [["2"]])
        #expect(try rows(db, "SELECT count(*) FROM t WHERE EXISTS (SELECT 1 FROM t u WHERE u.id = t.id + 1 AND u.s > t.s)") == [["3"]])
        #expect(try rows(db, "SELECT g, (SELECT max(u.v) FROM t u WHERE u.g = t.g) FROM t GROUP BY g ORDER BY 1") == [["1", "20"], ["2", "30"]])
    }
}
