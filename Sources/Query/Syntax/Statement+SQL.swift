/// Canonical SQL for statements and queries: `Parser.parseStatement(s.sql).body == s.body`
/// for every statement the parser returns. EXPLAIN output and logs can show it.

extension Statement {
    /// The statement as canonical SQL (without a trailing `;`).
    public var sql: String { body.sql }
}

extension StatementBody {
    /// The statement as canonical SQL (without a trailing `;`).
    public var sql: String {
        switch self {
        case .createTable(let statement): statement.sql
        case .createTableAs(let statement):
            (statement.materialized ? "CREATE MATERIALIZED VIEW " : "CREATE TABLE ") + (statement.ifNotExists ? "IF NOT EXISTS " : "") + statement.name.sql
                + (statement.columns.isEmpty ? "" : " (" + statement.columns.map(quoteIdentifier).joined(separator: ", ") + ")")
                + (statement.onCommit.map { " ON COMMIT " + $0.rawValue } ?? "")
                + " AS " + statement.query.sql + (statement.withData ? "" : " WITH NO DATA")
        case .dropTable(let statement): "DROP TABLE " + dropSQL(statement.names, statement.ifExists, statement.cascade)
        case .comment(let statement):
            "COMMENT ON " + (statement.column.map { "COLUMN " + statement.table.sql + "." + quoteIdentifier($0) } ?? "TABLE " + statement.table.sql)
                + " IS " + (statement.text.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL")
        case .analyze(let statement): "ANALYZE" + statement.targetsSQL
        case .vacuum(let statement):
            "VACUUM" + (statement.options.isEmpty ? "" : " (" + statement.options.joined(separator: ", ") + ")") + statement.targets.targetsSQL
        case .alterIndex(let statement):
            "ALTER INDEX " + (statement.ifExists ? "IF EXISTS " : "") + statement.name.sql + " RENAME TO " + quoteIdentifier(statement.newName)
        case .reindex(let statement):
            "REINDEX " + statement.target.rawValue + (statement.concurrently ? " CONCURRENTLY" : "") + (statement.name.map { " " + $0.sql } ?? "")
        case .truncate(let statement):
            "TRUNCATE " + statement.names.map(\.sql).joined(separator: ", ") + (statement.restartIdentity ? " RESTART IDENTITY" : "")
                + (statement.cascade ? " CASCADE" : "")
        case .alterTable(let statement): statement.sql
        case .createIndex(let statement): statement.sql
        case .dropIndex(let statement): "DROP INDEX " + dropSQL(statement.names, statement.ifExists, statement.cascade)
        case .createView(let statement):
            "CREATE " + (statement.orReplace ? "OR REPLACE " : "") + "VIEW " + statement.name.sql
                + (statement.columns.isEmpty ? "" : " (" + statement.columns.map(quoteIdentifier).joined(separator: ", ") + ")")
                + " AS " + statement.query.sql
                + (statement.checkOption.map { " WITH \($0.uppercased()) CHECK OPTION" } ?? "")
        case .dropView(let statement): "DROP VIEW " + dropSQL(statement.names, statement.ifExists, statement.cascade)
        case .createSequence(let statement): statement.sql
        case .typeCommand(let command): command.sql
        case .function(let command): command.sql
        case .materializedView(let command): command.sql
        case .alterSequence(let statement): statement.sql
        case .dropSequence(let statement): "DROP SEQUENCE " + dropSQL(statement.names, statement.ifExists, statement.cascade)
        case .createSchema(let statement):
            "CREATE SCHEMA " + (statement.ifNotExists ? "IF NOT EXISTS " : "") + quoteIdentifier(statement.name)
        case .dropSchema(let statement):
            "DROP SCHEMA " + (statement.ifExists ? "IF EXISTS " : "") + statement.names.map(quoteIdentifier).joined(separator: ", ")
                + (statement.cascade ? " CASCADE" : "")
        case .createExtension(let statement):
            "CREATE EXTENSION " + (statement.ifNotExists ? "IF NOT EXISTS " : "") + quoteIdentifier(statement.name)
        case .insert(let statement): statement.sql
        case .select(let query), .selectChangingData(let query): query.sql
        case .update(let statement): statement.sql
        case .delete(let statement): statement.sql
        case .merge(let statement): statement.sql
        case .transaction(let command): command.sql
        case .set(let statement):
            "SET " + (statement.scope == .local ? "LOCAL " : "") + settingNameSQL(statement.name) + " = " + statement.value.sql
        case .show(let statement): "SHOW " + (statement.name.map(settingNameSQL) ?? "ALL")
        case .reset(let statement): "RESET " + (statement.name.map(settingNameSQL) ?? "ALL")
        case .explain(let explain): explain.sql
        case .declareCursor(let declare): declare.sql
        case .fetch(let fetch): fetch.sql
        case .closeCursor(let name): "CLOSE " + (name.map(quoteIdentifier) ?? "ALL")
        case .listen(let channel): "LISTEN " + quoteIdentifier(channel)
        case .unlisten(let channel): "UNLISTEN " + (channel.map(quoteIdentifier) ?? "*")
        case .notify(let channel, let payload): "NOTIFY " + quoteIdentifier(channel) + (payload.map { ", " + quoteString($0) } ?? "")
        case .discard(let target): "DISCARD " + target.rawValue.uppercased()
        case .prepare(let statement): statement.sql
        case .executePrepared(let statement): statement.sql
        case .doBlock(let block):
            "DO " + "'" + block.body.replacingOccurrences(of: "'", with: "''") + "'" + (block.language == "plpgsql" ? "" : " LANGUAGE " + quoteIdentifier(block.language))
        case .deallocate(let name): name.map { "DEALLOCATE PREPARE " + quoteIdentifier($0) } ?? "DEALLOCATE ALL"
        case .lockTable(let statement): statement.sql
        case .grant(let statement): statement.sql
        }
    }
}

private func dropSQL(_ names: [TableName], _ ifExists: Bool, _ cascade: Bool) -> String {
    (ifExists ? "IF EXISTS " : "") + names.map(\.sql).joined(separator: ", ") + (cascade ? " CASCADE" : "")
}

/// A dotted setting name. A first part that SET, SHOW or RESET would read as a keyword of
/// their own (`SET LOCAL …`, `SHOW ALL`, `SET TIME ZONE`) is quoted.
private func settingNameSQL(_ name: String) -> String {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    return parts.enumerated().map { index, part in
        index == 0 && ["all", "local", "session", "time", "transaction"].contains(part) ? "\"" + part + "\"" : quoteLabel(part)
    }.joined(separator: ".")
}

/// A name where any word is accepted (setting and option names): bare when simple, even if
/// it is a keyword; double-quoted otherwise.
private func quoteLabel(_ name: String) -> String {
    Keyword.byName[name] != nil ? name : quoteIdentifier(name)
}

extension TableName {
    /// `name` or `schema.name`, quoted where needed.
    public var sql: String { (schema.map { quoteIdentifier($0) + "." } ?? "") + quoteIdentifier(name) }
}

extension SettingValue {
    /// The value as text, unquoted (`100`, `text`, `on`, `a, b`); nil for DEFAULT.
    public var plainText: String? {
        switch self {
        case .default: nil
        case .number(let text), .string(let text), .word(let text): text
        case .list(let values): values.compactMap(\.plainText).joined(separator: ", ")
        }
    }

