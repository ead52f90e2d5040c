import VireoStorage

/// CREATE / DROP / ALTER of tables and indexes, and CREATE EXTENSION.
extension Parser {
    /// After CREATE: `TABLE …`, `[UNIQUE] INDEX …`, `[OR REPLACE] VIEW …` or `EXTENSION …`.
    mutating func parseCreate() throws -> StatementBody {
        try expectKeyword(.create)
        if acceptKeyword(.or) {
            try expectWord("replace")
            if acceptWord("function") { return .function(.create(try parseCreateFunction(orReplace: true))) }
            if acceptWord("trigger") { return .function(.createTrigger(try parseCreateTrigger(orReplace: true))) }
            try expectWord("view")
            return .createView(try parseCreateView(orReplace: true))
        }
        if acceptWord("view") { return .createView(try parseCreateView(orReplace: false)) }
        if acceptWord("function") { return .function(.create(try parseCreateFunction(orReplace: false))) }
        if acceptWord("trigger") { return .function(.createTrigger(try parseCreateTrigger(orReplace: false))) }
        if peekKeyword(.constraint), peekWord("trigger", at: 1) {
            throw VireoError(.featureNotSupported, "constraint triggers are not supported", position: peek().start,
                             hint: "Use a plain AFTER trigger (CREATE TRIGGER).")
        }
        if acceptWord("domain") { return .typeCommand(try parseCreateDomain()) }
        if acceptWord("materialized") {
            try expectWord("view")
            return .createTableAs(try parseCreateMaterializedView())
        }
        if acceptWord("sequence") { return .createSequence(try parseCreateSequence()) }
        if acceptWord("schema") { return .createSchema(try parseCreateSchema()) }
        if acceptWord("type") { return .typeCommand(try parseCreateType()) }
        if acceptKeyword(.table) { return try parseCreateTableOrAs(temporary: false) }
        if try acceptTemporary() {
            try expectKeyword(.table)
            return try parseCreateTableOrAs(temporary: true)
        }
        let unique = acceptKeyword(.unique)
        if acceptKeyword(.index) { return .createIndex(try parseCreateIndex(unique: unique)) }
        if !unique, case .word("extension", _) = peek().kind {
            advance()
            let ifNotExists = acceptKeywords(.if, .not, .exists)
            let name = try parseIdentifier("an extension name")
            // `[WITH] [SCHEMA s] [VERSION v] [CASCADE]` (pg_dump writes WITH SCHEMA public): Vireo's
            // extensions are built in, each in its one schema and at its one version.
            _ = acceptKeyword(.with)
            if acceptWord("schema") { _ = try parseIdentifier("a schema name") }
            if acceptWord("version") {
                guard spelling(of: peek()) != nil else { throw unexpected("expected a version") }
                advance()
            }
            _ = acceptKeyword(.cascade)
            return .createExtension(CreateExtension(name: name, ifNotExists: ifNotExists))
        }
        throw unexpected(unique ? "expected INDEX" : "expected TABLE, INDEX, VIEW, SEQUENCE or EXTENSION")
    }

    /// After SCHEMA: `[IF NOT EXISTS] name [AUTHORIZATION role]` or `[IF NOT EXISTS]
    /// AUTHORIZATION role` (the schema is named after the role).
    private mutating func parseCreateSchema() throws -> CreateSchema {
        let ifNotExists = acceptKeywords(.if, .not, .exists)
        if acceptWord("authorization") {
            return CreateSchema(name: try parseIdentifier("a role name"), ifNotExists: ifNotExists)
        }
        let name = try parseIdentifier("a schema name")
        if acceptWord("authorization") { _ = try parseIdentifier("a role name") }
        return CreateSchema(name: name, ifNotExists: ifNotExists)
    }

    /// After VIEW: `name [(column, …)] AS query [WITH [CASCADED | LOCAL] CHECK OPTION]`, the
    /// query a SELECT, VALUES or WITH … SELECT.
    private mutating func parseCreateView(orReplace: Bool) throws -> CreateView {
        let name = try parseTableName("a view name")
        let columns = peek().kind == .leftParen ? try parseParenthesizedNames() : []
        try expectKeyword(.as)
        var view = CreateView(name: name, orReplace: orReplace, columns: columns,
                              query: try parseQueryOfCreateAs(refusal: "views must not contain data-modifying statements in WITH"))
        view.checkOption = try parseCheckOption()
        return view
    }

    /// `WITH [CASCADED | LOCAL] CHECK OPTION` after a view's query (CASCADED when neither is written).
    private mutating func parseCheckOption() throws -> String? {
        guard acceptKeyword(.with) else { return nil }
        let option = acceptKeyword(.local) ? "local" : (acceptWord("cascaded"), "cascaded").1
        try expectKeyword(.check)
        try expectWord("option")
        return option
    }

