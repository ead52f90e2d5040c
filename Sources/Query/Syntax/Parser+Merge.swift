import VireoStorage

/// MERGE (PostgreSQL 15's grammar).
extension Parser {
    /// `MERGE INTO table [[AS] alias] USING source ON condition when_clause [when_clause …]`.
    mutating func parseMerge() throws -> Merge {
        try expectWord("merge")
        try expectKeyword(.into)
        let table = try parseTableName()
        let alias = try parseOptionalAlias()
        try expectKeyword(.using)
        let source = try parseTableReference()
        try expectKeyword(.on)
        let condition = try parseExpression()
        var clauses: [MergeClause] = []
        repeat {
            clauses.append(try parseMergeClause())
        } while peekKeyword(.when)
        return Merge(table: table, alias: alias, source: source, condition: condition, clauses: clauses)
    }

    /// `WHEN [NOT] MATCHED [AND condition] THEN action`.
    private mutating func parseMergeClause() throws -> MergeClause {
        try expectKeyword(.when)
        let matched = !acceptKeyword(.not)
        try expectWord("matched")
        let condition = acceptKeyword(.and) ? try parseExpression() : nil
        try expectKeyword(.then)
        let action = matched ? try parseMatchedAction() : try parseNotMatchedAction()
        return MergeClause(matched: matched, condition: condition, action: action)
    }

    /// `UPDATE SET … | DELETE | DO NOTHING`.
    private mutating func parseMatchedAction() throws -> MergeAction {
        if acceptKeywords(.do, .nothing) { return .doNothing }
        if acceptKeyword(.delete) { return .delete }
        guard acceptKeyword(.update) else { throw unexpected("expected UPDATE, DELETE or DO NOTHING") }
        try expectKeyword(.set)
        return .update(try parseAssignments())
    }

    /// `INSERT [(columns)] [OVERRIDING … VALUE] VALUES (…) | INSERT DEFAULT VALUES | DO NOTHING`.
    private mutating func parseNotMatchedAction() throws -> MergeAction {
        if acceptKeywords(.do, .nothing) { return .doNothing }
        guard acceptKeyword(.insert) else { throw unexpected("expected INSERT or DO NOTHING") }
        if acceptKeywords(.default, .values) { return .insert(columns: [], overriding: nil, values: nil) }
        let columns = peek().kind == .leftParen ? try parseParenthesizedNames() : []
        let overriding = try parseOverriding()
        try expectKeyword(.values)
        return .insert(columns: columns, overriding: overriding, values: try parseValuesRow(reserving: 0))
    }
}
