import VireoStorage

/// WITH lists, window specifications and the other clauses whose words PostgreSQL does not
/// reserve (OVER, FILTER, PARTITION, RECURSIVE, RANGE, UNBOUNDED …): they are matched as plain
/// words here, so they stay usable as column and table names.
extension Parser {
    /// Whether the next token (at `offset`) is the unquoted word `word`.
    mutating func peekWord(_ word: String, at offset: Int = 0) -> Bool {
        if case .word(let name, _) = peek(offset).kind { return name == word }
        return false
    }

    /// Consumes the unquoted word `word` if it is next.
    mutating func acceptWord(_ word: String) -> Bool {
        guard peekWord(word) else { return false }
        advance()
        return true
    }

    mutating func expectWord(_ word: String) throws {
        guard acceptWord(word) else { throw unexpected("expected \(word.uppercased())") }
    }

    /// `WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (statement) [, …]`; nil when
    /// no WITH is next.
    mutating func parseWithClause() throws -> WithClause? {
        guard acceptKeyword(.with) else { return nil }
        let recursive = acceptWord("recursive")
        let queries = try commaSeparated { try $0.parseCommonTableExpression() }
        return WithClause(recursive: recursive, queries)
    }

    /// `WITH … SELECT`, `WITH … INSERT`, `WITH … UPDATE` or `WITH … DELETE`.
    mutating func parseStatementWithCommonTables() throws -> StatementBody {
        guard let with = try parseWithClause() else { throw unexpected("expected WITH") }
        switch peek().keyword {
        case .insert?:
            var insert = try parseInsert()
            insert.with = with
            return .insert(insert)
        case .update?:
            var update = try parseUpdate()
            update.with = with
            return .update(update)
        case .delete?:
            var delete = try parseDelete()
            delete.with = with
            return .delete(delete)
        case nil where peekWord("merge"):
            var merge = try parseMerge()
            merge.with = with
            return .merge(merge)
        default:
            var query = try parseQuery()
            if query.with != nil { query = Query(body: .select(Select(items: [.wildcard], from: [.subquery(query, alias: "with")]))) }
            query.with = with
            return with.changesData ? .selectChangingData(query) : .select(query)
        }
    }

    private mutating func parseCommonTableExpression() throws -> CommonTableExpression {
        let name = try parseIdentifier("a WITH query name")
        let columns = peek().kind == .leftParen ? try parseParenthesizedNames() : []
        try expectKeyword(.as)
        if !acceptWord("materialized") && peekKeyword(.not) && peekWord("materialized", at: 1) { advance(); advance() }
        try expect(.leftParen, "(")
        let change: DataChange?
        switch peek().keyword {
        case .insert?: change = .insert(try parseInsert())
        case .update?: change = .update(try parseUpdate())
        case .delete?: change = .delete(try parseDelete())
        default: change = nil
        }
        if let change {
            try expect(.rightParen, ")")
            return CommonTableExpression(name: name, columns: columns, change: change)
        }
        guard startsQuery() || peek().kind == .leftParen else { throw unexpected("expected SELECT") }
        let query = try parseQuery()
        try expect(.rightParen, ")")
        return CommonTableExpression(name: name, columns: columns, query: query)
    }

    /// After a call's closing parenthesis: `[FILTER (WHERE …)] [OVER (…) | OVER name]`.
    mutating func parseCallSuffix(_ call: FunctionCall) throws -> FunctionCall {
        var call = call
        if peekWord("within"), peekKeyword(.group, at: 1) {
            advance()
            advance()
            try expect(.leftParen, "(")
            try expectKeyword(.order)
            try expectKeyword(.by)
            call.withinGroup = try commaSeparated { try $0.parseOrderItem() }
            try expect(.rightParen, ")")
        }
        if peekWord("filter"), peek(1).kind == .leftParen {
            advance()
            advance()
            try expectKeyword(.where)
            call.filter = try parseExpression()
            try expect(.rightParen, ")")
        }
        if acceptWord("over") {
            if peek().kind == .leftParen {
                call.over = try parseWindowSpecification()
            } else {
                call.over = WindowSpecification(name: try parseIdentifier("a window name"))
            }
        }
        return call
    }

