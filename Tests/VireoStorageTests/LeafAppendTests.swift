import Foundation
import Testing
@testable import VireoStorage

/// Rows whose key goes past a tree's last one are written straight into its rightmost leaf
/// (`BTree.appendToRightmostLeaf(key:valueSizeBytes:in:writeValue:)`), their record encoded
/// where it is kept; every other row takes the tree's insert. Both must store the same bytes.
@Suite("Records appended in place to the rightmost leaf")
struct LeafAppendTests {
    static let table = TableDefinition(name: "items", columns: [
        ColumnDefinition(name: "id", type: .int, notNull: true), ColumnDefinition(name: "grp", type: .int),
        ColumnDefinition(name: "name", type: .text), ColumnDefinition(name: "score", type: .double),
    ], rowIDColumn: 0)

    /// Row `rowID` of mixed shapes: NULLs, texts around the compact header's escape length
    /// (15) and past the inline cell limit (overflow), doubles with and without low zero bytes.
    static func row(_ rowID: Int64, _ random: inout CodecTestRandom) -> [Value] {
        let lengths = [0, 1, 14, 15, 16, 200, 1_900, 3_000, 9_000]
        let length = lengths[Int.random(in: 0..<lengths.count, using: &random)]
        let text: Value = length == 1 && rowID % 2 == 0
            ? .null : .text(String(repeating: "é", count: length / 2) + String(repeating: "x", count: length % 2))
        let group: Value = rowID % 7 == 0 ? .null : .int(Int64.random(in: -1_000_000...1_000_000, using: &random))
        let score: Value = rowID % 5 == 0 ? .double(Double(rowID) / 4) : .double(Double.random(in: -1e9...1e9, using: &random))
        return [.int(rowID), group, text, score]
    }

    /// The raw record stored under `rowID`.
    static func storedRecord(_ table: TableDefinition, _ rowID: Int64, _ snapshot: StoreSnapshot) throws -> [UInt8]? {
        try KeyCodec.withRowIDKey(rowID, form: table.rowKeyForm) { key in
            try table.tree.withValue(forKey: key, in: snapshot.pages) { Array($0) }
        }
    }

    @Test("rows appended in ascending order, through leaf splits, in snapshot transactions and by the gate holder, hold the bytes RecordCodec gives; reopen and check pass")
    func appendedRecordsMatchTheCodec() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = CodecTestRandom(seed: seed)
        try withBackend(.posix) { backend, directory in
            let path = directory + "/append.vireo"
            var store = try Store.open(path: path, options: testOptions(backend, poolPages: 256))
            try store.write { try $0.createTable(Self.table) }
            var rows: [Int64: [Value]] = [:]
            var next: Int64 = 1
            for batch in 0..<12 {
                // Even batches run over a snapshot (as BEGIN … COMMIT does), odd ones hold the gate.
                let transaction = batch % 2 == 0 ? try store.beginTransaction() : try store.beginWrite()
                for _ in 0..<250 {
                    let row = Self.row(next, &random)
                    #expect(try transaction.insert(into: Self.table.name, row: row) == next, "seed \(seed): row \(next)")
                    rows[next] = row
                    next += Int64.random(in: 1...3, using: &random)
                }
                try transaction.commit()
            }
            for reopened in [false, true] {
                if reopened {
                    try store.close()
                    store = try Store.open(path: path, options: testOptions(backend, poolPages: 256))
                }
                let table = try store.catalog.table(Self.table.name)
                try store.read { snapshot in
                    for (rowID, row) in rows {
                        let record = try Self.storedRecord(table, rowID, snapshot)
                        let expected = StoreTransaction.record(row, of: table, rowID: rowID)
                        #expect(record == expected, "seed \(seed), row \(rowID) (reopened: \(reopened)): record differs from the codec's")
                        #expect(try snapshot.row(table, rowID: rowID) == row, "seed \(seed), row \(rowID) (reopened: \(reopened))")
                    }
                }
                try expectSound(store)
            }
            try store.close()
        }
    }

    @Test("a row at or below the last key is not appended: a duplicate of the last row is refused with 23505, one in a gap lands in its place")
    func keysNotPastTheEndTakeTheInsert() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/gap.vireo", options: testOptions(backend))
            try store.write { try $0.createTable(Self.table) }
            let transaction = try store.beginTransaction()
            for rowID: Int64 in [10, 20, 30] {
                try transaction.insert(into: Self.table.name, row: [.int(rowID), .int(1), .text("row \(rowID)"), .double(1.5)])
            }
            let duplicate = Result { try transaction.insert(into: Self.table.name, row: [.int(30), .int(2), .text("again"), .double(2)]) }
            guard case .failure(let error) = duplicate else {
                Issue.record("a second row 30 was stored: \(duplicate)")
                return
            }
            #expect((error as? VireoError)?.code == .uniqueViolation, "expected 23505, got \(error)")
            transaction.rollback()
            try store.write { transaction in
                for rowID: Int64 in [10, 30, 20, 40, 5] {
                    try transaction.insert(into: Self.table.name, row: [.int(rowID), .int(1), .text("row \(rowID)"), .double(1.5)])
                }
            }
            let table = try store.catalog.table(Self.table.name)
            try store.read { snapshot in
                var order: [Int64] = []
                try snapshot.scanRows(table) { rowID, _ in
                    order.append(rowID)
                    return true
                }
                #expect(order == [5, 10, 20, 30, 40], "expected the rows in key order, got \(order)")
                for rowID: Int64 in [5, 10, 20, 30, 40] {
                    #expect(try snapshot.row(table, rowID: rowID) == [.int(rowID), .int(1), .text("row \(rowID)"), .double(1.5)])
                }
            }
            try expectSound(store)
        }
    }

    @Test("the tree's append refuses, changing nothing, without a known rightmost leaf, for a key not past the end and for a cell past the inline limit")
    func appendRefusals() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/refuse.vireo", options: testOptions(backend))
            try store.write { try $0.createTable(TableDefinition(name: "raw", columns: [])) }
            let tree = try store.catalog.table("raw").tree
            try writePages(store.pager) { pages in
                func append(_ key: [UInt8], _ size: Int) throws -> Bool {
                    try key.withUnsafeBytes { key in
                        try tree.appendToRightmostLeaf(key: key, valueSizeBytes: size, in: pages) { $0.initializeMemory(as: UInt8.self, repeating: 7) }
                    }
                }
                #expect(try !append([5], 3), "no descent has found the rightmost leaf yet")
                try tree.insert(key: [5], value: [1], in: pages)
                #expect(try !append([5], 3), "the last key itself")
                #expect(try !append([4], 3), "a key below the last")
                #expect(try !append([6], BTreeNode.maxCellBytes), "a cell past the inline limit")
                #expect(try append([6], 3), "a key past the last")
                let stored = try [UInt8](6...6).withUnsafeBytes { try tree.withValue(forKey: $0, in: pages) { Array($0) } }
                #expect(stored == [7, 7, 7], "expected the written value, got \(String(describing: stored))")
            }
            #expect(try contents(of: tree, in: store.pager) == [[5]: [1], [6]: [7, 7, 7]])
        }
    }
}
