// Record format: one table row, `[Value]`, as the bytes a B+tree leaf or overflow chain holds.
//
//   offset  size      field
//   0       varint    n, the column count (LEB128, see Varint.swift)
//   +0      1         flags: bits 0-1 = offset width code c, width w = 1 << c bytes (1, 2, 4, 8);
//                     bits 2-7 are reserved and zero
//   +1      n         one type tag per column (RecordCodec.Tag)
//   +n      n * w     end of each column's value, little-endian unsigned, counted from the
//                     start of the payload; column i spans [end(i-1), end(i)), end(-1) = 0
//   ...               payload: the values back to back, no gaps except vector padding
//
// Values by tag:
//   0 null, 1 false, 2 true   no bytes
//   3 int, 8 timestamp        zig-zag varint (timestamps: microseconds since the Unix epoch)
//   4 double                  8 bytes, IEEE 754 bit pattern, little-endian
//   5 text, 7 json            UTF-8 bytes; the length is the span from the offset table
//   6 bytes                   raw bytes; the length is the span from the offset table
//   9 vector                  varint dimension d, zero bytes up to the next multiple of 4
//                             counted from the record's first byte, then d float32s,
//                             little-endian. A record placed at a 4-aligned address can
//                             therefore hand out its vectors in place (RecordView.withVector).
//   10 interval               16 bytes: months int32, days int32, microseconds int64, each
//                             little-endian (added with issue 10; older records never hold it)
//   11 array                  the elements as a nested record in this same format (one
//                             column per element); a vector inside is aligned from the
//                             nested record's first byte. An element that is itself an
//                             array (tag 11) is a sub-array of a multi-dimensional array
//                             (Value+Array.swift), in files of format version 5 and
//                             later (StorageFormat.multidimensionalArraysVersion)
//   12 numeric                varint display scale, one sign byte (0 or 1), then the
//                             coefficient's bytes little-endian without high zero bytes;
//                             sign byte 2 is NaN, 3 Infinity, 4 -Infinity, each with scale 0
//                             and no coefficient bytes (added later in issue 10; older
//                             records never hold them, older readers refuse them)
//   13 row id                 no bytes: the column holds the row's id, which is the record's
//                             key in its table's tree (in the table's row-key form,
//                             KeyCodec+RowID.swift; written in the compact layout only, by
//                             StoreTransaction for a table's row-id column; the reader is given
//                             the id with the record, RecordView(_:rowID:))
//
// Invariants (checked when reading; a violation throws VireoError(.corruption)):
//   1. n <= the record's byte count (every column costs at least its tag byte).
//   2. Ends never decrease and the last end equals the payload's length exactly:
//      there are no trailing bytes.
//   3. Each value's span is exactly what its tag needs (0 for null/bool, 8 for double,
//      a varint filling its span for int/timestamp, 4-byte floats filling the rest of a
//      vector span after its padding, which is zero). Text and JSON are valid UTF-8.
// The offset table makes reading one column O(1) whatever its position. The width code is
// chosen from an upper bound of the payload size (it counts 3 padding bytes per vector), so
// a record near a width boundary may use the wider width; readers only use the stored code.
// No size limit lives here: limits are checked where input enters (the query layer).
//
// Compact layout (flags = 0x04; written since 5 Dec 2026 for rows of at most
// `compactColumnCountMax` columns holding no vector and no array; the offset-table layout
// above is still written for the others and read everywhere):
//
//   offset  size      field
//   0       varint    n, the column count
//   +0      1         flags = 0x04 (bit 2: compact; bits 0-1 zero)
//   +1      ...       per column one byte: low 4 bits the type tag, high 4 bits the value's
//                     length in bytes (0-14); 15 means a varint of the length (>= 15) follows
//   ...               payload: the values back to back
//
// A value is stored as in the offset-table layout except doubles: the IEEE 754 bit pattern
// without its low-order zero bytes, so 0 to 8 bytes holding the pattern's high bytes,
// little-endian (0.0 takes none, 1.5 two bytes, 12345.75 four); the lowest byte kept is
// never zero. A table's row-id column holding the row's id is tag 13 with no bytes (the key
// has the id). Invariant 2 holds with the lengths in place of the ends. Reading one column
// walks the header up to it (at most `compactColumnCountMax` bytes and length varints); what
// it saves is one offset per column, most of a double's bytes and the row id: 36 → 25 bytes
// for a table row of (bigint row id, int, 14-byte text, double).

