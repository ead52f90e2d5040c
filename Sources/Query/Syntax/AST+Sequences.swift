/// CREATE, ALTER and DROP SEQUENCE (Parser+Sequences.swift), and identity columns' options.

/// One option of CREATE or ALTER SEQUENCE, or of `GENERATED … AS IDENTITY (…)`.
public enum SequenceOption: Sendable, Equatable {
    /// `AS smallint | integer | bigint`, by PostgreSQL's data_type name.
    case dataType(String)
    case increment(Int64)
    /// `MINVALUE n`, or `NO MINVALUE` (nil: the type's or direction's default).
    case minValue(Int64?)
    case maxValue(Int64?)
    case start(Int64)
    /// `RESTART [[WITH] n]` (ALTER only; nil: the start value).
    case restart(Int64?)
    case cache(Int64)
    case cycle(Bool)
    /// `OWNED BY table.column`.
    case ownedBy(table: String, column: String)
    /// `OWNED BY NONE`.
    case ownedByNone
    /// `SEQUENCE NAME name`, in an identity column's options (pg_dump writes it).
    case sequenceName(TableName)
}

/// `CREATE SEQUENCE [IF NOT EXISTS] name [option …]`.
public struct CreateSequence: Sendable, Equatable {
    public var name: TableName
    public var ifNotExists: Bool
    public var options: [SequenceOption]

    /// Creates the node from its parts, as the parser would.
    public init(name: TableName, ifNotExists: Bool = false, options: [SequenceOption] = []) {
        self.name = name
        self.ifNotExists = ifNotExists
        self.options = options
    }
}

/// `ALTER SEQUENCE [IF EXISTS] name option [option …]`.
public struct AlterSequence: Sendable, Equatable {
    public var name: TableName
    public var ifExists: Bool
    public var options: [SequenceOption]

    /// Creates the node from its parts, as the parser would.
    public init(name: TableName, ifExists: Bool = false, options: [SequenceOption]) {
        self.name = name
        self.ifExists = ifExists
        self.options = options
    }
}

extension SequenceOption {
    /// The option as SQL.
    public var sql: String {
        switch self {
        case .dataType(let type): "AS " + type
        case .increment(let value): "INCREMENT BY \(value)"
        case .minValue(let value): value.map { "MINVALUE \($0)" } ?? "NO MINVALUE"
        case .maxValue(let value): value.map { "MAXVALUE \($0)" } ?? "NO MAXVALUE"
        case .start(let value): "START WITH \(value)"
        case .restart(let value): value.map { "RESTART WITH \($0)" } ?? "RESTART"
        case .cache(let value): "CACHE \(value)"
        case .cycle(let on): on ? "CYCLE" : "NO CYCLE"
        case .ownedBy(let table, let column): "OWNED BY " + quoteIdentifier(table) + "." + quoteIdentifier(column)
        case .ownedByNone: "OWNED BY NONE"
        case .sequenceName(let name): "SEQUENCE NAME " + name.sql
        }
    }
}

extension CreateSequence {
    public var sql: String {
        "CREATE SEQUENCE " + (ifNotExists ? "IF NOT EXISTS " : "") + name.sql + options.map { " " + $0.sql }.joined()
    }
}

extension AlterSequence {
    public var sql: String {
        "ALTER SEQUENCE " + (ifExists ? "IF EXISTS " : "") + name.sql + options.map { " " + $0.sql }.joined()
    }
}
