import Foundation
import NIOCore
import VireoQuery
import VireoStorage

/// A PostgreSQL type as pgwire names it: its OID, its size and how values of it are
/// written and read in text and binary format.
struct PGType: Sendable, Equatable {
    var oid: Int32
    /// Fixed size in bytes, or -1 for variable length.
    var sizeBytes: Int16
    /// For an array type, its element type's OID; 0 otherwise.
    var elementOID: Int32 = 0

    static let bool = PGType(oid: 16, sizeBytes: 1)
    static let bytea = PGType(oid: 17, sizeBytes: -1)
    static let int8 = PGType(oid: 20, sizeBytes: 8)
    static let int2 = PGType(oid: 21, sizeBytes: 2)
    static let int4 = PGType(oid: 23, sizeBytes: 4)
    static let text = PGType(oid: 25, sizeBytes: -1)
    static let oid = PGType(oid: 26, sizeBytes: 4)
    static let internalChar = PGType(oid: 18, sizeBytes: 1)
    static let name = PGType(oid: 19, sizeBytes: 64)
    static let int2vector = PGType(oid: 22, sizeBytes: -1, elementOID: 21)
    /// An anonymous record (information_schema._pg_expandarray's rows); sent as text.
    static let record = PGType(oid: 2249, sizeBytes: -1)
    static let json = PGType(oid: 114, sizeBytes: -1)
    static let float4 = PGType(oid: 700, sizeBytes: 4)
    static let float8 = PGType(oid: 701, sizeBytes: 8)
    static let unknown = PGType(oid: 705, sizeBytes: -2)
    static let varchar = PGType(oid: 1043, sizeBytes: -1)
    static let date = PGType(oid: 1082, sizeBytes: 4)
    static let timestamp = PGType(oid: 1114, sizeBytes: 8)
    static let timestamptz = PGType(oid: 1184, sizeBytes: 8)
    static let uuid = PGType(oid: 2950, sizeBytes: 16)
    static let interval = PGType(oid: 1186, sizeBytes: 16)
    static let time = PGType(oid: 1083, sizeBytes: 8)
    static let jsonb = PGType(oid: 3802, sizeBytes: -1)
    static let tsvector = PGType(oid: 3614, sizeBytes: -1)
    static let tsquery = PGType(oid: 3615, sizeBytes: -1)
    static let numeric = PGType(oid: 1700, sizeBytes: -1)
    static let bit = PGType(oid: 1560, sizeBytes: -1)
    static let varbit = PGType(oid: 1562, sizeBytes: -1)
    /// pgvector's type has no fixed OID (an extension's type gets one at CREATE
    /// EXTENSION); Vireo's is fixed, in the range of user-defined types, and pg_type
    /// reports it to drivers that look it up (pgvector-python's register_vector).
    static let vector = PGType(oid: 16_385, sizeBytes: -1)
    static let vectorArray = PGType(oid: 16_386, sizeBytes: -1)
    /// pgvector's halfvec, at the OID pg_type gives it (`BuiltinType.halfvecOID`).
    static let halfvec = PGType(oid: Int32(BuiltinType.halfvecOID), sizeBytes: -1)
    /// pgvector's sparsevec, at the OID pg_type gives it (`BuiltinType.sparsevecOID`).
    static let sparsevec = PGType(oid: Int32(BuiltinType.sparsevecOID), sizeBytes: -1)
    /// The first OID of a user-defined type (an enum type's OID is at or above it).
    static let firstUserOID: Int32 = 16_384

    /// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01), for binary timestamps.
    static let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000

    init(oid: Int32, sizeBytes: Int16, elementOID: Int32 = 0) {
        self.oid = oid
        self.sizeBytes = sizeBytes
        self.elementOID = elementOID
    }

    /// The scalar types, by OID, to find an array's element type.
    static let scalars: [Int32: PGType] = Dictionary(uniqueKeysWithValues: [
        bool, bytea, int8, int2, int4, text, oid, internalChar, name, json, float4, float8, varchar, date, timestamp, timestamptz, uuid,
        interval, time, jsonb, tsvector, tsquery, vector, halfvec, sparsevec, numeric, bit, varbit,
    ].map { ($0.oid, $0) })

