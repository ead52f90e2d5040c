/// A typed SQL value.
///
/// Equality is structural: `.double(.nan) != .double(.nan)` and `.double(-0.0) == .double(0.0)`
/// follow `Double`'s own rules. Ordering for indexes is defined by `KeyCodec`, not here.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case text(String)
    case bytes([UInt8])
    /// JSON text as given (validated elsewhere).
    case json(String)
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    case timestamp(Int64)
    case vector([Float])
}

/// A column's declared type.
public enum ColumnType: Sendable, Hashable, Codable {
    case bool, int, double, text, bytes, json, timestamp
    case vector(dimension: Int)
    /// PostgreSQL's text-search types, stored as their canonical text (a `.text` value).
    case tsvector, tsquery

    /// The type's SQL spelling, as PostgreSQL and pgvector print it
    /// (`boolean`, `bigint`, `double precision`, `text`, `bytea`, `jsonb`, `timestamp`, `vector(3)`).
    public var name: String {
        switch self {
        case .bool: "boolean"
        case .int: "bigint"
        case .double: "double precision"
        case .text: "text"
        case .bytes: "bytea"
        case .json: "jsonb"
        case .timestamp: "timestamp"
        case .vector(let dimension): "vector(\(dimension))"
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        }
    }
}

extension ColumnType {
    /// Whether values of the type are `.text` values (the text-search types keep their canonical text).
    public var isStoredAsText: Bool { self == .text || self == .tsvector || self == .tsquery }
}

extension Value {
    /// The column type this value naturally belongs to; `nil` for NULL, which fits every type.
    /// A vector's type carries its own element count as dimension.
    public var type: ColumnType? {
        switch self {
        case .null: nil
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .text: .text
        case .bytes: .bytes
        case .json: .json
        case .timestamp: .timestamp
        case .vector(let elements): .vector(dimension: elements.count)
        }
    }

    /// Whether this is SQL NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Whether the value may be stored in a column of `columnType` without conversion:
    /// NULL fits every type, a vector only a vector column of the same dimension.
    public func fits(_ columnType: ColumnType) -> Bool {
        guard let own = type else { return true }
        return own == columnType || (own == .text && columnType.isStoredAsText)
    }

    /// The SQL name of the value's type, `"null"` for NULL; for error messages.
    public var typeName: String { type?.name ?? "null" }
}

extension Value {
    /// A short plain rendering for error messages (`Key (email)=(a@x) already exists`).
    public var messageText: String {
        switch self {
        case .null: "null"
        case .bool(let flag): flag ? "t" : "f"
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .text(let text), .json(let text): text
        case .bytes(let bytes): "\\x" + bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        case .timestamp(let micros): "timestamp \(micros)"
        case .vector(let vector): "[" + vector.map { String($0) }.joined(separator: ",") + "]"
        }
    }
}
