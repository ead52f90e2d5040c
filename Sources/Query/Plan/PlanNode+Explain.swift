import Foundation
import VireoStorage

extension PlanNode {
    /// The plan as indented lines, PostgreSQL style; with statistics, each node shows the
    /// rows it produced and the time it took.
    /// `memoizes`: the session's enable_memoize; off, no join shows (or runs) its memo.
    func explainLines(statistics: PlanStatistics? = nil, path: String = "0", depth: Int = 0, memoizes: Bool = true) -> [String] {
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
            var childDepth = depth + 1
            if position == 1, memoizes, let memo = memo {
                let memoIndent = String(repeating: "      ", count: depth) + "  ->  "
                lines.append(memoIndent + "Memoize")
                lines += memo.explainDetails(statistics?.memos[path]).map { String(repeating: " ", count: memoIndent.count + 2) + $0 }
                childDepth += 1
            }
            lines += child.explainLines(statistics: statistics, path: path + ".\(position)", depth: childDepth, memoizes: memoizes)
        }
        return lines
    }

    /// The memo of an index nested-loop join (JoinMemo), shown above its probe.
    private var memo: JoinMemo? {
        if case .indexNestedLoopJoin(_, _, let spec) = self { spec.memo } else { nil }
    }

    var children: [PlanNode] {
        switch self {
        case .seqScan, .rowIDLookup, .indexScan, .vectorScan, .values, .functionScan, .workingTableScan: []
        case .commonTableScan(let table): [table.plan]
        case .setOperation(_, _, let inputs): inputs
        case .filter(let input, _), .project(let input, _), .sort(let input, _), .topK(let input, _, _, _),
             .limit(let input, _, _), .limitWithTies(let input, _, _, _), .distinct(let input), .aggregate(let input, _), .window(let input, _),
             .distinctOn(let input, _), .lockRows(let input, _): [input]
        case .nestedLoopJoin(let left, let right, _), .hashJoin(let left, let right, _, _, _),
             .recursiveUnion(_, let left, let right, _),
             .lateralJoin(let left, let right, _), .indexNestedLoopJoin(let left, let right, _): [left, right]
        }
    }

    /// What EXPLAIN names a node by: its type (PostgreSQL's name where it has the node), the
    /// index and table it reads, and the fields FORMAT JSON adds.
    private struct Heading {
        var type: String
        /// The text form's name for the type when it differs (`Hash Left Join`, `Index Scan Backward`).
        var textType: String? = nil
        var index: String? = nil
        var relation: String? = nil
        var note: String? = nil
        var fields: [(String, JSONValue)] = []
    }

    private var heading: Heading {
        switch self {
        case .seqScan(let scan):
            Heading(type: scan.rowIDBounds == nil ? "Seq Scan" : "Primary Key Range Scan", relation: scan.table.name)
        case .rowIDLookup(let scan, _): Heading(type: "Primary Key Lookup", relation: scan.table.name)
        case .indexScan(let scan, let range):
            Heading(type: "Index Scan", textType: range.reverse ? "Index Scan Backward" : nil, index: range.index.name, relation: scan.table.name,
                    fields: [("Scan Direction", .string(range.reverse ? "Backward" : "Forward"))])
        case .vectorScan(let scan, let search):
            Heading(type: "Vector Index Scan", index: search.index.name, relation: scan.table.name,
                    note: "hnsw, \(search.index.options["metric"] ?? "l2")", fields: [("Index Method", .string("hnsw")), ("Metric", .string(search.index.options["metric"] ?? "l2"))])
        case .values(let rows): Heading(type: "Values Scan", textType: "Values (\(rows.count) rows)", fields: [("Rows", .number(Double(rows.count)))])
        case .functionScan(let scan): Heading(type: "Function Scan", textType: "Function Scan on \(scan.name)", fields: [("Function Name", .string(scan.name))])
        case .filter: Heading(type: "Filter")
        case .project: Heading(type: "Project")
        case .sort: Heading(type: "Sort")
        case .topK: Heading(type: "Sort", textType: "Top-K Sort", fields: [("Sort Method", .string("top-N heapsort"))])
        case .limit, .limitWithTies: Heading(type: "Limit")
        case .distinct: Heading(type: "Unique")
        case .aggregate(_, let aggregation):
            Heading(type: "Aggregate", textType: ["Plain": "Aggregate", "Mixed": "MixedAggregate"][aggregation.strategy] ?? "HashAggregate",
                    fields: [("Strategy", .string(aggregation.strategy))])
        case .nestedLoopJoin(_, _, let spec), .indexNestedLoopJoin(_, _, let spec):
            Heading(type: "Nested Loop", textType: "Nested Loop" + spec.kind.explainSuffix, fields: [("Join Type", .string(spec.kind.explainName))])
        case .hashJoin(_, _, let spec, _, _):
            Heading(type: "Hash Join", textType: "Hash" + (spec.kind == .inner ? " Join" : spec.kind.explainSuffix), fields: [("Join Type", .string(spec.kind.explainName))])
        case .setOperation(let kind, let all, _): Heading(type: kind.rawValue.capitalized + (all ? " All" : ""))
        case .commonTableScan(let table): Heading(type: "CTE Scan", textType: "CTE Scan on \(table.name)", fields: [("CTE Name", .string(table.name))])
        case .workingTableScan(let table): Heading(type: "WorkTable Scan", textType: "WorkTable Scan on \(table.name)", fields: [("CTE Name", .string(table.name))])
        case .recursiveUnion(_, _, _, let all): Heading(type: all ? "Recursive Union All" : "Recursive Union")
        case .window: Heading(type: "WindowAgg")
        case .lateralJoin(_, _, let spec):
            Heading(type: "Nested Loop", textType: "Nested Loop" + spec.kind.explainSuffix + " (LATERAL)",
                    fields: [("Join Type", .string(spec.kind.explainName)), ("Lateral", .bool(true))])
        case .distinctOn: Heading(type: "Unique", textType: "Unique (DISTINCT ON)")
        case .lockRows: Heading(type: "LockRows")
        }
    }

    private var title: String {
        let heading = heading
        return (heading.textType ?? heading.type) + (heading.index.map { " using \($0)" } ?? "") + (heading.relation.map { " on \($0)" } ?? "")
            + (heading.note.map { " (\($0))" } ?? "")
    }

    /// The plan as EXPLAIN (FORMAT JSON) shows it: PostgreSQL's keys ("Node Type", "Relation
    /// Name", "Index Name", "Join Type", "Plans", "Actual Rows", "Actual Total Time") for what
    /// Vireo's plan has, and each detail line of the text form as a key of its own.
    func explainJSON(statistics: PlanStatistics? = nil, path: String = "0", relationship: String? = nil, memoizes: Bool = true) -> JSONValue {
        let heading = heading
        var fields: [(String, JSONValue)] = [("Node Type", .string(heading.type))]
        if let relationship { fields.append(("Parent Relationship", .string(relationship))) }
        if let relation = heading.relation { fields.append(("Relation Name", .string(relation))) }
        if let index = heading.index { fields.append(("Index Name", .string(index))) }
        fields += heading.fields
        if let statistics {
            fields.append(("Actual Total Time", .number((Double(statistics.nanoseconds[path] ?? 0) / 1_000).rounded() / 1_000)))
            fields.append(("Actual Rows", .number(Double(statistics.rows[path] ?? 0))))
        }
        for detail in details {
            guard let colon = detail.range(of: ": ") else { continue }
            fields.append((String(detail[..<colon.lowerBound]), .string(String(detail[colon.upperBound...]))))
        }
        let children = children
        if !children.isEmpty {
            let plans = children.enumerated().map { position, child in
                let relationship = childRelationship(position, of: children.count)
                let plan = child.explainJSON(statistics: statistics, path: path + ".\(position)", relationship: position == 1 && memoizes && memo != nil ? "Outer" : relationship,
                                             memoizes: memoizes)
                guard position == 1, memoizes, let memo else { return plan }
                return memo.explainJSON(statistics?.memos[path], relationship: relationship, plan: plan)
            }
            fields.append(("Plans", .array(plans)))
        }
        return .object(fields)
    }

    /// PostgreSQL's "Parent Relationship": a join's left input is its outer side, the right
    /// its inner; a set operation's inputs are its members.
    private func childRelationship(_ position: Int, of count: Int) -> String {
        if case .setOperation = self { return "Member" }
        return count == 2 && position == 1 ? "Inner" : "Outer"
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
                + (aggregation.groupingSets.map { sets in
                    ["Grouping Sets: " + sets.map { "(" + $0.map { aggregation.keyNames[$0] }.joined(separator: ", ") + ")" }.joined(separator: ", ")]
                } ?? [])
        case .hashJoin(let left, let right, let spec, let keys, _):
            ["Hash keys: \(keys.count)"] + (spec.hashesLeft ? ["Hashed: left side (estimated \(Int(left.estimatedRows ?? 0)) rows against \(Int(right.estimatedRows ?? 0)))"] : [])
        default: []
        }
    }
}