    /// `[LOCAL | GLOBAL] {TEMPORARY | TEMP}` before TABLE (GLOBAL and LOCAL are noise
    /// words in PostgreSQL, which warns about GLOBAL).
    mutating func acceptTemporary() throws -> Bool {
        let scoped = (peekKeyword(.local) || peekWord("global")) && (peekWord("temp", at: 1) || peekWord("temporary", at: 1))
        if scoped { advance() }
        return acceptWord("temp") || acceptWord("temporary")
    }

    /// The table name after CREATE [TEMP] TABLE: a temporary table's is in `pg_temp`, as
    /// PostgreSQL's is, and naming another schema for one is refused (42P16).
    mutating func parseCreatedTableName(temporary: Bool) throws -> TableName {
        let start = peek().start
        var name = try parseTableName()
        guard temporary else { return name }
        if let schema = name.schema, schema != "pg_temp" {
            throw VireoError(.invalidTableDefinition, "cannot create temporary relation in non-temporary schema", position: start)
        }
        name.schema = "pg_temp"
        return name
    }

    /// `ON COMMIT { PRESERVE ROWS | DELETE ROWS | DROP }`, nil when absent; only a temporary
    /// table may have it (`name` is in pg_temp), as PostgreSQL says (42P16).
    private mutating func parseOnCommit(of name: TableName) throws -> OnCommitAction? {
        guard peekKeyword(.on), peekKeyword(.commit, at: 1) else { return nil }
        let start = peek().start
        advance()
        advance()
        let action: OnCommitAction
        if acceptKeyword(.drop) {
            action = .drop
        } else if acceptWord("preserve") || peekKeyword(.delete) {
            action = acceptKeyword(.delete) ? .deleteRows : .preserveRows
            try expectKeyword(.rows)
        } else {
            throw unexpected("expected PRESERVE ROWS, DELETE ROWS or DROP after ON COMMIT")
        }
        guard name.schema == "pg_temp" else {
            throw VireoError(.invalidTableDefinition, "ON COMMIT can only be used on temporary tables", position: start)
        }
        return action
    }

    /// After TABLE: `[IF NOT EXISTS] name ( element [, …] ) [ON COMMIT …]`, or `… name
    /// [(names)] [ON COMMIT …] AS query [WITH [NO] DATA]`.
    private mutating func parseCreateTableOrAs(temporary: Bool) throws -> StatementBody {
        let ifNotExists = acceptKeywords(.if, .not, .exists)
        let name = try parseCreatedTableName(temporary: temporary)
        var names: [String] = []
        if peek().kind == .leftParen {
            // `(a, b) AS …` names the query's columns; anything else is a column list.
            var probe = self
            if let parsed = try? probe.parseParenthesizedNames(), probe.peekKeyword(.as) || probe.peekKeyword(.on) {
                self = probe
                names = parsed
            }
        }
        let onCommit = try parseOnCommit(of: name)
        guard acceptKeyword(.as) else {
            if onCommit != nil { throw unexpected("expected AS") }
            var table = try parseCreateTable(name, ifNotExists: ifNotExists)
            if acceptKeyword(.with) {
                table.storageParameters = try parseStorageParameters(withValues: true)
            } else if acceptWord("without") {
                try expectWord("oids")
            }
            table.onCommit = try parseOnCommit(of: name)
            return .createTable(table)
        }
        var statement = CreateTableAs(name: name, ifNotExists: ifNotExists, columns: names, query: try parseQueryOfCreateAs())
        statement.onCommit = onCommit
        if acceptKeyword(.with) {
            statement.withData = !acceptWord("no")
            try expectWord("data")
        }
        return .createTableAs(statement)
    }

    /// After MATERIALIZED VIEW: `[IF NOT EXISTS] name [(names)] AS query [WITH [NO] DATA]`.
    private mutating func parseCreateMaterializedView() throws -> CreateTableAs {
        let ifNotExists = acceptKeywords(.if, .not, .exists)
        let name = try parseTableName("a materialized view name")
        let columns = peek().kind == .leftParen ? try parseParenthesizedNames() : []
        try expectKeyword(.as)
        var statement = CreateTableAs(name: name, ifNotExists: ifNotExists, columns: columns,
                                      query: try parseQueryOfCreateAs(refusal: "materialized views must not use data-modifying statements in WITH"))
        statement.materialized = true
        if acceptKeyword(.with) {
            statement.withData = !acceptWord("no")
            try expectWord("data")
        }
        return statement
    }

    /// After REFRESH: `MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]`.
    mutating func parseRefreshMaterializedView() throws -> StatementBody {
        try expectWord("refresh")
        try expectWord("materialized")
        try expectWord("view")
        let concurrently = acceptWord("concurrently")
        let name = try parseTableName("a materialized view name")
        var withData = true
        if acceptKeyword(.with) {
            withData = !acceptWord("no")
            try expectWord("data")
        }
        return .materializedView(.refresh(name: name, withData: withData, concurrently: concurrently))
    }

