import VireoStorage

/// Ordering and equality of values under SQL's rules.
public enum Compare {
    /// Three-way comparison of two non-NULL values; nil when either is NULL. Integers and
    /// doubles compare by numeric value; text compares by bytes (the "C" collation).
    public static func values(_ a: Value, _ b: Value) throws -> Int? {
        switch (a, b) {
        case (.null, _), (_, .null): return nil
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x), .double(let y)): return doubles(Double(x), y)
        case (.double(let x), .int(let y)): return doubles(x, Double(y))
        case (.double(let x), .double(let y)): return doubles(x, y)
        case (.text(let x), .text(let y)), (.json(let x), .json(let y)): return bytes(Array(x.utf8), Array(y.utf8))
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.bytes(let x), .bytes(let y)): return bytes(x, y)
        case (.timestamp(let x), .timestamp(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.vector(let x), .vector(let y)): return vectors(x, y)
        default:
            throw VireoError(.typeMismatch, "operator does not exist: \(SQLType(of: a)) = \(SQLType(of: b))")
        }
    }

    /// PostgreSQL orders NaN above every other double and treats NaN = NaN.
    static func doubles(_ x: Double, _ y: Double) -> Int {
        if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? 0 : (x.isNaN ? 1 : -1) }
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    static func bytes(_ x: [UInt8], _ y: [UInt8]) -> Int {
        for (a, b) in zip(x, y) where a != b { return a < b ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }

    /// pgvector's btree order: element by element, then by dimension.
    static func vectors(_ x: [Float], _ y: [Float]) -> Int {
        for (a, b) in zip(x, y) where a != b { return a < b ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }

    /// Sort order for ORDER BY: NULLs first or last as asked, then the values' order.
    public static func forSort(_ a: Value, _ b: Value, descending: Bool, nullsFirst: Bool) -> Int {
        switch (a.isNull, b.isNull) {
        case (true, true): return 0
        case (true, false): return nullsFirst ? -1 : 1
        case (false, true): return nullsFirst ? 1 : -1
        case (false, false):
            let order = (try? values(a, b)) ?? 0
            return descending ? -order : order
        }
    }
}

/// A value usable as a dictionary key for GROUP BY, DISTINCT, IN lists and hash joins:
/// numbers of equal value are equal keys whatever their type, and NaN equals NaN.
public struct GroupKey: Hashable, Sendable {
    let value: Value

    public init(_ value: Value) {
        switch value {
        case .double(let number) where number.isNaN: self.value = .double(.nan)
        case .double(let number) where number == number.rounded() && number.magnitude < 9.007199254740992e15: self.value = .int(Int64(number))
        default: self.value = value
        }
    }

    public static func == (a: GroupKey, b: GroupKey) -> Bool {
        if case .double(let x) = a.value, case .double(let y) = b.value, x.isNaN && y.isNaN { return true }
        return a.value == b.value
    }

    public func hash(into hasher: inout Hasher) {
        if case .double(let x) = value, x.isNaN { hasher.combine("NaN"); return }
        hasher.combine(value)
    }
}
