import Testing
@testable import VireoQuery
import VireoStorage

/// regexp_split_to_table and string_to_table, as PostgreSQL 15 answers them (each expected
/// row was read from PostgreSQL 15.18).
@Suite("Splitting text into rows")
struct SplitToTableTests {
    private func column(_ session: Session, _ sql: String) throws -> [String] {
        let result = try session.execute(sql)
        return result.rows.map { $0[0].text(as: result.columns[0].type) ?? "NULL" }
    }

    @Test("in FROM and in a select list, with flags, null strings and ordinality")
    func splits() throws {
        let session = try Database.inMemory().session()
        #expect(try column(session, "SELECT regexp_split_to_table('a,b,,c', ',')") == ["a", "b", "", "c"])
        #expect(try column(session, "SELECT * FROM regexp_split_to_table('the quick  brown', '\\s+')") == ["the", "quick", "brown"])
        #expect(try column(session, "SELECT x FROM regexp_split_to_table('aXbxc', 'x', 'i') AS x") == ["a", "b", "c"])
        #expect(try column(session, "SELECT string_to_table('a b c', ' ')") == ["a", "b", "c"])
        #expect(try column(session, "SELECT string_to_table('a,N,c', ',', 'N')") == ["a", "NULL", "c"])
        #expect(try column(session, "SELECT string_to_table('abc', NULL)") == ["a", "b", "c"])
        #expect(try column(session, "SELECT string_to_table('', ',')") == [])
        #expect(try column(session, "SELECT string_to_table(NULL, ',')") == [])
        #expect(try column(session, "SELECT n || ':' || w FROM string_to_table('x,y', ',') WITH ORDINALITY AS s(w, n)") == ["1:x", "2:y"])
        #expect(try column(session, "SELECT pg_typeof(regexp_split_to_table('a', ','))::text") == ["text"])
    }
}