    /// The query after `CREATE TABLE … AS` or `CREATE VIEW … AS`: a SELECT, VALUES or WITH …
    /// SELECT; `refusal` is the error for a WITH that changes data.
    private mutating func parseQueryOfCreateAs(refusal: String = "CREATE TABLE AS must not contain data-modifying statements in WITH") throws -> Query {
        guard peek().keyword == .with else { return try parseQuery() }
        let start = peek().start
        guard case .select(let query) = try parseStatementWithCommonTables() else {
            throw VireoError(.featureNotSupported, refusal, position: start)
        }
        return query
    }

    /// After the name: `( element [, …] )`.
    private mutating func parseCreateTable(_ name: TableName, ifNotExists: Bool) throws -> CreateTable {
        var table = CreateTable(name: name, ifNotExists: ifNotExists, columns: [])
        try expect(.leftParen, "(")
        if accept(.rightParen) { return table }
        repeat {
            if acceptKeyword(.like) {
                table.likes.append(try parseTableLike(position: table.columns.count))
            } else if startsTableConstraint() {
                table.constraints.append(try parseTableConstraint())
            } else {
                table.columns.append(try parseColumnDefinition())
            }
        } while accept(.comma)
        try expect(.rightParen, ")")
        return table
    }

    /// After LIKE: `source { INCLUDING | EXCLUDING } { option | ALL }`.
    private mutating func parseTableLike(position: Int) throws -> TableLike {
        var like = TableLike(position: position, table: try parseTableName())
        while peekWord("including") || peekWord("excluding") {
            let including = acceptWord("including")
            if !including { advance() }
            let options: Set<TableLike.Option>
            if acceptKeyword(.all) {
                options = Set(TableLike.Option.allCases)
            } else if case .word(let word, _) = peek().kind, let option = TableLike.Option(rawValue: word) {
                advance()
                options = [option]
            } else {
                throw unexpected("expected COMMENTS, COMPRESSION, CONSTRAINTS, DEFAULTS, GENERATED, IDENTITY, INDEXES, STATISTICS, STORAGE or ALL")
            }
            if including { like.including.formUnion(options) } else { like.including.subtract(options) }
        }
        return like
    }

    private mutating func startsTableConstraint() -> Bool {
        [.constraint, .primary, .unique, .check, .foreign].contains(peek().keyword)
    }

    /// `[CONSTRAINT name] PRIMARY KEY (columns) | UNIQUE (columns)`.
    private mutating func parseTableConstraint() throws -> TableConstraint {
        let name = acceptKeyword(.constraint) ? try parseIdentifier("a constraint name") : nil
        if acceptKeywords(.primary, .key) {
            let constraint = TableConstraint(name: name, .primaryKey(columns: try parseParenthesizedNames()))
            try parseKeyTiming()
            return constraint
        }
        if acceptKeyword(.unique) {
            let constraint = TableConstraint(name: name, .unique(columns: try parseParenthesizedNames()))
            try parseKeyTiming()
            return constraint
        }
        if acceptKeyword(.check) { return TableConstraint(name: name, .check(try parseCheckExpression())) }
        if acceptKeyword(.foreign) {
            try expectKeyword(.key)
            let columns = try parseParenthesizedNames()
            try expectKeyword(.references)
            return TableConstraint(name: name, .foreignKey(columns: columns, try parseForeignKeyReference()))
        }
        throw unexpected("expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY")
    }

    /// After REFERENCES: `table [(columns)] [MATCH SIMPLE] [ON DELETE action] [ON UPDATE action]
    /// [[NOT] DEFERRABLE] [INITIALLY {DEFERRED | IMMEDIATE}]`, the clauses in any order.
    private mutating func parseForeignKeyReference() throws -> ForeignKeyReference {
        var reference = ForeignKeyReference(table: try parseTableName())
        if peek().kind == .leftParen { reference.columns = try parseParenthesizedNames() }
        var deferrableWritten: Bool?
        var initiallyDeferredAt: Int?
        while true {
            let start = peek().start
            if acceptWord("match") {
                if acceptWord("simple") { continue }
                throw VireoError(.featureNotSupported, "MATCH FULL and MATCH PARTIAL foreign keys are not supported", position: start)
            } else if acceptKeyword(.on) {
                let isDelete = acceptKeyword(.delete)
                if !isDelete { try expectKeyword(.update) }
                let action = try parseReferentialAction()
                if isDelete { reference.onDelete = action } else { reference.onUpdate = action }
            } else if peekKeyword(.deferrable) || (peekKeyword(.not) && peekKeyword(.deferrable, at: 1)) {
                let deferrable = !acceptKeyword(.not)
                advance()
                guard deferrableWritten == nil else {
                    throw VireoError(.syntaxError, "multiple DEFERRABLE/NOT DEFERRABLE clauses not allowed", position: start)
                }
                deferrableWritten = deferrable
            } else if acceptKeyword(.initially) {
                if acceptWord("deferred") {
                    reference.initiallyDeferred = true
                    initiallyDeferredAt = start
                } else if !acceptWord("immediate") {
                    throw unexpected("expected DEFERRED or IMMEDIATE")
                }
            } else {
                // As PostgreSQL: INITIALLY DEFERRED implies DEFERRABLE, and refuses NOT DEFERRABLE.
                if reference.initiallyDeferred && deferrableWritten == false {
                    throw VireoError(.syntaxError, "constraint declared INITIALLY DEFERRED must be DEFERRABLE", position: initiallyDeferredAt)
                }
                reference.deferrable = deferrableWritten ?? reference.initiallyDeferred
                return reference
            }
        }
    }

