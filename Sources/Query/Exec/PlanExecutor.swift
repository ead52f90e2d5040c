import VireoStorage

/// Runs plans. Each node pushes its rows into `emit`, which returns false to stop early
/// (LIMIT); `run` then returns false too, so producers stop at once.
enum PlanExecutor {
    typealias Emit = ([Value]) throws -> Bool

    /// Runs `node`; `path` names it for EXPLAIN ANALYZE statistics.
    @discardableResult
    static func run(_ node: PlanNode, _ context: ExecutionContext, path: String = "0", _ emit: Emit) throws -> Bool {
        guard let statistics = context.statistics else { return try dispatch(node, context, path, emit) }
        let start = DispatchTime.now().uptimeNanoseconds
        var produced = 0
        let result = try dispatch(node, context, path) { row in
            produced += 1
            return try emit(row)
        }
        statistics.rows[path, default: 0] += produced
        statistics.nanoseconds[path, default: 0] += DispatchTime.now().uptimeNanoseconds - start
        return result
    }

    /// Hands `emit` to `node`'s operator boxed, so that the operator sees a closure it cannot
    /// look into. Without the box the optimizer clones each operator for each consumer
    /// closure that reaches it, recursively through the plan's operators (closure
    /// specialization), and a release build of this module ran for more than 30 minutes in
    /// 12 GB. The box costs one allocation per operator run and an indirect call per row.
    private static func dispatch(_ node: PlanNode, _ context: ExecutionContext, _ path: String, _ emit: Emit) throws -> Bool {
        try withoutActuallyEscaping(emit) { try dispatch(node, context, path, EmitBox($0)) }
    }

    private final class EmitBox {
        let emit: ([Value]) throws -> Bool
        init(_ emit: @escaping ([Value]) throws -> Bool) { self.emit = emit }
    }

    /// One node's operator. Never inlined, so the box stays opaque to the optimizer.
    @inline(never)
    private static func dispatch(_ node: PlanNode, _ context: ExecutionContext, _ path: String, _ box: EmitBox) throws -> Bool {
        let emit = box.emit
        // Paths name nodes only for EXPLAIN ANALYZE's statistics: no string built otherwise.
        let child = context.statistics == nil ? path : path + ".0"
        switch node {
        case .seqScan(let scan): return try seqScan(scan, context, emit)
        case .rowIDLookup(let scan, let rowIDs): return try rowIDLookup(scan, rowIDs, context, emit)
        case .indexScan(let scan, let range): return try indexScan(scan, range, context, emit)
        case .vectorScan(let scan, let search): return try VectorScan.run(NearestPlan(scan, search), context, emit)
        case .values(let rows): return try values(rows, context, emit)
        case .functionScan(let scan): return try TableFunctions.run(scan, context, emit)
        case .filter(let input, let predicate): return try filter(input, predicate, context, child, emit)
        case .project(let input, let expressions): return try project(input, expressions, context, child, emit)
        case .sort(let input, let keys): return try Sorting.sort(input, keys, nil, offset: nil, context, child, emit)
        case .topK(let input, let keys, let limit, let offset):
            return try Sorting.sort(input, keys, limit, offset: offset, context, child, emit)
        case .limit(let input, let limit, let offset): return try self.limit(input, limit, offset, context, child, emit)
        case .limitWithTies(let input, let keys, let limit, let offset):
            return try Sorting.limitWithTies(input, keys, limit, offset, context, child, emit)
        case .distinct(let input): return try distinct(input, context, child, emit)
        case .aggregate(let input, let aggregation): return try Aggregator.run(input, aggregation, context, child, emit)
        case .nestedLoopJoin(let left, let right, let spec): return try Joins.nestedLoop(left, right, spec, context, path, emit)
        case .hashJoin(let left, let right, let spec, let leftKeys, let rightKeys):
            return try Joins.hash(left, right, spec, leftKeys, rightKeys, context, path, emit)
        case .setOperation(let kind, let all, let inputs): return try SetOperations.run(kind, all, inputs, context, path, emit)
        case .commonTableScan(let table): return try CommonTables.scan(table, context, child, emit)
        case .workingTableScan(let table): return try CommonTables.workingTable(table, context, emit)
        case .recursiveUnion(let table, let anchor, let recursive, let all):
            return try CommonTables.recursiveUnion(table, anchor: anchor, recursive: recursive, all: all, context, path, emit)
        case .lateralJoin(let left, let right, let spec): return try Joins.lateral(left, right, spec, context, path, emit)
        case .indexNestedLoopJoin(let left, let probe, let spec): return try Joins.indexNestedLoop(left, probe, spec, context, path, emit)
        case .window(let input, let calls): return try Windows.run(input, calls, context, child, emit)
        case .lockRows(let input, let targets): return try LockRows.run(input, targets, context, child, emit)
        case .distinctOn(let input, let keys): return try distinctOn(input, keys, context, child, emit)
        }
    }

