import VireoStorage

/// What a join's memo did in one execution, for EXPLAIN ANALYZE (PostgreSQL's Memoize
/// line "Hits: … Misses: … Evictions: … Overflows: …").
struct MemoCounters {
    var hits = 0
    var misses = 0
    /// Probes whose rows were not kept because the memo had reached its bound.
    var overflows = 0
    var bytes = 0
}

/// The right rows an index nested-loop join's probe found, per key, for one execution of
/// the join (JoinMemo; PlanNode's plan says when). It is made when the join starts and
/// dropped when it ends, so it never outlives the snapshot its rows were read from. Its
/// keys are the probe's key values as a hash join compares them (GroupKey): values equal
/// there find the same right rows, and the join condition is still evaluated on each
/// joined row. Bounded by `bytesMax` (work_mem): once full it keeps nothing more and
/// answers only the keys it holds, so it never fails a statement.
final class ProbeMemo {
    private var rows: [[GroupKey]: [[Value]]] = [:]
    private let bytesMax: Int
    private(set) var counters = MemoCounters()

    init(bytesMax: Int) {
        self.bytesMax = bytesMax
    }

    /// The rows kept for `key`, counting a hit or a miss.
    func recall(_ key: [GroupKey]) -> [[Value]]? {
        guard let kept = rows[key] else {
            counters.misses += 1
            return nil
        }
        counters.hits += 1
        return kept
    }

    /// Keeps `found` for `key` unless that would pass the bound.
    func keep(_ found: [[Value]], for key: [GroupKey], keyValues: [Value]) {
        let bytes = found.reduce(WorkMemory.estimatedBytes(keyValues)) { $0 + WorkMemory.estimatedBytes($1) }
        guard counters.bytes + bytes <= bytesMax else {
            counters.overflows += 1
            return
        }
        counters.bytes += bytes
        rows[key] = found
    }
}

/// A primary-key probe's memo (Joins.DirectLookup): per row id, whether the row exists and
/// the columns the join reads of it, in one flat array of `width` values a row. Row ids are
/// hashed into an open-addressing table of their own (a multiply and a shift), which costs
/// a small part of the probe it saves; a Dictionary's seeded hash cost about as much as the
/// probe. Bounded by `bytesMax` as ProbeMemo is, and like it lives for one execution. A
/// class: as an optional struct held by the join, each look-up copied it (a retain and a
/// release for each of its arrays).
final class RowIDMemo {
    /// One slot of the open-addressing table: `entry` is 0 for an empty slot, -1 for a row
    /// id naming no row, else the row's index in `values` (in units of `width`) plus 1.
    private struct Slot {
        var rowID: Int64
        var entry: Int32
    }

    private var slots: [Slot]
    private var values: [Value] = []
    /// Slots in use, and rows kept in `values`.
    private var count = 0
    private var rowCount: Int32 = 0
    private var shift: Int
    /// The positions of a right row the join reads (decoded columns and the row id).
    let positions: [Int]
    private let bytesMax: Int
    private var bytes = 0

    /// Slots in a new table; it doubles when half full, so 64 keys fit without growing.
    private static let initialSlotCount = 128

    init(positions: [Int], bytesMax: Int) {
        self.positions = positions
        self.bytesMax = bytesMax
        slots = Array(repeating: Slot(rowID: 0, entry: 0), count: Self.initialSlotCount)
        shift = 64 - Self.initialSlotCount.trailingZeroBitCount
    }

    private func slot(_ rowID: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: rowID) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    /// The entry kept for `rowID` (see Slot), 0 when none.
    private func entry(_ rowID: Int64) -> Int32 {
        slots.withUnsafeBufferPointer { slots in
            var slot = slot(rowID)
            let mask = slots.count - 1
            while slots[slot].entry != 0, slots[slot].rowID != rowID { slot = (slot + 1) & mask }
            return slots[slot].entry
        }
    }

    /// Whether the row `rowID` exists, with its kept columns written into `row` from
    /// `start`; nil when the memo does not hold it.
    func recall(_ rowID: Int64, into row: inout [Value], at start: Int) -> Bool? {
        let entry = entry(rowID)
        if entry == 0 { return nil }
        guard entry > 0 else { return false }
        let base = Int(entry - 1) * positions.count
        values.withUnsafeBufferPointer { values in
            row.withUnsafeMutableBufferPointer { row in
                for (index, position) in positions.enumerated() { row[start + position] = values[base + index] }
            }
        }
        return true
    }

    /// Keeps whether `rowID` names a row and, when it does, its kept columns from `row` at
    /// `start`; false (nothing kept) when that would pass the bound.
    @discardableResult
    func keep(_ rowID: Int64, found: Bool, from row: [Value], at start: Int) -> Bool {
        var bytes = WorkMemory.valueOverheadBytes
        if found { for position in positions { bytes += WorkMemory.estimatedBytes(row[start + position]) } }
        guard self.bytes + bytes <= bytesMax else { return false }
        self.bytes += bytes
        if (count + 1) * 2 > slots.count { grow() }
        var entry: Int32 = -1
        if found {
            rowCount += 1
            entry = rowCount
            for position in positions { values.append(row[start + position]) }
        }
        insert(Slot(rowID: rowID, entry: entry))
        return true
    }

    private func insert(_ new: Slot) {
        slots.withUnsafeMutableBufferPointer { slots in
            var slot = slot(new.rowID)
            let mask = slots.count - 1
            while slots[slot].entry != 0 { slot = (slot + 1) & mask }
            slots[slot] = new
        }
        count += 1
    }

    private func grow() {
        let old = slots
        slots = Array(repeating: Slot(rowID: 0, entry: 0), count: old.count * 2)
        shift -= 1
        count = 0
        for slot in old where slot.entry != 0 { insert(slot) }
    }
}
