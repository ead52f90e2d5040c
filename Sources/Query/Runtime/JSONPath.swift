import VireoStorage

/// The part of SQL/JSON path (PostgreSQL's jsonpath) that predicate checks use, in lax mode:
/// `$`, `$var`, accessors `.key`, `."key"`, `.*`, `[n]`, `[*]`; literals; comparisons
/// `== != <> < <= > >=`; `&&`, `||`, `!`, parentheses and `exists (…)`. LangChain's
/// PGVector filters compile to these (`jsonb_path_match(cmetadata, '$.page >= $value', vars)`).
/// Filters (`? (@ …)`), arithmetic, methods and strict mode are refused with 0A000.
struct JSONPath {
    indirect enum Node {
        case root
        case variable(String)
        case literal(JSONValue)
        /// `.key`, or `.*` (nil).
        case member(Node, String?)
        /// `[n]`, or `[*]` (nil).
        case element(Node, Int?)
        case compare(Comparison, Node, Node)
        case and(Node, Node), or(Node, Node), not(Node)
        case exists(Node)

        var isPredicate: Bool {
            switch self {
            case .compare, .and, .or, .not, .exists: true
            default: false
            }
        }
    }

    enum Comparison: String { case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=" }

    let root: Node

    /// Parses jsonpath text; 42601 for malformed text, 0A000 for what Vireo does not evaluate.
    init(parsing text: String) throws {
        var parser = JSONPathParser(text: text)
        root = try parser.document()
    }

    /// jsonb_path_match: the predicate's truth (nil: unknown), or the path's single boolean.
    func match(_ document: JSONValue, variables: JSONValue) throws -> Bool? {
        let evaluation = Evaluation(document: document, variables: try Self.variableMembers(variables))
        if root.isPredicate { return try evaluation.truth(root) }
        let items = try evaluation.items(root)
        if items.count == 1, case .bool(let flag) = items[0] { return flag }
        if items.count == 1, case .null = items[0] { return nil }
        // PostgreSQL says 22038 (singleton_sql_json_item_required); Vireo has no such code, so its class: 22000.
        throw VireoError(.dataException, "single boolean result is expected")
    }

    /// jsonb_path_exists: whether the path yields an item (a predicate always yields one).
    func exists(_ document: JSONValue, variables: JSONValue) throws -> Bool {
        let evaluation = Evaluation(document: document, variables: try Self.variableMembers(variables))
        if root.isPredicate { return true }
        return !(try evaluation.items(root)).isEmpty
    }

    private static func variableMembers(_ variables: JSONValue) throws -> [(String, JSONValue)] {
        guard case .object(let members) = variables else {
            throw VireoError(.invalidParameter, "\"vars\" argument is not an object",
                             detail: "Jsonpath parameters should be encoded as key-value pairs of \"vars\" object.")
        }
        return members
    }

    private struct Evaluation {
        let document: JSONValue
        let variables: [(String, JSONValue)]

        func items(_ node: Node) throws -> [JSONValue] {
            switch node {
            case .root: return [document]
            case .variable(let name):
                guard let value = variables.first(where: { $0.0 == name })?.1 else {
                    throw VireoError(.undefinedObject, "could not find jsonpath variable \"\(name)\"")
                }
                return [value]
            case .literal(let value): return [value]
            case .member(let base, let key): return try items(base).flatMap { Self.members(Self.unwrapped([$0]), key) }
            case .element(let base, let position): return try items(base).flatMap { Self.elements($0, position) }
            default:
                return [try truth(node).map(JSONValue.bool) ?? .null]
            }
        }

        /// Three-valued: nil is unknown (items that cannot be compared).
        func truth(_ node: Node) throws -> Bool? {
            switch node {
            case .compare(let comparison, let left, let right):
                return Self.compare(comparison, Self.unwrapped(try items(left)), Self.unwrapped(try items(right)))
            case .and(let a, let b):
                let x = try truth(a)
                if x == false { return false }
                let y = try truth(b)
                return y == false ? false : (x == true && y == true ? true : nil)
            case .or(let a, let b):
                let x = try truth(a)
                if x == true { return true }
                let y = try truth(b)
                return y == true ? true : (x == false && y == false ? false : nil)
            case .not(let a): return try truth(a).map { !$0 }
            case .exists(let path): return !(try items(path)).isEmpty
            default:
                throw VireoError(.syntaxError, "jsonpath: a path is not a predicate here")
            }
        }

        /// Lax mode unwraps arrays one level before member access and comparison.
        static func unwrapped(_ items: [JSONValue]) -> [JSONValue] {
            items.flatMap { item -> [JSONValue] in if case .array(let elements) = item { elements } else { [item] } }
        }

        static func members(_ items: [JSONValue], _ key: String?) -> [JSONValue] {
            items.flatMap { item -> [JSONValue] in
                guard case .object(let members) = item else { return [] }
                return key.map { key in members.last { $0.0 == key }.map { [$0.1] } ?? [] } ?? members.map(\.1)
            }
        }

        static func elements(_ item: JSONValue, _ position: Int?) -> [JSONValue] {
            let elements: [JSONValue]
            if case .array(let items) = item { elements = items } else { elements = [item] }
            guard let position else { return elements }
            return elements.indices.contains(position) ? [elements[position]] : []
        }

        /// True when some pair compares true; else unknown when some pair cannot be compared.
        static func compare(_ comparison: Comparison, _ left: [JSONValue], _ right: [JSONValue]) -> Bool? {
            var unknown = false
            for x in left {
                for y in right {
                    switch order(x, y, comparison) {
                    case .some(true): return true
                    case .none: unknown = true
                    case .some(false): continue
                    }
                }
            }
            return unknown ? nil : false
        }

        private static func order(_ x: JSONValue, _ y: JSONValue, _ comparison: Comparison) -> Bool? {
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

        private static func number(_ value: JSONValue) -> Numeric? {
            switch value {
            case .numeric(let number): number
            case .number(let number): Numeric(String(number))
            default: nil
            }
        }
    }
}
