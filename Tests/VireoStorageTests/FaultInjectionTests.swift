import Foundation
import Testing
@testable import VireoStorage

/// Fault injection and simulated power loss through the simulated I/O backend: every
/// acknowledged commit survives, nothing unacknowledged appears from nowhere, and the
/// database refuses writes once it can no longer promise durability.
@Suite("Faults and crashes on a simulated disk")
struct FaultInjectionTests {
    static let path = "/sim/db.vireo"

    /// The ids a workload committed, and those whose commit failed (which may or may not
    /// have reached the disk, as with any database when fsync fails).
    struct Outcome {
        var acknowledged: Set<Int64> = []
        var inDoubt: Set<Int64> = []
        var error: VireoError?
    }

    /// Opens the database on `backend` with a tiny WAL limit, so checkpoints run often.
    static func open(_ backend: SimulatedBackend) throws -> Store {
        try Store.open(path: path, options: testOptions(backend, poolPages: 16, walCheckpointBytes: 64 << 10))
    }

    static func createTable(_ backend: SimulatedBackend) throws {
        let store = try open(backend)
        try store.write { transaction in
            try transaction.createTable(TableDefinition(
                name: "log", columns: [ColumnDefinition(name: "id", type: .int, notNull: true),
                                       ColumnDefinition(name: "payload", type: .text)], rowIDColumn: 0))
        }
        try store.close()
    }

    /// Commits transactions of three rows until `transactions` are done or one fails.
    static func runWorkload(_ store: Store, firstID: Int64, transactions: Int) -> Outcome {
        var outcome = Outcome()
        var nextID = firstID
        for _ in 0..<transactions {
            let ids = (nextID..<(nextID + 3))
            nextID += 3
            do {
                try store.write { transaction in
                    for id in ids { try transaction.insert(into: "log", row: [.int(id), .text(payload(id))]) }
                }
                outcome.acknowledged.formUnion(ids)
            } catch {
                outcome.inDoubt.formUnion(ids)
                outcome.error = error as? VireoError
                return outcome
            }
        }
        return outcome
    }

    static func payload(_ id: Int64) -> String { "payload \(id) " + String(repeating: "•", count: Int(id % 97)) }

    /// Reopens after a crash and checks the durability promise and the integrity check.
    static func verifyAfterRestart(_ backend: SimulatedBackend, _ outcome: Outcome, context: String) throws {
        backend.faults.clear()
        let store = try open(backend)
        defer { try? store.close() }
        var present: Set<Int64> = []
        try store.read { snapshot in
            try snapshot.scanRows(snapshot.table("log")) { id, record in
                let stored = try record.value(at: 1)
                #expect(stored == .text(payload(id)), "\(context): row \(id) has a wrong payload")
                present.insert(id)
                return true
            }
        }
        let lost = outcome.acknowledged.subtracting(present)
        let phantom = present.subtracting(outcome.acknowledged).subtracting(outcome.inDoubt)
        #expect(lost.isEmpty, "\(context): acknowledged rows lost: \(lost.sorted().prefix(10))")
        #expect(phantom.isEmpty, "\(context): rows never written appeared: \(phantom.sorted().prefix(10))")
        let report = try store.checkIntegrity()
        #expect(report.isSound, "\(context): \(report)")
    }

    enum Fault: CaseIterable, Sendable {
        case failedWrite, failedSync, shortWrite, diskFull
    }

    /// Arms the `number`th fault of `kind` from now.
    static func arm(_ fault: Fault, number: Int, on backend: SimulatedBackend) {
        switch fault {
        case .failedWrite: backend.faults.failWrite(number: number)
        case .failedSync: backend.faults.failSync(number: number)
        case .shortWrite: backend.faults.shortWrite(number: number)
        case .diskFull: backend.faults.failWrite(number: number, errno: ENOSPC)
        }
    }