extension Aggregation {
    /// PostgreSQL's name for how the groups are formed: Plain (one group, or only empty
    /// grouping sets), Hashed, or Mixed (hashed sets beside the empty set).
    fileprivate var strategy: String {
        guard let sets = groupingSets else { return groupKeys.isEmpty ? "Plain" : "Hashed" }
        let empty = sets.filter(\.isEmpty).count
        return empty == sets.count ? "Plain" : (empty == 0 ? "Hashed" : "Mixed")
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

    /// The "Join Type" of EXPLAIN (FORMAT JSON).
    var explainName: String {
        switch self {
        case .inner: "Inner"
        case .left: "Left"
        case .right: "Right"
        case .full: "Full"
        }
    }
}

extension JoinMemo {
    /// The lines under EXPLAIN's "Memoize": PostgreSQL's cache key and mode, the planner's
    /// expectation, and with ANALYZE what the memo did.
    func explainDetails(_ counters: MemoCounters?) -> [String] {
        var lines = ["Cache Key: " + keyNames.joined(separator: ", "), "Cache Mode: logical",
                     String(format: "Expected: %.0f distinct keys in %.0f outer rows (hits %.0f%%)", distinctKeys, outerRows, expectedHitFraction * 100)]
        if let counters {
            let kilobytes = (counters.bytes + 1023) / 1024
            lines.append("Hits: \(counters.hits)  Misses: \(counters.misses)  Evictions: 0  Overflows: \(counters.overflows)  Memory Usage: \(kilobytes)kB")
        }
        return lines
    }

    /// The Memoize node of EXPLAIN (FORMAT JSON), holding the probe's `plan`.
    func explainJSON(_ counters: MemoCounters?, relationship: String, plan: JSONValue) -> JSONValue {
        var fields: [(String, JSONValue)] = [("Node Type", .string("Memoize")), ("Parent Relationship", .string(relationship))]
        for detail in explainDetails(counters) where !detail.hasPrefix("Hits: ") {
            guard let colon = detail.range(of: ": ") else { continue }
            fields.append((String(detail[..<colon.lowerBound]), .string(String(detail[colon.upperBound...]))))
        }
        if let counters {
            fields += [("Cache Hits", .number(Double(counters.hits))), ("Cache Misses", .number(Double(counters.misses))),
                       ("Cache Evictions", .number(0)), ("Cache Overflows", .number(Double(counters.overflows))),
                       ("Peak Memory Usage", .number(Double((counters.bytes + 1023) / 1024)))]
        }
        fields.append(("Plans", .array([plan])))
        return .object(fields)
    }
}
