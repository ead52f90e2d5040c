import VireoStorage

/// Queries: SELECT, set operations, FROM with joins, ORDER BY, LIMIT/OFFSET/FETCH.
extension Parser {
    /// A whole query: set operations, then ORDER BY / LIMIT / OFFSET / FETCH for all of it.
    mutating func parseQuery() throws -> Query {
        let savedDepth = depth
        defer { depth = savedDepth }
        try descend()
        let with = try parseWithClause()
        var query = try parseSetOperations(levelMin: 1)
        try parseQueryTail(into: &query)
        if let with {
            // `WITH … (SELECT … LIMIT 1)`: the WITH wraps the parenthesised query as a whole.
            if query.with != nil { query = Query(body: .select(Select(items: [.wildcard], from: [.subquery(query, alias: "with")]))) }
            query.with = with
        }
        return query
    }

    /// UNION and EXCEPT (level 1) and the tighter INTERSECT (level 2), left-associative. A run
    /// of one operator (with the same ALL) becomes one node; each new node wraps the tree
    /// once more and counts toward `SyntaxLimits.nestingDepthMax`.
    private mutating func parseSetOperations(levelMin: Int) throws -> Query {
        let savedDepth = depth
        defer { depth = savedDepth }
        var left = try parseQueryPrimary()
        var run: (kind: SetOperation.Kind, all: Bool)?
        var operands: [Query] = []  // of `run`, kept apart so that appending does not copy them
        while let (kind, level) = setOperator(), level >= levelMin {
            advance()
            let all = acceptKeyword(.all)
            if !all { _ = acceptKeyword(.distinct) }
            let right = try parseSetOperations(levelMin: level + 1)
            if let current = run, current.kind == kind, current.all == all {
                operands.append(right)
                continue
            }
            if let current = run { left = Query(body: .setOperation(SetOperation(current.kind, all: current.all, operands: operands))) }
            try descend()
            run = (kind, all)
            operands = [left, right]
        }
        guard let run else { return left }
        return Query(body: .setOperation(SetOperation(run.kind, all: run.all, operands: operands)))
    }

    private mutating func setOperator() -> (SetOperation.Kind, Int)? {
        switch peek().keyword {
        case .union?: (.union, 1)
        case .except?: (.except, 1)
        case .intersect?: (.intersect, 2)
        default: nil
        }
    }

    /// `SELECT …` or `( query )`.
    private mutating func parseQueryPrimary() throws -> Query {
        if accept(.leftParen) {
            let query = try parseQuery()
            try expect(.rightParen, ")")
            return query
        }
        if acceptKeyword(.values) { return Query(body: .values(try parseValuesRows())) }
        if acceptKeyword(.table) {
            // `TABLE name` is `SELECT * FROM name`.
            return Query(Select(items: [.wildcard], from: [.table(try parseTableName(), alias: nil)]))
        }
        guard peekKeyword(.select) else { throw unexpected("expected SELECT") }
        return Query(try parseSelect())
    }

    /// ORDER BY, then LIMIT / OFFSET / FETCH in any order, each at most once.
    private mutating func parseQueryTail(into query: inout Query) throws {
        if peekKeyword(.order) {
            let token = peek()
            try expectKeyword(.order)
            try expectKeyword(.by)
            guard query.orderBy.isEmpty else { throw syntaxError(at: token, "multiple ORDER BY clauses not allowed") }
            query.orderBy = try commaSeparated { try $0.parseOrderItem() }
        }
        var seenLimit = query.limit != nil, seenOffset = query.offset != nil
        while let keyword = peek().keyword, keyword == .limit || keyword == .offset || keyword == .fetch || keyword == .for {
            if acceptKeyword(.for) {
                query.locking.append(try parseLockingClause())
                continue
            }
            let token = peek()
            let isOffset = keyword == .offset
            guard !(isOffset ? seenOffset : seenLimit) else {
                throw syntaxError(at: token, "multiple \(isOffset ? "OFFSET" : "LIMIT") clauses not allowed")
            }
            advance()
            switch keyword {
            case .limit: query.limit = acceptKeyword(.all) ? nil : try parseExpression()
            case .offset: query.offset = try parseOffsetValue()
            default: (query.limit, query.withTies) = try parseFetchCount()
            }
            if isOffset { seenOffset = true } else { seenLimit = true }
        }
        if query.withTies && query.orderBy.isEmpty {
            throw VireoError(.syntaxError, "WITH TIES cannot be specified without ORDER BY clause")
        }
    }

