import Foundation
import VireoStorage

/// GROUP BY and aggregate functions. Groups come out in the order first seen; with grouping
/// sets, one set's groups after another's.
enum Aggregator {
    static func run(_ input: PlanNode, _ aggregation: Aggregation, _ context: ExecutionContext, _ path: String,
                    _ emit: PlanExecutor.Emit) throws -> Bool {
        if let sets = aggregation.groupingSets { return try groupSets(input, aggregation, sets, context, path, emit) }
        // One key (the usual GROUP BY) hashes as itself; several as an array of keys.
        if aggregation.groupKeys.count == 1 {
            return try group(input, aggregation, context, path, emit) { GroupKey($0[0]) }
        }
        return try group(input, aggregation, context, path, emit) { $0.map(GroupKey.init) }
    }

    /// Groups the input's rows by `key` of their group-key values. Per row, the key values
    /// are evaluated into one reused array (copied only for a new group).
    private static func group<Key: Hashable>(_ input: PlanNode, _ aggregation: Aggregation, _ context: ExecutionContext,
                                             _ path: String, _ emit: PlanExecutor.Emit,
                                             key: ([Value]) -> Key) throws -> Bool {
        var table = GroupTable<Key>(aggregation, set: nil)
        var keyValues = PlanExecutor.nullRow(aggregation.groupKeys.count)
        let keyColumns = PlanExecutor.plainColumns(aggregation.groupKeys)
        try PlanExecutor.run(input, context, path: path) { row in
            try evaluateKeys(row, aggregation, keyColumns, into: &keyValues, context)
            try table.add(row, key: key(keyValues), keyValues: keyValues, context)
            return true
        }
        return try table.emitGroups(emit)
    }

    /// GROUPING SETS, ROLLUP and CUBE: one hash table per set, each input row added to a
    /// group of every set (PostgreSQL's hashed strategy), the input read once.
    private static func groupSets(_ input: PlanNode, _ aggregation: Aggregation, _ sets: [[Int]], _ context: ExecutionContext,
                                  _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        var tables = sets.map { GroupTable<[GroupKey]>(aggregation, set: $0) }
        var keyValues = PlanExecutor.nullRow(aggregation.groupKeys.count)
        let keyColumns = PlanExecutor.plainColumns(aggregation.groupKeys)
        try PlanExecutor.run(input, context, path: path) { row in
            try evaluateKeys(row, aggregation, keyColumns, into: &keyValues, context)
            for index in tables.indices {
                try tables[index].add(row, key: sets[index].map { GroupKey(keyValues[$0]) }, keyValues: keyValues, context)
            }
            return true
        }
        for index in tables.indices where !(try tables[index].emitGroups(emit)) { return false }
        return true
    }

    /// The row's group-key values into `keyValues`: read by position when every key is a
    /// plain column (`keyColumns`), evaluated otherwise.
    private static func evaluateKeys(_ row: [Value], _ aggregation: Aggregation, _ keyColumns: [Int]?,
                                     into keyValues: inout [Value], _ context: ExecutionContext) throws {
        if let keyColumns {
            for (position, column) in keyColumns.enumerated() { keyValues[position] = row[column] }
        } else {
            for (position, expression) in aggregation.groupKeys.enumerated() {
                keyValues[position] = try Evaluator.evaluate(expression, row, context)
            }
        }
    }
}

/// The groups of one grouping set (or of a plain GROUP BY): the hash table from key to group,
/// each group's key values, and its accumulators in one flat array (group × aggregate),
/// updated in place.
struct GroupTable<Key: Hashable> {
    private let aggregation: Aggregation
    /// The keys the set groups by; nil for every key. A row of the set holds NULL for the others.
    private let set: [Int]?
    private let grouped: [Bool]?
    /// A new group's accumulators (grouping() already answered for the set).
    private let initialStates: [Accumulator]
    private var groups: [Key: Int] = [:]
    private var keys: [[Value]] = []
    private var states: [Accumulator] = []

    init(_ aggregation: Aggregation, set: [Int]?) {
        self.aggregation = aggregation
        self.set = set
        grouped = set.map { set in aggregation.groupKeys.indices.map(set.contains) }
        initialStates = aggregation.aggregates.map { Accumulator($0, groupingSet: set) }
    }

    mutating func add(_ row: [Value], key: Key, keyValues: [Value], _ context: ExecutionContext) throws {
        let index: Int
        if let existing = groups[key] {
            index = existing
        } else {
            let values = grouped.map { grouped in keyValues.indices.map { grouped[$0] ? keyValues[$0] : .null } } ?? keyValues
            try context.workMemory.charge(bytes: Self.groupBytes(values, aggregation), for: .grouping)
            index = keys.count
            groups[key] = index
            keys.append(values)
            states.append(contentsOf: initialStates)
        }
        let width = initialStates.count
        for position in (index * width)..<(index * width + width) {
            try states[position].add(row, context)
        }
    }