/// Encodes and decodes table rows in the record format described at the top of this file.
public enum RecordCodec {
    /// One byte per column saying which kind of value it holds.
    @usableFromInline
    enum Tag: UInt8 {
        case null = 0, falseValue = 1, trueValue = 2, int = 3, double = 4
        case text = 5, bytes = 6, json = 7, timestamp = 8, vector = 9, interval = 10, array = 11, numeric = 12
        case rowID = 13
    }

    /// Float32 payloads start at a multiple of this many bytes from the record's start.
    static let vectorAlignmentBytes = MemoryLayout<Float>.alignment

    /// Encodes `row` as a new byte array.
    public static func encode(_ row: [Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        encode(row, into: &bytes)
        return bytes
    }

    /// Appends the encoding of `row` to `bytes`; the record starts at `bytes.count` on entry.
    /// Reserves the needed capacity once, so the only allocation is the growth of `bytes`.
    public static func encode(_ row: [Value], into bytes: inout [UInt8]) {
        encode(row, into: &bytes, layout: fitsCompactLayout(row) ? .compact : .offsetTable)
    }

    /// Appends the encoding of a table row stored under `rowID`: when column `rowIDColumn`
    /// holds that id, a compact record keeps only its tag (the key holds the id), so the
    /// reader must give the id back (`RecordView(_:rowID:)`).
    public static func encode(_ row: [Value], into bytes: inout [UInt8], rowIDColumn: Int?, rowID: Int64) {
        guard fitsCompactLayout(row) else { return encode(row, into: &bytes, layout: .offsetTable) }
        encodeCompact(row, into: &bytes, rowIDColumn: compactRowIDColumn(row, rowIDColumn, rowID: rowID))
    }

    /// The column a compact record of a table row stored under `rowID` keeps as a row id
    /// tag: `rowIDColumn` when it holds that id, else none.
    static func compactRowIDColumn(_ row: [Value], _ rowIDColumn: Int?, rowID: Int64) -> Int? {
        rowIDColumn.flatMap { row.indices.contains($0) && row[$0] == .int(rowID) ? $0 : nil }
    }

    /// The two layouts of the header (see the top of this file).
    enum Layout {
        case offsetTable, compact
    }

    /// Flags byte of a compact record.
    static let compactFlags: UInt8 = 0x04
    /// Widest row written in the compact layout: reading a column walks the header up to it.
    static let compactColumnCountMax = 16
    /// A compact header byte's length nibble that says a varint length follows.
    static let compactLengthEscape = 15

    /// Whether `row` is written in the compact layout: few columns, and no value whose
    /// bytes depend on where the payload starts (a vector's padding, nested in an array too).
    static func fitsCompactLayout(_ row: [Value]) -> Bool {
        guard row.count <= compactColumnCountMax else { return false }
        for value in row {
            switch value {
            case .vector, .array: return false
            default: continue
            }
        }
        return true
    }

    /// Appends `row` in the given layout (tests write the offset-table layout of older
    /// databases with it).
    static func encode(_ row: [Value], into bytes: inout [UInt8], layout: Layout) {
        if layout == .compact { return encodeCompact(row, into: &bytes) }
        var payloadUpperBoundBytes = 0
        for value in row { payloadUpperBoundBytes += payloadSizeBytesMax(value) }
        let widthCode = offsetWidthCode(payloadSizeBytes: payloadUpperBoundBytes)
        let widthBytes = 1 << widthCode
        let recordStart = bytes.count
        let headerBytes = Varint.size(of: UInt64(row.count)) + 1 + row.count * (1 + widthBytes)
        bytes.reserveCapacity(recordStart + headerBytes + payloadUpperBoundBytes)

        Varint.append(UInt64(row.count), to: &bytes)
        bytes.append(UInt8(widthCode))
        for value in row { bytes.append(tag(of: value).rawValue) }
        let tableStart = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: row.count * widthBytes))
        let payloadStart = bytes.count
        for (index, value) in row.enumerated() {
            appendPayload(value, to: &bytes, recordStart: recordStart)
            let end = UInt64(bytes.count - payloadStart)
            storeLittleEndian(end, widthBytes: widthBytes, at: tableStart + index * widthBytes, in: &bytes)
        }
    }

    /// Decodes every column of a record. Throws `VireoError(.corruption)` on malformed bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [Value] {
        try RecordView(bytes).values()
    }

    /// Decodes every column of a record held in an array.
    public static func decode(_ bytes: [UInt8]) throws -> [Value] {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// Decodes only column `index`, in time independent of the other columns' sizes.
    public static func decodeColumn(_ bytes: UnsafeRawBufferPointer, at index: Int) throws -> Value {
        try RecordView(bytes).value(at: index)
    }

    /// Calls `body` with the float32 elements of vector column `index`: in place when the
    /// elements are 4-byte aligned in memory (records placed at 4-aligned addresses), else a
    /// temporary copy. Returns nil without calling `body` when the column is NULL.
    public static func withVector<Result>(
        in bytes: UnsafeRawBufferPointer, at index: Int,
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) throws -> Result? {
        try RecordView(bytes).withVector(at: index, body)
    }

    /// Appends `row` in the compact layout; column `rowIDColumn`, if given, as a row id tag.
    /// The record's size is worked out first and its bytes then written in place
    /// (`CompactWriter`): appending them one by one, each append checking the array's
    /// capacity and uniqueness, was 9% of a prepared INSERT of four columns.
    static func encodeCompact(_ row: [Value], into bytes: inout [UInt8], rowIDColumn: Int? = nil) {
        let size = compactSize(row, rowIDColumn: rowIDColumn)
        let start = bytes.count
        appendZeros(size.totalBytes, to: &bytes)
        bytes.withUnsafeMutableBufferPointer { buffer in
            writeCompact(row, size, rowIDColumn: rowIDColumn, into: UnsafeMutableBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// The sizes of `row`'s compact record (`compactSize`).
    struct CompactSize {
        let headerBytes: Int
        /// The whole record's bytes.
        let totalBytes: Int
    }

    /// The size of `row`'s compact record, column `rowIDColumn` (if given) as a row id tag.
    static func compactSize(_ row: [Value], rowIDColumn: Int?) -> CompactSize {
        assert(fitsCompactLayout(row), "compact layout for a row it cannot hold")
        var payloadBytes = 0
        // The count, the flags, and a header byte per column (the row id's tag alone for its column).
        var headerBytes = Varint.size(of: UInt64(row.count)) + 1 + row.count
        for (column, value) in row.enumerated() where column != rowIDColumn {
            let length = compactPayloadSizeBytes(value)
            payloadBytes += length
            if length >= compactLengthEscape { headerBytes += Varint.size(of: UInt64(length)) }
        }
        return CompactSize(headerBytes: headerBytes, totalBytes: headerBytes + payloadBytes)
    }

    /// Writes `row`'s compact record, of `size` (`compactSize` with the same `rowIDColumn`),
    /// into `buffer`, which holds exactly that many bytes: a table's tree writes it straight
    /// into its leaf this way (`StoreTransaction.insertRecord`).
    static func writeCompact(_ row: [Value], _ size: CompactSize, rowIDColumn: Int?, into buffer: UnsafeMutableBufferPointer<UInt8>) {
        precondition(buffer.count == size.totalBytes, "compact record written into \(buffer.count) bytes, not its \(size.totalBytes)")
        var writer = CompactWriter(buffer: buffer, offset: 0)
        writer.varint(UInt64(row.count))
        writer.byte(compactFlags)
        for (column, value) in row.enumerated() {
            if column == rowIDColumn {
                writer.byte(Tag.rowID.rawValue)
                continue
            }
            let length = compactPayloadSizeBytes(value)
            let nibble = min(length, compactLengthEscape)
            writer.byte(tag(of: value).rawValue | UInt8(nibble) << 4)
            if nibble == compactLengthEscape { writer.varint(UInt64(length)) }
        }
        precondition(writer.offset == size.headerBytes, "compact header differs from its size")
        for (column, value) in row.enumerated() where column != rowIDColumn { writer.payload(value) }
        precondition(writer.offset == buffer.count, "compact payload differs from its header's lengths")
    }

    /// Zeros from a shared block, a chunk at a time: appending `repeatElement(0, count:)`
    /// went element by element through unspecialized generic code in debug builds (an 8 KB
    /// text took 0.3-0.8 s per hundred rows), while a buffer's bytes are one copy in both.
    nonisolated(unsafe) private static let zeroBlock: UnsafeBufferPointer<UInt8> = {  // never written after it is made
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
        block.initialize(repeating: 0)
        return UnsafeBufferPointer(block)
    }()

    static func appendZeros(_ count: Int, to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + count)
        var left = count
        while left > 0 {
            let chunk = min(left, zeroBlock.count)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: zeroBlock[0..<chunk]))
            left -= chunk
        }
    }

    /// The exact payload size of `value` in a compact record (no vectors or arrays there).
    static func compactPayloadSizeBytes(_ value: Value) -> Int {
        switch value {
        case .double(let number): trimmedDoubleSizeBytes(number)
        case .numeric(let number):
            Varint.size(of: UInt64(number.scale)) + 1 + (number.kind == .finite ? number.coefficient.littleEndianBytes.count : 0)
        default: payloadSizeBytesMax(value)
        }
    }

    /// Bytes a double keeps in a compact record: its bit pattern without low zero bytes.
    static func trimmedDoubleSizeBytes(_ number: Double) -> Int {
        let pattern = number.bitPattern
        return pattern == 0 ? 0 : 8 - pattern.trailingZeroBitCount / 8
    }

    // MARK: Encoding helpers

    @usableFromInline
    static func tag(of value: Value) -> Tag {
        switch value {
        case .null: .null
        case .bool(let flag): flag ? .trueValue : .falseValue
        case .int: .int
        case .double: .double
        case .text: .text
        case .bytes: .bytes
        case .json: .json
        case .timestamp: .timestamp
        case .vector: .vector
        case .interval: .interval
        case .array: .array
        case .numeric: .numeric
        }
    }

    /// The payload size of `value`, exact except for up to 3 bytes of vector padding.
    static func payloadSizeBytesMax(_ value: Value) -> Int {
        switch value {
        case .null, .bool: 0
        case .int(let number), .timestamp(let number): Varint.size(of: Varint.zigZag(number))
        case .double: 8
        case .interval: 16
        case .text(let string), .json(let string): string.utf8.count
        case .bytes(let data): data.count
        case .vector(let elements):
            Varint.size(of: UInt64(elements.count)) + vectorAlignmentBytes - 1
                + elements.count * MemoryLayout<Float>.size
        case .numeric(let number): 11 + number.coefficient.littleEndianBytes.count
        case .array(let elements):
            elements.reduce(Varint.size(of: UInt64(elements.count)) + 1 + elements.count * 9) { $0 + payloadSizeBytesMax($1) }
        }
    }

    static func offsetWidthCode(payloadSizeBytes: Int) -> Int {
        switch UInt64(payloadSizeBytes) {
        case 0...0xFF: 0
        case 0...0xFFFF: 1
        case 0...0xFFFF_FFFF: 2
        default: 3
        }
    }

    static func appendPayload(_ value: Value, to bytes: inout [UInt8], recordStart: Int) {
        switch value {
        case .null, .bool: break
        case .int(let number), .timestamp(let number): Varint.append(Varint.zigZag(number), to: &bytes)
        case .double(let number): appendLittleEndian(number.bitPattern, to: &bytes)
        case .text(let string), .json(let string): bytes.append(contentsOf: string.utf8)
        case .bytes(let data): bytes.append(contentsOf: data)
        case .vector(let elements): appendVector(elements, to: &bytes, recordStart: recordStart)
        case .interval(let interval):
            appendLittleEndian(interval.months, to: &bytes)
            appendLittleEndian(interval.days, to: &bytes)
            appendLittleEndian(interval.micros, to: &bytes)
        case .array(let elements): encode(elements, into: &bytes)
        case .numeric(let number):
            Varint.append(UInt64(number.scale), to: &bytes)
            switch number.kind {
            case .finite:
                bytes.append(number.negative ? 1 : 0)
                bytes.append(contentsOf: number.coefficient.littleEndianBytes)
            case .nan: bytes.append(2)
            case .infinity: bytes.append(number.negative ? 4 : 3)
            }
        }
    }

    static func appendVector(_ elements: [Float], to bytes: inout [UInt8], recordStart: Int) {
        Varint.append(UInt64(elements.count), to: &bytes)
        while (bytes.count - recordStart) % vectorAlignmentBytes != 0 { bytes.append(0) }
        #if _endian(little)
        elements.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for element in elements { appendLittleEndian(element.bitPattern, to: &bytes) }
        #endif
    }

    static func appendLittleEndian<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func storeLittleEndian(_ value: UInt64, widthBytes: Int, at offset: Int, in bytes: inout [UInt8]) {
        for byteIndex in 0..<widthBytes {
            bytes[offset + byteIndex] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byteIndex)))
        }
    }
}

