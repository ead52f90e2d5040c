/// The syntax tree of Vireo's SQL, as the parser returns it.
///
/// The tree keeps what was written, normalised only where two spellings mean the same thing
/// (`!=` is `<>`, `x::t` is `CAST(x AS t)`, `INT4` is `integer`, `FETCH FIRST n ROWS ONLY` is
/// `LIMIT n`, unquoted names are folded to lower case). It holds no catalog knowledge: names
/// are resolved by the binder. Every node is a value: `Sendable` and `Equatable`.
/// `Statement.sql` renders any statement back as canonical SQL that parses to the same tree.

import VireoStorage

/// One parsed statement with the source it came from.
public struct Statement: Sendable, Equatable {
    /// What the statement says.
    public var body: StatementBody
    /// Byte offsets of the statement in the text given to the parser, without the `;`.
    public var sourceRange: Range<Int>
    /// The statement's own source text (for EXPLAIN, logs and error messages).
    public var sourceText: String
    /// The highest `$n` the statement uses (0 when it has no parameters).
    public var parameterCount: Int

    /// Creates the node from its parts, as the parser would.
    public init(body: StatementBody, sourceRange: Range<Int>, sourceText: String, parameterCount: Int) {
        self.body = body
        self.sourceRange = sourceRange
        self.sourceText = sourceText
        self.parameterCount = parameterCount
    }
}

/// Every kind of statement. Indirect, so that copying a statement retains one box instead
/// of every reference in its tree: the engine's closures capture the `Statement` they run,
/// and each capture copied it, about a tenth of a prepared one-row INSERT's time.
public indirect enum StatementBody: Sendable, Equatable {
    case createTable(CreateTable)
    /// `CREATE TABLE [IF NOT EXISTS] name [(columns)] AS query [WITH [NO] DATA]`.
    case createTableAs(CreateTableAs)
    case dropTable(DropTable)
    case alterTable(AlterTable)
    case createIndex(CreateIndex)
    case dropIndex(DropIndex)
    /// `CREATE [OR REPLACE] VIEW name [(columns)] AS query`.
    case createView(CreateView)
    /// `DROP VIEW [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    case dropView(DropView)
    /// `CREATE SEQUENCE …`, `ALTER SEQUENCE …`, `DROP SEQUENCE [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    case createSequence(CreateSequence)
    case alterSequence(AlterSequence)
    case dropSequence(DropTable)
    /// `CREATE EXTENSION [IF NOT EXISTS] name` (pgvector scripts begin with
    /// `CREATE EXTENSION vector`; the engine has it built in).
    case createExtension(CreateExtension)
    /// `CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role]`, `DROP SCHEMA [IF EXISTS]
    /// name [, …] [CASCADE | RESTRICT]`: Vireo has PostgreSQL's fixed schemas and no others.
    case createSchema(CreateSchema)
    case dropSchema(DropSchema)
    case insert(Insert)
    /// A query: `SELECT …`, possibly combined with UNION/INTERSECT/EXCEPT.
    case select(Query)
    /// A query whose WITH list changes rows (`WITH d AS (DELETE … RETURNING …) SELECT …`): it
    /// runs as a write.
    case selectChangingData(Query)
    case update(Update)
    case delete(Delete)
    /// `MERGE INTO … USING … ON … WHEN …` (AST+Merge.swift).
    case merge(Merge)
    /// `TRUNCATE [TABLE] name [, …] [CONTINUE IDENTITY] [CASCADE | RESTRICT]`.
    case truncate(Truncate)
    /// `REINDEX [(options)] INDEX | TABLE | SCHEMA | DATABASE | SYSTEM [CONCURRENTLY] [name]`.
    case reindex(Reindex)
    /// `COMMENT ON TABLE name | COLUMN table.column IS 'text' | NULL`.
    case comment(CommentOn)
    /// `ANALYZE [VERBOSE] [table [(columns)] [, …]]`.
    case analyze(Analyze)
    /// `VACUUM …`.
    case vacuum(Vacuum)
    /// `ALTER INDEX … RENAME TO …`.
    case alterIndex(AlterIndex)
    /// BEGIN, COMMIT or ROLLBACK.
    case transaction(TransactionCommand)
    case set(SetStatement)
    case show(ShowStatement)
    case reset(ResetStatement)
    case explain(Explain)
    /// `DECLARE name … CURSOR [WITH | WITHOUT HOLD] FOR query` (AST+Cursors.swift).
    case declareCursor(DeclareCursor)
    /// `FETCH …` or `MOVE …`.
    case fetch(FetchCursor)
    /// `CLOSE name`, or `CLOSE ALL` (nil).
    case closeCursor(String?)
    /// `LISTEN channel` (Engine/Notifications.swift).
    case listen(String)
    /// `UNLISTEN channel` or `UNLISTEN *` (nil); connection pools send `UNLISTEN *` when a
    /// connection is returned (asyncpg's reset).
    case unlisten(String?)
    /// `NOTIFY channel [, 'payload']`.
    case notify(channel: String, payload: String?)
    /// `DISCARD ALL | PLANS | SEQUENCES | TEMP[ORARY]`: connection pools send DISCARD ALL
    /// to reset a connection they take back (pgbouncer's server_reset_query).
    case discard(DiscardTarget)
    /// `PREPARE name [(type, …)] AS statement` (AST+Session.swift).
    case prepare(PrepareStatement)
    /// `EXECUTE name [(argument, …)]`.
    case executePrepared(ExecuteStatement)
    /// `DEALLOCATE [PREPARE] name`, or `DEALLOCATE ALL` (nil).
    case deallocate(String?)
    /// `LOCK [TABLE] [ONLY] name [, …] [IN mode MODE] [NOWAIT]`.
    case lockTable(LockTable)
    /// `GRANT …` or `REVOKE …`.
    case grant(GrantStatement)
    /// `CREATE TYPE … AS ENUM`, `ALTER TYPE`, `DROP TYPE` (AST+Types.swift).
    case typeCommand(TypeCommand)
    /// `CREATE [OR REPLACE] FUNCTION … LANGUAGE sql`, `DROP FUNCTION` (AST+Functions.swift).
    case function(FunctionCommand)
    /// `REFRESH MATERIALIZED VIEW`, `DROP MATERIALIZED VIEW` (AST+Functions.swift); CREATE
    /// MATERIALIZED VIEW is a `createTableAs` marked `materialized`.
    case materializedView(MaterializedViewCommand)
    /// `DO [LANGUAGE plpgsql] 'body'`: an anonymous PL/pgSQL block (PLpgSQL/).
    case doBlock(DoBlock)
}

