/// Command-line options of `vireo-bench-storage`, parsed by hand so the benchmark needs
/// nothing beyond the storage engine and SQLite.
struct BenchOptions {
    var rowCount = 1_000_000
    var batchRowCount = 1_000
    var lookupCount = 100_000
    /// Where the database files go; nil makes (and afterwards removes) a temporary directory.
    var directory: String?
    var backends: [String] = ["uring", "posix"]
    var markdownPath: String?
    var seed: UInt64 = 42
    /// Each system runs the workload this many times (interleaved); the table shows medians.
    var runCount = 3
    /// Leaves the database files of the last run in place (for inspection or profiling).
    var keepFiles = false
    var cacheBytes = 256 << 20
    var walCheckpointBytes = 64 << 20

    static let usage = """
        usage: vireo-bench-storage [--rows N] [--batch N] [--lookups N] [--dir PATH]
                                   [--backend uring|posix|both] [--markdown OUT] [--seed N]
                                   [--runs N] [--keep]
        """

    /// Parses `arguments` (without the program name).
    /// - Throws: `BenchError` naming the bad or unknown option.
    static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var remaining = arguments[...]
        while let flag = remaining.popFirst() {
            if flag == "--help" || flag == "-h" { throw BenchError(usage) }
            if flag == "--keep" { options.keepFiles = true; continue }
            guard let value = remaining.popFirst() else { throw BenchError("\(flag) needs a value\n\(usage)") }
            try options.apply(flag: flag, value: value)
        }
        guard options.batchRowCount > 0, options.runCount > 0 else {
            throw BenchError("--batch and --runs must be > 0")
        }
        if options.lookupCount > 0 && options.rowCount == 0 {
            throw BenchError("--lookups needs at least one row")
        }
        return options
    }

    private mutating func apply(flag: String, value: String) throws {
        switch flag {
        case "--rows": rowCount = try Self.integer(value, flag)
        case "--batch": batchRowCount = try Self.integer(value, flag)
        case "--lookups": lookupCount = try Self.integer(value, flag)
        case "--runs": runCount = try Self.integer(value, flag)
        case "--seed": seed = UInt64(try Self.integer(value, flag))
        case "--dir": directory = value
        case "--markdown": markdownPath = value
        case "--backend":
            switch value {
            case "both": backends = ["uring", "posix"]
            case "uring", "posix": backends = [value]
            default: throw BenchError("--backend must be uring, posix or both, got '\(value)'")
            }
        default: throw BenchError("unknown option \(flag)\n\(Self.usage)")
        }
    }

    private static func integer(_ text: String, _ flag: String) throws -> Int {
        let cleaned = String(text.filter { $0 != "_" && $0 != "," })
        guard let value = Int(cleaned), value >= 0 else { throw BenchError("\(flag) needs a non-negative integer, got '\(text)'") }
        return value
    }
}

/// A benchmark failure, printed to standard error.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
