import Foundation
import Synchronization
import VireoStorage

/// PostgreSQL's mathematical functions beyond the basics in ScalarFunction.swift:
/// logarithms, trigonometry, gcd/lcm, div, width_bucket, and setseed for random().
extension Functions {
    static let moreMath: [ScalarFunction] = [
        ScalarFunction("cbrt", 1...1, [.double], returns: .double) { .double(Foundation.cbrt(try double($0[0]))) },
        // The functions behind the prefix operators `||/` and `|/`: double precision only.
        ScalarFunction("dcbrt", 1...1, [.double], returns: .double) { .double(Foundation.cbrt(try double($0[0]))) },
        ScalarFunction("dsqrt", 1...1, [.double], returns: .double) { .double(try squareRoot(double($0[0]))) },
        ScalarFunction("degrees", 1...1, [.double], returns: .double) { .double(try double($0[0]) * 180 / Double.pi) },
        ScalarFunction("radians", 1...1, [.double], returns: .double) { .double(try double($0[0]) * Double.pi / 180) },
        trigonometric("sin", Foundation.sin), trigonometric("cos", Foundation.cos), trigonometric("tan", Foundation.tan),
        trigonometric("cot") { 1 / Foundation.tan($0) },
        trigonometric("asin", Foundation.asin, domain: -1...1), trigonometric("acos", Foundation.acos, domain: -1...1),
        trigonometric("atan", Foundation.atan),
        ScalarFunction("atan2", 2...2, [.double], returns: .double) { .double(Foundation.atan2(try double($0[0]), try double($0[1]))) },
        // Integers give their type (the binder checks smallint's and integer's range, 22003);
        // a numeric argument makes both numeric, as PostgreSQL's gcd(numeric, numeric).
        ScalarFunction("gcd", 2...2, [.int], resultType: exactIntegerResult) { arguments in
            if arguments.contains(where: isNumeric) { return .numeric(try numericGCD(exactArgument(arguments[0]), exactArgument(arguments[1]))) }
            return .int(try greatestCommonDivisor(int(arguments[0]), int(arguments[1])))
        },
        ScalarFunction("lcm", 2...2, [.int], resultType: exactIntegerResult) { arguments in
            if arguments.contains(where: isNumeric) { return .numeric(try numericLCM(exactArgument(arguments[0]), exactArgument(arguments[1]))) }
            let a = try int(arguments[0]), b = try int(arguments[1])
            guard a != 0, b != 0 else { return .int(0) }
            let (product, overflow) = (a / (try greatestCommonDivisor(a, b))).multipliedReportingOverflow(by: b)
            guard !overflow, product != .min else { throw VireoError(.numericOutOfRange, "bigint out of range") }
            return .int(abs(product))
        },
        ScalarFunction("factorial", 1...1, [.int], returns: .numeric) { .numeric(try factorial(int($0[0]))) },
        ScalarFunction("width_bucket", 4...4, [.double, .double, .double, .integer], returns: .integer) { arguments in
            let operand = try double(arguments[0]), low = try double(arguments[1]), high = try double(arguments[2])
            let count = try int(arguments[3])
            guard count > 0 else { throw VireoError(.invalidWidthBucketArgument, "count must be greater than zero") }
            guard low != high else { throw VireoError(.invalidWidthBucketArgument, "lower bound cannot equal upper bound") }
            guard low.isFinite, high.isFinite, !operand.isNaN else {
                throw VireoError(.invalidWidthBucketArgument, "operand, lower bound, and upper bound cannot be NaN")
            }
            let below = low < high ? operand < low : operand > low
            let above = low < high ? operand >= high : operand <= high
            if below { return .int(0) }
            if above { return .int(count + 1) }
            return .int(Int64(((operand - low) / (high - low) * Double(count)).rounded(.down)) + 1)
        },
        // Returns void, which prints as nothing (and is not NULL).
        ScalarFunction("setseed", 1...1, [.double], volatile: true, returns: .text) { arguments in
            let seed = try double(arguments[0])
            guard (-1...1).contains(seed) else {
                throw VireoError(.invalidParameter, "setseed parameter \(seed) is out of allowed range [-1,1]")
            }
            RandomSource.seed(seed)
            return .text("")
        },
    ]

    static func positive(_ number: Double) throws -> Double {
        guard number != 0 else { throw VireoError(.invalidLogarithmArgument, "cannot take logarithm of zero") }
        guard number > 0 || number.isNaN else { throw VireoError(.invalidLogarithmArgument, "cannot take logarithm of a negative number") }
        return number
    }

