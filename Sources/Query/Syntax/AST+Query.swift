/// Queries (SELECT and set operations) and the statements that change rows.

/// A complete query: a body, then the ORDER BY, LIMIT and OFFSET that apply to all of it.
public struct Query: Sendable, Equatable {
    /// The SELECT or set operation.
    public var body: QueryBody
    /// The ORDER BY keys in order; empty when absent.
    public var orderBy: [OrderItem]
    /// Nil for no limit (also `LIMIT ALL`). `FETCH FIRST n ROWS ONLY` is stored here too.
    public var limit: SQLExpression?
    /// The OFFSET expression; nil when absent.
    public var offset: SQLExpression?
    /// `FETCH FIRST n ROWS WITH TIES`: the rows after the limit's last that tie with it in
    /// the ORDER BY keys are kept too.
    public var withTies = false
    /// `WITH [RECURSIVE] …` written before the query; nil when absent.
    public var with: WithClause?
    /// `FOR UPDATE …` clauses, in order; empty when absent.
    public var locking: [LockingClause] = []

    /// Creates the node from its parts, as the parser would.
    public init(body: QueryBody, orderBy: [OrderItem] = [], limit: SQLExpression? = nil, offset: SQLExpression? = nil,
                with: WithClause? = nil) {
        self.with = with
        self.body = body
        self.orderBy = orderBy
        self.limit = limit
        self.offset = offset
    }

    /// A plain `SELECT` with no ORDER BY or LIMIT.
    public init(_ select: Select) {
        self.init(body: .select(select))
    }
}

/// `WITH [RECURSIVE] name [(columns)] AS (query) [, …]`: named queries visible to the
/// statement that follows and to the later entries of the list (every entry when RECURSIVE).
public struct WithClause: Sendable, Equatable {
    /// `WITH RECURSIVE`: an entry may read its own rows (`anchor UNION [ALL] recursive term`).
    public var recursive: Bool
    /// The entries in order (at least one).
    public var queries: [CommonTableExpression]

    /// Creates the node from its parts, as the parser would.
    public init(recursive: Bool = false, _ queries: [CommonTableExpression]) {
        self.recursive = recursive
        self.queries = queries
    }
}

/// One entry of a WITH list.
public struct CommonTableExpression: Sendable, Equatable {
    /// The name the statement reads it by (lower case unless quoted).
    public var name: String
    /// Column names written after the name; empty to keep the query's own.
    public var columns: [String]
    /// The query; its rows are computed once per statement. Unused (an empty SELECT) when
    /// `change` is set.
    public var query: Query
    /// `INSERT`, `UPDATE` or `DELETE` (with RETURNING, to be read) instead of a query: it runs
    /// once, before the statement, which reads the rows it returns.
    public var change: DataChange?

    /// Creates the node from its parts, as the parser would.
    public init(name: String, columns: [String] = [], query: Query) {
        self.name = name
        self.columns = columns
        self.query = query
    }

    /// A data-modifying entry.
    public init(name: String, columns: [String] = [], change: DataChange) {
        self.init(name: name, columns: columns, query: Query(Select(items: [])))
        self.change = change
    }
}

/// A statement that changes rows, as a WITH entry.
public indirect enum DataChange: Sendable, Equatable {
    case insert(Insert)
    case update(Update)
    case delete(Delete)
}

extension WithClause {
    /// Whether an entry changes rows (the statement then runs as a write).
    public var changesData: Bool { queries.contains { $0.change != nil } }
}

/// What a query computes before ordering and limiting.
public indirect enum QueryBody: Sendable, Equatable {
    case select(Select)
    /// `left UNION [ALL] right`, `INTERSECT`, `EXCEPT`. INTERSECT binds tighter than the others.
    case setOperation(SetOperation)
    /// `VALUES (…), (…)`: constant rows, columns named column1, column2 ….
    case values([[SQLExpression]])
}

/// Queries combined by one set operator, from the left: `a UNION ALL b UNION ALL c` is one
/// node with three operands, so a flat run of thousands of them is a wide node rather than a
/// tree thousands of levels deep (only real nesting counts against
/// `SyntaxLimits.nestingDepthMax`). A different operator, or the same one with a different
/// ALL, starts a node of its own.
public struct SetOperation: Sendable, Equatable {
    /// Which operation; the raw value is its SQL spelling.
    public enum Kind: String, Sendable, Equatable {
        case union = "UNION", intersect = "INTERSECT", except = "EXCEPT"
    }

    /// Which kind it is.
    public var kind: Kind
    /// `ALL` keeps duplicates.
    public var all: Bool
    /// The operands in order, two or more.
    public var operands: [Query]