    /// The value as SQL: `DEFAULT`, `100`, `'text'`, `on`, `a, b`.
    public var sql: String {
        switch self {
        case .default: "DEFAULT"
        case .number(let text): text
        case .string(let text): quoteString(text)
        case .word(let word): word == "default" ? "\"default\"" : quoteSettingWord(word)
        case .list(let values): values.map(\.sql).joined(separator: ", ")
        }
    }
}

/// Keywords are fine as setting words (`on`, `true`); only odd spellings need quotes.
private func quoteSettingWord(_ word: String) -> String {
    Keyword.byName[word] != nil ? word : quoteIdentifier(word)
}

// MARK: - DDL

extension CreateTable {
    /// This node as canonical SQL.
    public var sql: String {
        var columnTexts = columns.map(\.sql)
        for like in likes.reversed() {
            let options = like.including.map { " INCLUDING " + $0.rawValue.uppercased() }.sorted().joined()
            columnTexts.insert("LIKE " + like.table.sql + options, at: min(like.position, columnTexts.count))
        }
        let elements = columnTexts + constraints.map(\.sql)
        return "CREATE TABLE " + (ifNotExists ? "IF NOT EXISTS " : "") + name.sql + " (" + elements.joined(separator: ", ") + ")"
            + (storageParameters.isEmpty ? "" : " WITH (" + storageParameters.map(\.sql).joined(separator: ", ") + ")")
            + (onCommit.map { " ON COMMIT " + $0.rawValue } ?? "")
    }
}

extension ColumnDefinition {
    /// `name type constraints…`.
    public var sql: String {
        ([quoteIdentifier(name), type.sql] + constraints.map(\.sql)).joined(separator: " ")
    }
}

extension ColumnConstraint {
    /// This node as canonical SQL.
    public var sql: String {
        let prefix = name.map { "CONSTRAINT " + quoteIdentifier($0) + " " } ?? ""
        switch kind {
        case .primaryKey: return prefix + "PRIMARY KEY"
        case .notNull: return prefix + "NOT NULL"
        case .null: return prefix + "NULL"
        case .unique: return prefix + "UNIQUE"
        case .defaultValue(let expression):
            return prefix + "DEFAULT " + (expression.precedence == .primary ? expression.sql : "(" + expression.sql + ")")
        case .generated(let expression): return prefix + "GENERATED ALWAYS AS (" + expression.sql + ") STORED"
        case .identity(let kind, let options):
            return prefix + "GENERATED " + kind.rawValue + " AS IDENTITY" + (options.isEmpty ? "" : " (" + options.map(\.sql).joined(separator: " ") + ")")
        case .check(let expression): return prefix + "CHECK (" + expression.sql + ")"
        case .references(let reference): return prefix + reference.sql
        }
    }
}

extension ForeignKeyReference {
    /// This node as canonical SQL.
    public var sql: String {
        var text = "REFERENCES " + table.sql + (columns.isEmpty ? "" : " " + namesSQL(columns))
        if onDelete != .noAction { text += " ON DELETE " + onDelete.sql }
        if onUpdate != .noAction { text += " ON UPDATE " + onUpdate.sql }
        if deferrable { text += " DEFERRABLE" }
        if initiallyDeferred { text += " INITIALLY DEFERRED" }
        return text
    }
}

extension TableConstraint {
    /// This node as canonical SQL.
    public var sql: String {
        let prefix = name.map { "CONSTRAINT " + quoteIdentifier($0) + " " } ?? ""
        switch kind {
        case .primaryKey(let columns): return prefix + "PRIMARY KEY " + namesSQL(columns)
        case .unique(let columns): return prefix + "UNIQUE " + namesSQL(columns)
        case .check(let expression): return prefix + "CHECK (" + expression.sql + ")"
        case .foreignKey(let columns, let reference): return prefix + "FOREIGN KEY " + namesSQL(columns) + " " + reference.sql
        }
    }
}

func namesSQL(_ names: [String]) -> String {
    "(" + names.map(quoteIdentifier).joined(separator: ", ") + ")"
}

extension Analyze {
    /// The tables and their columns after ANALYZE or VACUUM, with a leading space (empty: all tables).
    var targetsSQL: String {
        tables.isEmpty ? "" : " " + zip(tables, columns).map { table, columns in
            table.sql + (columns.isEmpty ? "" : " (" + columns.map(quoteIdentifier).joined(separator: ", ") + ")")
        }.joined(separator: ", ")
    }
}

extension AlterTable {
    /// This node as canonical SQL.
    public var sql: String {
        "ALTER TABLE " + (ifExists ? "IF EXISTS " : "") + name.sql + " " + actions.map(\.sql).joined(separator: ", ")
    }
}

extension AlterTableAction {
    /// This node as canonical SQL.
    public var sql: String {
        switch self {
        case .addColumn(let column, let ifNotExists): "ADD COLUMN " + (ifNotExists ? "IF NOT EXISTS " : "") + column.sql
        case .dropColumn(let name, let ifExists, let cascade):
            "DROP COLUMN " + (ifExists ? "IF EXISTS " : "") + quoteIdentifier(name) + (cascade ? " CASCADE" : "")
        case .renameColumn(let from, let to): "RENAME COLUMN " + quoteIdentifier(from) + " TO " + quoteIdentifier(to)
        case .renameTable(let to): "RENAME TO " + quoteIdentifier(to)
        case .addConstraint(let constraint): "ADD " + constraint.sql
        case .dropConstraint(let name, let ifExists): "DROP CONSTRAINT " + (ifExists ? "IF EXISTS " : "") + quoteIdentifier(name)
        case .alterColumn(let name, let change): "ALTER COLUMN " + quoteIdentifier(name) + " " + change.sql
        case .renameConstraint(let from, let to): "RENAME CONSTRAINT " + quoteIdentifier(from) + " TO " + quoteIdentifier(to)
        case .ownerTo(let role): "OWNER TO " + quoteIdentifier(role)
        case .setStorageParameters(let parameters): "SET (" + parameters.map(\.sql).joined(separator: ", ") + ")"
        case .resetStorageParameters(let names): "RESET (" + names.joined(separator: ", ") + ")"
        case .enableTrigger(let name, let enabled): (enabled ? "ENABLE" : "DISABLE") + " TRIGGER " + (name.map(quoteIdentifier) ?? "ALL")
        }
    }
}

extension StorageParameter {
    /// `name [= value]`.
    public var sql: String { name + (value.map { " = " + $0.sql } ?? "") }
}

extension AlterColumnChange {
    /// This node as canonical SQL.
    public var sql: String {
        switch self {
        case .setDefault(let expression): "SET DEFAULT " + expression.sql
        case .dropDefault: "DROP DEFAULT"
        case .setNotNull: "SET NOT NULL"
        case .dropNotNull: "DROP NOT NULL"
        case .setType(let type, let using): "TYPE " + type.sql + (using.map { " USING " + $0.sql } ?? "")
        case .physicalHint(let hint): "SET " + hint.uppercased()
        case .addIdentity(let identity, let options):
            "ADD GENERATED " + (identity == .always ? "ALWAYS" : "BY DEFAULT") + " AS IDENTITY"
                + (options.isEmpty ? "" : " (" + options.map(\.sql).joined(separator: " ") + ")")
        }
    }
}

extension CreateIndex {
    /// This node as canonical SQL.
    public var sql: String {
        var text = "CREATE " + (unique ? "UNIQUE " : "") + "INDEX " + (ifNotExists ? "IF NOT EXISTS " : "")
        if let name { text += quoteIdentifier(name) + " " }
        text += "ON " + table.sql + (method.map { " USING " + quoteIdentifier($0) } ?? "")
        text += " (" + columns.map(\.sql).joined(separator: ", ") + ")"
        if !options.isEmpty {
            text += " WITH (" + options.map { quoteLabel($0.name) + " = " + $0.value.sql }.joined(separator: ", ") + ")"
        }
        if let predicate { text += " WHERE " + predicate.sql }
        return text
    }
}

extension IndexColumn {
    /// This node as canonical SQL.
    public var sql: String {
        let key = expression.map { "(" + $0.sql + ")" } ?? quoteIdentifier(name)
        var text = key + (operatorClass.map { " " + quoteIdentifier($0) } ?? "")
        if descending { text += " DESC" }
        if let nullsFirst { text += nullsFirst ? " NULLS FIRST" : " NULLS LAST" }
        return text
    }
}

extension Explain {
    /// This node as canonical SQL.
    public var sql: String {
        let optionText = options.map { option in
            quoteLabel(option.name).uppercased() + (option.value.map { " " + $0.sql } ?? "")
        }
        return "EXPLAIN " + (options.isEmpty ? "" : "(" + optionText.joined(separator: ", ") + ") ") + statement.sql
    }
}

// MARK: - Queries

extension Query {
    /// The query as canonical SQL.
    public var sql: String {
        var text = withSQL(with) + body.sql
        if !orderBy.isEmpty { text += " ORDER BY " + orderBy.map(\.sql).joined(separator: ", ") }
        if let limit, !withTies { text += " LIMIT " + limit.sql }
        if let offset { text += " OFFSET " + offset.sql }
        if let limit, withTies { text += " FETCH FIRST (" + limit.sql + ") ROWS WITH TIES" }
        for clause in locking { text += " " + clause.sql }
        return text
    }