    private static func values(_ rows: [[BoundExpression]], _ context: ExecutionContext, _ emit: Emit) throws -> Bool {
        for row in rows {
            try context.checkCancel()
            if !(try emit(row.map { try Evaluator.evaluate($0, [], context) })) { return false }
        }
        return true
    }

    private static func filter(_ input: PlanNode, _ predicate: BoundExpression, _ context: ExecutionContext,
                               _ path: String, _ emit: Emit) throws -> Bool {
        try run(input, context, path: path) { row in
            try Evaluator.holds(predicate, row, context) ? try emit(row) : true
        }
    }

    private static func project(_ input: PlanNode, _ expressions: [BoundExpression], _ context: ExecutionContext,
                                _ path: String, _ emit: Emit) throws -> Bool {
        if case .seqScan(let scan) = input, context.statistics == nil, let columns = plainColumns(expressions) {
            return try seqScan(scan, context, projecting: columns, emit)
        }
        if case .indexNestedLoopJoin(let left, let probe, let spec) = input, context.statistics == nil,
           let columns = plainColumns(expressions) {
            return try Joins.indexNestedLoop(left, probe, spec, context, path, projecting: columns, emit)
        }
        // Plain columns are copied by position, without evaluating (and retaining) each
        // column expression's box for every row.
        // One output row for the whole run, as a scan's (see seqScan): a consumer that only
        // looks at each row (a streamed result, an aggregate) lets the next reuse it.
        var output = nullRow(expressions.count)
        if let columns = plainColumns(expressions) {
            return try run(input, context, path: path) { row in
                copy(columns, of: row, into: &output)
                return try emit(output)
            }
        }
        return try run(input, context, path: path) { row in
            for (index, expression) in expressions.enumerated() { output[index] = try Evaluator.evaluate(expression, row, context) }
            return try emit(output)
        }
    }

    /// Writes `row[columns[i]]` to `output[i]` through one buffer: one uniqueness check per
    /// row, not one per value.
    static func copy(_ columns: [Int], of row: [Value], into output: inout [Value]) {
        output.withUnsafeMutableBufferPointer { output in
            for (index, column) in columns.enumerated() { output[index] = row[column] }
        }
    }

    private static func distinct(_ input: PlanNode, _ context: ExecutionContext, _ path: String, _ emit: Emit) throws -> Bool {
        var seen = Set<[GroupKey]>()
        return try run(input, context, path: path) { row in
            guard seen.insert(row.map(GroupKey.init)).inserted else { return true }
            try context.workMemory.charge(row, for: .distinct)
            return try emit(row)
        }
    }

    private static func distinctOn(_ input: PlanNode, _ keys: [BoundExpression], _ context: ExecutionContext,
                                   _ path: String, _ emit: Emit) throws -> Bool {
        var previous: [GroupKey]?
        return try run(input, context, path: path) { row in
            let key = try keys.map { GroupKey(try Evaluator.evaluate($0, row, context)) }
            guard key != previous else { return true }
            previous = key
            return try emit(row)
        }
    }

