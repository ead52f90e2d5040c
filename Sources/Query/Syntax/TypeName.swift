import VireoStorage

/// A type as written in a column definition or a cast, keeping the modifiers (`varchar(20)`,
/// `numeric(10,2)`, `vector(3)`) that `ColumnType` does not hold. Synonyms are merged:
/// `int`/`int4` are `integer`, `float8`/`float` are `doublePrecision`, `timestamptz` is
/// `timestamp(withTimeZone: true)`, `decimal` is `numeric`, `bool` is `boolean`.
public enum TypeName: Sendable, Equatable {
    case smallint, integer, bigint
    case real, doublePrecision
    case numeric(precision: Int?, scale: Int?)
    case text
    /// `varchar(n)` / `character varying(n)`; nil length when not written.
    case varchar(length: Int?)
    /// `char(n)` / `character(n)`; nil length when not written (PostgreSQL then means 1).
    case char(length: Int?)
    case boolean, bytea, json, jsonb
    case timestamp(withTimeZone: Bool)
    /// `vector(n)`; nil dimension in a cast means any dimension.
    case vector(dimension: Int?)
    /// `serial` / `bigserial`: an integer column filled from a sequence when not given.
    case serial, bigserial
    /// PostgreSQL's text-search types.
    case tsvector, tsquery
    /// A name Vireo does not know (`uuid`, `date`, …), kept for the binder's error message.
    case other(name: String, modifiers: [Int])

    /// PostgreSQL's object identifier types; Vireo reads them as plain OIDs (bigint).
    static let objectIdentifierTypes: Set<String> = ["oid", "regtype", "regclass", "regproc", "regnamespace"]

    /// The highest dimension a vector may have (pgvector's limit).
    public static let vectorDimensionsMax = 16_000

    /// The type's SQL spelling, as PostgreSQL prints it.
    public var sql: String {
        switch self {
        case .smallint: "smallint"
        case .integer: "integer"
        case .bigint: "bigint"
        case .real: "real"
        case .doublePrecision: "double precision"
        case .numeric(let precision, let scale): "numeric" + modifierList([precision, scale].compactMap { $0 })
        case .text: "text"
        case .varchar(let length): "varchar" + modifierList(length.map { [$0] } ?? [])
        case .char(let length): "char" + modifierList(length.map { [$0] } ?? [])
        case .boolean: "boolean"
        case .bytea: "bytea"
        case .json: "json"
        case .jsonb: "jsonb"
        case .timestamp(let withTimeZone): withTimeZone ? "timestamp with time zone" : "timestamp"
        case .vector(let dimension): "vector" + modifierList(dimension.map { [$0] } ?? [])
        case .serial: "serial"
        case .bigserial: "bigserial"
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        case .other(let name, let modifiers): quoteIdentifier(name) + modifierList(modifiers)
        }
    }

    /// Whether values default to the next number of a sequence (SERIAL, BIGSERIAL).
    public var isSerial: Bool { self == .serial || self == .bigserial }

    /// The storage type of a column declared with this type. NUMERIC is stored as a double
    /// (issue 4), every integer width as a 64-bit integer, every text type as text.
    /// Throws for unknown types, a vector without or with an invalid dimension, and
    /// out-of-range length modifiers, with PostgreSQL's and pgvector's messages.
    public func columnType() throws -> ColumnType {
        switch self {
        case .smallint, .integer, .bigint, .serial, .bigserial: return .int
        case .real, .doublePrecision, .numeric: return .double
        case .text: return .text
        case .varchar(let length), .char(let length):
            if let length, length < 1 {
                throw VireoError(.invalidParameter, "length for type \(self == .varchar(length: length) ? "varchar" : "char") must be at least 1")
            }
            return .text
        case .boolean: return .bool
        case .bytea: return .bytes
        case .json, .jsonb: return .json
        case .timestamp: return .timestamp
        case .tsvector: return .tsvector
        case .tsquery: return .tsquery
        case .vector(let dimension): return .vector(dimension: try Self.checkedVectorDimension(dimension))
        case .other(let name, _):
            // Catalog references are numbers (OIDs), as drivers' introspection casts them.
            if Self.objectIdentifierTypes.contains(name) { return .int }
            throw VireoError(.undefinedObject, "type \"\(name)\" does not exist")
        }
    }

    /// pgvector's checks on a column's dimension.
    static func checkedVectorDimension(_ dimension: Int?) throws -> Int {
        guard let dimension else {
            throw VireoError(.featureNotSupported, "a vector column needs its dimension, as in vector(3)")
        }
        guard dimension >= 1 else {
            throw VireoError(.invalidParameter, "dimensions for type vector must be at least 1")
        }
        guard dimension <= vectorDimensionsMax else {
            throw VireoError(.invalidParameter, "dimensions for type vector cannot exceed \(vectorDimensionsMax)")
        }
        return dimension
    }
}

private func modifierList(_ modifiers: [Int]) -> String {
    modifiers.isEmpty ? "" : "(" + modifiers.map(String.init).joined(separator: ",") + ")"
}
