import VireoStorage

/// Window functions: the input is held, sorted per window, and each call computed over its
/// partition; rows come out in the order of the last window, each followed by the calls' values.
enum Windows {
    static func run(_ input: PlanNode, _ calls: [WindowCall], _ context: ExecutionContext, _ path: String,
                    _ emit: PlanExecutor.Emit) throws -> Bool {
        let rows = try PlanExecutor.materialize(input, context, path, for: .window)
        var values = [[Value]](repeating: [], count: rows.count)
        var orders: [String: [Int]] = [:]
        var lastOrder = Array(rows.indices)
        for call in calls {
            let order = try orders[call.sortKey] ?? sortedOrder(rows, call, context)
            orders[call.sortKey] = order
            lastOrder = order
            let results = try WindowPartitions(rows: rows, order: order, call: call, context: context).compute()
            for (index, value) in results { values[index].append(value) }
        }
        for index in lastOrder where !(try emit(rows[index] + values[index])) { return false }
        return true
    }

    /// Row indices sorted by partition keys, then order keys (stable).
    private static func sortedOrder(_ rows: [[Value]], _ call: WindowCall, _ context: ExecutionContext) throws -> [Int] {
        let keys = call.partitionBy.map { SortKey(expression: $0, descending: false, nullsFirst: false) } + call.orderBy
        if keys.isEmpty { return Array(rows.indices) }
        var entries = try rows.indices.map { index in
            (index, try keys.map { try Evaluator.evaluate($0.expression, rows[index], context) })
        }
        try entries.sortStable(checkingBetweenPasses: context.checkCancel) { Sorting.compare($0.1, $1.1, keys) < 0 }
        return entries.map(\.0)
    }
}

/// One call computed over every partition of the sorted rows.
private struct WindowPartitions {
    let rows: [[Value]]
    let order: [Int]
    let call: WindowCall
    let context: ExecutionContext

    /// (row index, value) for every row.
    func compute() throws -> [(Int, Value)] {
        var results: [(Int, Value)] = []
        results.reserveCapacity(rows.count)
        var start = 0
        let partitionKeys = try order.map { index in try call.partitionBy.map { try Evaluator.evaluate($0, rows[index], context) } }
        let orderKeys = try order.map { index in try call.orderBy.map { try Evaluator.evaluate($0.expression, rows[index], context) } }
        while start < order.count {
            var end = start + 1
            while end < order.count, partitionKeys[end].map(GroupKey.init) == partitionKeys[start].map(GroupKey.init) { end += 1 }
            let partition = WindowPartition(rows: (start..<end).map { rows[order[$0]] }, orderKeys: Array(orderKeys[start..<end]),
                                            call: call, context: context)
            for (offset, value) in try partition.values().enumerated() { results.append((order[start + offset], value)) }
            start = end
        }
        return results
    }
}

/// One partition's rows in window order, and the call's value for each.
struct WindowPartition {
    let rows: [[Value]]
    let orderKeys: [[Value]]
    let call: WindowCall
    let context: ExecutionContext
    /// Each row's peer group (rows with equal ORDER BY values), found in one pass.
    private let peerGroups: [Range<Int>]

    init(rows: [[Value]], orderKeys: [[Value]], call: WindowCall, context: ExecutionContext) {
        self.rows = rows
        self.orderKeys = orderKeys
        self.call = call
        self.context = context
        var groups: [Range<Int>] = []
        groups.reserveCapacity(rows.count)
        var start = 0
        while start < rows.count {
            var end = start + 1
            while end < rows.count, Sorting.compare(orderKeys[start], orderKeys[end], call.orderBy) == 0 { end += 1 }
            groups += Array(repeating: start..<end, count: end - start)
            start = end
        }
        peerGroups = groups
    }

    var count: Int { rows.count }

    func values() throws -> [Value] {
        switch call.kind {
        case .function(let function): return try functionValues(function)
        case .aggregate(let aggregate): return try aggregateValues(aggregate)
        }
    }

    /// Whether rows `a` and `b` have equal ORDER BY values (all rows are peers without ORDER BY).
    func peers(_ a: Int, _ b: Int) -> Bool { peerGroups[a] == peerGroups[b] }

    /// The first and one past the last row of row `i`'s peer group.
    func peerGroup(_ i: Int) -> Range<Int> { peerGroups[i] }

