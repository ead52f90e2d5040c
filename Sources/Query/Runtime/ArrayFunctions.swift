import VireoStorage

/// The array operations as PostgreSQL defines them for one-dimensional arrays with lower
/// bound 1. The binder picks the element type; these work on values.
enum ArrayFunctions {
    /// `ARRAY[a, b, …]`: NULL elements stay elements.
    static let construct = ScalarFunction("array", 0...Int.max, [], strict: false, returns: .unknown) { .array($0) }

    /// The operators allowed before ANY/ALL.
    static let quantifiable: Set<BinaryOperator> = [
        .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual,
        .regexMatch, .regexMatchInsensitive, .regexNotMatch, .regexNotMatchInsensitive,
    ]

    /// `x op ANY (a)` is true when some element gives true, NULL when none does but one gives
    /// NULL, else false (so false for an empty array); ALL is the dual.
    static func quantified(_ op: BinaryOperator, _ value: Value, _ array: Value, all: Bool) throws -> Value {
        guard case .array(let elements) = array else { return .null }
        var sawNull = false
        for element in elements {
            switch try Operators.apply(op, value, element) {
            case .bool(let result) where result != all: return .bool(result)
            case .null: sawNull = true
            default: continue
            }
        }
        return sawNull ? .null : .bool(all)
    }