/// `DO`'s code block, kept as written; it is parsed as PL/pgSQL when it runs.
public struct DoBlock: Sendable, Equatable {
    public var body: String
    /// The language named (`plpgsql` when none is).
    public var language: String

    public init(body: String, language: String = "plpgsql") {
        self.body = body
        self.language = language
    }
}

/// What DISCARD throws away.
public enum DiscardTarget: String, Sendable, Equatable {
    /// The whole session state: settings, cursors, advisory locks, prepared statements.
    case all
    /// Cached plans (Vireo checks a kept plan against the catalog before each run: none to drop).
    case plans
    /// What the session's currval and lastval would answer.
    case sequences
    /// The session's temporary tables.
    case temp
}

/// What a temporary table's `ON COMMIT` clause does at the end of each transaction.
public enum OnCommitAction: String, Sendable, Equatable {
    case preserveRows = "PRESERVE ROWS"
    case deleteRows = "DELETE ROWS"
    case drop = "DROP"
}

/// A possibly schema-qualified table or index name (`items`, `public.items`).
public struct TableName: Sendable, Equatable, Hashable {
    /// The schema, when written (`public` in `public.items`).
    public var schema: String?
    /// The name, lower case unless quoted.
    public var name: String

    /// Creates the node from its parts, as the parser would.
    public init(schema: String? = nil, _ name: String) {
        self.schema = schema
        self.name = name
    }
}

// MARK: - Tables

/// `CREATE TABLE [IF NOT EXISTS] name (column definitions and table constraints)`.
public struct CreateTable: Sendable, Equatable {
    /// The name, as written.
    public var name: TableName
    /// `IF NOT EXISTS` was written: an existing object is not an error.
    public var ifNotExists: Bool
    /// The columns in the order written.
    public var columns: [ColumnDefinition]
    /// `PRIMARY KEY (…)` and `UNIQUE (…)` written after the columns.
    public var constraints: [TableConstraint]
    /// `LIKE source [INCLUDING … | EXCLUDING …]` elements, in the order written.
    public var likes: [TableLike] = []
    /// `WITH (fillfactor = 70, …)`.
    public var storageParameters: [StorageParameter] = []
    /// `ON COMMIT …` of a temporary table, nil when not written.
    public var onCommit: OnCommitAction?

