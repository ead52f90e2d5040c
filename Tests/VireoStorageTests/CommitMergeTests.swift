import Dispatch
import Foundation
import Testing
@testable import VireoStorage

/// How the group-commit leader brings a transaction over an older snapshot into a batch
/// (StoreTransaction+Concurrency.swift): its pages moved whole (C4), the unchanged part
/// moved and the rest replayed (C5), or everything replayed (C2). Each path must leave
/// exactly the rows the transactions wrote.
@Suite("Commit: moving pages and replaying operations")
struct CommitMergeTests {
    static let rowCount: Int64 = 2000

    /// A table of `rowCount` rows of about 100 bytes: some 30 leaf pages.
    static func store(_ backend: any IOBackend, _ directory: String) throws -> Store {
        try fill(Store.open(path: directory + "/merge.vireo", options: testOptions(backend, poolPages: 256)))
    }

    static func fill(_ store: Store) throws -> Store {
        try store.write { transaction in
            try transaction.createTable(TableDefinition(
                name: "t", columns: [ColumnDefinition(name: "id", type: .int, notNull: true),
                                     ColumnDefinition(name: "note", type: .text)], rowIDColumn: 0))
            for id in 1...rowCount { _ = try transaction.insert(into: "t", row: [.int(id), .text(note(id, 0))]) }
        }
        return store
    }

    static func note(_ id: Int64, _ version: Int) -> String { "v\(version) " + String(repeating: "x", count: 90) + " \(id)" }

    /// Over one snapshot: `first` changes rows 1 and 1500, `second` rows 2 (row 1's page) and 1000.
    static func updateSharingOnePage(_ first: StoreTransaction, _ second: StoreTransaction) throws -> [Int64: String] {
        let changes: [(StoreTransaction, Int64, Int)] = [(first, 1, 1), (first, 1500, 1), (second, 2, 2), (second, 1000, 2)]
        var expected = Dictionary(uniqueKeysWithValues: (1...rowCount).map { ($0, note($0, 0)) })
        for (transaction, id, version) in changes {
            _ = try transaction.update("t", rowID: id, to: [.int(id), .text(note(id, version))])
            expected[id] = note(id, version)
        }
        return expected
    }

    static func notes(_ store: Store) throws -> [Int64: String] {
        try store.read { snapshot in
            var notes: [Int64: String] = [:]
            let table = try snapshot.table("t")
            for id in 1...rowCount {
                if case .text(let text)? = try snapshot.row(table, rowID: id)?[1] { notes[id] = text }
            }
            return notes
        }
    }

