import VireoStorage

/// The array operations as PostgreSQL defines them, on arrays of any dimensions with lower
/// bound 1 (nested `.array` values, Value+Array.swift). The binder picks the element type;
/// these work on values.
enum ArrayFunctions {
    /// `ARRAY[a, b, …]`: NULL elements stay elements.
    static let construct = ScalarFunction("array", 0...Int.max, [], strict: false, returns: .unknown) { .array($0) }

    /// `ARRAY[sub, sub, …]` of arrays: one dimension more, NULL sub-arrays left out.
    static let constructStacked = ScalarFunction("array", 0...Int.max, [], strict: false, returns: .unknown) {
        try stacked($0, accumulating: false)
    }

    /// ARRAY(subquery) of arrays: the rows' arrays stacked as array_agg stacks them.
    static let stackedRows = ScalarFunction("array", 1...1, [], strict: false, returns: .unknown) { arguments in
        guard case .array(let rows) = arguments[0] else { return .null }
        return try stacked(rows, accumulating: true)
    }

    /// The argument of array_agg of arrays: itself, or 22004 for NULL.
    static let accumulable = ScalarFunction("array_agg_argument", 1...1, [], strict: false, returns: .unknown) { arguments in
        guard !arguments[0].isNull else { throw VireoError(.nullValueNotAllowed, "cannot accumulate null arrays") }
        return arguments[0]
    }

    /// Sub-arrays as the rows of an array one dimension deeper. An ARRAY constructor
    /// (`accumulating` false) skips NULL ones and may stack empty ones into an empty array;
    /// array_agg and ARRAY(subquery) refuse both, with PostgreSQL's messages.
    static func stacked(_ items: [Value], accumulating: Bool) throws -> Value {
        if accumulating, items.contains(where: \.isNull) {
            throw VireoError(.nullValueNotAllowed, "cannot accumulate null arrays")
        }
        let rows = items.filter { !$0.isNull }
        let shapes = rows.map(\.arrayDimensions)
        if accumulating, shapes.contains(where: \.isEmpty) {
            throw VireoError(.arraySubscriptError, "cannot accumulate empty arrays")
        }
        guard let shape = shapes.first, !(shapes.allSatisfy(\.isEmpty)) else { return .array([]) }
        guard shapes.allSatisfy({ $0 == shape }) else {
            throw VireoError(.arraySubscriptError, accumulating ? "cannot accumulate arrays of different dimensionality"
                             : "multidimensional arrays must have array expressions with matching dimensions")
        }
        if shape.count + 1 > ArrayText.dimensionsMax { throw ArrayText.tooManyDimensions(shape.count + 1) }
        return .array(rows)
    }

    /// The operators allowed before ANY/ALL.
    static let quantifiable: Set<BinaryOperator> = [
        .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual,
        .regexMatch, .regexMatchInsensitive, .regexNotMatch, .regexNotMatchInsensitive,
        .like, .iLike, .notLike, .notILike,
    ]

    /// `x op ANY (a)` is true when some element gives true, NULL when none does but one gives
    /// NULL, else false (so false for an empty array); ALL is the dual. Every element of a
    /// multi-dimensional array counts.
    static func quantified(_ op: BinaryOperator, _ value: Value, _ array: Value, all: Bool) throws -> Value {
        guard let elements = elements(array) else { return .null }
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

    /// `a[i][j]…`: the element, NULL outside the array or when the subscripts are not as many
    /// as its dimensions (as PostgreSQL fetches).
    static func element(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_element", 2...Int.max, [], returns: type) { arguments in
            var level = arguments[0]
            for position in arguments.dropFirst() {
                guard case .array(let elements) = level, case .int(let index) = position,
                      index >= 1, index <= Int64(elements.count) else { return .null }
                level = elements[Int(index - 1)]
            }
            return level.isArray ? .null : level
        }
    }

    /// How one dimension of a slice is written: `[n]` (from 1 to n, as PostgreSQL reads a
    /// plain subscript among slices) or `[lower:upper]`, either bound omitted meaning the
    /// array's own. Only written bounds are arguments of the slice function.
    enum SliceBound: Sendable {
        case upperOnly
        case range(lower: Bool, upper: Bool)

        var argumentCount: Int {
            switch self {
            case .upperOnly: 1
            case .range(let lower, let upper): (lower ? 1 : 0) + (upper ? 1 : 0)
            }
        }
    }

