import VireoStorage

/// A recursive-descent reader of jsonpath text (JSONPath documents what it holds), lowest
/// precedence first:
///
///     document       = ["strict" | "lax"] disjunction
///     disjunction    = conjunction {"||" conjunction}
///     conjunction    = negation {"&&" negation}
///     negation       = "!" negation | predicate
///     predicate      = "exists" "(" disjunction ")" | additive [comparison additive
///                      | "like_regex" string ["flag" string] | "starts" "with" (string | variable)]
///                      ["is" "unknown"]
///     additive       = multiplicative {("+" | "-") multiplicative}
///     multiplicative = unary {("*" | "/" | "%") unary}
///     unary          = ("+" | "-") unary | primary {accessor}
///     primary        = "$" [name] | "@" | "last" | literal | "(" disjunction ")"
///     accessor       = "." (name ["(" ")"] | string | "*" | "**" [levels]) | "[" ("*" | subscripts) "]"
///                      | "?" "(" disjunction ")"
struct JSONPathParser {
    /// Nesting of parentheses, signs and `!` kept at most, so text cannot exhaust the stack.
    static let depthMax = 128
    /// Longer tokens first, so that `<=` is not read as `<`.
    private static let comparisons: [(String, JSONPath.Comparison)] = [
        ("==", .equal), ("!=", .notEqual), ("<>", .notEqual), ("<=", .lessOrEqual), (">=", .greaterOrEqual), ("<", .less), (">", .greater),
    ]
    private let scalars: [Unicode.Scalar]
    private let text: String
    private var position = 0
    private var depth = 0
    /// Filters and subscripts being read: `@` and `last` are allowed only inside them.
    private var filterDepth = 0, subscriptDepth = 0

    init(text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
    }

    mutating func document() throws -> (JSONPath.Node, strict: Bool) {
        skipSpace()
        let strict = acceptWord("strict")
        if !strict { _ = acceptWord("lax") }
        let node = try disjunction()
        skipSpace()
        guard position == scalars.count else { throw syntaxError() }
        return (node, strict)
    }

    private mutating func disjunction() throws -> JSONPath.Node {
        try nested {
            var node = try $0.conjunction()
            while $0.accept("||") { node = .or(node, try $0.conjunction()) }
            return node
        }
    }

    private mutating func conjunction() throws -> JSONPath.Node {
        var node = try negation()
        while accept("&&") { node = .and(node, try negation()) }
        return node
    }

    private mutating func negation() throws -> JSONPath.Node {
        if peekToken("!") && !peekToken("!=") {
            _ = accept("!")
            return try nested { .not(try $0.negation()) }
        }
        return try predicate()
    }

    private mutating func predicate() throws -> JSONPath.Node {
        var node: JSONPath.Node
        if acceptWord("exists") {
            guard accept("(") else { throw syntaxError() }
            node = .exists(try disjunction())
            guard accept(")") else { throw syntaxError() }
        } else {
            node = try additive()
            if let comparison = Self.comparisons.first(where: { accept($0.0) }) {
                node = .compare(comparison.1, node, try additive())
            } else if acceptWord("like_regex") {
                let pattern = try quoted()
                let flags = try acceptWord("flag") ? quoted() : ""
                node = .likeRegex(node, try JSONPathRegex.compile(pattern, flags: flags))
            } else if acceptWord("starts") {
                guard acceptWord("with") else { throw syntaxError() }
                skipSpace()
                let prefix: JSONPath.Node = try peek() == "$" ? primary() : .literal(.string(quoted()))
                node = .startsWith(node, prefix)
            }
        }
        if acceptWord("is") {
            guard acceptWord("unknown"), node.isPredicate else { throw syntaxError() }
            node = .isUnknown(node)
        }
        return node
    }

    private mutating func additive() throws -> JSONPath.Node {
        var node = try multiplicative()
        while true {
            if accept("+") { node = .arithmetic(.add, node, try multiplicative()) }
            else if accept("-") { node = .arithmetic(.subtract, node, try multiplicative()) }
            else { return node }
        }
    }

    private mutating func multiplicative() throws -> JSONPath.Node {
        var node = try unary()
        while true {
            if accept("*") { node = .arithmetic(.multiply, node, try unary()) }
            else if accept("/") { node = .arithmetic(.divide, node, try unary()) }
            else if accept("%") { node = .arithmetic(.modulo, node, try unary()) }
            else { return node }
        }
    }

    private mutating func unary() throws -> JSONPath.Node {
        if accept("-") {
            return try nested {
                let operand = try $0.unary()
                if case .literal(.numeric(let number)) = operand { return .literal(.numeric(number.negated)) }
                return .negated(operand)
            }
        }
        if accept("+") { return try nested { try $0.unary() } }
        var node = try primary()
        while let next = try accessor(node) { node = next }
        return node
    }

