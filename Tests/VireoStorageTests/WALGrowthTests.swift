import Foundation
import Synchronization
import Testing
@testable import VireoStorage

/// The WAL file is written ahead of its frames with zeros (WriteAheadLog.swift, W7), so
/// most commits overwrite blocks the file has and their fsync journals no size change.
@Suite("WAL growth ahead of its frames")
struct WALGrowthTests {
    static func rows(_ store: Store) throws -> [Int64: String] {
        try store.read { snapshot in
            let table = try snapshot.table("log")
            var rows: [Int64: String] = [:]
            try snapshot.scanRows(table) { id, _ in
                if case .text(let text)? = try snapshot.row(table, rowID: id)?[1] { rows[id] = text }
                return true
            }
            return rows
        }
    }

    @Test("a commit past the file's end writes zeros to the next step; commits inside it do not grow the file; recovery stops at the zeros")
    func zeroedAhead() throws {
        let backend = SimulatedBackend()
        let store = try Self.openWithLog(backend)
        let step = WriteAheadLog.growthBytes
        #expect(try Self.walSize(backend) == step, "the first commit grows the file to one step")
        var expected: [Int64: String] = [:]
        var id: Int64 = 0
        // Small commits until the frames pass the first step: the file stays one step long until then.
        while store.pager.wal!.endOffset <= step, id < 1_000 {
            #expect(try Self.walSize(backend) == step, "a commit inside the written bytes grew the file, at \(store.pager.wal!.endOffset)")
            id += 1
            let payload = String(repeating: "p", count: 3_000) + " \(id)"
            try store.write { _ = try $0.insert(into: "log", row: [.int(id), .text(payload)]) }
            expected[id] = payload
        }
        #expect(store.pager.wal!.endOffset > step, "the frames passed the first step")
        #expect(try Self.walSize(backend) == 2 * step, "the commit that passed the step wrote zeros to the next")
        try Self.expectAfterCrash(backend, expected)
    }

    /// The durable size of the WAL file.
    static func walSize(_ backend: SimulatedBackend) throws -> Int {
        try #require(backend.durableContents(path: DataSafetyTests.walPath)).count
    }

    /// A pool large enough that no checkpoint (which would reset the log) comes due.
    static func options(_ backend: SimulatedBackend) -> StorageOptions {
        StorageOptions(backend: backend, bufferPoolBytes: 4096 * StorageFormat.pageSizeBytes, walCheckpointBytes: 1 << 40)
    }

    /// A fresh database with table "log" (id, payload), created by a gate holder's commit.
    static func openWithLog(_ backend: SimulatedBackend) throws -> Store {
        let store = try Store.open(path: DataSafetyTests.path, options: options(backend))
        try store.write { transaction in
            try transaction.createTable(TableDefinition(
                name: "log", columns: [ColumnDefinition(name: "id", type: .int, notNull: true),
                                       ColumnDefinition(name: "payload", type: .text)], rowIDColumn: 0))
        }
        return store
    }

    /// Crashes losing everything not fsynced, reopens, and checks the log holds `expected`.
    static func expectAfterCrash(_ backend: SimulatedBackend, _ expected: [Int64: String]) throws {
        backend.crash(policy: .dropUnsynced)
        let store = try Store.open(path: DataSafetyTests.path, options: options(backend))
        defer { try? store.close() }
        #expect(store.pager.walDamage == nil, "zeros after the last frame are not damage")
        #expect(try rows(store) == expected)
    }

    /// A commit over a snapshot: the group-commit path, whose leader zeroes ahead (W8).
    static func commitRow(_ store: Store, _ id: Int64) throws -> String {
        let payload = String(repeating: "g", count: 3_000) + " \(id)"
        let transaction = try store.beginTransaction()
        _ = try transaction.insert(into: "log", row: [.int(id), .text(payload)])
        try transaction.commit()
        return payload
    }

    @Test("group commit zeroes the next step once less than half a step is left, before the frames reach it (W8); recovery stops at the zeros")
    func zeroedAheadByLeader() throws {
        let backend = SimulatedBackend()
        let store = try Self.openWithLog(backend)
        let step = WriteAheadLog.growthBytes
        var expected: [Int64: String] = [:]
        var id: Int64 = 0
        var sawEarlyStep = false
        while store.pager.wal!.endOffset <= 2 * step, id < 2_000 {
            id += 1
            expected[id] = try Self.commitRow(store, id)
            let end = store.pager.wal!.endOffset
            let size = try Self.walSize(backend)
            // Durable zeros always lie ahead of the frames, at least half a step of them.
            #expect(size % step == 0 && size - end >= step / 2, "frames end at \(end), zeros durable to \(size)")
            if end < step && size == 2 * step { sawEarlyStep = true }
        }
        #expect(sawEarlyStep, "the second step was zeroed before the frames reached the first step's end")
        #expect(store.pager.wal!.endOffset > 2 * step)
        try Self.expectAfterCrash(backend, expected)
    }

    @Test("concurrent group commits while leaders zero ahead (W8): every acknowledged row survives a crash")
    func zeroedAheadUnderConcurrentCommits() throws {
        let backend = SimulatedBackend()
        let store = try Self.openWithLog(backend)
        let threads = 4
        let perThread = 100  // 400 rows of 3 KB: the frames pass the first step of zeros.
        let acknowledged = Mutex<[Int64: String]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                let id = Int64(thread * perThread + index + 1)
                do {
                    let payload = try Self.commitRow(store, id)
                    acknowledged.withLock { $0[id] = payload }
                } catch {
                    failures.withLock { $0.append("row \(id): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(store.pager.wal!.endOffset > WriteAheadLog.growthBytes, "the frames passed the first step")
        try Self.expectAfterCrash(backend, acknowledged.withLock { $0 })
    }

    @Test("a full disk under the zeros written ahead (W8): commits that fit go on, the one that needs the space fails with disk full, and every acknowledged row survives a crash")
    func zeroingAheadOnAFullDisk() throws {
        let backend = SimulatedBackend()
        let store = try Self.openWithLog(backend)
        let step = WriteAheadLog.growthBytes
        let used = [DataSafetyTests.path, DataSafetyTests.walPath].map { backend.currentContents(path: $0)?.count ?? 0 }.reduce(0, +)
        // Room for a quarter of the next step: the leader's zeroing ahead of it fails.
        backend.faults.limitCapacity(bytes: used + step / 4)
        var acknowledged: [Int64: String] = [:]
        var failure: VireoError?
        var id: Int64 = 0
        while failure == nil, id < 2_000 {
            id += 1
            do {
                acknowledged[id] = try Self.commitRow(store, id)
            } catch let error as VireoError {
                failure = error
            }
        }
        #expect(store.pager.wal!.endOffset > step / 2, "commits went on after the zeroing ahead failed")
        #expect(failure?.code == .diskFull, "the commit that needed the space: \(String(describing: failure))")
        #expect(backend.stats.faultsInjected >= 2, "the zeroing ahead met the full disk before the commit did")
        try? store.close()
        backend.faults.clear()
        try Self.expectAfterCrash(backend, acknowledged)
    }
}