    /// Array type OIDs as PostgreSQL numbers them, by element OID.
    static let arrayOIDs: [Int32: Int32] = Dictionary(uniqueKeysWithValues: BuiltinType.all.map {
        (Int32($0.oid), Int32($0.arrayOID))
    })

    /// The array type of `element`.
    static func array(of element: PGType) -> PGType {
        PGType(oid: arrayOIDs[element.oid] ?? 1009, sizeBytes: -1, elementOID: element.oid)
    }

    /// The element type of an array type; nil for other types.
    var element: PGType? { elementOID == 0 ? nil : PGType.scalars[elementOID] }

    /// The type a result column of `type` is described as.
    init(_ type: SQLType) {
        switch type {
        case .bool: self = .bool
        case .int: self = .int8
        case .smallint: self = .int2
        case .integer: self = .int4
        case .double: self = .float8
        case .real: self = .float4
        case .text, .unknown: self = .text
        case .bytes: self = .bytea
        case .json: self = .jsonb
        case .jsonText: self = .json
        case .timestamp: self = .timestamp
        case .timestamptz: self = .timestamptz
        case .date: self = .date
        case .uuid: self = .uuid
        case .interval: self = .interval
        case .time: self = .time
        case .vector: self = .vector
        case .halfvec: self = .halfvec
        case .sparsevec: self = .sparsevec
        case .bit(_, let varying): self = varying ? .varbit : .bit
        case .tsvector: self = .tsvector
        case .tsquery: self = .tsquery
        case .array(let element): self = .array(of: PGType(element))
        case .numeric: self = .numeric
        case .oid: self = .oid
        case .name: self = .name
        case .internalChar: self = .internalChar
        case .int2vector: self = .int2vector
        case .record: self = .record
        // An enum type by its own OID (its values reach here as their labels: text).
        case .enumeration(let type): self = PGType(oid: Int32(truncatingIfNeeded: type.oid), sizeBytes: 4)
        }
    }

    /// The engine type values of this type are read as (for binary array parameters).
    var sqlType: SQLType {
        switch self {
        case .bool: .bool
        case .int2: .smallint
        case .int4: .integer
        case .oid: .oid
        case .name: .name
        case .internalChar: .internalChar
        case .int2vector: .int2vector
        case .int8: .int
        case .float4: .real
        case .float8: .double
        case .bytea: .bytes
        case .json: .jsonText
        case .jsonb: .json
        case .date: .date
        case .timestamp: .timestamp
        case .timestamptz: .timestamptz
        case .uuid: .uuid
        case .interval: .interval
        case .time: .time
        case .vector: .vector(nil)
        case .halfvec: .halfvec(nil)
        case .sparsevec: .sparsevec(nil)
        case .numeric: .numeric
        default: element.map { .array($0.sqlType) } ?? .text
        }
    }
}

