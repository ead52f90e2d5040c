import Foundation
import VireoStorage

extension Session {
    /// ANALYZE [table [(columns)], …]: counts each table's rows and computes, from a bounded
    /// sample, each column's statistics (StatisticsCollector), stored in the catalog with the
    /// transaction. Without a table, every table. Columns not named keep what they had.
    func analyze(_ statement: Analyze, _ transaction: StoreTransaction) throws -> QueryResult {
        let targets = statement.tables.isEmpty
            ? transaction.catalog.tables.keys.sorted().map { ($0, [String]()) }
            : Array(zip(statement.tables.map(transaction.catalog.storedName), statement.columns))
        for (name, columns) in targets {
            if transaction.catalog.views[name] != nil { continue }  // PostgreSQL skips views with a warning
            let table = try transaction.catalog.table(name)
            for column in columns where table.columnIndex(column) == nil {
                throw VireoError(.undefinedColumn, "column \"\(column)\" of relation \"\(table.name)\" does not exist")
            }
            var collector = StatisticsCollector(table: table, columns: columns)
            try transaction.scanRows(table) { _, record in
                try statementCancel.check()
                try collector.add(record)
                return true
            }
            try transaction.setStatistics(collector.statistics(keeping: table.statistics), of: name)
        }
        return QueryResult(commandTag: "ANALYZE")
    }

    /// VACUUM: Vireo's B+trees reuse the space of deleted rows at once, so there are no
    /// dead rows to reclaim; it checks the tables named, gathers statistics with ANALYZE,
    /// and checkpoints (writes the committed pages from the WAL into the database file).
    func vacuum(_ statement: Vacuum) throws -> QueryResult {
        if inTransactionBlock {
            throw VireoError(.activeTransaction, "VACUUM cannot run inside a transaction block")
        }
        _ = try write(.vacuum(statement)) { transaction in
            for table in statement.targets.tables.map(transaction.catalog.storedName)
            where transaction.catalog.tables[table] == nil && transaction.catalog.views[table] == nil {
                _ = try transaction.catalog.table(table)  // 42P01 under the name as written
            }
            if statement.analyzes { _ = try analyze(statement.targets, transaction) }
            return QueryResult(commandTag: "VACUUM")
        }
        try database.store.checkpoint()
        return QueryResult(commandTag: "VACUUM")
    }
}

/// Computes a table's statistics in one pass over its rows: the exact row count, and a
/// uniform sample of at most `sampleRowsMax` rows (reservoir sampling, seeded so a run is
/// repeatable) from which each column's null fraction, distinct count, most common values
/// and histogram are derived as PostgreSQL's ANALYZE derives them.
struct StatisticsCollector {
    /// PostgreSQL's default: 300 × default_statistics_target (100).
    static let sampleRowsMax = 30_000
    /// Most common values and histogram buckets kept per column (default_statistics_target).
    static let statisticsTarget = 100
    /// A value whose key is wider is only counted (PostgreSQL's WIDTH_THRESHOLD): it is taken
    /// as distinct from every other and never listed, so the sample's memory stays bounded.
    static let valueWidthBytesMax = 1024

    /// One sampled value: NULL, its index key (KeyCodec), or only its width when too wide.
    enum Sampled {
        case null
        case key([UInt8])
        case tooWide(widthBytes: Int)
    }

    let table: TableDefinition
    /// Positions of the columns analysed (vectors and tsvectors have no ordering to keep).
    let positions: [Int]
    private var sample: [[Sampled]] = []
    private var rowCount = 0
    /// Seeded, so ANALYZE of the same rows gives the same statistics (and plans) every run.
    private var random = SplitMix64(seed: 0x5EED_A9A1)

    init(table: TableDefinition, columns: [String]) {
        self.table = table
        let named = columns.isEmpty ? table.columns.indices.map { $0 } : columns.compactMap(table.columnIndex)
        positions = named.filter { position in
            switch table.columns[position].type {
            case .vector, .halfvec, .sparsevec, .tsvector, .tsquery: false
            default: true
            }
        }
    }

    mutating func add(_ record: RecordView) throws {
        rowCount += 1
        let count = record.columnCount
        let row = try positions.map { position -> Sampled in
            let value = position < count ? try record.value(at: position) : .null
            if value.isNull { return .null }
            let key = KeyCodec.encode([value])
            return key.count > Self.valueWidthBytesMax ? .tooWide(widthBytes: key.count) : .key(key)
        }
        if sample.count < Self.sampleRowsMax {
            sample.append(row)
        } else {
            let slot = Int.random(in: 0..<rowCount, using: &random)
            if slot < Self.sampleRowsMax { sample[slot] = row }
        }
    }

