/// Statements about a session's own objects and the access to tables: PREPARE, EXECUTE,
/// DEALLOCATE, LOCK, GRANT and REVOKE.

/// `PREPARE name [(type, …)] AS statement`: a statement kept by the session under `name`.
public struct PrepareStatement: Sendable, Equatable {
    public var name: String
    /// The declared types of `$1`, `$2` …, in order (may be fewer than the statement uses:
    /// the rest are inferred).
    public var parameterTypes: [TypeName]
    /// The statement prepared (a SELECT, INSERT, UPDATE, DELETE or VALUES, as in PostgreSQL).
    public var statement: Statement

    public init(name: String, parameterTypes: [TypeName], statement: Statement) {
        self.name = name
        self.parameterTypes = parameterTypes
        self.statement = statement
    }

    /// Equal when they prepare the same statement under the same name: where its text
    /// stood in the source does not count (`sql` renders it elsewhere).
    public static func == (left: PrepareStatement, right: PrepareStatement) -> Bool {
        left.name == right.name && left.parameterTypes == right.parameterTypes
            && left.statement.body == right.statement.body && left.statement.parameterCount == right.statement.parameterCount
    }
}

/// `EXECUTE name [(argument, …)]`.
public struct ExecuteStatement: Sendable, Equatable {
    public var name: String
    public var arguments: [SQLExpression]

    public init(name: String, arguments: [SQLExpression]) {
        self.name = name
        self.arguments = arguments
    }
}

/// PostgreSQL's eight table lock modes, weakest first (the order of its lock.h).
public enum TableLockMode: Int, Sendable, Equatable, CaseIterable {
    case accessShare = 1, rowShare, rowExclusive, shareUpdateExclusive, share, shareRowExclusive, exclusive, accessExclusive

    /// The mode as LOCK … IN … MODE writes it.
    public var sql: String {
        switch self {
        case .accessShare: "ACCESS SHARE"
        case .rowShare: "ROW SHARE"
        case .rowExclusive: "ROW EXCLUSIVE"
        case .shareUpdateExclusive: "SHARE UPDATE EXCLUSIVE"
        case .share: "SHARE"
        case .shareRowExclusive: "SHARE ROW EXCLUSIVE"
        case .exclusive: "EXCLUSIVE"
        case .accessExclusive: "ACCESS EXCLUSIVE"
        }
    }

    /// The modes this one conflicts with (PostgreSQL's conflict table, lock.c's LockConflicts).
    public var conflicts: Set<TableLockMode> {
        switch self {
        case .accessShare: [.accessExclusive]
        case .rowShare: [.exclusive, .accessExclusive]
        case .rowExclusive: [.share, .shareRowExclusive, .exclusive, .accessExclusive]
        case .shareUpdateExclusive: [.shareUpdateExclusive, .share, .shareRowExclusive, .exclusive, .accessExclusive]
        case .share: [.rowExclusive, .shareUpdateExclusive, .shareRowExclusive, .exclusive, .accessExclusive]
        case .shareRowExclusive: [.rowExclusive, .shareUpdateExclusive, .share, .shareRowExclusive, .exclusive, .accessExclusive]
        case .exclusive: [.rowShare, .rowExclusive, .shareUpdateExclusive, .share, .shareRowExclusive, .exclusive, .accessExclusive]
        case .accessExclusive: Set(TableLockMode.allCases)
        }
    }

    /// PostgreSQL's name of the lock in messages: `AccessExclusiveLock`, `ShareLock`.
    public var lockName: String {
        sql.split(separator: " ").map { $0.prefix(1) + $0.dropFirst().lowercased() }.joined() + "Lock"
    }
}

/// `LOCK [TABLE] [ONLY] name [, …] [IN mode MODE] [NOWAIT]`.
public struct LockTable: Sendable, Equatable {
    public var names: [TableName]
    public var mode: TableLockMode
    public var noWait: Bool

    public init(names: [TableName], mode: TableLockMode = .accessExclusive, noWait: Bool = false) {
        self.names = names
        self.mode = mode
        self.noWait = noWait
    }
}

/// `GRANT privileges ON [kind] objects TO grantees` or `REVOKE … FROM …`: Vireo has one
/// role, so the statement checks its objects and grantees and changes nothing.
public struct GrantStatement: Sendable, Equatable {
    /// What the objects are, as written after ON (TABLE when none is written).
    public enum ObjectKind: String, Sendable, Equatable {
        case table = "TABLE", sequence = "SEQUENCE", schema = "SCHEMA", database = "DATABASE", function = "FUNCTION"
        case allTablesInSchema = "ALL TABLES IN SCHEMA", allSequencesInSchema = "ALL SEQUENCES IN SCHEMA"
        case allFunctionsInSchema = "ALL FUNCTIONS IN SCHEMA"
    }

    public var isGrant: Bool
    /// The privileges as written, upper case (`SELECT`, `ALL PRIVILEGES`, `UPDATE (a, b)`).
    public var privileges: [String]
    public var kind: ObjectKind
    public var objects: [TableName]
    /// Role names; `public` for PUBLIC, `current_user` / `session_user` as written.
    public var grantees: [String]
    /// The rest as written (`WITH GRANT OPTION`, `CASCADE`): no effect.
    public var trailer: String

    public init(isGrant: Bool, privileges: [String], kind: ObjectKind, objects: [TableName], grantees: [String], trailer: String = "") {
        self.isGrant = isGrant
        self.privileges = privileges
        self.kind = kind
        self.objects = objects
        self.grantees = grantees
        self.trailer = trailer
    }
}

extension PrepareStatement {
    /// This node as canonical SQL.
    public var sql: String {
        "PREPARE " + quoteIdentifier(name)
            + (parameterTypes.isEmpty ? "" : " (" + parameterTypes.map(\.sql).joined(separator: ", ") + ")")
            + " AS " + statement.body.sql
    }
}

extension ExecuteStatement {
    /// This node as canonical SQL.
    public var sql: String {
        "EXECUTE " + quoteIdentifier(name) + (arguments.isEmpty ? "" : " (" + arguments.map(\.sql).joined(separator: ", ") + ")")
    }
}

extension LockTable {
    /// This node as canonical SQL.
    public var sql: String {
        "LOCK TABLE " + names.map(\.sql).joined(separator: ", ") + " IN " + mode.sql + " MODE" + (noWait ? " NOWAIT" : "")
    }
}

extension GrantStatement {
    /// This node as canonical SQL.
    public var sql: String {
        let objectsSQL = kind == .database || kind == .schema || kind.rawValue.hasPrefix("ALL ")
            ? objects.map { quoteIdentifier($0.name) }.joined(separator: ", ") : objects.map(\.sql).joined(separator: ", ")
        let granteesSQL = grantees.map { ["public", "current_user", "session_user", "current_role"].contains($0) ? $0.uppercased() : quoteIdentifier($0) }
        return (isGrant ? "GRANT " : "REVOKE ") + privileges.joined(separator: ", ") + " ON " + kind.rawValue + " " + objectsSQL
            + (isGrant ? " TO " : " FROM ") + granteesSQL.joined(separator: ", ") + (trailer.isEmpty ? "" : " " + trailer)
    }
}
