import Foundation
import VireoStorage

/// numeric arithmetic and functions with PostgreSQL's result scales. Square roots are exact
/// integer roots; exp, ln, log and non-integer powers are computed with ten guard digits by
/// series on exact decimals, then rounded, so the digits PostgreSQL shows are the same.
enum NumericMath {
    /// `x op y` for the binary arithmetic operators.
    static func apply(_ op: BinaryOperator, _ x: Numeric, _ y: Numeric) throws -> Numeric {
        switch op {
        case .add: return try (x + y).checked()
        case .subtract: return try (x - y).checked()
        case .multiply: return try x * y
        case .divide: return try x / y
        case .modulo: return try x % y
        case .power:
            if !x.isFinite || !y.isFinite { return Numeric(try Operators.doubles(.power, x.double, y.double)) ?? .nan }
            return try power(x, y)
        default: throw VireoError(.internalError, "not a numeric operator: \(op.rawValue)")
        }
    }

    /// `numeric(p,s)` applied to a value: rounded to `s` digits, at most `p - s` before the point.
    static func typmod(precision: Int, scale: Int) -> ScalarFunction {
        ScalarFunction("numeric", 1...1, [.numeric], returns: .numeric) { arguments in
            guard case .numeric(let number) = arguments[0] else { return arguments[0] }
            return .numeric(try number.fitted(precision: precision, scale: scale))
        }
    }

    // MARK: Result scales

    /// PostgreSQL's NUMERIC_MIN_SIG_DIGITS and NUMERIC_MAX_DISPLAY_SCALE.
    static let significantDigitsMin = 16
    static let displayScaleMax = 1000

    static func clampedScale(_ scale: Int, _ inputs: Numeric...) -> Int {
        min(max(inputs.reduce(scale) { max($0, $1.scale) }, 0), displayScaleMax)
    }

    /// The decimal exponent of the leading digit (|x| = d.ddd × 10^result); 0 for zero.
    static func decimalWeight(_ x: Numeric) -> Int {
        x.isZero ? 0 : x.coefficient.decimalString.utf8.count - 1 - x.scale
    }

    // MARK: Square root

    /// sqrt(x) at PostgreSQL's scale: 16 significant digits, no fewer than x shows.
    static func sqrt(_ x: Numeric) throws -> Numeric {
        guard !x.negative else { throw VireoError(.invalidPowerArgument, "cannot take square root of a negative number") }
        let (weight, _) = x.normalized.baseTenThousandLead
        let halfWeight = ((weight + 1) * 4) / 2 - 1
        return sqrt(x, scale: clampedScale(significantDigitsMin - halfWeight, x))
    }

    /// sqrt(x) rounded half up at `scale` digits.
    static func sqrt(_ x: Numeric, scale: Int) -> Numeric {
        guard x.isFinite else { return x }
        let shift = 2 * scale - x.scale
        let radicand = shift >= 0 ? x.coefficient * .powerOfTen(shift)
            : x.coefficient.quotientAndRemainder(dividingBy: .powerOfTen(-shift)).quotient
        var root = integerSquareRoot(radicand)
        // Round: the exact root is at least root + ½ when radicand > root² + root.
        if Magnitude.compare(radicand, root * root + root) > 0 { root = root + Magnitude(1) }
        return Numeric(coefficient: root, scale: scale)
    }

    static func integerSquareRoot(_ n: Magnitude) -> Magnitude {
        if n.isZero { return n }
        // Newton's iteration from above: start at 10^ceil(digits/2), which is ≥ √n.
        var x = Magnitude.powerOfTen((n.decimalString.utf8.count + 1) / 2)
        while true {
            let next = (x + n.quotientAndRemainder(dividingBy: x).quotient).quotientAndRemainder(dividingBy: Magnitude(2)).quotient
            if Magnitude.compare(next, x) >= 0 { return x }
            x = next
        }
    }

    // MARK: exp, ln, log

