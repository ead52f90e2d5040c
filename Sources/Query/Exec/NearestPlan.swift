import Synchronization
import VireoIndex
import VireoStorage

/// What an execution of a nearest-neighbour plan reads, in one object made with the plan.
///
/// A prepared `SELECT id FROM items ORDER BY embedding <=> $1 LIMIT 10` kept its plan, but
/// each execution copied the plan's `TableScan` and `VectorSearch` out of the plan node,
/// copied the scan again without its filter, and looked the index up by name under the
/// registry's lock: about 300 of the 2,081 CPU samples it spent outside the HNSW search at
/// 20,000 × 128 (docs/benchmarks-sql.md). `QueryPlan` now makes this object once, with the
/// plan, so an execution retains one reference. It lives exactly as long as the plan it
/// was made from: a schema change (DROP/CREATE INDEX, ALTER, DROP TABLE) makes a new plan
/// and with it a new `NearestPlan`. The resolved index is kept with the registry's
/// generation (`VectorIndexes.generation`), which changes whenever an index in memory is
/// replaced or dropped, so it is the object a look-up by name would give.
final class NearestPlan: @unchecked Sendable {
    /// The vector scan: its table, its WHERE filter (checked inside the search), the
    /// columns it reads.
    let scan: TableScan
    /// `scan` without its filter, which the search applied: how each row found is read.
    let unfiltered: TableScan
    let search: VectorSearch
    /// For a query that reads nothing but the row id: the row each label found is written
    /// into (`PlanExecutor.rowFromID`); nil when each row is read from the table.
    let idRow: [Value]?
    /// The result of the plan shape `[LIMIT] project(plain columns, vector scan)`; nil for
    /// a vector scan alone (`PlanExecutor.run` of a `.vectorScan` node).
    let output: Output?
    /// With `idRow` and `output`: for each result column, whether it is the row id (else
    /// NULL, a column the query does not read), so a result row is made from the label
    /// found without the scan's row.
    private let idColumns: [Bool]?
    /// With `idColumns`: the work memory each such row is estimated at
    /// (`WorkMemory.estimatedBytes`; the same for all, as they hold only ints and NULLs).
    private let idRowBytes: Int?
    /// `search.textValuedType` and `search.exactOperator`, read once: each is a look-up by
    /// name in the index's options (a string hashed), and an execution asked four times.
    let textValuedType: SQLType?
    let exactOperator: BinaryOperator?
    /// The rows the search wants (LIMIT plus OFFSET), and the result's window, when the
    /// clauses are constants (`LIMIT 10`); nil when they are evaluated at each execution
    /// (a parameter, LIMIT NULL), which also throws for a negative one. Each was evaluated
    /// and cast to int at every execution, the LIMIT twice.
    let constantRowsWanted: Int?
    private let constantWindow: (count: Int, skipped: Int)?
    /// The first `ResolvedIndex` `index(in:)` made, retained, as its address (0: none
    /// yet). Set once and released at deinit. Not `AtomicLazyReference`, whose `load`
    /// was not specialized: it fetched generic metadata at each call (274 of the 5,537
    /// samples a prepared query spent outside the search).
    private let resolvedAddress = Atomic<UInt>(0)

    /// The result's columns (positions in the scan's row), LIMIT and OFFSET.
    struct Output {
        let columns: [Int]
        let limit: BoundExpression?
        let offset: BoundExpression?
    }

    private final class ResolvedIndex: @unchecked Sendable {
        let index: HNSWIndex
        let generation: UInt64
        /// What the index's exactness checks learnt (`IndexExactness.stamp`).
        let exactness = IndexExactness.Memo()

        init(_ index: HNSWIndex, generation: UInt64) {
            self.index = index
            self.generation = generation
        }
    }

    init(_ scan: TableScan, _ search: VectorSearch, output: Output? = nil) {
        self.scan = scan
        var unfiltered = scan
        unfiltered.filter = nil
        self.unfiltered = unfiltered
        self.search = search
        idRow = PlanExecutor.rowFromID(0, scan: unfiltered)
        self.output = output
        let rowIDColumns = [scan.table.rowIDColumn, scan.table.columns.count]
        let idColumns = idRow == nil ? nil : output?.columns.map { rowIDColumns.contains($0) }
        self.idColumns = idColumns
        idRowBytes = idColumns.map { columns in WorkMemory.estimatedBytes(columns.map { $0 ? .int(0) : .null }) }
        textValuedType = search.textValuedType
        exactOperator = search.exactOperator
        constantRowsWanted = Self.constantCount(search.limit).flatMap { limit in
            Self.constantCount(search.offset, absent: 0).map { offset in
                let (sum, overflow) = limit.addingReportingOverflow(offset)
                return overflow ? .max : sum
            }
        }
        constantWindow = output.flatMap { output in
            Self.constantCount(output.limit, absent: .max).flatMap { count in
                Self.constantCount(output.offset, absent: 0).map { (count, $0) }
            }
        }
    }