    /// `a[l:u][l:u]…`: the sub-array within the bounds, clipped to the array; empty when any
    /// dimension's range is empty or there are more subscripts than dimensions; NULL when a
    /// written bound is NULL.
    static func slice(_ type: SQLType, _ bounds: [SliceBound]) -> ScalarFunction {
        ScalarFunction("array_slice", 1...Int.max, [], strict: false, returns: type) { arguments in
            guard arguments[0].isArray, !arguments.dropFirst().contains(where: \.isNull) else { return .null }
            let dimensions = arguments[0].arrayDimensions
            guard bounds.count <= dimensions.count else { return .array([]) }
            var written = arguments.dropFirst().makeIterator()
            let ranges = dimensions.enumerated().map { index, length -> (Int64, Int64) in
                guard index < bounds.count else { return (1, Int64(length)) }
                switch bounds[index] {
                case .upperOnly: return (1, min(integer(written.next()!) ?? 0, Int64(length)))
                case .range(let lower, let upper):
                    let from = lower ? integer(written.next()!) ?? 1 : 1
                    let to = upper ? integer(written.next()!) ?? 0 : Int64(length)
                    return (max(from, 1), min(to, Int64(length)))
                }
            }
            guard ranges.allSatisfy({ $0.0 <= $0.1 }) else { return .array([]) }
            return sliced(arguments[0], ranges[...])
        }
    }

    private static func sliced(_ value: Value, _ ranges: ArraySlice<(Int64, Int64)>) -> Value {
        guard case .array(let elements) = value, let (from, to) = ranges.first else { return value }
        return .array(elements[Int(from - 1)..<Int(to)].map { sliced($0, ranges.dropFirst()) })
    }

    static func append(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_append", 2...2, [], strict: false, returns: type) { arguments in
            guard case .array(let elements) = arguments[0] else { return .array([arguments[1]]) }
            try requireOneDimension(arguments[0])
            return .array(elements + [arguments[1]])
        }
    }

    static func prepend(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_prepend", 2...2, [], strict: false, returns: type) { arguments in
            guard case .array(let elements) = arguments[1] else { return .array([arguments[0]]) }
            try requireOneDimension(arguments[1])
            return .array([arguments[0]] + elements)
        }
    }

    private static func requireOneDimension(_ array: Value) throws {
        guard array.arrayDimensions.count <= 1 else {
            throw VireoError(.dataException, "argument must be empty or one-dimensional array")
        }
    }

    /// `a || b` and array_cat: NULL or empty on one side gives the other; arrays of equal
    /// dimensions join along the first, and one of a dimension fewer becomes a last (or
    /// first) row. Other shapes are 2202E, as in PostgreSQL.
    static func concatenate(_ type: SQLType) -> ScalarFunction {
        ScalarFunction("array_cat", 2...2, [], strict: false, returns: type) { arguments in
            switch (arguments[0], arguments[1]) {
            case (.array(let x), .array(let y)):
                if x.isEmpty { return arguments[1] }
                if y.isEmpty { return arguments[0] }
                let (left, right) = (arguments[0].arrayDimensions, arguments[1].arrayDimensions)
                if left.count == right.count, left.dropFirst() == right.dropFirst() { return .array(x + y) }
                if left.count == right.count + 1, Array(left.dropFirst()) == right { return .array(x + [arguments[1]]) }
                if left.count + 1 == right.count, Array(right.dropFirst()) == left { return .array([arguments[0]] + y) }
                throw VireoError(.arraySubscriptError, "cannot concatenate incompatible arrays")
            case (.null, let other), (let other, .null): return other
            default: return .null
            }
        }
    }

    /// `a @> b`: every element of b equals some element of a (a NULL element matches
    /// nothing); dimensions do not matter.
    static let contains = ScalarFunction("array_contains", 2...2, [], returns: .bool) { arguments in
        guard let x = elements(arguments[0]), let y = elements(arguments[1]) else { return .null }
        let present = Set(x.filter { !$0.isNull }.map(GroupKey.init))
        return .bool(y.allSatisfy { !$0.isNull && present.contains(GroupKey($0)) })
    }

    /// `a && b`: some non-NULL element in both.
    static let overlaps = ScalarFunction("array_overlaps", 2...2, [], returns: .bool) { arguments in
        guard let x = elements(arguments[0]), let y = elements(arguments[1]) else { return .null }
        let present = Set(x.filter { !$0.isNull }.map(GroupKey.init))
        return .bool(y.contains { !$0.isNull && present.contains(GroupKey($0)) })
    }

    static func integer(_ value: Value) -> Int64? {
        if case .int(let number) = value { return number }
        return nil
    }

    /// The array's elements in storage order, sub-arrays flattened; nil for a non-array.
    static func elements(_ value: Value) -> [Value]? {
        value.arrayLeaves
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

    /// The length of dimension `arguments[1]` (1-based) given to `answer`; NULL for an empty
    /// array or a dimension it does not have, as PostgreSQL answers.
    static func dimension(_ arguments: [Value], _ answer: (Int) -> Value) -> Value {
        let dimensions = arguments[0].arrayDimensions
        guard let index = integer(arguments[1]), index >= 1, index <= dimensions.count else { return .null }
        return answer(dimensions[Int(index - 1)])
    }
}
