// Planner statistics (ANALYZE, issue 10). They live in the table's catalog entry, as the
// optional field "statistics" of TableDefinition's JSON, so they are written with the
// catalog in the same WAL-covered commit as any schema change, survive reopen, and files
// written before statistics came (no field) read unchanged: such a table is "never
// analysed". Values (most common values, histogram bounds) are stored as their KeyCodec
// encoding (base64 in the JSON), whose byte order is the index order, so the planner
// compares a query's constants with them without decoding.
//
// Invariants:
//   S1. mostCommonValues and mostCommonFrequencies have the same count; frequencies are
//       fractions of all rows, in descending order, and sum with nullFraction to at most 1.
//   S2. histogramBounds are in ascending key order and hold none of the most common values.
//   S3. Column statistics name columns of the table; a statistic for a dropped column is
//       removed with it, and a renamed column's follows the new name.

import Foundation

/// What ANALYZE learned of a table: its size and, per column, the distribution of values.
public struct TableStatistics: Codable, Sendable, Hashable {
    /// Rows in the table when it was analysed (PostgreSQL's pg_class.reltuples).
    public var rowCount: Double
    /// Rows the column statistics were computed from (at most the sample bound).
    public var sampledRowCount: Int
    public var columns: [ColumnStatistics]

    public init(rowCount: Double, sampledRowCount: Int, columns: [ColumnStatistics]) {
        self.rowCount = rowCount
        self.sampledRowCount = sampledRowCount
        self.columns = columns
    }

    /// Makes the statistics of column `name` those of `newName` (RENAME COLUMN).
    mutating func renameColumn(_ name: String, to newName: String) {
        for i in columns.indices where columns[i].column == name { columns[i].column = newName }
    }

    /// The statistics of column `name`, if it was analysed.
    public func column(_ name: String) -> ColumnStatistics? {
        columns.first { $0.column == name }
    }
}

/// The distribution of one column's values, as PostgreSQL's pg_stats shows it.
public struct ColumnStatistics: Codable, Sendable, Hashable {
    public var column: String
    /// Fraction of rows whose value is NULL.
    public var nullFraction: Double
    /// PostgreSQL's n_distinct: the number of distinct non-NULL values, or, when negative,
    /// minus that number as a fraction of the rows (it grows with the table).
    public var distinctCount: Double
    /// Average stored width of the non-NULL values (pg_stats.avg_width).
    public var averageWidthBytes: Int
    /// The most common values (KeyCodec encoded), most frequent first.
    public var mostCommonValues: [Data]
    /// The fraction of all rows holding each of `mostCommonValues`.
    public var mostCommonFrequencies: [Double]
    /// Bounds dividing the other non-NULL values into groups of about equal size (KeyCodec
    /// encoded, ascending); empty when fewer than two such values were seen.
    public var histogramBounds: [Data]

    public init(column: String, nullFraction: Double, distinctCount: Double, averageWidthBytes: Int,
                mostCommonValues: [Data], mostCommonFrequencies: [Double], histogramBounds: [Data]) {
        self.column = column
        self.nullFraction = nullFraction
        self.distinctCount = distinctCount
        self.averageWidthBytes = averageWidthBytes
        self.mostCommonValues = mostCommonValues
        self.mostCommonFrequencies = mostCommonFrequencies
        self.histogramBounds = histogramBounds
    }
}

extension StoreTransaction {
    /// Replaces the statistics of table `tableName` (ANALYZE); nil forgets them.
    public func setStatistics(_ statistics: TableStatistics?, of tableName: String) throws {
        try step {
            var table = try catalog.table(tableName)
            table.statistics = statistics
            setTable(table)
        }
    }
}
