import VireoStorage

/// Inner, left, right and full joins: a hash join for equality conditions, nested loops
/// otherwise. The right side is held; RIGHT and FULL joins remember which of its rows
/// matched and emit the others, NULL-extended, after the left side is done.
enum Joins {
    static func nestedLoop(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ context: ExecutionContext,
                           _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        let rightRows = try PlanExecutor.materialize(right, context, path + ".1", for: .joining)
        var rightMatched = [Bool](repeating: false, count: spec.keepsRight ? rightRows.count : 0)
        let completed = try PlanExecutor.run(left, context, path: path + ".0") { leftRow in
            var matched = false
            for (index, rightRow) in rightRows.enumerated() {
                try context.checkCancel()
                let joined = leftRow + rightRow
                if let condition = spec.condition, !(try Evaluator.holds(condition, joined, context)) { continue }
                matched = true
                if spec.keepsRight { rightMatched[index] = true }
                if !(try emit(joined)) { return false }
            }
            return try emitUnmatched(matched, leftRow, spec, emit)
        }
        return try completed && emitUnmatchedRight(rightRows, rightMatched, spec, emit)
    }

    static func hash(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ leftKeys: [BoundExpression],
                     _ rightKeys: [BoundExpression], _ context: ExecutionContext, _ path: String,
                     _ emit: PlanExecutor.Emit) throws -> Bool {
        if spec.hashesLeft, spec.kind == .inner { return try hashLeft(left, right, spec, leftKeys, rightKeys, context, path, emit) }
        let rightRows = try PlanExecutor.materialize(right, context, path + ".1", for: .joining)
        let table = try hashTable(rightRows, rightKeys, context)
        var rightMatched = [Bool](repeating: false, count: spec.keepsRight ? rightRows.count : 0)
        let completed = try PlanExecutor.run(left, context, path: path + ".0") { leftRow in
            let key = try leftKeys.map { try Evaluator.evaluate($0, leftRow, context) }
            var matched = false
            if !key.contains(where: \.isNull) {
                for index in table[key.map(GroupKey.init)] ?? [] {
                    try context.checkCancel()
                    let joined = leftRow + rightRows[index]
                    if let condition = spec.condition, !(try Evaluator.holds(condition, joined, context)) { continue }
                    matched = true
                    if spec.keepsRight { rightMatched[index] = true }
                    if !(try emit(joined)) { return false }
                }
            }
            return try emitUnmatched(matched, leftRow, spec, emit)
        }
        return try completed && emitUnmatchedRight(rightRows, rightMatched, spec, emit)
    }

    /// The positions of `rows` by their join key; rows with a NULL key are left out (NULL
    /// never equals anything).
    private static func hashTable(_ rows: [[Value]], _ keys: [BoundExpression], _ context: ExecutionContext) throws -> [[GroupKey]: [Int]] {
        var table: [[GroupKey]: [Int]] = [:]
        for (index, row) in rows.enumerated() {
            try context.checkCancel()
            let key = try keys.map { try Evaluator.evaluate($0, row, context) }
            if key.contains(where: \.isNull) { continue }
            try context.workMemory.charge(key, for: .joining)  // the hash table's copy of the key
            table[key.map(GroupKey.init), default: []].append(index)
        }
        return table
    }

    /// An inner hash join built on its left side: the left rows are hashed, the right ones
    /// stream past them; each match is still emitted as left row then right row.
    private static func hashLeft(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ leftKeys: [BoundExpression],
                                 _ rightKeys: [BoundExpression], _ context: ExecutionContext, _ path: String,
                                 _ emit: PlanExecutor.Emit) throws -> Bool {
        let leftRows = try PlanExecutor.materialize(left, context, path + ".0", for: .joining)
        let table = try hashTable(leftRows, leftKeys, context)
        return try PlanExecutor.run(right, context, path: path + ".1") { rightRow in
            let key = try rightKeys.map { try Evaluator.evaluate($0, rightRow, context) }
            guard !key.contains(where: \.isNull) else { return true }
            for index in table[key.map(GroupKey.init)] ?? [] {
                try context.checkCancel()
                let joined = leftRows[index] + rightRow
                if let condition = spec.condition, !(try Evaluator.holds(condition, joined, context)) { continue }
                if !(try emit(joined)) { return false }
            }
            return true
        }
    }

