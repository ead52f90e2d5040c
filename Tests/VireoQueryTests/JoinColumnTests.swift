import Testing
@testable import VireoQuery
import VireoStorage

@Suite("Planner: scans under joins decode only the columns the query and the join read")
struct JoinColumnTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE a (id bigint PRIMARY KEY, k int, x text, unused text);
            CREATE TABLE b (id bigint PRIMARY KEY, k int, y text, unused text);
            CREATE TABLE c (id bigint PRIMARY KEY, y text, z int);
            INSERT INTO a VALUES (1, 10, 'a1', 'u'), (2, 20, 'a2', 'u'), (3, 30, 'a3', 'u');
            INSERT INTO b VALUES (1, 10, 'p', 'u'), (2, 10, 'q', 'u'), (3, 40, 'r', 'u');
            INSERT INTO c VALUES (1, 'p', 100), (2, 'r', 300);
            """)
        return db
    }

    @Test("join keys, ON conditions and filters above the join read columns the select list does not name")
    func columnsReadByTheJoin() throws {
        let db = try database()
        #expect(try rows(db, "SELECT a.x FROM a JOIN b ON a.k = b.k ORDER BY b.y") == [["a1"], ["a1"]])
        #expect(try rows(db, "SELECT a.id FROM a JOIN b ON a.k = b.k AND b.y > 'p' ORDER BY 1") == [["1"]])
        #expect(try rows(db, "SELECT a.x FROM a LEFT JOIN b ON a.k = b.k WHERE b.id IS NULL ORDER BY 1") == [["a2"], ["a3"]])
        #expect(try rows(db, "SELECT k FROM a FULL JOIN b USING (k) ORDER BY 1") == [["10"], ["10"], ["20"], ["30"], ["40"]])
        #expect(try rows(db, "SELECT a.x FROM a, b WHERE a.k = b.k OR b.y = 'r' ORDER BY 1") == [["a1"], ["a1"], ["a1"], ["a2"], ["a3"]])
        #expect(try rows(db, "SELECT c.z FROM a JOIN b ON a.k = b.k JOIN c ON c.y = b.y WHERE a.id BETWEEN 1 AND 2") == [["100"]])
        #expect(try rows(db, "SELECT a.x FROM a JOIN b ON a.k = b.k WHERE EXISTS (SELECT 1 FROM c WHERE c.y = b.y)") == [["a1"]])
    }
}