    /// The new statistics, keeping `previous`'s for the columns not analysed this time.
    func statistics(keeping previous: TableStatistics?) -> TableStatistics {
        // An empty table has no column statistics (PostgreSQL stores none either).
        let fresh = sample.isEmpty ? [] : positions.enumerated().map { offset, position in
            column(table.columns[position].name, values: sample.map { $0[offset] })
        }
        let freshNames = Set(fresh.map(\.column))
        let kept = (previous?.columns ?? []).filter { !freshNames.contains($0.column) && table.columnIndex($0.column) != nil }
        return TableStatistics(rowCount: Double(rowCount), sampledRowCount: sample.count, columns: kept + fresh)
    }

    private func column(_ name: String, values: [Sampled]) -> ColumnStatistics {
        var counts: [[UInt8]: Int] = [:]
        var widthTotal = 0, nonNullCount = 0, tooWideCount = 0
        for value in values {
            switch value {
            case .null: continue
            case .key(let key):
                widthTotal += key.count
                counts[key, default: 0] += 1
            case .tooWide(let width):
                widthTotal += width
                tooWideCount += 1
            }
            nonNullCount += 1
        }
        let sampled = Double(max(values.count, 1))
        let nullFraction = Double(values.count - nonNullCount) / sampled
        let distinct = distinctEstimate(counts, tooWideCount: tooWideCount, nullFraction: nullFraction)
        let allSeen = tooWideCount == 0 && distinct > 0 && distinct == Double(counts.count)
        let common = mostCommon(counts, sampledNonNull: nonNullCount, allSeen: allSeen)
        let commonKeys = Set(common.map(\.key))
        let rest = counts.filter { !commonKeys.contains($0.key) }
        return ColumnStatistics(
            column: name, nullFraction: nullFraction, distinctCount: distinct,
            averageWidthBytes: nonNullCount == 0 ? 0 : widthTotal / nonNullCount,
            mostCommonValues: common.map { Data($0.key) },
            mostCommonFrequencies: common.map { Double($0.count) / sampled },
            histogramBounds: histogram(rest).map { Data($0) })
    }

    /// n_distinct as PostgreSQL's compute_scalar_stats finds it: when no value repeats, the
    /// column is taken as unique (minus the non-NULL fraction); when every value repeats, the
    /// values seen are all there are; otherwise the Haas–Stokes estimator n·d / (n − f1 +
    /// f1·n/N), which is d when the sample is the table. Stored as a negative fraction of the
    /// rows when above a tenth of them (it then grows with the table). A too-wide value
    /// counts as one seen once.
    private func distinctEstimate(_ counts: [[UInt8]: Int], tooWideCount: Int, nullFraction: Double) -> Double {
        let seen = Double(counts.count + tooWideCount)
        guard seen > 0 else { return 0 }
        let singletons = Double(counts.values.filter { $0 == 1 }.count + tooWideCount)
        if singletons == seen { return -(1 - nullFraction) }
        let total = Double(rowCount)
        var estimate = seen
        if singletons > 0 {
            let n = Double(sample.count)
            estimate = (n * seen) / (n - singletons + singletons * n / total)
        }
        estimate = min(max(estimate, seen), total).rounded()
        return estimate > 0.1 * total ? -(estimate / total) : estimate
    }

    /// The values frequent enough to be worth listing, most frequent first: none when no
    /// value repeats; every value when the sample holds every distinct value (`allSeen`, by
    /// the estimate), each more than once, and they all fit; otherwise
    /// those seen more than once and at least a quarter more often than the average value.
    private func mostCommon(_ counts: [[UInt8]: Int], sampledNonNull: Int, allSeen: Bool) -> [(key: [UInt8], count: Int)] {
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.lexicographicallyPrecedes($1.key) }
            .map { (key: $0.key, count: $0.value) }
        guard let top = sorted.first, top.count > 1 else { return [] }
        if allSeen, sorted.count <= Self.statisticsTarget, sorted.allSatisfy({ $0.count > 1 }) { return sorted }
        let average = Double(sampledNonNull) / Double(max(counts.count, 1))
        return Array(sorted.prefix { $0.count > 1 && Double($0.count) >= average * 1.25 }.prefix(Self.statisticsTarget))
    }

    /// Up to statisticsTarget + 1 bounds splitting the values (each counted as often as seen)
    /// into equal-sized groups: the first is the smallest, the last the largest.
    private func histogram(_ counts: [[UInt8]: Int]) -> [[UInt8]] {
        guard counts.count >= 2 else { return [] }
        var ordered: [[UInt8]] = []
        for (key, count) in counts.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            ordered += Array(repeating: key, count: count)
        }
        let boundCount = min(Self.statisticsTarget + 1, counts.count)
        return (0..<boundCount).map { ordered[$0 * (ordered.count - 1) / (boundCount - 1)] }
    }
}
