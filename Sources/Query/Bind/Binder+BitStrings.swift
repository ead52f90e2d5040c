import VireoStorage

/// Binding of the bit-string operators and functions (`&`, `|`, `#`, `~`, `<<`, `>>`,
/// get_bit, set_bit, bit_count, length, substring, position, overlay), as PostgreSQL
/// resolves them for `bit` and `bit varying`: an untyped literal beside a bit string is one,
/// and the results are `bit`. Bit strings are `.text` values of their digits (BitString.swift),
/// so the text functions that cut and search them serve as they are.
extension Binder {
    /// A bitwise operator with a bit string on either side; nil when neither side is one.
    func bitStringOperator(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        guard a.type.isBit || b.type.isBit else { return nil }
        let bit = SQLType.bit(nil, varying: false)
        func operand(_ typed: Typed) throws -> BoundExpression {
            guard typed.type.isBit || typed.type == .unknown else {
                throw VireoError.undefinedOperator("\(a.type) \(op.rawValue) \(b.type)")
            }
            return try coerce(typed, to: typed.type == .unknown ? bit : typed.type)
        }
        switch op {
        case .shiftLeft, .shiftRight:
            guard b.type.isInteger || b.type == .unknown else { throw VireoError.undefinedOperator("\(a.type) \(op.rawValue) \(b.type)") }
            let count = try convert(b, to: .integer)
            return (.function(BitString.shift(left: op == .shiftLeft), [try operand(a), count]), bit)
        default:
            return (.function(BitString.bitwise(op), [try operand(a), try operand(b)]), bit)
        }
    }

    /// Prefix `~`: every bit of a bit string or of an integer flipped. An untyped literal
    /// could be either (42725, as PostgreSQL finds no best candidate).
    func bitNot(_ operand: Typed) throws -> Typed {
        if operand.type.isBit { return (.function(BitString.not, [operand.expression]), .bit(nil, varying: false)) }
        if operand.type == .unknown {
            throw VireoError(.ambiguousFunction, "operator is not unique: ~ unknown",
                             hint: "Could not choose a best candidate operator. You might need to add explicit type casts.")
        }
        let type = operand.type
        guard type.isInteger, type != .oid else { throw VireoError.undefinedOperator("~ \(operand.type)") }
        // ~x is -x - 1 in two's complement, in x's own width (no overflow is possible).
        let flipped = BoundExpression.binary(.bitXor, try coerce(operand, to: type), .constant(.int(-1)))
        return (flipped, type)
    }

    /// The functions PostgreSQL defines on bit strings, when the first argument is one; nil
    /// otherwise (text and bytea have their own).
    func bitStringFunction(_ name: String, _ arguments: [Typed]) throws -> Typed? {
        guard let first = arguments.first, first.type.isBit else { return nil }
        let rest = { (types: [SQLType]) throws -> [BoundExpression] in
            try zip(arguments.dropFirst(), types).map { try self.convert($0, to: $1) }
        }
        let bit = SQLType.bit(nil, varying: false)
        if let measure = BitString.measures[name], measure.arity.contains(arguments.count) {
            let bound = [first.expression] + (try rest([.integer, .integer]))
            return (.function(measure, bound), measure.resultType([]))
        }
        switch (name, arguments.count) {
        case ("substring", 2...3):
            let function = try ScalarFunction.lookup("substring", argumentCount: arguments.count)
            return (.function(function, [first.expression] + (try rest([.int, .int]))), bit)
        case ("position", 2):
            return (.function(BitString.position, [first.expression] + (try rest([bit]))), .integer)
        case ("overlay", 3...4):
            let function = try ScalarFunction.lookup(name, argumentCount: arguments.count)
            return (.function(function, [first.expression] + (try rest([bit, .int, .int]))), bit)
        default: return nil
        }
    }
}