    /// `left kind right`.
    public init(_ kind: Kind, all: Bool = false, _ left: Query, _ right: Query) {
        self.init(kind, all: all, operands: [left, right])
    }

    /// The operands combined from the left; at least two.
    public init(_ kind: Kind, all: Bool = false, operands: [Query]) {
        precondition(operands.count >= 2, "a set operation combines two queries or more")
        self.kind = kind
        self.all = all
        self.operands = operands
    }

    /// The left operand of the last operator: every operand but the last, combined.
    public var left: Query {
        operands.count == 2 ? operands[0] : Query(body: .setOperation(SetOperation(kind, all: all, operands: Array(operands.dropLast()))))
    }

    /// The right operand of the last operator.
    public var right: Query { operands[operands.count - 1] }
}

/// `SELECT [DISTINCT] items [FROM …] [WHERE …] [GROUP BY …] [HAVING …]`.
public struct Select: Sendable, Equatable {
    /// `SELECT DISTINCT`: duplicate rows are removed.
    public var distinct: Bool
    /// `SELECT DISTINCT ON (…)`: the first row of each group of equal values is kept
    /// (`distinct` is false then); empty when absent.
    public var distinctOn: [SQLExpression] = []
    /// `WINDOW name AS (…) [, …]`, in the order written; empty when absent.
    public var windows: [NamedWindow] = []
    /// The select list (may be empty, as in PostgreSQL: `SELECT FROM t`).
    public var items: [SelectItem]
    /// The FROM list; entries separated by commas are cross-joined.
    public var from: [TableReference]
    /// The WHERE condition; nil when absent.
    public var whereClause: SQLExpression?
    /// The GROUP BY elements (expressions, ROLLUP, CUBE, GROUPING SETS, `()`); empty when absent.
    public var groupBy: [GroupingElement]
    /// `GROUP BY DISTINCT`: grouping sets that expand to the same set are computed once.
    public var groupByDistinct = false
    /// The HAVING condition; nil when absent.
    public var having: SQLExpression?

    /// Creates the node from its parts, as the parser would.
    public init(distinct: Bool = false, items: [SelectItem], from: [TableReference] = [],
                whereClause: SQLExpression? = nil, groupBy: [GroupingElement] = [], having: SQLExpression? = nil) {
        self.distinct = distinct
        self.items = items
        self.from = from
        self.whereClause = whereClause
        self.groupBy = groupBy
        self.having = having
    }
}

/// One element of GROUP BY. A parenthesised list `(a, b)` (a row constructor) inside
/// ROLLUP, CUBE or GROUPING SETS is one composite element: its expressions are grouped
/// together or not at all.
public indirect enum GroupingElement: Sendable, Equatable {
    /// An expression (or `(a, b)`, which groups by each of them).
    case expression(SQLExpression)
    /// `()`: the empty grouping set, one group of every row.
    case empty
    /// `ROLLUP (e1, …, en)`: the sets (e1 … en), (e1 … en-1), …, (e1), ().
    case rollup([SQLExpression])
    /// `CUBE (e1, …, en)`: every subset of the elements.
    case cube([SQLExpression])
    /// `GROUPING SETS (element, …)`: the sets each element expands to, one after another.
    case sets([GroupingElement])
}

/// An entry of a select list or of RETURNING.
public enum SelectItem: Sendable, Equatable {
    /// `*`: every column of every table in FROM.
    case wildcard
    /// `t.*`: every column of one table (or alias).
    case qualifiedWildcard(table: String)
    /// `expression [AS alias]`.
    case expression(SQLExpression, alias: String?)
    /// `(function(…)).*`: every column of the row a function returns (json(b)_populate_record).
    /// Boxed, so that select items (held on the parser's recursion path) stay small.
    indirect case expandedRow(FunctionCall)
}

/// An entry of a FROM list.
public indirect enum TableReference: Sendable, Equatable {
    /// `name [[AS] alias]`.
    case table(TableName, alias: String?)
    /// `(query) [AS] alias [(columns)]`.
    case subquery(Query, alias: String?, columns: [String] = [])
    /// `LATERAL (query) [AS] alias [(columns)]`: a subquery that may read the FROM entries before it.
    case lateral(Query, alias: String?, columns: [String] = [])
    /// `(VALUES (…), (…)) [AS] alias [(columns)]`: constant rows as a table.
    case values([[SQLExpression]], alias: String?, columns: [String])
    /// `name(arguments) [WITH ORDINALITY] [[AS] alias [(columns)]]`: a function's rows as a
    /// table (generate_series, jsonb_each …); it may read the FROM entries before it. A
    /// function returning `record` (jsonb_to_record) takes `[AS] [alias] (name type, …)`.
    case function(TableFunctionReference)
    case join(Join)
    /// `name [[AS] alias] TABLESAMPLE method (argument, …) [REPEATABLE (seed)]`.
    case sample(TableSample)
}

