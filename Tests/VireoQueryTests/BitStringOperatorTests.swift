import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// The bit-string operators and functions of PostgreSQL 15 (`&`, `|`, `#`, `~`, `<<`, `>>`,
/// get_bit, set_bit, bit_count, length, the integer casts, substring, position, overlay),
/// and prefix `~` of integers. Each expectation was taken from PostgreSQL 15.
@Suite("Bit-string operators and functions")
struct BitStringOperatorTests {
    private static func failure(_ db: Database, _ sql: String) -> String {
        guard let error = sqlError(db, sql) else { return "no error" }
        return "\(error.sqlState): \(error.message)"
    }

    @Test("&, |, #, ~, << and >> on bit strings keep the length and give bit")
    func operators() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT B'1010' & B'0110', B'1010' | B'0110', B'1010' # B'0110', ~B'1010', B'1010' << 1, B'1010' >> 2,
                   B'1010'::varbit << 1, B'1010' << -1, B'1010' >> 10, pg_typeof(B'1010' & B'0110'), pg_typeof(B'1'::varbit & B'1'),
                   B'1010' & '0110', B'1010' << 1::smallint
            """) == [["0010", "1110", "1100", "0101", "0100", "0010", "0100", "0101", "0000", "bit", "bit", "0010", "0100"]])
        #expect(Self.failure(db, "SELECT B'10' & B'101'") == "22026: cannot AND bit strings of different sizes")
        #expect(Self.failure(db, "SELECT B'10' | B'101'") == "22026: cannot OR bit strings of different sizes")
        #expect(Self.failure(db, "SELECT B'10' # B'101'") == "22026: cannot XOR bit strings of different sizes")
        #expect(Self.failure(db, "SELECT B'10' & 1").hasPrefix("42883"))
    }

    @Test("prefix ~ flips an integer's bits in its own type; an untyped operand is ambiguous")
    func integerNot() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SELECT ~ 5, ~ 5 + 1, ~(-1)::smallint, pg_typeof(~5::smallint), ~5::bigint")
                == [["-6", "-7", "0", "smallint", "-6"]])
        #expect(Self.failure(db, "SELECT ~'5'").hasPrefix("42725"))
    }

    @Test("bit functions and the integer casts")
    func functions() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, """
            SELECT get_bit(B'1010', 0), set_bit(B'1010', 1, 1), bit_count(B'1010'), length(B'1010'), octet_length(B'1010101010'),
                   bit_length(B'101'), B'101'::int, substring(B'1010' from 2 for 2), position(B'01' in B'1010'),
                   overlay(B'1010' placing B'11' from 2 for 1), substring(B'1010', 2)
            """) == [["1", "1110", "2", "4", "2", "3", "5", "01", "2", "11110", "010"]])
        #expect(try rows(db, """
            SELECT 5::bit(4), (-1)::bit(3), 300::bit(8), B'11111111111111111111111111111111'::int, B'0101'::bigint, (-2)::bit(40)
            """) == [["0101", "111", "00101100", "-1", "5", "1111111111111111111111111111111111111110"]])
        #expect(Self.failure(db, "SELECT get_bit(B'101', 3)") == "2202E: bit index 3 out of valid range (0..2)")
        #expect(Self.failure(db, "SELECT set_bit(B'101', 0, 2)") == "22023: new bit must be 0 or 1")
        #expect(Self.failure(db, "SELECT B'1'::bit(40)::int") == "22003: integer out of range")
        #expect(Self.failure(db, "SELECT (-2)::smallint::bit(4)").hasPrefix("42846"))
    }
}
