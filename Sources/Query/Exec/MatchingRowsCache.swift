import VireoStorage

/// The bitmaps of rows that vector searches' filters matched, kept for the next search with
/// the same filter on the same committed state: a filter repeated over a table that did not
/// change (a tenant, a category, a status) then costs no pass over the table. Lucene keeps
/// its filters' bitsets the same way.
///
/// A bitmap is only reused when nothing could make it differ:
/// - the statement reads a committed snapshot (not a write transaction, which may have
///   changed rows) of the same published version: any commit to the database publishes a
///   new version, and the first search at a new version empties the cache;
/// - the filter is `FilterKey`'s kind: comparisons, IN lists, IS NULL, AND, OR and NOT over
///   the table's columns, constants, parameters and casts to numbers, so no function whose
///   result could change between statements (`now()`, `random()`).
///
/// A filter's bitmap is made on its second search at a version (the first only marks it
/// seen), so a filter used once never pays a pass it did not need. At most `entriesMax`
/// filters and `bytesMax` of bitmaps are kept; the oldest go first.
final class MatchingRowsCache: @unchecked Sendable {
    static let entriesMax = 64
    static let bytesMax = 64 << 20

    enum Lookup {
        case hit(RowIDBitmap)
        /// Seen once before at this version: worth a pass whose bitmap is kept.
        case seenOnce
        case miss
    }

    private let lock = Lock()
    private var version: UInt64 = 0
    private var entries: [FilterKey: RowIDBitmap?] = [:]
    private var order: [FilterKey] = []
    private var bytes = 0

    /// What the cache holds for `key` at `version`; a miss marks it seen.
    func lookup(_ key: FilterKey, version: UInt64) -> Lookup {
        lock.withLock {
            if version != self.version { reset(to: version) }
            switch entries[key] {
            case .some(.some(let rows)): return .hit(rows)
            case .some(.none): return .seenOnce
            case .none:
                insert(key, nil)
                return .miss
            }
        }
    }

    /// Keeps `rows` for `key` at `version` (dropped if the cache has moved to another version).
    func remember(_ rows: RowIDBitmap, for key: FilterKey, version: UInt64) {
        lock.withLock {
            guard version == self.version else { return }
            if let position = order.firstIndex(of: key) {
                order.remove(at: position)
                bytes -= (entries.removeValue(forKey: key) ?? nil)?.memoryBytes ?? 0
            }
            insert(key, rows)
        }
    }

    private func insert(_ key: FilterKey, _ rows: RowIDBitmap?) {
        entries[key] = .some(rows)
        order.append(key)
        bytes += rows?.memoryBytes ?? 0
        while order.count > Self.entriesMax || bytes > Self.bytesMax, let oldest = order.first {
            order.removeFirst()
            bytes -= (entries.removeValue(forKey: oldest) ?? nil)?.memoryBytes ?? 0
        }
    }

    private func reset(to version: UInt64) {
        self.version = version
        entries = [:]
        order = []
        bytes = 0
    }
}

/// A filter with its parameters' values in place, for `MatchingRowsCache`: equal keys
/// select the same rows of the same table at the same version. Nil for filters it does not
/// cover (see `MatchingRowsCache`).
struct FilterKey: Hashable {
    /// Depth-first, each node followed by its children's count: an unambiguous encoding.
    private var parts: [Part] = []

    private enum Part: Hashable {
        case table(String)
        case node(String, children: Int)
        case column(Int)
        case value(Value)
        case parameter(Value, SQLType)
        case cast(SQLType)
    }

    init?(_ predicate: BoundExpression, table: String, parameters: [Value]) {
        parts.append(.table(table))
        guard add(predicate, parameters) else { return nil }
    }

    private mutating func add(_ expression: BoundExpression, _ parameters: [Value]) -> Bool {
        switch expression {
        case .column(let position): parts.append(.column(position))
        case .constant(let value): parts.append(.value(value))
        case .parameter(let index, let type):
            // A parameter read as a date or time is parsed by the session's settings.
            guard index < parameters.count, Self.typesCovered.contains(type) else { return false }
            parts.append(.parameter(parameters[index], type))
        case .cast(let operand, let type):
            guard Self.typesCovered.contains(type), type != .text else { return false }
            parts.append(.cast(type))
            return add(operand, parameters)
        case .binary(let op, let a, let b):
            guard Self.operatorsCovered.contains(op) else { return false }
            return node(op.rawValue, [a, b], parameters)
        case .and(let terms): return node("and", terms, parameters)
        case .or(let terms): return node("or", terms, parameters)
        case .not(let operand): return node("not", [operand], parameters)
        case .isNull(let operand, let negated): return node(negated ? "is not null" : "is null", [operand], parameters)
        case .inList(let operand, let list, let negated): return node(negated ? "not in" : "in", [operand] + list, parameters)
        default: return false
        }
        return true
    }

    private mutating func node(_ name: String, _ children: [BoundExpression], _ parameters: [Value]) -> Bool {
        parts.append(.node(name, children: children.count))
        for child in children where !add(child, parameters) { return false }
        return true
    }

    /// Comparisons give the same answer in every session (the time zone is always UTC).
    private static let operatorsCovered: Set<BinaryOperator> = [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]
    /// Types whose values a parameter's text or a cast gives the same in every session (no
    /// date or time: their text forms follow session settings; casts to text are excluded).
    private static let typesCovered: Set<SQLType> = [.bool, .int, .smallint, .integer, .double, .real, .numeric, .text, .uuid]
}