    /// `OFFSET n [ROW | ROWS]`.
    private mutating func parseOffsetValue() throws -> SQLExpression {
        let value = try parseExpression()
        if !acceptKeyword(.rows) { _ = acceptKeyword(.row) }
        return value
    }

    /// After FETCH: `{FIRST | NEXT} [n] {ROW | ROWS} {ONLY | WITH TIES}`; n defaults to 1.
    /// Gives the count and whether ties are kept.
    private mutating func parseFetchCount() throws -> (SQLExpression, Bool) {
        if !acceptKeyword(.first) { try expectKeyword(.next) }
        var count = SQLExpression.literal(.integer(1))
        if !peekKeyword(.row), !peekKeyword(.rows) { count = try parseExpression(minimum: .unarySign) }
        if !acceptKeyword(.rows) { try expectKeyword(.row) }
        if acceptKeyword(.with) {
            try expectWord("ties")
            return (count, true)
        }
        try expectKeyword(.only)
        return (count, false)
    }

    /// `expr [ASC | DESC] [NULLS {FIRST | LAST}]`.
    mutating func parseOrderItem() throws -> OrderItem {
        let expression = try parseExpression()
        let descending = acceptKeyword(.desc)
        if !descending { _ = acceptKeyword(.asc) }
        return OrderItem(expression, descending: descending, nullsFirst: try parseNullsOrder())
    }

    /// `NULLS FIRST` → true, `NULLS LAST` → false, nothing → nil.
    mutating func parseNullsOrder() throws -> Bool? {
        guard acceptKeyword(.nulls) else { return nil }
        if acceptKeyword(.first) { return true }
        try expectKeyword(.last)
        return false
    }

    /// `SELECT [DISTINCT | ALL] items [FROM …] [WHERE …] [GROUP BY …] [HAVING …]`.
    private mutating func parseSelect() throws -> Select {
        try expectKeyword(.select)
        var select = Select(items: [])
        if acceptKeyword(.distinct) {
            if acceptKeyword(.on) {
                try expect(.leftParen, "(")
                select.distinctOn = try commaSeparated { try $0.parseExpression() }
                try expect(.rightParen, ")")
            } else {
                select.distinct = true
            }
        } else {
            _ = acceptKeyword(.all)
        }
        if !endsSelectList() { select.items = try commaSeparated { try $0.parseSelectItem() } }
        if peekKeyword(.into) { try parseSelectInto() }
        if acceptKeyword(.from) { select.from = try commaSeparated { try $0.parseTableReference() } }
        if acceptKeyword(.where) { select.whereClause = try parseExpression() }
        if acceptKeywords(.group, .by) {
            if acceptKeyword(.distinct) { select.groupByDistinct = true } else { _ = acceptKeyword(.all) }
            select.groupBy = try commaSeparated { try $0.parseGroupingElement() }
        }
        if acceptKeyword(.having) { select.having = try parseExpression() }
        select.windows = try parseWindowClause()
        return select
    }

    /// One GROUP BY element: `()`, `ROLLUP (…)`, `CUBE (…)`, `GROUPING SETS (…)` or an
    /// expression. PostgreSQL reserves none of these words: only followed by `(` here are they
    /// the constructs, so `cube` stays usable as a column name (and `(cube(x))` as a call).
    mutating func parseGroupingElement() throws -> GroupingElement {
        let savedDepth = depth
        defer { depth = savedDepth }
        try descend()
        if peekIs(.leftParen), peekIs(.rightParen, at: 1) {
            advance()
            advance()
            return .empty
        }
        for (word, make) in [("rollup", GroupingElement.rollup), ("cube", GroupingElement.cube)]
        where peekWord(word) && peekIs(.leftParen, at: 1) {
            advance()
            advance()
            let elements = try commaSeparated { try $0.parseExpression() }
            try expect(.rightParen, ")")
            return make(elements)
        }
        if peekWord("grouping"), peekWord("sets", at: 1), peekIs(.leftParen, at: 2) {
            advance()
            advance()
            advance()
            let elements = try commaSeparated { try $0.parseGroupingElement() }
            try expect(.rightParen, ")")
            return .sets(elements)
        }
        return .expression(try parseExpression())
    }