/// Writes a compact record into the bytes `RecordCodec.encodeCompact` sized for it: each
/// write goes in place, without an array append's capacity and uniqueness checks. The
/// sizes come from the functions the header's lengths come from, so a write never passes
/// the sized end (checked after the header and after the payload).
private struct CompactWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var offset: Int

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        buffer[offset] = value
        offset += 1
    }

    /// LEB128, as `Varint.append` writes it.
    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            byte(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        byte(UInt8(rest))
    }

    mutating func copy(_ source: UnsafeRawBufferPointer) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        precondition(offset + source.count <= buffer.count, "compact payload past its sized end")
        (buffer.baseAddress! + offset).update(from: base.assumingMemoryBound(to: UInt8.self), count: source.count)
        offset += source.count
    }

    /// A value's payload, as `RecordCodec.appendPayload` writes it, but a double without
    /// its low zero bytes (`RecordCodec.trimmedDoubleSizeBytes`), high byte last.
    mutating func payload(_ value: Value) {
        switch value {
        case .null, .bool: break
        case .int(let number), .timestamp(let number): varint(Varint.zigZag(number))
        case .double(let number):
            let pattern = number.bitPattern
            let kept = RecordCodec.trimmedDoubleSizeBytes(number)
            for byteIndex in (8 - kept)..<8 { byte(UInt8(truncatingIfNeeded: pattern >> (8 * UInt64(byteIndex)))) }
        case .text(let string), .json(let string):
            let copied: Void? = string.utf8.withContiguousStorageIfAvailable { copy(UnsafeRawBufferPointer($0)) }
            if copied == nil { for unit in string.utf8 { byte(unit) } }
        default:
            var bytes: [UInt8] = []
            RecordCodec.appendPayload(value, to: &bytes, recordStart: 0)
            precondition(bytes.count == RecordCodec.compactPayloadSizeBytes(value), "compact payload differs from its size")
            bytes.withUnsafeBytes { copy($0) }
        }
    }
}
