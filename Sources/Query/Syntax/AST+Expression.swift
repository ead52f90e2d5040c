/// Expressions. Operator precedence lives here (`Precedence`) so that the parser and the SQL
/// printer cannot disagree about it.

/// A scalar expression. A literal and a parameter are held in place; every other case is
/// boxed (`indirect`). A bulk INSERT's VALUES list is thousands of literals: a box each,
/// made by the parser and freed with the statement.
public enum SQLExpression: Sendable, Equatable {
    case literal(Literal)
    /// `column` or `table.column` (also `excluded.column` in ON CONFLICT DO UPDATE).
    indirect case column(ColumnReference)
    /// `$n`, numbered from 1.
    case parameter(Int)
    indirect case unary(UnaryOperator, SQLExpression)
    indirect case binary(BinaryOperator, SQLExpression, SQLExpression)
    /// A run of two or more left-associative operators of one precedence level, `a + b - c` or
    /// `p AND q AND r`: the first operand, then each link's operator applied to the result so
    /// far and the link's operand. A flat chain of thousands of terms is one wide node rather
    /// than a tree thousands of levels deep, so only real nesting counts against
    /// `SyntaxLimits.nestingDepthMax` and nothing that walks the tree recurses per term.
    /// (One operator alone is `.binary`.)
    indirect case chain(SQLExpression, [OperatorLink])
    /// `x IS [NOT] NULL`.
    indirect case isNull(SQLExpression, negated: Bool)
    /// `x IS [NOT] TRUE` / `x IS [NOT] FALSE`.
    indirect case isBoolean(SQLExpression, value: Bool, negated: Bool)
    /// `x IS [NOT] DISTINCT FROM y`.
    indirect case isDistinctFrom(SQLExpression, SQLExpression, negated: Bool)
    /// `x [NOT] IN (a, b, …)`.
    indirect case inList(SQLExpression, [SQLExpression], negated: Bool)
    /// `x [NOT] IN (SELECT …)`.
    indirect case inSubquery(SQLExpression, Query, negated: Bool)
    /// `x [NOT] BETWEEN lower AND upper`.
    /// `BETWEEN SYMMETRIC` (`symmetric`) takes the bounds in either order.
    indirect case between(SQLExpression, lower: SQLExpression, upper: SQLExpression, negated: Bool, symmetric: Bool = false)
    /// `x [NOT] LIKE pattern [ESCAPE e]`; ILIKE when `caseInsensitive`.
    indirect case like(SQLExpression, pattern: SQLExpression, escape: SQLExpression?, caseInsensitive: Bool, negated: Bool)
    /// `EXISTS (SELECT …)`.
    indirect case exists(Query)
    /// `(SELECT …)` used as a value.
    indirect case subquery(Query)
    /// `CAST(x AS type)`, also written `x::type` or `type 'literal'`.
    indirect case cast(SQLExpression, TypeName)
    indirect case function(FunctionCall)
    indirect case caseWhen(CaseExpression)
    /// `ARRAY[a, b, …]`.
    indirect case array([SQLExpression])
    /// `ARRAY(SELECT …)`: the subquery's single column as an array.
    indirect case arraySubquery(Query)
    /// `a[i]`, or the slice `a[lower:upper]` (either bound may be left out) when `isSlice`.
    indirect case subscripted(SQLExpression, lower: SQLExpression?, upper: SQLExpression?, isSlice: Bool)
    /// `x op ANY (array)`, `x op SOME (…)`, `x op ALL (…)`, over an array or a subquery.
    indirect case quantified(BinaryOperator, SQLExpression, QuantifiedOperand, all: Bool)
    /// A row constructor, `(a, b, …)` or `ROW(a, …)` (which may hold one element or none).
    /// It is an operand of a row-wise comparison, IS [NOT] NULL, IS [NOT] DISTINCT FROM or IN
    /// (Binder+Rows.swift), or the operand of a field selection (`(ROW(1, 2)).f2`).
    indirect case row([SQLExpression])
    /// `(expression).name`: a field of a record (a composite-returning function's row, a
    /// whole-row reference `(t).column`, a record column), Binder+Fields.swift.
    indirect case field(SQLExpression, String)
}

