// Key format: a tuple of values as bytes whose memcmp order is the tuple's order, for the
// B+tree's secondary and unique indexes. A key is its components back to back, each a tag
// byte followed by a body:
//
//   tag   value       body
//   0x01  NULL        none: NULL sorts before every value of every type
//   0x10  bool        1 byte, 0x00 false, 0x01 true
//   0x20  int         8 bytes big-endian, sign bit flipped
//   0x30  double      8 bytes big-endian IEEE 754 bits: positive numbers get the sign bit
//                     flipped, negative ones all bits inverted (the total-order trick).
//                     -0.0 is written as 0.0, every NaN as the one positive quiet NaN,
//                     which sorts after +infinity (as PostgreSQL orders NaN).
//   0x40  text        UTF-8 bytes, escaped, terminated (below): byte order, like COLLATE "C"
//   0x50  bytes       raw bytes, escaped, terminated
//   0x60  json        JSON text as UTF-8, escaped, terminated
//   0x70  timestamp   as int (microseconds since the Unix epoch)
//   0x80  vector      each float32 transformed like a double (4 bytes big-endian), the
//                     whole byte string escaped and terminated: element-wise order, and a
//                     vector sorts before every longer vector it is a prefix of
//   0x90  interval    the span (months at 30 days, in microseconds) as a 128-bit integer,
//                     16 bytes big-endian with the sign bit flipped: '1 mon' and '30 days'
//                     are one key, as they are equal in PostgreSQL
//  0xA0  array       each element as an ascending component, a NULL element as the single
//                    byte 0xF0 (after every element tag: NULL elements sort last, as in
//                    PostgreSQL), then one 0x00: an array sorts before its extensions
//  0xB0  numeric     the value without trailing zeros: a class byte (0x00 -Infinity, 0x01
//                    negative, 0x02 zero, 0x03 positive, 0x04 Infinity, 0x05 NaN, so NaN sorts
//                    above everything as in PostgreSQL); then, unless zero, the decimal exponent E (value =
//                    0.d1d2… × 10^E) as 4 bytes big-endian with the sign bit flipped and the
//                    digits as bytes 1…10, ended by 0x00. A negative number's exponent and
//                    digit bytes are inverted, so larger magnitudes sort first. 1.5 and 1.50
//                    are one key, as they are equal in PostgreSQL; decoding gives the value
//                    at its smallest scale.
//
// Escaping: a 0x00 byte is written 0x00 0xFF; the string ends with 0x00 0x00. So a string
// sorts before its extensions and composite keys compare component by component.
//
// Descending components: the component's bytes, tag included, are all inverted (x ^ 0xFF).
// Every component is self-delimiting, so no encoding is a proper prefix of another and the
// inverted bytes sort in exactly the reverse order. Inverted tags (0xFE, 0xEF, … 0x7F)
// never equal a plain tag, so a reader tells the direction from the tag alone.
//
// What this order is not:
//   - NULL is first in ascending keys (and, inverted, last in descending ones). PostgreSQL's
//     default is the opposite (NULLS LAST for ASC, NULLS FIRST for DESC); the query layer
//     maps ORDER BY … NULLS FIRST/LAST onto index ranges accordingly.
//   - Values of different types sort by tag. An index column holds one type, so ints and
//     doubles are never compared here; the query layer converts before probing.
//   - Decoding gives back 0.0 for -0.0 and Double.nan / Float.nan for every NaN, and an
//     interval as its span in days and time (months folded in at 30 days).
// Row ids (KeyCodec+RowID.swift) have no tag: a table tree's key is the row id alone, in
// the tree's RowKeyForm, and an index entry ends in the row id's 8-byte form.

/// Order-preserving encoding of value tuples as B+tree keys compared with memcmp.
public enum KeyCodec {
    /// Component tags; see the format at the top of this file.
    @usableFromInline
    enum Tag: UInt8 {
        case null = 0x01, bool = 0x10, int = 0x20, double = 0x30, text = 0x40
        case bytes = 0x50, json = 0x60, timestamp = 0x70, vector = 0x80, interval = 0x90, array = 0xA0
        case numeric = 0xB0
    }

    /// A NULL element inside an array component.
    static let nullElement: UInt8 = 0xF0

    /// Encodes `values` as one key, every component ascending.
    public static func encode(_ values: [Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values { append(value, to: &bytes) }
        return bytes
    }

    /// Encodes `values` as one key; `descending[i]` inverts component i's order.
    /// Components beyond `descending.count` are ascending.
    public static func encode(_ values: [Value], descending: [Bool]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, value) in values.enumerated() {
            append(value, descending: index < descending.count && descending[index], to: &bytes)
        }
        return bytes
    }

    /// Appends one component for `value` to `bytes`, in reverse order when `descending`.
    public static func append(_ value: Value, descending: Bool = false, to bytes: inout [UInt8]) {
        let start = bytes.count
        appendAscending(value, to: &bytes)
        guard descending else { return }
        for index in start..<bytes.count { bytes[index] = ~bytes[index] }
    }

