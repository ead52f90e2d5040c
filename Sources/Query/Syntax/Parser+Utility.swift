import VireoStorage

/// Statement dispatch, transaction control, SET / SHOW / RESET and EXPLAIN.
extension Parser {
    /// One statement, chosen by its first keyword.
    mutating func parseStatementBody() throws -> StatementBody {
        if peek().kind == .leftParen { return .select(try parseQuery()) }
        if peekWord("truncate") { return try parseTruncate() }
        if acceptWord("reindex") { return .reindex(try parseReindex()) }
        if peekWord("merge") { return .merge(try parseMerge()) }
        if acceptWord("comment") { return .comment(try parseCommentOn()) }
        if acceptKeyword(.analyze) || acceptKeyword(.analyse) { return .analyze(try parseAnalyze()) }
        if acceptWord("vacuum") { return .vacuum(try parseVacuum()) }
        if acceptWord("savepoint") { return .transaction(.savepoint(try parseIdentifier("a savepoint name"))) }
        if peekWord("declare") { return .declareCursor(try parseDeclareCursor()) }
        if peekKeyword(.fetch) || peekWord("move") { return .fetch(try parseFetchCursor()) }
        if peekWord("close") { return .closeCursor(try parseCloseCursor()) }
        if peekWord("listen") || peekWord("unlisten") || peekWord("notify") { return try parseListenOrNotify() }
        if acceptWord("discard") { return .discard(try parseDiscardTarget()) }
        if peekWord("refresh") { return try parseRefreshMaterializedView() }
        if acceptKeyword(.do) { return .doBlock(try parseDoBlock()) }
        if let statement = try parseSessionStatement() { return statement }
        if acceptWord("release") {
            _ = acceptWord("savepoint")
            return .transaction(.releaseSavepoint(try parseIdentifier("a savepoint name")))
        }
        switch peek().keyword {
        case .select?, .values?, .table?: return .select(try parseQuery())
        case .with?: return try parseStatementWithCommonTables()
        case .insert?: return .insert(try parseInsert())
        case .update?: return .update(try parseUpdate())
        case .delete?: return .delete(try parseDelete())
        case .create?: return try parseCreate()
        case .drop?: return try parseDrop()
        case .alter?:
            if peekKeyword(.index, at: 1) {
                advance()
                advance()
                return .alterIndex(try parseAlterIndex())
            }
            if peekWord("sequence", at: 1) { return .alterSequence(try parseAlterSequence()) }
            if peekWord("type", at: 1) { return .typeCommand(try parseAlterType()) }
            return .alterTable(try parseAlterTable())
        case .begin?, .start?, .commit?, .end?, .rollback?, .abort?: return .transaction(try parseTransaction())
        case .set?:
            if peekKeyword(.transaction, at: 1) || peekWord("characteristics", at: 2) { return .transaction(try parseSetTransaction()) }
            if peekWord("constraints", at: 1) && !isSettingAssignment(at: 2) { return .transaction(try parseSetConstraints()) }
            return .set(try parseSet())
        case .show?: return .show(ShowStatement(name: try parseSettingTarget(after: .show)))
        case .reset?: return .reset(ResetStatement(name: try parseSettingTarget(after: .reset)))
        case .explain?: return .explain(try parseExplain())
        default: throw unexpected("expected a statement")
        }
    }

    /// What follows DO: the code block's string, with `LANGUAGE name` before or after it.
    private mutating func parseDoBlock() throws -> DoBlock {
        var language: String?
        func parseLanguage() throws {
            guard language == nil, acceptWord("language") else { return }
            language = try parseIdentifier("a language name")
        }
        try parseLanguage()
        guard case .string(let body) = peek().kind else { throw unexpected("expected the code block of DO as a string") }
        advance()
        try parseLanguage()
        return DoBlock(body: body, language: language ?? "plpgsql")
    }

    /// `LISTEN channel`, `UNLISTEN { channel | * }`, `NOTIFY channel [, 'payload']`.
    private mutating func parseListenOrNotify() throws -> StatementBody {
        if acceptWord("listen") { return .listen(try parseIdentifier("a channel name")) }
        if acceptWord("unlisten") {
            if acceptOperator("*") { return .unlisten(nil) }
            return .unlisten(try parseIdentifier("a channel name"))
        }
        advance()
        let channel = try parseIdentifier("a channel name")
        guard accept(.comma) else { return .notify(channel: channel, payload: nil) }
        guard case .string(let payload) = peek().kind else { throw unexpected("expected a string payload") }
        advance()
        return .notify(channel: channel, payload: payload)
    }

