import Foundation
import Testing
@testable import VireoStorage

/// The ways an adversarial user made the engine lose acknowledged data (issue 7), each
/// reproduced in process: a second opener of the same file, a file that is not a Vireo
/// database, a recovery that fails half way, and a WAL damaged in the middle.
@Suite("Data safety: locks, foreign files, failed recovery, WAL damage")
struct DataSafetyTests {
    static let path = "/sim/safe.vireo"
    static var walPath: String { path + "-wal" }
    static let frameBytes = WriteAheadLog.frameHeaderBytes + StorageFormat.pageSizeBytes

    /// Options that never checkpoint, so committed transactions stay in the WAL.
    static func options(_ backend: any IOBackend, readOnly: Bool = false, acceptWALLoss: Bool = false,
                        busyTimeoutMs: Int = 0) -> StorageOptions {
        StorageOptions(backend: backend, bufferPoolBytes: 64 * StorageFormat.pageSizeBytes, walCheckpointBytes: 1 << 40,
                       readOnly: readOnly, busyTimeoutMs: busyTimeoutMs, acceptWALLoss: acceptWALLoss)
    }

    /// A database whose `transactions` commits (of three rows each) are only in its WAL,
    /// as a process that died without a checkpoint leaves it. Returns the acknowledged ids.
    @discardableResult
    static func databaseInItsWAL(_ backend: SimulatedBackend, transactions: Int) throws -> Set<Int64> {
        let store = try Store.open(path: path, options: options(backend))
        try store.write { transaction in
            try transaction.createTable(TableDefinition(
                name: "log", columns: [ColumnDefinition(name: "id", type: .int, notNull: true),
                                       ColumnDefinition(name: "payload", type: .text)], rowIDColumn: 0))
        }
        let outcome = FaultInjectionTests.runWorkload(store, firstID: 1, transactions: transactions)
        #expect(outcome.error == nil, "the workload failed: \(String(describing: outcome.error))")
        backend.crash(policy: .dropUnsynced)
        return outcome.acknowledged
    }

    static func ids(in store: Store) throws -> Set<Int64> {
        try store.read { snapshot in
            var ids: Set<Int64> = []
            try snapshot.scanRows(snapshot.table("log")) { id, _ in ids.insert(id); return true }
            return ids
        }
    }

    static func overwrite(_ backend: SimulatedBackend, _ path: String, at offset: Int, with bytes: [UInt8]) throws {
        let file = try backend.openFile(path: path, create: true)
        try write(file, bytes, at: offset)
        try file.sync()
    }

    /// Flips one byte inside the page image of WAL frame `index` (0-based).
    static func damageFrame(_ backend: SimulatedBackend, index: Int) throws {
        let offset = WriteAheadLog.headerBytes + index * frameBytes + WriteAheadLog.frameHeaderBytes + 1000
        let byte = try #require(backend.durableContents(path: walPath))[offset]
        try overwrite(backend, walPath, at: offset, with: [byte ^ 0x5a])
    }

    /// Frames of the log's generation, up to the zeros written ahead of them (W7).
    static func frameCount(_ backend: SimulatedBackend) throws -> Int {
        frameCount(inWAL: try #require(backend.durableContents(path: walPath)))
    }

    /// Frames of the log's current generation in `wal`: up to the first whose salt differs
    /// (older frames or the zeros written ahead of the frames, W7).
    static func frameCount(inWAL wal: [UInt8]) -> Int {
        let salt = Array(wal[16..<20])
        var count = 0
        while WriteAheadLog.headerBytes + (count + 1) * frameBytes <= wal.count {
            let frameSalt = WriteAheadLog.headerBytes + count * frameBytes + 12
            guard Array(wal[frameSalt..<(frameSalt + 4)]) == salt else { break }
            count += 1
        }
        return count
    }

    // MARK: - One writer per file

    @Test("a second writable open of a file fails with lock_not_available until the first closes", arguments: BackendKind.allCases)
    func secondWriterIsRefused(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let path = directory + "/locked.vireo"
            let first = try Store.open(path: path, options: Self.options(backend))
            let error = expectVireoError { _ = try Store.open(path: path, options: Self.options(backend)) }
            #expect(error?.code == .lockNotAvailable, "expected lock_not_available, got \(String(describing: error))")
            #expect(error?.sqlState == "55P03")
            #expect(error?.message.contains("is locked by") == true, "got: \(String(describing: error?.message))")
            if kind != .simulated {
                #expect(error?.message.contains("this process") == true, "the holder should be named: \(String(describing: error?.message))")
            }
            let reader = expectVireoError { _ = try Store.open(path: path, options: Self.options(backend, readOnly: true)) }
            #expect(reader?.code == .lockNotAvailable, "a reader must wait for the writer, got \(String(describing: reader))")
            try first.close()
            let second = try Store.open(path: path, options: Self.options(backend))
            try second.close()
        }
    }