    static func exp(_ x: Numeric) throws -> Numeric {
        let estimate = x.double * 0.434294481903252
        guard estimate < Double(Numeric.integerDigitsMax) else {
            throw VireoError(.numericOutOfRange, "value overflows numeric format")
        }
        let weight = Int(max(min(estimate, 16_383), -16_383))
        let scale = clampedScale(significantDigitsMin - weight, x)
        return try exp(x, scale: scale)
    }

    /// e^x at `scale` digits: x halved until below 0.01, a Taylor series, then squared back.
    static func exp(_ x: Numeric, scale: Int) throws -> Numeric {
        // The series would not end for NaN or an infinity: e^NaN is NaN, e^∞ ∞, e^−∞ 0.
        guard x.isFinite else { return x.isInfinite && x.negative ? Numeric(0) : x }
        let magnitude = max(x.double * 0.434294481903252, 0)
        var halvings = 0
        var reduced = x
        let limit = Numeric(coefficient: Magnitude(1), scale: 2)
        while Numeric.compare(reduced.absolute, limit) > 0 {
            reduced = try reduced.divided(by: Numeric(2), scale: reduced.scale + 1)
            halvings += 1
        }
        let working = scale + Int(magnitude) + halvings / 3 + 12
        reduced = reduced.rounded(toScale: working)
        var sum = Numeric(1), term = Numeric(1)
        var n: Int64 = 1
        while true {
            term = try (term * reduced).divided(by: Numeric(n), scale: working)
            if term.isZero { break }
            sum = sum + term
            n += 1
        }
        for _ in 0..<halvings { sum = try (sum * sum).rounded(toScale: working) }
        return sum.rounded(toScale: scale)
    }

    static func ln(_ x: Numeric) throws -> Numeric {
        try checkLogarithmArgument(x)
        return try ln(x, scale: clampedScale(significantDigitsMin - estimatedLnWeight(x), x))
    }

    /// ln(x) at `scale` digits: square roots bring x near 1, then 2·atanh((x−1)/(x+1)).
    static func ln(_ x: Numeric, scale: Int) throws -> Numeric {
        guard x.isFinite else {
            if x.isInfinite && x.negative { throw VireoError(.invalidLogarithmArgument, "cannot take logarithm of a negative number") }
            return x
        }
        let outerWeight = abs(decimalWeight(x))
        var working = scale + 12 + String(outerWeight).count
        var reduced = x
        var factor: Int64 = 1
        let low = Numeric(coefficient: Magnitude(9), scale: 1), high = Numeric(coefficient: Magnitude(11), scale: 1)
        while Numeric.compare(reduced, low) < 0 || Numeric.compare(reduced, high) > 0 {
            reduced = sqrt(reduced, scale: working + 4)
            factor *= 2
            working += 1
        }
        let z = try (reduced - Numeric(1)).divided(by: reduced + Numeric(1), scale: working)
        let zSquared = try (z * z).rounded(toScale: working)
        var sum = z, power = z
        var n: Int64 = 3
        while true {
            power = try (power * zSquared).rounded(toScale: working)
            let term = try power.divided(by: Numeric(n), scale: working)
            if term.isZero { break }
            sum = sum + term
            n += 2
        }
        return try (sum * Numeric(2 * factor)).rounded(toScale: scale)
    }

    /// log(base, x) = ln(x) / ln(base), at PostgreSQL's scale for the quotient's weight.
    static func log(base: Numeric, _ x: Numeric) throws -> Numeric {
        try checkLogarithmArgument(base)
        try checkLogarithmArgument(x)
        let weight = estimatedLnWeight(x) - estimatedLnWeight(base)
        let scale = clampedScale(significantDigitsMin - weight, base, x)
        let extra = scale + 10 + abs(weight)
        let lnBase = try ln(base, scale: extra)
        guard !lnBase.isZero else { throw VireoError(.divisionByZero, "division by zero") }
        return try ln(x, scale: extra).divided(by: lnBase, scale: scale)
    }

