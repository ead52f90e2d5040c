import VireoStorage

/// A `tsquery`: lexemes combined with `&`, `|`, `!` and the phrase operator `<N>` (`<->` is
/// `<1>`), each lexeme optionally restricted to weights (`:AB`) or a prefix (`:*`). Stored as
/// PostgreSQL's canonical text form, like `TSVector`.
struct TSQuery: Equatable, Sendable {
    struct Operand: Equatable, Sendable {
        var lexeme: String
        /// Bits of the allowed weights: A = 8, B = 4, C = 2, D = 1; 0 allows every weight.
        var weightMask: UInt8 = 0
        var isPrefix = false
    }

    indirect enum Node: Equatable, Sendable {
        case operand(Operand)
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)
        case phrase(Node, Node, distance: Int)
        /// A stop word's place while a query is built; `cleaned` removes it.
        case stop
    }

    /// nil for the empty query, which matches nothing.
    var root: Node?

    static let distanceMax = 16384

    /// The distinct operands, in the order PostgreSQL's ranking sorts them (by lexeme).
    var operands: [Operand] {
        var seen: [Operand] = []
        func walk(_ node: Node) {
            switch node {
            case .operand(let operand): if !seen.contains(operand) { seen.append(operand) }
            case .not(let child): walk(child)
            case .and(let a, let b), .or(let a, let b), .phrase(let a, let b, _): walk(a); walk(b)
            case .stop: break
            }
        }
        root.map(walk)
        return seen
    }

    /// PostgreSQL's text form: `'a' & ( 'b' | 'c' )`, `!'d' <-> 'e':*`, `''` printed as empty.
    var text: String { root.map { Self.render($0, parentPriority: -1, rightOfPhrase: false) } ?? "" }

    static func priority(_ node: Node) -> Int {
        switch node {
        case .or: 1
        case .and: 2
        case .phrase: 3
        case .not: 4
        case .operand, .stop: 5
        }
    }

    private static func render(_ node: Node, parentPriority: Int, rightOfPhrase: Bool) -> String {
        switch node {
        case .operand(let operand): return render(operand)
        case .stop: return "''"
        case .not(let child): return "!" + render(child, parentPriority: 4, rightOfPhrase: false)
        case .and(let a, let b), .or(let a, let b), .phrase(let a, let b, _):
            let priority = priority(node)
            let isPhrase: Bool, symbol: String
            switch node {
            case .and: (isPhrase, symbol) = (false, "&")
            case .or: (isPhrase, symbol) = (false, "|")
            case .phrase(_, _, let distance): (isPhrase, symbol) = (true, distance == 1 ? "<->" : "<\(distance)>")
            default: (isPhrase, symbol) = (false, "")
            }
            let body = render(a, parentPriority: priority, rightOfPhrase: false) + " \(symbol) "
                + render(b, parentPriority: priority, rightOfPhrase: isPhrase)
            return priority < parentPriority || (isPhrase && rightOfPhrase) ? "( " + body + " )" : body
        }
    }

    private static func render(_ operand: Operand) -> String {
        var text = TSVector.quoted(operand.lexeme)
        guard operand.isPrefix || operand.weightMask != 0 else { return text }
        text += ":" + (operand.isPrefix ? "*" : "")
        for (bit, letter) in [(UInt8(8), "A"), (4, "B"), (2, "C"), (1, "D")] where operand.weightMask & bit != 0 { text += letter }
        return text
    }
}

extension TSQuery {
    /// Removes stop-word places as PostgreSQL does: an operator loses its stop-word side, and a
    /// phrase operator adds the stop words' width to its distance (`cat <-> the <-> rat` is `'cat' <2> 'rat'`).
    static func cleaned(_ node: Node) -> Node? { clean(node).node }

    private static func clean(_ node: Node) -> (node: Node?, left: Int, right: Int) {
        switch node {
        case .operand: return (node, 0, 0)
        case .stop: return (nil, 0, 0)
        case .not(let child):
            let result = clean(child)
            return (result.node.map { .not($0) }, result.left, result.right)
        case .and(let a, let b), .or(let a, let b), .phrase(let a, let b, _):
            let l = clean(a), r = clean(b)
            var distance = 0
            if case .phrase(_, _, let own) = node { distance = own }
            let isPhrase = priority(node) == 3
            switch (l.node, r.node) {
            case (nil, nil):
                let width = isPhrase ? l.left + distance + r.right : max(l.left, r.right)
                return (nil, width, width)
            case (nil, let right?):
                return (right, isPhrase ? l.left + distance + r.left : r.left, r.right)
            case (let left?, nil):
                return (left, l.left, isPhrase ? l.right + distance + r.right : l.right)
            case (let left?, let right?):
                switch node {
                case .and: return (.and(left, right), 0, 0)
                case .or: return (.or(left, right), 0, 0)
                default: return (.phrase(left, right, distance: distance + l.right + r.left), l.left, r.right)
                }
            }
        }
    }
}