/// A table read through a sampling method: SYSTEM or BERNOULLI with their percentage.
public struct TableSample: Sendable, Equatable {
    public var table: TableName
    public var alias: String?
    /// The method's name, lower case unless quoted.
    public var method: String
    public var arguments: [SQLExpression]
    /// `REPEATABLE (seed)`: the same seed picks the same rows of the same data.
    public var seed: SQLExpression?

    /// Creates the node from its parts, as the parser would.
    public init(table: TableName, alias: String? = nil, method: String, arguments: [SQLExpression], seed: SQLExpression? = nil) {
        self.table = table
        self.alias = alias
        self.method = method
        self.arguments = arguments
        self.seed = seed
    }
}

/// A function call in FROM.
public struct TableFunctionReference: Sendable, Equatable {
    public var call: FunctionCall
    /// `WITH ORDINALITY`: a bigint column numbering the rows from 1.
    public var withOrdinality: Bool
    public var alias: String?
    public var columns: [String]
    /// The column definition list `(name type, …)` of a function returning `record`; empty
    /// when absent.
    public var recordColumns: [RecordColumn]

    public init(call: FunctionCall, withOrdinality: Bool = false, alias: String? = nil, columns: [String] = [],
                recordColumns: [RecordColumn] = []) {
        self.call = call
        self.withOrdinality = withOrdinality
        self.alias = alias
        self.columns = columns
        self.recordColumns = recordColumns
    }
}

/// An entry of a column definition list: `name type`.
public struct RecordColumn: Sendable, Equatable {
    public var name: String
    public var type: TypeName

    public init(_ name: String, _ type: TypeName) {
        self.name = name
        self.type = type
    }
}

/// `left [INNER | LEFT | RIGHT | FULL | CROSS] JOIN right [ON … | USING (…)]`.
public struct Join: Sendable, Equatable {
    /// Which join; the raw value is its SQL spelling.
    public enum Kind: String, Sendable, Equatable {
        case inner = "JOIN", left = "LEFT JOIN", right = "RIGHT JOIN", full = "FULL JOIN", cross = "CROSS JOIN"
    }

    /// How the rows are matched; `.none` only for CROSS JOIN.
    public enum Condition: Sendable, Equatable {
        case none
        case on(SQLExpression)
        case using([String])
        /// `NATURAL … JOIN`: USING every column name both sides have.
        case natural
    }

    /// Which kind it is.
    public var kind: Kind
    /// The left side.
    public var left: TableReference
    /// The right side.
    public var right: TableReference
    /// How rows are matched.
    public var condition: Condition

    /// Creates the node from its parts, as the parser would.
    public init(_ kind: Kind, _ left: TableReference, _ right: TableReference, _ condition: Condition) {
        self.kind = kind
        self.left = left
        self.right = right
        self.condition = condition
    }
}

/// One ORDER BY key: `expression [ASC | DESC] [NULLS FIRST | NULLS LAST]`.
public struct OrderItem: Sendable, Equatable {
    /// The sort key.
    public var expression: SQLExpression
    /// `DESC` was written.
    public var descending: Bool
    /// Nil when not written: PostgreSQL then puts NULLs last ascending, first descending.
    public var nullsFirst: Bool?

    /// Creates the node from its parts, as the parser would.
    public init(_ expression: SQLExpression, descending: Bool = false, nullsFirst: Bool? = nil) {
        self.expression = expression
        self.descending = descending
        self.nullsFirst = nullsFirst
    }

    /// Where NULLs go once the default is applied (PostgreSQL: NULL sorts as the largest value).
    public var effectiveNullsFirst: Bool { nullsFirst ?? descending }
}

// MARK: - Changing rows

/// A value assigned to a column in VALUES or SET: an expression or `DEFAULT`.
public enum ColumnValue: Sendable, Equatable {
    case expression(SQLExpression)
    case `default`
}

/// `column = value` in UPDATE … SET and ON CONFLICT DO UPDATE SET.
public struct Assignment: Sendable, Equatable {
    /// The column name (lower case unless quoted).
    public var column: String
    /// The new value.
    public var value: ColumnValue

    /// Creates the node from its parts, as the parser would.
    public init(column: String, value: ColumnValue) {
        self.column = column
        self.value = value
    }
}

