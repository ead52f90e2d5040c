import VireoStorage

/// One row of the benchmark table: about 40 bytes of payload (two 8-byte integers, a
/// 15-byte text and an 8-byte double).
struct BenchRow {
    let id: Int64
    let a: Int64
    let b: String
    let c: Double
}

/// The data and the access pattern both systems run, generated once from a seed so that
/// each system inserts the same rows and looks up the same ids in the same order.
struct Workload {
    let rows: [BenchRow]
    let batchRowCount: Int
    let lookupIDs: [Int64]

    init(options: BenchOptions) {
        var random = SplitMix64(seed: options.seed)
        rows = (0..<options.rowCount).map { index in
            let id = Int64(index + 1)
            let a = Int64(random.next() % 1_000_000)
            return BenchRow(id: id, a: a, b: Self.text(for: id), c: Double(a) * 0.25)
        }
        let rowCount = UInt64(options.rowCount)
        lookupIDs = (0..<options.lookupCount).map { _ in Int64(random.next() % rowCount + 1) }
        batchRowCount = options.batchRowCount
    }

    /// `row-` and the id padded to 11 digits: 15 bytes, short enough to stay inline in a
    /// Swift string, so building rows costs no allocation on either side.
    private static func text(for id: Int64) -> String {
        let digits = String(id)
        return "row-" + String(repeating: "0", count: max(0, 11 - digits.count)) + digits
    }

    /// The rows cut into transactions of `batchRowCount`.
    var batches: [ArraySlice<BenchRow>] {
        stride(from: 0, to: rows.count, by: batchRowCount).map { start in
            rows[start..<min(start + batchRowCount, rows.count)]
        }
    }

    /// What the lookups must sum column `a` to; checks that both systems found every row.
    var expectedLookupSum: Int64 {
        lookupIDs.reduce(0) { $0 &+ rows[Int($1 - 1)].a }
    }

    /// What a full scan must sum column `a` to.
    var expectedScanSum: Int64 { rows.reduce(0) { $0 &+ $1.a } }
}

