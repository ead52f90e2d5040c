import VireoStorage

/// INSERT, UPDATE and DELETE.
extension Parser {
    /// `INSERT INTO table [AS alias] [(columns)] {VALUES … | query | DEFAULT VALUES}
    /// [ON CONFLICT …] [RETURNING …]`.
    mutating func parseInsert() throws -> Insert {
        try expectKeyword(.insert)
        try expectKeyword(.into)
        let table = try parseTableName()
        let alias = acceptKeyword(.as) ? try parseIdentifier("an alias") : nil
        var columns: [String] = []
        if peek().kind == .leftParen, !peekKeyword(.select, at: 1), peek(1).kind != .leftParen {
            columns = try parseParenthesizedNames()
        }
        let overriding = try parseOverriding()
        let source = try parseInsertSource()
        let onConflict = try parseOnConflict()
        var insert = Insert(table: table, alias: alias, columns: columns, source: source,
                            onConflict: onConflict, returning: try parseReturning())
        insert.overriding = overriding
        return insert
    }

    /// `OVERRIDING {SYSTEM | USER} VALUE`, nil when absent.
    mutating func parseOverriding() throws -> Insert.Overriding? {
        guard acceptWord("overriding") else { return nil }
        let overriding: Insert.Overriding
        if acceptWord("system") { overriding = .system } else if acceptKeyword(.user) { overriding = .user } else {
            throw unexpected("expected SYSTEM or USER")
        }
        try expectWord("value")
        return overriding
    }

    private mutating func parseInsertSource() throws -> InsertSource {
        if acceptKeyword(.values) {
            // Rows are as wide as the first: each makes room for that many values at once.
            var width = 0
            return .values(try commaSeparated { parser in
                let row = try parser.parseValuesRow(reserving: width)
                width = row.count
                return row
            })
        }
        if acceptKeywords(.default, .values) { return .defaultValues }
        guard startsQuery() || peek().kind == .leftParen else {
            throw unexpected("expected VALUES, SELECT or DEFAULT VALUES")
        }
        return .query(try parseQuery())
    }

    /// `( value [, value …] )` where a value is an expression or DEFAULT.
    mutating func parseValuesRow(reserving width: Int) throws -> [ColumnValue] {
        try expect(.leftParen, "(")
        let values = try commaSeparated(reserving: width) { try $0.parseColumnValue() }
        try expect(.rightParen, ")")
        return values
    }

    private mutating func parseColumnValue() throws -> ColumnValue {
        if let literal = parseLoneLiteral() { return .expression(.literal(literal)) }
        return acceptKeyword(.default) ? .default : .expression(try parseExpression())
    }

    /// A VALUES item that is one literal (`42`, `-7`, `1.5`, `'text'`, NULL, TRUE, FALSE) with
    /// `,` or `)` after it, consumed; nil, consuming nothing, for anything else. The literal
    /// is the one `parseExpression` returns for the same tokens (a minus sign folded into a
    /// number, an integer too large for 64 bits kept as numeric); bulk INSERTs of thousands
    /// of such rows skip its precedence climbing.
    mutating func parseLoneLiteral() -> Literal? {
        let isNegative = peekIs(.op("-"))
        let offset = isNegative ? 1 : 0
        guard peekIs(.comma, at: offset + 1) || peekIs(.rightParen, at: offset + 1) else { return nil }
        let literal: Literal
        // In place: `peek` hands out a copy of the token.
        switch lookahead[lookaheadStart + offset].kind {
        case .integer(let digits):
            let text = isNegative ? "-" + digits : digits
            literal = Int64(text).map(Literal.integer) ?? .numeric(text)
        case .decimal(let text): literal = .numeric(isNegative ? "-" + text : text)
        case .string(let value) where !isNegative: literal = .string(value)
        case .word(_, let keyword?) where !isNegative:
            switch keyword {
            case .null: literal = .null
            case .true, .false: literal = .boolean(keyword == .true)
            default: return nil
            }
        default: return nil
        }
        if isNegative { skip() }
        skip()
        return literal
    }

