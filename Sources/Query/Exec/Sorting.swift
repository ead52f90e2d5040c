import VireoStorage

/// ORDER BY: a full sort, or with a limit a bounded top-k that keeps only k rows.
enum Sorting {
    /// With a limit, keeps the first LIMIT + OFFSET rows (the sum clamped, not overflowing).
    static func sort(_ input: PlanNode, _ keys: [SortKey], _ limit: BoundExpression?, offset: BoundExpression?,
                     _ context: ExecutionContext, _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        let wanted = try PlanExecutor.rowsWanted(limit: limit, offset: offset, context)
        if wanted == 0 { return true }
        // Insertion into a kept prefix pays off for small k; past that, sort everything.
        let k = wanted.flatMap { $0 <= topKInsertionMax ? $0 : nil }
        var rows: [(keys: [Value], row: [Value])] = []
        let before = { (a: [Value], b: [Value]) in compare(a, b, keys) < 0 }
        let memory = context.workMemory
        try PlanExecutor.run(input, context, path: path) { row in
            let entry = (try keys.map { try Evaluator.evaluate($0.expression, row, context) }, row)
            if let k, rows.count == k, let last = rows.last, !before(entry.0, last.keys) { return true }
            try memory.charge(bytes: entryBytes(entry), for: .sorting)
            guard let k else { rows.append(entry); return true }
            rows.insert(entry, at: insertionIndex(rows, entry.0, before))
            // A top-k sort holds only k rows: what it drops no longer counts.
            if rows.count > k { memory.release(bytes: entryBytes(rows.removeLast())) }
            return true
        }
        if k == nil { try rows.sortStable(checkingBetweenPasses: context.checkCancel) { before($0.keys, $1.keys) } }
        for entry in rows.prefix(wanted ?? rows.count) where !(try emit(entry.row)) { return false }
        return true
    }

    static let topKInsertionMax = 4096

    /// FETCH FIRST … WITH TIES over rows sorted by `keys`: after OFFSET, the first LIMIT
    /// rows, then every following row whose keys equal the last one's (NULLs tie).
    static func limitWithTies(_ input: PlanNode, _ keys: [SortKey], _ limit: BoundExpression, _ offset: BoundExpression?,
                              _ context: ExecutionContext, _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        var remaining = try PlanExecutor.count(limit, context, clause: "LIMIT") ?? Int.max
        var skip = try offset.flatMap { try PlanExecutor.count($0, context, clause: "OFFSET") } ?? 0
        if remaining == 0 { return true }
        var last: [Value] = []
        _ = try PlanExecutor.run(input, context, path: path) { row in
            if skip > 0 { skip -= 1; return true }
            let values = try keys.map { try Evaluator.evaluate($0.expression, row, context) }
            if remaining > 0 {
                remaining -= 1
                last = values
            } else if compare(values, last, keys) != 0 {
                return false
            }
            return try emit(row)
        }
        return true
    }

    /// A sort key that is a column of the row shares its storage but counts twice: the
    /// estimate errs high rather than compare storage.
    private static func entryBytes(_ entry: (keys: [Value], row: [Value])) -> Int {
        WorkMemory.estimatedBytes(entry.keys) + WorkMemory.estimatedBytes(entry.row)
    }

    /// Where `keys` goes among sorted rows: after equal keys, so the sort is stable.
    private static func insertionIndex(_ rows: [(keys: [Value], row: [Value])], _ keys: [Value],
                                       _ before: ([Value], [Value]) -> Bool) -> Int {
        var low = 0, high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if before(keys, rows[middle].keys) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    static func compare(_ a: [Value], _ b: [Value], _ keys: [SortKey]) -> Int {
        for (index, key) in keys.enumerated() {
            let order = Compare.forSort(a[index], b[index], descending: key.descending, nullsFirst: key.nullsFirst)
            if order != 0 { return order }
        }
        return 0
    }
}

extension Array {
    /// A stable sort (merge sort), so equal keys keep their input order as PostgreSQL's
    /// sorts in practice do for small inputs. `checkingBetweenPasses` runs before each of
    /// the log2(count) passes: a cancelled statement stops there.
    mutating func sortStable(checkingBetweenPasses check: () throws -> Void = {},
                             by areInIncreasingOrder: (Element, Element) -> Bool) rethrows {
        guard count > 1 else { return }
        var buffer = self
        var width = 1
        while width < count {
            try check()
            var start = 0
            while start < count {
                let middle = Swift.min(start + width, count), end = Swift.min(start + 2 * width, count)
                var (left, right, out) = (start, middle, start)
                while left < middle && right < end {
                    if areInIncreasingOrder(self[right], self[left]) { buffer[out] = self[right]; right += 1 } else { buffer[out] = self[left]; left += 1 }
                    out += 1
                }
                while left < middle { buffer[out] = self[left]; left += 1; out += 1 }
                while right < end { buffer[out] = self[right]; right += 1; out += 1 }
                start += 2 * width
            }
            swap(&self, &buffer)
            width *= 2
        }
    }
}
