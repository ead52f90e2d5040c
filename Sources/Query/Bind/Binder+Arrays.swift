import VireoStorage

/// Binding of arrays: constructors, subscripts, ANY/ALL, the array operators and the
/// array functions. Their element types are worked out here, as PostgreSQL resolves its
/// polymorphic `anyarray`/`anyelement` signatures, so the runtime functions stay simple.
extension Binder {
    /// `ARRAY[a, b, …]`: the elements' common type (text when all are untyped literals).
    /// Array elements (`ARRAY[ARRAY[1,2], ARRAY[3,4]]`, `ARRAY[[1,2],[3,4]]`) make an array
    /// of one dimension more, of the same type.
    func arrayConstructor(_ elements: [SQLExpression], _ scope: Scope) throws -> Typed {
        let items = try elements.map { try bind($0, scope) }
        if items.isEmpty {
            throw VireoError(.indeterminateDatatype, "cannot determine type of empty array",
                             hint: "Explicitly cast to the desired type, for example ARRAY[]::integer[].")
        }
        if let arrayType = items.lazy.map(\.type).first(where: { $0.elementType != nil }) {
            let common = SQLType.common(items.map(\.type))
            let type = common.elementType != nil ? common : arrayType
            let bound = try items.map { item -> BoundExpression in
                guard item.type == .unknown || item.type.elementType != nil else {
                    throw VireoError(.typeMismatch, "ARRAY types \(item.type) and \(type) cannot be matched")
                }
                return try convert(item, to: type)
            }
            return (.function(ArrayFunctions.constructStacked, bound), type)
        }
        let common = SQLType.common(items.map(\.type))
        let element = common == .unknown ? SQLType.text : common
        let bound = try items.map { try convert($0, to: element) }
        return (.function(ArrayFunctions.construct, bound), .array(element))
    }

    /// One `[i]` or `[lower:upper]` of a chain of subscripts.
    private typealias Subscript = (lower: SQLExpression?, upper: SQLExpression?, isSlice: Bool)

    /// `a[i][j]…` (an element, NULL when out of range) or `a[l:u][l:u]…` (an array: when any
    /// subscript is a slice, all are, a plain `[n]` meaning `[1:n]` as in PostgreSQL).
    func subscripted(_ array: SQLExpression, _ lower: SQLExpression?, _ upper: SQLExpression?, isSlice: Bool,
                     _ scope: Scope) throws -> Typed {
        var subscripts: [Subscript] = [(lower, upper, isSlice)]
        var base = array
        while case .subscripted(let inner, let lower, let upper, let isSlice) = base {
            subscripts.insert((lower, upper, isSlice), at: 0)
            base = inner
        }
        let value = try bind(base, scope)
        if value.type == .name, subscripts.count == 1, !isSlice, let lower {
            // A name is a fixed array of bytes in PostgreSQL: `typname[0]` is its first, a "char".
            return (.function(Self.nameByte, [value.expression, try convert(bind(lower, scope), to: .int)]), .internalChar)
        }
        guard let element = value.type.elementType else {
            throw VireoError(.typeMismatch, "cannot subscript type \(value.type) because it does not support subscripting")
        }
        if subscripts.count > ArrayText.dimensionsMax {
            throw VireoError(.limitExceeded, "number of array dimensions (\(subscripts.count)) exceeds the maximum allowed (\(ArrayText.dimensionsMax))")
        }
        let index = { (bound: SQLExpression) throws -> BoundExpression in
            let index = try self.convert(self.bind(bound, scope), to: .int)
            // An int2vector's subscripts start at 0.
            return value.type == .int2vector ? .binary(.add, index, .constant(.int(1))) : index
        }
        guard subscripts.contains(where: \.isSlice) else {
            let indexes = try subscripts.map { try index($0.lower ?? .literal(.null)) }
            return (.function(ArrayFunctions.element(element), [value.expression] + indexes), element)
        }
        let shapes = subscripts.map { item -> ArrayFunctions.SliceBound in
            item.isSlice ? .range(lower: item.lower != nil, upper: item.upper != nil) : .upperOnly
        }
        let bounds = try subscripts.flatMap { item in try [item.lower, item.upper].compactMap { try $0.map(index) } }
        return (.function(ArrayFunctions.slice(value.type, shapes), [value.expression] + bounds), value.type)
    }

