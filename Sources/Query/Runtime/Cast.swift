import Foundation
import VireoStorage

/// Conversions between types, as CAST and `::` perform them and as binding applies them
/// to literals of unknown type.
public enum Cast {
    /// Converts `value` to `type`; NULL stays NULL. Throws PostgreSQL's errors for
    /// malformed text (22P02), out-of-range numbers (22003) and impossible casts.
    public static func convert(_ value: Value, to type: SQLType) throws -> Value {
        // A value of its type already, for the common scalars, without working out the
        // value's SQLType and comparing the enums (each INSERT value passes here twice).
        switch (value, type) {
        case (.int, .int), (.double, .double), (.text, .text), (.bool, .bool): return value
        default: break
        }
        if value.isNull || type == .unknown { return value }
        if case .vector(let vector) = value {
            // Parameters bypass the literal parser: check them as pgvector checks its input.
            try VectorText.checkFinite(vector)
        }
        if SQLType(of: value) == type, type.elementType == nil { return value }
        switch (value, type) {
        case (.array, .array(let element)): return try value.mappingArrayLeaves { try convert($0, to: element) }
        case (.array, .text): return .text(value.text(as: SQLType(of: value)) ?? "")
        case (.array(let elements), .int2vector): return .array(try elements.map { try convert($0, to: .smallint) })
        case (.int(let number), .smallint), (.int(let number), .integer): return .int(try narrowed(number, to: type))
        case (.int(let number), .oid): return .int(try objectIdentifier(number))
        case (.double(let number), .smallint), (.double(let number), .integer):
            return .int(try narrowed(try roundToInt(number, as: type), to: type))
        case (.int(let number), .numeric): return .numeric(Numeric(number))
        case (.double(let number), .numeric): return .numeric(try numeric(fromDouble: number))
        case (.numeric(let number), .int), (.numeric(let number), .smallint), (.numeric(let number), .integer):
            if !number.isFinite {
                throw VireoError(.featureNotSupported, "cannot convert \(number.isNaN ? "NaN" : "infinity") to \(type == .int ? "bigint" : type.description)")
            }
            guard let integer = number.roundedInt64 else { throw VireoError(.numericOutOfRange, "\(type) out of range") }
            return .int(type == .int ? integer : try narrowed(integer, to: type))
        case (.numeric(let number), .double), (.numeric(let number), .real): return .double(try float(fromNumeric: number, as: type))
        case (.int(let number), .real): return .double(Double(Float(number)))
        case (.double(let number), .real): return .double(try float4(number))
        case (.bool(let flag), .integer): return .int(flag ? 1 : 0)
        case (.timestamp(let micros), .date): return .timestamp(DateTime.midnight(of: micros))
        case (.timestamp, .timestamptz): return value
        case (.timestamp(let micros), .time): return TimeOfDay.value(micros - DateTime.midnight(of: micros))
        case (.interval(let interval), .time): return TimeOfDay.value(TimeOfDay.fromInterval(interval))
        case (.text(let text), _): return try fromText(text, to: type)
        case (.double(let sortOrder), .enumeration(let enumType)): return try EnumValues.checked(sortOrder, enumType)
        case (.bytes(let bytes), .text):
            try TextBuilding.checkHexText(ofBytes: bytes.count)
            return .text(textForm(value))
        case (_, .text): return .text(textForm(value))
        case (.int(let number), .double): return .double(Double(number))
        case (.double(let number), .int): return .int(try roundToInt(number, as: type))
        case (.int(let number), .bool): return .bool(number != 0)
        case (.bool(let flag), .int): return .int(flag ? 1 : 0)
        case (.vector(let vector), .vector(let dimension)):
            if let dimension { try VectorText.check(vector, dimension: dimension) }
            return value
        case (.vector(let vector), .halfvec(let dimension)): return .vector(try HalfVector.rounded(vector, dimension: dimension))
        case (.vector(let vector), .sparsevec(let dimension)): return .text(try sparse(vector, dimension: dimension))
        case (.array(let elements), .sparsevec(let dimension)):
            return .text(try sparse(VectorText.fromArray(elements, dimension: nil), dimension: dimension))
        // jsonb to json keeps jsonb's text, json to json its own.
        case (.json(let text), .jsonText): return .json(text)
        // pgvector's casts: integer[], real[], double precision[] and numeric[] to vector
        // (array_to_vector), and vector to real[] (vector_to_float4).
        case (.array(let elements), .vector(let dimension)): return .vector(try VectorText.fromArray(elements, dimension: dimension))
        case (.array(let elements), .halfvec(let dimension)):
            return .vector(try HalfVector.rounded(VectorText.fromArray(elements, dimension: dimension), dimension: nil))
        case (.vector(let vector), .array(.real)): return .array(vector.map { .double(Double($0)) })
        case (.json(let text), _) where type == .bool || (type.isNumeric && type != .oid): return try fromJSONB(text, to: type)
        default:
            throw VireoError(.cannotCoerce, "cannot cast type \(SQLType(of: value)) to \(type)")
        }
    }

