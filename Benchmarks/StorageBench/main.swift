// vireo-bench-storage: Vireo's storage engine against SQLite on the same workload, in one
// process on one machine. See docs/benchmarks-storage.md for how to read the table.
import BenchSQLite
import Glibc
import VireoStorage

/// A system under test: its name in the table and how to create a fresh database of it.
struct Contender {
    let name: String
    let open: (String) throws -> any StorageSubject
}

func contenders(_ options: BenchOptions) -> [Contender] {
    let sqlite = Contender(name: "SQLite") { path in
        try SQLiteSubject(path: path, pageSizeBytes: StorageFormat.pageSizeBytes, cacheBytes: options.cacheBytes,
                          walCheckpointBytes: options.walCheckpointBytes)
    }
    return [sqlite] + options.backends.map { backend in
        Contender(name: backend == "uring" ? "Vireo io_uring" : "Vireo POSIX") { path in
            try VireoSubject(path: path, backend: backend, cacheBytes: options.cacheBytes,
                             walCheckpointBytes: options.walCheckpointBytes)
        }
    }
}

/// Runs the workload `runCount` times on every contender, interleaved so that background
/// noise spreads evenly; returns the settings and the table of medians.
func runBenchmark(_ options: BenchOptions) throws -> String {
    let directory = try BenchDirectory(given: options.directory)
    defer { if !options.keepFiles { directory.finish() } }
    progress("generating \(grouped(options.rowCount)) rows and \(grouped(options.lookupCount)) lookup ids (seed \(options.seed))")
    let workload = Workload(options: options)
    let systems = contenders(options)
    var runs = Array(repeating: [PhaseTimes](), count: systems.count)
    for run in 1...options.runCount {
        let isLast = run == options.runCount
        for (index, system) in systems.enumerated() {
            progress("run \(run)/\(options.runCount): \(system.name)")
            let times = try measureOnFreshDatabase(system, workload, in: directory, keep: isLast && options.keepFiles)
            progress("  " + times.summary)
            runs[index].append(times)
        }
    }
    let results = zip(systems, runs).map { SystemResult(name: $0.name, times: PhaseTimes.median(of: $1)) }
    let report = Report(options: options, sqlite: results[0], vireo: Array(results.dropFirst()))
    return settings(options) + "\n" + report.markdown
}

/// Creates a fresh database of `system`, measures the workload on it and removes its files.
func measureOnFreshDatabase(_ system: Contender, _ workload: Workload, in directory: BenchDirectory, keep: Bool) throws -> PhaseTimes {
    let path = directory.database(String(system.name.lowercased().map { $0 == " " ? "-" : $0 }) + ".db")
    defer { if !keep { directory.removeDatabase(path) } }
    var times = try workload.measure(system.open(path), label: system.name)
    (times.fileBytes, times.allFilesBytes) = directory.sizeBytes(ofDatabase: path)
    return times
}

/// The settings every system ran with, as a markdown list above the table.
func settings(_ options: BenchOptions) -> String {
    """
    - SQLite \(SQLiteDatabase.version) (C library): journal_mode=WAL, synchronous=FULL, prepared statements
    - both: page size \(StorageFormat.pageSizeBytes) bytes, cache \(options.cacheBytes >> 20) MiB, \
    checkpoint when the WAL reaches \(options.walCheckpointBytes >> 20) MiB
    - rows of ~40 bytes (id, a bigint, b 15-byte text, c double); lookup ids uniform random, seed \(options.seed)
    - median of \(options.runCount) interleaved run(s), each on a fresh database in \
    \(options.directory ?? "a temporary directory under /tmp")

    """
}

func progress(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

do {
    let options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
    let table = try runBenchmark(options)
    print(table, terminator: "")
    if let path = options.markdownPath {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))") }
        fputs(table, file)
        fclose(file)
    }
} catch {
    progress("vireo-bench-storage: \(error)")
    exit(1)
}