    /// The byte of a name at a 0-based position (empty past its end, as PostgreSQL's NUL padding prints).
    static let nameByte = ScalarFunction("name_subscript", 2...2, [.name, .int], returns: .internalChar) { arguments in
        guard case .text(let name) = arguments[0], case .int(let position) = arguments[1] else { return .null }
        let bytes = Array(name.utf8)
        return .text(position >= 0 && position < bytes.count ? String(decoding: [bytes[Int(position)]], as: UTF8.self) : "")
    }

    /// `x op ANY|ALL (array or subquery)`: an untyped side takes the other side's type.
    func quantified(_ op: BinaryOperator, _ operand: SQLExpression, _ source: QuantifiedOperand, all: Bool,
                    _ scope: Scope) throws -> Typed {
        guard ArrayFunctions.quantifiable.contains(op) else {
            let arithmetic: Set<BinaryOperator> = [.add, .subtract, .multiply, .divide, .modulo, .power, .bitAnd, .bitOr, .bitXor, .shiftLeft, .shiftRight]
            if arithmetic.contains(op) {
                throw VireoError(.wrongObjectType, "op ANY/ALL (array) requires operator to yield boolean")
            }
            throw VireoError(.featureNotSupported, "\(op.rawValue) \(all ? "ALL" : "ANY") (…) is not supported")
        }
        var left = try bind(operand, scope)
        let array: Typed
        switch source {
        case .subquery(let query):
            let (subquery, type) = try bindSubquery(query, scope, columnsMax: 1)
            array = (.arraySubquery(subquery), .array(type))
        case .array(let expression):
            array = try bind(expression, scope)
        }
        var element = array.type.elementType ?? .unknown
        if array.type != .unknown && array.type.elementType == nil {
            throw VireoError(.wrongObjectType, "op ANY/ALL (array) requires array on right side")
        }
        if left.type == .unknown && element != .unknown { left = (try coerce(left, to: element), element) }
        if element == .unknown { element = left.type == .unknown ? .text : left.type }
        if left.type == .unknown { left = (try coerce(left, to: element), element) }
        let right = try coerce(array, to: .array(element))
        let comparable = left.type == element || (left.type.isNumeric && element.isNumeric) || (left.type.isText && element.isText)
            || (left.type.isDateTime && element.isDateTime) || (left.type.isVector && element.isVector) || op.isTextPattern
        guard comparable else {
            throw VireoError.undefinedOperator("\(left.type) \(op.rawValue) \(element)")
        }
        let leftExpression = op.isTextPattern ? try convert(left, to: .text) : left.expression
        return (.quantified(op, leftExpression, right, all: all), .bool)
    }

    /// `||`, `@>`, `<@` and `&&` with an array on either side; nil when neither side is one.
    func arrayOperator(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        guard a.type.elementType != nil || b.type.elementType != nil else { return nil }
        switch op {
        case .concat:
            // array || array, array || element, element || array; an untyped literal is an
            // array (`tags || 'z'` reads 'z' as text[], as PostgreSQL resolves it).
            if let element = a.type.elementType, b.type.elementType == nil, b.type != .unknown {
                if b.type != element, !(b.type.isNumeric && element.isNumeric) {
                    throw VireoError.undefinedOperator("\(a.type) || \(b.type)")
                }
                return (.function(ArrayFunctions.append(a.type), [a.expression, try convert(b, to: element)]), a.type)
            }
            if let element = b.type.elementType, a.type.elementType == nil, a.type != .unknown {
                if a.type != element, !(a.type.isNumeric && element.isNumeric) {
                    throw VireoError.undefinedOperator("\(a.type) || \(b.type)")
                }
                return (.function(ArrayFunctions.prepend(b.type), [try convert(a, to: element), b.expression]), b.type)
            }
            let (x, y) = try sameArrays(a, b, op)
            return (.function(ArrayFunctions.concatenate(x.type), [x.expression, y.expression]), x.type)
        case .contains, .containedBy, .overlaps:
            let (x, y) = try sameArrays(a, b, op)
            let arguments = op == .containedBy ? [y.expression, x.expression] : [x.expression, y.expression]
            return (.function(op == .overlaps ? ArrayFunctions.overlaps : ArrayFunctions.contains, arguments), .bool)
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            let (x, y) = try sameArrays(a, b, op)
            return (.binary(op, x.expression, y.expression), .bool)
        default:
            throw VireoError.undefinedOperator("\(a.type) \(op.rawValue) \(b.type)")
        }
    }

