import VireoStorage

/// GROUP BY and aggregate functions. Groups come out in the order first seen.
enum Aggregator {
    static func run(_ input: PlanNode, _ aggregation: Aggregation, _ context: ExecutionContext, _ path: String,
                    _ emit: PlanExecutor.Emit) throws -> Bool {
        var groups: [[GroupKey]: Int] = [:]
        var keys: [[Value]] = []
        var states: [[Accumulator]] = []
        try PlanExecutor.run(input, context, path: path) { row in
            let keyValues = try aggregation.groupKeys.map { try Evaluator.evaluate($0, row, context) }
            let groupKey = keyValues.map(GroupKey.init)
            let index: Int
            if let existing = groups[groupKey] {
                index = existing
            } else {
                try context.workMemory.charge(bytes: groupBytes(keyValues, aggregation), for: .grouping)
                index = keys.count
                groups[groupKey] = index
                keys.append(keyValues)
                states.append(aggregation.aggregates.map(Accumulator.init))
            }
            for position in states[index].indices {
                try states[index][position].add(row, context)
            }
            return true
        }
        if keys.isEmpty && aggregation.groupKeys.isEmpty {
            keys.append([])
            states.append(aggregation.aggregates.map(Accumulator.init))
        }
        for (index, key) in keys.enumerated() where !(try emit(key + states[index].map { try $0.result() })) { return false }
        return true
    }

    /// A new group holds its key twice (the values, and the hash table's copy) and one
    /// accumulator per aggregate.
    private static func groupBytes(_ keyValues: [Value], _ aggregation: Aggregation) -> Int {
        2 * WorkMemory.estimatedBytes(keyValues) + aggregation.aggregates.count * MemoryLayout<Accumulator>.stride
    }
}

/// The running state of one aggregate call for one group.
struct Accumulator {
    let call: AggregateCall
    var count = 0
    var total: Value = .null
    var extreme: Value = .null
    var seen = Set<GroupKey>()

    init(_ call: AggregateCall) { self.call = call }

    mutating func add(_ row: [Value], _ context: ExecutionContext) throws {
        if let filter = call.filter, !(try Evaluator.holds(filter.expression, row, context)) { return }
        guard let argument = call.argument else { count += 1; return }
        let value = try Evaluator.evaluate(argument.expression, row, context)
        if value.isNull { return }
        if call.distinct {
            guard seen.insert(GroupKey(value)).inserted else { return }
            try context.workMemory.charge(bytes: WorkMemory.estimatedBytes(value), for: .grouping)
        }
        count += 1
        switch call.function {
        case .count: break
        case .sum, .avg: total = try total.isNull ? startTotal(value) : add(total, value)
        case .min, .max: try keepIfExtreme(value, context)
        }
    }

    /// min and max: keeps `value` if it beats the extreme so far. The group holds its
    /// extreme, so work_mem counts the one kept.
    private mutating func keepIfExtreme(_ value: Value, _ context: ExecutionContext) throws {
        if !extreme.isNull {
            let order = try Compare.values(value, extreme) ?? 0
            guard call.function == .min ? order < 0 : order > 0 else { return }
            context.workMemory.release(bytes: WorkMemory.estimatedBytes(extreme))
        }
        try context.workMemory.charge(bytes: WorkMemory.estimatedBytes(value), for: .grouping)
        extreme = value
    }

    private func startTotal(_ value: Value) throws -> Value {
        switch value {
        case .int, .double, .vector: return value
        default: throw VireoError(.undefinedFunction, "function \(call.function.rawValue)(\(SQLType(of: value))) does not exist")
        }
    }

    private func add(_ total: Value, _ value: Value) throws -> Value {
        if case .int(let a) = total, case .int(let b) = value {
            let (sum, overflow) = a.addingReportingOverflow(b)
            // PostgreSQL sums bigints as numeric; past Int64 we continue in doubles.
            return overflow ? .double(Double(a) + Double(b)) : .int(sum)
        }
        return try Operators.apply(.add, total, value)
    }

    func result() throws -> Value {
        switch call.function {
        case .count: return .int(Int64(count))
        case .min, .max: return extreme
        case .sum: return total
        case .avg:
            guard count > 0 else { return .null }
            switch total {
            case .vector(let sum): return .vector(sum.map { $0 / Float(count) })
            default: return .double((Operators.number(total) ?? 0) / Double(count))
            }
        }
    }
}
