import VireoStorage

/// PostgreSQL's jsonb order (its B-tree operator class), which `=`, `<`, ORDER BY, GROUP BY,
/// DISTINCT and indexes use: Object > Array > Boolean > Number > String > Null; objects by
/// their number of pairs, then pair by pair in jsonb's storage order (shorter keys first), key
/// before value; arrays by length, then element by element; numbers by value (`1.0` = `1`),
/// strings by bytes (the "C" collation). At the top level a scalar is, as PostgreSQL stores
/// it, an array of one element marked as a scalar: it sorts below an array of one element or
/// more but above an empty array (`'[]' < 'null'`), and every object sorts above both.
enum JSONOrder {
    /// Three-way comparison of two stored jsonb texts.
    static func compare(_ x: String, _ y: String) -> Int {
        if x == y { return 0 }
        guard let a = try? JSONValue.jsonb(x), let b = try? JSONValue.jsonb(y) else {
            return Compare.bytes(Array(x.utf8), Array(y.utf8))
        }
        return compareDocuments(a, b)
    }

    /// Documents: the top level, where scalars are one-element pseudo arrays.
    static func compareDocuments(_ a: JSONValue, _ b: JSONValue) -> Int {
        switch (a, b) {
        case (.array(let items), _) where b.isScalar: return arrayVersusScalar(items.count)
        case (_, .array(let items)) where a.isScalar: return -arrayVersusScalar(items.count)
        default: return compareValues(a, b)
        }
    }

    /// PostgreSQL compares the lengths first (a scalar's pseudo array has one element), and
    /// for equal lengths lets the real array win: only an empty array sorts below a scalar.
    private static func arrayVersusScalar(_ count: Int) -> Int {
        count == 0 ? -1 : 1
    }

    /// Values inside a document (and scalars with scalars at the top).
    static func compareValues(_ a: JSONValue, _ b: JSONValue) -> Int {
        let (rankA, rankB) = (a.orderRank, b.orderRank)
        guard rankA == rankB else { return rankA < rankB ? -1 : 1 }
        switch (a, b) {
        case (.string(let x), .string(let y)): return Compare.bytes(Array(x.utf8), Array(y.utf8))
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.array(let x), .array(let y)):
            if x.count != y.count { return x.count < y.count ? -1 : 1 }
            for (p, q) in zip(x, y) {
                let order = compareValues(p, q)
                if order != 0 { return order }
            }
            return 0
        case (.object(let x), .object(let y)):
            if x.count != y.count { return x.count < y.count ? -1 : 1 }
            for (p, q) in zip(storageOrder(x), storageOrder(y)) {
                let keyOrder = Compare.bytes(Array(p.0.utf8), Array(q.0.utf8))
                if keyOrder != 0 { return keyOrder }
                let valueOrder = compareValues(p.1, q.1)
                if valueOrder != 0 { return valueOrder }
            }
            return 0
        default: return compareNumbers(a, b) ?? 0
        }
    }

    /// Keys as jsonb stores them: shorter first, then by bytes.
    private static func storageOrder(_ fields: [(String, JSONValue)]) -> [(String, JSONValue)] {
        fields.sorted { left, right in
            let (x, y) = (left.0.utf8.count, right.0.utf8.count)
            return x != y ? x < y : Compare.bytes(Array(left.0.utf8), Array(right.0.utf8)) < 0
        }
    }

    private static func compareNumbers(_ a: JSONValue, _ b: JSONValue) -> Int? {
        switch (a, b) {
        case (.numeric(let x), .numeric(let y)): Numeric.compare(x, y)
        case (.number(let x), .number(let y)): Compare.doubles(x, y)
        case (.numeric(let x), .number(let y)): Compare.doubles(x.double, y)
        case (.number(let x), .numeric(let y)): Compare.doubles(x, y.double)
        default: nil
        }
    }

    /// The text two jsonb documents share exactly when they are equal in this order: the
    /// stored text, with numbers written without trailing fractional zeros (`1.50` → `1.5`).
    static func groupingText(_ text: String) -> String {
        // Stored jsonb has no exponents, so only a point can make equal numbers differ.
        guard text.utf8.contains(UInt8(ascii: ".")), let value = try? JSONValue.jsonb(text) else { return text }
        return value.withNormalizedNumbers.text
    }
}

extension JSONValue {
    /// PostgreSQL's order of jsonb types: null, string, number, boolean, array, object.
    fileprivate var orderRank: Int {
        switch self {
        case .null: 0
        case .string: 1
        case .number, .numeric: 2
        case .bool: 3
        case .array: 4
        case .object: 5
        }
    }

    fileprivate var isScalar: Bool { orderRank < 4 }

    fileprivate var withNormalizedNumbers: JSONValue {
        switch self {
        case .numeric(let number): .numeric(number.normalized)
        case .array(let items): .array(items.map(\.withNormalizedNumbers))
        case .object(let fields): .object(fields.map { ($0.0, $0.1.withNormalizedNumbers) })
        default: self
        }
    }
}