    /// Two array operands of one type: an untyped side takes the other's. Arrays of
    /// different element types do not meet (int[] = bigint[] is 42883, as in PostgreSQL).
    private func sameArrays(_ a: Typed, _ b: Typed, _ op: BinaryOperator) throws -> (Typed, Typed) {
        let (x, y) = try unify(a, b)
        guard x.type.elementType != nil, x.type == y.type else {
            throw VireoError.undefinedOperator("\(x.type) \(op.rawValue) \(y.type)")
        }
        return (x, y)
    }

    /// The array functions; nil when `name` is not one.
    func arrayFunction(_ name: String, _ arguments: [Typed]) throws -> Typed? {
        guard let signature = ArrayFunctions.signatures[name] else { return nil }
        guard signature.arity.contains(arguments.count) else {
            if signature.sharesName { return nil }
            throw VireoError(.undefinedFunction, "function \(name)(\(arguments.count) arguments) does not exist")
        }
        // The array argument decides the element type; an untyped one takes the element's.
        let arrayType: SQLType
        if let typed = signature.arrayPositions.sorted().lazy.filter(arguments.indices.contains)
            .compactMap({ arguments[$0].type.elementType.map(SQLType.array) }).first {
            arrayType = typed
        } else if signature.elementPositions.isEmpty {
            arrayType = .array(.text)
        } else {
            let elementType = signature.elementPositions.lazy.compactMap { arguments.indices.contains($0) ? arguments[$0].type : nil }
                .first { $0 != .unknown }
            guard let elementType else {
                throw VireoError(.indeterminateDatatype, "could not determine polymorphic type because input has type unknown")
            }
            arrayType = .array(elementType)
        }
        let element = arrayType.elementType ?? .text
        let bound = try arguments.enumerated().map { position, argument -> BoundExpression in
            if signature.arrayPositions.contains(position) {
                if argument.type != .unknown && argument.type.elementType == nil {
                    throw VireoError(.undefinedFunction, "function \(name)(\(argument.type)) does not exist",
                                     hint: "No function matches the given name and argument types. You might need to add explicit type casts.")
                }
                return try convert(argument, to: arrayType)
            }
            if signature.elementPositions.contains(position) { return try convert(argument, to: element) }
            return try convert(argument, to: signature.otherType(position))
        }
        let function = signature.make(arrayType)
        return (.function(function, bound), function.resultType([arrayType]))
    }

    /// `num_nulls(VARIADIC array)` and `num_nonnulls(VARIADIC array)`: the array's elements
    /// counted (NULL for a NULL array), as PostgreSQL counts a variadic "any" array. Other
    /// functions do not take VARIADIC yet.
    func variadicCall(_ call: FunctionCall, _ scope: Scope) throws -> Typed {
        guard call.name == "num_nulls" || call.name == "num_nonnulls" else {
            throw VireoError(.featureNotSupported, "VARIADIC is supported only in num_nulls and num_nonnulls")
        }
        guard call.arguments.count == 1 else {
            throw VireoError.undefinedFunction(call.name, try call.arguments.map { "\(try bind($0, scope).type)" })
        }
        var argument = try bind(call.arguments[0], scope)
        if argument.type == .unknown { argument = (try coerce(argument, to: .array(.text)), .array(.text)) }
        guard argument.type.elementType != nil else {
            throw VireoError(.typeMismatch, "VARIADIC argument must be an array")
        }
        let countsNulls = call.name == "num_nulls"
        let counting = ScalarFunction(call.name + " variadic", 1...1, [argument.type], returns: .integer) { arguments in
            guard let elements = ArrayFunctions.elements(arguments[0]) else { return .null }
            return .int(Int64(elements.filter { $0.isNull == countsNulls }.count))
        }
        return (.function(counting, [argument.expression]), .integer)
    }
}

extension BinaryOperator {
    var isRegexMatch: Bool {
        self == .regexMatch || self == .regexMatchInsensitive || self == .regexNotMatch || self == .regexNotMatchInsensitive
    }

    /// A regular expression or LIKE operator: text on both sides.
    var isTextPattern: Bool { isRegexMatch || isLike }

    var isLike: Bool { self == .like || self == .iLike || self == .notLike || self == .notILike }
    var isCaseInsensitiveLike: Bool { self == .iLike || self == .notILike }
    var isNegatedLike: Bool { self == .notLike || self == .notILike }
}