    /// `NO ACTION | RESTRICT | CASCADE | SET NULL | SET DEFAULT` (a column list after SET is refused).
    private mutating func parseReferentialAction() throws -> ReferentialAction {
        if acceptWord("no") {
            try expectWord("action")
            return .noAction
        }
        if acceptKeyword(.restrict) { return .restrict }
        if acceptKeyword(.cascade) { return .cascade }
        if acceptKeyword(.set) {
            let action: ReferentialAction
            if acceptKeyword(.null) { action = .setNull } else if acceptKeyword(.default) { action = .setDefault } else {
                throw unexpected("expected NULL or DEFAULT")
            }
            if peek().kind == .leftParen {
                throw VireoError(.featureNotSupported, "SET NULL and SET DEFAULT with a column list are not supported", position: peek().start)
            }
            return action
        }
        throw unexpected("expected NO ACTION, RESTRICT, CASCADE, SET NULL or SET DEFAULT")
    }

    /// `( expression )` after CHECK; `NO INHERIT` and `NOT VALID` are refused.
    private mutating func parseCheckExpression() throws -> SQLExpression {
        try expect(.leftParen, "(")
        let expression = try parseExpression()
        try expect(.rightParen, ")")
        if peekKeyword(.not) && peekWord("valid", at: 1) || peekWord("no") {
            throw VireoError(.featureNotSupported, "NOT VALID and NO INHERIT check constraints are not supported", position: peek().start)
        }
        return expression
    }

    /// After GENERATED: `ALWAYS AS (expression) STORED` (PostgreSQL 15 stores every
    /// generated column) or `{ALWAYS | BY DEFAULT} AS IDENTITY [(sequence options)]`.
    private mutating func parseGeneratedColumn() throws -> ColumnConstraint.Kind {
        let identity: ColumnIdentity
        if acceptWord("always") {
            identity = .always
        } else if acceptKeyword(.by), acceptKeyword(.default) {
            identity = .byDefault
        } else {
            throw unexpected("expected ALWAYS or BY DEFAULT")
        }
        try expectKeyword(.as)
        if acceptWord("identity") {
            guard accept(.leftParen) else { return .identity(identity, []) }
            let options = try parseSequenceOptions(alter: false)
            try expect(.rightParen, ")")
            return .identity(identity, options)
        }
        guard identity == .always else { throw unexpected("expected IDENTITY") }
        try expect(.leftParen, "(")
        let expression = try parseExpression()
        try expect(.rightParen, ")")
        guard acceptWord("stored") else { throw unexpected("expected STORED (virtual generated columns are not supported)") }
        return .generated(expression)
    }

    /// `name type [constraint …]`.
    mutating func parseColumnDefinition() throws -> ColumnDefinition {
        let name = try parseIdentifier("a column name")
        var column = ColumnDefinition(name: name, type: try parseTypeName())
        while let constraint = try parseColumnConstraint() { column.constraints.append(constraint) }
        return column
    }

    /// After PRIMARY KEY or UNIQUE: `NOT DEFERRABLE` and `INITIALLY IMMEDIATE` (what such a
    /// key is anyway); a deferrable one is 0A000 (only FOREIGN KEYs defer, parseForeignKeyReference).
    private mutating func parseKeyTiming() throws {
        while true {
            let start = peek().start
            if peekKeyword(.not) && peekKeyword(.deferrable, at: 1) {
                advance()
                advance()
            } else if peekKeyword(.initially) && peekWord("immediate", at: 1) {
                advance()
                advance()
            } else if peekKeyword(.deferrable) || peekKeyword(.initially) {
                throw VireoError(.featureNotSupported, "deferrable UNIQUE and PRIMARY KEY constraints are not supported", position: start)
            } else {
                return
            }
        }
    }

