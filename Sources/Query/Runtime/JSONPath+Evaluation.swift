import Foundation
import VireoStorage

extension JSONPath {
    /// Where a node is evaluated: the item `@` stands for inside a filter, and the last
    /// subscript of the array `last` refers to inside `[…]`.
    struct Scope {
        var current: JSONValue?
        var last: Int?

        static let top = Scope()
    }

    /// One evaluation of a path over a document, as PostgreSQL's executeItem does.
    struct Evaluation {
        let document: JSONValue
        let variables: [(String, JSONValue)]
        let strict: Bool

        /// The items `node` yields, in order.
        func items(_ node: Node, _ scope: Scope) throws -> [JSONValue] {
            var found: [JSONValue] = []
            try each(node, scope) { found.append($0) }
            return found
        }

        /// Hands the items `node` yields to `emit`, depth first as PostgreSQL's executeItem
        /// does, so that the items yielded before an error are the ones PostgreSQL keeps.
        func each(_ node: Node, _ scope: Scope, _ emit: (JSONValue) throws -> Void) throws {
            switch node {
            case .root: try emit(document)
            case .current: if let current = scope.current { try emit(current) }
            case .last:
                guard let last = scope.last else { throw VireoError(.syntaxError, "LAST is allowed only in array subscripts") }
                try emit(.numeric(Numeric(Int64(last))))
            case .variable(let name):
                guard let value = variables.last(where: { $0.0 == name })?.1 else {
                    throw VireoError(.undefinedObject, "could not find jsonpath variable \"\(name)\"")
                }
                try emit(value)
            case .literal(let value): try emit(value)
            case .member(let base, let key):
                try each(base, scope) { try unwrapping($0) { try member($0, key).forEach(emit) } }
            case .descendants(let base, let levels):
                try each(base, scope) { try Self.descendants($0, levels, level: 0).forEach(emit) }
            case .allElements(let base):
                try each(base, scope) { try allElements($0).forEach(emit) }
            case .elements(let base, let subscripts):
                try each(base, scope) { try elements($0, subscripts, scope).forEach(emit) }
            case .filter(let base, let predicate):
                try each(base, scope) {
                    try unwrapping($0) { item in
                        if try truth(predicate, Scope(current: item, last: scope.last)) == true { try emit(item) }
                    }
                }
            case .method(let base, let method):
                try each(base, scope) { item in
                    if method == .type || method == .size { return try apply(method, item).forEach(emit) }
                    try unwrapping(item) { try apply(method, $0).forEach(emit) }
                }
            case .arithmetic(let op, let left, let right):
                try emit(try arithmetic(op, left, right, scope))
            case .negated(let operand):
                try each(operand, scope) {
                    try unwrapping($0) { item in
                        guard let number = Self.number(item) else {
                            throw VireoError(.sqlJSONNumberNotFound, "operand of unary jsonpath operator - is not a numeric value")
                        }
                        try emit(.numeric(number.negated))
                    }
                }
            default:
                try emit(try truth(node, scope).map(JSONValue.bool) ?? .null)
            }
        }

        /// Lax mode takes an array's elements one by one where an accessor, filter or method
        /// meets it; strict mode the array itself.
        private func unwrapping(_ item: JSONValue, _ body: (JSONValue) throws -> Void) throws {
            if !strict, case .array(let elements) = item { try elements.forEach(body) } else { try body(item) }
        }

