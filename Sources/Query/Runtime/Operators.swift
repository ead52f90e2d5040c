import Foundation
import VireoStorage

/// Binary operators on values. NULL in, NULL out (except AND/OR, handled by the evaluator).
public enum Operators {
    /// Applies `op` to two values already coerced to compatible types.
    public static func apply(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        if a.isNull || b.isNull { return .null }
        switch op {
        case .equal: return .bool(try Compare.values(a, b) == 0)
        case .notEqual: return .bool(try Compare.values(a, b) != 0)
        case .less: return .bool(try Compare.values(a, b)! < 0)
        case .lessOrEqual: return .bool(try Compare.values(a, b)! <= 0)
        case .greater: return .bool(try Compare.values(a, b)! > 0)
        case .greaterOrEqual: return .bool(try Compare.values(a, b)! >= 0)
        case .add, .subtract, .multiply, .divide, .modulo, .power: return try arithmetic(op, a, b)
        case .concat: return try concatenate(a, b)
        case .bitAnd, .bitOr, .bitXor:
            guard case .int(let x) = a, case .int(let y) = b else { throw VireoError(.internalError, "\(op.rawValue) of non-integers") }
            return .int(op == .bitAnd ? x & y : op == .bitOr ? x | y : x ^ y)
        case .l2Distance, .negativeInnerProduct, .cosineDistance, .l1Distance: return try distance(op, a, b)
        case .hammingDistance: return .double(try BitString.hammingDistance(Cast.textForm(a), Cast.textForm(b)))
        case .jaccardDistance: return .double(try BitString.jaccardDistance(Cast.textForm(a), Cast.textForm(b)))
        case .jsonGet, .jsonGetText, .jsonPath, .jsonPathText, .contains, .containedBy, .hasKey, .hasAnyKey, .hasAllKeys:
            return try JSONOperators.apply(op, a, b)
        case .regexMatch, .regexMatchInsensitive, .regexNotMatch, .regexNotMatchInsensitive:
            return try RegexMatch.apply(op, Cast.textForm(a), Cast.textForm(b))
        case .textSearchMatch:
            return .bool(try TSQuery(parsing: Cast.textForm(b)).matches(TSVector(parsing: Cast.textForm(a))))
        case .like, .iLike, .notLike, .notILike:
            let matched = try LikePattern.matches(Cast.textForm(a), pattern: Cast.textForm(b), escape: nil,
                                                  caseInsensitive: op.isCaseInsensitiveLike)
            return .bool(matched != op.isNegatedLike)
        case .and, .or, .overlaps, .jsonPathExists, .deletePath, .shiftLeft, .shiftRight, .wordSimilar, .wordSimilarCommuted,
             .strictWordSimilar, .strictWordSimilarCommuted, .wordDistance, .wordDistanceCommuted, .strictWordDistance,
             .strictWordDistanceCommuted, .startsWith:
            throw VireoError(.internalError, "\(op.rawValue) reached the value operators")
        }
    }