    /// Index nested loop: for each left row, the right table's rows with its key, found
    /// by `probe` (a row-id lookup or index range evaluated over the left row); the whole
    /// condition is still checked on each joined row, unless it is only the key equality
    /// that the row-id lookup itself guarantees (DirectLookup.implies). `projecting`: the
    /// positions of the joined row to emit (a projection of plain columns above the join),
    /// so that a direct lookup writes its output without building the joined row.
    static func indexNestedLoop(_ left: PlanNode, _ probe: PlanNode, _ spec: JoinSpec, _ context: ExecutionContext,
                                _ path: String, projecting columns: [Int]? = nil, _ emit: PlanExecutor.Emit) throws -> Bool {
        let probePath = path + ".1"
        // The memo lives for this execution only: a statement's writes (INSERT … SELECT,
        // UPDATE … FROM, MERGE) come after its join has given all its rows, so the right rows
        // cannot change under it, and a correlated subquery's join starts a new one per run.
        let memoizes = spec.memo != nil && context.memoizes
        let directLookup = DirectLookup(probe, context, memoizes: memoizes)
        defer { directLookup?.release() }
        let memo = memoizes && directLookup == nil ? ProbeMemo(bytesMax: context.workMemory.kilobytesMax * 1024) : nil
        defer { if let memo { context.statistics?.memos[path] = memo.counters } }
        let condition = spec.condition
        // The joined row of a direct lookup, written over for each left row (see DirectLookup.emit).
        var joined: [Value] = []
        var output = Projection(columns)
        // The closures below are passed straight to the calls, so their contexts live on the
        // stack: a closure kept in a local would be allocated (with `matched` boxed) per row.
        return try PlanExecutor.run(left, context, path: path + ".0") { leftRow in
            var matched = false
            let finished: Bool
            if let directLookup {
                finished = try directLookup.emit(leftRow, into: &joined, condition, context, &matched, &output, emit)
            } else if let memo {
                finished = try probeThroughMemo(leftRow, probe, memo, context, probePath) { rightRow in
                    try emitJoined(leftRow, rightRow, condition, context, &matched) { try output.emit($0, emit) }
                }
            } else {
                finished = try PlanExecutor.run(try probe.probing(leftRow, context), context, path: probePath) { rightRow in
                    try emitJoined(leftRow, rightRow, condition, context, &matched) { try output.emit($0, emit) }
                }
            }
            guard finished, !matched, spec.keepsLeft else { return finished }
            return try output.emit(leftRow + Array(repeating: .null, count: spec.rightWidth), emit)
        }
    }

    /// Calls `body` with each right row the probe finds for `leftRow`'s keys: the rows kept
    /// in `memo` for those key values, or, the first time, the probe's rows, then kept.
    private static func probeThroughMemo(_ leftRow: [Value], _ probe: PlanNode, _ memo: ProbeMemo, _ context: ExecutionContext,
                                         _ path: String, _ body: ([Value]) throws -> Bool) throws -> Bool {
        let keyValues = try probe.probeKeys.map { try Evaluator.evaluate($0, leftRow, context) }
        let key = keyValues.map(GroupKey.init)
        var rows = memo.recall(key)
        if rows == nil {
            var found: [[Value]] = []
            _ = try PlanExecutor.run(probe.probing(keyValues: keyValues), context, path: path) { found.append($0); return true }
            memo.keep(found, for: key, keyValues: keyValues)
            rows = found
        }
        for row in rows ?? [] where !(try body(row)) { return false }
        return true
    }

