// vireo-bench-sqlite: the same SQL text on Vireo's embedded API and on SQLite's C API, in
// one process, rounds alternating between the two. See docs/benchmarks-sql.md.
import BenchSQLite
import Foundation
import VireoStorage

/// The command line: `--rows N --batch N --param-rows N --lookups N --ranges N --joins N
/// --aggregates N --rounds N --seed N --dir PATH --markdown OUT`, or `--memo-joins N` (with
/// `--rounds`, `--seed`, `--dir`) for the joins of MemoJoins alone.
struct Options {
    var sizes = WorkloadSizes()
    var memoJoinCount: Int?
    var roundCount = 3
    var directory = NSTemporaryDirectory()
    var markdownPath: String?

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw SQLiteError("\(flag) needs a value") }
            try set(flag, value)
        }
        guard sizes.rowCount >= sizes.rangeRowCount, sizes.batchRowCount > 0, roundCount > 0 else {
            throw SQLiteError("--rows must be at least the range size (\(sizes.rangeRowCount)); --batch and --rounds above 0")
        }
    }

    private mutating func set(_ flag: String, _ value: String) throws {
        if flag == "--dir" { directory = value; return }
        if flag == "--markdown" { markdownPath = value; return }
        guard let number = Int(value), number >= 0 else { throw SQLiteError("\(flag): not a count: \(value)") }
        switch flag {
        case "--rows": sizes.rowCount = number
        case "--batch": sizes.batchRowCount = number
        case "--param-rows": sizes.parameterRowCount = number
        case "--lookups": sizes.lookupCount = number
        case "--ranges": sizes.rangeCount = number
        case "--joins": sizes.joinCount = number
        case "--aggregates": sizes.aggregateCount = number
        case "--rounds": roundCount = number
        case "--seed": sizes.seed = UInt64(number)
        case "--memo-joins": memoJoinCount = number
        default: throw SQLiteError("unknown option \(flag)")
        }
    }
}

/// One system's figures in one round: seconds per phase, checksums, bytes on disk.
struct RoundResult {
    var seconds: [Double] = []
    var checksums: [Checksum] = []
    var fileBytes = 0
}

enum SystemUnderTest: String, CaseIterable {
    case sqlite = "SQLite"
    case vireo = "Vireo"

    func open(_ path: String) throws -> any SQLSubject {
        switch self {
        case .sqlite: try SQLiteSQLSubject(path: path)
        case .vireo: try VireoSQLSubject(path: path)
        }
    }

    var integerKey: String { self == .sqlite ? "INTEGER" : "bigint" }
}

func measure(_ system: SystemUnderTest, _ workload: Workload, _ phases: [Phase], in directory: String) throws -> RoundResult {
    let folder = directory + "/vireo-bench-sqlite-\(system.rawValue)-\(getpid())"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let subject = try system.open(folder + "/bench.db")
    try subject.run(Workload.schema(integerKey: system.integerKey))
    try subject.run(workload.groupsInsert)
    var result = RoundResult()
    for phase in phases {
        let start = DispatchTime.now().uptimeNanoseconds
        result.checksums.append(try phase.body(subject))
        result.seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    try subject.close()
    result.fileBytes = try FileManager.default.contentsOfDirectory(atPath: folder).reduce(0) { total, name in
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
        return total + ((attributes[.size] as? Int) ?? 0)
    }
    return result
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func grouped(_ value: Int) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.groupingSeparator = ","
    return formatter.string(from: NSNumber(value: value)) ?? String(value)
}

func table(_ phases: [Phase], _ rounds: [[SystemUnderTest: RoundResult]]) -> String {
    var lines = ["| workload | SQL | SQLite | Vireo | Vireo/SQLite (median, range) |", "|---|---|---:|---:|---:|"]
    for (index, phase) in phases.enumerated() {
        func rate(_ system: SystemUnderTest) -> String {
            let seconds = median(rounds.map { $0[system]!.seconds[index] })
            return "\(grouped(Int(Double(phase.operationCount) / seconds))) \(phase.unit)"
        }
        let ratios = rounds.map { $0[.sqlite]!.seconds[index] / $0[.vireo]!.seconds[index] }
        let spread = String(format: "%.2f× (%.2f–%.2f)", median(ratios), ratios.min()!, ratios.max()!)
        lines.append("| \(phase.label) | `\(phase.sql)` | \(rate(.sqlite)) | \(rate(.vireo)) | \(spread) |")
    }
    let sizes = SystemUnderTest.allCases.map { system in median(rounds.map { Double($0[system]!.fileBytes) }) }
    lines.append(String(format: "| database files after close | | %.1f MiB | %.1f MiB | size %.2f× |",
                        sizes[0] / 1_048_576, sizes[1] / 1_048_576, sizes[1] / sizes[0]))
    return lines.joined(separator: "\n") + "\n"
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    if let count = options.memoJoinCount {
        try MemoJoins.run(count: count, rounds: options.roundCount, seed: options.sizes.seed, directory: options.directory)
        exit(0)
    }
    let workload = Workload(sizes: options.sizes)
    let phases = workload.phases()
    var rounds: [[SystemUnderTest: RoundResult]] = []
    for round in 0..<options.roundCount {
        // Alternate who goes first, so that neither always meets a warmer (or busier) machine.
        let order = round % 2 == 0 ? SystemUnderTest.allCases : SystemUnderTest.allCases.reversed()
        var results: [SystemUnderTest: RoundResult] = [:]
        for system in order {
            results[system] = try measure(system, workload, phases, in: options.directory)
            let times = results[system]!.seconds.map { String(format: "%.3f", $0) }.joined(separator: " ")
            FileHandle.standardError.write("round \(round + 1) \(system.rawValue): \(times) s\n".data(using: .utf8)!)
        }
        for (index, phase) in phases.enumerated() where results[.sqlite]!.checksums[index] != results[.vireo]!.checksums[index] {
            throw SQLiteError("\(phase.label): SQLite read \(results[.sqlite]!.checksums[index]), Vireo \(results[.vireo]!.checksums[index])")
        }
        rounds.append(results)
    }
    let report = """
        SQLite \(SQLiteDatabase.version) (C API, WAL, synchronous=FULL) and Vireo (embedded API, fsync'd commits); \
        \(grouped(options.sizes.rowCount)) rows; median of \(options.roundCount) alternating round(s); \
        ratio above 1× = Vireo faster (for size: above 1× = Vireo larger)

        \(table(phases, rounds))
        """
    print(report)
    if let path = options.markdownPath { try report.write(toFile: path, atomically: true, encoding: .utf8) }
} catch {
    FileHandle.standardError.write("vireo-bench-sqlite: \(error)\n".data(using: .utf8)!)
    exit(1)
}
