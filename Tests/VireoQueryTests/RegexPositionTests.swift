import Testing
@testable import VireoQuery
import VireoStorage

/// PostgreSQL 15's regexp_count, regexp_instr, regexp_like and regexp_substr; every expected
/// value was read from PostgreSQL 15.18.
@Suite("regexp_count, regexp_instr, regexp_like, regexp_substr")
struct RegexPositionTests {
    @Test("counts, positions in characters, flags, occurrences and groups")
    func answers() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT regexp_count('banana', 'a'), regexp_count('banana', 'a', 3), regexp_count('ABCabc', 'b', 1, 'i'), regexp_count('héhé', 'é')")
                == ["3", "2", "2", "2"])
        #expect(try typedValues(session, """
            SELECT regexp_instr('banana', 'an'), regexp_instr('banana', 'an', 1, 2), regexp_instr('banana', 'an', 1, 2, 1),
                   regexp_instr('banana', 'x'), regexp_instr('héllo wörld', 'w(ö)', 1, 1, 0, '', 1)
            """) == ["2", "4", "6", "0", "8"])
        #expect(try typedValues(session, "SELECT regexp_like('banana', 'an+'), regexp_like('Banana', '^b', 'i'), regexp_like('banana', 'x')") == ["t", "t", "f"])
        #expect(try typedValues(session, """
            SELECT regexp_substr('banana', 'an+'), regexp_substr('banana', 'an', 1, 2), regexp_substr('banana', 'x'),
                   regexp_substr('abc123def', '([a-z]+)([0-9]+)', 1, 1, '', 2)
            """) == ["an", "an", "NULL", "123"])
        #expect(try typedValues(session, "SELECT regexp_substr('abc', 'b', 1, 1, '', 5), regexp_count('abc', 'b', 10), regexp_count(NULL, 'b')") == ["NULL", "0", "NULL"])
    }

    @Test("PostgreSQL's errors for a bad start, occurrence, endoption or the g flag")
    func errors() throws {
        let session = try Database.inMemory().session()
        let cases = [("SELECT regexp_count('banana', 'a', 0)", "invalid value for parameter \"start\": 0"),
                     ("SELECT regexp_count('banana', 'a', 1, 'g')", "regexp_count() does not support the \"global\" option"),
                     ("SELECT regexp_instr('banana', 'an', 1, 0)", "invalid value for parameter \"n\": 0"),
                     ("SELECT regexp_instr('banana', 'an', 1, 1, 2)", "invalid value for parameter \"endoption\": 2")]
        for (sql, message) in cases {
            do {
                _ = try session.execute(sql)
                Issue.record("\(sql) succeeded")
            } catch let error as VireoError {
                #expect(error.sqlState == "22023" && error.message == message, "\(sql): \(error)")
            }
        }
    }
}
