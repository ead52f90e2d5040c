import Foundation
import VireoStorage

extension SystemCatalog {
    /// pg_stats: one row per analysed column of each table, as PostgreSQL 15 shows ANALYZE's
    /// statistics (most_common_vals and histogram_bounds, anyarray there, as array text).
    static func statistics(_ catalog: Catalog) -> Relation {
        var rows: [[Value]] = []
        for table in sortedTables(catalog) {
            guard let statistics = table.statistics else { continue }
            for column in table.columns {
                guard let analysed = statistics.column(column.name) else { continue }
                rows.append(statisticsRow(table.name, column, analysed))
            }
        }
        return Relation(columns: columns(
            ("schemaname", .text), ("tablename", .text), ("attname", .text), ("inherited", .bool), ("null_frac", .real),
            ("avg_width", .integer), ("n_distinct", .real), ("most_common_vals", .text), ("most_common_freqs", .array(.real)),
            ("histogram_bounds", .text), ("correlation", .real), ("most_common_elems", .text),
            ("most_common_elem_freqs", .array(.real)), ("elem_count_histogram", .array(.real))), rows: rows)
    }

    private static func statisticsRow(_ table: String, _ column: VireoStorage.ColumnDefinition,
                                      _ analysed: ColumnStatistics) -> [Value] {
        let type = SQLType(column.type)
        let values = { (keys: [Data]) -> Value in
            guard !keys.isEmpty else { return .null }
            let decoded = keys.map { key in (try? KeyCodec.decode([UInt8](key)).first) ?? .null }
            return .text(ArrayText.format(decoded.map { $0 }, element: type))
        }
        let frequencies: Value = analysed.mostCommonFrequencies.isEmpty ? .null
            : .array(analysed.mostCommonFrequencies.map { .double($0) })
        return [.text(SystemCatalog.schemaName(of: table)), .text(table), .text(column.name), .bool(false), .double(analysed.nullFraction),
                .int(Int64(analysed.averageWidthBytes)), .double(analysed.distinctCount),
                values(analysed.mostCommonValues), frequencies, values(analysed.histogramBounds), .null, .null, .null, .null]
    }
}