    static func logarithm(_ number: Double, base: Double) throws -> Double {
        let value = try positive(number)
        return base == 10 ? Foundation.log10(value) : Foundation.log(value) / Foundation.log(base)
    }

    static func trigonometric(_ name: String, _ body: @escaping @Sendable (Double) -> Double,
                              domain: ClosedRange<Double>? = nil) -> ScalarFunction {
        ScalarFunction(name, 1...1, [.double], returns: .double) { arguments in
            let number = try double(arguments[0])
            if let domain, !domain.contains(number) || number.isInfinite {
                throw VireoError(.numericOutOfRange, "input is out of range")
            }
            return .double(body(number))
        }
    }

    /// gcd and lcm: the integer type of integer arguments (the wider of two), else numeric.
    static func exactIntegerResult(_ types: [SQLType]) -> SQLType {
        if types.allSatisfy(\.isInteger) { return types.count == 2 ? SQLType.widerNumeric(types[0], types[1]) ?? .int : .int }
        return .numeric
    }

    /// Whether gcd or lcm works on exact decimals: some argument is not an integer.
    private static func isNumeric(_ value: Value) -> Bool {
        if case .int = value { false } else { true }
    }

    /// gcd(numeric, numeric): Euclid's algorithm on the exact values, at the larger scale
    /// (gcd(1.5, 2.25) is 0.75); NaN in, NaN out; an infinity is 22003 … as PostgreSQL 15.
    static func numericGCD(_ a: Numeric, _ b: Numeric) throws -> Numeric {
        if a.isNaN || b.isNaN { return .nan }
        guard a.isFinite, b.isFinite else { throw VireoError(.numericOutOfRange, "value overflows numeric format") }
        var (x, y) = (a.absolute, b.absolute)
        while !y.isZero { (x, y) = (y, try x % y) }
        return x.rounded(toScale: max(a.scale, b.scale))
    }

    /// lcm(numeric, numeric): |a| / gcd × |b| at the larger scale; 0 when either is 0.
    static func numericLCM(_ a: Numeric, _ b: Numeric) throws -> Numeric {
        if a.isNaN || b.isNaN { return .nan }
        let scale = max(a.scale, b.scale)
        if a.isZero || b.isZero { return Numeric(0).rounded(toScale: scale) }
        let divisor = try numericGCD(a, b)
        return try (a.absolute.divided(by: divisor, scale: 0, truncating: true) * b.absolute).rounded(toScale: scale)
    }

    /// factorial(n): n! as a numeric. 22003 for a negative n, and for one whose factorial has
    /// more than numeric's 131,072 digits before the point (found by its logarithm first,
    /// so that factorial(1000000) does not multiply for minutes before failing).
    static func factorial(_ n: Int64) throws -> Numeric {
        guard n >= 0 else { throw VireoError(.numericOutOfRange, "factorial of a negative number is undefined") }
        guard Foundation.lgamma(Double(n) + 1) / Foundation.log(10) < Double(Numeric.integerDigitsMax) + 1 else {
            throw VireoError(.numericOutOfRange, "value overflows numeric format")
        }
        var result = Numeric(1)
        var factor: Int64 = 2
        while factor <= n {
            result = try result * Numeric(factor)
            factor += 1
        }
        return result
    }

    static func greatestCommonDivisor(_ a: Int64, _ b: Int64) throws -> Int64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        guard x != .min else { throw VireoError(.numericOutOfRange, "bigint out of range") }
        return abs(x)
    }
}

/// random()'s numbers: the system's generator until setseed() fixes a seed, then a
/// repeatable sequence (SplitMix64) from it, as PostgreSQL's setseed makes random() repeat.
/// The seed is the process's, not the session's.
enum RandomSource {
    private static let state = Mutex<UInt64?>(nil)

    static func seed(_ seed: Double) {
        state.withLock { $0 = UInt64(bitPattern: Int64((seed * Double(Int64.max / 2)).rounded())) }
    }

    /// A double in [0, 1).
    static func next() -> Double {
        let seeded: UInt64? = state.withLock { current in
            guard var value = current else { return nil }
            value &+= 0x9E37_79B9_7F4A_7C15
            current = value
            var mixed = value
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
        guard let seeded else { return Double.random(in: 0..<1) }
        return Double(seeded >> 11) / Double(1 << 53)
    }
}