    @Test("sweep: fail the 1st, 2nd … Nth operation until none fires; nothing acknowledged is lost",
          arguments: Fault.allCases)
    func faultSweep(fault: Fault) throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        for number in 1...400 {
            let backend = SimulatedBackend(seed: seed &+ UInt64(number))
            try Self.createTable(backend)
            let store = try Self.open(backend)
            let before = backend.stats.faultsInjected
            Self.arm(fault, number: number, on: backend)
            let outcome = Self.runWorkload(store, firstID: 1, transactions: 40)
            let fired = backend.stats.faultsInjected > before
            let context = "\(fault) #\(number), seed \(backend.seed)"
            if fired {
                // Whatever failed, a new write must be refused until the database is reopened.
                let refusal = expectVireoError { _ = try store.write { try $0.insert(into: "log", row: [.int(1_000_000), .null]) } }
                #expect(refusal?.code == .readOnly, "\(context): expected writes to be refused, got \(String(describing: refusal))")
            }
            backend.crash()
            try Self.verifyAfterRestart(backend, outcome, context: context)
            if !fired {
                #expect(number > 20, "\(fault): the sweep should have failed many operations, it stopped at \(number)")
                print("\(fault): \(number - 1) runs with a fault, seed \(seed)")
                return
            }
        }
        Issue.record("\(fault): the fault still fired after 400 operations; the workload is larger than the sweep")
    }

    @Test("a failed fsync of the zeros written ahead of the log fails every commit after it (W9)")
    func failedSyncOfZerosAhead() throws {
        // A WAL limit past what the workload writes: the log grows to half a step of zeros,
        // and a commit then writes and fsyncs the next step (W8) after its own fsync.
        func open(_ backend: SimulatedBackend) throws -> Store {
            try Store.open(path: Self.path, options: testOptions(backend, poolPages: 16, walCheckpointBytes: 64 << 20))
        }
        // A first run finds the commit that writes zeros ahead: the one that syncs twice.
        let probe = SimulatedBackend(seed: 21)
        try Self.createTable(probe)
        var zeroingCommit: Int?
        do {
            let store = try open(probe)
            for commit in 0..<2_000 where zeroingCommit == nil {
                let syncsBefore = probe.stats.syncs
                _ = Self.runWorkload(store, firstID: Int64(commit * 3 + 1), transactions: 1)
                if probe.stats.syncs - syncsBefore >= 2 { zeroingCommit = commit }
            }
            try store.close()
        }
        guard let zeroingCommit else { Issue.record("no commit wrote zeros ahead in 2,000"); return }
        // The same run again, with that commit's second fsync (the zeros') failing.
        let backend = SimulatedBackend(seed: 21)
        try Self.createTable(backend)
        let store = try open(backend)
        var outcome = Self.runWorkload(store, firstID: 1, transactions: zeroingCommit)
        #expect(outcome.error == nil)
        backend.faults.failSync(number: 2)
        let zeroing = Self.runWorkload(store, firstID: Int64(zeroingCommit * 3 + 1), transactions: 1)
        #expect(zeroing.error == nil, "the commit's own fsync succeeded before the zeros' failed")
        let next = Self.runWorkload(store, firstID: Int64(zeroingCommit * 3 + 4), transactions: 1)
        #expect(next.error != nil, "a commit after the failed fsync of zeros must fail, not be acknowledged")
        outcome.acknowledged.formUnion(zeroing.acknowledged.union(next.acknowledged))
        outcome.inDoubt.formUnion(zeroing.inDoubt.union(next.inDoubt))
        let refusal = expectVireoError { _ = try store.write { try $0.insert(into: "log", row: [.int(1_000_000), .null]) } }
        #expect(refusal?.code == .readOnly, "expected writes to be refused, got \(String(describing: refusal))")
        backend.crash()
        try Self.verifyAfterRestart(backend, outcome, context: "zeros ahead, commit \(zeroingCommit)")
    }

    @Test("random power loss during a stream of commits keeps every acknowledged one")
    func randomCrashes() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        let backend = SimulatedBackend(seed: seed)
        try Self.createTable(backend)
        var outcome = Outcome()
        var nextID: Int64 = 1
        for round in 0..<60 {
            let store = try Self.open(backend)
            let transactions = Int((backend.seed &+ UInt64(round)) % 25)
            let result = Self.runWorkload(store, firstID: nextID, transactions: transactions)
            nextID += Int64(3 * transactions)
            outcome.acknowledged.formUnion(result.acknowledged)
            let report = backend.crash()
            try Self.verifyAfterRestart(backend, outcome, context: "round \(round), \(report)")
        }
    }

    @Test("a page that reads back damaged is reported as corruption naming the file and page")
    func tornPageOnRead() throws {
        let backend = SimulatedBackend(seed: 11)
        try Self.createTable(backend)
        var store = try Self.open(backend)
        _ = Self.runWorkload(store, firstID: 1, transactions: 100)
        try store.close()
        let pageSize = StorageFormat.pageSizeBytes
        backend.faults.corruptReads(path: Self.path, byteRange: (3 * pageSize + 100)..<(3 * pageSize + 140))
        store = try Self.open(backend)
        let report = try store.checkIntegrity()
        let problems = report.problems.joined(separator: "\n")
        #expect(problems.contains("page 3 of '\(Self.path)'"), "expected a corruption naming page 3 of \(Self.path), got: \(report)")
        let scanError = expectVireoError { _ = try store.read { try $0.rowCount($0.table("log")) } }
        #expect(scanError?.code == .corruption, "a scan over the damaged page must fail with corruption, got \(String(describing: scanError))")
    }
}
