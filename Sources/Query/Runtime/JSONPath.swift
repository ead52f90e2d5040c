import Foundation
import VireoStorage

/// PostgreSQL's SQL/JSON path language (jsonpath), as jsonb_path_query(_array, _first),
/// jsonb_path_exists, jsonb_path_match and the `@?` / `@@` operators evaluate it:
///
/// - modes `lax` (the default: missing keys and accessors on the wrong kind of item yield
///   nothing, arrays are unwrapped one level) and `strict` (both are errors);
/// - `$`, `$name` (a member of the vars object), `@` (the item a filter tests), `last`
///   (the last subscript of the array being subscripted); literals;
/// - accessors `.key`, `."key"`, `.*`, `.**` and `.**{m to n}`, `[n]`, `[n to m]`,
///   `[a, b]`, `[*]`; filters `? (predicate)`; item methods `.type()`, `.size()`,
///   `.double()`, `.ceiling()`, `.floor()`, `.abs()`, `.keyvalue()`;
/// - arithmetic `+ - * / %` and unary signs; predicates: comparisons, `&&`, `||`, `!`,
///   `exists (…)`, `like_regex "…" [flag "…"]`, `starts with`, `(…) is unknown`.
///
/// `.datetime()` is refused with 0A000. Evaluation: JSONPath+Evaluation.swift.
struct JSONPath {
    indirect enum Node {
        case root, current, last
        case variable(String)
        case literal(JSONValue)
        /// `.key`, or `.*` (nil).
        case member(Node, String?)
        /// `.**`: the item and everything under it, at the levels given (0 is the item).
        case descendants(Node, ClosedRange<Int>)
        /// `[*]`.
        case allElements(Node)
        /// `[a, b to c, …]`.
        case elements(Node, [Subscript])
        case filter(Node, Node)
        case method(Node, Method)
        case arithmetic(ArithmeticOperator, Node, Node)
        case negated(Node)
        case compare(Comparison, Node, Node)
        case and(Node, Node), or(Node, Node), not(Node)
        case exists(Node)
        case isUnknown(Node)
        /// `like_regex`, its pattern compiled once when the path is parsed.
        case likeRegex(Node, NSRegularExpression)
        case startsWith(Node, Node)

        var isPredicate: Bool {
            switch self {
            case .compare, .and, .or, .not, .exists, .isUnknown, .likeRegex, .startsWith: true
            default: false
            }
        }
    }

    /// One subscript of `[…]`: an index, or a range `from to to`.
    struct Subscript {
        var from: Node
        var to: Node?
    }

    enum Comparison: String { case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=" }

    enum ArithmeticOperator: String { case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%" }

    enum Method: String { case type, size, double, ceiling, floor, abs, keyvalue }

    let root: Node
    let strict: Bool

    /// Parses jsonpath text; 42601 for malformed text, 0A000 for what Vireo does not evaluate.
    init(parsing text: String) throws {
        var parser = JSONPathParser(text: text)
        (root, strict) = try parser.document()
    }

    /// jsonb_path_query: every item the path yields (a predicate yields its truth, or null).
    /// `silent` answers a data error with the items yielded before it, as PostgreSQL does.
    func query(_ document: JSONValue, variables: JSONValue, silent: Bool = false) throws -> [JSONValue] {
        let evaluation = try evaluation(document, variables)
        var found: [JSONValue] = []
        do {
            try evaluation.each(root, .top) { found.append($0) }
        } catch let error as VireoError where silent && Evaluation.dataErrors.contains(error.code) {}
        return found
    }

    /// jsonb_path_match: the predicate's truth (nil: unknown), or the path's single boolean;
    /// nil for a data error when `silent`.
    func match(_ document: JSONValue, variables: JSONValue, silent: Bool = false) throws -> Bool? {
        let evaluation = try evaluation(document, variables)
        do {
            if root.isPredicate { return try evaluation.truth(root, .top) }
            let items = try evaluation.items(root, .top)
            if items.count == 1, case .bool(let flag) = items[0] { return flag }
            if items.count == 1, case .null = items[0] { return nil }
            throw VireoError(.singletonSQLJSONItemRequired, "single boolean result is expected")
        } catch let error as VireoError where silent && Evaluation.dataErrors.contains(error.code) {
            return nil
        }
    }

    /// jsonb_path_exists: whether the path yields an item (a predicate always yields one);
    /// nil for a data error when `silent`. Lax mode stops at the first item, strict mode
    /// evaluates the whole path (an error after the first item still counts), as PostgreSQL.
    func exists(_ document: JSONValue, variables: JSONValue, silent: Bool = false) throws -> Bool? {
        struct Found: Error {}
        let evaluation = try evaluation(document, variables)
        do {
            var found = false
            try evaluation.each(root, .top) { _ in
                found = true
                if !strict { throw Found() }
            }
            return found
        } catch is Found {
            return true
        } catch let error as VireoError where silent && Evaluation.dataErrors.contains(error.code) {
            return nil
        }
    }

    private func evaluation(_ document: JSONValue, _ variables: JSONValue) throws -> Evaluation {
        guard case .object(let members) = variables else {
            throw VireoError(.invalidParameter, "\"vars\" argument is not an object",
                             detail: "Jsonpath parameters should be encoded as key-value pairs of \"vars\" object.")
        }
        return Evaluation(document: document, variables: members, strict: strict)
    }
}
