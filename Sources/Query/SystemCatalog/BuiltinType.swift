import VireoStorage

/// A type as pg_type lists it. The OIDs are PostgreSQL's; `vector` (pgvector's, which
/// PostgreSQL numbers at CREATE EXTENSION) has a fixed OID in the user range, the same
/// one pgwire describes vector columns with.
public struct BuiltinType: Sendable {
    public var oid: Int64
    public var name: String
    public var arrayOID: Int64
    /// Fixed size in bytes, -1 for variable length.
    public var length: Int64
    public var category: String
    /// information_schema's spelling (`character varying`, `USER-DEFINED` for vector).
    public var informationSchemaName: String

    public static let vectorOID: Int64 = 16_385
    /// pgvector's halfvec, beside vector in the user range (its array type is the next OID).
    public static let halfvecOID: Int64 = 16_387
    /// pgvector's sparsevec, after halfvec (its array type is the next OID).
    public static let sparsevecOID: Int64 = 16_389
    /// The types of pgvector's extension, which live in public.
    static let pgvectorOIDs: Set<Int64> = [vectorOID, halfvecOID, sparsevecOID]
    /// PostgreSQL's `unknown` (an untyped literal's type): a parameter declared so takes
    /// the type its use decides, as one declared 0 does.
    public static let unknownOID: Int64 = 705

    public static let all: [BuiltinType] = [
        BuiltinType(oid: 16, name: "bool", arrayOID: 1000, length: 1, category: "B", informationSchemaName: "boolean"),
        BuiltinType(oid: 17, name: "bytea", arrayOID: 1001, length: -1, category: "U", informationSchemaName: "bytea"),
        BuiltinType(oid: 18, name: "char", arrayOID: 1002, length: 1, category: "Z", informationSchemaName: "\"char\""),
        BuiltinType(oid: 19, name: "name", arrayOID: 1003, length: 64, category: "S", informationSchemaName: "name"),
        BuiltinType(oid: 22, name: "int2vector", arrayOID: 1006, length: -1, category: "A", informationSchemaName: "int2vector"),
        BuiltinType(oid: 20, name: "int8", arrayOID: 1016, length: 8, category: "N", informationSchemaName: "bigint"),
        BuiltinType(oid: 21, name: "int2", arrayOID: 1005, length: 2, category: "N", informationSchemaName: "smallint"),
        BuiltinType(oid: 23, name: "int4", arrayOID: 1007, length: 4, category: "N", informationSchemaName: "integer"),
        BuiltinType(oid: 25, name: "text", arrayOID: 1009, length: -1, category: "S", informationSchemaName: "text"),
        BuiltinType(oid: 26, name: "oid", arrayOID: 1028, length: 4, category: "N", informationSchemaName: "oid"),
        BuiltinType(oid: 114, name: "json", arrayOID: 199, length: -1, category: "U", informationSchemaName: "json"),
        BuiltinType(oid: 700, name: "float4", arrayOID: 1021, length: 4, category: "N", informationSchemaName: "real"),
        BuiltinType(oid: 701, name: "float8", arrayOID: 1022, length: 8, category: "N", informationSchemaName: "double precision"),
        BuiltinType(oid: 1700, name: "numeric", arrayOID: 1231, length: -1, category: "N", informationSchemaName: "numeric"),
        BuiltinType(oid: 1042, name: "bpchar", arrayOID: 1014, length: -1, category: "S", informationSchemaName: "character"),
        BuiltinType(oid: 1043, name: "varchar", arrayOID: 1015, length: -1, category: "S", informationSchemaName: "character varying"),
        BuiltinType(oid: 1082, name: "date", arrayOID: 1182, length: 4, category: "D", informationSchemaName: "date"),
        BuiltinType(oid: 1186, name: "interval", arrayOID: 1187, length: 16, category: "T", informationSchemaName: "interval"),
        BuiltinType(oid: 1083, name: "time", arrayOID: 1183, length: 8, category: "D", informationSchemaName: "time without time zone"),
        BuiltinType(oid: 1114, name: "timestamp", arrayOID: 1115, length: 8, category: "D", informationSchemaName: "timestamp without time zone"),
        BuiltinType(oid: 1184, name: "timestamptz", arrayOID: 1185, length: 8, category: "D", informationSchemaName: "timestamp with time zone"),
        BuiltinType(oid: 1560, name: "bit", arrayOID: 1561, length: -1, category: "V", informationSchemaName: "bit"),
        BuiltinType(oid: 1562, name: "varbit", arrayOID: 1563, length: -1, category: "V", informationSchemaName: "bit varying"),
        BuiltinType(oid: 2950, name: "uuid", arrayOID: 2951, length: 16, category: "U", informationSchemaName: "uuid"),
        BuiltinType(oid: 3614, name: "tsvector", arrayOID: 3643, length: -1, category: "U", informationSchemaName: "tsvector"),
        BuiltinType(oid: 3615, name: "tsquery", arrayOID: 3645, length: -1, category: "U", informationSchemaName: "tsquery"),
        BuiltinType(oid: 3802, name: "jsonb", arrayOID: 3807, length: -1, category: "U", informationSchemaName: "jsonb"),
        BuiltinType(oid: vectorOID, name: "vector", arrayOID: vectorOID + 1, length: -1, category: "U", informationSchemaName: "USER-DEFINED"),
        BuiltinType(oid: halfvecOID, name: "halfvec", arrayOID: halfvecOID + 1, length: -1, category: "U", informationSchemaName: "USER-DEFINED"),
        BuiltinType(oid: sparsevecOID, name: "sparsevec", arrayOID: sparsevecOID + 1, length: -1, category: "U", informationSchemaName: "USER-DEFINED"),
    ]

