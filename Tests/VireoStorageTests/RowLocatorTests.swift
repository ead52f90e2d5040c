import Testing
@testable import VireoStorage

/// Row locators (BTree+Locator.swift): a locator that still holds reads the row without a
/// descent; one made stale by any change falls back and still reads the row as the view
/// sees it, never another table's row or an older version.
@Suite("Row locators")
struct RowLocatorTests {
    static let dimension = 64

    static func vector(_ id: Int64, _ generation: Int = 0) -> Value {
        .vector((0..<dimension).map { Float(id) + Float($0) + 1000 * Float(generation) })
    }

    static func definition(_ name: String) -> TableDefinition {
        TableDefinition(name: name, columns: [
            ColumnDefinition(name: "id", type: .int, notNull: true),
            ColumnDefinition(name: "v", type: .vector(dimension: dimension)),
        ], rowIDColumn: 0)
    }

    /// Reads `ids` through `locators` (updated in place), as the first float of each
    /// vector (nil: no row).
    static func read(_ rows: some RowSource, _ table: TableDefinition, _ ids: [Int64],
                     _ locators: inout [RowLocator]) throws -> [Float?] {
        var firsts = [Float?](repeating: nil, count: ids.count)
        try locators.withUnsafeMutableBufferPointer { buffer in
            try rows.withRows(table, rowIDs: ids, locators: buffer.baseAddress!) { i, record in
                #expect(firsts[i] == nil, "row \(ids[i]) reported twice")
                firsts[i] = try record.withVector(at: 1) { $0[0] }
            }
        }
        return firsts
    }

    /// What a descent alone finds.
    static func expected(_ rows: some RowSource, _ table: TableDefinition, _ ids: [Int64]) throws -> [Float?] {
        try ids.map { id in try rows.withRow(table, rowID: id) { try $0.withVector(at: 1) { $0[0] } } ?? nil }
    }

    /// Locators whose page still holds the row, checked without any descent.
    static func holding(_ rows: some RowSource, _ table: TableDefinition, _ ids: [Int64], _ locators: [RowLocator]) -> Int {
        zip(ids, locators).filter { id, locator in
            KeyCodec.encodeRowID(id, form: table.rowKeyForm).withUnsafeBytes { key in
                ((try? table.tree.withValue(forKey: key, at: locator, in: rows.pages) { _ in }) ?? nil) != nil
            }
        }.count
    }

