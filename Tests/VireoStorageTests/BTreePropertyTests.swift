import Foundation
import Testing
@testable import VireoStorage

/// Drives the B+tree and a dictionary with the same random operations and compares them.
@Suite("B+tree against a dictionary")
struct BTreePropertyTests {
    struct Model {
        var committed: [[UInt8]: [UInt8]] = [:]
        var pending: [[UInt8]: [UInt8]] = [:]
    }

    @Test("ten thousand random operations agree with a dictionary, after each step and after reopen",
          arguments: BackendKind.allCases)
    func randomOperations(kind: BackendKind) throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = CodecTestRandom(seed: seed)
        try withBackend(kind) { backend, directory in
            let path = directory + "/property.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            // A table's row tree, used with raw byte keys, so the integrity check knows it.
            try store.write { try $0.createTable(TableDefinition(name: "raw", columns: [])) }
            let tree = try store.catalog.table("raw").tree
            var model = Model()
            var transaction = try store.beginWrite()
            for step in 0..<10_000 {
                try applyRandomOperation(&random, tree: tree, transaction: transaction.pages, model: &model, seed: seed, step: step)
                if Int.random(in: 0..<100, using: &random) == 0 {
                    let rollback = Int.random(in: 0..<4, using: &random) == 0
                    if rollback { transaction.rollback(); model.pending = model.committed } else { try transaction.commit(); model.committed = model.pending }
                    #expect(try contents(of: tree, in: store.pager) == model.committed, "seed \(seed), step \(step): tree differs from the model after \(rollback ? "rollback" : "commit")")
                    transaction = try store.beginWrite()
                }
            }
            try transaction.commit()
            model.committed = model.pending
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            #expect(try contents(of: tree, in: store.pager) == model.committed, "seed \(seed): tree differs from the model after reopen")
            // The raw keys are no row ids: the check of the table's row keys must say so,
            // and nothing else may be wrong.
            let report = try store.checkIntegrity()
            #expect(report.problems.count == 1 && report.problems[0].hasPrefix("table raw:") && report.problems[0].contains("malformed key"), "seed \(seed): \(report)")
            try store.close()
        }
    }

    /// Inserts, replaces or removes a random key (some values big enough to overflow),
    /// then checks that the key reads back as the model says.
    func applyRandomOperation(_ random: inout CodecTestRandom, tree: BTree, transaction: WriteTransaction,
                              model: inout Model, seed: UInt64, step: Int) throws {
        let keyNumber = Int.random(in: 0..<2_000, using: &random)
        let key = Array("key-\(keyNumber)-".utf8) + Array(repeating: UInt8(keyNumber % 251), count: keyNumber % 40)
        let roll = Int.random(in: 0..<10, using: &random)
        if roll < 6 {
            let length = Int.random(in: 0..<50, using: &random) == 0 ? Int.random(in: 2_000..<30_000, using: &random)
                                                                      : Int.random(in: 0..<200, using: &random)
            let value = valueBytes(step, length: length)
            try tree.insert(key: key, value: value, in: transaction)
            model.pending[key] = value
        } else {
            let removed = try tree.remove(key: key, in: transaction)
            #expect(removed == (model.pending[key] != nil), "seed \(seed), step \(step): remove reported \(removed)")
            model.pending[key] = nil
        }
        let stored = try tree.value(forKey: key, in: transaction)
        #expect(stored == model.pending[key], "seed \(seed), step \(step): key \(keyNumber) reads back wrong")
    }

    @Test("ascending and descending range scans honour inclusive and exclusive bounds")
    func rangeScans() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/range.vireo", options: testOptions(backend))
            let tree = try store.write { transaction -> BTree in
                try transaction.createTable(TableDefinition(name: "numbers", columns: [], rowKeyForm: .fixed))
                let tree = try transaction.table("numbers").tree
                for number in stride(from: 0, to: 5_000, by: 2) {
                    try tree.insert(key: KeyCodec.encodeRowID(Int64(number), form: .fixed), value: valueBytes(number, length: 30), in: transaction.pages)
                }
                return tree
            }
            func keys(_ lower: KeyBound?, _ upper: KeyBound?, reverse: Bool) throws -> [Int64] {
                try store.pager.read { view in
                    var found: [Int64] = []
                    try tree.scan(in: view, from: lower, to: upper, reverse: reverse) { key, _ in
                        found.append(try KeyCodec.decodeRowID(key, form: .fixed))
                        return true
                    }
                    return found
                }
            }
            let bound = { (n: Int64, inclusive: Bool) in KeyBound(KeyCodec.encodeRowID(n, form: .fixed), inclusive: inclusive) }
            #expect(try keys(bound(100, true), bound(110, true), reverse: false) == [100, 102, 104, 106, 108, 110])
            #expect(try keys(bound(100, false), bound(110, false), reverse: false) == [102, 104, 106, 108])
            #expect(try keys(bound(101, true), bound(109, true), reverse: true) == [108, 106, 104, 102])
            #expect(try keys(nil, bound(4, true), reverse: true) == [4, 2, 0])
            #expect(try keys(bound(4_994, false), nil, reverse: false) == [4_996, 4_998])
            #expect(try keys(nil, nil, reverse: false).count == 2_500)
            #expect(try keys(nil, nil, reverse: true) == Array(stride(from: 4_998, through: 0, by: -2)).map(Int64.init))
            try store.close()
        }
    }
}

@Suite("B+tree shrinking")
struct BTreeShrinkTests {
    @Test("deleting most of a deep tree in a scattered order keeps it sound and searchable")
    func scatteredDeletes() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/shrink.vireo", options: testOptions(backend, poolPages: 256))
            try store.write { try $0.createTable(TableDefinition(name: "t", columns: [ColumnDefinition(name: "v", type: .text)])) }
            let count = 20_000
            try store.write { transaction in
                for number in 0..<count { try transaction.insert(into: "t", row: [.text(String(repeating: "k", count: 120) + "\(number)")]) }
            }
            var random = SplitMix64(seed: 5)
            let doomed = (1...Int64(count)).shuffled(using: &random).prefix(count - 300)
            try store.write { transaction in
                for rowID in doomed { try transaction.delete(from: "t", rowID: rowID) }
            }
            let report = try store.checkIntegrity()
            #expect(report.isSound, "\(report)")
            #expect(report.rowCounts["t"] == 300)
            let kept = Set(1...Int64(count)).subtracting(doomed)
            try store.read { snapshot in
                let table = try snapshot.table("t")
                for rowID in kept.prefix(50) {
                    let row = try snapshot.row(table, rowID: rowID)
                    #expect(row != nil, "row \(rowID) was kept but is gone")
                }
            }
        }
    }
}