    @Test("a busy open waits up to its timeout, then says how long it waited")
    func busyTimeoutWaits() throws {
        let backend = SimulatedBackend(seed: 3)
        let first = try Store.open(path: Self.path, options: Self.options(backend))
        defer { try? first.close() }
        let start = Date()
        let error = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend, busyTimeoutMs: 60)) }
        let waitedMs = Date().timeIntervalSince(start) * 1000
        #expect(error?.code == .lockNotAvailable)
        #expect(waitedMs >= 60, "the open gave up after \(waitedMs) ms, before its 60 ms timeout")
        #expect(error?.message.contains("after waiting") == true, "got: \(String(describing: error?.message))")
    }

    @Test("read-only opens share a file with each other")
    func readersShare() throws {
        let backend = SimulatedBackend(seed: 4)
        try Self.databaseInItsWAL(backend, transactions: 2)
        let first = try Store.open(path: Self.path, options: Self.options(backend, readOnly: true))
        let second = try Store.open(path: Self.path, options: Self.options(backend, readOnly: true))
        #expect(try Self.ids(in: first) == Self.ids(in: second))
        let writer = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend)) }
        #expect(writer?.code == .lockNotAvailable)
        try first.close()
        try second.close()
    }

    // MARK: - Foreign files

    static func sqliteHeader() -> [UInt8] { Array("SQLite format 3\0".utf8) + [UInt8](repeating: 7, count: 4080) }

    static let foreignFiles: [(name: String, bytes: [UInt8], expected: String)] = [
        ("a text file", Array("my notes\n".utf8), "not a Vireo database (it begins with the text \"my notes\\n\""),
        ("a SQLite database", sqliteHeader(), "the header of a SQLite database"),
        ("16 KiB of zeros", [UInt8](repeating: 0, count: 16 << 10), "begins with zero bytes"),
        ("random bytes", pattern(count: 300, seed: 9), "not a Vireo database"),
    ]

    @Test("a file that is not a Vireo database is refused, left byte for byte as it was, and nothing is created beside it",
          arguments: [false, true])
    func foreignFileIsRefused(readOnly: Bool) throws {
        for foreign in Self.foreignFiles {
            let backend = SimulatedBackend(seed: 5)
            try Self.overwrite(backend, Self.path, at: 0, with: foreign.bytes)
            let error = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend, readOnly: readOnly)) }
            #expect(error?.code == .corruption, "\(foreign.name): expected corruption, got \(String(describing: error))")
            #expect(error?.message.contains(foreign.expected) == true, "\(foreign.name): got \(String(describing: error?.message))")
            #expect(backend.currentContents(path: Self.path) == foreign.bytes, "\(foreign.name) was changed")
            #expect(!backend.fileExists(path: Self.walPath), "\(foreign.name): a WAL was created beside it")
        }
    }

    @Test("a Vireo file cut short, or with a damaged meta page, is refused as damaged and left alone")
    func damagedHeaderIsRefused() throws {
        let backend = SimulatedBackend(seed: 6)
        try Self.databaseInItsWAL(backend, transactions: 3)
        try Store.open(path: Self.path, options: Self.options(backend)).close()
        let whole = try #require(backend.durableContents(path: Self.path))
        for (name, bytes) in [("the first 100 bytes", Array(whole.prefix(100))),
                              ("a flipped byte in the meta page", whole.enumerated().map { $0.offset == 60 ? $0.element ^ 1 : $0.element })] {
            try backend.removeFile(path: Self.path)
            try Self.overwrite(backend, Self.path, at: 0, with: bytes)
            let error = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend)) }
            #expect(error?.message.contains("damaged header") == true, "\(name): got \(String(describing: error))")
            #expect(backend.currentContents(path: Self.path) == bytes, "\(name): the file was changed")
        }
    }

    @Test("a missing or empty file becomes a new database; a read-only open creates nothing")
    func onlyEmptyFilesBecomeDatabases() throws {
        let backend = SimulatedBackend(seed: 7)
        let missing = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend, readOnly: true)) }
        #expect(missing?.message.contains("no database at") == true, "got \(String(describing: missing))")
        #expect(!backend.fileExists(path: Self.path) && !backend.fileExists(path: Self.walPath))
        try Self.overwrite(backend, Self.path, at: 0, with: [])
        let store = try Store.open(path: Self.path, options: Self.options(backend))
        #expect(store.catalog.tables.isEmpty)
        try store.close()
    }

    @Test("a crash while a database is being created leaves an empty file or a whole database")
    func crashDuringCreation() throws {
        for seed in UInt64(0)..<40 {
            let backend = SimulatedBackend(seed: seed)
            _ = try? Store.open(path: Self.path, options: Self.options(backend))
            backend.crash()
            let store = try Store.open(path: Self.path, options: Self.options(backend))
            try expectSound(store)
            try store.close()
        }
    }

    // MARK: - Recovery is all or nothing

    @Test("a recovery that fails at any write or fsync leaves the WAL as it was, and the next open recovers everything",
          arguments: [FaultInjectionTests.Fault.failedWrite, .failedSync, .shortWrite, .diskFull])
    func failedRecoveryLosesNothing(fault: FaultInjectionTests.Fault) throws {
        for number in 1...200 {
            let backend = SimulatedBackend(seed: 100 + UInt64(number))
            let acknowledged = try Self.databaseInItsWAL(backend, transactions: 12)
            let walBefore = backend.durableContents(path: Self.walPath)
            let faultsBefore = backend.stats.faultsInjected
            FaultInjectionTests.arm(fault, number: number, on: backend)
            let opened = try? Store.open(path: Self.path, options: Self.options(backend))
            let fired = backend.stats.faultsInjected > faultsBefore
            backend.faults.clear()
            if opened == nil {
                #expect(backend.durableContents(path: Self.walPath) == walBefore, "\(fault) #\(number): the failed recovery changed the WAL")
            }
            _ = try? opened?.close()
            backend.crash()
            let store = try Store.open(path: Self.path, options: Self.options(backend))
            let lost = acknowledged.subtracting(try Self.ids(in: store))
            #expect(lost.isEmpty, "\(fault) #\(number), seed \(backend.seed): acknowledged rows lost: \(lost.sorted().prefix(10))")
            try expectSound(store)
            try store.close()
            if !fired {
                #expect(number > 2, "\(fault): the sweep should have failed several operations of recovery, it stopped at \(number)")
                return
            }
        }
        Issue.record("\(fault): faults still fired after 200 operations of recovery")
    }

    @Test("recovery on a full disk fails with disk_full, gives back the space, and succeeds once there is room")
    func recoveryOnAFullDisk() throws {
        let backend = SimulatedBackend(seed: 8)
        let acknowledged = try Self.databaseInItsWAL(backend, transactions: 30)
        let databaseBytes = try #require(backend.durableContents(path: Self.path)).count
        let walBytes = try #require(backend.durableContents(path: Self.walPath)).count
        backend.faults.limitCapacity(bytes: databaseBytes + walBytes + StorageFormat.pageSizeBytes)
        let walBefore = backend.durableContents(path: Self.walPath)
        let error = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend)) }
        #expect(error?.code == .diskFull, "expected disk_full, got \(String(describing: error))")
        #expect(backend.currentContents(path: Self.walPath) == walBefore, "the WAL changed")
        #expect(backend.currentContents(path: Self.path)?.count == databaseBytes, "the database file kept the pages of a failed recovery")
        backend.faults.clear()
        let store = try Store.open(path: Self.path, options: Self.options(backend))
        #expect(try Self.ids(in: store) == acknowledged)
        try expectSound(store)
        try store.close()
    }

    @Test("a read-only open recovers in memory: it sees every commit and writes no byte")
    func readOnlyRecoveryWritesNothing() throws {
        let backend = SimulatedBackend(seed: 9)
        let acknowledged = try Self.databaseInItsWAL(backend, transactions: 10)
        let before = (backend.durableContents(path: Self.path), backend.durableContents(path: Self.walPath))
        let writesBefore = backend.stats.writes
        let store = try Store.open(path: Self.path, options: Self.options(backend, readOnly: true))
        #expect(try Self.ids(in: store) == acknowledged)
        try expectSound(store)
        let refusal = expectVireoError { _ = try store.beginWrite() }
        #expect(refusal?.code == .readOnly)
        try store.close()
        #expect(backend.stats.writes == writesBefore, "a read-only open wrote \(backend.stats.writes - writesBefore) times")
        #expect(backend.currentContents(path: Self.path) == before.0 && backend.currentContents(path: Self.walPath) == before.1)
    }

    // MARK: - WAL damage

    @Test("a damaged frame in the middle of the WAL refuses the open, naming the frame and the transactions at stake")
    func damageInTheMiddleIsReported() throws {
        let backend = SimulatedBackend(seed: 10)
        let acknowledged = try Self.databaseInItsWAL(backend, transactions: 20)
        let frames = try Self.frameCount(backend)
        try Self.damageFrame(backend, index: frames / 2)
        let walBefore = backend.durableContents(path: Self.walPath)
        let error = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend)) }
        #expect(error?.code == .corruption)
        #expect(error?.message.contains("damaged at frame \(frames / 2 + 1)") == true, "got \(String(describing: error))")
        #expect(error?.message.contains("cannot be recovered (LSN") == true, "got \(String(describing: error))")
        #expect(error?.message.contains("--accept-wal-loss") == true, "the error must say how to open anyway")
        #expect(backend.durableContents(path: Self.walPath) == walBefore, "the refused open changed the WAL")

        // What `vireo check` does: a read-only look that reports the damage and changes nothing.
        let look = try Store.open(path: Self.path, options: Self.options(backend, readOnly: true, acceptWALLoss: true))
        let damage = try #require(look.pager.walDamage)
        #expect(!damage.transactionsAtStake.isEmpty)
        let seen = try Self.ids(in: look)
        #expect(seen.isSubset(of: acknowledged) && seen.count < acknowledged.count)
        try look.close()
        #expect(backend.durableContents(path: Self.walPath) == walBefore, "a read-only look changed the WAL")

        // Accepting the loss opens the database with the transactions before the damage and keeps the WAL's bytes.
        let accepted = try Store.open(path: Self.path, options: Self.options(backend, acceptWALLoss: true))
        #expect(try Self.ids(in: accepted) == seen)
        try expectSound(accepted)
        try accepted.close()
        #expect(backend.durableContents(path: Self.walPath + ".damaged") == walBefore, "the damaged WAL was not kept")
        try Store.open(path: Self.path, options: Self.options(backend)).close()
    }

    @Test("damage in the last transaction's commit frame is a torn tail: that transaction is dropped, nothing reported")
    func damageAtTheEndIsATornTail() throws {
        let backend = SimulatedBackend(seed: 11)
        let acknowledged = try Self.databaseInItsWAL(backend, transactions: 5)
        try Self.damageFrame(backend, index: try Self.frameCount(backend) - 1)
        let store = try Store.open(path: Self.path, options: Self.options(backend))
        #expect(store.pager.walDamage == nil)
        let present = try Self.ids(in: store)
        #expect(acknowledged.subtracting(present).count == 3, "exactly the last transaction is dropped")
        try store.close()
    }

    @Test("a WAL header garbled by a crash during a reset is ignored when the database already holds its frames")
    func garbledHeaderAfterCheckpoint() throws {
        let backend = SimulatedBackend(seed: 12)
        let acknowledged = try Self.databaseInItsWAL(backend, transactions: 6)
        let walBytes = try #require(backend.durableContents(path: Self.walPath))
        try Store.open(path: Self.path, options: Self.options(backend)).close()  // recovers and checkpoints
        // Put the old frames back behind a header of noise: all of them are in the database file now.
        try Self.overwrite(backend, Self.walPath, at: 0, with: pattern(count: 32, seed: 1) + walBytes.dropFirst(32))
        let store = try Store.open(path: Self.path, options: Self.options(backend))
        #expect(try Self.ids(in: store) == acknowledged)
        try store.close()
    }

    @Test("a WAL header that does not read back is damage when its frames are not in the database yet")
    func garbledHeaderBeforeCheckpoint() throws {
        let backend = SimulatedBackend(seed: 13)
        try Self.databaseInItsWAL(backend, transactions: 6)
        try Self.overwrite(backend, Self.walPath, at: 0, with: pattern(count: 32, seed: 1))
        let error = expectVireoError { _ = try Store.open(path: Self.path, options: Self.options(backend)) }
        #expect(error?.message.contains("damaged at the header") == true, "got \(String(describing: error))")
    }
}