    /// The plain-column projection a join's rows pass through before `emit` (or none): one
    /// output row for the whole run, reused as `PlanExecutor.project`'s is.
    fileprivate struct Projection {
        let columns: [Int]?
        var output: [Value]

        init(_ columns: [Int]?) {
            self.columns = columns
            output = PlanExecutor.nullRow(columns?.count ?? 0)
        }

        mutating func emit(_ row: [Value], _ emit: PlanExecutor.Emit) throws -> Bool {
            guard let columns else { return try emit(row) }
            PlanExecutor.copy(columns, of: row, into: &output)
            return try emit(output)
        }

        /// Emits the projection of `left` followed by the right part of `right` (at `left.count`
        /// and after) without making that row. Only with columns to project. The output is
        /// written through one buffer: one uniqueness check per row, not per value.
        mutating func emit(left: [Value], right: [Value], _ emit: PlanExecutor.Emit) throws -> Bool {
            guard let columns else { preconditionFailure("Projection.emit(left:right:) without columns to project") }
            output.withUnsafeMutableBufferPointer { output in
                for (index, column) in columns.enumerated() { output[index] = column < left.count ? left[column] : right[column] }
            }
            return try emit(output)
        }
    }

    /// Emits the left row joined with a right row when the join condition holds.
    private static func emitJoined(_ leftRow: [Value], _ rightRow: [Value], _ condition: BoundExpression?,
                                   _ context: ExecutionContext, _ matched: inout Bool, _ emit: PlanExecutor.Emit) throws -> Bool {
        var joined = leftRow
        joined.append(contentsOf: rightRow)
        if let condition, !(try Evaluator.holds(condition, joined, context)) { return true }
        matched = true
        return try emit(joined)
    }

    /// A primary-key probe without building a plan for each left row: the one row whose
    /// id the key names, if it exists and passes the scan's filter (NULL names none). A
    /// class, matched once per join, so that each left row shares the scan instead of
    /// copying (and retaining) its table definition.
    private final class DirectLookup {
        let scan: TableScan
        let key: BoundExpression
        /// The left row's position when the key is a plain column (the usual foreign key):
        /// read in place rather than through the evaluator's switch.
        private let keyColumn: Int?
        /// On a snapshot, the pages the probes read stay pinned until the join ends
        /// (PinnedPages): each probe descends the same tree, and pinning its pages again
        /// took the buffer pool's lock twice per page. A write transaction's reads (its own
        /// pages change under it) go through `context.data`.
        private let pinned: PinnedPages?
        /// The right table's row tree, key form and column count, taken from its definition
        /// once: reading them from `scan.table` for each probe copied the definition.
        private let tree: BTree
        private let keyForm: RowKeyForm
        private let columnCount: Int

        /// The rows found per row id, when the plan memoizes the probes (JoinMemo).
        private var memo: RowIDMemo?

        /// Nil for a probe of another kind, under EXPLAIN ANALYZE (which counts the probe's
        /// rows), and for a filtered probe that memoizes (ProbeMemo keeps its rows).
        init?(_ probe: PlanNode, _ context: ExecutionContext, memoizes: Bool) {
            guard case .rowIDLookup(let scan, let keys) = probe, keys.count == 1, context.statistics == nil,
                  !(memoizes && scan.filter != nil) else { return nil }
            self.scan = scan
            key = keys[0]
            if case .column(let position) = key { keyColumn = position } else { keyColumn = nil }
            (tree, keyForm, columnCount) = (scan.table.tree, scan.table.rowKeyForm, scan.table.columns.count)
            if case .snapshot(let snapshot) = context.data { pinned = snapshot.pinningPages() } else { pinned = nil }
            if memoizes {
                let read = (0..<columnCount).filter { scan.neededColumns?[$0] ?? true } + [columnCount]
                memo = RowIDMemo(positions: read, bytesMax: context.workMemory.kilobytesMax * 1024)
            }
        }

        /// Unpins the probes' pages; runs before the statement's snapshot closes.
        func release() { pinned?.release() }

        private func visitRow(_ rowID: Int64, _ context: ExecutionContext, _ body: (RecordView) throws -> Void) throws -> Bool {
            guard let pinned else { return try context.data.visitRow(scan.table, rowID: rowID, body) }
            return try pinned.visitRow(in: tree, form: keyForm, rowID: rowID, body)
        }

