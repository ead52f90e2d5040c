import VireoStorage

/// The type of a value during binding and evaluation. `unknown` is the type of a string
/// literal or parameter not yet resolved, which takes the type its context needs (as
/// PostgreSQL's "unknown" literals do).
public indirect enum SQLType: Sendable, Hashable, CustomStringConvertible {
    /// `int` is bigint (int8); `smallint` (int2) and `integer` (int4) hold the same
    /// `Value.int` but are range-checked where a value takes the type.
    case bool, int, double, text, bytes, json, timestamp
    case smallint, integer
    /// PostgreSQL's `json` (`json` here is jsonb): a `Value.json` holding the document's text
    /// as written. It has no equality or ordering, and its functions read members as written.
    case jsonText
    /// float4: a `Value.double` that holds exactly a `Float`.
    case real
    /// A day: a `Value.timestamp` at midnight UTC. `timestamptz`: a `Value.timestamp` shown
    /// in the session's time zone (UTC).
    case date, timestamptz
    /// A `Value.text` in canonical UUID form.
    case uuid
    case interval
    /// A time of day: a `Value.interval` of microseconds since midnight (0 to 24 hours).
    case time
    /// A vector; nil dimension means any.
    case vector(Int?)
    /// pgvector's halfvec: a `Value.vector` whose elements a Float16 holds exactly (a cast
    /// to it rounds them); nil dimension means any.
    case halfvec(Int?)
    /// pgvector's sparsevec: a `Value.text` holding its canonical text (`SparseVector`);
    /// nil dimension means any.
    case sparsevec(Int?)
    /// `bit(n)`, or `bit varying(n)`: a `Value.text` of `0` and `1` characters; nil length
    /// means any (binary_quantize's result, `varbit`).
    case bit(Int?, varying: Bool)
    /// Text-search types; their values are `.text` holding the canonical form.
    case tsvector, tsquery
    /// A one-dimensional array; its values are `Value.array`.
    case array(SQLType)
    /// An exact decimal: `Value.numeric`. A `numeric(p,s)` typmod is applied where a value
    /// takes the type (a cast, a column), not carried here.
    case numeric
    /// The catalog's own types. `oid`: a `Value.int` from 0 to 4294967295 that compares
    /// with integers; `name` (an identifier) and `internalChar` (PostgreSQL's one-byte
    /// `"char"`, pg_type.typtype's `b`): `Value.text` that compares with text. They are
    /// described to clients by their own OIDs, as PostgreSQL does, because drivers decode
    /// by them: asyncpg reads a "char" as bytes and checks pg_type.typtype for `b'b'`.
    case oid, name, internalChar
    /// PostgreSQL's int2vector (pg_index.indkey): a `Value.array` of smallints, printed
    /// space-separated and subscripted from 0.
    case int2vector
    /// A value of an enum type: a `Value.double` holding its label's sort order, so values
    /// compare and sort in declaration order; printed as the label (Catalog+Types.swift).
    case enumeration(EnumType)
    /// A record with named fields (information_schema._pg_expandarray's `(x, n)`, a
    /// multi-column set-returning function called in a select list): a `Value.array` of the
    /// fields' values in order, printed as PostgreSQL prints a record, `(5,1)`. No column
    /// stores one; `(record).field` reads a field (Binder+Fields.swift).
    case record([RecordField])
    case unknown

    public init(_ columnType: ColumnType) {
        switch columnType {
        case .bool: self = .bool
        case .int: self = .int
        case .smallint: self = .smallint
        case .integer: self = .integer
        case .double: self = .double
        case .real: self = .real
        case .text, .varchar, .char: self = .text
        case .bytes: self = .bytes
        case .json: self = .json
        case .jsonText: self = .jsonText
        case .timestamp: self = .timestamp
        case .date: self = .date
        case .timestamptz: self = .timestamptz
        case .uuid: self = .uuid
        case .interval: self = .interval
        case .time: self = .time
        case .vector(let dimension): self = .vector(dimension == 0 ? nil : dimension)
        case .halfvec(let dimension): self = .halfvec(dimension == 0 ? nil : dimension)
        case .sparsevec(let dimension): self = .sparsevec(dimension == 0 ? nil : dimension)
        case .bit(let length, let varying): self = .bit(length, varying: varying)
        case .tsvector: self = .tsvector
        case .tsquery: self = .tsquery
        case .array(let element): self = .array(SQLType(element))
        case .numeric: self = .numeric
        case .enumeration(let type): self = .enumeration(type)
        case .fractionalSeconds(let base, _): self = SQLType(base)
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
        case .smallint: "smallint"
        case .integer: "integer"
        case .double: "double precision"
        case .real: "real"
        case .text: "text"
        case .bytes: "bytea"
        case .json: "jsonb"
        case .jsonText: "json"
        case .timestamp: "timestamp without time zone"
        case .timestamptz: "timestamp with time zone"
        case .date: "date"
        case .uuid: "uuid"
        case .interval: "interval"
        case .time: "time without time zone"
        case .vector(let dimension): dimension.map { "vector(\($0))" } ?? "vector"
        case .halfvec(let dimension): dimension.map { "halfvec(\($0))" } ?? "halfvec"
        case .sparsevec(let dimension): dimension.map { "sparsevec(\($0))" } ?? "sparsevec"
        case .bit(let length, let varying): (varying ? "bit varying" : "bit") + (length.map { "(\($0))" } ?? "")
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        case .array(let element): element.description + "[]"
        case .numeric: "numeric"
        case .oid: "oid"
        case .name: "name"
        case .internalChar: "\"char\""
        case .int2vector: "int2vector"
        case .enumeration(let type): type.name
        case .record: "record"
        case .unknown: "unknown"
        }
    }

    /// The element type of an array type; nil for other types.
    public var elementType: SQLType? {
        if case .array(let element) = self { return element }
        return self == .int2vector ? .smallint : nil
    }

    public var isNumeric: Bool { isInteger || isFloat || self == .numeric }

    /// smallint, integer, bigint or oid.
    public var isInteger: Bool { self == .int || self == .integer || self == .smallint || self == .oid }

    /// A row (`ROW(…)`, a table's row type).
    public var isRecord: Bool {
        if case .record = self { return true }
        return false
    }

    /// text, or a catalog type held as text (name, "char"): they compare with one another.
    public var isText: Bool { self == .text || self == .name || self == .internalChar }

    /// date, timestamp or timestamptz: values that are `Value.timestamp` and compare as instants.
    public var isDateTime: Bool { self == .timestamp || self == .timestamptz || self == .date }

    /// real or double precision.
    public var isFloat: Bool { self == .double || self == .real }

    /// The position of a numeric type in PostgreSQL's implicit widening order
    /// (smallint → integer → bigint → numeric → real → double precision); nil for other types.
    var numericRank: Int? {
        switch self {
        case .smallint: 0
        case .integer: 1
        case .int, .oid: 2
        case .numeric: 3
        case .real: 4
        case .double: 5
        default: nil
        }
    }

    /// The type two numeric types meet in, as PostgreSQL resolves a mixed operator, UNION or
    /// VALUES column: the wider integer; numeric with an integer or numeric stays numeric; real
    /// with real stays real, but real with anything else becomes double precision (float8 is
    /// the category's preferred type).
    static func widerNumeric(_ a: SQLType, _ b: SQLType) -> SQLType? {
        guard let x = a.numericRank, let y = b.numericRank else { return nil }
        if a == b { return a }
        // An oid meets another integer as a bigint, which holds every value of both.
        if a == .oid || b == .oid, max(x, y) <= SQLType.int.numericRank! { return .int }
        if max(x, y) <= SQLType.numeric.numericRank! { return x > y ? a : b }
        return .double
    }

    /// The common type of several (UNION branches, VALUES rows, CASE results) as PostgreSQL
    /// resolves them: the first known one, except that numeric types meet in the widest
    /// (integer and real give real, as every integer converts implicitly to real); unknown
    /// when all are unknown.
    static func common(_ types: [SQLType]) -> SQLType {
        let known = types.filter { $0 != .unknown }
        guard var result = known.first else { return .unknown }
        for type in known.dropFirst() {
            if case .array(let x) = result, case .array(let y) = type {
                // Arrays meet where their elements do (int[] and numeric[] in numeric[]).
                result = .array(common([x, y]))
                continue
            }
            // vector(2) and vector(3), bit(2) and bit(3): the type without a length.
            if result != type, result.unconstrained == type.unconstrained { result = result.unconstrained }
            if let x = result.numericRank, let y = type.numericRank, y > x { result = type }
            if let x = result.dateTimeRank, let y = type.dateTimeRank, y > x { result = type }
        }
        return result
    }

    /// date < timestamp < timestamptz: PostgreSQL's implicit casts among them go up this order
    /// (timestamptz is the preferred type of its category).
    private var dateTimeRank: Int? {
        switch self {
        case .date: 0
        case .timestamp: 1
        case .timestamptz: 2
        default: nil
        }
    }

    /// Whether a UNION column (or a CASE's results) may hold values of both types, as
    /// PostgreSQL resolves them: the same type category (numbers, text, date/times, vectors,
    /// arrays of such), or one side unknown. `1 UNION 'a'::text` is 42804.
    static func canMeet(_ a: SQLType, _ b: SQLType) -> Bool {
        if a == .unknown || b == .unknown || a == b { return true }
        if let x = a.elementType, let y = b.elementType, a != .int2vector, b != .int2vector { return canMeet(x, y) }
        return (a.isNumeric && b.isNumeric) || (a.isText && b.isText) || (a.isDateTime && b.isDateTime) || (a.isVector && b.isVector) || (a.isBit && b.isBit)
    }

    /// bit or bit varying, of any length.
    public var isBit: Bool {
        if case .bit = self { return true }
        return false
    }

    /// The type without its modifier (a vector's dimension), as operators' arguments take it.
    var unconstrained: SQLType {
        if case .vector = self { return .vector(nil) }
        if case .halfvec = self { return .halfvec(nil) }
        if case .sparsevec = self { return .sparsevec(nil) }
        if case .bit(_, let varying) = self { return .bit(nil, varying: varying) }
        return self
    }

    /// vector or halfvec, of any dimension.
    public var isVector: Bool {
        switch self {
        case .vector, .halfvec: true
        default: false
        }
    }

    /// halfvec, of any dimension.
    public var isHalfVector: Bool {
        if case .halfvec = self { return true }
        return false
    }

    /// sparsevec, of any dimension.
    public var isSparseVector: Bool {
        if case .sparsevec = self { return true }
        return false
    }
}

/// A field of a record type: its name and type.
public struct RecordField: Sendable, Hashable {
    public var name: String
    public var type: SQLType

    /// `name type, …`: what tells two record types apart in a function's name.
    static func signature(_ fields: [RecordField]) -> String {
        fields.map { "\($0.name) \($0.type)" }.joined(separator: ", ")
    }

    public init(_ name: String, _ type: SQLType) {
        self.name = name
        self.type = type
    }
}
