/// `MERGE INTO table [[AS] alias] USING source ON condition WHEN … [WHEN …]`, as PostgreSQL 15
/// has it: no RETURNING, no `WHEN NOT MATCHED BY SOURCE` (both came with PostgreSQL 17).
public struct Merge: Sendable, Equatable {
    /// The target table, as written.
    public var table: TableName
    /// The alias written after the target, if any.
    public var alias: String?
    /// The rows merged in: a table, a subquery or VALUES (with their alias), or a join.
    public var source: TableReference
    /// The join condition between a source row and a target row.
    public var condition: SQLExpression
    /// The WHEN clauses in the order written: for each source row, the first of its kind
    /// (matched or not) whose condition holds acts.
    public var clauses: [MergeClause]
    /// `WITH …` written before the statement; nil when absent.
    public var with: WithClause? = nil

    /// Creates the node from its parts, as the parser would.
    public init(table: TableName, alias: String? = nil, source: TableReference, condition: SQLExpression, clauses: [MergeClause]) {
        self.table = table
        self.alias = alias
        self.source = source
        self.condition = condition
        self.clauses = clauses
    }
}

/// `WHEN [NOT] MATCHED [AND condition] THEN action`.
public struct MergeClause: Sendable, Equatable {
    /// WHEN MATCHED (a target row joins the source row) or WHEN NOT MATCHED (none does).
    public var matched: Bool
    /// The `AND` condition; nil when absent (the clause then acts on every row of its kind).
    public var condition: SQLExpression?
    public var action: MergeAction

    /// Creates the node from its parts, as the parser would.
    public init(matched: Bool, condition: SQLExpression? = nil, action: MergeAction) {
        self.matched = matched
        self.condition = condition
        self.action = action
    }
}

/// What a WHEN clause does: UPDATE and DELETE for a matched row, INSERT for one not matched,
/// DO NOTHING for either.
public enum MergeAction: Sendable, Equatable {
    case update([Assignment])
    case delete
    /// `INSERT [(columns)] [OVERRIDING … VALUE] VALUES (…)`, or `INSERT DEFAULT VALUES` (nil values).
    case insert(columns: [String], overriding: Insert.Overriding?, values: [ColumnValue]?)
    case doNothing
}

extension Merge {
    /// This node as canonical SQL.
    public var sql: String {
        withSQL(with) + "MERGE INTO " + table.sql + aliasSQL(alias) + " USING " + source.sql + " ON " + condition.sql
            + clauses.map { " " + $0.sql }.joined()
    }
}

extension MergeClause {
    /// `WHEN … THEN …`.
    public var sql: String {
        var text = matched ? "WHEN MATCHED" : "WHEN NOT MATCHED"
        if let condition { text += " AND " + condition.sql }
        switch action {
        case .update(let assignments): text += " THEN UPDATE SET " + assignments.map(\.sql).joined(separator: ", ")
        case .delete: text += " THEN DELETE"
        case .doNothing: text += " THEN DO NOTHING"
        case .insert(let columns, let overriding, let values):
            text += " THEN INSERT"
            if !columns.isEmpty { text += " " + namesSQL(columns) }
            if let overriding { text += " OVERRIDING " + overriding.rawValue + " VALUE" }
            text += values.map { " VALUES (" + $0.map(\.sql).joined(separator: ", ") + ")" } ?? " DEFAULT VALUES"
        }
        return text
    }
}