    /// Every row of `node`, counted against work_mem as held for `purpose`.
    static func materialize(_ node: PlanNode, _ context: ExecutionContext, _ path: String = "0",
                            for purpose: WorkMemory.Purpose) throws -> [[Value]] {
        if let rows = try VectorScan.materializeNearest(node, context, for: purpose) { return rows }
        var rows: [[Value]] = []
        try run(node, context, path: path) { row in
            try context.checkCancel()
            try context.workMemory.charge(row, for: purpose)
            rows.append(row)
            return true
        }
        return rows
    }

    /// A stored record as a row: the table's columns (NULL for columns added after the
    /// row was written), then the row id.
    static func row(_ record: RecordView, rowID: Int64, columnCount: Int) throws -> [Value] {
        var values = try record.values()
        if values.count < columnCount { values += Array(repeating: .null, count: columnCount - values.count) }
        values.append(.int(rowID))
        return values
    }

    /// A row decoding only the columns the query reads (the others read as NULL).
    static func row(_ record: RecordView, rowID: Int64, scan: TableScan) throws -> [Value] {
        let columnCount = scan.table.columns.count
        guard let needed = scan.neededColumns else { return try row(record, rowID: rowID, columnCount: columnCount) }
        var values = nullRow(columnCount + 1)
        try refill(&values, columnCount: columnCount, record, columns: needed, rowID: rowID)
        return values
    }

    /// A row of `count` NULLs, grown by appending: `Array(repeating:count:)` reaches a
    /// generic buffer initializer that looks up its type metadata on every call (3% of a
    /// join's time in a profile).
    static func nullRow(_ count: Int) -> [Value] {
        var row: [Value] = []
        row.reserveCapacity(count)
        for _ in 0..<count { row.append(.null) }
        return row
    }

    /// The columns a scan's filter reads, when they are fewer than the scan reads and the
    /// filter has no correlated subquery (whose outer references the mask would not show):
    /// the scan decodes them first, and the rest only for rows the filter keeps.
    private static func filterColumnsFirst(_ filter: BoundExpression, _ scan: TableScan) -> [Bool]? {
        guard let needed = scan.neededColumns, !filter.hasCorrelatedSubquery else { return nil }
        let read = Binder.columnsRead(by: [filter], width: needed.count)
        let fewer = zip(needed, read).contains { isNeeded, isRead in isNeeded && !isRead }
        return fewer ? read : nil
    }

    /// A row known from its id alone, when the query reads nothing but the row id.
    static func rowFromID(_ rowID: Int64, scan: TableScan) -> [Value]? {
        guard scan.filter == nil, let needed = scan.neededColumns else { return nil }
        let rowIDColumn = scan.table.rowIDColumn
        for (column, isNeeded) in needed.enumerated().dropLast() where isNeeded && column != rowIDColumn { return nil }
        var values = nullRow(scan.table.columns.count + 1)
        setRowID(&values, rowID, scan: scan)
        return values
    }

    /// Makes a row of `rowFromID` the row of `rowID`.
    static func setRowID(_ row: inout [Value], _ rowID: Int64, scan: TableScan) {
        if let rowIDColumn = scan.table.rowIDColumn { row[rowIDColumn] = .int(rowID) }
        row[scan.table.columns.count] = .int(rowID)
    }

    /// The row positions `expressions` read when each is a plain column; nil otherwise.
    static func plainColumns(_ expressions: [BoundExpression]) -> [Int]? {
        var columns: [Int] = []
        for expression in expressions {
            guard case .column(let position) = expression else { return nil }
            columns.append(position)
        }
        return columns
    }

