import Foundation
import Testing
@testable import VireoStorage

@Suite("Readers and the writer")
struct ConcurrencyTests {
    @Test("readers never see a half-applied or uncommitted transaction", arguments: [BackendKind.uring, .posix])
    func readersSeeWholeTransactions(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let store = try Store.open(path: directory + "/readers.vireo", options: testOptions(backend, poolPages: 32))
            try store.write { transaction in
                try transaction.createTable(TableDefinition(name: "pairs", columns: [ColumnDefinition(name: "v", type: .int)]))
            }
            let transactionCount = 200
            let problems = ProblemLog()
            DispatchQueue.concurrentPerform(iterations: 3) { worker in
                if worker == 0 {
                    // Every transaction inserts two rows whose values sum to zero, and holds the
                    // writer for a while between them.
                    for number in 1...transactionCount {
                        try? store.write { transaction in
                            try transaction.insert(into: "pairs", row: [.int(Int64(number))])
                            try transaction.insert(into: "pairs", row: [.int(-Int64(number))])
                        }
                    }
                    return
                }
                for _ in 0..<300 {
                    let (count, sum) = (try? store.read { snapshot -> (Int, Int64) in
                        var count = 0
                        var sum: Int64 = 0
                        try snapshot.scanRows(snapshot.table("pairs")) { _, record in
                            if case .int(let value) = try record.value(at: 0) { sum += value }
                            count += 1
                            return true
                        }
                        return (count, sum)
                    }) ?? (-1, -1)
                    if count % 2 != 0 || sum != 0 {
                        problems.record("reader saw \(count) rows summing to \(sum)")
                    }
                }
            }
            #expect(problems.entries.isEmpty, "\(problems.entries.prefix(5))")
            let finalCount = try store.read { try $0.rowCount($0.table("pairs")) }
            #expect(finalCount == 2 * transactionCount)
        }
    }

    @Test("a reader is not blocked while a write transaction is open")
    func readersProceedDuringWrite() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/open-write.vireo", options: testOptions(backend))
            try store.write { try $0.createTable(TableDefinition(name: "t", columns: [ColumnDefinition(name: "v", type: .int)])) }
            let transaction = try store.beginWrite()
            try transaction.insert(into: "t", row: [.int(1)])
            // The write transaction is open; a read on this same thread must complete.
            let visible = try store.read { try $0.rowCount($0.table("t")) }
            #expect(visible == 0, "uncommitted row visible to a reader")
            try transaction.commit()
            #expect(try store.read { try $0.rowCount($0.table("t")) } == 1)
        }
    }
}

/// Problems noticed by concurrent workers, reported after they finish.
final class ProblemLog: @unchecked Sendable {
    private let lock = Lock()
    private var recorded: [String] = []
    func record(_ problem: String) { lock.withLock { recorded.append(problem) } }
    var entries: [String] { lock.withLock { recorded } }
}
