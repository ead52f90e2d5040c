import Foundation
import Testing
@testable import VireoStorage

/// How full B+tree leaves end up: appends in key order (row ids, the common case) split
/// off only the new cell, so the leaves left behind are full, as SQLite's and PostgreSQL's
/// are; inserts in random order still split at the middle.
@Suite("B+tree leaf fill")
struct BTreeFillTests {
    /// Used bytes over usable bytes of every leaf of `tree` in key order.
    static func leafFills(_ tree: BTree, in pager: Pager) throws -> [Double] {
        try pager.read { view in
            var fills: [Double] = []
            func visit(_ page: PageNumber) throws {
                let (isLeaf, children) = try tree.node(view, page) { node -> (Bool, [PageNumber]) in
                    guard !BTreeNode.isLeaf(node) else {
                        fills.append(Double(BTreeNode.usedBytes(node)) / Double(BTreeNode.usableBytes))
                        return (true, [])
                    }
                    return (false, try (0...BTreeNode.cellCount(node)).map { try BTreeNode.child(node, $0) })
                }
                if !isLeaf { for child in children { try visit(child) } }
            }
            try visit(tree.root)
            return fills
        }
    }

    /// Inserts rows of about 50 bytes with the given row ids, `perTransaction` at a time.
    static func insertRows(_ rowIDs: [Int64], into store: Store, perTransaction: Int) throws {
        for start in stride(from: 0, to: rowIDs.count, by: perTransaction) {
            try store.write { transaction in
                for rowID in rowIDs[start..<min(start + perTransaction, rowIDs.count)] {
                    let row: [Value] = [.int(rowID), .int(rowID % 100), .text(String(format: "item-%09lld", rowID)), .double(Double(rowID) / 4)]
                    try transaction.insert(into: "items", row: row)
                }
            }
        }
    }

    static let table = TableDefinition(name: "items", columns: [
        ColumnDefinition(name: "id", type: .int, notNull: true), ColumnDefinition(name: "grp", type: .int),
        ColumnDefinition(name: "name", type: .text), ColumnDefinition(name: "score", type: .double),
    ], rowIDColumn: 0)

    @Test("sequential inserts, in one transaction or many, leave every leaf but the last at least 90% full; reopen and check pass",
          arguments: [20_000, 7])
    func sequentialInsertsFillLeaves(perTransaction: Int) throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/fill.vireo"
            var store = try Store.open(path: path, options: testOptions(backend, poolPages: 256))
            try store.write { try $0.createTable(Self.table) }
            try Self.insertRows(Array(1...20_000), into: store, perTransaction: perTransaction)
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend, poolPages: 256))
            let fills = try Self.leafFills(store.catalog.table("items").tree, in: store.pager)
            let emptiest = fills.dropLast().min() ?? 1
            #expect(fills.count > 10, "expected a tree of many leaves, got \(fills.count)")
            #expect(emptiest >= 0.9, "per transaction \(perTransaction): emptiest leaf \(emptiest * 100)% full, expected >= 90%")
            let report = try store.checkIntegrity()
            #expect(report.isSound && report.rowCounts["items"] == 20_000, "\(report)")
            try store.close()
        }
    }

    @Test("random inserts still split in the middle: every row reads back, leaves at least a third full, reopen and check pass")
    func randomInsertsStillWork() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/random.vireo"
            var store = try Store.open(path: path, options: testOptions(backend, poolPages: 256))
            try store.write { try $0.createTable(Self.table) }
            var random = SplitMix64(seed: 17)
            let rowIDs = Array(Int64(1)...10_000).shuffled(using: &random)
            try Self.insertRows(rowIDs, into: store, perTransaction: 500)
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend, poolPages: 256))
            let fills = try Self.leafFills(store.catalog.table("items").tree, in: store.pager)
            let emptiest = fills.min() ?? 0
            #expect(emptiest >= 0.33, "emptiest leaf \(emptiest * 100)% full after random inserts")
            let average = fills.reduce(0, +) / Double(fills.count)
            #expect(average < 0.9, "random inserts average \(average * 100)%: expected middle splits, not appends")
            try store.read { snapshot in
                let table = try snapshot.table("items")
                for rowID in rowIDs.prefix(200) {
                    let row = try snapshot.row(table, rowID: rowID)
                    #expect(row?[2] == .text(String(format: "item-%09lld", rowID)), "row \(rowID) reads back \(String(describing: row))")
                }
            }
            let report = try store.checkIntegrity()
            #expect(report.isSound && report.rowCounts["items"] == 10_000, "\(report)")
            try store.close()
        }
    }
}