    /// Whether the query must be parenthesised as an operand of a set operation.
    var needsParenthesesAsOperand: Bool {
        if !orderBy.isEmpty || limit != nil || offset != nil || with != nil || !locking.isEmpty { return true }
        if case .setOperation = body { return true }
        return false
    }
}

extension QueryBody {
    /// This node as canonical SQL.
    public var sql: String {
        switch self {
        case .select(let select): return select.sql
        case .values(let rows): return "VALUES " + rows.map { "(" + $0.map(\.sql).joined(separator: ", ") + ")" }.joined(separator: ", ")
        case .setOperation(let operation):
            func operand(_ query: Query) -> String { query.needsParenthesesAsOperand ? "(" + query.sql + ")" : query.sql }
            return operation.operands.map(operand).joined(separator: " " + operation.kind.rawValue + (operation.all ? " ALL " : " "))
        }
    }
}

extension Select {
    /// This node as canonical SQL.
    public var sql: String {
        var text = "SELECT" + (distinct ? " DISTINCT" : "")
        if !distinctOn.isEmpty { text += " DISTINCT ON (" + distinctOn.map(\.sql).joined(separator: ", ") + ")" }
        if !items.isEmpty { text += " " + items.map(\.sql).joined(separator: ", ") }
        if !from.isEmpty { text += " FROM " + from.map(\.sql).joined(separator: ", ") }
        if let whereClause { text += " WHERE " + whereClause.sql }
        if !groupBy.isEmpty {
            text += " GROUP BY " + (groupByDistinct ? "DISTINCT " : "") + groupBy.map(\.sql).joined(separator: ", ")
        }
        if let having { text += " HAVING " + having.sql }
        if !windows.isEmpty {
            text += " WINDOW " + windows.map { quoteIdentifier($0.name) + " AS " + $0.specification.sql }.joined(separator: ", ")
        }
        return text
    }
}

extension GroupingElement {
    /// This node as canonical SQL.
    public var sql: String {
        func list(_ expressions: [SQLExpression]) -> String { "(" + expressions.map(\.sql).joined(separator: ", ") + ")" }
        return switch self {
        case .expression(let expression): expression.sql
        case .empty: "()"
        case .rollup(let elements): "ROLLUP " + list(elements)
        case .cube(let elements): "CUBE " + list(elements)
        case .sets(let elements): "GROUPING SETS (" + elements.map(\.sql).joined(separator: ", ") + ")"
        }
    }
}

extension SelectItem {
    /// This node as canonical SQL.
    public var sql: String {
        switch self {
        case .wildcard: "*"
        case .qualifiedWildcard(let table): quoteIdentifier(table) + ".*"
        case .expandedRow(let call): "(" + SQLExpression.function(call).sql + ").*"
        case .expression(let expression, let alias): expression.sql + (alias.map { " AS " + quoteIdentifier($0) } ?? "")
        }
    }
}

extension TableReference {
    /// This node as canonical SQL.
    public var sql: String {
        switch self {
        case .table(let name, let alias): return name.sql + aliasSQL(alias)
        case .sample(let sample):
            return sample.table.sql + aliasSQL(sample.alias) + " TABLESAMPLE " + quoteIdentifier(sample.method)
                + "(" + sample.arguments.map(\.sql).joined(separator: ", ") + ")" + (sample.seed.map { " REPEATABLE (" + $0.sql + ")" } ?? "")
        case .subquery(let query, let alias, let columns): return "(" + query.sql + ")" + aliasSQL(alias) + (columns.isEmpty ? "" : " " + namesSQL(columns))
        case .lateral(let query, let alias, let columns): return "LATERAL (" + query.sql + ")" + aliasSQL(alias) + (columns.isEmpty ? "" : " " + namesSQL(columns))
        case .values(let rows, let alias, let columns):
            return "(" + QueryBody.values(rows).sql + ")" + aliasSQL(alias) + (columns.isEmpty ? "" : " " + namesSQL(columns))
        case .function(let function):
            return SQLExpression.function(function.call).sql + (function.withOrdinality ? " WITH ORDINALITY" : "")
                + aliasSQL(function.alias) + (function.columns.isEmpty ? "" : " " + namesSQL(function.columns))
                + (function.recordColumns.isEmpty ? "" : (function.alias == nil ? " AS " : " ")
                    + "(" + function.recordColumns.map { quoteIdentifier($0.name) + " " + $0.type.sql }.joined(separator: ", ") + ")")
        case .join(let join):
            var right = join.right.sql
            if case .join = join.right { right = "(" + right + ")" }
            let natural = join.condition == .natural ? "NATURAL " : ""
            return join.left.sql + " " + natural + join.kind.rawValue + " " + right + join.condition.sql
        }
    }
}

/// `WITH [RECURSIVE] name [(columns)] AS (query), … ` (with its trailing space), or nothing.
func withSQL(_ with: WithClause?) -> String {
    guard let with else { return "" }
    let entries = with.queries.map { entry in
        quoteIdentifier(entry.name) + (entry.columns.isEmpty ? "" : " " + namesSQL(entry.columns)) + " AS (" + (entry.change?.sql ?? entry.query.sql) + ")"
    }
    return "WITH " + (with.recursive ? "RECURSIVE " : "") + entries.joined(separator: ", ") + " "
}

extension WindowSpecification {
    /// `(name PARTITION BY … ORDER BY … frame)`.
    public var sql: String {
        var parts: [String] = []
        if let name { parts.append(quoteIdentifier(name)) }
        if !partitionBy.isEmpty { parts.append("PARTITION BY " + partitionBy.map(\.sql).joined(separator: ", ")) }
        if !orderBy.isEmpty { parts.append("ORDER BY " + orderBy.map(\.sql).joined(separator: ", ")) }
        if let frame { parts.append(frame.sql) }
        return "(" + parts.joined(separator: " ") + ")"
    }
}

extension WindowFrame {
    /// `ROWS BETWEEN … AND …`.
    public var sql: String {
        func bound(_ bound: Bound) -> String {
            switch bound {
            case .unboundedPreceding: "UNBOUNDED PRECEDING"
            case .preceding(let offset): offset.sql + " PRECEDING"
            case .currentRow: "CURRENT ROW"
            case .following(let offset): offset.sql + " FOLLOWING"
            case .unboundedFollowing: "UNBOUNDED FOLLOWING"
            }
        }
        let excluding = exclusion == .noOthers ? "" : " EXCLUDE " + exclusion.rawValue
        return mode.rawValue + " BETWEEN " + bound(start) + " AND " + bound(end) + excluding
    }
}

func aliasSQL(_ alias: String?) -> String {
    alias.map { " AS " + quoteIdentifier($0) } ?? ""
}

extension Join.Condition {
    /// ` ON …`, ` USING (…)`, or nothing.
    public var sql: String {
        switch self {
        case .none: ""
        case .on(let expression): " ON " + expression.sql
        case .using(let columns): " USING " + namesSQL(columns)
        case .natural: ""
        }
    }
}

extension OrderItem {
    /// This node as canonical SQL.
    public var sql: String {
        var text = expression.sql + (descending ? " DESC" : "")
        if let nullsFirst { text += nullsFirst ? " NULLS FIRST" : " NULLS LAST" }
        return text
    }
}

// MARK: - DML

extension ColumnValue {
    /// This node as canonical SQL.
    public var sql: String {
        switch self {
        case .expression(let expression): expression.sql
        case .default: "DEFAULT"
        }
    }
}

extension Assignment {
    /// This node as canonical SQL.
    public var sql: String { quoteIdentifier(column) + " = " + value.sql }
}

private func returningSQL(_ items: [SelectItem]) -> String {
    items.isEmpty ? "" : " RETURNING " + items.map(\.sql).joined(separator: ", ")
}

extension Insert {
    /// This node as canonical SQL.
    public var sql: String {
        var text = withSQL(with) + "INSERT INTO " + table.sql + aliasSQL(alias)
        if !columns.isEmpty { text += " " + namesSQL(columns) }
        if let overriding { text += " OVERRIDING " + overriding.rawValue + " VALUE" }
        switch source {
        case .values(let rows):
            text += " VALUES " + rows.map { "(" + $0.map(\.sql).joined(separator: ", ") + ")" }.joined(separator: ", ")
        case .query(let query): text += " " + query.sql
        case .defaultValues: text += " DEFAULT VALUES"
        }
        if let onConflict { text += onConflict.sql }
        return text + returningSQL(returning)
    }
}

extension OnConflict {
    /// ` ON CONFLICT …`.
    public var sql: String {
        var text = " ON CONFLICT" + (columns.isEmpty ? "" : " " + namesSQL(columns))
        if let constraint { text += " ON CONSTRAINT " + quoteIdentifier(constraint) }
        if let targetPredicate { text += " WHERE " + targetPredicate.sql }
        switch action {
        case .doNothing: text += " DO NOTHING"
        case .doUpdate(let assignments, let whereClause):
            text += " DO UPDATE SET " + assignments.map(\.sql).joined(separator: ", ")
            if let whereClause { text += " WHERE " + whereClause.sql }
        }
        return text
    }
}

extension Update {
    /// This node as canonical SQL.
    public var sql: String {
        var text = withSQL(with) + "UPDATE " + table.sql + aliasSQL(alias) + " SET " + assignments.map(\.sql).joined(separator: ", ")
        if !from.isEmpty { text += " FROM " + from.map(\.sql).joined(separator: ", ") }
        if let whereClause { text += " WHERE " + whereClause.sql }
        return text + returningSQL(returning)
    }
}

extension Delete {
    /// This node as canonical SQL.
    public var sql: String {
        var text = withSQL(with) + "DELETE FROM " + table.sql + aliasSQL(alias)
        if !using.isEmpty { text += " USING " + using.map(\.sql).joined(separator: ", ") }
        if let whereClause { text += " WHERE " + whereClause.sql }
        return text + returningSQL(returning)
    }
}

extension TransactionCommand {
    var sql: String {
        switch self {
        case .begin(let modes, let spelledStart):
            (spelledStart ? "START TRANSACTION" : "BEGIN") + (modes.sql.isEmpty ? "" : " " + modes.sql)
        case .commit: "COMMIT"
        case .rollback: "ROLLBACK"
        case .setModes(let modes, let sessionDefault):
            (sessionDefault ? "SET SESSION CHARACTERISTICS AS TRANSACTION " : "SET TRANSACTION ") + modes.sql
        case .savepoint(let name): "SAVEPOINT " + quoteIdentifier(name)
        case .rollbackToSavepoint(let name): "ROLLBACK TO SAVEPOINT " + quoteIdentifier(name)
        case .releaseSavepoint(let name): "RELEASE SAVEPOINT " + quoteIdentifier(name)
        case .setConstraints(let names, let deferred):
            "SET CONSTRAINTS " + (names.map { $0.map(\.sql).joined(separator: ", ") } ?? "ALL") + (deferred ? " DEFERRED" : " IMMEDIATE")
        }
    }
}

extension DataChange {
    /// The statement as canonical SQL.
    public var sql: String {
        switch self {
        case .insert(let statement): statement.sql
        case .update(let statement): statement.sql
        case .delete(let statement): statement.sql
        }
    }
}
