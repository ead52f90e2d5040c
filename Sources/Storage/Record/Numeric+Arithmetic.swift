import Foundation

/// Arithmetic with PostgreSQL's result scales: a sum keeps the larger scale, a product the sum
/// of the scales, a quotient at least 16 significant digits (`select_div_scale`). NaN and the
/// infinities follow PostgreSQL 14's rules (NaN in, NaN out; ∞ − ∞, ∞ × 0, ∞ / ∞ are NaN).
extension Numeric {
    public static func + (a: Numeric, b: Numeric) -> Numeric {
        if !a.isFinite || !b.isFinite {
            if a.isNaN || b.isNaN || (a.isInfinite && b.isInfinite && a.negative != b.negative) { return .nan }
            return a.isInfinite ? a : b
        }
        let scale = max(a.scale, b.scale)
        let x = a.coefficient(atScale: scale), y = b.coefficient(atScale: scale)
        if a.negative == b.negative { return Numeric(negative: a.negative, coefficient: x + y, scale: scale) }
        return Magnitude.compare(x, y) >= 0
            ? Numeric(negative: a.negative, coefficient: x - y, scale: scale)
            : Numeric(negative: b.negative, coefficient: y - x, scale: scale)
    }

    public static func - (a: Numeric, b: Numeric) -> Numeric { a + b.negated }

    public static func * (a: Numeric, b: Numeric) throws -> Numeric {
        if !a.isFinite || !b.isFinite {
            if a.isNaN || b.isNaN || a.isZero || b.isZero { return .nan }
            return a.negative != b.negative ? .negativeInfinity : .infinity
        }
        let product = Numeric(negative: a.negative != b.negative, coefficient: a.coefficient * b.coefficient,
                              scale: a.scale + b.scale)
        return try (product.scale > scaleMax ? product.rounded(toScale: scaleMax) : product).checked()
    }

    /// `a / b` rounded at PostgreSQL's result scale.
    public static func / (a: Numeric, b: Numeric) throws -> Numeric {
        try a.divided(by: b, scale: divisionScale(a, b))
    }

    /// `a / b` rounded half away from zero at `scale` digits after the point.
    public func divided(by divisor: Numeric, scale resultScale: Int, truncating: Bool = false) throws -> Numeric {
        if isNaN || divisor.isNaN { return .nan }
        guard !divisor.isZero else { throw VireoError(.divisionByZero, "division by zero") }
        if isInfinite { return divisor.isInfinite ? .nan : (negative != divisor.negative ? .negativeInfinity : .infinity) }
        if divisor.isInfinite { return Numeric(0) }
        let shift = resultScale + divisor.scale - scale
        let dividend = shift >= 0 ? coefficient * .powerOfTen(shift) : coefficient
        let denominator = shift >= 0 ? divisor.coefficient : divisor.coefficient * .powerOfTen(-shift)
        var (quotient, remainder) = dividend.quotientAndRemainder(dividingBy: denominator)
        if !truncating && Magnitude.compare(remainder + remainder, denominator) >= 0 { quotient = quotient + Magnitude(1) }
        return try Numeric(negative: negative != divisor.negative, coefficient: quotient, scale: resultScale).checked()
    }

    /// `a % b`: the remainder of the division truncated to an integer, with the larger scale.
    public static func % (a: Numeric, b: Numeric) throws -> Numeric {
        if a.isNaN || b.isNaN { return .nan }
        if a.isInfinite {
            guard !b.isZero else { throw VireoError(.divisionByZero, "division by zero") }
            return .nan
        }
        if b.isInfinite { return a }
        let quotient = try a.divided(by: b, scale: 0, truncating: true)
        return a - (try quotient * b)
    }

    /// PostgreSQL's `select_div_scale`: enough digits after the point for 16 significant
    /// digits of the quotient, and no fewer than either operand shows.
    public static func divisionScale(_ a: Numeric, _ b: Numeric) -> Int {
        guard a.isFinite, b.isFinite else { return 0 }
        let (weightA, firstA) = a.baseTenThousandLead
        let (weightB, firstB) = b.baseTenThousandLead
        var quotientWeight = weightA - weightB
        if firstA <= firstB { quotientWeight -= 1 }
        let scale = max(16 - quotientWeight * 4, a.scale, b.scale, 0)
        return min(scale, 1000)
    }