    static func arithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)) where op != .power: return .int(try integers(op, x, y))
        case (.numeric, .numeric), (.numeric, .int), (.int, .numeric):
            return .numeric(try NumericMath.apply(op, exact(a)!, exact(b)!))
        case (.vector(let x), .vector(let y)): return .vector(try vectors(op, x, y))
        case (.timestamp(let x), .int(let y)) where op == .add || op == .subtract:
            // date ± days: an infinity stays one.
            return .timestamp(DateTime.isInfinite(x) ? x : try integers(op, x, y))
        case (.timestamp(let x), .timestamp(let y)) where op == .subtract:
            guard !DateTime.isInfinite(x) && !DateTime.isInfinite(y) else {
                throw VireoError(.datetimeFieldOverflow, "cannot subtract infinite dates")
            }
            return .int(try integers(.subtract, x, y))
        case (.timestamp(let x), .interval(let y)) where op == .add || op == .subtract:
            return .timestamp(try IntervalMath.add(x, op == .add ? y : try IntervalMath.negate(y)))
        case (.interval(let x), .interval(let y)) where op == .add || op == .subtract:
            return .interval(try IntervalMath.add(x, op == .add ? y : try IntervalMath.negate(y)))
        case (.interval(let x), _) where (op == .multiply || op == .divide) && number(b) != nil:
            return .interval(try IntervalMath.scale(x, by: number(b) ?? 1, dividing: op == .divide))
        default:
            guard let x = number(a), let y = number(b) else {
                throw VireoError(.typeMismatch, "operator does not exist: \(SQLType(of: a)) \(op.rawValue) \(SQLType(of: b))")
            }
            return .double(try doubles(op, x, y))
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        case .numeric(let number): number.double
        default: nil
        }
    }

    /// An integer or numeric value as an exact decimal; nil for other values.
    static func exact(_ value: Value) -> Numeric? {
        switch value {
        case .int(let number): Numeric(number)
        case .numeric(let number): number
        default: nil
        }
    }

    static func integers(_ op: BinaryOperator, _ x: Int64, _ y: Int64) throws -> Int64 {
        let (result, overflow): (Int64, Bool)
        switch op {
        case .add: (result, overflow) = x.addingReportingOverflow(y)
        case .subtract: (result, overflow) = x.subtractingReportingOverflow(y)
        case .multiply: (result, overflow) = x.multipliedReportingOverflow(by: y)
        case .divide, .modulo:
            guard y != 0 else { throw VireoError(.divisionByZero, "division by zero") }
            if y == -1 { return op == .divide ? try integers(.multiply, x, -1) : 0 }
            (result, overflow) = (op == .divide ? x / y : x % y, false)
        default: throw VireoError(.internalError, "not an integer operator: \(op.rawValue)")
        }
        if overflow { throw VireoError(.numericOutOfRange, "bigint out of range") }
        return result
    }

    /// Double arithmetic as PostgreSQL's float8 does it: an infinite result from finite
    /// operands is an overflow error, and a zero product or quotient of non-zero operands an
    /// underflow error; infinities and NaN given as operands pass through.
    static func doubles(_ op: BinaryOperator, _ x: Double, _ y: Double) throws -> Double {
        let result = try unchecked(op, x, y)
        if result.isInfinite && x.isFinite && y.isFinite {
            throw VireoError(.numericOutOfRange, "value out of range: overflow")
        }
        if result == 0 && x != 0 && (op == .multiply && y != 0 || op == .divide && y.isFinite) {
            throw VireoError(.numericOutOfRange, "value out of range: underflow")
        }
        return result
    }

    private static func unchecked(_ op: BinaryOperator, _ x: Double, _ y: Double) throws -> Double {
        switch op {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide:
            guard y != 0 else { throw VireoError(.divisionByZero, "division by zero") }
            return x / y
        case .modulo:
            guard y != 0 else { throw VireoError(.divisionByZero, "division by zero") }
            return x.truncatingRemainder(dividingBy: y)
        case .power:
            if x == 0 && y < 0 { throw VireoError(.invalidPowerArgument, "zero raised to a negative power is undefined") }
            if x < 0 && y.isFinite && y != y.rounded() {
                throw VireoError(.invalidPowerArgument, "a negative number raised to a non-integer power yields a complex result")
            }
            return pow(x, y)
        default: throw VireoError(.internalError, "not a numeric operator: \(op.rawValue)")
        }
    }

    static func vectors(_ op: BinaryOperator, _ x: [Float], _ y: [Float]) throws -> [Float] {
        switch op {
        case .add: return try VectorMath.elementwise(x, y, +)
        case .subtract: return try VectorMath.elementwise(x, y, -)
        case .multiply: return try VectorMath.elementwise(x, y, *)
        default: throw VireoError(.typeMismatch, "operator does not exist: vector \(op.rawValue) vector")
        }
    }

    static func concatenate(_ a: Value, _ b: Value) throws -> Value {
        if case .vector(let x) = a, case .vector(let y) = b {
            guard x.count + y.count <= VectorText.dimensionsMax else {
                throw VireoError(.limitExceeded, "vector cannot have more than \(VectorText.dimensionsMax) dimensions")
            }
            return .vector(x + y)
        }
        if case .bytes(let x) = a, case .bytes(let y) = b {
            var size = ResultSize(of: "||")
            size.add(x.count)
            size.add(y.count)
            try size.check()
            return .bytes(x + y)
        }
        if case .json(let x) = a, case .json(let y) = b { return .json(try JSONValue.concatenated(x, y).text) }
        return .text(try TextBuilding.joined([Cast.textForm(a), Cast.textForm(b)], builder: "||"))
    }

    static func distance(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        // The binder gives a distance with a sparsevec on either side two sparsevecs (texts).
        if case .text(let x) = a, case .text(let y) = b { return .double(try SparseVector(parsing: x).distance(op, SparseVector(parsing: y))) }
        guard case .vector(let x) = a, case .vector(let y) = b else {
            throw VireoError(.typeMismatch, "operator does not exist: \(SQLType(of: a)) \(op.rawValue) \(SQLType(of: b))")
        }
        switch op {
        case .l2Distance: return .double(try VectorMath.l2Distance(x, y))
        case .negativeInnerProduct: return .double(-(try VectorMath.innerProduct(x, y)))
        case .cosineDistance: return .double(try VectorMath.cosineDistance(x, y))
        default: return .double(try VectorMath.l1Distance(x, y))
        }
    }

    /// Unary minus and plus.
    public static func negate(_ value: Value) throws -> Value {
        switch value {
        case .null: return .null
        case .int(let number):
            guard number != .min else { throw VireoError(.numericOutOfRange, "bigint out of range") }
            return .int(-number)
        case .double(let number): return .double(-number)
        case .numeric(let number): return .numeric(number.negated)
        case .interval(let interval): return .interval(try IntervalMath.negate(interval))
        default: throw VireoError(.typeMismatch, "operator does not exist: - \(SQLType(of: value))")
        }
    }
}