    private mutating func primary() throws -> JSONPath.Node {
        skipSpace()
        if accept("(") {
            let node = try disjunction()
            guard accept(")") else { throw syntaxError() }
            return node
        }
        if accept("$") {
            if peek() == "\"" { return .variable(try quoted()) }
            if let first = peek(), Self.isNameStart(first) { return .variable(name()) }
            return .root
        }
        if accept("@") {
            guard filterDepth > 0 else { throw VireoError(.syntaxError, "@ is not allowed in root expressions") }
            return .current
        }
        if acceptWord("last") {
            guard subscriptDepth > 0 else { throw VireoError(.syntaxError, "LAST is allowed only in array subscripts") }
            return .last
        }
        return .literal(try literal())
    }

    /// The accessor after `base`, or nil when none follows.
    private mutating func accessor(_ base: JSONPath.Node) throws -> JSONPath.Node? {
        skipSpace()
        if accept(".") {
            skipSpace()
            if accept("**") { return .descendants(base, try levels()) }
            if accept("*") { return .member(base, nil) }
            if peek() == "\"" { return .member(base, try quoted()) }
            guard let next = peek(), Self.isNameStart(next) else { throw syntaxError() }
            let key = name()
            guard accept("(") else { return .member(base, key) }
            guard accept(")") else { throw syntaxError() }
            if key == "datetime" { throw unsupported("item method .datetime()") }
            guard let method = JSONPath.Method(rawValue: key) else { throw syntaxError() }
            return .method(base, method)
        }
        if accept("[") {
            if accept("*") {
                guard accept("]") else { throw syntaxError() }
                return .allElements(base)
            }
            subscriptDepth += 1
            defer { subscriptDepth -= 1 }
            var subscripts: [JSONPath.Subscript] = []
            repeat {
                let from = try disjunction()
                let to = try acceptWord("to") ? disjunction() : nil
                subscripts.append(JSONPath.Subscript(from: from, to: to))
            } while accept(",")
            guard accept("]") else { throw syntaxError() }
            return .elements(base, subscripts)
        }
        if accept("?") {
            guard accept("(") else { throw syntaxError() }
            filterDepth += 1
            defer { filterDepth -= 1 }
            let predicate = try disjunction()
            guard accept(")"), predicate.isPredicate else { throw syntaxError() }
            return .filter(base, predicate)
        }
        return nil
    }

    /// `.**`'s levels: `{n}`, `{m to n}`, with `last` for the deepest; every level without.
    private mutating func levels() throws -> ClosedRange<Int> {
        guard accept("{") else { return 0...Int.max }
        func level(_ parser: inout JSONPathParser) throws -> Int {
            if parser.acceptWord("last") { return Int.max }
            return try parser.integer()
        }
        let low = try level(&self)
        let high = try acceptWord("to") ? level(&self) : low
        guard accept("}") else { throw syntaxError() }
        return low <= high ? low...high : high...high
    }

    private mutating func literal() throws -> JSONValue {
        skipSpace()
        if peek() == "\"" { return .string(try quoted()) }
        if acceptWord("true") { return .bool(true) }
        if acceptWord("false") { return .bool(false) }
        if acceptWord("null") { return .null }
        let start = position
        while let next = peek(), ("0"..."9").contains(next) { position += 1 }
        if peek() == ".", position + 1 < scalars.count, ("0"..."9").contains(scalars[position + 1]) {
            position += 1
            while let next = peek(), ("0"..."9").contains(next) { position += 1 }
        }
        if position > start, let e = peek(), e == "e" || e == "E" {
            let mark = position
            position += 1
            if peek() == "+" || peek() == "-" { position += 1 }
            let digits = position
            while let next = peek(), ("0"..."9").contains(next) { position += 1 }
            if position == digits { position = mark }
        }
        guard position > start, let number = Numeric(String(String.UnicodeScalarView(scalars[start..<position]))) else {
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
        skipSpace()
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

    /// Runs `body` one level deeper, refusing text that nests past `depthMax`.
    private mutating func nested(_ body: (inout JSONPathParser) throws -> JSONPath.Node) throws -> JSONPath.Node {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.depthMax else { throw VireoError(.limitExceeded, "jsonpath nests deeper than \(Self.depthMax) levels") }
        return try body(&self)
    }

    private static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic
    }

    private func peek() -> Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func skipSpace() {
        while let next = peek(), next.properties.isWhitespace { position += 1 }
    }

    /// Whether `token` comes next (after space), without taking it.
    private mutating func peekToken(_ token: String) -> Bool {
        let saved = position
        defer { position = saved }
        return accept(token)
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
                   hint: "Vireo evaluates PostgreSQL's jsonpath except .datetime().")
    }
}
