import VireoStorage

/// The type of a value during binding and evaluation. `unknown` is the type of a string
/// literal or parameter not yet resolved, which takes the type its context needs (as
/// PostgreSQL's "unknown" literals do).
public enum SQLType: Sendable, Hashable, CustomStringConvertible {
    case bool, int, double, text, bytes, json, timestamp
    /// A vector; nil dimension means any.
    case vector(Int?)
    /// Text-search types; their values are `.text` holding the canonical form.
    case tsvector, tsquery
    case unknown

    public init(_ columnType: ColumnType) {
        switch columnType {
        case .bool: self = .bool
        case .int: self = .int
        case .double: self = .double
        case .text: self = .text
        case .bytes: self = .bytes
        case .json: self = .json
        case .timestamp: self = .timestamp
        case .vector(let dimension): self = .vector(dimension)
        case .tsvector: self = .tsvector
        case .tsquery: self = .tsquery
        }
    }

    /// The type of a value (NULL is unknown).
    public init(of value: Value) {
        self = value.type.map(SQLType.init) ?? .unknown
    }

    /// PostgreSQL's name for the type, for error messages and result descriptions.
    public var description: String {
        switch self {
        case .bool: "boolean"
        case .int: "bigint"
        case .double: "double precision"
        case .text: "text"
        case .bytes: "bytea"
        case .json: "jsonb"
        case .timestamp: "timestamp without time zone"
        case .vector(let dimension): dimension.map { "vector(\($0))" } ?? "vector"
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        case .unknown: "unknown"
        }
    }

    public var isNumeric: Bool { self == .int || self == .double }

    public var isVector: Bool {
        if case .vector = self { return true }
        return false
    }
}