    /// `ON CONFLICT [(columns) [WHERE predicate] | ON CONSTRAINT name] DO NOTHING | DO UPDATE SET … [WHERE …]`.
    private mutating func parseOnConflict() throws -> OnConflict? {
        guard peekKeyword(.on), peekKeyword(.conflict, at: 1) else { return nil }
        advance()
        advance()
        if acceptKeyword(.on) {
            try expectKeyword(.constraint)
            let constraint = try parseIdentifier("a constraint name")
            try expectKeyword(.do)
            var onConflict = OnConflict(action: .doNothing)
            onConflict.constraint = constraint
            if acceptKeyword(.nothing) { return onConflict }
            try expectKeyword(.update)
            try expectKeyword(.set)
            let assignments = try parseAssignments()
            onConflict.action = .doUpdate(assignments: assignments, whereClause: acceptKeyword(.where) ? try parseExpression() : nil)
            return onConflict
        }
        let columns = peek().kind == .leftParen ? try parseParenthesizedNames() : []
        // `(columns) WHERE predicate` infers a partial unique index.
        let targetPredicate = !columns.isEmpty && acceptKeyword(.where) ? try parseExpression() : nil
        try expectKeyword(.do)
        if acceptKeyword(.nothing) {
            var onConflict = OnConflict(columns: columns, action: .doNothing)
            onConflict.targetPredicate = targetPredicate
            return onConflict
        }
        let updateToken = peek()
        try expectKeyword(.update)
        guard !columns.isEmpty else {
            throw syntaxError(at: updateToken, "ON CONFLICT DO UPDATE requires a conflict target such as (id)")
        }
        try expectKeyword(.set)
        let assignments = try parseAssignments()
        let whereClause = acceptKeyword(.where) ? try parseExpression() : nil
        var onConflict = OnConflict(columns: columns, action: .doUpdate(assignments: assignments, whereClause: whereClause))
        onConflict.targetPredicate = targetPredicate
        return onConflict
    }

    /// `column = value [, …]`.
    mutating func parseAssignments() throws -> [Assignment] {
        try commaSeparated { parser in
            let column = try parser.parseIdentifier("a column name")
            guard parser.acceptOperator("=") else { throw parser.unexpected("expected '='") }
            return Assignment(column: column, value: try parser.parseColumnValue())
        }
    }

    /// `[RETURNING item [, …]]`.
    private mutating func parseReturning() throws -> [SelectItem] {
        guard acceptKeyword(.returning) else { return [] }
        return try commaSeparated { try $0.parseSelectItem() }
    }

    /// `UPDATE table [[AS] alias] SET … [FROM …] [WHERE …] [RETURNING …]`.
    mutating func parseUpdate() throws -> Update {
        try expectKeyword(.update)
        let table = try parseTableName()
        var alias: String?
        if acceptKeyword(.as) {
            alias = try parseIdentifier("an alias")
        } else if !peekKeyword(.set), let name = identifier(peek()) {
            advance()
            alias = name
        }
        try expectKeyword(.set)
        var update = Update(table: table, alias: alias, assignments: try parseAssignments())
        if acceptKeyword(.from) { update.from = try commaSeparated { try $0.parseTableReference() } }
        if acceptKeyword(.where) { update.whereClause = try parseExpression() }
        update.returning = try parseReturning()
        return update
    }

    /// `DELETE FROM table [[AS] alias] [USING …] [WHERE …] [RETURNING …]`.
    mutating func parseDelete() throws -> Delete {
        try expectKeyword(.delete)
        try expectKeyword(.from)
        var delete = Delete(table: try parseTableName())
        delete.alias = try parseOptionalAlias()
        if acceptKeyword(.using) { delete.using = try commaSeparated { try $0.parseTableReference() } }
        if acceptKeyword(.where) { delete.whereClause = try parseExpression() }
        delete.returning = try parseReturning()
        return delete
    }
}