    /// Decodes every component of a key. Throws `VireoError(.corruption)` on malformed bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [Value] {
        var reader = KeyReader(bytes: bytes)
        var values: [Value] = []
        while !reader.isAtEnd { values.append(try reader.readComponent()) }
        return values
    }

    /// Decodes every component of a key held in an array.
    public static func decode(_ bytes: [UInt8]) throws -> [Value] {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// Decodes the first `count` components and says how many bytes they took, for keys
    /// followed by something else (a secondary index key followed by its row id).
    public static func decodePrefix(
        _ bytes: UnsafeRawBufferPointer, count: Int
    ) throws -> (values: [Value], byteCount: Int) {
        var reader = KeyReader(bytes: bytes)
        var values: [Value] = []
        for _ in 0..<max(count, 0) { values.append(try reader.readComponent()) }
        return (values, reader.offset)
    }

    /// The smallest key greater than every key that starts with `prefix`, or nil when no
    /// such key exists (the prefix is empty or all 0xFF). Bounds a range scan on a prefix.
    public static func prefixUpperBound(_ prefix: [UInt8]) -> [UInt8]? {
        var bound = prefix
        while let last = bound.last {
            if last < 0xFF {
                bound[bound.count - 1] = last + 1
                return bound
            }
            bound.removeLast()
        }
        return nil
    }

    // MARK: Encoding helpers

    static let signBit64: UInt64 = 1 << 63
    static let signBit32: UInt32 = 1 << 31

    static func appendAscending(_ value: Value, to bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(Tag.null.rawValue)
        case .bool(let flag):
            bytes.append(Tag.bool.rawValue)
            bytes.append(flag ? 1 : 0)
        case .int(let number): appendTagged(.int, orderedBits(number), to: &bytes)
        case .timestamp(let number): appendTagged(.timestamp, orderedBits(number), to: &bytes)
        case .double(let number): appendTagged(.double, orderedBits(number), to: &bytes)
        case .text(let string): appendEscaped(.text, string.utf8, to: &bytes)
        case .json(let string): appendEscaped(.json, string.utf8, to: &bytes)
        case .bytes(let data): appendEscaped(.bytes, data, to: &bytes)
        case .vector(let elements): appendVector(elements, to: &bytes)
        case .interval(let interval): appendInterval(interval, to: &bytes)
        case .numeric(let number): appendNumeric(number, to: &bytes)
        case .array(let elements):
            bytes.append(Tag.array.rawValue)
            for element in elements {
                if element.isNull { bytes.append(nullElement) } else { appendAscending(element, to: &bytes) }
            }
            bytes.append(0x00)
        }
    }

    static func appendInterval(_ interval: Interval, to bytes: inout [UInt8]) {
        let span = UInt128(bitPattern: interval.span) ^ (UInt128(1) << 127)
        bytes.append(Tag.interval.rawValue)
        appendBigEndian(UInt64(truncatingIfNeeded: span >> 64), to: &bytes)
        appendBigEndian(UInt64(truncatingIfNeeded: span), to: &bytes)
    }

    static func appendNumeric(_ number: Numeric, to bytes: inout [UInt8]) {
        bytes.append(Tag.numeric.rawValue)
        switch number.kind {
        case .nan: return bytes.append(0x05)
        case .infinity: return bytes.append(number.negative ? 0x00 : 0x04)
        case .finite: break
        }
        guard !number.isZero else { return bytes.append(0x02) }
        bytes.append(number.negative ? 0x01 : 0x03)
        let form = number.normalized
        var digits = Array(form.coefficient.decimalString.utf8)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let exponent = form.coefficient.decimalString.utf8.count - form.scale
        let mask: UInt8 = number.negative ? 0xFF : 0x00
        withUnsafeBytes(of: (UInt32(bitPattern: Int32(exponent)) ^ signBit32).bigEndian) { exponentBytes in
            for byte in exponentBytes { bytes.append(byte ^ mask) }
        }
        for digit in digits { bytes.append((digit - 47) ^ mask) }
        bytes.append(mask)
    }

    static func appendTagged(_ tag: Tag, _ bits: UInt64, to bytes: inout [UInt8]) {
        bytes.append(tag.rawValue)
        appendBigEndian(bits, to: &bytes)
    }

    static func appendEscaped(_ tag: Tag, _ data: some Sequence<UInt8>, to bytes: inout [UInt8]) {
        bytes.append(tag.rawValue)
        for byte in data { appendEscapedByte(byte, to: &bytes) }
        appendTerminator(to: &bytes)
    }

    static func appendVector(_ elements: [Float], to bytes: inout [UInt8]) {
        bytes.append(Tag.vector.rawValue)
        for element in elements {
            let bits = orderedBits(element)
            for shift in stride(from: 24, through: 0, by: -8) {
                appendEscapedByte(UInt8(truncatingIfNeeded: bits >> UInt32(shift)), to: &bytes)
            }
        }
        appendTerminator(to: &bytes)
    }

    static func appendTerminator(to bytes: inout [UInt8]) {
        bytes.append(0x00)
        bytes.append(0x00)
    }

    @inline(__always)
    static func appendEscapedByte(_ byte: UInt8, to bytes: inout [UInt8]) {
        bytes.append(byte)
        if byte == 0 { bytes.append(0xFF) }
    }

    static func appendBigEndian(_ bits: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: bits.bigEndian) { bytes.append(contentsOf: $0) }
    }

    static func orderedBits(_ number: Int64) -> UInt64 {
        UInt64(bitPattern: number) ^ signBit64
    }

    static func orderedBits(_ number: Double) -> UInt64 {
        let canonical = number.isNaN ? Double.nan : (number == 0 ? 0.0 : number)
        let bits = canonical.bitPattern
        return bits & signBit64 != 0 ? ~bits : bits ^ signBit64
    }

    static func orderedBits(_ number: Float) -> UInt32 {
        let canonical = number.isNaN ? Float.nan : (number == 0 ? 0.0 : number)
        let bits = canonical.bitPattern
        return bits & signBit32 != 0 ? ~bits : bits ^ signBit32
    }
}
