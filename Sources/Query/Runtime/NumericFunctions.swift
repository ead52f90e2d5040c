import Foundation
import VireoStorage

/// The math functions that PostgreSQL defines for numeric as well as for double precision:
/// a numeric argument gives an exact numeric answer, a float one a double, and integers go
/// where PostgreSQL sends them (`round(5)` is double precision, `div(7, 2)` numeric).
extension Functions {
    static let numericMath: [ScalarFunction] = [
        // round(numeric) rounds half away from zero; round(double precision) is C's rint,
        // half to even (round(2.5::float8) = 2), as a float-to-integer cast.
        rounding("round", toInteger: { $0.rounded(toScale: 0) }, toScale: { $0.rounded(toScale: $1) },
                 double: { $0.rounded(.toNearestOrEven) }),
        rounding("trunc", toInteger: { $0.truncated(toScale: 0) }, toScale: { $0.truncated(toScale: $1) },
                 double: { $0.rounded(.towardZero) }),
        rounding("floor", toInteger: \.floor, toScale: nil, double: { $0.rounded(.down) }),
        rounding("ceil", toInteger: \.ceiling, toScale: nil, double: { $0.rounded(.up) }),
        rounding("ceiling", toInteger: \.ceiling, toScale: nil, double: { $0.rounded(.up) }),
        ScalarFunction("abs", 1...1, [.double], resultType: { $0.first.map { $0 == .unknown ? .double : $0 } ?? .double }) { arguments in
            switch arguments[0] {
            case .int(let number):
                guard number != .min else { throw VireoError(.numericOutOfRange, "bigint out of range") }
                return .int(Swift.abs(number))
            case .numeric(let number): return .numeric(number.absolute)
            default: return .double(Swift.abs(try double(arguments[0])))
            }
        },
        ScalarFunction("sign", 1...1, [.double], resultType: numericOrDouble) { arguments in
            if case .numeric(let number) = arguments[0] {
                return .numeric(number.isNaN ? .nan : Numeric(number.isZero ? 0 : (number.negative ? -1 : 1)))
            }
            let number = try double(arguments[0])
            return .double(number.isNaN ? .nan : (number == 0 ? 0 : (number < 0 ? -1 : 1)))
        },
        ScalarFunction("mod", 2...2, [.int], resultType: { types in
            types.contains(.numeric) ? .numeric : (types.first(where: \.isInteger).map { _ in SQLType.widerNumeric(types[0], types[1]) ?? .int } ?? .int)
        }) { try Operators.apply(.modulo, $0[0], $0[1]) },
        ScalarFunction("div", 2...2, [.numeric], returns: .numeric) { arguments in
            .numeric(try exactArgument(arguments[0]).divided(by: exactArgument(arguments[1]), scale: 0, truncating: true))
        },
        ScalarFunction("sqrt", 1...1, [.double], resultType: numericOrDouble) { arguments in
            if let special = try viaDouble(arguments, "sqrt") { return special }
            if case .numeric(let number) = arguments[0] { return .numeric(try NumericMath.sqrt(number)) }
            return .double(try squareRoot(double(arguments[0])))
        },
        ScalarFunction("exp", 1...1, [.double], resultType: numericOrDouble) { arguments in
            if let special = try viaDouble(arguments, "exp") { return special }
            if case .numeric(let number) = arguments[0] { return .numeric(try NumericMath.exp(number)) }
            return try checkedDouble(Foundation.exp(double(arguments[0])), from: [double(arguments[0])])
        },
        ScalarFunction("ln", 1...1, [.double], resultType: numericOrDouble) { arguments in
            if let special = try viaDouble(arguments, "ln") { return special }
            if case .numeric(let number) = arguments[0] { return .numeric(try NumericMath.ln(number)) }
            return .double(Foundation.log(try positive(double(arguments[0]))))
        },
        ScalarFunction("log", 1...2, [.double], resultType: { $0.count == 2 ? .numeric : numericOrDouble($0) }) { arguments in
            if let special = try viaDouble(arguments, "log") { return special }
            if arguments.count == 2 {
                return .numeric(try NumericMath.log(base: exactArgument(arguments[0]), exactArgument(arguments[1])))
            }
            if case .numeric(let number) = arguments[0] { return .numeric(try NumericMath.log(base: Numeric(10), number)) }
            return .double(try logarithm(double(arguments[0]), base: 10))
        },
        ScalarFunction("log10", 1...1, [.double], resultType: numericOrDouble) { arguments in
            if let special = try viaDouble(arguments, "log10") { return special }
            if case .numeric(let number) = arguments[0] { return .numeric(try NumericMath.log(base: Numeric(10), number)) }
            return .double(try logarithm(double(arguments[0]), base: 10))
        },
        power("power"), power("pow"),
        // NaN and the infinities have no scale: NULL, as in PostgreSQL.
        ScalarFunction("scale", 1...1, [.numeric], returns: .integer) { arguments in
            let number = try exactArgument(arguments[0])
            return number.isFinite ? .int(Int64(number.scale)) : .null
        },
        ScalarFunction("trim_scale", 1...1, [.numeric], returns: .numeric) { .numeric(try exactArgument($0[0]).normalized) },
        ScalarFunction("min_scale", 1...1, [.numeric], returns: .integer) { arguments in
            let number = try exactArgument(arguments[0])
            return number.isFinite ? .int(Int64(number.normalized.scale)) : .null
        },
    ]