    /// Emits each group: its key values, then its aggregates' results. A set that groups by
    /// no key has its one group even over no rows (`SELECT count(*) … WHERE false` is 0).
    mutating func emitGroups(_ emit: PlanExecutor.Emit) throws -> Bool {
        if keys.isEmpty && (set?.isEmpty ?? aggregation.groupKeys.isEmpty) {
            keys.append(PlanExecutor.nullRow(aggregation.groupKeys.count))
            states.append(contentsOf: initialStates)
        }
        let width = initialStates.count
        for (index, key) in keys.enumerated() {
            let results = try states[(index * width)..<(index * width + width)].map { try $0.result() }
            if !(try emit(key + results)) { return false }
        }
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
    /// bool_and/bool_or/every and bit_and/bit_or: the running result.
    var running: Value = .null
    /// The float8 variances and the statistics of pairs: PostgreSQL's running sums.
    var statistics = YoungsCramer()
    /// stddev and variance of integers and numerics: the exact sums of the values and of
    /// their squares.
    var exactSum = Numeric.zero, exactSquares = Numeric.zero
    /// Aggregates that need every value (string_agg, jsonb_agg, percentiles, mode) or an
    /// order: each row's sort keys and values, sorted when the result is asked for.
    var collected: [(keys: [Value], values: [Value])] = []

    /// The input column the argument is, when it is a plain one: read by position, without
    /// evaluating (and retaining) the argument's expression for every row.
    private let argumentColumn: Int?

    /// `groupingSet`: the keys the group's grouping set groups by (nil: all of them), which
    /// is what grouping() answers.
    init(_ call: AggregateCall, groupingSet: [Int]? = nil) {
        self.call = call
        if case .column(let column)? = call.argument?.expression { argumentColumn = column } else { argumentColumn = nil }
        if call.function == .grouping {
            // The first argument is the most significant bit, set when its key is not grouped.
            running = .int(call.groupingKeys.reduce(0) { bits, key in bits << 1 | (groupingSet?.contains(key) == false ? 1 : 0) })
        }
    }

    /// Whether a NULL value is aggregated too (as JSON null), not skipped.
    private var keepsNulls: Bool {
        switch call.function {
        case .jsonbAgg, .jsonAgg, .jsonbObjectAgg, .jsonObjectAgg, .arrayAgg: true
        default: false
        }
    }

    private var collects: Bool {
        switch call.function {
        case .stringAgg, .jsonbAgg, .jsonAgg, .jsonbObjectAgg, .jsonObjectAgg, .percentileCont, .percentileDisc, .mode, .arrayAgg: true
        default: false
        }
    }

    mutating func add(_ row: [Value], _ context: ExecutionContext) throws {
        if let filter = call.filter, !(try Evaluator.holds(filter.expression, row, context)) { return }
        let value: Value
        if let argumentColumn {
            value = row[argumentColumn]
        } else {
            guard let argument = call.argument else { count += 1; return }
            value = try Evaluator.evaluate(argument.expression, row, context)
        }
        if value.isNull && !keepsNulls { return }
        // corr, covar_* and regr_*: the X of the pair, which skips the pair when NULL too.
        let x = call.function.isRegression ? try call.second.map { try Evaluator.evaluate($0.expression, row, context) } : nil
        if x?.isNull == true { return }
        if call.distinct {
            let distinctValue = x.map { Value.array([value, $0]) } ?? value
            guard seen.insert(GroupKey(distinctValue)).inserted else { return }
            try context.workMemory.charge(bytes: WorkMemory.estimatedBytes(distinctValue), for: .grouping)
        }
        count += 1
        if collects { return try collect(value, row, context) }
        switch call.function {
        case .count: break
        case .sum, .avg: total = try total.isNull ? startTotal(value) : add(total, value)
        case .min, .max: try keepIfExtreme(value, context)
        case .anyValue where count == 1:
            try context.workMemory.charge(bytes: WorkMemory.estimatedBytes(value), for: .grouping)
            extreme = value
        case .boolAnd, .every, .boolOr:
            guard case .bool(let flag) = value else { throw mismatch(value) }
            let keep = call.function == .boolOr ? (running == .bool(true) || flag) : (running != .bool(false) && flag)
            running = .bool(keep)
        case .bitAnd, .bitOr:
            guard case .int(let bits) = value else { throw mismatch(value) }
            guard case .int(let so) = running else { running = value; return }
            running = .int(call.function == .bitAnd ? so & bits : so | bits)
        case let function where call.exact && function.isVariance:
            guard let x = Operators.exact(value) else { throw mismatch(value) }
            exactSum = exactSum + x
            exactSquares = exactSquares + (try x * x)
        case .stddev, .stddevSamp, .stddevPop, .variance, .varSamp, .varPop:
            guard let number = Operators.number(value) else { throw mismatch(value) }
            try statistics.add(number)
        case let function where function.isRegression:
            guard let y = Operators.number(value), let x = x.flatMap(Operators.number) else { throw mismatch(value) }
            try statistics.add(y: y, x: x)
        default: break
        }
    }

    private mutating func collect(_ value: Value, _ row: [Value], _ context: ExecutionContext) throws {
        let keys = try call.order.map { try Evaluator.evaluate($0.key.expression, row, context) }
        let second = try call.second.map { try Evaluator.evaluate($0.expression, row, context) }
        let entry = (keys: keys, values: [value] + (second.map { [$0] } ?? []))
        try context.workMemory.charge(bytes: WorkMemory.estimatedBytes(entry.keys + entry.values), for: .grouping)
        collected.append(entry)
    }

    private func mismatch(_ value: Value) -> VireoError {
        VireoError(.undefinedFunction, "function \(call.function.rawValue)(\(SQLType(of: value))) does not exist")
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
        case .int, .double, .vector, .numeric: return value
        default: throw mismatch(value)
        }
    }

