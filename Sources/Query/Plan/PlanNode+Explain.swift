import Foundation
import VireoStorage

extension PlanNode {
    /// The plan as indented lines, PostgreSQL style; with statistics, each node shows the
    /// rows it produced and the time it took.
    func explainLines(statistics: PlanStatistics? = nil, path: String = "0", depth: Int = 0) -> [String] {
        let indent = depth == 0 ? "" : String(repeating: "      ", count: depth - 1) + "  ->  "
        var line = indent + title
        if let statistics {
            let rows = statistics.rows[path] ?? 0
            let milliseconds = Double(statistics.nanoseconds[path] ?? 0) / 1_000_000
            line += String(format: " (actual time=%.3f ms rows=%d)", milliseconds, rows)
        }
        var lines = [line]
        let detailIndent = String(repeating: " ", count: max(0, indent.count + 2))
        lines += details.map { detailIndent + $0 }
        for (position, child) in children.enumerated() {
            lines += child.explainLines(statistics: statistics, path: path + ".\(position)", depth: depth + 1)
        }
        return lines
    }

    var children: [PlanNode] {
        switch self {
        case .seqScan, .rowIDLookup, .indexScan, .vectorScan, .values, .functionScan, .workingTableScan: []
        case .commonTableScan(let table): [table.plan]
        case .setOperation(_, _, let inputs): inputs
        case .filter(let input, _), .project(let input, _), .sort(let input, _), .topK(let input, _, _, _),
             .limit(let input, _, _), .distinct(let input), .aggregate(let input, _), .window(let input, _),
             .distinctOn(let input, _), .lockRows(let input, _): [input]
        case .nestedLoopJoin(let left, let right, _), .hashJoin(let left, let right, _, _, _),
             .recursiveUnion(_, let left, let right, _),
             .lateralJoin(let left, let right, _), .indexNestedLoopJoin(let left, let right, _): [left, right]
        }
    }

    private var title: String {
        switch self {
        case .seqScan(let scan): scan.rowIDBounds == nil ? "Seq Scan on \(scan.table.name)" : "Primary Key Range Scan on \(scan.table.name)"
        case .rowIDLookup(let scan, _): "Primary Key Lookup on \(scan.table.name)"
        case .indexScan(let scan, let range): "Index Scan\(range.reverse ? " Backward" : "") using \(range.index.name) on \(scan.table.name)"
        case .vectorScan(let scan, let search): "Vector Index Scan using \(search.index.name) on \(scan.table.name) (hnsw, \(search.index.options["metric"] ?? "l2"))"
        case .values(let rows): "Values (\(rows.count) rows)"
        case .functionScan(let scan): "Function Scan on \(scan.name)"
        case .filter: "Filter"
        case .project: "Project"
        case .sort: "Sort"
        case .topK: "Top-K Sort"
        case .limit: "Limit"
        case .distinct: "Unique"
        case .aggregate(_, let aggregation): aggregation.groupKeys.isEmpty ? "Aggregate" : "HashAggregate"
        case .nestedLoopJoin(_, _, let spec), .indexNestedLoopJoin(_, _, let spec): "Nested Loop" + spec.kind.explainSuffix
        case .hashJoin(_, _, let spec, _, _): "Hash" + (spec.kind == .inner ? " Join" : spec.kind.explainSuffix)
        case .setOperation(let kind, let all, _): kind.rawValue.capitalized + (all ? " All" : "")
        case .commonTableScan(let table): "CTE Scan on \(table.name)"
        case .workingTableScan(let table): "WorkTable Scan on \(table.name)"
        case .recursiveUnion(_, _, _, let all): all ? "Recursive Union All" : "Recursive Union"
        case .window: "WindowAgg"
        case .lateralJoin(_, _, let spec): "Nested Loop" + spec.kind.explainSuffix + " (LATERAL)"
        case .distinctOn: "Unique (DISTINCT ON)"
        case .lockRows: "LockRows"
        }
    }

    private var details: [String] {
        switch self {
        case .seqScan(let scan): (scan.filter != nil ? ["Filter: present"] : []) + ["Reason: \(scan.reason)"]
        case .rowIDLookup(let scan, let rowIDs):
            ["Row ids: \(rowIDs.count)", "Reason: \(scan.reason)"] + (scan.filter != nil ? ["Recheck: WHERE clause"] : [])
        case .indexScan(let scan, let range):
            ["Reason: \(scan.reason)"] + (range.condition.map { range.index.columns.count > 1 || range.index.isComputed ? ["Index Cond: \($0)"] : [] } ?? [])
                + (range.index.predicate.map { ["Index Predicate: \($0)"] } ?? [])
                + (range.textTopK != nil ? ["Top-k: BM25 by block-max WAND over the posting blocks"] : [])
                + (range.ordered ? [range.reverse ? "Order: index key order backward (no sort)" : "Order: index key order (no sort)"] : []) + ["Recheck: WHERE clause"]
        case .vectorScan(let scan, let search):
            ["Reason: \(scan.reason)"] + (scan.filter != nil ? ["Filter: checked during the search (exact scan when selective)"] : [])
                + (search.textFilter.map { ["Pre-filter: rows matching @@ from gin index \($0.index.name) (exact scan when few)"] } ?? [])
                + (search.filterRange.map { ["Matching rows: from index \($0.range.index.name) when selective" + ($0.coversFilter ? "" : ", WHERE clause rechecked")] } ?? [])
        case .sort(_, let keys), .topK(_, let keys, _, _): ["Sort keys: \(keys.count)"]
        case .aggregate(_, let aggregation):
            ["Group keys: \(aggregation.groupKeys.count), aggregates: " + aggregation.aggregates.map { $0.function.rawValue }.joined(separator: ", ")]
        case .hashJoin(let left, let right, let spec, let keys, _):
            ["Hash keys: \(keys.count)"] + (spec.hashesLeft ? ["Hashed: left side (estimated \(Int(left.estimatedRows ?? 0)) rows against \(Int(right.estimatedRows ?? 0)))"] : [])
        default: []
        }
    }
}

extension JoinSpec.Kind {
    /// " Left Join", " Right Join", " Full Join"; nothing for an inner join.
    var explainSuffix: String {
        switch self {
        case .inner: ""
        case .left: " Left Join"
        case .right: " Right Join"
        case .full: " Full Join"
        }
    }
}
