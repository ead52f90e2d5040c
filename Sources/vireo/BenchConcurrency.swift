import ArgumentParser
import Dispatch
import Foundation
import VireoQuery
import VireoStorage

/// `vireo bench concurrency`: commits per second of small write transactions from many
/// sessions at once, in-process, on a database file with durable commits. Prints one
/// tab-separated line per run (workload, sessions, commits/s, p50 ms, p99 ms, fsyncs per
/// commit, serialization failures), which Benchmarks/concurrency/bench_concurrency.sh
/// sets beside SQLite's and PostgreSQL's figures for the same workloads.
struct BenchConcurrency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concurrency", abstract: "Commits/s of small transactions from 1…64 sessions (group commit).")

    @Option(help: "Database directory (a fresh file is created in it).") var directory: String = NSTemporaryDirectory()
    @Option(help: "Session counts, comma-separated.") var sessions: String = "1,4,16,64"
    @Option(help: "Workloads, comma-separated: insert, update10, transfer.") var workloads: String = "insert,update10,transfer"
    @Option(help: "Seconds per run.") var seconds: Double = 5
    @Option(help: "Accounts (rows) the update and transfer workloads pick from.") var accounts: Int = 100_000

    func run() throws {
        let path = (directory as NSString).appendingPathComponent("bench-concurrency-\(getpid()).vireo")
        defer { for suffix in ["", "-wal"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let db = try Database.open(path: path)
        try load(db)
        for workload in workloads.split(separator: ",").map(String.init) {
            for count in sessions.split(separator: ",").compactMap({ Int($0) }) {
                let paths = db.store.commitPaths.snapshot
                let chain = db.store.commitChainTimes
                let result = try measure(db, workload: workload, sessions: count)
                FileHandle.standardOutput.write(Data((result.line(workload: workload, sessions: count) + "\n").utf8))
                let after = db.store.commitPaths.snapshot
                FileHandle.standardError.write(Data("\(workload) \(count): pages moved whole \(after.movedWhole - paths.movedWhole), in part \(after.movedInPart - paths.movedInPart), replayed \(after.replayed - paths.replayed); \(db.store.commitChainTimes.perBatch(since: chain))\n".utf8))
            }
        }
        try db.close()
    }

    private func load(_ db: Database) throws {
        try db.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, note text)")
        try db.execute("CREATE TABLE history (id bigserial PRIMARY KEY, account bigint, delta bigint)")
        let batch = 10_000
        for start in stride(from: 1, through: accounts, by: batch) {
            let values = (start..<min(start + batch, accounts + 1)).map { "(\($0), 1000, 'account \($0)')" }
            try db.execute("INSERT INTO accounts VALUES " + values.joined(separator: ", "))
        }
    }

    /// The statements of one transaction of `workload`, with $n parameters: each session
    /// parses them once and runs them with fresh values, as pgbench -M prepared does.
    private func template(_ workload: String) -> [String] {
        switch workload {
        case "insert":
            return ["INSERT INTO history (account, delta) VALUES ($1, 1)"]
        case "update10":
            return ["UPDATE accounts SET balance = balance + 1 WHERE id IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"]
        default:  // TPC-B-like: move an amount between two accounts and log it.
            return ["BEGIN", "UPDATE accounts SET balance = balance - $2 WHERE id = $1",
                    "UPDATE accounts SET balance = balance + $2 WHERE id = $1",
                    "INSERT INTO history (account, delta) VALUES ($1, $2)", "COMMIT"]
        }
    }

    /// Fresh parameter values for each statement of one transaction of `workload`.
    private func parameters(_ workload: String, _ random: inout SystemRandomNumberGenerator) -> [[Value]] {
        let pick = { (random: inout SystemRandomNumberGenerator) in Int64.random(in: 1...Int64(accounts), using: &random) }
        switch workload {
        case "insert": return [[.int(pick(&random))]]
        case "update10": return [(0..<10).map { _ in .int(pick(&random)) }]
        default:
            let (from, to, amount) = (pick(&random), pick(&random), Int64.random(in: 1...100, using: &random))
            return [[], [.int(from), .int(amount)], [.int(to), .int(amount)], [.int(from), .int(-amount)], []]
        }
    }

    private func measure(_ db: Database, workload: String, sessions count: Int) throws -> RunResult {
        let syncsBefore = db.storageStatistics.walCommitSyncs
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let outcomes = RunOutcomes()
        let finished = DispatchSemaphore(value: 0)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count {
            Thread { [self] in
                defer { finished.signal() }
                let session = db.session()
                var random = SystemRandomNumberGenerator()
                var mine: [Double] = []
                // The templates are ours; one that did not parse would time half a transaction.
                let statements = template(workload).map { sql in
                    guard let statement = try? Parser.parseScript(sql).first else { preconditionFailure("bench statement does not parse: \(sql)") }
                    return statement
                }
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    let values = parameters(workload, &random)
                    let began = DispatchTime.now().uptimeNanoseconds
                    do {
                        for (statement, values) in zip(statements, values) { try session.execute(statement, values) }
                        mine.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
                    } catch {
                        outcomes.noteFailure()
                        _ = try? session.execute("ROLLBACK")
                    }
                }
                outcomes.add(mine)
            }.start()
        }
        for _ in 0..<count { finished.wait() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let sorted = outcomes.latenciesMs.sorted()
        let syncs = db.storageStatistics.walCommitSyncs - syncsBefore
        return RunResult(commits: sorted.count, seconds: elapsed, latenciesMs: sorted, syncs: syncs,
                         conflicts: outcomes.failures)
    }
}

/// What the threads of one run report. A class, so the threads share it on the heap.
private final class RunOutcomes: @unchecked Sendable {
    private let lock = Lock()
    private var latencies: [Double] = []
    private var failureCount = 0

    func add(_ latenciesMs: [Double]) { lock.withLock { latencies += latenciesMs } }
    func noteFailure() { lock.withLock { failureCount += 1 } }
    var latenciesMs: [Double] { lock.withLock { latencies } }
    var failures: Int { lock.withLock { failureCount } }
}

/// The figures of one run.
private struct RunResult {
    var commits: Int
    var seconds: Double
    var latenciesMs: [Double]
    var syncs: Int
    var conflicts: Int

    func percentile(_ fraction: Double) -> Double {
        guard !latenciesMs.isEmpty else { return 0 }
        return latenciesMs[min(latenciesMs.count - 1, Int(Double(latenciesMs.count) * fraction))]
    }

    func line(workload: String, sessions: Int) -> String {
        let rate = Double(commits) / seconds
        let syncsPerCommit = commits > 0 ? Double(syncs) / Double(commits) : 0
        return [workload, String(sessions), String(format: "%.0f", rate), String(format: "%.2f", percentile(0.5)),
                String(format: "%.2f", percentile(0.99)), String(format: "%.2f", syncsPerCommit), String(conflicts)]
            .joined(separator: "\t")
    }
}