    /// `[CONSTRAINT name] PRIMARY KEY | NOT NULL | NULL | UNIQUE | DEFAULT expr | CHECK (…) | REFERENCES …`;
    /// nil when none follows.
    private mutating func parseColumnConstraint() throws -> ColumnConstraint? {
        let name = acceptKeyword(.constraint) ? try parseIdentifier("a constraint name") : nil
        let kind: ColumnConstraint.Kind
        if acceptKeywords(.primary, .key) {
            kind = .primaryKey
            try parseKeyTiming()
        } else if acceptKeywords(.not, .null) {
            kind = .notNull
        } else if acceptKeyword(.null) {
            kind = .null
        } else if acceptKeyword(.unique) {
            kind = .unique
            try parseKeyTiming()
        } else if acceptKeyword(.default) {
            kind = .defaultValue(try parseExpression())
        } else if acceptWord("generated") {
            kind = try parseGeneratedColumn()
        } else if acceptKeyword(.check) {
            kind = .check(try parseCheckExpression())
        } else if acceptKeyword(.references) {
            kind = .references(try parseForeignKeyReference())
        } else {
            if name != nil { throw unexpected("expected PRIMARY KEY, NOT NULL, NULL, UNIQUE, DEFAULT, GENERATED, CHECK or REFERENCES") }
            return nil
        }
        return ColumnConstraint(name: name, kind)
    }

    /// `[IF NOT EXISTS] [name] ON table [USING method] (column | (expression) | f(…) …) [WITH (option = value, …)] [WHERE predicate]`.
    private mutating func parseCreateIndex(unique: Bool) throws -> CreateIndex {
        skipConcurrently()
        let ifNotExists = acceptKeywords(.if, .not, .exists)
        let name = (ifNotExists || !peekKeyword(.on)) ? try parseIdentifier("an index name") : nil
        try expectKeyword(.on)
        let table = try parseTableName()
        let method = acceptKeyword(.using) ? try parseIdentifier("an index method") : nil
        try expect(.leftParen, "(")
        let columns = try commaSeparated { try $0.parseIndexColumn() }
        try expect(.rightParen, ")")
        var index = CreateIndex(name: name, unique: unique, ifNotExists: ifNotExists, table: table, method: method, columns: columns)
        if acceptKeyword(.with) { index.options = try parseIndexOptions() }
        if acceptKeyword(.where) { index.predicate = try parseExpression() }
        return index
    }

    /// `column [opclass] [ASC | DESC] [NULLS FIRST | LAST]`.
    private mutating func parseIndexColumn() throws -> IndexColumn {
        var column: IndexColumn
        if peek().kind == .leftParen || ((identifier(peek()) != nil || peek().keyword != nil) && peek(1).kind == .leftParen) {
            // `(expression)`, a function call or a keyword's call form (`CAST(x AS int)`,
            // `COALESCE(a, b)`, as SQLAlchemy writes them): an expression key.
            column = IndexColumn(name: "", expression: try parsePrimary())
        } else {
            column = IndexColumn(name: try parseIdentifier("a column name"))
        }
        let nullsNext = peekKeyword(.nulls) && (peekKeyword(.first, at: 1) || peekKeyword(.last, at: 1))
        if !nullsNext, var operatorClass = identifier(peek()) {
            advance()
            // pg_dump qualifies it (public.vector_cosine_ops) when public is not on its search path.
            if ["public", "pg_catalog"].contains(operatorClass), accept(.dot) { operatorClass = try parseIdentifier("an operator class") }
            column.operatorClass = operatorClass
        }
        column.descending = acceptKeyword(.desc)
        if !column.descending { _ = acceptKeyword(.asc) }
        column.nullsFirst = try parseNullsOrder()
        return column
    }

    /// `CONCURRENTLY` after CREATE INDEX / DROP INDEX is accepted and means nothing more:
    /// Vireo builds and drops indexes inside one transaction, never blocking readers.
    /// (A following ON or IF shows it was the keyword, not an index named "concurrently".)
    private mutating func skipConcurrently() {
        guard case .word("concurrently", nil) = peek().kind else { return }
        let next = peek(1)
        if next.keyword == .on || next.keyword == .if || identifier(next) != nil { advance() }
    }

    /// `( name [= value] [, …] )` of storage parameters, a name maybe qualified (`toast.x`);
    /// without values for RESET.
    private mutating func parseStorageParameters(withValues: Bool) throws -> [StorageParameter] {
        try expect(.leftParen, "(")
        let parameters = try commaSeparated { parser in
            var name = try parser.parseLabel()
            if parser.accept(.dot) { name += "." + (try parser.parseLabel()) }
            guard withValues, parser.acceptOperator("=") else { return StorageParameter(name: name) }
            return StorageParameter(name: name, value: try parser.parseSettingValue())
        }
        try expect(.rightParen, ")")
        return parameters
    }