    /// `INTO [TEMPORARY | TEMP | UNLOGGED] [TABLE] name` after a top-level select list: the
    /// statement is CREATE TABLE AS (`parseStatementWithSource` makes it one).
    private mutating func parseSelectInto() throws {
        let start = peek().start
        advance()
        guard depth == 1, selectInto == nil else {
            throw VireoError(.syntaxError, "SELECT ... INTO is not allowed here", position: start)
        }
        let temporary = try acceptTemporary()
        if !temporary { _ = acceptWord("unlogged") }
        _ = acceptKeyword(.table)
        selectInto = try parseCreatedTableName(temporary: temporary)
    }

    /// Whether the select list is empty (`SELECT FROM t`, `EXISTS (SELECT WHERE …)`).
    private mutating func endsSelectList() -> Bool {
        switch peek().kind {
        case .rightParen, .semicolon, .end: return true
        default:
            let stops: Set<Keyword> = [.from, .where, .group, .having, .window, .union, .intersect, .except, .order,
                                       .limit, .offset, .fetch]
            return peek().keyword.map(stops.contains) ?? false
        }
    }

    /// `*`, `table.*`, or `expr [[AS] alias]` (in select lists and RETURNING).
    mutating func parseSelectItem() throws -> SelectItem {
        if acceptOperator("*") { return .wildcard }
        if let wildcard = parseQualifiedWildcard() { return wildcard }
        let expression = try parseExpression()
        return .expression(expression, alias: try parseOptionalAlias())
    }

    /// `table.*` or `(f(…)).*`; nil (nothing consumed) for anything else. Not inlined: its
    /// lookahead (and the parser's copy `(f(…)).*` probes with) stays out of parseSelectItem's
    /// frame, which every nested subquery adds to the stack.
    @inline(never)
    private mutating func parseQualifiedWildcard() -> SelectItem? {
        if let table = identifier(peek()), peek(1).kind == .dot, peek(2).isOperator("*") {
            advance()
            advance()
            advance()
            return .qualifiedWildcard(table: table)
        }
        guard peek().kind == .leftParen, identifier(peek(1)) != nil, peek(2).kind == .leftParen else { return nil }
        var probe = self
        probe.advance()
        guard case .function(let call)? = try? probe.parsePrimary(), probe.accept(.rightParen),
              probe.peek().kind == .dot, probe.peek(1).isOperator("*") else { return nil }
        probe.advance()
        probe.advance()
        self = probe
        return .expandedRow(call)
    }

    // MARK: - FROM

    /// A FROM entry: a table, a subquery or a parenthesised join, followed by joins.
    mutating func parseTableReference() throws -> TableReference {
        let savedDepth = depth
        defer { depth = savedDepth }
        try descend()
        var left = try parseTablePrimary()
        while true {
            let natural = acceptKeyword(.natural)
            if natural && peekKeyword(.cross) { throw unexpected("expected JOIN") }
            guard let kind = try parseJoinKind() else {
                if natural { throw unexpected("expected JOIN") }
                break
            }
            try descend()
            let right = try parseTablePrimary()
            let condition: Join.Condition = natural ? .natural : kind == .cross ? .none : try parseJoinCondition()
            left = .join(Join(kind, left, right, condition))
        }
        return left
    }

    private mutating func parseTablePrimary() throws -> TableReference {
        if peekKeyword(.lateral), identifier(peek(1)) != nil, peek(2).kind == .leftParen { advance() }
        if identifier(peek()) != nil, peek(1).kind == .leftParen { return .function(try parseTableFunction()) }
        if case .word(let schema, _) = peek().kind, Self.functionSchemaNames.contains(schema), peek(1).kind == .dot,
           peek(3).kind == .leftParen {
            return .function(try parseTableFunction())
        }
        if acceptKeyword(.lateral) {
            try expect(.leftParen, "(")
            guard startsQuery() else { throw unexpected("expected SELECT") }
            let query = try parseQuery()
            try expect(.rightParen, ")")
            let alias = try parseOptionalAlias()
            return .lateral(query, alias: alias, columns: alias != nil && peek().kind == .leftParen ? try parseParenthesizedNames() : [])
        }
        guard accept(.leftParen) else {
            let name = try parseTableName()
            // TABLESAMPLE is no alias (PostgreSQL keeps it out of bare names).
            let alias = peekWord("tablesample") ? nil : try parseOptionalAlias()
            guard acceptWord("tablesample") else { return .table(name, alias: alias) }
            return .sample(try parseTableSample(name, alias: alias))
        }
        if acceptKeyword(.values) {
            let rows = try parseValuesRows()
            try expect(.rightParen, ")")
            let alias = try parseOptionalAlias()
            let columns = alias != nil && peek().kind == .leftParen ? try parseParenthesizedNames() : []
            return .values(rows, alias: alias, columns: columns)
        }
        if startsQuery() {
            let query = try parseQuery()
            try expect(.rightParen, ")")
            let alias = try parseOptionalAlias()
            return .subquery(query, alias: alias, columns: alias != nil && peek().kind == .leftParen ? try parseParenthesizedNames() : [])
        }
        let inner = try parseTableReference()
        try expect(.rightParen, ")")
        return inner
    }