    /// A table scan; with `projecting`, each row emitted as just those positions of the
    /// scan's row, decoded straight from the record when no filter needs the whole row
    /// (one array per row instead of two).
    private static func seqScan(_ scan: TableScan, _ context: ExecutionContext, projecting columns: [Int]? = nil,
                                _ emit: Emit) throws -> Bool {
        var (lower, upper): (Int64?, Int64?) = (nil, nil)
        var filter = scan.filter
        if let bounds = scan.rowIDBounds {
            guard let range = try rowIDRange(bounds, context) else { return true }
            (lower, upper) = range
            // A range run as a bounded read (on a server's event loop) must be narrow.
            if CachedPagesOnly.isActive, !Self.isNarrow(lower, upper) { throw NotABoundedRead() }
            // Integer bounds are the comparisons themselves; an open side (`id > 2.5`) is not.
            if (bounds.lower == nil || lower != nil) && (bounds.upper == nil || upper != nil) { filter = scan.filterWithinBounds }
        }
        var keepGoing = true
        let columnCount = scan.table.columns.count
        let phases = filter.flatMap { filterColumnsFirst($0, scan) }.map { first in
            (first: first, rest: zip(scan.neededColumns ?? [], first).map { isNeeded, isRead in isNeeded && !isRead })
        }
        // One row buffer for the whole scan, each record decoded over the previous one: a
        // consumer that does not keep the row (a join, an aggregate, a projection, a filter
        // above) lets the next row reuse it in place; one that keeps it (a result, a hash
        // table, a sort) makes the next write copy it first, as a new row would have been.
        var row = nullRow(columnCount + 1)
        var output = nullRow(columns?.count ?? 0)
        try context.data.scanRows(scan.table, from: lower, to: upper) { rowID, record in
            try context.checkCancel()
            if let columns, filter == nil {
                // Through one buffer: one uniqueness check per row, not per value.
                try output.withUnsafeMutableBufferPointer { output in
                    for (index, column) in columns.enumerated() {
                        output[index] = column == columnCount ? .int(rowID) : column < record.columnCount ? try record.value(at: column) : .null
                    }
                }
                keepGoing = try emit(output)
                return keepGoing
            }
            if let filter, let phases {
                try refill(&row, columnCount: columnCount, record, columns: phases.first, rowID: rowID)
                if !(try Evaluator.holds(filter, row, context)) { return true }
                try refill(&row, columnCount: columnCount, record, columns: phases.rest)
            } else {
                try refill(&row, columnCount: columnCount, record, columns: scan.neededColumns, rowID: rowID)
                if let filter, !(try Evaluator.holds(filter, row, context)) { return true }
            }
            guard let columns else {
                keepGoing = try emit(row)
                return keepGoing
            }
            for (index, column) in columns.enumerated() { output[index] = row[column] }
            keepGoing = try emit(output)
            return keepGoing
        }
        return keepGoing
    }

    /// Decodes `record` over the `columnCount` table columns of `row` from `start`, and
    /// writes `rowID` after them when given (else the row id is the caller's):
    /// those marked in `columns`, every one when nil, NULL where the record has none (a
    /// column added after the row was written). Columns not marked keep what they held: a
    /// scan never marks them, so they stay the NULLs the row started with, or (the second
    /// half of a filtered scan's columns) are decoded before the row is read past its filter.
    /// The row is written through one buffer: one uniqueness check per row, not per value.
    static func refill(_ row: inout [Value], at start: Int = 0, columnCount: Int, _ record: RecordView,
                       columns: [Bool]?, rowID: Int64? = nil) throws {
        try row.withUnsafeMutableBufferPointer { buffer in
            if let rowID { buffer[start + columnCount] = .int(rowID) }
            try record.decode(into: buffer, at: start, columnCount: columnCount, columns: columns)
        }
    }

    /// Fetches one row by id and emits it if it passes the scan's filter. `byIntegerKey`:
    /// the id is the value of the lookup's key expression, an integer (not converted from
    /// another type), so the filter may go without the key's equality (`filterBesideKey`).
    static func emitRow(_ rowID: Int64, _ scan: TableScan, _ context: ExecutionContext, byIntegerKey: Bool = false,
                        _ emit: Emit) throws -> Bool {
        try context.checkCancel()
        var row: [Value] = []
        guard try context.data.visitRow(scan.table, rowID: rowID, { row = try Self.row($0, rowID: rowID, scan: scan) }) else {
            return true
        }
        let filter = byIntegerKey ? scan.filter(forRowFoundBy: rowID, row) : scan.filter
        if let filter, !(try Evaluator.holds(filter, row, context)) { return true }
        return try emit(row)
    }