    /// The type a column of `type` is stored as.
    public static func of(_ type: ColumnType) -> BuiltinType {
        if case .array(let element) = type {
            let base = of(element)
            return BuiltinType(oid: base.arrayOID, name: "_" + base.name, arrayOID: 0, length: -1, category: "A",
                               informationSchemaName: "ARRAY")
        }
        if case .enumeration(let enumType) = type { return of(enumType) }
        if case .fractionalSeconds(let base, _) = type { return of(base) }
        let name = switch type {
        case .bool: "bool"
        case .int: "int8"
        case .smallint: "int2"
        case .integer: "int4"
        case .double: "float8"
        case .real: "float4"
        case .text: "text"
        case .varchar: "varchar"
        case .char: "bpchar"
        case .bytes: "bytea"
        case .json: "jsonb"
        case .jsonText: "json"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .date: "date"
        case .uuid: "uuid"
        case .interval: "interval"
        case .time: "time"
        case .vector: "vector"
        case .halfvec: "halfvec"
        case .sparsevec: "sparsevec"
        case .bit(_, let varying): varying ? "varbit" : "bit"
        case .tsvector: "tsvector"
        case .tsquery: "tsquery"
        case .numeric: "numeric"
        case .array: "text"
        case .enumeration(let enumType): enumType.name
        case .fractionalSeconds(let base, _): of(base).name
        }
        return all.first { $0.name == name } ?? all[0]
    }

    /// `to_regtype`: the OID of the type written as `text` (`vector`, `public.vector`,
    /// `double precision`, `integer` …), nil when there is none.
    public static func oid(named text: String) -> Int64? {
        var name = text.trimmingCharacters(in: .whitespaces).lowercased()
        for schema in ["pg_catalog.", "public."] where name.hasPrefix(schema) { name.removeFirst(schema.count) }
        if let open = name.firstIndex(of: "(") { name = String(name[..<open]).trimmingCharacters(in: .whitespaces) }
        let synonyms = ["boolean": "bool", "bigint": "int8", "smallint": "int2", "integer": "int4", "int": "int4",
                        "real": "float4", "double precision": "float8", "character varying": "varchar",
                        "character": "bpchar", "char": "bpchar", "\"char\"": "char",
                        "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
                        "time without time zone": "time"]
        let canonical = synonyms[name] ?? name
        return all.first { $0.name == canonical }?.oid
    }

    /// atttypmod: a vector's (halfvec's, sparsevec's) dimension, varchar(n)/char(n)'s n + 4 (PostgreSQL counts the
    /// length word in), a time type's fractional digits, -1 otherwise.
    func typmod(_ type: ColumnType) -> Int64 {
        if case .fractionalSeconds(let base, let digits) = type {
            return base == .interval ? Self.intervalTypmod(digits: digits) : Int64(digits)
        }
        if case .vector(let dimension) = type.storageType { return dimension == 0 ? -1 : Int64(dimension) }
        if case .sparsevec(let dimension) = type { return dimension == 0 ? -1 : Int64(dimension) }
        if case .bit(let length?, _) = type { return Int64(length) }
        // numeric(p, s): PostgreSQL packs both into the modifier, plus its 4-byte header.
        if case .numeric(let precision?, let scale) = type { return Int64(precision << 16 | scale) + 4 }
        if let length = type.lengthMax { return Int64(length) + 4 }
        return -1
    }

    /// PostgreSQL's INTERVAL_TYPMOD(p, INTERVAL_FULL_RANGE): the fields a qualifier allows
    /// (all, 0x7FFF) above the precision.
    static func intervalTypmod(digits: Int) -> Int64 { Int64(intervalFullRange) << 16 | Int64(digits) }

    static let intervalFullRange = 0x7FFF
}

extension SystemCatalog {
    static let types = Relation(
        columns: columns(("oid", .int), ("typname", .text), ("typnamespace", .int), ("typlen", .int), ("typtype", .text),
                         ("typcategory", .text), ("typarray", .int), ("typelem", .int), ("typdelim", .text),
                         ("typrelid", .int), ("typbasetype", .int), ("typtypmod", .int), ("typnotnull", .bool), ("typowner", .int),
                         ("typcollation", .int), ("typdefault", .text), ("typacl", .array(.text))),
        rows: BuiltinType.all.flatMap { type -> [[Value]] in
            let namespace = type.informationSchemaName == "USER-DEFINED" ? publicNamespaceOID : catalogNamespaceOID
            let base: [Value] = [.int(type.oid), .text(type.name), .int(namespace), .int(type.length), .text("b"),
                                 .text(type.category), .int(type.arrayOID), .int(0), .text(","), .int(0), .int(0), .int(-1),
                                 .bool(false), .int(ownerOID), .int(type.category == "S" ? defaultCollationOID : 0), .null, .null]
            let array: [Value] = [.int(type.arrayOID), .text("_" + type.name), .int(namespace), .int(-1), .text("b"),
                                  .text("A"), .int(0), .int(type.oid), .text(","), .int(0), .int(0), .int(-1), .bool(false),
                                  .int(ownerOID), .int(type.category == "S" ? defaultCollationOID : 0), .null, .null]
            return [base, array]
        })
}
