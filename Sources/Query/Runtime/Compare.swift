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
        case (.numeric(let x), .numeric(let y)): return Numeric.compare(x, y)
        case (.numeric(let x), .int(let y)): return Numeric.compare(x, Numeric(y))
        case (.int(let x), .numeric(let y)): return Numeric.compare(Numeric(x), y)
        case (.numeric(let x), .double(let y)): return doubles(x.double, y)
        case (.double(let x), .numeric(let y)): return doubles(x, y.double)
        case (.text(let x), .text(let y)): return bytes(Array(x.utf8), Array(y.utf8))
        case (.json(let x), .json(let y)): return JSONOrder.compare(x, y)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.bytes(let x), .bytes(let y)): return bytes(x, y)
        case (.timestamp(let x), .timestamp(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.vector(let x), .vector(let y)): return vectors(x, y)
        case (.interval(let x), .interval(let y)): return x.span < y.span ? -1 : (x.span == y.span ? 0 : 1)
        case (.array, .array): return try arrays(a, b)
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

    /// PostgreSQL's array order (array_cmp): element by element in storage order, a NULL
    /// element after every value; then the array with fewer elements, fewer dimensions, or
    /// the shorter first differing dimension first.
    static func arrays(_ a: Value, _ b: Value) throws -> Int {
        let (x, y) = (a.arrayLeaves ?? [], b.arrayLeaves ?? [])
        for (p, q) in zip(x, y) {
            switch (p.isNull, q.isNull) {
            case (true, true): continue
            case (true, false): return 1
            case (false, true): return -1
            case (false, false):
                let order = try values(p, q) ?? 0
                if order != 0 { return order }
            }
        }
        if x.count != y.count { return x.count < y.count ? -1 : 1 }
        let (xDimensions, yDimensions) = (a.arrayDimensions, b.arrayDimensions)
        if xDimensions.count != yDimensions.count { return xDimensions.count < yDimensions.count ? -1 : 1 }
        for (p, q) in zip(xDimensions, yDimensions) where p != q { return p < q ? -1 : 1 }
        return 0
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

/// A value usable as a dictionary key for GROUP BY, DISTINCT, IN lists and hash joins,
/// equal exactly when `=` says so: numbers of equal value are equal whatever their type
/// (integral doubles below 2^53 key as integers), NaN equals NaN, and text compares by its
/// UTF-8 bytes (as `=` does), not by Unicode canonical equivalence as Swift strings do.
public struct GroupKey: Hashable, Sendable {
    private enum Key: Hashable {
        case null, bool(Bool), int(Int64), double(UInt64), utf8([UInt8]), bytes([UInt8])
        case timestamp(Int64), vector([UInt32]), interval(Int128), array([Key]), numeric(Numeric)
    }

    private let key: Key

    public init(_ value: Value) {
        switch value {
        case .null: key = .null
        case .bool(let flag): key = .bool(flag)
        case .int(let number): key = .int(number)
        case .double(let number) where number.isNaN: key = .double(Double.nan.bitPattern)
        case .double(let number) where number == number.rounded() && number.magnitude < 9.007199254740992e15:
            key = .int(Int64(number))
        case .double(let number): key = .double((number == 0 ? 0 : number).bitPattern)
        case .text(let text): key = .utf8(Array(text.utf8))
        case .json(let text): key = .utf8(Array(JSONOrder.groupingText(text).utf8))
        case .bytes(let bytes): key = .bytes(bytes)
        case .timestamp(let micros): key = .timestamp(micros)
        case .vector(let vector): key = .vector(vector.map { ($0 == 0 ? 0 : $0).bitPattern })
        // '1 mon' = '30 days', as PostgreSQL's interval equality says.
        case .interval(let interval): key = .interval(interval.span)
        case .array(let elements): key = .array(elements.map { GroupKey($0).key })
        // 1.50 = 1.5 (Numeric hashes its value), and an integral one keys as the integer.
        case .numeric(let number): key = number.normalized.scale == 0 ? number.roundedInt64.map(Key.int) ?? .numeric(number) : .numeric(number)
        }
    }
}