    /// `( name = value [, …] )`.
    private mutating func parseIndexOptions() throws -> [IndexOption] {
        try expect(.leftParen, "(")
        let options = try commaSeparated { parser in
            let name = try parser.parseLabel()
            guard parser.acceptOperator("=") else { throw parser.unexpected("expected '='") }
            return IndexOption(name: name, value: try parser.parseSettingValue())
        }
        try expect(.rightParen, ")")
        return options
    }

    /// After DROP: `TABLE | INDEX | VIEW [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    mutating func parseDrop() throws -> StatementBody {
        try expectKeyword(.drop)
        if acceptWord("view") {
            let ifExists = acceptKeywords(.if, .exists)
            let names = try commaSeparated { try $0.parseTableName("a view name") }
            return .dropView(DropView(names: names, ifExists: ifExists, cascade: parseDropBehavior()))
        }
        if acceptWord("sequence") { return try parseDropSequence() }
        if acceptWord("type") { return .typeCommand(try parseDropType()) }
        if acceptWord("function") { return .function(.drop(try parseDropFunction())) }
        if acceptWord("trigger") { return .function(.dropTrigger(try parseDropTrigger())) }
        if acceptWord("domain") { return .typeCommand(try parseDropDomain()) }
        if acceptWord("materialized") {
            try expectWord("view")
            let ifExists = acceptKeywords(.if, .exists)
            let names = try commaSeparated { try $0.parseTableName("a materialized view name") }
            return .materializedView(.drop(DropTable(names: names, ifExists: ifExists, cascade: parseDropBehavior())))
        }
        if acceptWord("schema") {
            let ifExists = acceptKeywords(.if, .exists)
            let names = try commaSeparated { try $0.parseIdentifier("a schema name") }
            return .dropSchema(DropSchema(names: names, ifExists: ifExists, cascade: parseDropBehavior()))
        }
        let isTable = acceptKeyword(.table)
        if !isTable, !acceptKeyword(.index) { throw unexpected("expected TABLE, INDEX or VIEW") }
        if !isTable { skipConcurrently() }
        let ifExists = acceptKeywords(.if, .exists)
        let names = try commaSeparated { try $0.parseTableName(isTable ? "a table name" : "an index name") }
        let cascade = parseDropBehavior()
        return isTable ? .dropTable(DropTable(names: names, ifExists: ifExists, cascade: cascade))
            : .dropIndex(DropIndex(names: names, ifExists: ifExists, cascade: cascade))
    }

    /// After COMMENT: `ON TABLE name IS text | ON COLUMN table.column IS text` (text: a string or NULL).
    mutating func parseCommentOn() throws -> CommentOn {
        try expectKeyword(.on)
        let start = peek().start
        var comment: CommentOn
        if acceptKeyword(.table) {
            comment = CommentOn(table: try parseTableName(), text: nil)
        } else if acceptKeyword(.column) {
            let parts = try parseQualifiedNameParts()
            guard parts.count >= 2 else { throw VireoError(.syntaxError, "column name must be qualified", position: start) }
            let table = parts.count == 3 ? TableName(schema: parts[0], parts[1]) : TableName(parts[0])
            comment = CommentOn(table: table, column: parts.last, text: nil)
        } else {
            throw VireoError(.featureNotSupported, "COMMENT ON supports TABLE and COLUMN", position: start)
        }
        guard acceptKeyword(.is) else { throw unexpected("expected IS") }
        if acceptKeyword(.null) { return comment }
        guard case .string(let text) = peek().kind else { throw unexpected("expected a string or NULL") }
        advance()
        comment.text = text.isEmpty ? nil : text
        return comment
    }

    /// After ANALYZE: `[VERBOSE] [table [(columns)] [, …]]`.
    mutating func parseAnalyze() throws -> Analyze {
        _ = acceptKeyword(.verbose)
        var analyze = Analyze()
        guard peek().kind != .end, peek().kind != .semicolon else { return analyze }
        repeat {
            analyze.tables.append(try parseTableName())
            analyze.columns.append(peek().kind == .leftParen ? try parseParenthesizedNames() : [])
        } while accept(.comma)
        return analyze
    }

    /// `name [. name [. name]]`.
    private mutating func parseQualifiedNameParts() throws -> [String] {
        var parts = [try parseIdentifier("a name")]
        while parts.count < 3, accept(.dot) { parts.append(try parseIdentifier("a name")) }
        return parts
    }

    /// `TRUNCATE [TABLE] [ONLY] name [, …] [RESTART IDENTITY | CONTINUE IDENTITY] [CASCADE | RESTRICT]`.
    mutating func parseTruncate() throws -> StatementBody {
        try expectWord("truncate")
        _ = acceptKeyword(.table)
        _ = acceptKeyword(.only)
        let names = try commaSeparated { try $0.parseTableName() }
        let restartIdentity = acceptWord("restart")
        if restartIdentity || acceptWord("continue") { try expectWord("identity") }
        return .truncate(Truncate(names: names, cascade: parseDropBehavior(), restartIdentity: restartIdentity))
    }

    /// After REINDEX: `[(VERBOSE [bool], …)] INDEX | TABLE | SCHEMA | DATABASE | SYSTEM
    /// [CONCURRENTLY] name` (the name optional for DATABASE and SYSTEM). The options change
    /// nothing here: TABLESPACE has no meaning in Vireo's one file.
    mutating func parseReindex() throws -> Reindex {
        if accept(.leftParen) {
            _ = try commaSeparated { parser in
                guard case .word(let option, _) = parser.peek().kind else { throw parser.unexpected("expected a REINDEX option") }
                guard ["verbose", "concurrently", "tablespace"].contains(option) else {
                    throw VireoError(.syntaxError, "unrecognized REINDEX option \"\(option)\"")
                }
                parser.advance()
                if parser.peek().kind != .comma && parser.peek().kind != .rightParen { parser.advance() }
            }
            try expect(.rightParen, ")")
        }
        guard case .word(let word, _) = peek().kind, let target = Reindex.Target(rawValue: word.uppercased()) else {
            throw unexpected("expected INDEX, TABLE, SCHEMA, DATABASE or SYSTEM")
        }
        advance()
        let concurrently = acceptWord("concurrently")
        let optionalName = target == .database || target == .system
        if optionalName, peek().kind == .semicolon || peek().kind == .end {
            return Reindex(target: target, name: nil, concurrently: concurrently)
        }
        return Reindex(target: target, name: try parseTableName(), concurrently: concurrently)
    }

    /// `ALTER TABLE [IF EXISTS] name {RENAME … | action [, action …]}`.
    mutating func parseAlterTable() throws -> AlterTable {
        try expectKeyword(.alter)
        try expectKeyword(.table)
        _ = acceptKeyword(.only)
        let ifExists = acceptKeywords(.if, .exists)
        let name = try parseTableName()
        if acceptKeyword(.rename) {
            return AlterTable(name: name, ifExists: ifExists, actions: [try parseRename()])
        }
        let actions = try commaSeparated { try $0.parseAlterAction() }
        return AlterTable(name: name, ifExists: ifExists, actions: actions)
    }

    /// After RENAME: `TO new`, `CONSTRAINT old TO new` or `[COLUMN] old TO new`.
    private mutating func parseRename() throws -> AlterTableAction {
        if acceptKeyword(.to) { return .renameTable(to: try parseIdentifier("a table name")) }
        if acceptKeyword(.constraint) {
            let old = try parseIdentifier("a constraint name")
            try expectKeyword(.to)
            return .renameConstraint(from: old, to: try parseIdentifier("a constraint name"))
        }
        _ = acceptKeyword(.column)
        let old = try parseIdentifier("a column name")
        try expectKeyword(.to)
        return .renameColumn(from: old, to: try parseIdentifier("a column name"))
    }

    /// `ADD [COLUMN] [IF NOT EXISTS] definition` or `DROP [COLUMN] [IF EXISTS] name [CASCADE | RESTRICT]`.
    private mutating func parseAlterAction() throws -> AlterTableAction {
        if acceptKeyword(.add) {
            if [.constraint, .check, .foreign, .primary, .unique].contains(peek().keyword) {
                return .addConstraint(try parseTableConstraint())
            }
            _ = acceptKeyword(.column)
            let ifNotExists = acceptKeywords(.if, .not, .exists)
            return .addColumn(try parseColumnDefinition(), ifNotExists: ifNotExists)
        }
        if acceptKeyword(.drop) {
            if acceptKeyword(.constraint) {
                let ifExists = acceptKeywords(.if, .exists)
                let name = try parseIdentifier("a constraint name")
                _ = parseDropBehavior()
                return .dropConstraint(name: name, ifExists: ifExists)
            }
            _ = acceptKeyword(.column)
            let ifExists = acceptKeywords(.if, .exists)
            let column = try parseIdentifier("a column name")
            return .dropColumn(name: column, ifExists: ifExists, cascade: parseDropBehavior())
        }
        if acceptKeyword(.alter) {
            _ = acceptKeyword(.column)
            let column = try parseIdentifier("a column name")
            return .alterColumn(name: column, try parseAlterColumnChange())
        }
        if acceptWord("owner") {
            try expectKeyword(.to)
            return .ownerTo(try parseLabel())
        }
        if peekKeyword(.set) || peekWord("reset"), peek(1).kind == .leftParen {
            let set = acceptKeyword(.set)
            if !set { advance() }
            let parameters = try parseStorageParameters(withValues: set)
            return set ? .setStorageParameters(parameters) : .resetStorageParameters(parameters.map(\.name))
        }
        if peekWord("enable") || peekWord("disable") {
            let enabled = acceptWord("enable")
            if !enabled { advance() }
            if enabled { _ = acceptWord("always") || acceptWord("replica") }
            try expectWord("trigger")
            if acceptKeyword(.all) || acceptKeyword(.user) { return .enableTrigger(nil, enabled: enabled) }
            return .enableTrigger(try parseIdentifier("a trigger name"), enabled: enabled)
        }
        throw unexpected("expected ADD, DROP, ALTER, RENAME, OWNER, SET, RESET, ENABLE or DISABLE")
    }

    /// After `ALTER [COLUMN] name`: `SET DEFAULT e | DROP DEFAULT | {SET | DROP} NOT NULL |
    /// [SET DATA] TYPE t [COLLATE c] [USING e] | SET {STATISTICS n | STORAGE s | COMPRESSION c}`.
    private mutating func parseAlterColumnChange() throws -> AlterColumnChange {
        if acceptKeyword(.add) {
            try expectWord("generated")
            guard case .identity(let identity, let options) = try parseGeneratedColumn() else {
                throw unexpected("expected AS IDENTITY")
            }
            return .addIdentity(identity, options)
        }
        if acceptKeyword(.drop) {
            if acceptKeyword(.default) { return .dropDefault }
            if acceptKeywords(.not, .null) { return .dropNotNull }
            throw unexpected("expected DEFAULT or NOT NULL after DROP")
        }
        if acceptKeyword(.set) {
            if acceptKeyword(.default) { return .setDefault(try parseExpression()) }
            if acceptKeywords(.not, .null) { return .setNotNull }
            if acceptWord("data") { return try parseAlterColumnType() }
            for hint in ["statistics", "storage", "compression"] where acceptWord(hint) {
                guard let value = spelling(of: peek()) else { throw unexpected("expected a value after \(hint.uppercased())") }
                advance()
                return .physicalHint(hint + " " + value)
            }
            throw unexpected("expected DEFAULT, NOT NULL, DATA TYPE, STATISTICS, STORAGE or COMPRESSION after SET")
        }
        if peekWord("type") { return try parseAlterColumnType() }
        throw unexpected("expected SET, DROP, TYPE or ADD GENERATED")
    }

    /// `TYPE t [COLLATE c] [USING expression]`.
    private mutating func parseAlterColumnType() throws -> AlterColumnChange {
        try expectWord("type")
        let type = try parseTypeName()
        if acceptKeyword(.collate) { _ = try parseIdentifier("a collation name") }
        return .setType(type, using: acceptKeyword(.using) ? try parseExpression() : nil)
    }

    /// `ALTER INDEX [IF EXISTS] name RENAME TO new`, after ALTER INDEX.
    mutating func parseAlterIndex() throws -> AlterIndex {
        let ifExists = acceptKeywords(.if, .exists)
        let name = try parseTableName("an index name")
        guard acceptKeyword(.rename) else {
            throw VireoError(.featureNotSupported, "ALTER INDEX supports RENAME TO only", position: peek().start)
        }
        try expectKeyword(.to)
        return AlterIndex(name: name, ifExists: ifExists, newName: try parseIdentifier("an index name"))
    }

    /// After VACUUM: `[FULL] [FREEZE] [VERBOSE] [ANALYZE] [table [(columns)], …]` or
    /// `(option [value], …) [table …]`.
    mutating func parseVacuum() throws -> Vacuum {
        var vacuum = Vacuum()
        if accept(.leftParen) {
            repeat {
                guard case .word(let option, _) = peek().kind else { throw unexpected("expected a VACUUM option") }
                advance()
                // `(ANALYZE true, PARALLEL 2)`: an option's value, when written.
                if peek().kind != .comma && peek().kind != .rightParen {
                    guard spelling(of: peek()) != nil else { throw unexpected("expected a value for \(option.uppercased())") }
                    advance()
                }
                vacuum.options.append(option)
            } while accept(.comma)
            try expect(.rightParen, ")")
        } else {
            for word in ["full", "freeze", "verbose", "analyze", "analyse"] where acceptWord(word) {
                vacuum.options.append(word)
            }
        }
        if peek().kind != .end, peek().kind != .semicolon { vacuum.targets = try parseAnalyze() }
        return vacuum
    }

    /// A word, number or string as written: the value of an option that Vireo takes but
    /// does not interpret.
    private func spelling(of token: Token) -> String? {
        switch token.kind {
        case .word(let text, _), .quotedIdentifier(let text), .integer(let text), .decimal(let text), .string(let text): text
        default: nil
        }
    }
}
