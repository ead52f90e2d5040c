import ArgumentParser
import Dispatch
import Foundation
import VireoStorage

/// `vireo crash-writer PATH`: the child of the crash test. Commits small transactions
/// forever and reports each one on standard output:
///
///     begin FIRST LAST      about to write rows FIRST…LAST in one transaction
///     commit FIRST LAST     the engine acknowledged that transaction
///     rollback FIRST LAST   those rows were written and rolled back
///
/// The parent SIGKILLs it at random moments and checks the database after each kill.
/// With `--threads N`, N threads commit at once (transactions over snapshots, joined by
/// group commit), each on row ids of its own.
struct CrashWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer", abstract: "Child process of the crash test.", shouldDisplay: false)

    @Argument(help: "Path of the database file.")
    var path: String

    @Option(help: "WAL size that triggers a checkpoint; small values checkpoint often.")
    var walCheckpointBytes = 256 << 10

    @Option(help: "First row id to write; by default one past the largest present. The crash test passes one past every id it has seen begun, so a rolled-back id is never reused.")
    var firstID: Int64?

    @Option(help: "Stop after this many transactions (a bound for runs nobody kills).")
    var transactionsMax = 1_000_000

    @Option(help: "Threads committing at once; 1 writes through the writer gate, one transaction at a time.")
    var threads = 1

    func run() throws {
        let store = try Store.open(path: path, options: StorageOptions(walCheckpointBytes: walCheckpointBytes))
        try store.write { transaction in
            guard transaction.catalog.tables["acks"] == nil else { return }
            try transaction.createTable(TableDefinition(name: "acks", columns: [
                ColumnDefinition(name: "id", type: .int, notNull: true), ColumnDefinition(name: "note", type: .text),
            ], rowIDColumn: 0))
        }
        let nextID = try firstID ?? store.read { snapshot in
            var last: Int64 = 0
            try snapshot.scanRows(snapshot.table("acks"), reverse: true) { id, _ in last = id; return false }
            return last + 1
        }
        let ids = RowIDRanges(next: nextID)
        let perThread = max(1, transactionsMax / max(1, threads))
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<max(1, threads) {
            Thread { [self] in
                defer { finished.signal() }
                var random = SystemRandomNumberGenerator()
                for _ in 0..<perThread {
                    let rowCount = Int64.random(in: 1...40, using: &random)
                    let first = ids.take(rowCount)
                    let rollback = Int.random(in: 0..<8, using: &random) == 0
                    do {
                        try writeTransaction(store, first: first, last: first + rowCount - 1, rollback: rollback)
                    } catch {
                        FileHandle.standardError.write(Data("crash-writer: \(error)\n".utf8))
                        Foundation.exit(1)
                    }
                }
            }.start()
        }
        for _ in 0..<max(1, threads) { finished.wait() }
    }

    private func writeTransaction(_ store: Store, first: Int64, last: Int64, rollback: Bool) throws {
        report("begin \(first) \(last)")
        let transaction = try threads > 1 ? store.beginTransaction() : store.beginWrite()
        for id in first...last {
            let note = String(repeating: "n\(id) ", count: Int(id % 50) + 1)
            try transaction.insert(into: "acks", row: [.int(id), .text(note)])
        }
        if rollback {
            transaction.rollback()
            report("rollback \(first) \(last)")
        } else {
            try transaction.commit()
            report("commit \(first) \(last)")
        }
    }

    /// Writes a line straight to the pipe: nothing may sit in a buffer when the kill comes.
    private func report(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Hands each thread the next range of row ids. A class, so the threads share it on the heap.
private final class RowIDRanges: @unchecked Sendable {
    private let lock = Lock()
    private var next: Int64

    init(next: Int64) { self.next = next }

    /// The first of `count` ids no other thread gets.
    func take(_ count: Int64) -> Int64 {
        lock.withLock {
            defer { next += count }
            return next
        }
    }
}