        /// A predicate's truth: nil is unknown (items that cannot be compared, or a data
        /// error while evaluating an operand, as PostgreSQL's predicates turn those into
        /// unknown; an undefined variable still fails).
        func truth(_ node: Node, _ scope: Scope) throws -> Bool? {
            switch node {
            case .and(let a, let b):
                let x = try truth(a, scope)
                if x == false { return false }
                let y = try truth(b, scope)
                return y == false ? false : (x == true && y == true ? true : nil)
            case .or(let a, let b):
                let x = try truth(a, scope)
                if x == true { return true }
                let y = try truth(b, scope)
                return y == true ? true : (x == false && y == false ? false : nil)
            case .not(let a): return try truth(a, scope).map { !$0 }
            case .isUnknown(let a): return try truth(a, scope) == nil
            case .exists(let path):
                guard let found = try unlessDataError({ try items(path, scope) }) else { return nil }
                return !found.isEmpty
            case .compare(let comparison, let left, let right):
                guard let x = try unlessDataError({ try unwrapped(items(left, scope)) }),
                      let y = try unlessDataError({ try unwrapped(items(right, scope)) }) else { return nil }
                return anyPair(x, y) { Self.order($0, $1, comparison) }
            case .likeRegex(let operand, let expression):
                guard let x = try unlessDataError({ try unwrapped(items(operand, scope)) }) else { return nil }
                return anyPair(x, [.null]) { item, _ in
                    guard case .string(let text) = item else { return nil }
                    return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                }
            case .startsWith(let operand, let prefix):
                guard let x = try unlessDataError({ try unwrapped(items(operand, scope)) }),
                      let y = try unlessDataError({ try items(prefix, scope) }) else { return nil }
                return anyPair(x, y) { item, prefix in
                    guard case .string(let text) = item, case .string(let start) = prefix else { return nil }
                    return text.unicodeScalars.starts(with: start.unicodeScalars)
                }
            default:
                // A path where a predicate is expected (jsonb_path_match's whole path is
                // handled by its caller): its single boolean.
                guard let found = try unlessDataError({ try items(node, scope) }), found.count == 1,
                      case .bool(let flag) = found[0] else { return nil }
                return flag
            }
        }

        /// The errors of a path's data (a missing member, an item of the wrong kind, bad
        /// arithmetic), which a predicate takes as unknown.
        static let dataErrors: Set<VireoError.Code> = [
            .invalidSQLJSONSubscript, .nonNumericSQLJSONItem, .singletonSQLJSONItemRequired, .sqlJSONArrayNotFound,
            .sqlJSONMemberNotFound, .sqlJSONNumberNotFound, .sqlJSONObjectNotFound, .divisionByZero, .numericOutOfRange,
        ]

        /// `body`'s result, or nil when it failed with one of `dataErrors`.
        private func unlessDataError<T>(_ body: () throws -> T) throws -> T? {
            do {
                return try body()
            } catch let error as VireoError where Self.dataErrors.contains(error.code) {
                return nil
            }
        }

        /// PostgreSQL's rule over the pairs of two sequences: lax mode is true as soon as a
        /// pair is, strict mode unknown as soon as a pair cannot be compared; otherwise true
        /// if some pair is, unknown if some pair could not be compared, else false.
        private func anyPair(_ left: [JSONValue], _ right: [JSONValue], _ test: (JSONValue, JSONValue) -> Bool?) -> Bool? {
            var found = false, unknown = false
            for x in left {
                for y in right {
                    switch test(x, y) {
                    case .some(true):
                        if !strict { return true }
                        found = true
                    case .none:
                        if strict { return nil }
                        unknown = true
                    case .some(false): continue
                    }
                }
            }
            return found ? true : (unknown ? nil : false)
        }

        /// Lax mode unwraps arrays one level before accessors, filters and comparisons.
        func unwrapped(_ items: [JSONValue]) -> [JSONValue] {
            guard !strict else { return items }
            return items.flatMap { item -> [JSONValue] in if case .array(let elements) = item { elements } else { [item] } }
        }

        private func member(_ item: JSONValue, _ key: String?) throws -> [JSONValue] {
            guard case .object(let members) = item else {
                guard strict else { return [] }
                throw VireoError(.sqlJSONMemberNotFound, key == nil ? "jsonpath wildcard member accessor can only be applied to an object"
                                                                    : "jsonpath member accessor can only be applied to an object")
            }
            guard let key else { return members.map(\.1) }
            if let value = members.last(where: { $0.0 == key })?.1 { return [value] }
            guard strict else { return [] }
            throw VireoError(.sqlJSONMemberNotFound, "JSON object does not contain key \"\(key)\"")
        }