    static func checkLogarithmArgument(_ x: Numeric) throws {
        if x.isZero { throw VireoError(.invalidLogarithmArgument, "cannot take logarithm of zero") }
        if x.negative { throw VireoError(.invalidLogarithmArgument, "cannot take logarithm of a negative number") }
    }

    /// PostgreSQL's estimate of ln(x)'s decimal weight, which picks ln's and log's scales.
    static func estimatedLnWeight(_ x: Numeric) -> Int {
        guard !x.negative, !x.isZero else { return 0 }
        let low = Numeric(coefficient: Magnitude(9), scale: 1), high = Numeric(coefficient: Magnitude(11), scale: 1)
        if Numeric.compare(x, low) >= 0 && Numeric.compare(x, high) <= 0 {
            let difference = x - Numeric(1)
            return difference.isZero ? 0 : decimalWeight(difference)
        }
        // ln(x) from its first eight significant digits, as PostgreSQL's two base-10000 digits.
        let (weight, _) = x.normalized.baseTenThousandLead
        let digits = Array(x.coefficient.decimalString.utf8)
        let leadingExponent = digits.count - 1 - x.scale
        let firstGroupLength = leadingExponent - 4 * weight + 1
        var value = 0.0
        for index in 0..<(firstGroupLength + 4) { value = value * 10 + (index < digits.count ? Double(digits[index] - 48) : 0) }
        let lnValue = Foundation.log(value) + Double(4 * (weight - 1)) * 2.302585092994046
        return Int(log10(Swift.abs(lnValue)))
    }

    // MARK: Power

    /// x ^ y: exact repeated multiplication for an integer exponent (16 digits after the point
    /// at least, as PostgreSQL 15 shows), exp(y·ln x) otherwise.
    static func power(_ x: Numeric, _ y: Numeric) throws -> Numeric {
        if x.isZero && y.negative {
            throw VireoError(.invalidPowerArgument, "zero raised to a negative power is undefined")
        }
        if y.normalized.scale == 0, let exponent = y.roundedInt64, exponent.magnitude <= UInt64(Int32.max) {
            return try integerPower(x, exponent)
        }
        if x.negative {
            throw VireoError(.invalidPowerArgument, "a negative number raised to a non-integer power yields a complex result")
        }
        if x.isZero { return Numeric(coefficient: Magnitude(), scale: significantDigitsMin) }
        let lnX = try ln(x, scale: max(8 - estimatedLnWeight(x), 0) + 8)
        let estimate = (try lnX * y).double * 0.434294481903252
        guard estimate < Double(Numeric.integerDigitsMax) else {
            throw VireoError(.numericOutOfRange, "value overflows numeric format")
        }
        let scale = clampedScale(significantDigitsMin - Int(max(min(estimate, 16_383), -16_383)), x, y)
        let working = scale + Int(max(estimate, 0)) + 12
        let product = try ln(x, scale: working + 4) * y
        return try exp(product.rounded(toScale: working), scale: scale)
    }

    static func integerPower(_ x: Numeric, _ exponent: Int64) throws -> Numeric {
        let scale = clampedScale(significantDigitsMin, x)
        if exponent == 0 { return Numeric(1).rounded(toScale: scale) }
        let estimate = Double(exponent) * log10(Swift.abs(x.double))
        guard x.isZero || estimate < Double(Numeric.integerDigitsMax) else {
            throw VireoError(.numericOutOfRange, "value overflows numeric format")
        }
        if exponent < 0 && estimate < -Double(displayScaleMax + 1) { return Numeric(coefficient: Magnitude(), scale: displayScaleMax) }
        var result = Numeric(1), base = x
        var remaining = exponent.magnitude
        while remaining > 0 {
            if remaining & 1 == 1 { result = try result * base }
            remaining >>= 1
            if remaining > 0 { base = try base * base }
        }
        if exponent < 0 { return try Numeric(1).divided(by: result, scale: scale) }
        return result.rounded(toScale: max(scale, 0))
    }
}