/// The JSON operators.
enum JSONOperators {
    static func apply(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        guard case .json(let text) = a else {
            throw VireoError(.typeMismatch, "operator does not exist: \(SQLType(of: a)) \(op.rawValue) \(SQLType(of: b))")
        }
        let document = try JSONValue.jsonb(text)
        switch op {
        case .jsonGet: return document.field(b).map { .json($0.text) } ?? .null
        case .jsonGetText: return document.field(b)?.unquotedText.map { .text($0) } ?? .null
        case .jsonPath, .jsonPathText:
            var current: JSONValue? = document
            for key in try pathKeys(b) { current = current?.field(key) }
            guard let found = current else { return .null }
            return op == .jsonPath ? .json(found.text) : (found.unquotedText.map { .text($0) } ?? .null)
        case .contains: return .bool(document.contains(try JSONValue.jsonb(Cast.textForm(b))))
        case .containedBy: return .bool(try JSONValue.jsonb(Cast.textForm(b)).contains(document))
        case .hasKey: return .bool(document.hasKey(Cast.textForm(b)))
        case .hasAnyKey, .hasAllKeys:
            let keys = try pathKeys(b).map { Cast.textForm($0) }
            return .bool(op == .hasAnyKey ? keys.contains(where: document.hasKey) : keys.allSatisfy(document.hasKey))
        default: throw VireoError(.internalError, "not a JSON operator: \(op.rawValue)")
        }
    }

    /// A text array literal `{a,b,1}` as keys (numbers become array indexes).
    static func pathKeys(_ value: Value) throws -> [Value] {
        let text = Cast.textForm(value).trimmingCharacters(in: CharacterSet(charactersIn: "{} "))
        return text.isEmpty ? [] : text.split(separator: ",").map { part in
            let key = part.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            return Int64(key).map(Value.int) ?? .text(key)
        }
    }
}