    /// What follows DISCARD: ALL, PLANS, SEQUENCES, TEMP or TEMPORARY.
    private mutating func parseDiscardTarget() throws -> DiscardTarget {
        if acceptKeyword(.all) { return .all }
        for target in [DiscardTarget.plans, .sequences, .temp] where acceptWord(target.rawValue) { return target }
        if acceptWord("temporary") { return .temp }
        throw unexpected("expected ALL, PLANS, SEQUENCES or TEMP after DISCARD")
    }

    /// `BEGIN | START TRANSACTION | COMMIT | END | ROLLBACK | ABORT`, with optional
    /// WORK/TRANSACTION, transaction modes after BEGIN and START TRANSACTION, and
    /// `ROLLBACK … TO [SAVEPOINT] name`.
    private mutating func parseTransaction() throws -> TransactionCommand {
        let keyword = advance().keyword
        if keyword == .start {
            try expectKeyword(.transaction)
            return .begin(try parseTransactionModes(), spelledStart: true)
        }
        if !acceptKeyword(.work) { _ = acceptKeyword(.transaction) }
        switch keyword {
        case .begin?: return .begin(try parseTransactionModes())
        case .commit?, .end?: return .commit
        case .rollback? where acceptKeyword(.to):
            _ = acceptWord("savepoint")
            return .rollbackToSavepoint(try parseIdentifier("a savepoint name"))
        default: return .rollback
        }
    }

    /// `SET TRANSACTION modes`, `SET SESSION CHARACTERISTICS AS TRANSACTION modes`.
    private mutating func parseSetTransaction() throws -> TransactionCommand {
        try expectKeyword(.set)
        let sessionDefault = acceptKeyword(.session)
        if sessionDefault {
            guard acceptWord("characteristics") else { throw unexpected("expected CHARACTERISTICS") }
            try expectKeyword(.as)
        }
        try expectKeyword(.transaction)
        let modes = try parseTransactionModes()
        if modes == TransactionModes() { throw unexpected("expected ISOLATION LEVEL, READ ONLY or READ WRITE") }
        return .setModes(modes, sessionDefault: sessionDefault)
    }

    /// `SET CONSTRAINTS { ALL | name [, …] } { DEFERRED | IMMEDIATE }`.
    private mutating func parseSetConstraints() throws -> TransactionCommand {
        try expectKeyword(.set)
        advance()
        var names: [TableName]?
        if !acceptKeyword(.all) {
            var list = [try parseTableName()]
            while accept(.comma) { list.append(try parseTableName()) }
            names = list
        }
        if acceptWord("deferred") { return .setConstraints(names: names, deferred: true) }
        if acceptWord("immediate") { return .setConstraints(names: names, deferred: false) }
        throw unexpected("expected DEFERRED or IMMEDIATE")
    }

    /// Whether the token at `offset` makes `SET name …` a setting's assignment (`=`, TO, or
    /// the dot of a qualified setting name).
    private mutating func isSettingAssignment(at offset: Int) -> Bool {
        peekKeyword(.to, at: offset) || peekIs(.op("="), at: offset) || peekIs(.dot, at: offset)
    }

    /// `ISOLATION LEVEL level`, `READ ONLY | READ WRITE`, `[NOT] DEFERRABLE`, separated by
    /// commas or spaces (DEFERRABLE matters only to SERIALIZABLE READ ONLY and is ignored).
    private mutating func parseTransactionModes() throws -> TransactionModes {
        var modes = TransactionModes()
        while true {
            if acceptKeywords(.isolation, .level) {
                modes.isolation = try parseIsolationLevel()
            } else if acceptWord("read") {
                if acceptKeyword(.only) { modes.readOnly = true } else if acceptWord("write") { modes.readOnly = false } else {
                    throw unexpected("expected ONLY or WRITE")
                }
            } else if acceptKeyword(.not) {
                try expectKeyword(.deferrable)
            } else if !acceptKeyword(.deferrable) {
                return modes
            }
            _ = accept(.comma)
        }
    }

    private mutating func parseIsolationLevel() throws -> IsolationLevel {
        if acceptWord("serializable") { return .serializable }
        if acceptWord("repeatable") {
            guard acceptWord("read") else { throw unexpected("expected READ") }
            return .repeatableRead
        }
        if acceptWord("read"), acceptWord("committed") || acceptWord("uncommitted") { return .readCommitted }
        throw unexpected("expected SERIALIZABLE, REPEATABLE READ, READ COMMITTED or READ UNCOMMITTED")
    }

