import VireoStorage

/// A type as written in a column definition or a cast, keeping the modifiers (`varchar(20)`,
/// `numeric(10,2)`, `vector(3)`) that `ColumnType` does not hold. Synonyms are merged:
/// `int`/`int4` are `integer`, `float8`/`float` are `doublePrecision`, `timestamptz` is
/// `timestamp(withTimeZone: true)`, `decimal` is `numeric`, `bool` is `boolean`.
public indirect enum TypeName: Sendable, Equatable {
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
    case date
    case uuid
    case interval
    /// `time [(p)] [WITHOUT TIME ZONE]`.
    case time
    /// `vector(n)`; nil dimension in a cast means any dimension.
    case vector(dimension: Int?)
    /// pgvector's `halfvec(n)`; nil dimension in a cast means any dimension.
    case halfvec(dimension: Int?)
    /// `serial` / `bigserial`: an integer column filled from a sequence when not given.
    case serial, bigserial
    /// PostgreSQL's text-search types.
    case tsvector, tsquery
    /// `element[]`: a one-dimensional array.
    case array(TypeName)
    /// `timestamp(p)`, `timestamptz(p)`, `time(p)`, `interval(p)`: `base` (a `.timestamp`,
    /// `.time` or `.interval`) with p written.
    case fractionalSeconds(TypeName, digits: Int)
    /// A name Vireo does not know (`uuid`, `date`, …), kept for the binder's error message.
    case other(name: String, modifiers: [Int])

    /// PostgreSQL's object identifier types; a column of one stores a plain OID (bigint).
    static let objectIdentifierTypes: Set<String> = ["oid", "regtype", "regclass", "regproc", "regprocedure", "regnamespace"]

    /// The catalog types a cast may name (`x::oid`, `x::name`, `x::"char"`): nil for others.
    public var catalogType: SQLType? {
        guard case .other(let name, []) = self else { return nil }
        switch name {
        case "oid": return .oid
        case "name": return .name
        case "\"char\"": return .internalChar
        case "int2vector": return .int2vector
        default: return nil
        }
    }

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
        case .date: "date"
        case .uuid: "uuid"
        case .interval: "interval"
        case .time: "time"
        case .vector(let dimension): "vector" + modifierList(dimension.map { [$0] } ?? [])
        case .halfvec(let dimension): "halfvec" + modifierList(dimension.map { [$0] } ?? [])
        case .serial: "serial"
        case .bigserial: "bigserial"
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        case .other(let name, let modifiers): quoteIdentifier(name) + modifierList(modifiers)
        case .array(let element): element.sql + "[]"
        case .fractionalSeconds(.timestamp(let withTimeZone), let digits): "timestamp(\(digits))" + (withTimeZone ? " with time zone" : "")
        case .fractionalSeconds(let base, let digits): base.sql + "(\(digits))"
        }
    }

    /// pg_type's name for the type (`int4`, `float8`, `bpchar`), which names a cast's column.
    public var internalName: String {
        switch self {
        case .smallint: "int2"
        case .integer, .serial: "int4"
        case .bigint, .bigserial: "int8"
        case .real: "float4"
        case .doublePrecision: "float8"
        case .numeric: "numeric"
        case .varchar: "varchar"
        case .char: "bpchar"
        case .boolean: "bool"
        case .timestamp(let withTimeZone): withTimeZone ? "timestamptz" : "timestamp"
        case .date: "date"
        case .uuid: "uuid"
        case .interval: "interval"
        case .time: "time"
        case .vector: "vector"
        case .halfvec: "halfvec"
        case .other(let name, _): name
        // PostgreSQL names a cast to an array type after the element type (`'{1}'::int[]` is `int4`).
        case .array(let element): element.internalName
        case .fractionalSeconds(let base, _): base.internalName
        default: sql
        }
    }

    /// The type as PostgreSQL's messages about a function's signature print it: a type the
    /// grammar spells with keywords by its pg_catalog name (`pg_catalog.int4`), any other by
    /// its name, modifiers left out (`DROP FUNCTION IF EXISTS f(int, text)`'s notice).
    public var signatureText: String {
        switch self {
        case .smallint, .integer, .bigint, .real, .doublePrecision, .numeric, .varchar, .char, .boolean, .timestamp, .interval, .time:
            "pg_catalog." + internalName
        case .array(let element): element.signatureText + "[]"
        case .fractionalSeconds(let base, _): base.signatureText
        case .other(let name, _): quoteIdentifier(name)
        default: internalName
        }
    }

    /// Whether values default to the next number of a sequence (SERIAL, BIGSERIAL).
    public var isSerial: Bool { self == .serial || self == .bigserial }

    /// The type of a column declared with this type. NUMERIC is an exact decimal; smallint, integer (and serial) and real keep their width, varchar(n) and char(n) their
    /// length; varchar without a length is text.
    /// A name that is no built-in type is looked up among `catalog`'s enum types.
    /// Throws for unknown types, a vector without or with an invalid dimension, and
    /// out-of-range length modifiers, with PostgreSQL's and pgvector's messages.
    public func columnType(in catalog: Catalog? = nil) throws -> ColumnType {
        switch self {
        case .smallint: return .smallint
        case .integer, .serial: return .integer
        case .bigint, .bigserial: return .int
        case .real: return .real
        case .doublePrecision: return .double
        case .numeric(let precision, let scale): return try Self.numericColumnType(precision, scale)
        case .text: return .text
        case .varchar(nil): return .varchar(length: 0)
        case .varchar, .char: return try TextLength(self)?.columnType ?? .text
        case .boolean: return .bool
        case .bytea: return .bytes
        case .json: return .jsonText
        case .jsonb: return .json
        case .timestamp(let withTimeZone): return withTimeZone ? .timestamptz : .timestamp
        case .date: return .date
        case .uuid: return .uuid
        case .interval: return .interval
        case .time: return .time
        case .tsvector: return .tsvector
        case .tsquery: return .tsquery
        case .vector(let dimension): return .vector(dimension: try Self.checkedVectorDimension(dimension))
        case .halfvec(let dimension): return .halfvec(dimension: try Self.checkedVectorDimension(dimension, typeName: "halfvec"))
        case .fractionalSeconds(let base, let digits): return .fractionalSeconds(try base.columnType(in: catalog), digits: min(digits, Self.fractionalDigitsMax))
        case .array(let element):
            if element.isSerial { throw VireoError(.featureNotSupported, "array of serial is not implemented") }
            let elementType = try element.columnType(in: catalog)
            if SQLType(elementType).isVector { throw VireoError(.featureNotSupported, "arrays of vectors are not supported") }
            if case .enumeration = elementType { throw VireoError(.featureNotSupported, "arrays of enum types are not supported") }
            return .array(element: elementType)
        case .other("sparsevec", let modifiers): return .sparsevec(dimension: try Self.sparseVectorDimension(modifiers))
        case .other(let name, let modifiers) where name == "bit" || name == "varbit":
            if let length = modifiers.first, length < 1 {
                throw VireoError(.invalidParameter, "length for type \(name) must be at least 1")
            }
            return .bit(length: modifiers.first ?? (name == "bit" ? 1 : nil), varying: name == "varbit")
        case .other(let name, _):
            // Catalog references are numbers (OIDs), as drivers' introspection casts them.
            if Self.objectIdentifierTypes.contains(name) { return .int }
            // A column of a catalog text type keeps its text (pg_catalog's own use them).
            if name == "name" || name == "\"char\"" { return .text }
            if let type = catalog?.enumType(named: name) { return .enumeration(type) }
            // A domain's values are stored as its base type's (Binder+Domains.swift checks them).
            if let domain = catalog?.domain(named: name) { return try Parser.parseTypeName(domain.baseType).columnType(in: catalog) }
            throw VireoError(.undefinedObject, "type \"\(name)\" does not exist")
        }
    }

    /// The most fractional digits of a second a time type keeps (microseconds); PostgreSQL
    /// reduces a larger precision to it (with a warning).
    public static let fractionalDigitsMax = 6

    /// `numeric(p,s)` with PostgreSQL's limits: 1 ≤ p ≤ 1000, 0 ≤ s ≤ p (Vireo keeps no
    /// negative scales).
    static func numericColumnType(_ precision: Int?, _ scale: Int?) throws -> ColumnType {
        guard let precision else { return .numeric(precision: nil, scale: 0) }
        guard (1...1000).contains(precision) else {
            throw VireoError(.invalidParameter, "NUMERIC precision \(precision) must be between 1 and 1000")
        }
        let scale = scale ?? 0
        guard (0...precision).contains(scale) else {
            throw VireoError(.invalidParameter, "NUMERIC scale \(scale) must be between 0 and precision \(precision)")
        }
        return .numeric(precision: precision, scale: scale)
    }

    /// pgvector's checks on a sparsevec's dimension (sparsevec_typmod_in); 0 for none.
    static func sparseVectorDimension(_ modifiers: [Int]) throws -> Int {
        guard let dimension = modifiers.first else { return 0 }
        guard modifiers.count == 1 else { throw VireoError(.invalidParameter, "invalid type modifier") }
        guard dimension >= 1 else { throw VireoError(.invalidParameter, "dimensions for type sparsevec must be at least 1") }
        guard dimension <= SparseVector.dimensionsMax else {
            throw VireoError(.invalidParameter, "dimensions for type sparsevec cannot exceed \(SparseVector.dimensionsMax)")
        }
        return dimension
    }

    /// pgvector's checks on a column's dimension; 0 for none (any dimension).
    static func checkedVectorDimension(_ dimension: Int?, typeName: String = "vector") throws -> Int {
        guard let dimension else { return 0 }
        guard dimension >= 1 else {
            throw VireoError(.invalidParameter, "dimensions for type \(typeName) must be at least 1")
        }
        guard dimension <= vectorDimensionsMax else {
            throw VireoError(.invalidParameter, "dimensions for type \(typeName) cannot exceed \(vectorDimensionsMax)")
        }
        return dimension
    }
}

private func modifierList(_ modifiers: [Int]) -> String {
    modifiers.isEmpty ? "" : "(" + modifiers.map(String.init).joined(separator: ",") + ")"
}
