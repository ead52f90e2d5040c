import Foundation
import Testing
@testable import VireoStorage

/// Arrays in records (a nested record of the elements) and in keys (element by element,
/// NULL elements last, a prefix before its extensions).
@Suite("Arrays in the record and key formats")
struct ArrayCodecTests {
    /// In ascending order, as PostgreSQL's btree orders int8[].
    static let ordered: [[Value]] = [
        [], [.int(-5)], [.int(1)], [.int(1), .int(0)], [.int(1), .int(2)], [.int(1), .int(2), .int(0)],
        [.int(1), .null], [.int(2)], [.null], [.null, .int(1)],
    ]

    @Test("a record keeps elements, NULLs and empty arrays, next to other columns")
    func recordRoundTrip() throws {
        let row: [Value] = Self.ordered.map(Value.array) + [.array([.text("a b"), .null, .text("")]), .null, .int(7),
                                                              .array([.vector([1, 2]), .double(0.5)])]
        #expect(try RecordCodec.decode(RecordCodec.encode(row)) == row)
    }

    @Test("keys sort arrays as PostgreSQL does, in both directions, and decode back")
    func keyOrder() throws {
        for (i, a) in Self.ordered.enumerated() {
            for (j, b) in Self.ordered.enumerated() {
                let expected = i < j ? -1 : (i == j ? 0 : 1)
                #expect(compareBytes(KeyCodec.encode([.array(a)]), KeyCodec.encode([.array(b)])) == expected, "\(a) vs \(b)")
                let descending = compareBytes(KeyCodec.encode([.array(a), .int(1)], descending: [true]),
                                              KeyCodec.encode([.array(b), .int(1)], descending: [true]))
                #expect(descending == -expected, "descending \(a) vs \(b)")
            }
            #expect(try KeyCodec.decode(KeyCodec.encode([.array(a), .text("x")])) == [.array(a), .text("x")])
            #expect(try KeyCodec.decode(KeyCodec.encode([.array(a), .text("x")], descending: [true, false])) == [.array(a), .text("x")])
        }
    }

    @Test("a value fits an array column when every element fits the element type")
    func fits() {
        #expect(Value.array([.int(1), .null]).fits(.array(element: .integer)))
        #expect(Value.array([]).fits(.array(element: .int)))
        #expect(!Value.array([.text("a")]).fits(.array(element: .int)))
        #expect(!Value.int(1).fits(.array(element: .int)))
    }
}