extension ByteBuffer {
    /// One DataRow field: Int32 length (-1 for NULL) and the value's bytes.
    mutating func writeValue(_ value: Value, type: PGType, binary: Bool) {
        guard !value.isNull else { writeInteger(Int32(-1)); return }
        let lengthIndex = writerIndex
        writeInteger(Int32(0))
        if binary { writeBinary(value, type: type) } else { writeString(value.text(as: type) ?? "") }
        setInteger(Int32(writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    private mutating func writeBinary(_ value: Value, type: PGType) {
        switch value {
        case .null: break
        case .bool(let flag): writeInteger(UInt8(flag ? 1 : 0))
        // The width the column is described with (int2/int4/float4 hold 64-bit engine values).
        case .int(let number) where type == .int2: writeInteger(Int16(truncatingIfNeeded: number))
        case .int(let number) where type == .int4 || type == .oid: writeInteger(Int32(truncatingIfNeeded: number))
        case .int(let number): writeInteger(number)
        case .double(let number) where type == .float4: writeInteger(Float(number).bitPattern)
        case .double(let number): writeInteger(number.bitPattern)
        case .text(let string) where type == .uuid:
            // 16 bytes from the canonical text's hex digits.
            let digits = Array(string.utf8.filter { $0 != UInt8(ascii: "-") })
            for index in stride(from: 0, to: digits.count - 1, by: 2) {
                writeInteger(UInt8(String(decoding: digits[index...(index + 1)], as: UTF8.self), radix: 16) ?? 0)
            }
        case .text(let string) where type == .bit || type == .varbit:
            // The bit count, then the bits packed first-bit-high, zero-padded to a byte.
            let bits = Array(string.utf8)
            writeInteger(Int32(bits.count))
            for start in stride(from: 0, to: bits.count, by: 8) {
                let byte = (0..<8).reduce(UInt8(0)) { $0 << 1 | (start + $1 < bits.count && bits[start + $1] == UInt8(ascii: "1") ? 1 : 0) }
                writeInteger(byte)
            }
        case .text(let string) where type == .sparsevec:
            // pgvector's sparsevec_send; the stored text is canonical, so it parses.
            writeBytes((try? SparseVector(parsing: string).binary) ?? [])
        case .text(let string): writeString(string)
        case .json(let string):
            if type == .jsonb { writeInteger(UInt8(1)) }
            writeString(string)
        case .bytes(let bytes): writeBytes(bytes)
        // ±infinity are the ends of the integer, in PostgreSQL's binary form as in Vireo's.
        case .timestamp(let micros) where type == .date:
            writeInteger(micros == .max ? Int32.max : micros == .min ? Int32.min
                         : Int32(truncatingIfNeeded: (micros &- PGType.postgresEpochOffsetMicros).floorDivided(by: 86_400_000_000)))
        case .timestamp(let micros):
            writeInteger(micros == .max || micros == .min ? micros : micros &- PGType.postgresEpochOffsetMicros)
        // time: microseconds since midnight.
        case .interval(let interval) where type == .time: writeInteger(interval.micros)
        case .interval(let interval):
            writeInteger(interval.micros)
            writeInteger(interval.days)
            writeInteger(interval.months)
        case .vector(let values) where type == .halfvec:
            // pgvector's halfvec_send: the dimension, an unused Int16, then each half's bits.
            writeInteger(Int16(values.count))
            writeInteger(Int16(0))
            for element in values { writeInteger(Float16(element).bitPattern) }
        case .vector(let values):
            writeInteger(Int16(values.count))
            writeInteger(Int16(0))
            for element in values { writeInteger(element.bitPattern) }
        case .array: writeBinaryArray(value, type: type)
        case .numeric(let number): writeBinaryNumeric(number)
        }
    }

    /// PostgreSQL's binary numeric: digit count, weight, sign and display scale (Int16 each),
    /// then base-10000 digits aligned at the point, without leading or trailing zero digits.
    private mutating func writeBinaryNumeric(_ number: Numeric) {
        let (weight, digits) = PGNumeric.baseTenThousandDigits(number)
        writeInteger(Int16(digits.count))
        writeInteger(Int16(truncatingIfNeeded: weight))
        writeInteger(PGNumeric.sign(number))
        writeInteger(UInt16(truncatingIfNeeded: number.scale))
        for digit in digits { writeInteger(digit) }
    }

    /// PostgreSQL's binary array: the number of dimensions (0 for an empty array), a
    /// has-NULLs flag, the element OID, then per dimension its length and lower bound (1),
    /// then each element (row-major) as a length-prefixed binary value.
    private mutating func writeBinaryArray(_ array: Value, type: PGType) {
        let element = type.element ?? .text
        let dimensions = array.arrayDimensions, elements = array.arrayLeaves ?? []
        writeInteger(Int32(dimensions.count))
        writeInteger(Int32(elements.contains(where: \.isNull) ? 1 : 0))
        writeInteger(element.oid)
        for length in dimensions {
            writeInteger(Int32(length))
            writeInteger(Int32(1))
        }
        for value in elements { writeValue(value, type: element, binary: true) }
    }
}

extension Value {
    /// The text format of the value as a column of `type` sends it: a float4 column's
    /// value with float4's shortest digits (`1.1`, not the double's `1.100000023841858`).
    func text(as type: PGType) -> String? {
        switch type {
        case .float4: return text(as: SQLType.real)
        case .date: return text(as: SQLType.date)
        case .timestamptz: return text(as: SQLType.timestamptz)
        case .record:
            guard case .array(let values) = self else { return text }
            return Value.recordText(values.map(\.text))
        default: return type.element == nil ? text : text(as: type.sqlType)
        }
    }
}

/// Parameters of a Bind, decoded into engine values.
enum PGParameterDecoder {
    /// A text parameter of a declared type (`declared`) is read as that type, as PostgreSQL's
    /// input function reads it at Bind; one of no declared type stays text: the engine
    /// converts it to the type its use needs, as PostgreSQL does for parameters it infers.
    /// A binary one is read by its OID.
    static func decode(_ bytes: ByteBuffer?, oid: Int32, binary: Bool, declared: SQLType? = nil) throws -> Value {
        guard var bytes else { return .null }
        guard binary else {
            let text = try utf8(&bytes)
            if let declared, declared.readsTextAtBind { return try Cast.convert(.text(text), to: declared) }
            guard oid != 0, let element = numericArrayElements[oid] else { return .text(text) }
            return try Cast.convert(.text(text), to: .array(element))
        }
        switch oid {
        case PGType.bool.oid: return .bool((bytes.readInteger() as UInt8? ?? 0) != 0)
        case PGType.int2.oid: return .int(Int64(try read(&bytes, as: Int16.self)))
        case PGType.int4.oid: return .int(Int64(try read(&bytes, as: Int32.self)))
        case PGType.oid.oid: return .int(Int64(try read(&bytes, as: UInt32.self)))
        case PGType.int8.oid: return .int(try read(&bytes, as: Int64.self))
        case PGType.float4.oid: return .double(Double(Float(bitPattern: try read(&bytes, as: UInt32.self))))
        case PGType.float8.oid: return .double(Double(bitPattern: try read(&bytes, as: UInt64.self)))
        case PGType.bytea.oid: return .bytes(bytes.readBytes(length: bytes.readableBytes) ?? [])
        case PGType.bit.oid, PGType.varbit.oid:
            // bit_send's form: the bit count, then the bits packed first-bit-high.
            guard let count: Int32 = bytes.readInteger(), count >= 0, bytes.readableBytes == (Int(count) + 7) / 8,
                  let packed = bytes.readBytes(length: bytes.readableBytes) else {
                throw VireoError(.invalidTextRepresentation, "malformed binary bit string parameter")
            }
            return .text(String((0..<Int(count)).map { packed[$0 / 8] & (0x80 >> UInt8($0 % 8)) != 0 ? "1" : "0" }))
        case PGType.date.oid:
            let days = try read(&bytes, as: Int32.self)
            if days == .max || days == .min { return .timestamp(days == .max ? .max : .min) }
            let (micros, overflow) = Int64(days).multipliedReportingOverflow(by: 86_400_000_000)
            guard !overflow else { throw VireoError(.datetimeFieldOverflow, "date out of range") }
            return .timestamp(micros &+ PGType.postgresEpochOffsetMicros)
        case PGType.timestamp.oid, PGType.timestamptz.oid:
            let micros = try read(&bytes, as: Int64.self)
            return .timestamp(micros == .max || micros == .min ? micros : micros &+ PGType.postgresEpochOffsetMicros)
        case PGType.jsonb.oid:
            _ = bytes.readInteger() as UInt8?
            return .json(try JSONValue.normalized(utf8(&bytes)))
        // json keeps its text as sent (checked), as PostgreSQL's json_recv does.
        case PGType.json.oid: return .json(try JSONValue.validated(utf8(&bytes)))
        case PGType.vector.oid: return .vector(try vector(&bytes))
        case PGType.halfvec.oid: return .vector(try vector(&bytes, elementBytes: 2))
        case PGType.sparsevec.oid:
            return .text(try SparseVector(binary: bytes.readBytes(length: bytes.readableBytes) ?? []).text)
        case PGType.interval.oid:
            guard bytes.readableBytes == 16, let micros: Int64 = bytes.readInteger(), let days: Int32 = bytes.readInteger(),
                  let months: Int32 = bytes.readInteger() else {
                throw VireoError(.invalidTextRepresentation, "binary interval parameter has \(bytes.readableBytes) bytes, expected 16")
            }
            return .interval(Interval(months: months, days: days, micros: micros))
        case PGType.time.oid: return .interval(Interval(micros: try read(&bytes, as: Int64.self)))
        case PGType.uuid.oid:
            guard bytes.readableBytes == 16, let raw = bytes.readBytes(length: 16) else {
                throw VireoError(.invalidTextRepresentation, "binary uuid parameter has \(bytes.readableBytes) bytes, expected 16")
            }
            return .text(raw.map { String(format: "%02x", $0) }.joined())
        case PGType.numeric.oid: return .numeric(try PGNumeric.read(&bytes))
        case PGType.text.oid, PGType.varchar.oid, PGType.name.oid, PGType.internalChar.oid, 0, PGType.unknown.oid:
            return .text(try utf8(&bytes))
        case let arrayOID where PGType.arrayOIDs.values.contains(arrayOID):
            return try array(&bytes)
        case let userOID where userOID >= PGType.firstUserOID && userOID != PGType.vectorArray.oid:
            // A user-defined type's (an enum's) binary form is its label's bytes, as enum_send writes it.
            return .text(try utf8(&bytes))
        default:
            throw VireoError(.featureNotSupported, "binary format for parameters of type OID \(oid) is not supported; send it as text")
        }
    }

    /// Arrays of numbers declared as such, read as arrays even in text form, so that one
    /// assigned to a vector column takes pgvector's array-to-vector cast (psycopg sends a
    /// Python list of floats as a text float8[]), rather than being parsed as vector text.
    private static let numericArrayElements: [Int32: SQLType] = [1007: .integer, 1021: .real, 1022: .double, 1231: .numeric]

    /// The rest of the parameter as text; bytes that are not UTF-8 are refused (22021) rather
    /// than replaced, so two different byte strings never become one value.
    static func utf8(_ bytes: inout ByteBuffer) throws -> String {
        // ASCII (a key, a number: most parameters) is UTF-8 as it stands: read without an array
        // of the bytes or the generic validation.
        if bytes.withUnsafeReadableBytes({ raw in raw.allSatisfy { $0 < 0x80 } }),
           let text = bytes.readString(length: bytes.readableBytes) {
            return text
        }
        return try VireoError.utf8Text(bytes.readBytes(length: bytes.readableBytes) ?? [])
    }

    private static func read<T: FixedWidthInteger>(_ bytes: inout ByteBuffer, as: T.Type) throws -> T {
        guard bytes.readableBytes == MemoryLayout<T>.size, let value: T = bytes.readInteger() else {
            throw VireoError(.invalidTextRepresentation, "binary parameter has \(bytes.readableBytes) bytes, expected \(MemoryLayout<T>.size)")
        }
        return value
    }

    /// A binary array (see `writeBinaryArray`); lower bounds other than 1 are refused.
    private static func array(_ bytes: inout ByteBuffer) throws -> Value {
        let malformed = VireoError(.invalidTextRepresentation, "malformed binary array parameter")
        guard let dimensionCount: Int32 = bytes.readInteger(), let _: Int32 = bytes.readInteger(),
              let elementOID: Int32 = bytes.readInteger(), dimensionCount >= 0 else { throw malformed }
        guard dimensionCount <= ArrayText.dimensionsMax else { throw ArrayText.tooManyDimensions(Int(dimensionCount)) }
        var dimensions: [Int] = []
        for _ in 0..<dimensionCount {
            guard let length: Int32 = bytes.readInteger(), let lower: Int32 = bytes.readInteger(), length >= 0 else { throw malformed }
            guard lower == 1 || length == 0 else {
                throw VireoError(.featureNotSupported, "array lower bounds other than 1 are not supported")
            }
            dimensions.append(Int(length))
        }
        let count = dimensions.isEmpty ? 0 : dimensions.reduce(1, *)
        guard count <= bytes.readableBytes / 4 else { throw malformed }
        var elements: [Value] = []
        for _ in 0..<count {
            guard let length: Int32 = bytes.readInteger() else {
                throw VireoError(.invalidTextRepresentation, "malformed binary array parameter")
            }
            guard length >= 0 else { elements.append(.null); continue }
            guard let slice = bytes.readSlice(length: Int(length)) else {
                throw VireoError(.invalidTextRepresentation, "malformed binary array parameter")
            }
            elements.append(try decode(slice, oid: elementOID, binary: true))
        }
        return .shapedArray(elements, dimensions: dimensions)
    }

    /// pgvector's binary forms: UInt16 dimension, UInt16 unused, then big-endian float32s
    /// (vector) or float16s (halfvec, `elementBytes` 2).
    private static func vector(_ bytes: inout ByteBuffer, elementBytes: Int = 4) throws -> [Float] {
        guard let dimension: Int16 = bytes.readInteger(), let _: Int16 = bytes.readInteger(),
              dimension >= 0, bytes.readableBytes == Int(dimension) * elementBytes else {
            throw VireoError(.invalidTextRepresentation, "malformed binary \(elementBytes == 2 ? "halfvec" : "vector") parameter")
        }
        if elementBytes == 2 { return (0..<Int(dimension)).map { _ in Float(Float16(bitPattern: bytes.readInteger() ?? 0)) } }
        return (0..<Int(dimension)).map { _ in Float(bitPattern: bytes.readInteger() ?? 0) }
    }
}

extension SQLType {
    /// Whether a text parameter declared of this type is converted at Bind. An enum's
    /// label stays text (the engine reads it as the enum where it is used, as when inferred).
    fileprivate var readsTextAtBind: Bool {
        switch self {
        case .unknown, .text, .enumeration: false
        default: true
        }
    }
}

/// numeric's binary form, both ways.
enum PGNumeric {
    /// The sign field: 0x4000 negative, and PostgreSQL's codes for NaN and the infinities.
    static let nanSign: UInt16 = 0xC000, infinitySign: UInt16 = 0xD000, negativeInfinitySign: UInt16 = 0xF000

    static func sign(_ number: Numeric) -> UInt16 {
        switch number.kind {
        case .nan: nanSign
        case .infinity: number.negative ? negativeInfinitySign : infinitySign
        case .finite: number.negative ? 0x4000 : 0
        }
    }

    /// The weight of the first base-10000 digit and the digits, zeros trimmed at both ends.
    static func baseTenThousandDigits(_ number: Numeric) -> (weight: Int, digits: [Int16]) {
        guard !number.isZero, number.isFinite else { return (0, []) }
        var decimal = Array(number.coefficient.decimalString.utf8).map { Int16($0 - 48) }
        if decimal.count <= number.scale { decimal = Array(repeating: 0, count: number.scale - decimal.count + 1) + decimal }
        var integerPart = Array(decimal.dropLast(number.scale)), fraction = Array(decimal.suffix(number.scale))
        integerPart = Array(repeating: 0, count: (4 - integerPart.count % 4) % 4) + integerPart
        fraction += Array(repeating: 0, count: (4 - fraction.count % 4) % 4)
        let all = integerPart + fraction
        var groups: [Int16] = stride(from: 0, to: all.count, by: 4).map { start in
            all[start..<start + 4].reduce(Int16(0)) { $0 * 10 + $1 }
        }
        var weight = integerPart.count / 4 - 1
        while groups.first == 0 { groups.removeFirst(); weight -= 1 }
        while groups.last == 0 { groups.removeLast() }
        return (weight, groups)
    }

    static func read(_ bytes: inout ByteBuffer) throws -> Numeric {
        guard let count: Int16 = bytes.readInteger(), let weight: Int16 = bytes.readInteger(),
              let sign: UInt16 = bytes.readInteger(), let scale: UInt16 = bytes.readInteger(),
              count >= 0, bytes.readableBytes == Int(count) * 2, [0, 0x4000, nanSign, infinitySign, negativeInfinitySign].contains(sign),
              Int(scale) <= Numeric.scaleMax else {
            throw VireoError(.invalidTextRepresentation, "malformed binary numeric parameter")
        }
        switch sign {
        case nanSign: return .nan
        case infinitySign: return .infinity
        case negativeInfinitySign: return .negativeInfinity
        default: break
        }
        var text = ""
        for _ in 0..<Int(count) {
            guard let digit: Int16 = bytes.readInteger(), (0..<10_000).contains(digit) else {
                throw VireoError(.invalidTextRepresentation, "malformed binary numeric parameter")
            }
            let group = String(digit)
            text += String(repeating: "0", count: 4 - group.count) + group
        }
        // The digits stand for text × 10000^(weight − count + 1).
        let exponent = 4 * (Int(weight) - Int(count) + 1)
        guard let raw = Numeric((text.isEmpty ? "0" : text) + "e\(exponent)") else {
            throw VireoError(.invalidTextRepresentation, "malformed binary numeric parameter")
        }
        let value = raw.rounded(toScale: Int(scale))
        return sign == 0x4000 ? value.negated : value
    }
}