/// One operator of a `.chain` and its right operand.
public struct OperatorLink: Sendable, Equatable {
    /// The operator, applied to the chain's result so far and `operand`.
    public var op: BinaryOperator
    /// The right operand.
    public var operand: SQLExpression

    /// Creates the node from its parts, as the parser would.
    public init(_ op: BinaryOperator, _ operand: SQLExpression) {
        self.op = op
        self.operand = operand
    }
}

extension SQLExpression {
    /// `first` followed by `links`, as the parser represents it: `first` alone, `.binary` for
    /// one link, `.chain` for more.
    public static func leftAssociated(_ first: SQLExpression, _ links: [OperatorLink]) -> SQLExpression {
        switch links.count {
        case 0: first
        case 1: .binary(links[0].op, first, links[0].operand)
        default: .chain(first, links)
        }
    }
}

/// What ANY or ALL ranges over.
public indirect enum QuantifiedOperand: Sendable, Equatable {
    case array(SQLExpression)
    case subquery(Query)
}

/// A constant written in the statement.
public enum Literal: Sendable, Equatable {
    case null
    case boolean(Bool)
    /// A whole number that fits in 64 bits (a leading minus sign is folded in).
    case integer(Int64)
    /// Any other number, as written (`1.5`, `-2e10`, `99999999999999999999`).
    case numeric(String)
    /// A string constant's value. Vectors (`'[1,2,3]'`), JSON and timestamps are strings until
    /// the binder gives them a type.
    case string(String)
}

/// A reference to a column, optionally qualified by a table name or alias.
public struct ColumnReference: Sendable, Equatable, Hashable {
    /// The table name or alias qualifying the column, if written.
    public var table: String?
    /// The column name (lower case unless quoted).
    public var column: String

    /// Creates the node from its parts, as the parser would.
    public init(table: String? = nil, _ column: String) {
        self.table = table
        self.column = column
    }
}

/// A function or aggregate call: `f(a, b)`, `count(*)`, `count(DISTINCT x)`.
public struct FunctionCall: Sendable, Equatable {
    /// Lower case unless quoted. `CURRENT_TIMESTAMP` and friends are calls without arguments.
    public var name: String
    /// The arguments in order; empty for `f()` and `count(*)`.
    public var arguments: [SQLExpression]
    /// `f(DISTINCT …)`.
    public var distinct: Bool
    /// `count(*)`: no arguments, every row counts.
    public var star: Bool
    /// `f(VARIADIC array)`: the argument is the array of the variadic arguments.
    /// (Beside the other flags, in their padding: calls sit in every parser frame.)
    public var variadic = false
    /// Written as a prefix operator (`@ x`, `|/ x`, `~ x`): its column is `?column?`, and it
    /// prints as the operator.
    public var isPrefixOperator = false

    /// PostgreSQL's prefix operators other than the signs, by the function each calls: `@` is
    /// abs(), `|/` dsqrt() and `||/` dcbrt() (of double precision, as PostgreSQL's), and `~`
    /// bitwise NOT (of integers and bit strings, a call of the function named `~`).
    static let prefixOperatorFunctions = ["@": "abs", "~": "~", "|/": "dsqrt", "||/": "dcbrt"]
    /// `FILTER (WHERE …)` after an aggregate: only rows where it holds are aggregated.
    public var filter: SQLExpression?
    /// `OVER (…)` or `OVER name`: a window function call; nil for a plain call.
    public var over: WindowSpecification?
    /// `agg(x ORDER BY y)`: the order an aggregate takes its rows in.
    public var orderBy: [OrderItem]
    /// `WITHIN GROUP (ORDER BY x)` of an ordered-set aggregate (percentile_cont …).
    public var withinGroup: [OrderItem]
    /// `f(a, name => b)`: each argument's name, nil for a positional one; empty when no
    /// argument is named.
    public var argumentNames: [String?] = []

    /// Creates the node from its parts, as the parser would.
    public init(_ name: String, _ arguments: [SQLExpression] = [], distinct: Bool = false, star: Bool = false,
                filter: SQLExpression? = nil, over: WindowSpecification? = nil, orderBy: [OrderItem] = [],
                withinGroup: [OrderItem] = []) {
        self.name = name
        self.arguments = arguments
        self.distinct = distinct
        self.star = star
        self.filter = filter
        self.over = over
        self.orderBy = orderBy
        self.withinGroup = withinGroup
    }
}