        /// Emits `leftRow` joined with the row its key names, when that row exists and the
        /// condition holds. Without a filter on the right table, the right row is decoded
        /// straight into `joined`, which the previous left row's match left behind: when the
        /// consumer kept nothing of it (a projection, an aggregate), no array is made per row.
        /// With a projection, a row whose condition is implied (or absent) is projected from
        /// `leftRow` and the right part of `joined` without copying the left values in.
        func emit(_ leftRow: [Value], into joined: inout [Value], _ condition: BoundExpression?, _ context: ExecutionContext,
                  _ matched: inout Bool, _ projection: inout Projection, _ emit: PlanExecutor.Emit) throws -> Bool {
            let keyValue = try keyColumn.map { leftRow[$0] } ?? Evaluator.evaluate(key, leftRow, context)
            guard let rowID = try PlanExecutor.rowID(keyValue) else { return true }
            guard scan.filter == nil else {
                return try PlanExecutor.emitRow(rowID, scan, context) { rightRow in
                    try emitJoined(leftRow, rightRow, condition, context, &matched) { try projection.emit($0, emit) }
                }
            }
            try context.checkCancel()
            if joined.count != leftRow.count + columnCount + 1 { joined = PlanExecutor.nullRow(leftRow.count + columnCount + 1) }
            guard try fetch(rowID, into: &joined, at: leftRow.count, context) else { return true }
            let mustCheck = condition.map { !(isInteger(keyValue) && implies($0, leftWidth: leftRow.count)) } ?? false
            if projection.columns != nil, !mustCheck {
                matched = true
                return try projection.emit(left: leftRow, right: joined, emit)
            }
            // One uniqueness check for the whole left part, not one per value.
            joined.withUnsafeMutableBufferPointer { row in
                for (position, value) in leftRow.enumerated() { row[position] = value }
            }
            if let condition, mustCheck, !(try Evaluator.holds(condition, joined, context)) { return true }
            matched = true
            return try projection.emit(joined, emit)
        }

        /// Decodes the row `rowID` names into `joined` from `start` (from the memo when it
        /// holds it); false when there is no such row.
        private func fetch(_ rowID: Int64, into joined: inout [Value], at start: Int, _ context: ExecutionContext) throws -> Bool {
            if let found = memo?.recall(rowID, into: &joined, at: start) { return found }
            let found = try visitRow(rowID, context) { record in
                try PlanExecutor.refill(&joined, at: start, columnCount: columnCount, record, columns: scan.neededColumns, rowID: rowID)
            }
            memo?.keep(rowID, found: found, from: joined, at: start)
            return found
        }

        private func isInteger(_ value: Value) -> Bool {
            if case .int = value { true } else { false }
        }

        /// Whether the condition is the key equality, worked out at the first row (the left
        /// width is the same for every row).
        private var conditionImplied: Bool?

        /// Whether `condition` is just `key = right.rowIDColumn` (either way round), which the
        /// lookup of an integer key guarantees: the row found has that id, and its row-id
        /// column holds it. Any other condition, a cast, or a key of another type is evaluated.
        func implies(_ condition: BoundExpression, leftWidth: Int) -> Bool {
            if let conditionImplied { return conditionImplied }
            let implied = isKeyEquality(condition, leftWidth: leftWidth)
            conditionImplied = implied
            return implied
        }

        private func isKeyEquality(_ condition: BoundExpression, leftWidth: Int) -> Bool {
            guard case .binary(.equal, let a, let b) = condition, case .column(let keyColumn) = key, keyColumn < leftWidth,
                  let rowIDColumn = scan.table.rowIDColumn else { return false }
            let idColumn = leftWidth + rowIDColumn
            switch (a, b) {
            case (.column(let x), .column(let y)): return (x == keyColumn && y == idColumn) || (x == idColumn && y == keyColumn)
            default: return false
            }
        }
    }

