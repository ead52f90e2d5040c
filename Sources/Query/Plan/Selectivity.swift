import Foundation
import VireoStorage

/// Estimates, from a table's ANALYZE statistics, the fraction of its rows a condition on
/// one column keeps, as PostgreSQL's eqsel and scalarineqsel do: an equality with a most
/// common value is that value's frequency, any other value shares what the common values
/// leave among the other distinct values; a range counts the common values inside it and
/// the histogram buckets it covers. A value unknown at plan time (a parameter, a function
/// of the row) gets PostgreSQL's defaults. Without statistics nothing is estimated (nil).
struct Selectivity {
    /// PostgreSQL's DEFAULT_EQ_SEL and DEFAULT_INEQ_SEL.
    static let equalityDefault = 0.005
    static let rangeDefault = 1.0 / 3.0

    let statistics: TableStatistics
    let table: TableDefinition

    init?(_ table: TableDefinition) {
        guard let statistics = table.statistics else { return nil }
        self.statistics = statistics
        self.table = table
    }

    /// Rows expected to match, given the fraction of the table.
    func rows(_ fraction: Double) -> Double { (statistics.rowCount * fraction).rounded(.up) }

    /// `key = value`.
    func equality(_ key: BoundExpression, _ value: BoundExpression) -> Double {
        guard let (column, type) = analysedColumn(key), let encoded = encoded(value, type, isLower: true) else {
            return Self.equalityDefault
        }
        if let position = column.mostCommonValues.firstIndex(of: encoded) { return column.mostCommonFrequencies[position] }
        let distinct = column.distinctCount >= 0 ? column.distinctCount : -column.distinctCount * statistics.rowCount
        let others = max(1, distinct - Double(column.mostCommonValues.count))
        return clamp(remainder(column) / others)
    }

    /// `key IN (values)`: the sum of the equalities (at most every row).
    func inList(_ key: BoundExpression, _ values: [BoundExpression]) -> Double {
        clamp(values.reduce(0) { $0 + equality(key, $1) })
    }

    /// `key` between the bounds (either may be missing).
    func range(_ key: BoundExpression, _ bounds: ColumnBounds) -> Double {
        guard let (column, type) = analysedColumn(key) else { return Self.rangeDefault }
        let lower = bounds.lower.map { encoded($0, type, isLower: true) }
        let upper = bounds.upper.map { encoded($0, type, isLower: false) }
        if lower == .some(nil) || upper == .some(nil) { return Self.rangeDefault }
        let inside = { (key: Data) -> Bool in
            if let lower = lower ?? nil, bounds.lowerInclusive ? key < lower : key <= lower { return false }
            if let upper = upper ?? nil, bounds.upperInclusive ? key > upper : !(key < upper) { return false }
            return true
        }
        var fraction = 0.0
        for (value, frequency) in zip(column.mostCommonValues, column.mostCommonFrequencies) where inside(value) {
            fraction += frequency
        }
        return clamp(fraction + remainder(column) * histogramFraction(column.histogramBounds, lower ?? nil, upper ?? nil))
    }

    /// The fraction of the histogram's values between the bounds: whole buckets, and half of
    /// the bucket a bound falls in (its values are spread over it).
    private func histogramFraction(_ bounds: [Data], _ lower: Data?, _ upper: Data?) -> Double {
        guard bounds.count >= 2 else { return bounds.isEmpty ? Self.rangeDefault : 0.5 }
        let buckets = Double(bounds.count - 1)
        let position = { (key: Data) -> Double in
            let above = bounds.firstIndex { $0 > key } ?? bounds.count
            if above == 0 { return 0 }
            if above == bounds.count { return buckets }
            return Double(above - 1) + 0.5
        }
        let from = lower.map(position) ?? 0
        let to = upper.map(position) ?? buckets
        return max(0, to - from) / buckets
    }

    /// The fraction of rows neither NULL nor one of the most common values.
    private func remainder(_ column: ColumnStatistics) -> Double {
        max(0, 1 - column.nullFraction - column.mostCommonFrequencies.reduce(0, +))
    }

    /// The statistics and type of the column `key` is, when it was analysed.
    private func analysedColumn(_ key: BoundExpression) -> (ColumnStatistics, ColumnType)? {
        guard case .column(let position) = key, position < table.columns.count,
              let column = statistics.column(table.columns[position].name) else { return nil }
        return (column, table.columns[position].type)
    }

    /// A plan-time constant as the key its column's index would hold; nil when not a
    /// constant or not convertible.
    private func encoded(_ expression: BoundExpression, _ type: ColumnType, isLower: Bool) -> Data? {
        guard expression.isConstant, let value = try? Evaluator.evaluate(expression, [], .constantFolding), !value.isNull,
              let bound = IndexKeyBound.make([value], inclusive: true, isLower: isLower, columnTypes: [type]) ?? nil else { return nil }
        return Data(KeyCodec.encode(bound.values))
    }

    private func clamp(_ fraction: Double) -> Double { min(1, max(0, fraction)) }
}

extension Data {
    /// Byte-wise order: the order of KeyCodec keys, which is the index order.
    fileprivate static func < (a: Data, b: Data) -> Bool { a.lexicographicallyPrecedes(b) }
    fileprivate static func > (a: Data, b: Data) -> Bool { b.lexicographicallyPrecedes(a) }
    fileprivate static func <= (a: Data, b: Data) -> Bool { !(a > b) }
}