    /// json to jsonb: a json value (its text as written) and a jsonb one are both `.json`,
    /// so the binder calls this where a json expression becomes jsonb, which `convert` cannot
    /// tell from jsonb to jsonb.
    static let jsonToJSONB = ScalarFunction("jsonb", 1...1, [], returns: .json) { .json(try JSONValue.normalized(textForm($0[0]))) }

    /// pgvector's vector_to_sparsevec (and halfvec's and the arrays'): the declared dimension
    /// checked first, then the non-zero elements.
    private static func sparse(_ vector: [Float], dimension: Int?) throws -> String {
        try SparseVector.check(vector.count, declared: dimension)
        return try SparseVector(dense: vector).text
    }

    /// `jsonb::boolean` and `jsonb::integer` (and the other numeric types): a JSON boolean or
    /// number as that type, anything else 22023 naming what it is, as PostgreSQL 15 does.
    static func fromJSONB(_ text: String, to type: SQLType) throws -> Value {
        let json = try JSONValue.jsonb(text)
        switch json {
        case .bool(let flag) where type == .bool: return .bool(flag)
        case .numeric(let number) where type != .bool: return try convert(.numeric(number), to: type)
        case .number(let number) where type != .bool: return try convert(.numeric(try numeric(fromDouble: number)), to: type)
        default:
            let kind = switch json {
            case .null: "null"
            case .bool: "boolean"
            case .number, .numeric: "numeric"
            case .string: "string"
            case .array: "array"
            case .object: "object"
            }
            throw VireoError(.invalidParameter, "cannot cast jsonb \(kind) to type \(type)")
        }
    }

    /// A parameter's value as the type the statement bound it to. A float sent where an
    /// integer is compared rounds half away from zero (`id BETWEEN $1 AND 5` with 2.5 starts
    /// at 3); a float assigned to an integer column is not converted here but by
    /// `assign` (half to even, `assignedParameter`), as PostgreSQL's rint stores it.
    static func parameter(_ value: Value, to type: SQLType) throws -> Value {
        if case .double(let number) = value, type.isInteger {
            return try convert(.double(number.rounded(.toNearestOrAwayFromZero)), to: type)
        }
        return try convert(value, to: type)
    }

    /// What an UPDATE or ON CONFLICT DO UPDATE assigns `bound` (bound and coerced to its
    /// column's type): a parameter bound to an integer type as the value sent, so that
    /// `assign` rounds a float half to even, as the prepared INSERT does.
    static func assignedParameter(_ bound: BoundExpression) -> BoundExpression {
        guard case .parameter(let index, let type) = bound, type.isInteger else { return bound }
        return .parameter(index, .unknown)
    }

    /// Converts `value` for storing in a column of `type`, as an INSERT or UPDATE assigns it:
    /// the cast to the column's type, then varchar(n)/char(n)'s length rule (22001 unless the
    /// excess is only spaces; char pads with blanks), numeric(p,s)'s rounding, and a time
    /// type's fractional-seconds precision; an array's elements each as their type's.
    public static func assign(_ value: Value, to type: ColumnType) throws -> Value {
        let converted = try convert(value, to: SQLType(type))
        if case .array(let element) = type, converted.isArray {
            return try converted.mappingArrayLeaves { $0.isNull ? $0 : try assign($0, to: element) }
        }
        if case .fractionalSeconds(_, let digits) = type { return FractionalSeconds.rounded(converted, digits: digits) }
        if case .numeric(let precision?, let scale) = type, case .numeric(let number) = converted {
            return .numeric(try number.fitted(precision: precision, scale: scale))
        }
        guard let length = TextLength(type), case .text(let text) = converted else { return converted }
        return .text(try length.assigned(text))
    }

