/// An exact decimal number, PostgreSQL's `numeric`: `coefficient × 10^-scale`. The scale is the
/// display scale (`1.50` keeps two digits after the point) and never negative. Two numbers are
/// equal when their values are (`1.5 = 1.50`), and hash alike then, as PostgreSQL's grouping
/// and unique indexes treat them.
///
/// PostgreSQL 14's special values are here too: `NaN`, `Infinity` and `-Infinity` (`kind`,
/// with `negative` for −∞; their coefficient is zero and their scale 0). They order as
/// PostgreSQL orders them: −∞ below every number, +∞ above, NaN above +∞ and equal to itself.
public struct Numeric: Sendable, Hashable, Comparable, CustomStringConvertible {
    public private(set) var negative: Bool
    public private(set) var coefficient: Magnitude
    public private(set) var scale: Int
    public private(set) var kind: Kind = .finite

    /// A number, or one of numeric's special values.
    public enum Kind: Sendable, Hashable {
        case finite, infinity, nan
    }

    public static let nan = Numeric(special: .nan, negative: false)
    public static let infinity = Numeric(special: .infinity, negative: false)
    public static let negativeInfinity = Numeric(special: .infinity, negative: true)

    private init(special: Kind, negative: Bool) {
        self.negative = negative
        coefficient = Magnitude()
        scale = 0
        kind = special
    }

    public var isFinite: Bool { kind == .finite }
    public var isNaN: Bool { kind == .nan }
    public var isInfinite: Bool { kind == .infinity }

    /// PostgreSQL's limits: 131072 digits before the point, 16383 after it.
    public static let integerDigitsMax = 131_072
    public static let scaleMax = 16_383

    public init(negative: Bool = false, coefficient: Magnitude, scale: Int) {
        self.negative = negative && !coefficient.isZero
        self.coefficient = coefficient
        self.scale = scale
    }

    public init(_ value: Int64) {
        self.init(negative: value < 0, coefficient: Magnitude(value.magnitude), scale: 0)
    }

    public static let zero = Numeric(0)

    public var isZero: Bool { isFinite && coefficient.isZero }

    // MARK: Text

