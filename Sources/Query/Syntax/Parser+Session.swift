import VireoStorage

/// PREPARE, EXECUTE, DEALLOCATE, LOCK, GRANT, REVOKE and CREATE ROLE / USER.
extension Parser {
    /// The statements of this file, nil when the next word begins none of them.
    mutating func parseSessionStatement() throws -> StatementBody? {
        if acceptWord("prepare") { return .prepare(try parsePrepare()) }
        if acceptWord("execute") { return .executePrepared(try parseExecute()) }
        if acceptWord("deallocate") {
            // `DEALLOCATE prepare` names a statement `prepare`; PREPARE is only the optional word.
            if peekWord("prepare"), ![.end, .semicolon].contains(peek(1).kind) { advance() }
            if acceptKeyword(.all) { return .deallocate(nil) }
            return .deallocate(try parseIdentifier("a prepared statement name"))
        }
        if acceptWord("lock") { return .lockTable(try parseLockTable()) }
        if peekKeyword(.grant) || peekWord("revoke") { return .grant(try parseGrant()) }
        if peekKeyword(.create), peekWord("role", at: 1) || peekKeyword(.user, at: 1) || peekWord("group", at: 1) {
            throw VireoError(.featureNotSupported,
                             "CREATE \(peek(1).keyword == .user ? "USER" : "ROLE") is not supported: Vireo has one role, and clients authenticate with API keys (see docs/pgwire.md, \"Startup and authentication\")")
        }
        return nil
    }

    /// After PREPARE: `name [(type, …)] AS statement`, the statement a SELECT, VALUES,
    /// INSERT, UPDATE, DELETE or MERGE (PostgreSQL's preparable statements).
    private mutating func parsePrepare() throws -> PrepareStatement {
        let name = try parseIdentifier("a prepared statement name")
        var types: [TypeName] = []
        if accept(.leftParen) {
            types = try commaSeparated { try $0.parseTypeName() }
            try expect(.rightParen, ")")
        }
        try expectKeyword(.as)
        let start = peek().start
        let body = try parseStatementBody()
        switch body {
        case .select, .selectChangingData, .insert, .update, .delete, .merge: break
        default: throw VireoError(.syntaxError, "syntax error at or near \"\(body.sql.prefix { $0 != " " })\"", position: start)
        }
        let range = start..<max(start, lastEnd)
        var prepared = body
        if hasLockingClause, case .select(let query) = body { prepared = .selectChangingData(query) }
        let inner = Statement(body: prepared, sourceRange: range,
                              sourceText: String(decoding: lexer.bytes[range], as: UTF8.self), parameterCount: parameterCountMax)
        // PREPARE itself takes no parameters; its statement's are given by EXECUTE.
        parameterCountMax = 0
        hasLockingClause = false
        return PrepareStatement(name: name, parameterTypes: types, statement: inner)
    }

    /// After EXECUTE: `name [(expression, …)]`.
    private mutating func parseExecute() throws -> ExecuteStatement {
        let name = try parseIdentifier("a prepared statement name")
        var arguments: [SQLExpression] = []
        if accept(.leftParen) {
            arguments = try commaSeparated { try $0.parseExpression() }
            try expect(.rightParen, ")")
        }
        return ExecuteStatement(name: name, arguments: arguments)
    }

    /// After LOCK: `[TABLE] [ONLY] name [*] [, …] [IN mode MODE] [NOWAIT]`.
    private mutating func parseLockTable() throws -> LockTable {
        _ = acceptKeyword(.table)
        let names = try commaSeparated { parser -> TableName in
            _ = parser.acceptKeyword(.only)
            let name = try parser.parseTableName()
            _ = parser.acceptOperator("*")
            return name
        }
        var statement = LockTable(names: names)
        if acceptKeyword(.in) {
            statement.mode = try parseLockMode()
            try expectWord("mode")
        }
        statement.noWait = acceptWord("nowait")
        return statement
    }

    /// ACCESS SHARE … ACCESS EXCLUSIVE.
    private mutating func parseLockMode() throws -> TableLockMode {
        if acceptWord("access") {
            if acceptWord("share") { return .accessShare }
            try expectWord("exclusive")
            return .accessExclusive
        }
        if acceptKeyword(.row) {
            if acceptWord("share") { return .rowShare }
            try expectWord("exclusive")
            return .rowExclusive
        }
        if acceptWord("exclusive") { return .exclusive }
        if acceptWord("share") {
            if acceptKeyword(.update) {
                try expectWord("exclusive")
                return .shareUpdateExclusive
            }
            if acceptKeyword(.row) {
                try expectWord("exclusive")
                return .shareRowExclusive
            }
            return .share
        }
        throw unexpected("expected a lock mode")
    }