    /// A double as a numeric: 15 significant digits, as PostgreSQL's float8-to-numeric cast.
    static func numeric(fromDouble number: Double, significantDigits: Int = 15) throws -> Numeric {
        guard let result = Numeric(number, significantDigits: significantDigits) else {
            throw VireoError(.internalError, "cannot convert \(Value.format(number)) to numeric")
        }
        return result
    }

    /// `real::numeric`: the float4's 6 significant digits.
    static let realToNumeric = ScalarFunction("numeric", 1...1, [.real], returns: .numeric) { arguments in
        guard case .double(let number) = arguments[0] else { return try convert(arguments[0], to: .numeric) }
        return .numeric(try numeric(fromDouble: number, significantDigits: 6))
    }

    /// An integer in smallint's or integer's range, or 22003 as PostgreSQL words it.
    static func narrowed(_ number: Int64, to type: SQLType) throws -> Int64 {
        let fits = type == .smallint ? Int16(exactly: number) != nil : Int32(exactly: number) != nil
        guard fits else { throw VireoError(.numericOutOfRange, "\(type) out of range") }
        return number
    }

    /// An OID from an integer: 0 to 4294967295, and a negative integer's bits read unsigned
    /// (`-1::oid` is 4294967295), as PostgreSQL's oid input and int4 cast do; 22003 beyond.
    static func objectIdentifier(_ number: Int64) throws -> Int64 {
        if (0...Int64(UInt32.max)).contains(number) { return number }
        guard let signed = Int32(exactly: number) else { throw VireoError(.numericOutOfRange, "OID out of range") }
        return Int64(UInt32(bitPattern: signed))
    }

