import VireoStorage

/// CREATE TYPE … AS ENUM, ALTER TYPE and DROP TYPE (Parser+Types.swift); names are
/// stored names (a `public.` schema is dropped).
public enum TypeCommand: Sendable, Equatable {
    /// `CREATE TYPE name AS ENUM ('label', …)` (an empty list is allowed, as in PostgreSQL).
    case createEnum(name: String, labels: [String])
    /// `DROP TYPE [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    case drop(names: [String], ifExists: Bool, cascade: Bool)
    /// `ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'label' [BEFORE | AFTER 'neighbour']`.
    case addValue(type: String, label: String, ifNotExists: Bool, neighbour: String?, before: Bool)
    /// `ALTER TYPE name RENAME VALUE 'old' TO 'new'`.
    case renameValue(type: String, from: String, to: String)
    /// `ALTER TYPE name RENAME TO new`.
    case rename(type: String, to: String)
    /// `ALTER TYPE name OWNER TO role` (the database's one role owns every type).
    case ownerTo(type: String, role: String)
    /// `CREATE DOMAIN name [AS] type [DEFAULT expr] [constraints]`.
    case createDomain(CreateDomain)
    /// `DROP DOMAIN [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    case dropDomain(names: [String], ifExists: Bool, cascade: Bool)

    /// The statement as canonical SQL.
    public var sql: String {
        switch self {
        case .createEnum(let name, let labels):
            "CREATE TYPE \(quoteIdentifier(name)) AS ENUM (" + labels.map(quotedLiteral).joined(separator: ", ") + ")"
        case .drop(let names, let ifExists, let cascade):
            "DROP TYPE " + (ifExists ? "IF EXISTS " : "") + names.map(quoteIdentifier).joined(separator: ", ") + (cascade ? " CASCADE" : "")
        case .addValue(let type, let label, let ifNotExists, let neighbour, let before):
            "ALTER TYPE \(quoteIdentifier(type)) ADD VALUE " + (ifNotExists ? "IF NOT EXISTS " : "") + quotedLiteral(label)
                + (neighbour.map { (before ? " BEFORE " : " AFTER ") + quotedLiteral($0) } ?? "")
        case .renameValue(let type, let from, let to):
            "ALTER TYPE \(quoteIdentifier(type)) RENAME VALUE \(quotedLiteral(from)) TO \(quotedLiteral(to))"
        case .rename(let type, let to): "ALTER TYPE \(quoteIdentifier(type)) RENAME TO \(quoteIdentifier(to))"
        case .ownerTo(let type, let role): "ALTER TYPE \(quoteIdentifier(type)) OWNER TO \(quoteIdentifier(role))"
        case .createDomain(let domain): domain.sql
        case .dropDomain(let names, let ifExists, let cascade):
            "DROP DOMAIN " + (ifExists ? "IF EXISTS " : "") + names.map(quoteIdentifier).joined(separator: ", ") + (cascade ? " CASCADE" : "")
        }
    }

    /// The command tag PostgreSQL answers with.
    var commandTag: String {
        switch self {
        case .createEnum: "CREATE TYPE"
        case .drop: "DROP TYPE"
        case .createDomain: "CREATE DOMAIN"
        case .dropDomain: "DROP DOMAIN"
        default: "ALTER TYPE"
        }
    }
}

private func quotedLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}

/// `CREATE DOMAIN name [AS] type [DEFAULT expr] { [CONSTRAINT name] NOT NULL | NULL | CHECK (expr) }`.
public struct CreateDomain: Sendable, Equatable {
    public var name: String
    public var baseType: TypeName
    public var defaultValue: SQLExpression?
    public var notNull: Bool
    /// Each CHECK with its name when written (`CONSTRAINT positive CHECK (VALUE > 0)`).
    public var checks: [(name: String?, expression: SQLExpression)]

    /// Creates the node from its parts, as the parser would.
    public init(name: String, baseType: TypeName, defaultValue: SQLExpression?, notNull: Bool, checks: [(name: String?, expression: SQLExpression)]) {
        self.name = name
        self.baseType = baseType
        self.defaultValue = defaultValue
        self.notNull = notNull
        self.checks = checks
    }

    public static func == (left: CreateDomain, right: CreateDomain) -> Bool {
        left.name == right.name && left.baseType == right.baseType && left.defaultValue == right.defaultValue && left.notNull == right.notNull
            && left.checks.count == right.checks.count && zip(left.checks, right.checks).allSatisfy { $0.name == $1.name && $0.expression == $1.expression }
    }

    /// The statement as canonical SQL.
    public var sql: String {
        "CREATE DOMAIN \(quoteIdentifier(name)) AS \(baseType.sql)" + (defaultValue.map { " DEFAULT " + $0.sql } ?? "") + (notNull ? " NOT NULL" : "")
            + checks.map { check in (check.name.map { " CONSTRAINT " + quoteIdentifier($0) } ?? "") + " CHECK (" + check.expression.sql + ")" }.joined()
    }
}
