import VireoStorage

/// A recursive-descent reader of the jsonpath subset JSONPath evaluates:
///
///     document   = ["lax"] disjunction
///     disjunction = conjunction {"||" conjunction}
///     conjunction = unary {"&&" unary}
///     unary      = "!" unary | operand [comparison operand]
///     operand    = "(" disjunction ")" | "exists" "(" path ")" | path | literal
///     path       = ("$" | "$" name) {"." (name | string | "*") | "[" (integer | "*") "]"}
struct JSONPathParser {
    /// Nesting of parentheses and `!` kept at most, so text cannot exhaust the stack.
    static let depthMax = 128
    /// Longer tokens first, so that `<=` is not read as `<`.
    private static let comparisons: [(String, JSONPath.Comparison)] = [
        ("==", .equal), ("!=", .notEqual), ("<>", .notEqual), ("<=", .lessOrEqual), (">=", .greaterOrEqual), ("<", .less), (">", .greater),
    ]
    private let scalars: [Unicode.Scalar]
    private let text: String
    private var position = 0
    private var depth = 0

    init(text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
    }

    mutating func document() throws -> JSONPath.Node {
        skipSpace()
        if acceptWord("strict") { throw unsupported("strict mode") }
        _ = acceptWord("lax")
        let node = try disjunction()
        skipSpace()
        guard position == scalars.count else { throw syntaxError() }
        return node
    }

    private mutating func disjunction() throws -> JSONPath.Node {
        var node = try conjunction()
        while accept("||") { node = .or(node, try conjunction()) }
        return node
    }

    private mutating func conjunction() throws -> JSONPath.Node {
        var node = try unary()
        while accept("&&") { node = .and(node, try unary()) }
        return node
    }

    private mutating func unary() throws -> JSONPath.Node {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.depthMax else { throw VireoError(.limitExceeded, "jsonpath nests deeper than \(Self.depthMax) levels") }
        if accept("!") { return .not(try unary()) }
        let left = try operand()
        for (token, comparison) in Self.comparisons {
            if accept(token) { return .compare(comparison, left, try operand()) }
        }
        return left
    }

    private mutating func operand() throws -> JSONPath.Node {
        skipSpace()
        if accept("(") {
            let node = try disjunction()
            guard accept(")") else { throw syntaxError() }
            return node
        }
        if acceptWord("exists") {
            guard accept("(") else { throw syntaxError() }
            let node = try path()
            guard accept(")") else { throw syntaxError() }
            return .exists(node)
        }
        if peek() == "$" { return try path() }
        if peek() == "@" { throw unsupported("filter expressions (@)") }
        return .literal(try literal())
    }

    private mutating func path() throws -> JSONPath.Node {
        guard accept("$") else { throw syntaxError() }
        var node: JSONPath.Node = .root
        if let first = peek(), Self.isNameStart(first) { node = .variable(name()) }
        while true {
            skipSpace()
            if accept(".") {
                skipSpace()
                if accept("*") { node = .member(node, nil) }
                else if peek() == "\"" { node = .member(node, try quoted()) }
                else if let next = peek(), Self.isNameStart(next) {
                    let key = name()
                    skipSpace()
                    if peek() == "(" { throw unsupported("item methods (.\(key)())") }
                    node = .member(node, key)
                } else { throw syntaxError() }
            } else if accept("[") {
                if accept("*") { node = .element(node, nil) }
                else { node = .element(node, try integer()) }
                guard accept("]") else { throw syntaxError() }
            } else if peek() == "?" {
                throw unsupported("filter expressions (? (…))")
            } else {
                return node
            }
        }
    }

    private mutating func literal() throws -> JSONValue {
        if peek() == "\"" { return .string(try quoted()) }
        if acceptWord("true") { return .bool(true) }
        if acceptWord("false") { return .bool(false) }
        if acceptWord("null") { return .null }
        let start = position
        if peek() == "-" || peek() == "+" { position += 1 }
        while let next = peek(), next.properties.numericType != nil || ".eE".unicodeScalars.contains(next)
            || ((next == "-" || next == "+") && ["e", "E"].contains(scalars[position - 1])) { position += 1 }
        guard position > start, let number = Numeric(String(String.UnicodeScalarView(scalars[start..<position]))) else {
            if let next = peek(), "+-*/%".unicodeScalars.contains(next) { throw unsupported("arithmetic") }
            throw syntaxError()
        }
        return .numeric(number)
    }

    private mutating func integer() throws -> Int {
        skipSpace()
        let start = position
        while let next = peek(), ("0"..."9").contains(next) { position += 1 }
        guard let number = Int(String(String.UnicodeScalarView(scalars[start..<position]))) else { throw syntaxError() }
        return number
    }

    /// A double-quoted string with JSON's escapes.
    private mutating func quoted() throws -> String {
        let start = position
        guard accept("\"") else { throw syntaxError() }
        var escaped = false
        while let next = peek() {
            position += 1
            if escaped { escaped = false } else if next == "\\" { escaped = true } else if next == "\"" {
                let literal = String(String.UnicodeScalarView(scalars[start..<position]))
                guard case .string(let value)? = try? JSONValue.parse(literal) else { throw syntaxError() }
                return value
            }
        }
        throw VireoError(.syntaxError, "unterminated quoted string in jsonpath input \"\(text)\"")
    }

    private mutating func name() -> String {
        let start = position
        while let next = peek(), Self.isNameStart(next) || ("0"..."9").contains(next) { position += 1 }
        return String(String.UnicodeScalarView(scalars[start..<position]))
    }

    private static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic
    }

    private func peek() -> Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func skipSpace() {
        while let next = peek(), next.properties.isWhitespace { position += 1 }
    }

    /// Skips space, then `token` if it comes next.
    private mutating func accept(_ token: String) -> Bool {
        skipSpace()
        let wanted = Array(token.unicodeScalars)
        guard position + wanted.count <= scalars.count, Array(scalars[position..<position + wanted.count]) == wanted else { return false }
        position += wanted.count
        return true
    }

    /// `word` as a whole word (not the start of a longer name).
    private mutating func acceptWord(_ word: String) -> Bool {
        let saved = position
        guard accept(word) else { return false }
        if let next = peek(), Self.isNameStart(next) || ("0"..."9").contains(next) {
            position = saved
            return false
        }
        return true
    }

    private func syntaxError() -> VireoError {
        VireoError(.syntaxError, "syntax error at or near position \(position + 1) of jsonpath input \"\(text)\"")
    }

    private func unsupported(_ what: String) -> VireoError {
        VireoError(.featureNotSupported, "jsonpath \(what) is not supported",
                   hint: "Vireo evaluates $-paths with .key, [n], [*], comparisons, &&, ||, ! and exists (lax mode).")
    }
}