    /// `GRANT privileges ON [kind] objects TO grantees [WITH GRANT OPTION] [GRANTED BY role]`,
    /// `REVOKE [GRANT OPTION FOR] privileges ON [kind] objects FROM grantees [CASCADE | RESTRICT]`.
    private mutating func parseGrant() throws -> GrantStatement {
        let isGrant = acceptKeyword(.grant)
        if !isGrant {
            advance()  // REVOKE
            if acceptWord("grant") || acceptKeyword(.grant) {
                try expectWord("option")
                try expectKeyword(.for)
            }
        }
        var privileges: [String] = []
        repeat { privileges.append(try parsePrivilege()) } while accept(.comma)
        try expectKeyword(.on)
        let kind = try parseGrantObjectKind()
        // Schemas and databases have one-part names, as PostgreSQL's grammar says.
        let oneWordNames = kind == .database || kind == .schema || kind.rawValue.hasPrefix("ALL ")
        let objects = try commaSeparated { parser -> TableName in
            if oneWordNames { return TableName(try parser.parseIdentifier("a \(kind == .database ? "database" : "schema") name")) }
            let name = try parser.parseTableName("an object name")
            if kind == .function, parser.peek().kind == .leftParen { try parser.skipParenthesized() }
            return name
        }
        if isGrant { try expectKeyword(.to) } else { try expectKeyword(.from) }
        let grantees = try commaSeparated { parser -> String in
            _ = parser.acceptKeyword(.group)
            if parser.acceptKeyword(.currentUser) { return "current_user" }
            if parser.acceptKeyword(.sessionUser) { return "session_user" }
            if parser.acceptWord("current_role") { return "current_role" }
            if parser.acceptWord("public") { return "public" }
            return try parser.parseIdentifier("a role name")
        }
        var trailer: [String] = []
        if isGrant, acceptKeyword(.with) {
            try expectKeyword(.grant)
            try expectWord("option")
            trailer.append("WITH GRANT OPTION")
        }
        if acceptWord("granted") {
            try expectKeyword(.by)
            _ = try parseIdentifier("a role name")
        }
        if !isGrant, acceptKeyword(.cascade) { trailer.append("CASCADE") } else if !isGrant, acceptKeyword(.restrict) { trailer.append("RESTRICT") }
        return GrantStatement(isGrant: isGrant, privileges: privileges, kind: kind, objects: objects, grantees: grantees,
                              trailer: trailer.joined(separator: " "))
    }

    /// One privilege: `SELECT`, `ALL [PRIVILEGES]`, `UPDATE (a, b)` …, upper case.
    private mutating func parsePrivilege() throws -> String {
        if acceptKeyword(.all) { return acceptWord("privileges") ? "ALL PRIVILEGES" : "ALL" }
        let token = advance()
        guard let word = spellingOfWord(token) else { throw unexpected("expected a privilege") }
        var privilege = word.uppercased()
        let known: Set<String> = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "USAGE",
                                  "CREATE", "CONNECT", "TEMPORARY", "TEMP", "EXECUTE", "MAINTAIN"]
        guard known.contains(privilege) else {
            throw VireoError(.syntaxError, "unrecognized privilege type \"\(word)\"", position: token.start)
        }
        if peek().kind == .leftParen {
            privilege += " (" + (try parseParenthesizedNames()).map(quoteIdentifier).joined(separator: ", ") + ")"
        }
        return privilege
    }

    /// What follows ON in GRANT: `[TABLE | SEQUENCE | SCHEMA | DATABASE | FUNCTION | ALL … IN SCHEMA]`.
    private mutating func parseGrantObjectKind() throws -> GrantStatement.ObjectKind {
        if peekKeyword(.all), peekWord("in", at: 2) || peekKeyword(.in, at: 2) {
            advance()
            let kind: GrantStatement.ObjectKind
            if acceptWord("tables") { kind = .allTablesInSchema } else if acceptWord("sequences") { kind = .allSequencesInSchema } else {
                try expectWord("functions")
                kind = .allFunctionsInSchema
            }
            try expectKeyword(.in)
            try expectWord("schema")
            return kind
        }
        if acceptKeyword(.table) { return .table }
        let kinds: [(String, GrantStatement.ObjectKind)] = [("sequence", .sequence), ("schema", .schema), ("database", .database),
                                                           ("function", .function)]
        for (word, kind) in kinds where acceptWord(word) { return kind }
        return .table
    }

    /// Skips `( … )` with nested parentheses (a function's argument types in GRANT).
    private mutating func skipParenthesized() throws {
        try expect(.leftParen, "(")
        var depth = 1
        while depth > 0 {
            let token = advance()
            switch token.kind {
            case .leftParen: depth += 1
            case .rightParen: depth -= 1
            case .end: throw unexpected("expected )")
            default: break
            }
        }
    }

    /// A word token's lower-case spelling (keywords included), nil for other tokens.
    private func spellingOfWord(_ token: Token) -> String? {
        if let keyword = token.keyword { return keyword.rawValue }
        if case .word(let word, _) = token.kind { return word }
        return nil
    }
}
