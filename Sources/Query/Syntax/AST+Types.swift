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
        }
    }

    /// The command tag PostgreSQL answers with.
    var commandTag: String {
        switch self {
        case .createEnum: "CREATE TYPE"
        case .drop: "DROP TYPE"
        default: "ALTER TYPE"
        }
    }
}

private func quotedLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
