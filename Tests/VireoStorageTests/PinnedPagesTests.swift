import Foundation
import Testing
@testable import VireoStorage

@Suite("Pinned pages: a snapshot's pages kept across look-ups")
struct PinnedPagesTests {
    static let rowCount = 600

    /// Row `id`'s text: long enough that the table spans many more leaves than
    /// `PinnedPages.capacityPages`, and every 50th row's in overflow pages.
    static func text(_ id: Int64, version: Int) -> String {
        let length = id % 50 == 0 ? 20_000 : 150
        return "v\(version)-\(id)-" + String(repeating: "x", count: length)
    }

    static func makeStore(_ backend: any IOBackend, _ directory: String) throws -> Store {
        let store = try Store.open(path: directory + "/pinned.vireo", options: testOptions(backend, poolPages: 16))
        try store.write { transaction in
            try transaction.createTable(TableDefinition(name: "t", columns: [ColumnDefinition(name: "id", type: .int, notNull: true),
                                                                             ColumnDefinition(name: "v", type: .text)], rowIDColumn: 0))
            for id in 1...Int64(rowCount) { _ = try transaction.insert(into: "t", row: [.int(id), .text(text(id, version: 0))]) }
        }
        return store
    }

    static func read(_ pinned: PinnedPages, _ table: TableDefinition, _ id: Int64) throws -> [Value]? {
        var values: [Value]?
        let found = try pinned.visitRow(in: table.tree, form: table.rowKeyForm, rowID: id) { values = try $0.values() }
        #expect(found == (values != nil), "visitRow said \(found) for row \(id), body saw \(values == nil ? "nothing" : "a row")")
        return values
    }

    @Test("look-ups through pinned pages see the snapshot's rows while commits replace and evict their pages",
          arguments: [BackendKind.posix, .simulated])
    func snapshotRowsDespiteCommits(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let store = try Self.makeStore(backend, directory)
            let snapshot = try store.openSnapshot()
            let pinned = snapshot.pinningPages()
            let table = try snapshot.table("t")
            var random = SplitMix64(seed: 7)
            for round in 1...6 {
                // Another transaction rewrites every row; the snapshot must not see it.
                try store.write { transaction in
                    for id in 1...Int64(Self.rowCount) { _ = try transaction.update("t", rowID: id, to: [.int(id), .text(Self.text(id, version: round))]) }
                }
                for _ in 0..<400 {
                    let id = Int64.random(in: 0...Int64(Self.rowCount + 1), using: &random)
                    let expected: [Value]? = (1...Int64(Self.rowCount)).contains(id) ? [.int(id), .text(Self.text(id, version: 0))] : nil
                    let got = try Self.read(pinned, table, id)
                    #expect(got == expected, "round \(round), row \(id): expected version 0 or nothing, got \(String(describing: got?.first))")
                }
            }
            pinned.release()
            pinned.release()  // a second release does nothing
            snapshot.close()
            // The pins are gone: a commit with no snapshot open replaces pages that were kept
            // (BufferPool.install requires them unpinned) and the pool shrinks to its budget.
            try store.write { transaction in
                for id in 1...Int64(Self.rowCount) { _ = try transaction.update("t", rowID: id, to: [.int(id), .text("final")]) }
            }
            let final = try store.read { try $0.row($0.table("t"), rowID: 1) }
            #expect(final == [.int(1), .text("final")])
            #expect(store.pager.pool.versionCounts.retainedPages == 0, "old versions still retained after the snapshot closed")
            try expectSound(store)
            try store.close()
        }
    }

    @Test("at most capacityPages pages stay pinned, so the pool keeps its budget")
    func boundedPins() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Self.makeStore(backend, directory)
            try store.close()
            let reopened = try Store.open(path: directory + "/pinned.vireo", options: testOptions(backend, poolPages: 16))
            var largestPool = 0
            try reopened.read { snapshot in
                let pinned = snapshot.pinningPages()
                defer { pinned.release() }
                let table = try snapshot.table("t")
                for id in 1...Int64(Self.rowCount) {
                    let got = try Self.read(pinned, table, id)
                    #expect(got == [.int(id), .text(Self.text(id, version: 0))], "row \(id) read through pinned pages differs")
                    largestPool = max(largestPool, reopened.pager.pool.countPages)
                }
            }
            // The budget, the kept pages, and one leaf with its overflow chain read meanwhile.
            #expect(largestPool <= 16 + PinnedPages.capacityPages + 4, "pool grew to \(largestPool) pages with a budget of 16")
            try reopened.close()
        }
    }
}