    /// `SET [SESSION | LOCAL] name {= | TO} value [, …]`, `SET … TIME ZONE value`.
    private mutating func parseSet() throws -> SetStatement {
        try expectKeyword(.set)
        var scope = SetStatement.Scope.session
        if acceptKeyword(.local) { scope = .local } else { _ = acceptKeyword(.session) }
        if acceptKeywords(.time, .zone) {
            let value = acceptKeyword(.local) ? SettingValue.default : try parseSetValue()
            return SetStatement(scope: scope, name: "timezone", value: value)
        }
        let name = try parseSettingName()
        if !acceptKeyword(.to), !acceptOperator("=") { throw unexpected("expected '=' or TO") }
        return SetStatement(scope: scope, name: name, value: try parseSetValue())
    }

    /// `DEFAULT` or one or more values separated by commas.
    private mutating func parseSetValue() throws -> SettingValue {
        if acceptKeyword(.default) { return .default }
        let values = try commaSeparated { try $0.parseSettingValue() }
        return values.count == 1 ? values[0] : .list(values)
    }

    /// A number (signed), a string, or a word such as `on` or `hnsw`.
    mutating func parseSettingValue() throws -> SettingValue {
        var sign = ""
        if case .op(let spelling) = peek().kind, spelling == "-" || spelling == "+" {
            advance()
            sign = spelling == "-" ? "-" : ""
        }
        switch peek().kind {
        case .integer(let text), .decimal(let text):
            advance()
            return .number(sign + text)
        case .string(let text) where sign.isEmpty:
            advance()
            return .string(text)
        case .word(let word, _) where sign.isEmpty, .quotedIdentifier(let word) where sign.isEmpty:
            advance()
            return .word(word)
        default: throw unexpected("expected a value")
        }
    }

    /// A setting name: words joined by dots (`hnsw.ef_search`). A quoted part may not hold a
    /// dot itself, so that the name splits back into the parts written.
    private mutating func parseSettingName() throws -> String {
        var parts = [try parseSettingNamePart()]
        while accept(.dot) { parts.append(try parseSettingNamePart()) }
        return parts.joined(separator: ".")
    }

    private mutating func parseSettingNamePart() throws -> String {
        let token = peek()
        let part = try parseLabel()
        if part.contains(".") { throw syntaxError(at: token, "expected a setting name (a part may not contain '.')") }
        return part
    }

    /// After SHOW or RESET: `ALL` (nil), `TIME ZONE`, `TRANSACTION ISOLATION LEVEL`, or a name.
    private mutating func parseSettingTarget(after keyword: Keyword) throws -> String? {
        try expectKeyword(keyword)
        if acceptKeyword(.all) { return nil }
        if acceptKeywords(.time, .zone) { return "timezone" }
        if acceptKeywords(.transaction, .isolation, .level) { return "transaction_isolation" }
        return try parseSettingName()
    }

    /// `EXPLAIN [ANALYZE] [VERBOSE] statement` or `EXPLAIN (option [value], …) statement`.
    private mutating func parseExplain() throws -> Explain {
        try expectKeyword(.explain)
        var options: [ExplainOption] = []
        // An option list starts with an option's name; `((SELECT …) UNION …)` and
        // `(SELECT …)` are the statement.
        let startsQuery = peek(1).kind == .leftParen || [.select, .with, .values].contains { peekKeyword($0, at: 1) }
        if peek().kind == .leftParen, !startsQuery {
            advance()
            options = try commaSeparated { try $0.parseExplainOption() }
            try expect(.rightParen, ")")
        } else {
            if acceptKeyword(.analyze) || acceptKeyword(.analyse) { options.append(ExplainOption(name: "analyze")) }
            if acceptKeyword(.verbose) { options.append(ExplainOption(name: "verbose")) }
        }
        let explainable: Set<Keyword> = [.select, .insert, .update, .delete, .with]
        guard peek().kind == .leftParen || peek().keyword.map(explainable.contains) == true || peekWord("merge") else {
            throw unexpected("expected SELECT, INSERT, UPDATE, DELETE or MERGE after EXPLAIN")
        }
        return Explain(options: options, statement: try parseStatementBody())
    }

    /// `name [value]`: `ANALYZE`, `ANALYZE false`, `FORMAT json`.
    private mutating func parseExplainOption() throws -> ExplainOption {
        var name = try parseLabel()
        if name == "analyse" { name = "analyze" }
        if peek().kind == .comma || peek().kind == .rightParen { return ExplainOption(name: name) }
        return ExplainOption(name: name, value: try parseSettingValue())
    }
}