/// `INSERT INTO table [AS alias] [(columns)] source [ON CONFLICT …] [RETURNING …]`.
public struct Insert: Sendable, Equatable {
    /// The table, as written.
    public var table: TableName
    /// The alias written after the table, if any.
    public var alias: String?
    /// Empty when no column list was written (all columns, in table order).
    public var columns: [String]
    /// Where the rows come from.
    public var source: InsertSource
    /// The ON CONFLICT clause; nil when absent.
    public var onConflict: OnConflict?
    /// Empty when there is no RETURNING clause.
    public var returning: [SelectItem]
    /// `WITH …` written before INSERT; nil when absent.
    public var with: WithClause? = nil
    /// `OVERRIDING SYSTEM VALUE` (values given to GENERATED ALWAYS identity columns are
    /// kept) or `OVERRIDING USER VALUE` (values given to identity columns are replaced by
    /// the sequence's); nil when absent.
    public var overriding: Overriding? = nil

    /// Which values an INSERT's OVERRIDING clause lets win.
    public enum Overriding: String, Sendable, Equatable {
        case system = "SYSTEM", user = "USER"
    }

    /// Creates the node from its parts, as the parser would.
    public init(table: TableName, alias: String? = nil, columns: [String] = [], source: InsertSource,
                onConflict: OnConflict? = nil, returning: [SelectItem] = []) {
        self.table = table
        self.alias = alias
        self.columns = columns
        self.source = source
        self.onConflict = onConflict
        self.returning = returning
    }
}

/// Where inserted rows come from.
public enum InsertSource: Sendable, Equatable {
    /// `VALUES (…), (…)`: one array per row (rows may differ in length; the binder checks).
    case values([[ColumnValue]])
    /// `SELECT …`.
    case query(Query)
    /// `DEFAULT VALUES`.
    case defaultValues
}

/// `ON CONFLICT [(columns)] DO NOTHING | DO UPDATE SET … [WHERE …]`.
/// In DO UPDATE, `excluded.column` names the row that was proposed for insertion.
public struct OnConflict: Sendable, Equatable {
    /// What to do with a row that conflicts.
    public enum Action: Sendable, Equatable {
        case doNothing
        case doUpdate(assignments: [Assignment], whereClause: SQLExpression?)
    }

    /// The conflict target; empty when not written (any unique constraint, DO NOTHING only).
    public var columns: [String]
    /// What to do with a conflicting row.
    public var action: Action
    /// `(columns) WHERE predicate`: the target may be a partial unique index whose
    /// predicate this implies.
    public var targetPredicate: SQLExpression? = nil
    /// `ON CONSTRAINT name`: the target is that unique constraint (or primary key).
    public var constraint: String? = nil

    /// Creates the node from its parts, as the parser would.
    public init(columns: [String] = [], action: Action) {
        self.columns = columns
        self.action = action
    }
}

/// `UPDATE table [[AS] alias] SET … [FROM …] [WHERE …] [RETURNING …]`.
public struct Update: Sendable, Equatable {
    /// The table, as written.
    public var table: TableName
    /// The alias written after the table, if any.
    public var alias: String?
    /// The SET list in order.
    public var assignments: [Assignment]
    /// The FROM list; empty when absent.
    public var from: [TableReference]
    /// The WHERE condition; nil when absent.
    public var whereClause: SQLExpression?
    /// The RETURNING list; empty when absent.
    public var returning: [SelectItem]
    /// `WITH …` written before the statement; nil when absent.
    public var with: WithClause? = nil

    /// Creates the node from its parts, as the parser would.
    public init(table: TableName, alias: String? = nil, assignments: [Assignment], from: [TableReference] = [],
                whereClause: SQLExpression? = nil, returning: [SelectItem] = []) {
        self.table = table
        self.alias = alias
        self.assignments = assignments
        self.from = from
        self.whereClause = whereClause
        self.returning = returning
    }
}

/// `DELETE FROM table [[AS] alias] [USING …] [WHERE …] [RETURNING …]`.
public struct Delete: Sendable, Equatable {
    /// The table, as written.
    public var table: TableName
    /// The alias written after the table, if any.
    public var alias: String?
    /// The USING list; empty when absent.
    public var using: [TableReference]
    /// The WHERE condition; nil when absent.
    public var whereClause: SQLExpression?
    /// The RETURNING list; empty when absent.
    public var returning: [SelectItem]
    /// `WITH …` written before the statement; nil when absent.
    public var with: WithClause? = nil

    /// Creates the node from its parts, as the parser would.
    public init(table: TableName, alias: String? = nil, using: [TableReference] = [],
                whereClause: SQLExpression? = nil, returning: [SelectItem] = []) {
        self.table = table
        self.alias = alias
        self.using = using
        self.whereClause = whereClause
        self.returning = returning
    }
}