    private func add(_ total: Value, _ value: Value) throws -> Value {
        if case .int(let a) = total, case .int(let b) = value {
            let (sum, overflow) = a.addingReportingOverflow(b)
            // PostgreSQL sums bigints as numeric: Int64 while it lasts, then exact decimals.
            return overflow ? .numeric(Numeric(a) + Numeric(b)) : .int(sum)
        }
        return try Operators.apply(.add, total, value)
    }

    func result() throws -> Value {
        let value = try unroundedResult()
        guard call.halfPrecision, case .vector(let elements) = value else { return value }
        return .vector(try HalfVector.rounded(elements, dimension: nil))
    }

    private func unroundedResult() throws -> Value {
        switch call.function {
        case .count: return .int(Int64(count))
        case .min, .max, .anyValue: return extreme
        case .sum: return call.exact ? Operators.exact(total).map(Value.numeric) ?? total : total
        case .avg:
            guard count > 0 else { return .null }
            switch total {
            case .vector(let sum): return .vector(sum.map { $0 / Float(count) })
            case _ where call.exact: return .numeric(try Operators.exact(total)! / Numeric(Int64(count)))
            default: return .double((Operators.number(total) ?? 0) / Double(count))
            }
        case let function where call.exact && function.isVariance:
            return try exactVariance()
        case .boolAnd, .boolOr, .every, .bitAnd, .bitOr, .grouping: return running
        case .regrCount: return .int(Int64(count))
        case let function where function.isVariance || function.isRegression:
            return statistics.result(function).map(Value.double) ?? .null
        default:
            return try OrderedAggregates.result(call, sorted())
        }
    }

    /// PostgreSQL's numeric variance: (N·Σx² − (Σx)²) / (N·(N−1)) (or N² for the population
    /// forms) at the quotient's scale, and its square root at that scale for stddev.
    private func exactVariance() throws -> Value {
        let sample = ![.stddevPop, .varPop].contains(call.function)
        guard count > (sample ? 1 : 0) else { return .null }
        let n = Numeric(Int64(count))
        let numerator = (try n * exactSquares) - (try exactSum * exactSum)
        // NaN or an infinity among the values: PostgreSQL's variance is NaN.
        guard numerator.isFinite else { return .numeric(.nan) }
        guard !numerator.negative && !numerator.isZero else { return .numeric(.zero) }
        let denominator = try n * (sample ? n - Numeric(1) : n)
        let scale = Numeric.divisionScale(numerator, denominator)
        let variance = try numerator.divided(by: denominator, scale: scale)
        let isVariance = [.variance, .varSamp, .varPop].contains(call.function)
        return .numeric(isVariance ? variance : NumericMath.sqrt(variance, scale: scale))
    }

    /// The collected values in the call's order (stable: rows without one keep theirs).
    private func sorted() -> [[Value]] {
        guard !call.order.isEmpty else { return collected.map(\.values) }
        let keys = call.order.enumerated().map { index, order in
            SortKey(expression: .column(index), descending: order.descending, nullsFirst: order.nullsFirst)
        }
        return collected.enumerated().sorted { a, b in
            let order = Sorting.compare(a.element.keys, b.element.keys, keys)
            return order != 0 ? order < 0 : a.offset < b.offset
        }.map(\.element.values)
    }
}