    private func argument(_ position: Int, _ row: Int) throws -> Value {
        try Evaluator.evaluate(call.arguments[position], rows[row], context)
    }

    private func functionValues(_ function: WindowCall.Function) throws -> [Value] {
        var result: [Value] = []
        var rank = 1, denseRank = 0
        for i in 0..<count {
            try context.checkCancel()
            if i == 0 || !peers(i - 1, i) { rank = i + 1; denseRank += 1 }
            switch function {
            case .rowNumber: result.append(.int(Int64(i + 1)))
            case .rank: result.append(.int(Int64(rank)))
            case .denseRank: result.append(.int(Int64(denseRank)))
            case .percentRank: result.append(.double(count > 1 ? Double(rank - 1) / Double(count - 1) : 0))
            case .cumeDist: result.append(.double(Double(peerGroup(i).upperBound) / Double(count)))
            case .ntile: result.append(try ntile(i))
            case .lag, .lead: result.append(try shifted(i, by: function == .lag ? -1 : 1))
            case .firstValue, .lastValue, .nthValue: result.append(try frameValue(function, i))
            }
        }
        return result
    }

    /// ntile(k): buckets 1…k of sizes differing by at most one, the larger first.
    private func ntile(_ i: Int) throws -> Value {
        let buckets = try Cast.convert(argument(0, i), to: .int)
        guard case .int(let k) = buckets else { return .null }
        guard k > 0 else { throw VireoError(.invalidNtileArgument, "argument of ntile must be greater than zero") }
        let size = count / Int(min(k, Int64(count))), extra = count % Int(min(k, Int64(count)))
        let largeRows = extra * (size + 1)
        if i < largeRows { return .int(Int64(i / (size + 1) + 1)) }
        return .int(Int64(extra + (i - largeRows) / size + 1))
    }

    /// lag/lead(value [, offset [, default]]): the value `offset` rows back (lag) or ahead.
    private func shifted(_ i: Int, by direction: Int) throws -> Value {
        var offset: Int64 = 1
        if call.arguments.count > 1 {
            guard case .int(let written) = try Cast.convert(argument(1, i), to: .int) else { return .null }
            offset = written
        }
        let (target, overflow) = Int64(i).addingReportingOverflow(Int64(direction) &* offset)
        if !overflow, target >= 0, target < Int64(count) { return try argument(0, Int(target)) }
        return call.arguments.count > 2 ? try argument(2, i) : .null
    }

    private func frameValue(_ function: WindowCall.Function, _ i: Int) throws -> Value {
        let frame = try frameRows(i)
        switch function {
        case .firstValue: return try frame.first.map { try argument(0, $0) } ?? .null
        case .lastValue: return try frame.last.map { try argument(0, $0) } ?? .null
        default:
            guard case .int(let n) = try Cast.convert(argument(1, i), to: .int) else { return .null }
            guard n > 0 else { throw VireoError(.invalidNthValueArgument, "argument of nth_value must be greater than zero") }
            guard n <= Int64(frame.count) else { return .null }
            return try argument(0, frame[Int(n) - 1])
        }
    }

    /// Aggregates over each row's frame; a frame that only grows at its end (the default
    /// frame, or the whole partition) adds the new rows to the running state.
    private func aggregateValues(_ aggregate: AggregateCall) throws -> [Value] {
        if call.frame.exclusion != .noOthers { return try excludingAggregateValues(aggregate) }
        var result: [Value] = []
        var state = Accumulator(aggregate)
        var current = 0..<0
        for i in 0..<count {
            try context.checkCancel()
            let frame = try self.frame(i)
            if frame.lowerBound != current.lowerBound || frame.upperBound < current.upperBound {
                state = Accumulator(aggregate)
                current = frame.lowerBound..<frame.lowerBound
            }
            for row in current.upperBound..<max(frame.upperBound, current.upperBound) { try state.add(rows[row], context) }
            current = current.lowerBound..<max(frame.upperBound, current.upperBound)
            result.append(try state.result())
        }
        return result
    }
}

extension WindowPartition {
    /// Aggregates over frames with EXCLUDE, which may have holes: each row's frame anew.
    fileprivate func excludingAggregateValues(_ aggregate: AggregateCall) throws -> [Value] {
        try (0..<count).map { i in
            try context.checkCancel()
            var state = Accumulator(aggregate)
            for row in try frameRows(i) { try state.add(rows[row], context) }
            return try state.result()
        }
    }
}