    /// LATERAL: the right side runs for each left row, with that row as its enclosing row;
    /// what it held is given back to work_mem before the next.
    static func lateral(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ context: ExecutionContext,
                        _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        try PlanExecutor.run(left, context, path: path + ".0") { leftRow in
            let usedBytesBefore = context.workMemory.usedBytes
            defer { context.workMemory.release(bytes: context.workMemory.usedBytes - usedBytesBefore) }
            let rightRows = try PlanExecutor.materialize(right, context.nested(outer: leftRow), for: .joining)
            var matched = false
            for rightRow in rightRows {
                try context.checkCancel()
                let joined = leftRow + rightRow
                if let condition = spec.condition, !(try Evaluator.holds(condition, joined, context)) { continue }
                matched = true
                if !(try emit(joined)) { return false }
            }
            return try emitUnmatched(matched, leftRow, spec, emit)
        }
    }

    private static func emitUnmatched(_ matched: Bool, _ leftRow: [Value], _ spec: JoinSpec,
                                      _ emit: PlanExecutor.Emit) throws -> Bool {
        guard !matched, spec.keepsLeft else { return true }
        return try emit(leftRow + Array(repeating: .null, count: spec.rightWidth))
    }

    private static func emitUnmatchedRight(_ rightRows: [[Value]], _ matched: [Bool], _ spec: JoinSpec,
                                           _ emit: PlanExecutor.Emit) throws -> Bool {
        guard spec.keepsRight else { return true }
        let nulls = [Value](repeating: .null, count: spec.leftWidth)
        for (index, row) in rightRows.enumerated() where !matched[index] {
            if !(try emit(nulls + row)) { return false }
        }
        return true
    }
}

/// UNION, INTERSECT, EXCEPT (with or without ALL), over two inputs or more combined from the
/// left, one input after another.
enum SetOperations {
    static func run(_ kind: SetOperation.Kind, _ all: Bool, _ inputs: [PlanNode],
                    _ context: ExecutionContext, _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        if kind == .union { return try union(all, inputs, context, path, emit) }
        var rows = try PlanExecutor.materialize(inputs[0], context, path + ".0", for: .setOperation)
        for index in inputs.indices.dropFirst() {
            let rightRows = try PlanExecutor.materialize(inputs[index], context, path + ".\(index)", for: .setOperation)
            rows = try combine(kind, all, rows, rightRows, context)
        }
        for row in rows where !(try emit(row)) { return false }
        return true
    }

    /// UNION ALL passes every input's rows on as they come; UNION the first of each set of
    /// equal rows, across all inputs (`(a UNION b) UNION c` is `a UNION b UNION c`).
    private static func union(_ all: Bool, _ inputs: [PlanNode], _ context: ExecutionContext, _ path: String,
                              _ emit: PlanExecutor.Emit) throws -> Bool {
        var emitted = Set<[GroupKey]>()
        for (index, input) in inputs.enumerated() {
            let finished = try PlanExecutor.run(input, context, path: path + ".\(index)") { row in
                try context.checkCancel()
                if !all {
                    guard emitted.insert(row.map(GroupKey.init)).inserted else { return true }
                    try context.workMemory.charge(row, for: .setOperation)
                }
                return try emit(row)
            }
            if !finished { return false }
        }
        return true
    }

    /// INTERSECT or EXCEPT of two inputs' rows, in the left rows' order.
    private static func combine(_ kind: SetOperation.Kind, _ all: Bool, _ leftRows: [[Value]], _ rightRows: [[Value]],
                                _ context: ExecutionContext) throws -> [[Value]] {
        var rightCounts: [[GroupKey]: Int] = [:]
        for row in rightRows {
            try context.workMemory.charge(row, for: .setOperation)  // the key's copy of the row
            rightCounts[row.map(GroupKey.init), default: 0] += 1
        }
        var emitted = Set<[GroupKey]>()
        var result: [[Value]] = []
        for row in leftRows {
            try context.checkCancel()
            let key = row.map(GroupKey.init)
            let inRight = (rightCounts[key] ?? 0) > 0
            if inRight != (kind == .intersect) { continue }
            if all && kind == .intersect { rightCounts[key]! -= 1 }
            if !all {
                guard emitted.insert(key).inserted else { continue }
                try context.workMemory.charge(row, for: .setOperation)
            }
            result.append(row)
        }
        return result
    }
}