    /// `( [name] [PARTITION BY …] [ORDER BY …] [frame] )`.
    mutating func parseWindowSpecification() throws -> WindowSpecification {
        try expect(.leftParen, "(")
        var specification = WindowSpecification()
        if let name = identifier(peek()), !["partition", "order", "rows", "range", "groups"].contains(name) || peek(1).kind == .rightParen {
            advance()
            specification.name = name
        }
        if acceptWord("partition") {
            try expectKeyword(.by)
            specification.partitionBy = try commaSeparated { try $0.parseExpression() }
        }
        if acceptKeywords(.order, .by) { specification.orderBy = try commaSeparated { try $0.parseOrderItem() } }
        specification.frame = try parseWindowFrame()
        try expect(.rightParen, ")")
        return specification
    }

    /// `{ROWS | RANGE} {start | BETWEEN start AND end}`; nil when no frame clause is next.
    private mutating func parseWindowFrame() throws -> WindowFrame? {
        let mode: WindowFrame.Mode
        if acceptKeyword(.rows) { mode = .rows } else if acceptWord("range") { mode = .range } else if acceptWord("groups") {
            mode = .groups
        } else {
            return nil
        }
        var frame: WindowFrame
        if acceptKeyword(.between) {
            let start = try parseFrameBound()
            try expectKeyword(.and)
            frame = WindowFrame(mode: mode, start: start, end: try parseFrameBound())
        } else {
            frame = WindowFrame(mode: mode, start: try parseFrameBound())
        }
        frame.exclusion = try parseFrameExclusion()
        return frame
    }

    /// `EXCLUDE {CURRENT ROW | GROUP | TIES | NO OTHERS}`; NO OTHERS when absent.
    private mutating func parseFrameExclusion() throws -> WindowFrame.Exclusion {
        guard acceptWord("exclude") else { return .noOthers }
        if acceptWord("current") {
            try expectKeyword(.row)
            return .currentRow
        }
        if acceptKeyword(.group) { return .group }
        if acceptWord("ties") { return .ties }
        try expectWord("no")
        try expectWord("others")
        return .noOthers
    }

    /// `UNBOUNDED {PRECEDING | FOLLOWING}`, `CURRENT ROW`, `offset {PRECEDING | FOLLOWING}`.
    private mutating func parseFrameBound() throws -> WindowFrame.Bound {
        if acceptWord("unbounded") {
            if acceptWord("preceding") { return .unboundedPreceding }
            try expectWord("following")
            return .unboundedFollowing
        }
        if acceptWord("current") {
            try expectKeyword(.row)
            return .currentRow
        }
        let offset = try parseExpression(minimum: .additive)
        if acceptWord("preceding") { return .preceding(offset) }
        try expectWord("following")
        return .following(offset)
    }

    /// `WINDOW name AS (…) [, …]`.
    mutating func parseWindowClause() throws -> [NamedWindow] {
        guard acceptKeyword(.window) else { return [] }
        return try commaSeparated { parser in
            let name = try parser.parseIdentifier("a window name")
            try parser.expectKeyword(.as)
            return NamedWindow(name: name, try parser.parseWindowSpecification())
        }
    }

    /// `VALUES (…), (…)` as a query body or a FROM entry; VALUES is already consumed.
    mutating func parseValuesRows() throws -> [[SQLExpression]] {
        let rows = try commaSeparated { parser -> [SQLExpression] in
            try parser.expect(.leftParen, "(")
            let row = try parser.commaSeparated { try $0.parseExpression() }
            try parser.expect(.rightParen, ")")
            return row
        }
        if let first = rows.first, rows.contains(where: { $0.count != first.count }) {
            throw VireoError(.syntaxError, "VALUES lists must all be the same length")
        }
        return rows
    }
}