    /// `method (argument [, …]) [REPEATABLE (seed)]`, after `name [alias] TABLESAMPLE`.
    private mutating func parseTableSample(_ name: TableName, alias: String?) throws -> TableSample {
        let method = try parseIdentifier("a sampling method")
        try expect(.leftParen, "(")
        let arguments = try commaSeparated { try $0.parseExpression() }
        try expect(.rightParen, ")")
        var sample = TableSample(table: name, alias: alias, method: method, arguments: arguments)
        if acceptWord("repeatable") {
            try expect(.leftParen, "(")
            sample.seed = try parseExpression()
            try expect(.rightParen, ")")
        }
        return sample
    }

    /// `name(…) [WITH ORDINALITY] [[AS] alias [(column, …)]]`, or `name(…) [AS] [alias]
    /// (column type, …)` for a function returning `record`.
    private mutating func parseTableFunction() throws -> TableFunctionReference {
        let start = peek()
        guard case .function(let call) = try parsePrimary(), call.over == nil, call.filter == nil else {
            throw syntaxError(at: start, "expected a function call")
        }
        var reference = TableFunctionReference(call: call)
        if peekKeyword(.with), peekWord("ordinality", at: 1) {
            advance()
            advance()
            reference.withOrdinality = true
        }
        if peekKeyword(.as), peek(1).kind == .leftParen {
            advance()  // `AS (a int, …)`: a column definition list without an alias
        } else {
            reference.alias = try parseOptionalAlias()
            guard reference.alias != nil, peek().kind == .leftParen else { return reference }
        }
        // `(a, b)` renames the columns; `(a int, b text)` defines them (the first entry decides).
        if identifier(peek(1)) != nil, peek(2).kind == .comma || peek(2).kind == .rightParen, reference.alias != nil {
            reference.columns = try parseParenthesizedNames()
            return reference
        }
        let list = peek()
        try expect(.leftParen, "(")
        reference.recordColumns = try commaSeparated { RecordColumn(try $0.parseIdentifier("a column name"), try $0.parseTypeName()) }
        try expect(.rightParen, ")")
        if reference.withOrdinality {
            throw VireoError(.syntaxError, "WITH ORDINALITY cannot be used with a column definition list",
                             position: list.start, hint: "Put the column definition list inside ROWS FROM().")
        }
        return reference
    }

    /// `[INNER] JOIN`, `LEFT [OUTER] JOIN`, `RIGHT [OUTER] JOIN`, `FULL [OUTER] JOIN`,
    /// `CROSS JOIN` (after a NATURAL, which the caller took); nil when no join follows.
    private mutating func parseJoinKind() throws -> Join.Kind? {
        let kind: Join.Kind
        switch peek().keyword {
        case .join?: kind = .inner
        case .inner?: kind = .inner
        case .left?: kind = .left
        case .right?: kind = .right
        case .full?: kind = .full
        case .cross?: kind = .cross
        default: return nil
        }
        if acceptKeyword(.join) { return kind }
        advance()
        if kind != .inner, kind != .cross { _ = acceptKeyword(.outer) }
        try expectKeyword(.join)
        return kind
    }

    private mutating func parseJoinCondition() throws -> Join.Condition {
        if acceptKeyword(.on) { return .on(try parseExpression()) }
        if acceptKeyword(.using) { return .using(try parseParenthesizedNames()) }
        throw unexpected("expected ON or USING")
    }
}