/// A window: which rows share a partition, their order, and the frame of rows each row's
/// window function sees. `OVER name` is a specification with only `name` set.
public struct WindowSpecification: Sendable, Equatable {
    /// A window of the WINDOW clause this one starts from; nil when none.
    public var name: String?
    /// PARTITION BY expressions; empty for one partition.
    public var partitionBy: [SQLExpression]
    /// ORDER BY keys; empty when absent (every row is then a peer of every other).
    public var orderBy: [OrderItem]
    /// The frame clause; nil for the default (RANGE UNBOUNDED PRECEDING to CURRENT ROW).
    public var frame: WindowFrame?

    /// Creates the node from its parts, as the parser would.
    public init(name: String? = nil, partitionBy: [SQLExpression] = [], orderBy: [OrderItem] = [], frame: WindowFrame? = nil) {
        self.name = name
        self.partitionBy = partitionBy
        self.orderBy = orderBy
        self.frame = frame
    }

    /// The expressions inside (partition keys, then order keys), for walking.
    var expressions: [SQLExpression] { partitionBy + orderBy.map(\.expression) + (frame?.expressions ?? []) }
}

/// `{ROWS | RANGE} start` or `{ROWS | RANGE} BETWEEN start AND end`.
public struct WindowFrame: Sendable, Equatable {
    /// Whether offsets count rows, differences of the ORDER BY value, or peer groups.
    public enum Mode: String, Sendable, Equatable { case rows = "ROWS", range = "RANGE", groups = "GROUPS" }

    /// One end of a frame.
    public enum Bound: Sendable, Equatable {
        case unboundedPreceding
        case preceding(SQLExpression)
        case currentRow
        case following(SQLExpression)
        case unboundedFollowing
    }

    /// `EXCLUDE …`: rows left out of the frame around the current row.
    public enum Exclusion: String, Sendable, Equatable {
        case noOthers = "NO OTHERS", currentRow = "CURRENT ROW", group = "GROUP", ties = "TIES"
    }

    /// ROWS, RANGE or GROUPS.
    public var mode: Mode
    /// Where the frame starts.
    public var start: Bound
    /// Where it ends; CURRENT ROW when only a start was written.
    public var end: Bound
    /// What the frame leaves out; NO OTHERS (nothing) by default.
    public var exclusion: Exclusion

    /// Creates the node from its parts, as the parser would.
    public init(mode: Mode, start: Bound, end: Bound = .currentRow, exclusion: Exclusion = .noOthers) {
        self.mode = mode
        self.start = start
        self.end = end
        self.exclusion = exclusion
    }

    var expressions: [SQLExpression] {
        [start, end].compactMap { bound in
            switch bound {
            case .preceding(let offset), .following(let offset): offset
            default: nil
            }
        }
    }
}

/// `WINDOW name AS (specification)`.
public struct NamedWindow: Sendable, Equatable {
    /// The name (lower case unless quoted).
    public var name: String
    /// What it stands for.
    public var specification: WindowSpecification

    /// Creates the node from its parts, as the parser would.
    public init(name: String, _ specification: WindowSpecification) {
        self.name = name
        self.specification = specification
    }
}

/// `CASE [operand] WHEN … THEN … [ELSE …] END`. With an operand, each `when` is compared
/// with it for equality; without, each `when` is a condition.
public struct CaseExpression: Sendable, Equatable {
    /// One `WHEN … THEN …` pair.
    public struct Branch: Sendable, Equatable {
        /// The condition (or, with an operand, the value compared with it).
        public var when: SQLExpression
        /// The result when the branch matches.
        public var then: SQLExpression

        /// Creates the node from its parts, as the parser would.
        public init(when: SQLExpression, then: SQLExpression) {
            self.when = when
            self.then = then
        }
    }

    /// The value compared in `CASE x WHEN …`; nil in the searched form.
    public var operand: SQLExpression?
    /// The WHEN branches in order (at least one).
    public var branches: [Branch]
    /// Nil when there is no ELSE (the result is then NULL).
    public var elseResult: SQLExpression?

    /// Creates the node from its parts, as the parser would.
    public init(operand: SQLExpression? = nil, branches: [Branch], elseResult: SQLExpression? = nil) {
        self.operand = operand
        self.branches = branches
        self.elseResult = elseResult
    }
}

