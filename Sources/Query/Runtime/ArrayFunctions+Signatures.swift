import VireoStorage

/// The array functions by name, with the shapes the binder resolves their polymorphic
/// arguments by (Binder+Arrays.swift).
extension ArrayFunctions {
    /// A function's shape: which arguments are the array, which an element, and how to make
    /// the function for a given array type.
    struct Signature: Sendable {
        var arity: ClosedRange<Int>
        var arrayPositions: Set<Int>
        var elementPositions: Set<Int> = []
        /// The type of the other arguments, by position (integer positions, text delimiters).
        var others: [Int: SQLType] = [:]
        /// Whether a call of another arity is a scalar function of the same name
        /// (width_bucket's four-argument form), not an error.
        var sharesName = false
        var make: @Sendable (SQLType) -> ScalarFunction

        func otherType(_ position: Int) -> SQLType { others[position] ?? .text }
    }

    static let signatures: [String: Signature] = [
        "array_length": Signature(arity: 2...2, arrayPositions: [0], others: [1: .integer]) { _ in
            ScalarFunction("array_length", 2...2, [], returns: .integer) { dimension($0) { .int(Int64($0)) } }
        },
        "array_upper": Signature(arity: 2...2, arrayPositions: [0], others: [1: .integer]) { _ in
            ScalarFunction("array_upper", 2...2, [], returns: .integer) { dimension($0) { .int(Int64($0)) } }
        },
        "array_lower": Signature(arity: 2...2, arrayPositions: [0], others: [1: .integer]) { _ in
            ScalarFunction("array_lower", 2...2, [], returns: .integer) { dimension($0) { _ in .int(1) } }
        },
        "cardinality": Signature(arity: 1...1, arrayPositions: [0]) { _ in
            ScalarFunction("cardinality", 1...1, [], returns: .integer) { .int(Int64(elements($0[0])?.count ?? 0)) }
        },
        "array_ndims": Signature(arity: 1...1, arrayPositions: [0]) { _ in
            ScalarFunction("array_ndims", 1...1, [], returns: .integer) { arguments in
                let count = arguments[0].arrayDimensions.count
                return count > 0 ? .int(Int64(count)) : .null
            }
        },
        "array_dims": Signature(arity: 1...1, arrayPositions: [0]) { _ in
            ScalarFunction("array_dims", 1...1, [], returns: .text) { arguments in
                let dimensions = arguments[0].arrayDimensions
                return dimensions.isEmpty ? .null : .text(dimensions.map { "[1:\($0)]" }.joined())
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
        // width_bucket(operand, thresholds): how many of the sorted thresholds are at most the operand.
        "width_bucket": Signature(arity: 2...2, arrayPositions: [1], elementPositions: [0], sharesName: true) { _ in
            ScalarFunction("width_bucket", 2...2, [], returns: .integer) { arguments in
                guard arguments[1].arrayDimensions.count <= 1 else {
                    throw VireoError(.arraySubscriptError, "thresholds must be one-dimensional array")
                }
                let thresholds = elements(arguments[1]) ?? []
                guard !thresholds.contains(where: \.isNull) else {
                    throw VireoError(.nullValueNotAllowed, "thresholds array must not contain NULLs")
                }
                var (low, high) = (0, thresholds.count)
                while low < high {
                    let middle = (low + high) / 2
                    guard let order = try Compare.values(arguments[0], thresholds[middle]) else { return .null }
                    if order < 0 { high = middle } else { low = middle + 1 }
                }
                return .int(Int64(low))
            }
        },
        "array_append": Signature(arity: 2...2, arrayPositions: [0], elementPositions: [1]) { append($0) },
        "array_prepend": Signature(arity: 2...2, arrayPositions: [1], elementPositions: [0]) { prepend($0) },
        "array_cat": Signature(arity: 2...2, arrayPositions: [0, 1]) { concatenate($0) },
        "array_position": Signature(arity: 2...3, arrayPositions: [0], elementPositions: [1], others: [2: .integer]) { _ in
            ScalarFunction("array_position", 2...3, [], strict: false, returns: .integer) { arguments in
                guard let items = try searchable(arguments[0]) else { return .null }
                if arguments.count > 2, arguments[2].isNull {
                    throw VireoError(.nullValueNotAllowed, "initial position must not be null")
                }
                let start = arguments.count > 2 ? Int(clamping: integer(arguments[2]) ?? 1) : 1
                for index in max(start, 1)...max(items.count, max(start, 1)) where index <= items.count {
                    if try !Evaluator.isDistinct(items[index - 1], arguments[1]) { return .int(Int64(index)) }
                }
                return .null
            }
        },
        "array_positions": Signature(arity: 2...2, arrayPositions: [0], elementPositions: [1]) { _ in
            ScalarFunction("array_positions", 2...2, [], strict: false, returns: .array(.integer)) { arguments in
                guard let items = try searchable(arguments[0]) else { return .null }
                return .array(try items.indices.filter { try !Evaluator.isDistinct(items[$0], arguments[1]) }.map { .int(Int64($0 + 1)) })
            }
        },
        "array_remove": Signature(arity: 2...2, arrayPositions: [0], elementPositions: [1]) { type in
            ScalarFunction("array_remove", 2...2, [], strict: false, returns: type) { arguments in
                guard case .array(let items) = arguments[0] else { return .null }
                guard arguments[0].arrayDimensions.count <= 1 else {
                    throw VireoError(.featureNotSupported, "removing elements from multidimensional arrays is not supported")
                }
                return .array(try items.filter { try Evaluator.isDistinct($0, arguments[1]) })
            }
        },
        "array_replace": Signature(arity: 3...3, arrayPositions: [0], elementPositions: [1, 2]) { type in
            ScalarFunction("array_replace", 3...3, [], strict: false, returns: type) { arguments in
                guard arguments[0].isArray else { return .null }
                return try arguments[0].mappingArrayLeaves { try Evaluator.isDistinct($0, arguments[1]) ? $0 : arguments[2] }
            }
        },
        "array_fill": Signature(arity: 2...3, arrayPositions: [], elementPositions: [0], others: [1: .array(.integer), 2: .array(.integer)]) { type in
            ScalarFunction("array_fill", 2...3, [], strict: false, returns: type) { try filled($0) }
        },
        "trim_array": Signature(arity: 2...2, arrayPositions: [0], others: [1: .integer]) { type in
            ScalarFunction("trim_array", 2...2, [], returns: type) { arguments in
                guard case .array(let rows) = arguments[0], let count = integer(arguments[1]) else { return .null }
                guard count >= 0, count <= rows.count else {
                    throw VireoError(.arraySubscriptError, "number of elements to trim must be between 0 and \(rows.count)")
                }
                return .array(Array(rows.dropLast(Int(count))))
            }
        },
    ]

    /// The elements array_position(s) searches: a one-dimensional array's (0A000 for more).
    static func searchable(_ array: Value) throws -> [Value]? {
        guard case .array(let items) = array else { return nil }
        guard array.arrayDimensions.count <= 1 else {
            throw VireoError(.featureNotSupported, "searching for elements in multidimensional arrays is not supported")
        }
        return items
    }

    /// array_fill(value, dimensions [, lower bounds]): an array of that shape holding `value`.
    /// Lower bounds other than 1 are refused (Value+Array.swift).
    static func filled(_ arguments: [Value]) throws -> Value {
        guard let lengths = elements(arguments[1]), arguments.count < 3 || !arguments[2].isNull else {
            throw VireoError(.nullValueNotAllowed, "dimension array or low bound array cannot be null")
        }
        let lowers = arguments.count > 2 ? elements(arguments[2]) ?? [] : lengths.map { _ in .int(1) }
        guard lengths.count == lowers.count else {
            throw VireoError(.arraySubscriptError, "wrong number of array subscripts",
                             detail: "Low bound array has different size than dimensions array.")
        }
        guard lengths.count <= ArrayText.dimensionsMax else { throw ArrayText.tooManyDimensions(lengths.count) }
        let sizes = try zip(lengths, lowers).map { length, lower -> Int in
            guard let size = integer(length), let first = integer(lower) else {
                throw VireoError(.nullValueNotAllowed, "dimension values cannot be null")
            }
            guard first == 1 else { throw VireoError(.featureNotSupported, "array lower bounds other than 1 are not supported") }
            return try checkedSize(size)
        }
        let total = try sizes.reduce(1) { product, size in try checkedSize(Int64(product) * Int64(size)) }
        return .shapedArray(repeatElement(arguments[0], count: total), dimensions: sizes)
    }

    /// PostgreSQL's MaxArraySize (54000 beyond it, and for a negative length).
    private static func checkedSize(_ size: Int64) throws -> Int {
        let sizeMax: Int64 = 134_217_727
        guard size >= 0, size <= sizeMax else {
            throw VireoError(.limitExceeded, "array size exceeds the maximum allowed (\(sizeMax))")
        }
        return Int(size)
    }
}

private extension Value {
    /// array_to_string prints booleans as `t`/`f`, as their text output does.
    var boolText: String? {
        if case .bool(let flag) = self { return flag ? "t" : "f" }
        return nil
    }
}