    @Test("a transaction sharing one page with an earlier commit moves its other pages and replays the shared one")
    func partialMove() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Self.store(backend, directory)
            defer { try? store.close() }
            let first = try store.beginTransaction()
            let second = try store.beginTransaction()
            let expected = try Self.updateSharingOnePage(first, second)
            _ = try second.insert(into: "t", row: [.int(5000), .text(Self.note(5000, 2))])
            let before = store.commitPaths.snapshot
            let chainBefore = store.commitChainTimes
            try first.commit()
            try second.commit()
            let after = store.commitPaths.snapshot
            let chain = store.commitChainTimes
            #expect(after.movedWhole == before.movedWhole + 1, "the first commit's pages move whole")
            #expect(after.movedInPart == before.movedInPart + 1, "the second moves all but row 2's page: \(after)")
            // The chain's timers: two batches of one, one row operation (row 2's update) re-run.
            #expect(chain.batches - chainBefore.batches == 2 && chain.members - chainBefore.members == 2)
            #expect(chain.rerunOperations - chainBefore.rerunOperations == 1, "\(chain.perBatch(since: chainBefore))")
            #expect(chain.syncNanos > chainBefore.syncNanos && chain.publishNanos - chainBefore.publishNanos >= chain.syncNanos - chainBefore.syncNanos)
            #expect(try Self.notes(store) == expected)
            let inserted = try store.read { try $0.row($0.table("t"), rowID: 5000) }
            #expect(inserted == [.int(5000), .text(Self.note(5000, 2))])
            #expect(try store.checkIntegrity().isSound)
        }
    }

    @Test("a transaction catching up with newer commits before each statement (READ COMMITTED) keeps every change")
    func catchingUpInPart() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Self.store(backend, directory)
            defer { try? store.close() }
            let long = try store.beginTransaction()
            _ = try long.update("t", rowID: 3, to: [.int(3), .text(Self.note(3, 1))])
            _ = try long.update("t", rowID: 1200, to: [.int(1200), .text(Self.note(1200, 1))])
            for round in 2...4 {
                // Another commit changes row 4 (row 3's page) each time, then the long
                // transaction catches up and writes rows on both kinds of pages again.
                try store.write { _ = try $0.update("t", rowID: 4, to: [.int(4), .text(Self.note(4, round))]) }
                try long.moveToNewestVersion()
                _ = try long.update("t", rowID: 5, to: [.int(5), .text(Self.note(5, round))])
                _ = try long.update("t", rowID: 1201, to: [.int(1201), .text(Self.note(1201, round))])
            }
            try store.write { _ = try $0.update("t", rowID: 6, to: [.int(6), .text(Self.note(6, 9))]) }
            try long.commit()
            let notes = try Self.notes(store)
            #expect(notes[3] == Self.note(3, 1) && notes[1200] == Self.note(1200, 1))
            #expect(notes[4] == Self.note(4, 4) && notes[6] == Self.note(6, 9))
            #expect(notes[5] == Self.note(5, 4) && notes[1201] == Self.note(1201, 4))
            #expect(store.commitPaths.snapshot.movedInPart >= 1, "the last commit moves in part: \(store.commitPaths.snapshot)")
            #expect(try store.checkIntegrity().isSound)
        }
    }

    @Test("random transactions over shared snapshots end as the same rows as applied one by one, by every path",
          arguments: [UInt64(1), 2, 3])
    func randomBatches(seed: UInt64) throws {
        try withBackend(.posix) { backend, directory in
            let store = try Self.store(backend, directory)
            defer { try? store.close() }
            var random = SplitMix64(seed: seed)
            var expected = Dictionary(uniqueKeysWithValues: (1...Self.rowCount).map { ($0, Self.note($0, 0)) })
            for round in 1...30 {
                // Several transactions over one snapshot, on disjoint rows (so none gets 40001),
                // committed one after another: each finds the pages of the ones before changed.
                var rows = Array(1...Self.rowCount).shuffled(using: &random).makeIterator()
                var transactions: [(StoreTransaction, [Int64])] = []
                for _ in 0..<Int.random(in: 2...5, using: &random) {
                    let ids = (0..<Int.random(in: 1...12, using: &random)).compactMap { _ in rows.next() }
                    let transaction = try store.beginTransaction()
                    for id in ids { _ = try transaction.update("t", rowID: id, to: [.int(id), .text(Self.note(id, round))]) }
                    transactions.append((transaction, ids))
                }
                for (transaction, ids) in transactions {
                    try transaction.commit()
                    for id in ids { expected[id] = Self.note(id, round) }
                }
            }
            #expect(try Self.notes(store) == expected, "seed \(seed)")
            #expect(try store.checkIntegrity().isSound)
            let paths = store.commitPaths.snapshot
            #expect(paths.movedWhole > 0 && paths.movedInPart > 0, "seed \(seed): every path taken: \(paths)")
        }
    }

    @Test("two commits of one batch sharing a page: one moves whole, the other in part, in one WAL commit that recovery rebuilds")
    func oneBatchSharingAPage() throws {
        let backend = SimulatedBackend()
        var store = try Self.fill(Store.open(path: DataSafetyTests.path, options: DataSafetyTests.options(backend)))
        let first = try store.beginTransaction()
        let second = try store.beginTransaction()
        let expected = try Self.updateSharingOnePage(first, second)
        // The locks an UPDATE takes, as the query layer asks for them.
        for (transaction, rowID) in [(first, Int64(1)), (first, 1500), (second, 2), (second, 1000)] {
            #expect(try transaction.lockRow(table: "t", rowID: rowID, mode: .noKeyUpdate, implicit: true, timeoutMs: nil) == .locked)
        }
        #expect(store.rowLocks.lockedRowCount == 4)
        let before = store.commitPaths.snapshot
        let syncsBefore = store.pager.statistics.walCommitSyncs
        // Holding the writer gate makes both commits queue, so one leader takes them as one batch.
        let gate = try store.pager.beginWrite()
        let failures = Failures()
        let done = DispatchGroup()
        for transaction in [first, second] {
            DispatchQueue.global().async(group: done) {
                do { try transaction.commit() } catch { failures.add("\(error)") }
            }
        }
        while store.commitQueue.withLock({ store.pendingCommits.count }) < 2 { sched_yield() }
        gate.rollback()
        done.wait()
        #expect(failures.messages.isEmpty, "commits failed: \(failures.messages)")
        let after = store.commitPaths.snapshot
        #expect(after.movedWhole == before.movedWhole + 1 && after.movedInPart == before.movedInPart + 1,
                "one moves whole, the other in part, in either order: \(after)")
        #expect(store.pager.statistics.walCommitSyncs == syncsBefore + 1, "the batch is one WAL commit")
        #expect(store.rowLocks.lockedRowCount == 0, "each member released its row locks once answered")
        backend.crash(policy: .dropUnsynced)
        store = try Store.open(path: DataSafetyTests.path, options: DataSafetyTests.options(backend))
        defer { try? store.close() }
        #expect(try Self.notes(store) == expected)
        #expect(try store.checkIntegrity().isSound)
    }
}

/// Errors from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = Lock()
    private var stored: [String] = []
    func add(_ message: String) { lock.withLock { stored.append(message) } }
    var messages: [String] { lock.withLock { stored } }
}