    /// The longest prefix of whole characters (code points) within `bytesMax` UTF-8 bytes.
    static func prefix(of text: String, bytesMax: Int) -> String {
        var bytes = 0
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            bytes += String(scalar).utf8.count
            guard bytes <= bytesMax else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// A numeric as a double or float4, as PostgreSQL converts it (through its text): 22003
    /// naming that text when the number is beyond the type (`1e309::numeric::float8`) or so
    /// small that it would read as zero; NaN and the infinities convert.
    static func float(fromNumeric number: Numeric, as type: SQLType) throws -> Double {
        guard number.isFinite else { return number.double }
        let converted = type == .real ? Double(Float(number.double)) : number.double
        if converted.isInfinite || (converted == 0 && !number.isZero) {
            throw VireoError(.numericOutOfRange, "\"\(number)\" is out of range for type \(type)")
        }
        return converted
    }

    /// A double rounded to float4; 22003 when a finite value overflows or a non-zero one
    /// underflows to zero, as float8-to-float4 does.
    static func float4(_ number: Double) throws -> Double {
        let rounded = Float(number)
        if rounded.isInfinite && number.isFinite { throw VireoError(.numericOutOfRange, "value out of range: overflow") }
        if rounded == 0 && number != 0 { throw VireoError(.numericOutOfRange, "value out of range: underflow") }
        return Double(rounded)
    }

    /// PostgreSQL's uuid input: 32 hex digits, upper or lower case, optionally in braces, with
    /// a hyphen allowed after any group of four; the canonical lowercase 8-4-4-4-12 form.
    static func canonicalUUID(_ text: String) throws -> String {
        var body = Substring(text)
        if body.hasPrefix("{") && body.hasSuffix("}") && body.count >= 2 { body = body.dropFirst().dropLast() }
        var digits: [Character] = []
        for character in body {
            if character == "-", !digits.isEmpty, digits.count % 4 == 0, digits.count < 32 { continue }
            guard character.isHexDigit, character.isASCII, digits.count < 32 else { digits = []; break }
            digits.append(Character(character.lowercased()))
        }
        guard digits.count == 32, body.last != "-" else {
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type uuid: \"\(text)\"")
        }
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }
        return groups.joined(separator: "-")
    }

    /// `x::text` for the types whose text the value alone does not tell (real's float4
    /// digits, a date, a timestamptz's offset).
    static func typedText(from type: SQLType) -> ScalarFunction {
        ScalarFunction("text", 1...1, [type], returns: .text) { arguments in
            .text(arguments[0].text(as: type) ?? textForm(arguments[0]))
        }
    }

    /// Types whose values print differently from their storage form.
    static let typesWithOwnText: Set<SQLType> = [.real, .date, .timestamptz, .array(.real), .array(.date), .array(.timestamptz), .int2vector]

    /// The text a value casts to (`true`/`false` for booleans, as `::text` gives).
    public static func textForm(_ value: Value) -> String {
        if case .bool(let flag) = value { return flag ? "true" : "false" }
        return value.text ?? ""
    }

    static func fromText(_ text: String, to type: SQLType) throws -> Value {
        switch type {
        case .text, .unknown: return .text(text)
        case .record: throw VireoError(.featureNotSupported, "input of anonymous composite types is not implemented")
        case .int: return .int(try parseInt(text))
        case .oid:
            guard let oid = try? objectIdentifier(parseInt(text, as: .oid)) else {
                _ = try parseInt(text, as: .oid)  // 22P02 for what is not a number
                throw VireoError(.numericOutOfRange, "value \"\(text)\" is out of range for type oid")
            }
            return .int(oid)
        // PostgreSQL's identifiers keep at most 63 bytes; "char" keeps the first byte.
        case .name: return .text(prefix(of: text, bytesMax: 63))
        case .internalChar: return .text(prefix(of: text, bytesMax: 1))
        case .int2vector:
            return .array(try text.split(separator: " ").map { .int(try narrowed(try parseInt(String($0), as: .smallint), to: .smallint)) })
        case .smallint, .integer:
            let number = try parseInt(text, as: type)
            guard (try? narrowed(number, to: type)) != nil else {
                throw VireoError(.numericOutOfRange, "value \"\(text)\" is out of range for type \(type)")
            }
            return .int(number)
        case .double: return .double(try parseDouble(text))
        case .real:
            let number = try parseDouble(text, as: type)
            guard let rounded = try? float4(number) else {
                throw VireoError(.numericOutOfRange, "\"\(trimmingBlanks(text))\" is out of range for type real")
            }
            return .double(rounded)
        case .bool: return .bool(try parseBool(text))
        case .bit(let length, let varying): return .text(try BitString.assigned(BitString.parse(text), length: length, varying: varying))
        case .vector(let dimension):
            let vector = try VectorText.parse(text)
            if let dimension { try VectorText.check(vector, dimension: dimension) }
            return .vector(vector)
        case .halfvec(let dimension): return .vector(try HalfVector.rounded(VectorText.parse(text), dimension: dimension))
        case .sparsevec(let dimension): return .text(try SparseVector(parsing: text, dimension: dimension).text)
        case .json: return .json(try JSONValue.normalized(text))
        case .jsonText: return .json(try JSONValue.validated(text))
        case .timestamp: return .timestamp(try TimestampText.parse(text, ignoringOffset: true))
        case .timestamptz: return .timestamp(try TimestampText.parseInstant(text))
        case .date: return .timestamp(DateTime.midnight(of: try TimestampText.parse(text, typeName: "date", ignoringOffset: true)))
        case .uuid: return .text(try canonicalUUID(text))
        case .interval: return .interval(try IntervalMath.parse(text))
        case .time: return TimeOfDay.value(try TimeOfDay.parse(text))
        case .bytes: return .bytes(try parseBytes(text))
        case .tsvector: return .text(try TSVector(parsing: text).text)
        case .tsquery: return .text(try TSQuery(parsing: text).text)
        case .array(let element): return try ArrayText.parse(text, element: element)
        case .enumeration(let enumType): return try EnumValues.parse(text, enumType)
        case .numeric:
            guard let number = Numeric(text) else {
                throw VireoError(.invalidTextRepresentation, "invalid input syntax for type numeric: \"\(text)\"")
            }
            return .numeric(try number.checked())
        }
    }

    static func parseInt(_ text: String, as type: SQLType = .int) throws -> Int64 {
        // Most input has no blanks (a prepared statement's text parameter per execution): no trimming then.
        if let number = Int64(text) { return number }
        let trimmed = trimmingBlanks(text)
        if let number = Int64(trimmed) { return number }
        let digits = trimmed.first == "-" || trimmed.first == "+" ? trimmed.dropFirst() : Substring(trimmed)
        if !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) {
            throw VireoError(.numericOutOfRange, "value \"\(text)\" is out of range for type \(type)")
        }
        throw VireoError(.invalidTextRepresentation, "invalid input syntax for type \(type): \"\(text)\"")
    }

    static func parseDouble(_ text: String, as type: SQLType = .double) throws -> Double {
        let trimmed = trimmingBlanks(text)
        switch trimmed.lowercased() {
        case "nan": return .nan
        case "infinity", "+infinity", "inf", "+inf": return .infinity
        case "-infinity", "-inf": return -.infinity
        default: break
        }
        guard let number = Double(trimmed), !trimmed.lowercased().contains("n") else {
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type \(type): \"\(text)\"")
        }
        // Beyond the type's range (1e400) or so small it reads as zero (1e-400): 22003, as
        // PostgreSQL's float input reports, rather than Infinity or 0.
        let mantissa = trimmed.prefix { $0 != "e" && $0 != "E" }
        if number.isInfinite || (number == 0 && mantissa.contains(where: { ("1"..."9").contains($0) })) {
            throw VireoError(.numericOutOfRange, "\"\(trimmed)\" is out of range for type \(type)")
        }
        return number
    }

    /// `text` without the blanks PostgreSQL's integer, float and boolean input skip around a
    /// value: C's isspace (space, tab, newline, carriage return, vertical tab, form feed),
    /// and no other (a no-break space is part of the value, and makes it invalid).
    static func trimmingBlanks(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let isBlank = { (scalar: Unicode.Scalar) in scalar == " " || (0x09...0x0D).contains(scalar.value) }
        guard let first = scalars.firstIndex(where: { !isBlank($0) }), let last = scalars.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(scalars[first...last])
    }

    private static let booleanSpellings: [(String, Bool, Int)] = [
        ("true", true, 1), ("false", false, 1), ("yes", true, 1), ("no", false, 1),
        ("on", true, 2), ("off", false, 2), ("1", true, 1), ("0", false, 1),
    ]

    static func parseBool(_ text: String) throws -> Bool {
        // PostgreSQL's boolin: any prefix of true, false, yes, no; on and off from two
        // letters (`o` alone is neither); 1 and 0; in any case.
        let word = trimmingBlanks(text).lowercased()
        for (spelling, value, lettersMin) in booleanSpellings where word.count >= lettersMin && spelling.hasPrefix(word) {
            return value
        }
        throw VireoError(.invalidTextRepresentation, "invalid input syntax for type boolean: \"\(text)\"")
    }

    /// `\x0a1b…` (hex form) or the text's own bytes.
    static func parseBytes(_ text: String) throws -> [UInt8] {
        guard text.hasPrefix("\\x") else { return Array(text.utf8) }
        let digits = Array(text.utf8.dropFirst(2))
        guard digits.count % 2 == 0 else {
            throw VireoError(.invalidTextRepresentation, "invalid hexadecimal data: odd number of digits")
        }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else {
                throw VireoError(.invalidTextRepresentation, "invalid hexadecimal digit in \"\(text)\"")
            }
            return byte
        }
    }

    /// A float (float4 or float8) as an integer, the one rounding of every float-to-integer
    /// conversion but a parameter's compared with an integer (`parameter(_:to:)`): an explicit
    /// cast, an assignment to a smallint/integer/bigint column (INSERT, UPDATE SET, INSERT …
    /// SELECT, ON CONFLICT DO UPDATE, a default). PostgreSQL's int2/int4/int8(float8) round half to even (rint: 2.5 → 2,
    /// -2.5 → -2); numeric's casts round half away from zero (`Numeric.roundedInt64`).
    /// NaN, infinities and what bigint cannot hold are 22003 named after `type`, the integer
    /// type asked for (`integer out of range` for `'NaN'::float8::int`, as PostgreSQL says).
    static func roundToInt(_ number: Double, as type: SQLType = .int) throws -> Int64 {
        let rounded = number.rounded(.toNearestOrEven)
        guard rounded.isFinite, rounded >= -9.223372036854775808e18, rounded < 9.223372036854775808e18 else {
            throw VireoError(.numericOutOfRange, "\(type) out of range")
        }
        return Int64(rounded)
    }
}