    private static func rowIDLookup(_ scan: TableScan, _ expressions: [BoundExpression], _ context: ExecutionContext,
                                    _ emit: Emit) throws -> Bool {
        if expressions.count == 1 {  // a point lookup: no set of the ids seen
            let key = try Evaluator.evaluate(expressions[0], [], context)
            guard let rowID = try rowID(key) else { return true }
            if case .int = key { return try emitRow(rowID, scan, context, byIntegerKey: true, emit) }
            return try emitRow(rowID, scan, context, emit)
        }
        var seen = Set<Int64>()
        for expression in expressions {
            guard let rowID = try rowID(Evaluator.evaluate(expression, [], context)), seen.insert(rowID).inserted else { continue }
            if !(try emitRow(rowID, scan, context, emit)) { return false }
        }
        return true
    }

    /// The inclusive row-id range of a primary-key range scan, nil when no row can match (a
    /// NULL bound, or an empty range).
    private static func rowIDRange(_ bounds: ColumnBounds, _ context: ExecutionContext) throws -> (Int64?, Int64?)? {
        guard let lower = try rowIDBound(bounds.lower, inclusive: bounds.lowerInclusive, inward: 1, context),
              let upper = try rowIDBound(bounds.upper, inclusive: bounds.upperInclusive, inward: -1, context) else { return nil }
        if let lower, let upper, lower > upper { return nil }
        return (lower, upper)
    }

    private static func isNarrow(_ lower: Int64?, _ upper: Int64?) -> Bool {
        guard let lower, let upper else { return false }
        let (span, overflow) = upper.subtractingReportingOverflow(lower)
        return !overflow && span < PlanNode.rowIDRangeRowsMax
    }

    /// One side of a row-id range as an inclusive key: `.some(nil)` leaves it open (no bound,
    /// or one that is not a whole number, `id > 2.5`, which the WHERE clause still checks);
    /// nil when nothing can match (NULL, or `id > 9223372036854775807`).
    private static func rowIDBound(_ expression: BoundExpression?, inclusive: Bool, inward: Int64,
                                   _ context: ExecutionContext) throws -> Int64?? {
        guard let expression else { return .some(nil) }
        let value = try Evaluator.evaluate(expression, [], context)
        if value.isNull { return nil }
        guard case .int(let key) = value else { return .some(nil) }
        if inclusive { return key }
        let (next, overflow) = key.addingReportingOverflow(inward)
        return overflow ? nil : next
    }

    /// The row id a key value names: nil for NULL and for a double that is not a whole
    /// number in range (`id = 2.5` or `id = 1e20` matches no row, it is not an error).
    static func rowID(_ value: Value) throws -> Int64? {
        if case .int(let rowID) = value { return rowID }
        if case .double(let number) = value {
            guard number.rounded() == number, number >= -9.223372036854775808e18, number < 9.223372036854775808e18 else { return nil }
            return Int64(number)
        }
        if case .numeric(let number) = value {
            guard number.normalized.scale == 0 else { return nil }
            return number.roundedInt64
        }
        guard case .int(let rowID) = try Cast.convert(value, to: .int) else { return nil }
        return rowID
    }

    private static func indexScan(_ scan: TableScan, _ range: IndexRange, _ context: ExecutionContext, _ emit: Emit) throws -> Bool {
        if let search = range.textTopK { return try TextTopK.run(scan, range.index, search, context, emit) }
        if let textQuery = range.textQuery { return try invertedIndexScan(scan, range.index, textQuery, context, emit) }
        if let jsonQuery = range.jsonQuery { return try jsonIndexScan(scan, range.index, jsonQuery, context, emit) }
        if let trigramQuery = range.trigramQuery { return try trigramIndexScan(scan, range.index, trigramQuery, context, emit) }
        var rowIDs: [Int64] = []
        _ = try scanRange(range, scan.table, context) { rowID in
            try context.workMemory.charge(bytes: MemoryLayout<Int64>.size, for: .indexScan)
            rowIDs.append(rowID)
            return true
        }
        for rowID in rowIDs where !(try emitRow(rowID, scan, context, emit)) { return false }
        return true
    }