    /// The value of a constant, non-negative LIMIT or OFFSET, `absent` when there is no
    /// clause; nil when it must be evaluated at each execution.
    private static func constantCount(_ expression: BoundExpression?, absent: Int? = nil) -> Int? {
        guard let expression else { return absent }
        guard case .constant(.int(let number)) = expression, number >= 0 else { return nil }
        return Int(clamping: number)
    }

    deinit {
        let address = resolvedAddress.load(ordering: .acquiring)
        if let pointer = UnsafeRawPointer(bitPattern: address) { Unmanaged<ResolvedIndex>.fromOpaque(pointer).release() }
    }

    /// The parts of `node` when it has the shape `[LIMIT] project(plain columns, vector
    /// scan)`, a nearest-neighbour query's usual plan; nil for any other plan.
    convenience init?(resultOf node: PlanNode) {
        var input = node, limit: BoundExpression?, offset: BoundExpression?
        if case .limit(let below, let limitExpression, let offsetExpression) = node {
            (input, limit, offset) = (below, limitExpression, offsetExpression)
        }
        guard case .project(.vectorScan(let scan, let search), let expressions) = input,
              let columns = PlanExecutor.plainColumns(expressions) else { return nil }
        self.init(scan, search, output: Output(columns: columns, limit: limit, offset: offset))
    }

    /// The index the search reads, as `registry.index(name)` (or, without `loading`,
    /// `registry.loadedIndex(name)`) gives it now. The first look-up is kept with the
    /// generation read before it; while the registry's generation is the same, the index
    /// under that name is the same object (only `VectorIndexes.build` and `forget` change
    /// or remove one, and each makes a new generation), so no look-up is needed.
    func index(in registry: VectorIndexes, loading: Bool = true) throws -> HNSWIndex? {
        let generation = registry.generation
        if let pointer = UnsafeRawPointer(bitPattern: resolvedAddress.load(ordering: .acquiring)) {
            let kept = Unmanaged<ResolvedIndex>.fromOpaque(pointer).takeUnretainedValue()
            if kept.generation == generation { return kept.index }
        }
        guard let index = loading ? try registry.index(search.index.name) : registry.loadedIndex(search.index.name) else {
            return nil
        }
        keep(ResolvedIndex(index, generation: generation))
        return index
    }

    /// The exactness memo kept with `index` when it is the index this plan resolved first.
    func exactnessMemo(for index: HNSWIndex) -> IndexExactness.Memo? {
        guard let pointer = UnsafeRawPointer(bitPattern: resolvedAddress.load(ordering: .acquiring)) else { return nil }
        let kept = Unmanaged<ResolvedIndex>.fromOpaque(pointer).takeUnretainedValue()
        return kept.index === index ? kept.exactness : nil
    }

    /// Publishes `resolved` unless one was published before (it then stays, and a look-up
    /// by name answers while its generation is past).
    private func keep(_ resolved: ResolvedIndex) {
        let retained = Unmanaged.passRetained(resolved)
        let address = UInt(bitPattern: retained.toOpaque())
        if !resolvedAddress.compareExchange(expected: 0, desired: address, ordering: .acquiringAndReleasing).exchanged {
            retained.release()
        }
    }

    /// Each result row of the plan shape `[LIMIT] project(plain columns, vector scan)` in
    /// turn, nearest first, OFFSET rows skipped and at most LIMIT given, until `body`
    /// returns false: the scan's rows go straight to `body`, without an operator, a closure
    /// or a row copy per row for LIMIT and the projection (those were about a quarter of
    /// what a prepared k-NN query cost outside the index search). False when this is a
    /// vector scan alone (`output` nil), which gives no rows here.
    func forEachResultRow(_ context: ExecutionContext, _ body: ([Value]) throws -> Bool) throws -> Bool {
        guard let output else { return false }
        let (count, skipped) = try window(output, context)
        try forEachResultRow(output, count: count, skipping: skipped, context) { row, _ in try body(row) }
        return true
    }