        private static func descendants(_ item: JSONValue, _ levels: ClosedRange<Int>, level: Int) -> [JSONValue] {
            var found = levels.contains(level) ? [item] : []
            guard level < levels.upperBound else { return found }
            let children: [JSONValue] = switch item {
            case .array(let elements): elements
            case .object(let members): members.map(\.1)
            default: []
            }
            for child in children { found += descendants(child, levels, level: level + 1) }
            return found
        }

        private func allElements(_ item: JSONValue) throws -> [JSONValue] {
            if case .array(let elements) = item { return elements }
            guard strict else { return [item] }
            throw VireoError(.sqlJSONArrayNotFound, "jsonpath wildcard array accessor can only be applied to an array")
        }

        /// `[…]` on one item: lax mode takes a non-array as an array of itself and skips
        /// subscripts out of bounds; strict mode fails on both.
        private func elements(_ item: JSONValue, _ subscripts: [Subscript], _ scope: Scope) throws -> [JSONValue] {
            let array: [JSONValue]
            if case .array(let elements) = item {
                array = elements
            } else if strict {
                throw VireoError(.sqlJSONArrayNotFound, "jsonpath array accessor can only be applied to an array")
            } else {
                array = [item]
            }
            let inner = Scope(current: scope.current, last: array.count - 1)
            var found: [JSONValue] = []
            for bounds in subscripts {
                var from = try index(bounds.from, inner)
                var to = try bounds.to.map { try index($0, inner) } ?? from
                if strict {
                    guard from >= 0, from <= to, to < array.count else {
                        throw VireoError(.invalidSQLJSONSubscript, "jsonpath array subscript is out of bounds")
                    }
                } else {
                    from = max(from, 0)
                    to = min(to, array.count - 1)
                }
                if from <= to { found += array[from...to] }
            }
            return found
        }

        /// A subscript's value: one number, truncated to an integer.
        private func index(_ node: Node, _ scope: Scope) throws -> Int {
            let found = try items(node, scope)
            guard found.count == 1, let number = Self.number(found[0]), number.isFinite,
                  let value = number.truncated(toScale: 0).roundedInt64, let index = Int(exactly: value) else {
                throw VireoError(.invalidSQLJSONSubscript, "jsonpath array subscript is not a single numeric value")
            }
            return index
        }

        private func arithmetic(_ op: ArithmeticOperator, _ left: Node, _ right: Node, _ scope: Scope) throws -> JSONValue {
            func operand(_ node: Node, _ side: String) throws -> Numeric {
                let found = unwrapped(try items(node, scope))
                guard found.count == 1, let number = Self.number(found[0]) else {
                    throw VireoError(.singletonSQLJSONItemRequired, "\(side) operand of jsonpath operator \(op.rawValue) is not a single numeric value")
                }
                return number
            }
            let (a, b) = (try operand(left, "left"), try operand(right, "right"))
            let result: Numeric = switch op {
            case .add: a + b
            case .subtract: a - b
            case .multiply: try a * b
            case .divide: try a / b
            case .modulo: try a % b
            }
            return .numeric(result)
        }

