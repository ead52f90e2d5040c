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
    /// A span of months, days and microseconds, kept apart as PostgreSQL keeps them.
    case interval(Interval)
    /// An array (lower bounds 1); its element type is the column's or the expression's, not
    /// the value's. Elements may be NULL; a multi-dimensional array nests its sub-arrays
    /// (Value+Array.swift).
    case array([Value])
    /// An exact decimal (`numeric`), with its display scale.
    case numeric(Numeric)
}

/// PostgreSQL's interval: months and days are calendar units (a month is not a fixed number
/// of days), microseconds the time of day part. Two intervals compare by `span`, which counts
/// a month as 30 days and a day as 24 hours, as PostgreSQL's comparison does.
public struct Interval: Sendable, Hashable {
    public var months: Int32
    public var days: Int32
    public var micros: Int64

    public init(months: Int32 = 0, days: Int32 = 0, micros: Int64 = 0) {
        self.months = months
        self.days = days
        self.micros = micros
    }

    public static let microsPerDay: Int64 = 86_400_000_000

    /// The interval as microseconds, months at 30 days.
    public var span: Int128 {
        (Int128(months) * 30 + Int128(days)) * Int128(Self.microsPerDay) + Int128(micros)
    }
}

/// A column's declared type. Several declared types share one storage form (`storageType`):
/// smallint and integer are stored as `.int` values and real as `.double`, varchar(n) and
/// char(n) as `.text`; the declared type adds the range and length its values must keep.
/// The catalog stores this enum as JSON, so adding a case keeps older files readable.
public indirect enum ColumnType: Sendable, Hashable, Codable {
    case bool, int, double, text, bytes, json, timestamp
    /// `vector(n)`; dimension 0 is pgvector's `vector` without one, holding vectors of any
    /// dimension (no HNSW index can cover it).
    case vector(dimension: Int)
    /// pgvector's `halfvec(n)` (dimension 0: any): a vector whose elements are half-precision floats. Its
    /// values are `.vector`s of float32s that a Float16 holds exactly (the query layer
    /// rounds them; `StoreTransaction.checkDeclaredType` refuses others), stored as vectors.
    case halfvec(dimension: Int)
    /// pgvector's `sparsevec(n)` (dimension 0: any), stored as its canonical text
    /// (`{1:1.5,3:2}/5`: indices 1-based and ascending, no zeros), which the query layer
    /// makes and `StoreTransaction.checkDeclaredType` checks the shape of.
    case sparsevec(dimension: Int)
    /// `bit(n)` (exactly n bits) or `bit varying(n)` (at most n; nil: any), stored as the
    /// text of its `0` and `1` digits.
    case bit(length: Int?, varying: Bool)
    case smallint, integer, real
    /// `varchar(n)`: at most `length` characters (code points); length 0 is `varchar`
    /// without one, any length (PostgreSQL keeps the name: it is not `text` to a client).
    case varchar(length: Int)
    /// `char(n)`: exactly `length` characters, blank-padded.
    case char(length: Int)
    /// A calendar day, stored as the timestamp of its midnight (UTC).
    case date
    /// `timestamp with time zone`: an instant, stored as UTC microseconds like `timestamp`.
    case timestamptz
    /// A UUID, stored as its canonical text (lowercase, 8-4-4-4-12), which sorts as its bytes do.
    case uuid
    case interval
    /// PostgreSQL's text-search types, stored as their canonical text (a `.text` value).
    case tsvector, tsquery
    /// An array of `element` values (`integer[]`, `text[]`), of any dimensions as in
    /// PostgreSQL (`integer[][]` is the same type).
    case array(element: ColumnType)
    /// `time` (without time zone): a time of day, 00:00:00 to 24:00:00, stored as the
    /// interval of that many microseconds since midnight (which sorts and prints as the time).
    case time
    /// `numeric` / `numeric(precision, scale)`: an exact decimal; nil precision is unconstrained.
    case numeric(precision: Int?, scale: Int)
    /// A value of an enum type (CREATE TYPE … AS ENUM), stored as its label's sort order
    /// (a `.double`), so that it sorts in declaration order (Catalog+Types.swift).
    case enumeration(EnumType)
    /// `timestamp(p)`, `timestamptz(p)`, `time(p)` or `interval(p)`: `base` (one of those four
    /// without a precision) whose values keep `digits` (0…6) fractional digits of a second,
    /// stored as `base` stores them. Without a written precision a column is `base` itself.
    case fractionalSeconds(ColumnType, digits: Int)
    /// PostgreSQL's `json` (`.json` is jsonb): the document's text kept exactly as written
    /// (spacing, member order, duplicate keys), checked on input, stored as a `.json` value.
    /// A catalog written before this case existed holds its json columns as `.json` (jsonb):
    /// they open and read as jsonb columns.
    case jsonText

    /// The type's SQL spelling, as PostgreSQL and pgvector print it
    /// (`boolean`, `bigint`, `double precision`, `text`, `bytea`, `jsonb`, `timestamp`, `vector(3)`).
    public var name: String {
        switch self {
        case .bool: "boolean"
        case .int: "bigint"
        case .smallint: "smallint"
        case .integer: "integer"
        case .double: "double precision"
        case .real: "real"
        case .text: "text"
        case .varchar(let length): length == 0 ? "character varying" : "character varying(\(length))"
        case .char(let length): "character(\(length))"
        case .bytes: "bytea"
        case .json: "jsonb"
        case .jsonText: "json"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamp with time zone"
        case .date: "date"
        case .uuid: "uuid"
        case .interval: "interval"
        case .time: "time without time zone"
        case .vector(let dimension): dimension == 0 ? "vector" : "vector(\(dimension))"
        case .halfvec(let dimension): dimension == 0 ? "halfvec" : "halfvec(\(dimension))"
        case .sparsevec(let dimension): dimension == 0 ? "sparsevec" : "sparsevec(\(dimension))"
        case .bit(let length, let varying): (varying ? "bit varying" : "bit") + (length.map { "(\($0))" } ?? "")
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        case .array(let element): element.name + "[]"
        case .numeric(let precision?, let scale): "numeric(\(precision),\(scale))"
        case .numeric: "numeric"
        case .enumeration(let type): type.name
        case .fractionalSeconds(let base, let digits): Self.inserting(precision: digits, into: base.name)
        }
    }

    /// `(p)` after a type name's first word, where PostgreSQL writes it: `timestamp(3) with time
    /// zone`, `time(0) without time zone`, `interval(2)`.
    private static func inserting(precision: Int, into name: String) -> String {
        guard let space = name.firstIndex(of: " ") else { return name + "(\(precision))" }
        return String(name[..<space]) + "(\(precision))" + String(name[space...])
    }

    /// The type of the values stored in a column of this type.
    public var storageType: ColumnType {
        switch self {
        case .smallint, .integer: .int
        case .real: .double
        case .varchar, .char, .uuid, .tsvector, .tsquery, .bit, .sparsevec: .text
        case .date, .timestamptz: .timestamp
        case .time: .interval
        case .jsonText: .json
        case .array(let element): .array(element: element.storageType)
        case .numeric: .numeric(precision: nil, scale: 0)
        case .enumeration: .double
        case .halfvec(let dimension): .vector(dimension: dimension)
        case .fractionalSeconds(let base, _): base.storageType
        default: self
        }
    }

    /// The type without a fractional-seconds precision (`timestamp(2)` is `timestamp`): what
    /// the values are, for code that asks which kind of value a column holds.
    public var withoutFractionalSeconds: ColumnType {
        if case .fractionalSeconds(let base, _) = self { return base }
        return self
    }

    /// Whether values are integers (of any width).
    public var isInteger: Bool { storageType == .int }

    /// The range an integer column's values must keep; nil for bigint and other types.
    public var integerRange: ClosedRange<Int64>? {
        switch self {
        case .smallint: Int64(Int16.min)...Int64(Int16.max)
        case .integer: Int64(Int32.min)...Int64(Int32.max)
        default: nil
        }
    }

    /// The most characters a text column's value may have; nil for unbounded ones.
    public var lengthMax: Int? {
        switch self {
        case .varchar(let length), .char(let length): length > 0 ? length : nil
        default: nil
        }
    }
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
        case .interval: .interval
        case .array: .array(element: (arrayLeaves ?? []).lazy.compactMap(\.type).first ?? .text)
        case .numeric: .numeric(precision: nil, scale: 0)
        }
    }

    /// An integer, or a numeric with no fraction that fits 64 bits (`sum` of a bigint column
    /// is numeric, as in PostgreSQL); nil otherwise.
    public var exactInteger: Int64? {
        switch self {
        case .int(let number): number
        case .numeric(let number): number.normalized.scale == 0 ? number.roundedInt64 : nil
        default: nil
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
        // The common kinds without making the value's type and the column's storage type
        // (each INSERT's every value passes here).
        switch (self, columnType) {
        case (.int, .int), (.int, .integer), (.int, .smallint), (.double, .double), (.double, .real), (.text, .text), (.bool, .bool):
            return true
        default: break
        }
        guard let own = type else { return true }
        if case .vector = self, columnType.storageType == .vector(dimension: 0) { return true }
        if case .array(let elements) = self {
            guard case .array(let element) = columnType else { return false }
            return elements.allSatisfy { $0.isArray ? $0.fits(columnType) : $0.fits(element) }
        }
        return own == columnType.storageType
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
        case .interval(let interval): "interval \(interval.months) months \(interval.days) days \(interval.micros) microseconds"
        case .array(let elements): "{" + elements.map(\.messageText).joined(separator: ",") + "}"
        case .numeric(let number): number.description
        }
    }
}