    /// numeric when any argument is, else double precision.
    static func numericOrDouble(_ types: [SQLType]) -> SQLType {
        types.contains(.numeric) && !types.contains(where: \.isFloat) ? .numeric : .double
    }

    /// An argument as an exact decimal (integers and numerics as they are, doubles by
    /// PostgreSQL's float-to-numeric cast, text parsed).
    static func exactArgument(_ value: Value) throws -> Numeric {
        if let exact = Operators.exact(value) { return exact }
        guard case .numeric(let number) = try Cast.convert(value, to: .numeric) else {
            throw VireoError(.typeMismatch, "cannot cast type \(SQLType(of: value)) to numeric")
        }
        return number
    }

    /// round/trunc/floor/ceil: with a scale argument the answer is always numeric (PostgreSQL
    /// has only `round(numeric, integer)`); without one it follows the argument.
    static func rounding(_ name: String, toInteger: @escaping @Sendable (Numeric) -> Numeric,
                         toScale: (@Sendable (Numeric, Int) -> Numeric)?, double body: @escaping @Sendable (Double) -> Double) -> ScalarFunction {
        ScalarFunction(name, 1...(toScale == nil ? 1 : 2), [.double, .int],
                       resultType: { $0.count == 2 ? .numeric : numericOrDouble($0) }) { arguments in
            if arguments.count == 2, let toScale {
                let places = try int(arguments[1])
                guard let scale = Int(exactly: places), (-Numeric.scaleMax...Numeric.scaleMax).contains(scale) else {
                    throw VireoError(.numericOutOfRange, "integer out of range")
                }
                return .numeric(toScale(try exactArgument(arguments[0]), scale))
            }
            if case .numeric(let number) = arguments[0] { return .numeric(toInteger(number)) }
            return .double(body(try double(arguments[0])))
        }
    }

    /// The square root of a double precision, 2201F for a negative one (NaN's is NaN).
    static func squareRoot(_ x: Double) throws -> Double {
        guard x >= 0 || x.isNaN else { throw VireoError(.invalidPowerArgument, "cannot take square root of a negative number") }
        return x.squareRoot()
    }

    /// A numeric function of NaN or an infinity, answered as its float8 form answers it
    /// (PostgreSQL defines numeric's special values to behave as float8's), as a numeric; nil
    /// when no argument is a special numeric.
    static func viaDouble(_ arguments: [Value], _ name: String) throws -> Value? {
        guard arguments.contains(where: { if case .numeric(let number) = $0 { !number.isFinite } else { false } }) else { return nil }
        let doubles = arguments.map { value -> Value in if case .numeric(let number) = value { .double(number.double) } else { value } }
        let x = try double(doubles[0])
        let result: Double
        switch name {
        case "sqrt": result = try squareRoot(x)
        case "exp": result = Foundation.exp(x)
        case "ln": result = Foundation.log(try positive(x))
        case "log" where doubles.count == 2: result = Foundation.log(try positive(double(doubles[1]))) / Foundation.log(try positive(x))
        case "log", "log10": result = try logarithm(x, base: 10)
        default: result = try Operators.doubles(.power, x, try double(doubles[1]))
        }
        return Numeric(result).map(Value.numeric) ?? .double(result)
    }

    static func power(_ name: String) -> ScalarFunction {
        ScalarFunction(name, 2...2, [.double], resultType: numericOrDouble) { arguments in
            if let special = try viaDouble(arguments, "power") { return special }
            if case .numeric = arguments[0], Operators.exact(arguments[1]) != nil {
                return .numeric(try NumericMath.power(exactArgument(arguments[0]), exactArgument(arguments[1])))
            }
            if case .numeric = arguments[1], Operators.exact(arguments[0]) != nil {
                return .numeric(try NumericMath.power(exactArgument(arguments[0]), exactArgument(arguments[1])))
            }
            return .double(try Operators.doubles(.power, try double(arguments[0]), try double(arguments[1])))
        }
    }

    /// A float8 result that overflowed from finite input is 22003, as PostgreSQL's float
    /// functions report it.
    static func checkedDouble(_ result: Double, from inputs: [Double]) throws -> Value {
        if result.isInfinite && inputs.allSatisfy(\.isFinite) { throw VireoError(.numericOutOfRange, "value out of range: overflow") }
        return .double(result)
    }
}