    /// The result rows of `forEachResultRow`, each charged to the statement's work memory
    /// for `purpose`; nil when this is a vector scan alone (`output` nil).
    func materialize(_ context: ExecutionContext, for purpose: WorkMemory.Purpose) throws -> [[Value]]? {
        guard let output else { return nil }
        let (count, skipped) = try window(output, context)
        var rows: [[Value]] = []
        rows.reserveCapacity(min(count, Self.reservedRowsMax))
        let workMemory = context.workMemory  // read once, not retained and released per row
        try forEachResultRow(output, count: count, skipping: skipped, context) { row, estimatedBytes in
            try context.checkCancel()
            try workMemory.charge(bytes: estimatedBytes ?? WorkMemory.estimatedBytes(row), for: purpose)
            rows.append(row)
            return true
        }
        return rows
    }

    /// Rows reserved for a result up front, at most.
    private static let reservedRowsMax = 64

    /// How many rows LIMIT gives (`Int.max`: no LIMIT) and OFFSET skips.
    private func window(_ output: Output, _ context: ExecutionContext) throws -> (count: Int, skipped: Int) {
        if let constantWindow { return constantWindow }
        let count = try output.limit.flatMap { try PlanExecutor.count($0, context, clause: "LIMIT") } ?? Int.max
        let skipped = try output.offset.flatMap { try PlanExecutor.count($0, context, clause: "OFFSET") } ?? 0
        return (count, skipped)
    }

    /// `body` gets each row with its work-memory estimate when it is known without reading
    /// the row: a row made from a label holds only ints and NULLs, so every such row is
    /// estimated at the same `idRowBytes` (walking its values for it was about a twentieth
    /// of what a prepared `SELECT id` k-NN query spent outside the search).
    private func forEachResultRow(_ output: Output, count: Int, skipping skipped: Int, _ context: ExecutionContext,
                                  _ body: (_ row: [Value], _ estimatedBytes: Int?) throws -> Bool) throws {
        guard count > 0 else { return }
        var remaining = count, skip = skipped
        func give(_ estimatedBytes: Int?, _ row: () -> [Value]) throws -> Bool {
            if skip > 0 {
                skip -= 1
                return true
            }
            remaining -= 1
            guard try body(row(), estimatedBytes) else { return false }
            return remaining > 0
        }
        let columns = output.columns
        guard let idColumns, let idRowBytes else {
            _ = try VectorScan.run(self, context) { row in try give(nil) { Self.row(count: columns.count) { row[columns[$0]] } } }
            return
        }
        // A query reading nothing but the row id makes each row from the label found
        // (no template row copied and written per execution, no row copied per result row).
        _ = try VectorScan.run(self, context, { row in try give(nil) { Self.row(count: columns.count) { row[columns[$0]] } } },
                               label: { label in
                                   try give(idRowBytes) { Self.row(count: idColumns.count) { idColumns[$0] ? .int(label) : .null } }
                               })
    }

    /// A result row of `count` values made in one allocation of its size: `map` made each
    /// row through the generic growing path (a buffer made, then appended to: 66 of the 927
    /// samples a prepared k-NN query spent outside the search at 5,000 × 128). Reserved,
    /// then appended to: `Array(unsafeUninitializedCapacity:)` reached an unspecialized
    /// buffer initializer that looked up the storage type's generic metadata for every row
    /// (130 of the 848 samples outside the search in a release profile), as
    /// `PlanExecutor.nullRow` notes for `Array(repeating:count:)`.
    /// Rows of up to three values are array literals, made in one allocation of their size
    /// by the literal's path: `reserveCapacity` went through the buffer's general
    /// reallocation (`_consumeAndCreateNew`, `malloc_usable_size`, a copy of no elements),
    /// 83 of the 1,003 samples a prepared `SELECT id` k-NN query spent outside the search.
    @inline(__always)
    private static func row(count: Int, _ value: (Int) -> Value) -> [Value] {
        switch count {
        case 1: return [value(0)]
        case 2: return [value(0), value(1)]
        case 3: return [value(0), value(1), value(2)]
        default: break
        }
        var row: [Value] = []
        row.reserveCapacity(count)
        for i in 0..<count { row.append(value(i)) }
        return row
    }
}