    /// Parses PostgreSQL's numeric input: optional sign, digits with an optional point, an
    /// optional exponent (`-1.5e3`), surrounding spaces. Nil when the text is not a number.
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, first == 32 || (9...13).contains(first) { bytes.removeFirst() }
        while let last = bytes.last, last == 32 || (9...13).contains(last) { bytes.removeLast() }
        if bytes.count <= 9, let first = bytes.first, !(48...57).contains(first), first != UInt8(ascii: "."),
           let special = Self.special(String(decoding: bytes, as: UTF8.self).lowercased()) {
            self = special
            return
        }
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        var digits = [UInt8]()
        var fractionDigits = 0, seenPoint = false, seenDigit = false
        while let byte = bytes.first, byte == UInt8(ascii: ".") || (48...57).contains(byte) {
            bytes.removeFirst()
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            seenDigit = true
            if !digits.isEmpty || byte != 48 || seenPoint { digits.append(byte) }
            if seenPoint { fractionDigits += 1 }
        }
        guard seenDigit else { return nil }
        var exponent = 0
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes.removeFirst()
            var exponentNegative = false
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                exponentNegative = sign == UInt8(ascii: "-")
                bytes.removeFirst()
            }
            guard !bytes.isEmpty, bytes.allSatisfy({ (48...57).contains($0) }), bytes.count < 9 else { return nil }
            exponent = Int(String(decoding: bytes, as: UTF8.self))! * (exponentNegative ? -1 : 1)
            bytes.removeAll()
        }
        guard bytes.isEmpty else { return nil }
        let scale = fractionDigits - exponent
        var coefficient = Magnitude(decimalDigits: digits)
        if scale < 0 { coefficient = coefficient * Magnitude.powerOfTen(-scale) }
        self.init(negative: negative, coefficient: coefficient, scale: max(scale, 0))
    }

    /// `NaN`, `Infinity`, `inf` … as PostgreSQL's numeric input reads them (any case).
    private static func special(_ lowered: String) -> Numeric? {
        switch lowered {
        case "nan": .nan
        case "infinity", "+infinity", "inf", "+inf": .infinity
        case "-infinity", "-inf": .negativeInfinity
        default: nil
        }
    }

    /// PostgreSQL's output form: plain digits with exactly `scale` digits after the point;
    /// `NaN`, `Infinity`, `-Infinity`.
    public var description: String {
        switch kind {
        case .nan: return "NaN"
        case .infinity: return negative ? "-Infinity" : "Infinity"
        case .finite: break
        }
        var digits = coefficient.decimalString
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }

    /// Digits before the point (0 for a number below 1).
    public var integerDigits: Int {
        isZero || !isFinite ? 0 : max(coefficient.decimalString.count - scale, 0)
    }

    // MARK: Scale

    /// The same value with `newScale` digits after the point, rounded half away from zero
    /// (as PostgreSQL rounds) when digits are dropped. A negative `newScale` rounds to tens,
    /// hundreds…, and leaves a scale of 0.
    public func rounded(toScale newScale: Int) -> Numeric {
        guard isFinite else { return self }
        if newScale >= scale {
            return Numeric(negative: negative, coefficient: coefficient * .powerOfTen(newScale - scale), scale: newScale)
        }
        let divisor = Magnitude.powerOfTen(scale - newScale)
        var (quotient, remainder) = coefficient.quotientAndRemainder(dividingBy: divisor)
        if Magnitude.compare(remainder + remainder, divisor) >= 0 { quotient = quotient + Magnitude(1) }
        return Numeric(negative: negative, coefficient: quotient, scale: 0).shifted(byScale: newScale)
    }

    /// The value truncated toward zero to `newScale` digits after the point.
    public func truncated(toScale newScale: Int) -> Numeric {
        guard isFinite else { return self }
        if newScale >= scale { return rounded(toScale: newScale) }
        let quotient = coefficient.quotientAndRemainder(dividingBy: .powerOfTen(scale - newScale)).quotient
        return Numeric(negative: negative, coefficient: quotient, scale: 0).shifted(byScale: newScale)
    }

    /// A number rounded at `scale` digits (possibly negative) given as an integer count of
    /// those units: moves it back to a non-negative scale.
    private func shifted(byScale newScale: Int) -> Numeric {
        if newScale >= 0 { return Numeric(negative: negative, coefficient: coefficient, scale: newScale) }
        return Numeric(negative: negative, coefficient: coefficient * .powerOfTen(-newScale), scale: 0)
    }

    /// The coefficient at a larger scale.
    public func coefficient(atScale target: Int) -> Magnitude {
        target == scale ? coefficient : coefficient * .powerOfTen(target - scale)
    }

    // MARK: Order

    public static func compare(_ a: Numeric, _ b: Numeric) -> Int {
        if !a.isFinite || !b.isFinite { return specialRank(a) < specialRank(b) ? -1 : (specialRank(a) > specialRank(b) ? 1 : 0) }
        if a.negative != b.negative { return a.negative ? -1 : 1 }
        let common = max(a.scale, b.scale)
        let order = Magnitude.compare(a.coefficient(atScale: common), b.coefficient(atScale: common))
        return a.negative ? -order : order
    }

    /// −∞ 0, every number 1, +∞ 2, NaN 3: the order of two values one of which is special.
    private static func specialRank(_ x: Numeric) -> Int {
        switch x.kind {
        case .finite: 1
        case .infinity: x.negative ? 0 : 2
        case .nan: 3
        }
    }

    public static func < (a: Numeric, b: Numeric) -> Bool { compare(a, b) < 0 }
    public static func == (a: Numeric, b: Numeric) -> Bool { compare(a, b) == 0 }

    /// The value with trailing fractional zeros removed: one form per value, for hashing
    /// and index keys.
    public var normalized: Numeric {
        guard isFinite else { return self }
        var result = self
        while result.scale > 0 {
            let (quotient, remainder) = result.coefficient.divided(by: 10)
            guard remainder == 0 else { break }
            result.coefficient = quotient
            result.scale -= 1
        }
        return result
    }

    public func hash(into hasher: inout Hasher) {
        let form = normalized
        hasher.combine(form.kind)
        hasher.combine(form.negative)
        hasher.combine(form.coefficient)
        hasher.combine(form.scale)
    }

    public var negated: Numeric {
        switch kind {
        case .nan: self
        case .infinity: negative ? .infinity : .negativeInfinity
        case .finite: Numeric(negative: !negative, coefficient: coefficient, scale: scale)
        }
    }

    public var absolute: Numeric {
        switch kind {
        case .nan: self
        case .infinity: .infinity
        case .finite: Numeric(negative: false, coefficient: coefficient, scale: scale)
        }
    }
}