    /// The weight and value of the first non-zero digit of the number written in base 10000
    /// with groups aligned at the point, as PostgreSQL stores numeric; (0, 0) for zero.
    public var baseTenThousandLead: (weight: Int, digit: Int) {
        guard !isZero, isFinite else { return (0, 0) }
        let digits = Array(coefficient.decimalString.utf8)
        let exponent = digits.count - 1 - scale
        let weight = exponent >= 0 ? exponent / 4 : -((-exponent + 3) / 4)
        let groupLength = exponent - 4 * weight + 1
        var first = 0
        for index in 0..<groupLength { first = first * 10 + (index < digits.count ? Int(digits[index] - 48) : 0) }
        return (weight, first)
    }

    /// Throws PostgreSQL's overflow error when the number has more digits than numeric holds.
    public func checked() throws -> Numeric {
        // Below ~3.3 bits a digit, the limit cannot be reached: skip the decimal conversion,
        // which every sum and difference would otherwise pay.
        if coefficient.byteCount * 8 < Numeric.integerDigitsMax * 3 { return self }
        if integerDigits > Numeric.integerDigitsMax {
            throw VireoError(.numericOutOfRange, "value overflows numeric format")
        }
        return self
    }

    /// `numeric(precision, scale)`: rounds to `scale` digits and checks that at most
    /// `precision - scale` digits remain before the point (22003 otherwise, PostgreSQL's text).
    public func fitted(precision: Int, scale targetScale: Int) throws -> Numeric {
        if isNaN { return self }
        if isInfinite {
            throw VireoError(.numericOutOfRange, "numeric field overflow",
                             detail: "A field with precision \(precision), scale \(targetScale) cannot hold an infinite value.")
        }
        let result = rounded(toScale: targetScale)
        let allowed = precision - targetScale
        if !result.isZero && result.integerDigits > allowed {
            throw VireoError(.numericOutOfRange, "numeric field overflow",
                             detail: "A field with precision \(precision), scale \(targetScale) must round to an absolute value less than \(allowed > 0 ? "10^\(allowed)" : "1").")
        }
        return result
    }

    /// Rounds toward negative infinity to an integer.
    public var floor: Numeric {
        guard isFinite else { return self }
        let truncated = truncated(toScale: 0)
        return negative && truncated != self ? truncated - Numeric(1) : truncated
    }

    /// Rounds toward positive infinity to an integer.
    public var ceiling: Numeric {
        guard isFinite else { return self }
        let truncated = truncated(toScale: 0)
        return !negative && truncated != self ? truncated + Numeric(1) : truncated
    }

    /// The value as a `Int64` after rounding half away from zero; nil when out of range.
    public var roundedInt64: Int64? {
        guard isFinite else { return nil }
        let rounded = rounded(toScale: 0)
        guard let magnitude = rounded.coefficient.uint64 else { return nil }
        if rounded.negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// The nearest double (correctly rounded, as through its decimal text).
    public var double: Double {
        if let exact = exactlyRoundedDouble { return exact }
        return Double(description) ?? (negative ? -.infinity : .infinity)
    }

    /// Powers of ten a double holds exactly (10^0 … 10^22).
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { power, _ in power * 10 }
    }

    /// The double without going through text, when both the coefficient (below 2^53) and
    /// 10^scale (scale ≤ 22) are exact doubles: one IEEE division of exact operands is
    /// correctly rounded, so it is the double the text would parse to (Clinger's fast path).
    /// Nil otherwise. Numeric literals in INSERTs into double columns take this path.
    private var exactlyRoundedDouble: Double? {
        guard isFinite, scale <= 22, let magnitude = coefficient.uint64, magnitude < 1 << 53 else { return nil }
        let quotient = Double(magnitude) / Self.exactPowersOfTen[scale]
        return negative ? -quotient : quotient
    }

    /// A double as PostgreSQL converts float8 to numeric: rounded to 15 significant digits
    /// (`significantDigits`, 6 for real). Nil for NaN and infinities.
    public init?(_ number: Double, significantDigits: Int = 15) {
        if number.isNaN {
            self = .nan
            return
        }
        if number.isInfinite {
            self = number < 0 ? .negativeInfinity : .infinity
            return
        }
        // "%.14e" gives d.dddde±x; reading it back keeps all shown digits, then the zeros
        // PostgreSQL drops (it prints with %g) are dropped here too.
        guard let parsed = Numeric(String(format: "%.\(significantDigits - 1)e", number)) else { return nil }
        self = parsed.normalized
    }
}