extension TSQuery {
    /// Parses tsquery syntax. `operand` turns each written operand (text, weights, prefix) into
    /// a subtree: the lexeme itself for a `::tsquery` cast, the normalized lexemes for to_tsquery.
    init(parsing text: String, operand: @escaping (String, UInt8, Bool) throws -> Node) throws {
        var parser = TSQueryParser(reader: TextSearchReader(text, typeName: "tsquery"), makeOperand: operand)
        parser.reader.skipSpaces()
        if parser.reader.atEnd {
            root = nil
            return
        }
        let node = try parser.parseOr(depth: 0)
        parser.reader.skipSpaces()
        guard parser.reader.atEnd else { throw parser.reader.error() }
        root = Self.cleaned(node)
    }

    /// A `::tsquery` cast: operands are taken as written.
    init(parsing text: String) throws {
        try self.init(parsing: text) { lexeme, mask, prefix in .operand(Operand(lexeme: lexeme, weightMask: mask, isPrefix: prefix)) }
    }
}

private struct TSQueryParser {
    var reader: TextSearchReader
    let makeOperand: (String, UInt8, Bool) throws -> TSQuery.Node
    static let depthMax = 1000
    static let operatorScalars: Set<Unicode.Scalar> = ["!", "&", "|", "(", ")", "<", ":"]

    mutating func accept(_ scalar: Unicode.Scalar) -> Bool {
        reader.skipSpaces()
        guard reader.peek == scalar else { return false }
        reader.advance()
        return true
    }

    mutating func parseOr(depth: Int) throws -> TSQuery.Node {
        guard depth < Self.depthMax else { throw VireoError(.limitExceeded, "tsquery is too deeply nested") }
        var node = try parseAnd(depth: depth)
        while accept("|") { node = .or(node, try parseAnd(depth: depth)) }
        return node
    }

    mutating func parseAnd(depth: Int) throws -> TSQuery.Node {
        var node = try parsePhrase(depth: depth)
        while accept("&") { node = .and(node, try parsePhrase(depth: depth)) }
        return node
    }

    mutating func parsePhrase(depth: Int) throws -> TSQuery.Node {
        var node = try parseUnary(depth: depth)
        while let distance = try phraseOperator() { node = .phrase(node, try parseUnary(depth: depth), distance: distance) }
        return node
    }

    /// `<->` or `<N>`; nil (and nothing consumed) when the next token is not one.
    mutating func phraseOperator() throws -> Int? {
        reader.skipSpaces()
        guard reader.peek == "<" else { return nil }
        reader.advance()
        if reader.peek == "-" {
            reader.advance()
            guard accept(">") else { throw reader.error() }
            return 1
        }
        let distance = try reader.number()
        guard reader.peek == ">" else { throw reader.error() }
        reader.advance()
        guard distance <= TSQuery.distanceMax else {
            throw VireoError(.syntaxError, "distance in phrase operator must be an integer value between zero and \(TSQuery.distanceMax) inclusive")
        }
        return distance
    }

    mutating func parseUnary(depth: Int) throws -> TSQuery.Node {
        reader.skipSpaces()
        if accept("!") { return .not(try parseUnary(depth: depth + 1)) }
        if accept("(") {
            let node = try parseOr(depth: depth + 1)
            guard accept(")") else { throw reader.error() }
            return node
        }
        reader.skipSpaces()
        guard let next = reader.peek, !Self.operatorScalars.contains(next) else { throw reader.error() }
        let lexeme = try reader.lexeme(stopAt: Self.operatorScalars)
        var mask: UInt8 = 0, prefix = false
        if reader.peek == ":" {
            reader.advance()
            while let scalar = reader.peek {
                if scalar == "*" { prefix = true } else if let weight = TSVector.weight(of: Character(scalar)) {
                    mask |= 1 << UInt8(weight)
                } else { break }
                reader.advance()
            }
        }
        return try makeOperand(lexeme, mask, prefix)
    }
}