    /// Creates the node from its parts, as the parser would.
    public init(name: TableName, ifNotExists: Bool = false, columns: [ColumnDefinition], constraints: [TableConstraint] = []) {
        self.name = name
        self.ifNotExists = ifNotExists
        self.columns = columns
        self.constraints = constraints
    }
}

/// `LIKE source {INCLUDING | EXCLUDING} option …` in CREATE TABLE: the source's columns, and
/// what the options ask for of the rest.
public struct TableLike: Sendable, Equatable {
    /// What INCLUDING can copy (ALL is every one of them).
    public enum Option: String, Sendable, CaseIterable {
        case comments, compression, constraints, defaults, generated, identity, indexes, statistics, storage
    }

    /// How many columns were written before it (its columns go there).
    public var position: Int
    public var table: TableName
    /// The options INCLUDING left in force (EXCLUDING takes them out again, in order).
    public var including: Set<Option>

    public init(position: Int, table: TableName, including: Set<Option> = []) {
        self.position = position
        self.table = table
        self.including = including
    }
}

/// A column in CREATE TABLE or ALTER TABLE ADD COLUMN: `name type [constraints]`.
public struct ColumnDefinition: Sendable, Equatable {
    /// The name, lower case unless quoted.
    public var name: String
    /// The declared type.
    public var type: TypeName
    /// In the order written; the binder rejects contradictions such as `NULL NOT NULL`.
    public var constraints: [ColumnConstraint]

    /// Creates the node from its parts, as the parser would.
    public init(name: String, type: TypeName, constraints: [ColumnConstraint] = []) {
        self.name = name
        self.type = type
        self.constraints = constraints
    }

    /// Whether the column is declared `PRIMARY KEY`.
    public var isPrimaryKey: Bool { constraints.contains { $0.kind == .primaryKey } }
    /// Whether the column is declared `NOT NULL` (a primary key is also not null).
    public var isNotNull: Bool { constraints.contains { $0.kind == .notNull || $0.kind == .primaryKey } }
    /// Whether the column is declared `UNIQUE`.
    public var isUnique: Bool { constraints.contains { $0.kind == .unique } }
    /// The `GENERATED ALWAYS AS (…) STORED` expression, when there is one.
    public var generatedValue: SQLExpression? {
        for constraint in constraints {
            if case .generated(let expression) = constraint.kind { return expression }
        }
        return nil
    }
    /// `GENERATED … AS IDENTITY`, when declared.
    public var identity: ColumnIdentity? {
        for constraint in constraints {
            if case .identity(let kind, _) = constraint.kind { return kind }
        }
        return nil
    }
    /// The sequence options of `GENERATED … AS IDENTITY (…)` (none when not written).
    public var identityOptions: [SequenceOption] {
        for constraint in constraints {
            if case .identity(_, let options) = constraint.kind { return options }
        }
        return []
    }
    /// The `DEFAULT` expression, when there is one (the last, if written twice).
    public var defaultValue: SQLExpression? {
        for constraint in constraints.reversed() {
            if case .defaultValue(let expression) = constraint.kind { return expression }
        }
        return nil
    }
}

/// A column constraint, optionally named with `CONSTRAINT name`.
public struct ColumnConstraint: Sendable, Equatable {
    /// Which constraint it is.
    public enum Kind: Sendable, Equatable {
        case primaryKey
        case notNull
        /// `NULL`: the column may hold NULL (the default, written explicitly).
        case null
        case unique
        case defaultValue(SQLExpression)
        /// `GENERATED ALWAYS AS (expression) STORED`.
        case generated(SQLExpression)
        /// `GENERATED ALWAYS | BY DEFAULT AS IDENTITY [(sequence options)]`.
        case identity(ColumnIdentity, [SequenceOption])
        /// `CHECK (expression)`: every row's value of it must not be false.
        case check(SQLExpression)
        /// `REFERENCES table [(column)] [ON DELETE …] [ON UPDATE …]`.
        indirect case references(ForeignKeyReference)
    }

    /// The name, lower case unless quoted.
    public var name: String?
    /// Which kind it is.
    public var kind: Kind

