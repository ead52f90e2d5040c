/// A storage system under test, already open with the benchmark table created.
protocol StorageSubject {
    /// Inserts `rows` in one durable transaction.
    func insert(_ rows: ArraySlice<BenchRow>) throws
    /// Looks each id up in its own read transaction, as a client answering single
    /// requests would; returns the sum of column `a`.
    func lookupEach(_ ids: [Int64]) throws -> Int64
    /// Looks every id up inside one read transaction; returns the sum of column `a`.
    func lookupAllInOneRead(_ ids: [Int64]) throws -> Int64
    /// Reads every row in id order; returns the row count and the sum of column `a`.
    func scan() throws -> (rowCount: Int, sum: Int64)
    /// Makes everything durable in the database file and closes it.
    func close() throws
}

/// Wall-clock seconds of each phase, and the database's size after it was closed: the
/// database file alone, and with its companion files (the WAL, SQLite's -shm).
struct PhaseTimes {
    var insertSeconds = 0.0
    var lookupEachSeconds = 0.0
    var lookupOneReadSeconds = 0.0
    var scanSeconds = 0.0
    var fileBytes = 0
    var allFilesBytes = 0

    /// One line with every figure, for the progress log.
    var summary: String {
        "insert \(fixed(insertSeconds, 3)) s, lookups \(fixed(lookupEachSeconds, 3)) s (one read each) / "
            + "\(fixed(lookupOneReadSeconds, 3)) s (one read), scan \(fixed(scanSeconds, 3)) s, "
            + "file \(fixed(Double(fileBytes) / 1_048_576, 1)) MiB (\(fixed(Double(allFilesBytes) / 1_048_576, 1)) MiB with companions)"
    }

    /// Each figure's median over `runs` (the upper middle one for an even count).
    static func median(of runs: [PhaseTimes]) -> PhaseTimes {
        func middle<T: Comparable>(_ path: KeyPath<PhaseTimes, T>) -> T {
            let sorted = runs.map { $0[keyPath: path] }.sorted()
            return sorted[sorted.count / 2]
        }
        return PhaseTimes(insertSeconds: middle(\.insertSeconds), lookupEachSeconds: middle(\.lookupEachSeconds),
                          lookupOneReadSeconds: middle(\.lookupOneReadSeconds), scanSeconds: middle(\.scanSeconds),
                          fileBytes: middle(\.fileBytes), allFilesBytes: middle(\.allFilesBytes))
    }
}

extension Workload {
    /// Runs every phase on `subject`, timing each and checking that the results are right.
    func measure(_ subject: any StorageSubject, label: String) throws -> PhaseTimes {
        var times = PhaseTimes()
        times.insertSeconds = try seconds { for batch in batches { try subject.insert(batch) } }
        var sum: Int64 = 0
        times.lookupEachSeconds = try seconds { sum = try subject.lookupEach(lookupIDs) }
        try expect(sum, expectedLookupSum, "\(label): lookups (one read each) summed")
        times.lookupOneReadSeconds = try seconds { sum = try subject.lookupAllInOneRead(lookupIDs) }
        try expect(sum, expectedLookupSum, "\(label): lookups (one read) summed")
        var scanned = (rowCount: 0, sum: Int64(0))
        times.scanSeconds = try seconds { scanned = try subject.scan() }
        try expect(Int64(scanned.rowCount), Int64(rows.count), "\(label): scan counted")
        try expect(scanned.sum, expectedScanSum, "\(label): scan summed")
        try subject.close()
        return times
    }

    private func expect(_ got: Int64, _ expected: Int64, _ what: String) throws {
        guard got == expected else { throw BenchError("\(what) \(got), expected \(expected)") }
    }
}

/// Seconds `body` took on the monotonic clock.
func seconds(_ body: () throws -> Void) throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}