    @Test("locators are learned, then read rows without a descent, and agree with it")
    func learnedLocatorsHold() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/locators.vireo", options: testOptions(backend))
            try store.write { try $0.createTable(Self.definition("t")) }
            try store.write { t in for id in 0..<600 { _ = try t.insert(into: "t", row: [.int(Int64(id)), Self.vector(Int64(id))]) } }
            let table = try store.catalog.table("t")
            let ids: [Int64] = [599, 3, 250, 3, 1_000, 17, -1, 42]
            var locators = [RowLocator](repeating: .none, count: ids.count)
            try store.read { snapshot in
                #expect(snapshot.pages.locatorDomain != 0)
                let want = try Self.expected(snapshot, table, ids)
                #expect(try Self.read(snapshot, table, ids, &locators) == want)
                #expect(locators.filter(\.isKnown).count == 6, "absent rows get no locator: \(locators)")
                #expect(Self.holding(snapshot, table, ids, locators) == 6)
                #expect(try Self.read(snapshot, table, ids, &locators) == want)
            }
            // A later snapshot with no commit between reads them the same way.
            try store.read { snapshot in #expect(Self.holding(snapshot, table, ids, locators) == 6) }
            try store.close()
        }
    }

    @Test("after UPDATE, DELETE and page splits a stale locator falls back to the current row")
    func staleLocatorsFallBack() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/stale.vireo", options: testOptions(backend))
            try store.write { try $0.createTable(Self.definition("t")) }
            // Every tenth id, so that inserting the others later splits the leaves.
            try store.write { t in for id in stride(from: 0, to: 2_000, by: 10) { _ = try t.insert(into: "t", row: [.int(Int64(id)), Self.vector(Int64(id))]) } }
            let table = try store.catalog.table("t")
            let ids = (0..<200).map { Int64($0 * 10) }
            var locators = [RowLocator](repeating: .none, count: ids.count)
            _ = try store.read { try Self.read($0, table, ids, &locators) }
            let learned = locators

            try store.write { t in
                _ = try t.update("t", rowID: 500, to: [.int(500), Self.vector(500, 1)])
                _ = try t.delete(from: "t", rowID: 700)
                for id in 0..<2_000 where id % 10 != 0 { _ = try t.insert(into: "t", row: [.int(Int64(id)), Self.vector(Int64(id))]) }
            }
            try store.read { snapshot in
                #expect(Self.holding(snapshot, table, ids, learned) < ids.count, "the splits moved rows")
                var stale = learned
                let got = try Self.read(snapshot, table, ids, &stale)
                #expect(got == (try Self.expected(snapshot, table, ids)))
                #expect(got[50] == 1500, "row 500 read at its new version")
                #expect(got[70] == nil, "row 700 deleted")
                #expect(Self.holding(snapshot, table, ids, stale) == ids.count - 1, "every row found has a fresh locator")
            }
            try store.close()
        }
    }

    @Test("a locator into a page freed and taken by another table with the same row ids falls back")
    func pageReusedByAnotherTree() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/reuse.vireo", options: testOptions(backend))
            try store.write { t in
                try t.createTable(Self.definition("t"))
                try t.createTable(Self.definition("u"))
            }
            let ids = (0..<400).map(Int64.init)
            try store.write { t in for id in ids { _ = try t.insert(into: "t", row: [.int(id), Self.vector(id)]) } }
            let (t, u) = (try store.catalog.table("t"), try store.catalog.table("u"))
            var locators = [RowLocator](repeating: .none, count: ids.count)
            _ = try store.read { try Self.read($0, t, ids, &locators) }
            // t's leaves are freed; u takes them for rows of the same ids; t's rows come back
            // with other vectors on other pages.
            try store.write { tr in for id in ids { _ = try tr.delete(from: "t", rowID: id) } }
            try store.write { tr in for id in ids { _ = try tr.insert(into: "u", row: [.int(id), Self.vector(id, 7)]) } }
            try store.write { tr in for id in ids { _ = try tr.insert(into: "t", row: [.int(id), Self.vector(id, 3)]) } }
            try store.read { snapshot in
                let reusedByU = Set(try collectLeaves(u, snapshot.pages))
                #expect(locators.contains { reusedByU.contains($0.page) }, "the test needs u to reuse one of t's old leaves")
                var stale = locators
                let got = try Self.read(snapshot, t, ids, &stale)
                #expect(got == ids.map { Float($0) + 3000 }, "t's rows, never u's")
            }
            try store.close()
        }
    }

    @Test("inside a write transaction locators see its changes; after a rollback they do not")
    func writeTransactionOverlay() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/overlay.vireo", options: testOptions(backend))
            try store.write { try $0.createTable(Self.definition("t")) }
            try store.write { t in for id in stride(from: 0, to: 300, by: 2) { _ = try t.insert(into: "t", row: [.int(Int64(id)), Self.vector(Int64(id))]) } }
            let table = try store.catalog.table("t")
            let ids = (0..<300).map(Int64.init)
            var locators = [RowLocator](repeating: .none, count: ids.count)
            _ = try store.read { try Self.read($0, table, ids, &locators) }
            let transaction = try store.beginWrite()
            _ = try transaction.update("t", rowID: 10, to: [.int(10), Self.vector(10, 2)])
            for id in stride(from: 1, to: 300, by: 2) { _ = try transaction.insert(into: "t", row: [.int(Int64(id)), Self.vector(Int64(id), 5)]) }
            var inside = locators
            let seen = try Self.read(transaction, table, ids, &inside)
            #expect(seen == (try Self.expected(transaction, table, ids)))
            #expect(seen[10] == 2010 && seen[11] == 5011)
            transaction.rollback()
            try store.read { snapshot in
                // Locators taken inside the transaction name pages as it changed them.
                var after = inside
                let got = try Self.read(snapshot, table, ids, &after)
                #expect(got == ids.map { $0 % 2 == 0 ? Float($0) : nil })
            }
            try store.close()
        }
    }

    @Test("each store has its own locator domain")
    func domainsDiffer() throws {
        try withBackend(.simulated) { backend, directory in
            let first = try Store.open(path: directory + "/a.vireo", options: testOptions(backend))
            let second = try Store.open(path: directory + "/b.vireo", options: testOptions(backend))
            let (a, b) = (try first.read { $0.pages.locatorDomain }, try second.read { $0.pages.locatorDomain })
            #expect(a != b && a != 0 && b != 0)
            try first.write { t in #expect(t.pages.locatorDomain == a) }
            try first.close()
            try second.close()
        }
    }
}

/// The leaf pages of `tree`.
private func collectLeaves(_ table: TableDefinition, _ pages: some PageSource) throws -> [PageNumber] {
    var leaves: [PageNumber] = []
    var pending = [table.tree.root]
    while let page = pending.popLast() {
        try pages.withPage(page) { bytes in
            if BTreeNode.isLeaf(bytes) {
                leaves.append(page)
            } else {
                for i in 0...BTreeNode.cellCount(bytes) { pending.append(try BTreeNode.child(bytes, i)) }
            }
        }
    }
    return leaves
}