    /// Visits the row ids of a B+tree index range's entries (its bounds evaluated now), each
    /// once, in index order for each value of its key list, until `body` returns false.
    /// `skippingNullKeys`: the entries whose range key (the key after the equalities) is
    /// NULL are not read, as no comparison of that key passes them. Returns whether the bounds are exact, so that
    /// every entry read meets the range's conditions: each bound value an integer on an
    /// integer key (a bound of another type is widened to the key's, `IndexKeyBound`).
    static func scanRange(_ range: IndexRange, _ table: TableDefinition, _ context: ExecutionContext, skippingNullKeys: Bool = false,
                          _ body: (Int64) throws -> Bool) throws -> Bool {
        let columnTypes = range.index.columns.indices.map { position -> ColumnType? in
            guard range.index.expression(at: position) == nil else { return nil }
            return table.columnIndex(range.index.columns[position]).map { table.columns[$0].type }
        }
        let bound = { (values: [Value]?, inclusive: Bool, isLower: Bool) -> ValueBound?? in
            guard let values else { return .some(nil) }
            // A NULL bound matches nothing (comparisons with NULL are never true).
            if values.contains(where: \.isNull) { return nil }
            return IndexKeyBound.make(values, inclusive: inclusive, isLower: isLower, columnTypes: columnTypes)
        }
        let lowerValues = try range.lower?.map { try Evaluator.evaluate($0, [], context) }
        let upperValues = try range.upper?.map { try Evaluator.evaluate($0, [], context) }
        var seen = Set<Int64>()
        var exact = true, stopped = false
        for listed in try keyListValues(range.keyList, context) where !stopped {
            var lower = lowerValues, upper = upperValues
            if let listed, let position = range.keyList?.position {
                lower?[position] = listed
                upper?[position] = listed
            }
            exact = exact && IndexKeyBound.isExact(lower ?? [], columnTypes: columnTypes) && IndexKeyBound.isExact(upper ?? [], columnTypes: columnTypes)
            guard var from = bound(lower, range.lowerInclusive, true), var to = bound(upper, range.upperInclusive, false) else { continue }
            // A DESC range key holds its larger values first: the bounds swap into index order.
            if range.rangeKeyDescending { (from, to) = (to, from) }
            if skippingNullKeys { (from, to) = IndexKeyBound.skippingNull(from, to, lower: lower, upper: upper, descending: range.rangeKeyDescending) }
            for (partFrom, partTo) in scanParts(range, from, to) where !stopped {
                try context.data.scanIndex(range.index, from: partFrom, to: partTo, reverse: range.reverse) { rowID in
                    try context.checkCancel()
                    // Two listed values can name the same key (1 and 1.0): each row once.
                    guard range.keyList == nil || seen.insert(rowID).inserted else { return true }
                    stopped = try !body(rowID)
                    return !stopped
                }
            }
        }
        return exact
    }

    /// The values an index scan's key list takes in turn, NULLs left out (they match
    /// nothing); [nil] when it has none: the range is read once as it is.
    private static func keyListValues(_ list: IndexRange.KeyList?, _ context: ExecutionContext) throws -> [Value?] {
        guard let list else { return [nil] }
        var values = try list.values.map { try Evaluator.evaluate($0, [], context) }
        if list.isArray {
            guard case .array(let elements)? = values.first else { return [] }
            values = elements
        }
        return values.filter { !$0.isNull }
    }

    /// The key ranges an index scan reads, in order: the range itself, or for `nullsMoved`
    /// its entries with a non-NULL next key and those with NULL there, the NULL ones read
    /// at the other end from where the direction puts them (an ascending key's NULLs come
    /// first in index order, a DESC key's last).
    private static func scanParts(_ range: IndexRange, _ lower: ValueBound?, _ upper: ValueBound?) -> [(ValueBound?, ValueBound?)] {
        guard range.nullsMoved else { return [(lower, upper)] }
        let lowerValues = lower?.values ?? [], upperValues = upper?.values ?? []
        let nulls = (ValueBound(lowerValues + [.null]), ValueBound(upperValues + [.null]))
        if range.rangeKeyDescending {
            let nonNull = (lower, ValueBound(upperValues + [.null], inclusive: false))
            return range.reverse ? [nonNull, nulls] : [nulls, nonNull]
        }
        let nonNull = (ValueBound(lowerValues + [.null], inclusive: false), upper)
        return range.reverse ? [nulls, nonNull] : [nonNull, nulls]
    }

