import VireoStorage

/// `FOR UPDATE | FOR NO KEY UPDATE | FOR SHARE | FOR KEY SHARE [OF t [, …]] [NOWAIT | SKIP LOCKED]`
/// after a query: the rows it returns are locked until the transaction ends (docs/transactions.md).
public struct LockingClause: Sendable, Equatable {
    /// The lock strength.
    public var mode: RowLockMode
    /// The FROM entries (table names or aliases) it locks; empty: every table of the FROM list.
    public var tables: [String]
    /// Wait for other holders, fail at once (NOWAIT), or leave their rows out (SKIP LOCKED).
    public var policy: RowLockWaitPolicy

    /// Creates the node from its parts, as the parser would.
    public init(mode: RowLockMode, tables: [String] = [], policy: RowLockWaitPolicy = .wait) {
        self.mode = mode
        self.tables = tables
        self.policy = policy
    }

    /// The clause as canonical SQL.
    public var sql: String {
        var text = mode.clauseSQL
        if !tables.isEmpty { text += " OF " + tables.map(quoteIdentifier).joined(separator: ", ") }
        switch policy {
        case .wait: break
        case .noWait: text += " NOWAIT"
        case .skipLocked: text += " SKIP LOCKED"
        }
        return text
    }
}

extension RowLockMode {
    /// `FOR UPDATE`, `FOR NO KEY UPDATE`, `FOR SHARE`, `FOR KEY SHARE`: as PostgreSQL names it in messages.
    public var clauseSQL: String {
        switch self {
        case .update: "FOR UPDATE"
        case .noKeyUpdate: "FOR NO KEY UPDATE"
        case .share: "FOR SHARE"
        case .keyShare: "FOR KEY SHARE"
        }
    }
}

extension Parser {
    /// After `FOR` at the end of a query: the rest of a locking clause.
    mutating func parseLockingClause() throws -> LockingClause {
        var clause = LockingClause(mode: .update)
        if acceptKeyword(.update) {
            clause.mode = .update
        } else if acceptWord("no") {
            try expectKeyword(.key)
            try expectKeyword(.update)
            clause.mode = .noKeyUpdate
        } else if acceptWord("share") {
            clause.mode = .share
        } else if acceptKeyword(.key) {
            try expectWord("share")
            clause.mode = .keyShare
        } else {
            throw unexpected("expected UPDATE, NO KEY UPDATE, SHARE or KEY SHARE after FOR")
        }
        if acceptWord("of") {
            clause.tables = try commaSeparated { parser in
                var name = try parser.parseIdentifier("a table name")
                while parser.accept(.dot) { name = try parser.parseIdentifier("a table name") }
                return name
            }
        }
        if acceptWord("nowait") {
            clause.policy = .noWait
        } else if acceptWord("skip") {
            try expectWord("locked")
            clause.policy = .skipLocked
        }
        hasLockingClause = true
        return clause
    }
}
