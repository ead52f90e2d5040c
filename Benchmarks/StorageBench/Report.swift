/// The figures of one system over the whole workload.
struct SystemResult {
    let name: String
    let times: PhaseTimes
}

/// Formats the results as a markdown table: each Vireo backend beside SQLite, with the
/// ratio Vireo/SQLite (above 1 means Vireo is faster; for file size, above 1 means larger).
struct Report {
    let options: BenchOptions
    let sqlite: SystemResult
    let vireo: [SystemResult]

    var markdown: String {
        var header = "| workload | \(sqlite.name) |"
        var rule = "|---|---:|"
        for result in vireo {
            header += " \(result.name) | Vireo/SQLite |"
            rule += "---:|---:|"
        }
        let lines = [header, rule] + rows.map { row in
            var line = "| \(row.label) | \(row.cell(sqlite.times)) |"
            for result in vireo { line += " \(row.cell(result.times)) | \(row.ratio(result.times, sqlite.times)) |" }
            return line
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private var rows: [ReportRow] {
        let rowCount = Double(options.rowCount)
        let lookupCount = Double(options.lookupCount)
        let insertLabel = "insert \(grouped(options.rowCount)) rows, \(grouped(options.batchRowCount)) per transaction"
        return [
            .throughput(insertLabel, unit: "rows/s", count: rowCount, \.insertSeconds),
            .throughput("\(grouped(options.lookupCount)) random lookups, one read transaction each",
                        unit: "ops/s", count: lookupCount, \.lookupEachSeconds),
            .throughput("\(grouped(options.lookupCount)) random lookups, all in one read transaction",
                        unit: "ops/s", count: lookupCount, \.lookupOneReadSeconds),
            .throughput("full scan summing column a", unit: "rows/s", count: rowCount, \.scanSeconds),
            .size("database file after close", \.fileBytes),
            .size("all files after close (with -wal, -shm)", \.allFilesBytes),
        ]
    }
}

/// One line of the table.
enum ReportRow {
    case throughput(String, unit: String, count: Double, KeyPath<PhaseTimes, Double>)
    case size(String, KeyPath<PhaseTimes, Int>)

    var label: String {
        switch self {
        case .throughput(let label, _, _, _), .size(let label, _): label
        }
    }

    func cell(_ times: PhaseTimes) -> String {
        switch self {
        case .throughput(_, _, 0, _):
            return "–"
        case .throughput(_, let unit, let count, let path):
            let elapsed = times[keyPath: path]
            return "\(grouped(Int((count / max(elapsed, 1e-9)).rounded()))) \(unit) (\(fixed(elapsed, 3)) s)"
        case .size(_, let path):
            return "\(fixed(Double(times[keyPath: path]) / 1_048_576, 1)) MiB"
        }
    }

    func ratio(_ vireo: PhaseTimes, _ sqlite: PhaseTimes) -> String {
        switch self {
        case .throughput(_, _, 0, _):
            return "–"
        case .throughput(_, _, _, let path):
            return fixed(sqlite[keyPath: path] / max(vireo[keyPath: path], 1e-9), 2) + "×"
        case .size(_, let path):
            return fixed(Double(vireo[keyPath: path]) / Double(max(sqlite[keyPath: path], 1)), 2) + "×"
        }
    }
}

/// `1234567` as `1,234,567`.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
        result.append(digit)
    }
    return value < 0 ? "-" + result : result
}

/// `value` with exactly `decimals` digits after the point.
func fixed(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(scaled % Int(scale))
    guard decimals > 0 else { return String(whole) }
    return "\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
}