    private static func limit(_ input: PlanNode, _ limit: BoundExpression?, _ offset: BoundExpression?,
                              _ context: ExecutionContext, _ path: String, _ emit: Emit) throws -> Bool {
        let limitCount = try limit.flatMap { try count($0, context, clause: "LIMIT") }
        var skip = try offset.flatMap { try count($0, context, clause: "OFFSET") } ?? 0
        var remaining = limitCount ?? Int.max
        if remaining == 0 { return true }
        _ = try run(input, context, path: path) { row in
            if skip > 0 { skip -= 1; return true }
            remaining -= 1
            return try emit(row) && remaining > 0
        }
        return true
    }

    /// Rows a LIMIT with an OFFSET needs from below: their sum, clamped rather than
    /// overflowing; nil without a limit.
    static func rowsWanted(limit: BoundExpression?, offset: BoundExpression?, _ context: ExecutionContext) throws -> Int? {
        guard let limitCount = try limit.flatMap({ try count($0, context, clause: "LIMIT") }) else { return nil }
        let skipped = try offset.flatMap { try count($0, context, clause: "OFFSET") } ?? 0
        let (sum, overflow) = limitCount.addingReportingOverflow(skipped)
        return overflow ? .max : sum
    }

    /// A LIMIT or OFFSET value: a non-negative integer, NULL meaning none.
    static func count(_ expression: BoundExpression, _ context: ExecutionContext, clause: String) throws -> Int? {
        let value = try Cast.convert(Evaluator.evaluate(expression, [], context), to: .int)
        guard case .int(let number) = value else { return nil }
        guard number >= 0 else {
            throw VireoError(clause == "OFFSET" ? .invalidOffsetCount : .invalidRowCount, "\(clause) must not be negative")
        }
        return Int(clamping: number)
    }
}

import Dispatch

/// Index keys are typed: an integer column's keys are integers and a double column's
/// doubles, and keys of different types do not interleave. A bound of the other numeric type
/// (`n > 15.5` on an integer column, `r < 0` on a double one) is converted to the column's
/// type, widened to an inclusive bound so the range still covers every matching key; the
/// scan's filter then applies the exact comparison.
enum IndexKeyBound {
    /// The bound of a multi-column key: the leading values (equalities) converted exactly to
    /// their keys' types, the last one as `make` converts a single bound. Outer nil: no row
    /// can match (an equality no key of its type can meet, like an integer key = 1.5).
    static func make(_ values: [Value], inclusive: Bool, isLower: Bool, columnTypes: [ColumnType?]) -> ValueBound?? {
        guard let last = values.last else { return .some(nil) }
        var prefix: [Value] = []
        for (position, value) in values.dropLast().enumerated() {
            guard let exact = exactKey(value, position < columnTypes.count ? columnTypes[position] : nil) else { return nil }
            prefix.append(exact)
        }
        let lastType = values.count - 1 < columnTypes.count ? columnTypes[values.count - 1] : nil
        guard let tail = make([last], inclusive: inclusive, isLower: isLower, columnType: lastType) else {
            return .some(prefix.isEmpty ? nil : ValueBound(prefix, inclusive: true))
        }
        return .some(ValueBound(prefix + tail.values, inclusive: tail.inclusive))
    }

    /// Whether a bound's `values` are keys as they are: integers on integer keys (any other
    /// bound may be converted and widened; NULLs match nothing, so they count as exact).
    static func isExact(_ values: [Value], columnTypes: [ColumnType?]) -> Bool {
        values.enumerated().allSatisfy { position, value in
            if value.isNull { return true }
            guard case .int = value, position < columnTypes.count else { return false }
            return columnTypes[position]?.storageType == .int
        }
    }