/// Results of the aggregates that look at every value: string_agg, the JSON aggregates,
/// percentile_cont/percentile_disc and mode.
enum OrderedAggregates {
    /// `entries`: each row's value (and its delimiter, object value or fraction), sorted.
    static func result(_ call: AggregateCall, _ entries: [[Value]]) throws -> Value {
        guard !entries.isEmpty else { return .null }
        switch call.function {
        case .stringAgg:
            var text = ""
            for (index, entry) in entries.enumerated() {
                if index > 0, case .text(let delimiter) = entry[1] { text += delimiter }
                text += Cast.textForm(entry[0])
            }
            return .text(text)
        case .jsonAgg: return .json(JSONBuild.aggregatedArray(entries.map { $0[0] }, structured: call.jsonStructured))
        case .jsonbAgg:
            return .json(JSONValue.array(try entries.map { try JSONValue(sqlValue: $0[0]) }).text)
        case .arrayAgg:
            let items = entries.map { $0[0] }
            // Arrays are stacked, one dimension deeper (sub-arrays of one shape, none NULL).
            if items.contains(where: \.isArray) { return try ArrayFunctions.stacked(items, accumulating: true) }
            return .array(items)
        case .jsonbObjectAgg, .jsonObjectAgg:
            // The keys are strings and the values JSON already (Binder+JSONBuild.swift).
            var members: [(String, Value)] = []
            for entry in entries {
                guard !entry[0].isNull else { throw VireoError(.invalidParameter, "field name must not be null") }
                members.append((Cast.textForm(entry[0]), entry[1]))
            }
            if call.function == .jsonObjectAgg { return .json(JSONBuild.aggregatedObject(members)) }
            return .json(JSONValue.jsonbObject(try members.map { ($0.0, try JSONValue(sqlValue: $0.1)) }).text)
        case .percentileCont, .percentileDisc:
            return try percentile(call.function == .percentileCont, entries.map { $0[0] }, fraction: entries[0].last)
        case .mode:
            var best = entries[0][0], bestRun = 0, run = 0
            for (index, entry) in entries.enumerated() {
                run = index > 0 && entries[index - 1][0] == entry[0] ? run + 1 : 1
                if run > bestRun { (best, bestRun) = (entry[0], run) }
            }
            return best
        default:
            throw VireoError(.internalError, "\(call.function.rawValue) is not an ordered aggregate")
        }
    }

    /// The value at `fraction` of the sorted values: interpolated (cont) or the first whose
    /// position reaches it (disc), as PostgreSQL computes them.
    private static func percentile(_ continuous: Bool, _ values: [Value], fraction: Value?) throws -> Value {
        guard let fraction, let f = Operators.number(fraction) else { return .null }
        guard f >= 0, f <= 1 else { throw VireoError(.numericOutOfRange, "percentile value \(Value.format(f)) is not between 0 and 1") }
        if !continuous {
            let position = max(Int((f * Double(values.count)).rounded(.up)), 1)
            return values[position - 1]
        }
        let position = f * Double(values.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        guard let low = Operators.number(values[lower]), let high = Operators.number(values[upper]) else {
            throw VireoError(.undefinedFunction, "function percentile_cont(\(SQLType(of: values[lower]))) does not exist")
        }
        return .double(low + (high - low) * (position - Double(lower)))
    }
}

extension JSONValue {
    /// A SQL value as JSON, as to_jsonb converts it: numbers and booleans as themselves, a
    /// JSON value as it is, everything else as its text.
    init(sqlValue value: Value) throws {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .numeric(Numeric(number))
        // A float becomes jsonb's numeric by its shortest digits, as PostgreSQL converts it.
        case .double(let number): self = number.isFinite ? .numeric(try Cast.numeric(fromDouble: number)) : .string(Cast.textForm(value))
        // jsonb has no NaN or infinity: PostgreSQL's to_jsonb makes them strings.
        case .numeric(let number): self = number.isFinite ? .numeric(number) : .string(number.description)
        case .json(let text): self = try JSONValue.jsonb(text)
        case .text(let text): self = .string(text)
        case .timestamp: self = .string(Cast.textForm(value).replacingOccurrences(of: " ", with: "T"))
        case .array(let elements): self = .array(try elements.map(JSONValue.init(sqlValue:)))
        default: self = .string(Cast.textForm(value))
        }
    }
}
