import Foundation
import VireoStorage

/// PostgreSQL's Memoize for an index nested-loop join: the right rows each probe found,
/// kept per key for one execution of the join, so that an outer key seen before is answered
/// without descending the right table again. Chosen only when ANALYZE's statistics say the
/// outer keys repeat (without them the keys are taken as distinct, as PostgreSQL takes them).
struct JoinMemo: Sendable {
    /// The outer keys as EXPLAIN's "Cache Key" names them.
    var keyNames: [String]
    /// ANALYZE's expectations: outer rows, and distinct keys among them.
    var outerRows: Double
    var distinctKeys: Double

    /// The fraction of probes expected to find their key kept.
    var expectedHitFraction: Double { outerRows > 0 ? 1 - distinctKeys / outerRows : 0 }
}

extension IndexJoin {
    /// The expected fraction of probes answered by the memo from which it pays: a hit
    /// skips a descent of the right tree and the decode of its row, a miss adds a look-up
    /// in the memo and a copy of the row into it (about a tenth of a probe's cost each,
    /// docs/benchmarks-sql.md, 7 Dec "the memo"), so a quarter of hits leaves a clear gain.
    static let memoHitFractionMin = 0.25

    /// The memo for `probe` under `left`, when the outer keys are expected to repeat:
    /// each key a plain column, or an expression of columns, whose table was analysed.
    /// Nil when a key's distinct count is unknown, when the outer rows are not estimated,
    /// or when the probe's own filter may answer differently for the same key (a volatile
    /// function, a subquery).
    static func memo(_ left: PlanNode, _ probe: PlanNode) -> JoinMemo? {
        guard probe.probedScanFilter?.isRowLocal ?? true, let outerRows = left.estimatedRows, outerRows >= 2 else { return nil }
        var values = 1.0
        var names: [String] = []
        for key in probe.probeKeys {
            guard let (distinct, name) = distinctValues(key, left) else { return nil }
            values *= distinct
            names.append(name)
        }
        let expected = expectedDistinct(values: values, draws: outerRows)
        let memo = JoinMemo(keyNames: names, outerRows: outerRows, distinctKeys: expected)
        return memo.expectedHitFraction >= memoHitFractionMin ? memo : nil
    }

    /// Distinct values among `draws` rows whose key takes `values` values evenly: each value
    /// is missed by all draws with probability (1 - 1/values)^draws.
    static func expectedDistinct(values: Double, draws: Double) -> Double {
        guard values > 1 else { return min(values, draws) }
        return min(draws, values * (1 - pow(1 - 1 / values, draws)))
    }

    /// At most how many values `key` takes over `left`'s rows, and its name: a column's
    /// analysed distinct count (NULL counted as one more value), an expression's at most the
    /// product of its columns' (a constant's one). Nil when a column it reads is not analysed.
    private static func distinctValues(_ key: BoundExpression, _ left: PlanNode) -> (Double, String)? {
        var values = 1.0
        var names: [String] = []
        var known = true
        key.visitColumns { position in
            guard known, let (table, column) = left.sourceColumn(position), let statistics = table.statistics,
                  let columnStatistics = statistics.column(table.columns[column].name) else { known = false; return }
            let distinct = columnStatistics.distinctCount >= 0
                ? columnStatistics.distinctCount : -columnStatistics.distinctCount * statistics.rowCount
            values *= max(1, distinct) + (columnStatistics.nullFraction > 0 ? 1 : 0)
            names.append(table.name + "." + table.columns[column].name)
        }
        guard known, key.isRowLocal else { return nil }
        if case .column = key { return (values, names[0]) }
        return (values, "expression of " + (names.isEmpty ? "no column" : names.joined(separator: ", ")))
    }
}

extension PlanNode {
    /// The table column the plan's output column `position` comes from, when it is a
    /// column of a scanned table passed on unchanged (through filters and joins).
    func sourceColumn(_ position: Int) -> (TableDefinition, Int)? {
        switch self {
        case .seqScan(let scan), .rowIDLookup(let scan, _), .indexScan(let scan, _):
            return position < scan.table.columns.count ? (scan.table, position) : nil
        case .filter(let input, _), .lockRows(let input, _), .limit(let input, _, _), .sort(let input, _),
             .topK(let input, _, _, _):
            return input.sourceColumn(position)
        case .nestedLoopJoin(let left, let right, let spec), .hashJoin(let left, let right, let spec, _, _),
             .indexNestedLoopJoin(let left, let right, let spec):
            guard spec.leftWidth > 0 else { return nil }
            return position < spec.leftWidth ? left.sourceColumn(position) : right.sourceColumn(position - spec.leftWidth)
        default:
            return nil
        }
    }

    /// The filter of the table an index nested-loop join's probe reads.
    var probedScanFilter: BoundExpression? {
        switch self {
        case .rowIDLookup(let scan, _), .indexScan(let scan, _): scan.filter
        default: nil
        }
    }
}