    /// Bounds in index order (`from`, `to`) that also leave out the entries whose range key
    /// is NULL when the range is open on the side where they lie (first for an ascending
    /// key, last for a DESC one). `lower` and `upper` are the bound values in value order:
    /// the equalities, then the range key's bound when it has one.
    static func skippingNull(_ from: ValueBound?, _ to: ValueBound?, lower: [Value]?, upper: [Value]?,
                             descending: Bool) -> (ValueBound?, ValueBound?) {
        let lowerCount = lower?.count ?? 0, upperCount = upper?.count ?? 0
        // Bounded on neither side or on both (the range key's NULLs then lie outside), or
        // equalities alone (which no NULL meets).
        guard lowerCount != upperCount else { return (from, to) }
        let rangeKey = max(lowerCount, upperCount) - 1
        // The equalities as keys (converted to their keys' types, as both bounds hold them).
        let prefix = Array((from ?? to)?.values.prefix(rangeKey) ?? [])
        let pastNulls = ValueBound(prefix + [.null], inclusive: false)
        if descending {
            return (from, (to?.values.count ?? 0) > rangeKey ? to : pastNulls)
        }
        return ((from?.values.count ?? 0) > rangeKey ? from : pastNulls, to)
    }

    /// `value` as a key of `columnType` equal to it, nil when no such key exists.
    private static func exactKey(_ value: Value, _ columnType: ColumnType?) -> Value? {
        guard let columnType else { return value }
        switch (columnType.storageType, value) {
        case (.int, .double(let number)):
            guard number.rounded() == number, let integer = Int64(exactly: number) else { return nil }
            return .int(integer)
        case (.int, .numeric(let number)):
            guard number.normalized.scale == 0, let integer = number.roundedInt64 else { return nil }
            return .int(integer)
        case (.double, .int(let number)): return .double(Double(number))
        case (.double, .numeric(let number)): return .double(number.double)
        case (.numeric, .int(let number)): return .numeric(Numeric(number))
        default: return value
        }
    }

    static func make(_ values: [Value], inclusive: Bool, isLower: Bool, columnType: ColumnType?) -> ValueBound? {
        guard let first = values.first, let columnType else { return ValueBound(values, inclusive: inclusive) }
        switch (columnType.storageType, first) {
        case (.int, .double(let number)):
            guard let key = integerKey(number, isLower: isLower) else { return nil }
            return ValueBound([.int(key)] + values.dropFirst(), inclusive: true)
        case (.int, .numeric(let number)):
            let rounded = isLower ? number.floor : number.ceiling
            guard let key = rounded.roundedInt64 else {
                // Beyond bigint: no bound on the side that covers every integer, none at all on the other.
                return rounded.negative == isLower ? nil : ValueBound([.int(isLower ? .min : .max)] + values.dropFirst(), inclusive: true)
            }
            return ValueBound([.int(key)] + values.dropFirst(), inclusive: true)
        case (.double, .int(let number)):
            return ValueBound([.double(Double(number))] + values.dropFirst(), inclusive: true)
        case (.double, .numeric(let number)):
            return ValueBound([.double(number.double)] + values.dropFirst(), inclusive: true)
        case (.numeric, .int(let number)):
            return ValueBound([.numeric(Numeric(number))] + values.dropFirst(), inclusive: inclusive)
        case (.numeric, .double(let number)):
            // The decimal just past the double's neighbour on the open side: every numeric
            // that converts to a double on the bound's side lies within it.
            guard let widened = Numeric(isLower ? number.nextDown : number.nextUp, significantDigits: 17) else { return nil }
            return ValueBound([.numeric(widened)] + values.dropFirst(), inclusive: true)
        default:
            return ValueBound(values, inclusive: inclusive)
        }
    }

    /// The integer bound covering every integer on the bound's side of `number`; nil for
    /// no bound at all (NaN, or a limit beyond the integers' range on the open side).
    private static func integerKey(_ number: Double, isLower: Bool) -> Int64? {
        if number.isNaN { return nil }
        let rounded = isLower ? number.rounded(.down) : number.rounded(.up)
        if rounded < -9.223372036854775808e18 { return isLower ? nil : .min }
        if rounded >= 9.223372036854775808e18 { return isLower ? .max : nil }
        return Int64(rounded)
    }
}