        /// An item method on one item: one item, or one per member for `.keyvalue()`.
        private func apply(_ method: Method, _ item: JSONValue) throws -> [JSONValue] {
            switch method {
            case .type: return [.string(item.typeName)]
            case .size:
                if case .array(let elements) = item { return [.numeric(Numeric(Int64(elements.count)))] }
                guard strict else { return [.numeric(Numeric(1))] }
                throw VireoError(.sqlJSONArrayNotFound, "jsonpath item method .size() can only be applied to an array")
            case .double: return [try double(item)]
            case .ceiling, .floor, .abs:
                guard let number = Self.number(item) else {
                    throw VireoError(.nonNumericSQLJSONItem, "jsonpath item method .\(method.rawValue)() can only be applied to a numeric value")
                }
                return [.numeric(method == .ceiling ? number.ceiling : method == .floor ? number.floor : number.absolute)]
            case .keyvalue:
                guard case .object(let members) = item else {
                    throw VireoError(.sqlJSONObjectNotFound, "jsonpath item method .keyvalue() can only be applied to an object")
                }
                // PostgreSQL's "id" tells objects apart by their offset in the stored
                // document; 0 names the members of any one object here.
                return members.map { key, value in .object([("id", .numeric(Numeric(0))), ("key", .string(key)), ("value", value)]) }
            }
        }

        private func double(_ item: JSONValue) throws -> JSONValue {
            let value: Double
            switch item {
            case .number(let number): value = number
            case .numeric(let number): value = number.double
            case .string(let text):
                guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)), parsed.isFinite else {
                    throw VireoError(.nonNumericSQLJSONItem,
                                     "string argument of jsonpath item method .double() is not a valid representation of a double precision number")
                }
                value = parsed
            default:
                throw VireoError(.nonNumericSQLJSONItem, "jsonpath item method .double() can only be applied to a string or numeric value")
            }
            guard value.isFinite, let number = Numeric(value) else {
                throw VireoError(.nonNumericSQLJSONItem, "numeric argument of jsonpath item method .double() is out of range for type double precision")
            }
            return .numeric(number)
        }

        /// Ordering as jsonpath compares two items: nil when they cannot be compared (items
        /// of different types, arrays, objects).
        static func order(_ x: JSONValue, _ y: JSONValue, _ comparison: Comparison) -> Bool? {
            let sign: Int
            switch (x, y) {
            case (.null, .null): sign = 0
            case (.null, _), (_, .null):
                // Nulls equal no other item and are not ordered against one, but differ from all.
                return comparison == .notEqual
            case (.bool(let a), .bool(let b)): sign = a == b ? 0 : (a ? 1 : -1)
            case (.string(let a), .string(let b)):
                sign = a == b ? 0 : (a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1)
            default:
                guard let a = number(x), let b = number(y) else { return nil }
                sign = Numeric.compare(a, b)
            }
            switch comparison {
            case .equal: return sign == 0
            case .notEqual: return sign != 0
            case .less: return sign < 0
            case .lessOrEqual: return sign <= 0
            case .greater: return sign > 0
            case .greaterOrEqual: return sign >= 0
            }
        }

        static func number(_ value: JSONValue) -> Numeric? {
            switch value {
            case .numeric(let number): number
            case .number(let number): Numeric(String(number))
            default: nil
            }
        }
    }
}

/// like_regex's patterns: POSIX-style, through the same ICU engine as `~`, with jsonpath's
/// flags `i` (case-insensitive), `s` (`.` matches newlines), `m` (`^`/`$` at lines), `x`
/// (spaces and comments ignored) and `q` (the pattern taken literally).
enum JSONPathRegex {
    static func compile(_ pattern: String, flags: String) throws -> NSRegularExpression {
        var options: NSRegularExpression.Options = []
        var literal = false
        for flag in flags {
            switch flag {
            case "i": options.insert(.caseInsensitive)
            case "s": options.insert(.dotMatchesLineSeparators)
            case "m": options.insert(.anchorsMatchLines)
            case "x": options.insert(.allowCommentsAndWhitespace)
            case "q": literal = true
            default: throw VireoError(.syntaxError, "invalid input syntax for type jsonpath",
                                      detail: "Unrecognized flag character \"\(flag)\" in LIKE_REGEX predicate.")
            }
        }
        return try NSRegularExpression(pattern: literal ? NSRegularExpression.escapedPattern(for: pattern) : pattern, options: options)
    }
}