/// Prefix operators.
public enum UnaryOperator: String, Sendable, Equatable {
    case not = "NOT"
    case minus = "-"
    case plus = "+"

    /// How tightly the operator binds its operand.
    public var precedence: Precedence { self == .not ? .not : .unarySign }
}

/// Infix operators, spelled as in SQL. `!=` parses as `<>`.
public enum BinaryOperator: String, Sendable, Equatable, CaseIterable {
    case or = "OR", and = "AND"
    case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "^"
    /// `||`: text concatenation (and vector concatenation in pgvector).
    case concat = "||"
    /// `->` JSON field or element, `->>` the same as text.
    case jsonGet = "->", jsonGetText = "->>"
    /// `#>` JSON at a path, `#>>` the same as text.
    case jsonPath = "#>", jsonPathText = "#>>"
    /// `#-`: the JSON value at a path removed (jsonb_delete_path).
    case deletePath = "#-"
    /// `@>` contains, `<@` is contained by.
    case contains = "@>", containedBy = "<@"
    /// `&&`: arrays overlap.
    case overlaps = "&&"
    /// `?` has key, `?|` has any of the keys, `?&` has all of the keys.
    case hasKey = "?", hasAnyKey = "?|", hasAllKeys = "?&"
    /// pgvector: `<->` L2 distance, `<#>` negative inner product, `<=>` cosine distance, `<+>` L1 distance.
    case l2Distance = "<->", negativeInnerProduct = "<#>", cosineDistance = "<=>", l1Distance = "<+>"
    /// pgvector on bit strings: `<~>` Hamming distance, `<%>` Jaccard distance.
    case hammingDistance = "<~>", jaccardDistance = "<%>"
    /// POSIX regular expression match: `~`, `~*` (case-insensitive) and their negations.
    case regexMatch = "~", regexMatchInsensitive = "~*", regexNotMatch = "!~", regexNotMatchInsensitive = "!~*"
    /// Text search: `tsvector @@ tsquery` (either order; text on the left is to_tsvector'd);
    /// `jsonb @@ jsonpath`: the path's predicate holds (jsonb_path_match, errors as NULL).
    case textSearchMatch = "@@"
    /// `jsonb @? jsonpath`: the path yields an item (jsonb_path_exists, errors as NULL).
    case jsonPathExists = "@?"
    /// Bitwise and, or and exclusive or of integers; shifts of an integer by an integer count.
    case bitAnd = "&", bitOr = "|", bitXor = "#", shiftLeft = "<<", shiftRight = ">>"
    /// pg_trgm on text: `a <% b` (and `b %> a`) word_similarity(a, b) at least the session's
    /// threshold, `<<%` / `%>>` the strict form; `<<->` / `<->>` and `<<<->` / `<->>>` one
    /// minus them. (`%` and `<->` on text are its similarity test and distance.)
    case wordSimilar = "<%", wordSimilarCommuted = "%>", strictWordSimilar = "<<%", strictWordSimilarCommuted = "%>>"
    case wordDistance = "<<->", wordDistanceCommuted = "<->>", strictWordDistance = "<<<->", strictWordDistanceCommuted = "<->>>"
    /// `a ^@ b`: text a starts with b (starts_with).
    case startsWith = "^@"
    /// LIKE's operators: `~~` LIKE, `~~*` ILIKE, `!~~` NOT LIKE, `!~~*` NOT ILIKE (what
    /// `x LIKE ANY (…)` applies per element).
    case like = "~~", iLike = "~~*", notLike = "!~~", notILike = "!~~*"

    /// How tightly the operator binds, from PostgreSQL's table.
    public var precedence: Precedence {
        switch self {
        case .or: .or
        case .and: .and
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: .comparison
        case .add, .subtract: .additive
        case .multiply, .divide, .modulo: .multiplicative
        case .power: .exponent
        default: .otherOperator
        }
    }

    /// The operator for a spelling; `!=` is `<>`.
    public init?(spelling: String) {
        self.init(rawValue: spelling == "!=" ? "<>" : spelling)
    }
}