    /// Creates the node from its parts, as the parser would.
    public init(name: String? = nil, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// A table constraint, optionally named with `CONSTRAINT name`.
public struct TableConstraint: Sendable, Equatable {
    /// Which constraint it is.
    public enum Kind: Sendable, Equatable {
        case primaryKey(columns: [String])
        case unique(columns: [String])
        /// `CHECK (expression)` over the row's columns.
        case check(SQLExpression)
        /// `FOREIGN KEY (columns) REFERENCES table [(columns)] [ON DELETE …] [ON UPDATE …]`.
        indirect case foreignKey(columns: [String], ForeignKeyReference)
    }

    /// The name, lower case unless quoted.
    public var name: String?
    /// Which kind it is.
    public var kind: Kind

    /// Creates the node from its parts, as the parser would.
    public init(name: String? = nil, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// `COMMENT ON TABLE name IS …` or `COMMENT ON COLUMN table.column IS …`.
public struct CommentOn: Sendable, Equatable {
    public var table: TableName
    /// The column, for COMMENT ON COLUMN.
    public var column: String?
    /// The comment; nil (`IS NULL`) or empty removes it.
    public var text: String?

    public init(table: TableName, column: String? = nil, text: String?) {
        self.table = table
        self.column = column
        self.text = text
    }
}

/// `ANALYZE [VERBOSE] [table [(columns)] [, …]]`: no table named means every table.
public struct Analyze: Sendable, Equatable {
    public var tables: [TableName]
    /// The columns named after each table, by table position (empty: all).
    public var columns: [[String]]

    public init(tables: [TableName] = [], columns: [[String]] = []) {
        self.tables = tables
        self.columns = columns
    }
}

/// What a FOREIGN KEY does when a referenced row is deleted or its key updated.
public enum ReferentialAction: String, Sendable, Equatable {
    /// The letters are pg_constraint's confdeltype / confupdtype.
    case noAction = "a", restrict = "r", cascade = "c", setNull = "n", setDefault = "d"

    /// As written in SQL.
    public var sql: String {
        switch self {
        case .noAction: "NO ACTION"
        case .restrict: "RESTRICT"
        case .cascade: "CASCADE"
        case .setNull: "SET NULL"
        case .setDefault: "SET DEFAULT"
        }
    }
}

/// The `REFERENCES …` part of a FOREIGN KEY.
public struct ForeignKeyReference: Sendable, Equatable {
    /// The referenced table.
    public var table: TableName
    /// The referenced columns; empty means the referenced table's primary key.
    public var columns: [String]
    public var onDelete: ReferentialAction
    public var onUpdate: ReferentialAction
    /// `DEFERRABLE` (implied by INITIALLY DEFERRED).
    public var deferrable = false
    /// `INITIALLY DEFERRED`.
    public var initiallyDeferred = false

    public init(table: TableName, columns: [String] = [], onDelete: ReferentialAction = .noAction, onUpdate: ReferentialAction = .noAction) {
        self.table = table
        self.columns = columns
        self.onDelete = onDelete
        self.onUpdate = onUpdate
    }
}

/// `TRUNCATE [TABLE] name [, …] [CASCADE | RESTRICT]`.
public struct Truncate: Sendable, Equatable {
    public var names: [TableName]
    /// `CASCADE` was written: tables whose FOREIGN KEYs reference a truncated one are truncated too.
    public var cascade: Bool
    /// `RESTART IDENTITY`: the sequences the tables' columns own start again.
    public var restartIdentity: Bool

    public init(names: [TableName], cascade: Bool = false, restartIdentity: Bool = false) {
        self.names = names
        self.cascade = cascade
        self.restartIdentity = restartIdentity
    }
}

/// A storage parameter of `WITH (…)`, `SET (…)` or `RESET (…)` (`fillfactor = 70`,
/// `autovacuum_enabled`, `toast.autovacuum_enabled = off`): its name, lower case, and its
/// value as written (nil when none was: true for a boolean parameter, and in RESET).
public struct StorageParameter: Sendable, Equatable {
    public var name: String
    public var value: SettingValue?

    public init(name: String, value: SettingValue? = nil) {
        self.name = name
        self.value = value
    }
}

/// `REINDEX`: the indexes of one index, table, schema or the database rebuilt from their rows.
public struct Reindex: Sendable, Equatable {
    public enum Target: String, Sendable { case index = "INDEX", table = "TABLE", schema = "SCHEMA", database = "DATABASE", system = "SYSTEM" }
    public var target: Target
    /// The object's name; nil for DATABASE or SYSTEM written without one.
    public var name: TableName?
    public var concurrently: Bool

    public init(target: Target, name: TableName?, concurrently: Bool = false) {
        self.target = target
        self.name = name
        self.concurrently = concurrently
    }
}

/// `DROP TABLE [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
public struct DropTable: Sendable, Equatable {
    /// The names, in the order written.
    public var names: [TableName]
    /// `IF EXISTS` was written: a missing object is not an error.
    public var ifExists: Bool
    /// `CASCADE` was written (RESTRICT, the default, is `false`).
    public var cascade: Bool

    /// Creates the node from its parts, as the parser would.
    public init(names: [TableName], ifExists: Bool = false, cascade: Bool = false) {
        self.names = names
        self.ifExists = ifExists
        self.cascade = cascade
    }
}

/// `ALTER TABLE [IF EXISTS] name action [, action …]`. A RENAME is always the only action.
public struct AlterTable: Sendable, Equatable {
    /// The name, as written.
    public var name: TableName
    /// `IF EXISTS` was written: a missing object is not an error.
    public var ifExists: Bool
    /// The changes, in the order written.
    public var actions: [AlterTableAction]

    /// Creates the node from its parts, as the parser would.
    public init(name: TableName, ifExists: Bool = false, actions: [AlterTableAction]) {
        self.name = name
        self.ifExists = ifExists
        self.actions = actions
    }
}

/// One change made by ALTER TABLE.
public enum AlterTableAction: Sendable, Equatable {
    /// `ADD [COLUMN] [IF NOT EXISTS] definition`.
    case addColumn(ColumnDefinition, ifNotExists: Bool)
    /// `DROP [COLUMN] [IF EXISTS] name [CASCADE | RESTRICT]`.
    case dropColumn(name: String, ifExists: Bool, cascade: Bool)
    /// `RENAME [COLUMN] old TO new`.
    case renameColumn(from: String, to: String)
    /// `RENAME TO new` (the new name has no schema, as in PostgreSQL).
    case renameTable(to: String)
    /// `ADD [CONSTRAINT name] CHECK (expression)`: existing rows are checked first.
    case addConstraint(TableConstraint)
    /// `DROP CONSTRAINT [IF EXISTS] name [CASCADE | RESTRICT]`.
    case dropConstraint(name: String, ifExists: Bool)
    /// `ALTER [COLUMN] name change`.
    case alterColumn(name: String, AlterColumnChange)
    /// `RENAME CONSTRAINT old TO new`.
    case renameConstraint(from: String, to: String)
    /// `OWNER TO role`: the database's one role owns everything; pg_dump writes it for
    /// every table, view and sequence.
    case ownerTo(String)
    /// `SET (name = value, …)`, `RESET (name, …)`: the table's storage parameters.
    case setStorageParameters([StorageParameter])
    case resetStorageParameters([String])
    /// `{ENABLE [ALWAYS | REPLICA] | DISABLE} TRIGGER {name | ALL | USER}` (nil: ALL or USER).
    case enableTrigger(String?, enabled: Bool)
}

/// What `ALTER TABLE … ALTER [COLUMN] name` changes.
public enum AlterColumnChange: Sendable, Equatable {
    /// `SET DEFAULT expression`.
    case setDefault(SQLExpression)
    /// `DROP DEFAULT`.
    case dropDefault
    /// `SET NOT NULL`: existing rows are checked first.
    case setNotNull
    /// `DROP NOT NULL`.
    case dropNotNull
    /// `[SET DATA] TYPE type [USING expression]`: every row's value is converted (by an
    /// assignment cast, or by the USING expression over the old row).
    case setType(TypeName, using: SQLExpression?)
    /// `SET STATISTICS n`, `SET STORAGE …`, `SET COMPRESSION …`: PostgreSQL's physical
    /// hints, as written (Vireo's storage has no such knobs; accepted so that migrations run).
    case physicalHint(String)
    /// `ADD GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(sequence options)]`: how pg_dump
    /// writes an identity column (after CREATE TABLE, before the rows).
    case addIdentity(ColumnIdentity, [SequenceOption])
}

/// `CREATE TABLE name [(column names)] AS query [WITH [NO] DATA]`: a table with the query's
/// columns (renamed by the names given), filled with its rows unless WITH NO DATA.
public struct CreateTableAs: Sendable, Equatable {
    public var name: TableName
    public var ifNotExists: Bool
    public var columns: [String]
    public var query: Query
    public var withData: Bool
    /// `ON COMMIT …` of a temporary table, nil when not written.
    public var onCommit: OnCommitAction?
    /// `CREATE MATERIALIZED VIEW`: the table keeps its query for REFRESH.
    public var materialized = false

    public init(name: TableName, ifNotExists: Bool = false, columns: [String] = [], query: Query, withData: Bool = true) {
        self.name = name
        self.ifNotExists = ifNotExists
        self.columns = columns
        self.query = query
        self.withData = withData
    }
}

/// `ALTER INDEX [IF EXISTS] name RENAME TO new`.
public struct AlterIndex: Sendable, Equatable {
    public var name: TableName
    public var ifExists: Bool
    public var newName: String

    public init(name: TableName, ifExists: Bool = false, newName: String) {
        self.name = name
        self.ifExists = ifExists
        self.newName = newName
    }
}

/// `VACUUM [FULL] [FREEZE] [VERBOSE] [ANALYZE] [table [(columns)], …]`, or with options in
/// parentheses. Vireo reuses freed space at once; VACUUM checkpoints (moves committed pages
/// from the WAL into the database file) and, with ANALYZE, gathers statistics.
public struct Vacuum: Sendable, Equatable {
    /// The options as written, lower case (full, freeze, verbose, analyze, …).
    public var options: [String]
    /// The tables and their columns, as ANALYZE takes them (none: every table).
    public var targets: Analyze

    public init(options: [String] = [], targets: Analyze = Analyze()) {
        self.options = options
        self.targets = targets
    }

    /// ANALYZE was among the options.
    public var analyzes: Bool { options.contains("analyze") || options.contains("analyse") }
}

// MARK: - Indexes

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON table [USING method] (columns) [WITH (options)]`.
public struct CreateIndex: Sendable, Equatable {
    /// Nil when omitted; the engine then chooses a name as PostgreSQL does.
    public var name: String?
    /// `UNIQUE` was written.
    public var unique: Bool
    /// `IF NOT EXISTS` was written: an existing object is not an error.
    public var ifNotExists: Bool
    /// The table, as written.
    public var table: TableName
    /// The access method as written, lower case (`btree`, `hnsw`); nil means the default, btree.
    public var method: String?
    /// The indexed columns in order.
    public var columns: [IndexColumn]
    /// `WITH (m = 16, ef_construction = 64)`, in the order written.
    public var options: [IndexOption]
    /// `WHERE predicate` of a partial index.
    public var predicate: SQLExpression? = nil

    /// Creates the node from its parts, as the parser would.
    public init(name: String?, unique: Bool = false, ifNotExists: Bool = false, table: TableName,
                method: String? = nil, columns: [IndexColumn], options: [IndexOption] = []) {
        self.name = name
        self.unique = unique
        self.ifNotExists = ifNotExists
        self.table = table
        self.method = method
        self.columns = columns
        self.options = options
    }
}

/// One indexed column: `name [opclass] [ASC | DESC] [NULLS FIRST | LAST]`.
public struct IndexColumn: Sendable, Equatable {
    /// The name, lower case unless quoted.
    public var name: String
    /// The operator class, lower case (`vector_l2_ops`, `vector_ip_ops`, `vector_cosine_ops`).
    public var operatorClass: String?
    /// `DESC` was written.
    public var descending: Bool
    /// Nil when NULLS FIRST/LAST was not written.
    public var nullsFirst: Bool?
    /// An expression key (`lower(email)`, `(data->>'k')`); `name` is then empty.
    public var expression: SQLExpression?

    /// Creates the node from its parts, as the parser would.
    public init(name: String, operatorClass: String? = nil, descending: Bool = false, nullsFirst: Bool? = nil,
                expression: SQLExpression? = nil) {
        self.expression = expression
        self.name = name
        self.operatorClass = operatorClass
        self.descending = descending
        self.nullsFirst = nullsFirst
    }
}

/// A storage parameter in `WITH (name = value)`.
public struct IndexOption: Sendable, Equatable {
    /// The name, lower case unless quoted.
    public var name: String
    /// The value as written.
    public var value: SettingValue

    /// Creates the node from its parts, as the parser would.
    public init(name: String, value: SettingValue) {
        self.name = name
        self.value = value
    }
}

/// `DROP INDEX [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
/// `CREATE [OR REPLACE] VIEW name [(column, …)] AS query`.
public struct CreateView: Sendable, Equatable {
    /// The name, as written.
    public var name: TableName
    /// `OR REPLACE` was written: an existing view is replaced (keeping its columns).
    public var orReplace: Bool
    /// Names for the query's first columns, when written.
    public var columns: [String]
    /// The defining query.
    public var query: Query
    /// `WITH [CASCADED | LOCAL] CHECK OPTION`: "cascaded" or "local"; nil when not written.
    public var checkOption: String?

    /// Creates the node from its parts, as the parser would.
    public init(name: TableName, orReplace: Bool = false, columns: [String] = [], query: Query, checkOption: String? = nil) {
        self.name = name
        self.orReplace = orReplace
        self.columns = columns
        self.query = query
        self.checkOption = checkOption
    }
}

/// `DROP VIEW`: the same parts as DROP TABLE.
public typealias DropView = DropTable

public struct DropIndex: Sendable, Equatable {
    /// The names, in the order written.
    public var names: [TableName]
    /// `IF EXISTS` was written: a missing object is not an error.
    public var ifExists: Bool
    /// `CASCADE` was written (RESTRICT, the default, is false).
    public var cascade: Bool

    /// Creates the node from its parts, as the parser would.
    public init(names: [TableName], ifExists: Bool = false, cascade: Bool = false) {
        self.names = names
        self.ifExists = ifExists
        self.cascade = cascade
    }
}

/// `CREATE EXTENSION [IF NOT EXISTS] name`.
public struct CreateSchema: Sendable, Equatable {
    public var name: String
    public var ifNotExists: Bool
}

public struct DropSchema: Sendable, Equatable {
    public var names: [String]
    public var ifExists: Bool
    public var cascade: Bool
}

public struct CreateExtension: Sendable, Equatable {
    /// Lower case unless quoted (`vector`).
    public var name: String
    /// `IF NOT EXISTS` was written: an existing object is not an error.
    public var ifNotExists: Bool

    /// Creates the node from its parts, as the parser would.
    public init(name: String, ifNotExists: Bool = false) {
        self.name = name
        self.ifNotExists = ifNotExists
    }
}

// MARK: - Transactions, settings, EXPLAIN

/// Transaction control.
public enum TransactionCommand: Sendable, Equatable {
    /// `BEGIN [WORK | TRANSACTION] [modes]`, or with `spelledStart` `START TRANSACTION [modes]`
    /// (the same command; PostgreSQL tags it START TRANSACTION).
    case begin(TransactionModes, spelledStart: Bool = false)
    /// `COMMIT [WORK | TRANSACTION]`, `END [WORK | TRANSACTION]`.
    case commit
    /// `ROLLBACK [WORK | TRANSACTION]`, `ABORT [WORK | TRANSACTION]`.
    case rollback
    /// `SET TRANSACTION modes` (this transaction), or with `sessionDefault`
    /// `SET SESSION CHARACTERISTICS AS TRANSACTION modes` (transactions from now on).
    case setModes(TransactionModes, sessionDefault: Bool)
    /// `SAVEPOINT name`.
    case savepoint(String)
    /// `ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name`.
    case rollbackToSavepoint(String)
    /// `SET CONSTRAINTS { ALL | name [, …] } { DEFERRED | IMMEDIATE }`; `names` nil is ALL.
    case setConstraints(names: [TableName]?, deferred: Bool)
    /// `RELEASE [SAVEPOINT] name`.
    case releaseSavepoint(String)

    /// `BEGIN` without modes.
    public static let begin = TransactionCommand.begin(TransactionModes())

    /// Whether it opens a transaction block.
    public var isBegin: Bool {
        if case .begin = self { return true }
        return false
    }
}

/// How a transaction isolates its statements from concurrent commits.
public enum IsolationLevel: String, Sendable, Equatable {
    /// Each statement sees what was committed before it began (PostgreSQL's default;
    /// READ UNCOMMITTED means this too, as in PostgreSQL).
    case readCommitted = "read committed"
    /// Every statement sees what was committed before the transaction's first statement.
    case repeatableRead = "repeatable read"
    /// Accepted and run as REPEATABLE READ (snapshot isolation; see docs/transactions.md).
    case serializable

    /// The level a setting's text names, if any (PostgreSQL's spellings).
    public init?(settingText text: String) {
        switch text.lowercased() {
        case "read committed", "read uncommitted": self = .readCommitted
        case "repeatable read": self = .repeatableRead
        case "serializable": self = .serializable
        default: return nil
        }
    }

    /// Whether the transaction keeps one snapshot for all its statements.
    public var usesOneSnapshot: Bool { self != .readCommitted }
}

/// The modes a BEGIN or SET TRANSACTION names; nil where it names none.
public struct TransactionModes: Sendable, Equatable {
    public var isolation: IsolationLevel?
    public var readOnly: Bool?

    /// Creates modes from their parts.
    public init(isolation: IsolationLevel? = nil, readOnly: Bool? = nil) {
        self.isolation = isolation
        self.readOnly = readOnly
    }

    var sql: String {
        var parts: [String] = []
        if let isolation { parts.append("ISOLATION LEVEL " + isolation.rawValue.uppercased()) }
        if let readOnly { parts.append(readOnly ? "READ ONLY" : "READ WRITE") }
        return parts.joined(separator: ", ")
    }
}

/// A setting's value as written in SET, in index options or in EXPLAIN options.
public enum SettingValue: Sendable, Equatable {
    /// `DEFAULT` (SET only).
    case `default`
    /// A number as written, sign included (`100`, `-1.5`).
    case number(String)
    /// A quoted string.
    case string(String)
    /// An unquoted word, folded to lower case (`on`, `off`, `true`, `hnsw`).
    case word(String)
    /// Several values separated by commas (`SET search_path = a, b`).
    case list([SettingValue])
}

/// `SET [SESSION | LOCAL] name { = | TO } value`; also `SET TIME ZONE value`.
public struct SetStatement: Sendable, Equatable {
    /// Whether the setting lasts for the session or for the current transaction only.
    public enum Scope: Sendable, Equatable {
        case session, local
    }

    /// SESSION (the default) or LOCAL.
    public var scope: Scope
    /// Lower case, dots kept (`hnsw.ef_search`); `SET TIME ZONE` sets `timezone`.
    public var name: String
    /// The value as written.
    public var value: SettingValue

    /// Creates the node from its parts, as the parser would.
    public init(scope: Scope = .session, name: String, value: SettingValue) {
        self.scope = scope
        self.name = name
        self.value = value
    }
}

/// `SHOW name` or `SHOW ALL`.
public struct ShowStatement: Sendable, Equatable {
    /// Nil for `SHOW ALL`. `SHOW TIME ZONE` is `timezone`, `SHOW TRANSACTION ISOLATION LEVEL`
    /// is `transaction_isolation`.
    public var name: String?

    /// Creates the node from its parts, as the parser would.
    public init(name: String?) {
        self.name = name
    }
}

/// `RESET name` or `RESET ALL`.
public struct ResetStatement: Sendable, Equatable {
    /// Nil for `RESET ALL`.
    public var name: String?

    /// Creates the node from its parts, as the parser would.
    public init(name: String?) {
        self.name = name
    }
}

/// `EXPLAIN [ANALYZE] [VERBOSE] statement` or `EXPLAIN (option [value], …) statement`.
public struct Explain: Sendable, Equatable {
    /// The options in the order written, lower case (`analyze`, `verbose`, `costs`, `format`).
    /// The short form `EXPLAIN ANALYZE VERBOSE` gives `[analyze, verbose]` without values.
    public var options: [ExplainOption]
    /// SELECT, INSERT, UPDATE or DELETE.
    public var statement: StatementBody

    /// Creates the node from its parts, as the parser would.
    public init(options: [ExplainOption] = [], statement: StatementBody) {
        self.options = options
        self.statement = statement
    }

    /// Whether the statement is to be run and measured.
    public var analyze: Bool { isEnabled("analyze") }
    /// Whether VERBOSE is on.
    public var verbose: Bool { isEnabled("verbose") }

    /// Whether the option is present and not turned off (`false`, `off`, `0`).
    public func isEnabled(_ name: String) -> Bool {
        guard let option = options.last(where: { $0.name == name }) else { return false }
        return option.isEnabled
    }
}

/// One EXPLAIN option: `ANALYZE`, `ANALYZE false`, `FORMAT json`.
public struct ExplainOption: Sendable, Equatable {
    /// The name, lower case unless quoted.
    public var name: String
    /// Nil when only the name was written (which means on).
    public var value: SettingValue?

    /// Creates the node from its parts, as the parser would.
    public init(name: String, value: SettingValue? = nil) {
        self.name = name
        self.value = value
    }

    /// False only for an explicit `false`, `off` or `0`.
    public var isEnabled: Bool {
        switch value {
        case .word("false"), .word("off"), .number("0"), .string("false"), .string("off"): false
        default: true
        }
    }
}