    /// `a[i]`: NULL outside 1…count.
    static func element(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_element", 2...2, [], returns: type) { arguments in
            guard case .array(let elements) = arguments[0], case .int(let index) = arguments[1] else { return .null }
            return index >= 1 && index <= Int64(elements.count) ? elements[Int(index - 1)] : .null
        }
    }

    /// `a[lower:upper]`, either bound NULL meaning the array's own; clipped to the array.
    static func slice(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_slice", 3...3, [], strict: false, returns: type) { arguments in
            guard case .array(let elements) = arguments[0] else { return .null }
            let lower = max(integer(arguments[1]) ?? 1, 1)
            let upper = min(integer(arguments[2]) ?? Int64(elements.count), Int64(elements.count))
            return .array(lower <= upper ? Array(elements[Int(lower - 1)..<Int(upper)]) : [])
        }
    }

    static func append(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_append", 2...2, [], strict: false, returns: type) { arguments in
            guard case .array(let elements) = arguments[0] else { return .array([arguments[1]]) }
            return .array(elements + [arguments[1]])
        }
    }

    static func prepend(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_prepend", 2...2, [], strict: false, returns: type) { arguments in
            guard case .array(let elements) = arguments[1] else { return .array([arguments[0]]) }
            return .array([arguments[0]] + elements)
        }
    }

    /// `a || b` and array_cat: NULL on one side gives the other.
    static func concatenate(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_cat", 2...2, [], strict: false, returns: type) { arguments in
            switch (arguments[0], arguments[1]) {
            case (.array(let x), .array(let y)): .array(x + y)
            case (.null, let other), (let other, .null): other
            default: .null
            }
        }
    }

    /// `a @> b`: every element of b equals some element of a (a NULL element matches nothing).
    static let contains = ScalarFunction("array_contains", 2...2, [], returns: .bool) { arguments in
        guard case .array(let x) = arguments[0], case .array(let y) = arguments[1] else { return .null }
        let present = Set(x.filter { !$0.isNull }.map(GroupKey.init))
        return .bool(y.allSatisfy { !$0.isNull && present.contains(GroupKey($0)) })
    }

    /// `a && b`: some non-NULL element in both.
    static let overlaps = ScalarFunction("array_overlaps", 2...2, [], returns: .bool) { arguments in
        guard case .array(let x) = arguments[0], case .array(let y) = arguments[1] else { return .null }
        let present = Set(x.filter { !$0.isNull }.map(GroupKey.init))
        return .bool(y.contains { !$0.isNull && present.contains(GroupKey($0)) })
    }

    static func integer(_ value: Value) -> Int64? {
        if case .int(let number) = value { return number }
        return nil
    }

    static func elements(_ value: Value) -> [Value]? {
        if case .array(let elements) = value { return elements }
        return nil
    }

    /// string_to_array's and string_to_table's parts of `text`: each character for a NULL
    /// delimiter, the whole text for an empty one, none of an empty text; a part equal to
    /// `nullText` is NULL. nil for a NULL text.
    static func split(_ text: Value, by delimiter: Value, nullText: String?) -> [Value]? {
        guard case .text(let text) = text else { return nil }
        let parts: [String]
        switch delimiter {
        case .null: parts = text.map { String($0) }
        case .text(let delimiter) where delimiter.isEmpty: parts = text.isEmpty ? [] : [text]
        case .text(let delimiter): parts = text.isEmpty ? [] : text.components(separatedBy: delimiter)
        default: return nil
        }
        return parts.map { $0 == nullText ? .null : .text($0) }
    }

    /// Only dimension 1 exists; PostgreSQL answers NULL for others and for empty arrays.
    static func firstDimension(_ arguments: [Value], _ answer: (Int) -> Value) -> Value {
        guard let elements = elements(arguments[0]), integer(arguments[1]) == 1, !elements.isEmpty else { return .null }
        return answer(elements.count)
    }

    /// A function's shape: which arguments are the array, which an element, and how to make
    /// the function for a given array type.
    struct Signature: Sendable {
        var arity: ClosedRange<Int>
        var arrayPositions: Set<Int>
        var elementPositions: Set<Int> = []
        /// The type of the other arguments, by position (integer positions, text delimiters).
        var others: [Int: SQLType] = [:]
        var make: @Sendable (SQLType) -> ScalarFunction

        func otherType(_ position: Int) -> SQLType { others[position] ?? .text }
    }

    static let signatures: [String: Signature] = [
        "array_length": Signature(arity: 2...2, arrayPositions: [0], others: [1: .integer]) { _ in
            ScalarFunction("array_length", 2...2, [], returns: .integer) { firstDimension($0) { .int(Int64($0)) } }
        },
        "array_upper": Signature(arity: 2...2, arrayPositions: [0], others: [1: .integer]) { _ in
            ScalarFunction("array_upper", 2...2, [], returns: .integer) { firstDimension($0) { .int(Int64($0)) } }
        },
        "array_lower": Signature(arity: 2...2, arrayPositions: [0], others: [1: .integer]) { _ in
            ScalarFunction("array_lower", 2...2, [], returns: .integer) { firstDimension($0) { _ in .int(1) } }
        },
        "cardinality": Signature(arity: 1...1, arrayPositions: [0]) { _ in
            ScalarFunction("cardinality", 1...1, [], returns: .integer) { .int(Int64(elements($0[0])?.count ?? 0)) }
        },
        "array_ndims": Signature(arity: 1...1, arrayPositions: [0]) { _ in
            ScalarFunction("array_ndims", 1...1, [], returns: .integer) { elements($0[0])?.isEmpty == false ? .int(1) : .null }
        },
        "array_dims": Signature(arity: 1...1, arrayPositions: [0]) { _ in
            ScalarFunction("array_dims", 1...1, [], returns: .text) { arguments in
                guard let count = elements(arguments[0])?.count, count > 0 else { return .null }
                return .text("[1:\(count)]")
            }
        },
        "array_to_string": Signature(arity: 2...3, arrayPositions: [0]) { type in
            ScalarFunction("array_to_string", 2...3, [], strict: false, returns: .text) { arguments in
                guard let items = elements(arguments[0]), case .text(let delimiter) = arguments[1] else { return .null }
                let nullText: String? = arguments.count > 2 ? arguments[2].text : nil
                let parts = items.compactMap { item -> String? in
                    item.isNull ? nullText : item.text(as: type.elementType ?? .text).map { item.boolText ?? $0 }
                }
                return .text(parts.joined(separator: delimiter))
            }
        },
        "string_to_array": Signature(arity: 2...3, arrayPositions: []) { _ in
            ScalarFunction("string_to_array", 2...3, [], strict: false, returns: .array(.text)) { arguments in
                split(arguments[0], by: arguments[1], nullText: arguments.count > 2 ? arguments[2].text : nil).map(Value.array) ?? .null
            }
        },
        "array_append": Signature(arity: 2...2, arrayPositions: [0], elementPositions: [1]) { append($0) },
        "array_prepend": Signature(arity: 2...2, arrayPositions: [1], elementPositions: [0]) { prepend($0) },
        "array_cat": Signature(arity: 2...2, arrayPositions: [0, 1]) { concatenate($0) },
        "array_position": Signature(arity: 2...3, arrayPositions: [0], elementPositions: [1], others: [2: .integer]) { _ in
            ScalarFunction("array_position", 2...3, [], strict: false, returns: .integer) { arguments in
                guard let items = elements(arguments[0]) else { return .null }
                let start = arguments.count > 2 ? Int(integer(arguments[2]) ?? 1) : 1
                for index in max(start, 1)...max(items.count, max(start, 1)) where index <= items.count {
                    if try !Evaluator.isDistinct(items[index - 1], arguments[1]) { return .int(Int64(index)) }
                }
                return .null
            }
        },
        "array_positions": Signature(arity: 2...2, arrayPositions: [0], elementPositions: [1]) { _ in
            ScalarFunction("array_positions", 2...2, [], strict: false, returns: .array(.integer)) { arguments in
                guard let items = elements(arguments[0]) else { return .null }
                return .array(try items.indices.filter { try !Evaluator.isDistinct(items[$0], arguments[1]) }.map { .int(Int64($0 + 1)) })
            }
        },
        "array_remove": Signature(arity: 2...2, arrayPositions: [0], elementPositions: [1]) { type in
            ScalarFunction("array_remove", 2...2, [], strict: false, returns: type) { arguments in
                guard let items = elements(arguments[0]) else { return .null }
                return .array(try items.filter { try Evaluator.isDistinct($0, arguments[1]) })
            }
        },
        "array_replace": Signature(arity: 3...3, arrayPositions: [0], elementPositions: [1, 2]) { type in
            ScalarFunction("array_replace", 3...3, [], strict: false, returns: type) { arguments in
                guard let items = elements(arguments[0]) else { return .null }
                return .array(try items.map { try Evaluator.isDistinct($0, arguments[1]) ? $0 : arguments[2] })
            }
        },
    ]
}

private extension Value {
    /// array_to_string prints booleans as `t`/`f`, as their text output does.
    var boolText: String? {
        if case .bool(let flag) = self { return flag ? "t" : "f" }
        return nil
    }
}