/// PostgreSQL's operator precedence, lowest first. Operators of one level associate to the
/// left, except the non-associative levels (`IS`, comparison, `IN`/`BETWEEN`/`LIKE`), where
/// `a < b < c` is a syntax error, and the prefix ones, which associate to the right.
public enum Precedence: Int, Sendable, Comparable {
    case or = 1
    case and
    case not
    /// `IS [NOT] NULL / TRUE / FALSE / DISTINCT FROM`.
    case isTest
    /// `= <> < <= > >=`.
    case comparison
    /// `[NOT] IN`, `[NOT] BETWEEN`, `[NOT] LIKE / ILIKE`.
    case patternMatch
    /// Every other operator: `||`, JSON operators, pgvector distances.
    case otherOperator
    case additive
    case multiplicative
    /// `^`.
    case exponent
    /// Prefix `-` and `+`.
    case unarySign
    /// `::` casts.
    case typeCast
    /// Literals, names, calls, parenthesised expressions: never need parentheses.
    case primary

    /// Orders levels from loosest to tightest.
    public static func < (left: Precedence, right: Precedence) -> Bool { left.rawValue < right.rawValue }

    /// Whether two operators of this level in a row are a syntax error.
    public var isNonAssociative: Bool { self == .isTest || self == .comparison || self == .patternMatch }

    /// Whether a run of this level's binary operators parses into one `.chain` node (the
    /// left-associative infix levels).
    var isChainable: Bool {
        switch self {
        case .or, .and, .otherOperator, .additive, .multiplicative, .exponent: true
        default: false
        }
    }
}

// MARK: - Walking

extension SQLExpression {
    /// The expressions directly inside this one, in source order. Subqueries are not entered:
    /// see `subqueries`.
    public var children: [SQLExpression] {
        switch self {
        case .literal, .column, .parameter, .exists, .subquery: []
        case .unary(_, let operand), .isNull(let operand, _), .isBoolean(let operand, _, _), .cast(let operand, _),
             .field(let operand, _): [operand]
        case .binary(_, let left, let right), .isDistinctFrom(let left, let right, _): [left, right]
        case .chain(let first, let links): [first] + links.map(\.operand)
        case .inList(let operand, let list, _): [operand] + list
        case .inSubquery(let operand, _, _): [operand]
        case .between(let operand, let lower, let upper, _, _): [operand, lower, upper]
        case .like(let operand, let pattern, let escape, _, _): [operand, pattern] + (escape.map { [$0] } ?? [])
        case .function(let call):
            call.arguments + (call.orderBy + call.withinGroup).map(\.expression) + (call.filter.map { [$0] } ?? [])
                + (call.over?.expressions ?? [])
        case .caseWhen(let caseExpression): caseExpression.children
        case .array(let elements), .row(let elements): elements
        case .arraySubquery: []
        case .subscripted(let array, let lower, let upper, _): [array] + [lower, upper].compactMap { $0 }
        case .quantified(_, let operand, .array(let array), _): [operand, array]
        case .quantified(_, let operand, .subquery, _): [operand]
        }
    }

    /// The queries directly inside this expression (EXISTS, IN (SELECT …), scalar subqueries).
    public var subqueries: [Query] {
        switch self {
        case .exists(let query), .subquery(let query), .inSubquery(_, let query, _), .arraySubquery(let query),
             .quantified(_, _, .subquery(let query), _): [query]
        default: []
        }
    }

    /// Visits this expression and every expression inside it, parents before children,
    /// without entering subqueries. `visit` returns false to skip an expression's children.
    public func walk(_ visit: (SQLExpression) throws -> Bool) rethrows {
        guard try visit(self) else { return }
        for child in children { try child.walk(visit) }
    }

    /// Whether this expression or any expression inside it (subqueries excluded) satisfies
    /// `predicate`.
    public func contains(where predicate: (SQLExpression) -> Bool) -> Bool {
        var found = false
        walk { expression in
            if found { return false }
            found = predicate(expression)
            return !found
        }
        return found
    }
}

extension SQLExpression {
    /// Whether this is a row constructor.
    public var isRow: Bool {
        if case .row = self { true } else { false }
    }
}

extension CaseExpression {
    /// Operand, then each WHEN and THEN, then ELSE.
    public var children: [SQLExpression] {
        var result = operand.map { [$0] } ?? []
        for branch in branches { result += [branch.when, branch.then] }
        if let elseResult { result.append(elseResult) }
        return result
    }
}
