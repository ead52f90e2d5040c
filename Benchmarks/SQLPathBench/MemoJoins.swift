import BenchSQLite
import Foundation
import VireoStorage

/// `--memo-joins N`: PostgreSQL's Memoize in Vireo (JoinMemo), measured on its own. Two
/// joins of 1,000 outer rows into a table of 100,000 rows, after ANALYZE: one whose outer
/// keys take 100 values (the planner memoizes its probes), one whose keys are all distinct
/// (it does not). Each runs N times on Vireo with `enable_memoize` on and off in turn, and
/// on SQLite beside them, for the given rounds; medians of queries/s are printed.
enum MemoJoins {
    static let rowCount = 100_000
    static let outerRowCount = 1_000

    static let schema = """
        CREATE TABLE memo_items (id bigint PRIMARY KEY, grp int NOT NULL, spread int NOT NULL);
        CREATE TABLE memo_groups (id bigint PRIMARY KEY, label text NOT NULL);
        """
    static let joins = [
        ("keys repeating (100 values)", "SELECT i.id, g.label FROM memo_items i JOIN memo_groups g ON g.id = i.grp WHERE i.id BETWEEN $1 AND $2"),
        ("keys all distinct", "SELECT i.id, g.label FROM memo_items i JOIN memo_groups g ON g.id = i.spread WHERE i.id BETWEEN $1 AND $2"),
    ]

    /// The two tables filled by VALUES lists of 1,000 rows, then analysed.
    static func load(_ subject: any SQLSubject) throws {
        try subject.run(schema.replacingOccurrences(of: "bigint", with: subject is SQLiteSQLSubject ? "INTEGER" : "bigint"))
        for first in stride(from: 1, through: rowCount, by: 1_000) {
            let ids = first..<min(first + 1_000, rowCount + 1)
            let items = ids.map { "(\($0), \(Workload.row(Int64($0)).group), \(Int64($0) * 7_919 % Int64(rowCount)))" }
            try subject.run("INSERT INTO memo_items VALUES " + items.joined(separator: ", "))
            try subject.run("INSERT INTO memo_groups VALUES " + ids.map { "(\($0 - 1), 'group-\($0 - 1)')" }.joined(separator: ", "))
        }
        try subject.run("ANALYZE")
    }

    /// Runs each join `count` times (outer ranges from `seed`) for `rounds` rounds and
    /// prints queries/s; the checksums of the three runs of a join must agree.
    static func run(count: Int, rounds: Int, seed: UInt64, directory: String) throws {
        let folder = directory + "/vireo-bench-memo-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let vireo = try VireoSQLSubject(path: folder + "/vireo.db")
        let sqlite = try SQLiteSQLSubject(path: folder + "/sqlite.db")
        for subject in [vireo, sqlite] as [any SQLSubject] { try load(subject) }
        var random = SplitMix64(seed: seed)
        let starts = (0..<count).map { _ in Int64.random(in: 1...Int64(rowCount - outerRowCount + 1), using: &random) }
        let parameters = starts.map { [BenchParameter.int($0), .int($0 + Int64(outerRowCount) - 1)] }
        var lines = ["| join, \(grouped(count)) queries of \(grouped(outerRowCount)) outer rows | SQLite | Vireo, memo | Vireo, enable_memoize = off | memo/off |",
                     "|---|---:|---:|---:|---:|"]
        for (label, sql) in joins {
            var rates: [String: [Double]] = [:]
            for _ in 0..<rounds {
                var checksums: [Checksum] = []
                for system in ["memo", "off", "SQLite"] {
                    let subject: any SQLSubject = system == "SQLite" ? sqlite : vireo
                    if system != "SQLite" { try vireo.run("SET enable_memoize = \(system == "memo" ? "on" : "off")") }
                    let statement = try subject.prepare(sql)
                    let start = DispatchTime.now().uptimeNanoseconds
                    var checksum = Checksum()
                    for values in parameters { checksum = checksum + (try statement.run(values)) }
                    rates[system, default: []].append(Double(count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                    checksums.append(checksum)
                }
                guard Set(checksums.map(\.description)).count == 1 else { throw SQLiteError("\(label): checksums differ: \(checksums)") }
            }
            let (memo, off, peer) = (median(rates["memo"]!), median(rates["off"]!), median(rates["SQLite"]!))
            lines.append("| \(label) | \(grouped(Int(peer))) | \(grouped(Int(memo))) | \(grouped(Int(off))) | \(String(format: "%.2f×", memo / off)) |")
        }
        try vireo.close()
        try sqlite.close()
        print(lines.joined(separator: "\n"))
    }
}
