// Reading side of the record format described in RecordCodec.swift. A RecordView parses
// only the header; each column is validated when it is read, so reading one column costs
// O(1) plus that column's size (a compact record: a walk of its header, at most
// RecordCodec.compactColumnCountMax entries), and nothing here traps on malformed bytes.

/// A parsed record header over borrowed bytes: reads single columns without decoding the
/// others. Valid only while the bytes it was made from stay alive and unchanged.
public struct RecordView {
    /// The whole encoded record.
    public let bytes: UnsafeRawBufferPointer
    /// How many columns the record holds.
    public let columnCount: Int
    /// The id of the row the record is stored under, for a column that holds it by a tag.
    private let rowID: Int64?
    /// Width of an offset-table entry; 0 for a compact record, which has no table.
    private let offsetWidthBytes: Int
    /// Where the tags (compact: the per-column header bytes) begin.
    private let tagsStart: Int
    private let tableStart: Int
    private let payloadStart: Int

    /// Parses and checks the header of the record in `bytes`.
    /// `rowID` is the id the record is stored under, given by readers of a table's rows; a
    /// column holding it by a row id tag reads as corruption without it.
    public init(_ bytes: UnsafeRawBufferPointer, rowID: Int64? = nil) throws {
        self.bytes = bytes
        self.rowID = rowID
        var offset = 0
        let count = try Varint.read(from: bytes, at: &offset)
        guard count <= UInt64(bytes.count) else {
            throw Self.corrupt("column count \(count) exceeds record size \(bytes.count)")
        }
        guard offset < bytes.count else { throw Self.corrupt("truncated header") }
        let flags = bytes[offset]
        columnCount = Int(count)
        tagsStart = offset + 1
        if flags == RecordCodec.compactFlags {
            offsetWidthBytes = 0
            tableStart = tagsStart
            var position = tagsStart
            var payloadBytes = 0
            for _ in 0..<columnCount { payloadBytes += try Self.compactEntry(bytes, at: &position).length }
            payloadStart = position
            guard payloadBytes == bytes.count - payloadStart else {
                throw Self.corrupt("payload is \(bytes.count - payloadStart) bytes, lengths say \(payloadBytes)")
            }
            return
        }
        guard flags & ~0x03 == 0 else { throw Self.corrupt("unknown flags \(flags)") }
        offsetWidthBytes = 1 << Int(flags)
        tableStart = tagsStart + columnCount
        payloadStart = tableStart + columnCount * offsetWidthBytes
        guard payloadStart <= bytes.count else { throw Self.corrupt("truncated header") }
        let lastEnd = columnCount == 0 ? 0 : try end(ofColumn: columnCount - 1)
        guard lastEnd == bytes.count - payloadStart else {
            throw Self.corrupt("payload is \(bytes.count - payloadStart) bytes, offsets say \(lastEnd)")
        }
    }

    /// Every column, in order.
    public func values() throws -> [Value] {
        var result: [Value] = []
        result.reserveCapacity(columnCount)
        guard offsetWidthBytes == 0 else {
            for index in 0..<columnCount { result.append(try value(at: index)) }
            return result
        }
        // One walk of a compact header rather than one per column.
        var position = tagsStart
        var start = payloadStart
        for index in 0..<columnCount {
            let (tagByte, length) = try Self.compactEntry(bytes, at: &position)
            result.append(try value(try Self.tag(tagByte, index), start..<(start + length), index))
            start += length
        }
        return result
    }

    /// Decodes the columns marked in `columns` (all `columnCount` when nil) into `row` from
    /// `start`: column i to `row[start + i]`, NULL for a column past the record's own (added
    /// after the row was written); unmarked positions keep what they hold. A compact header
    /// is walked once up to the last marked column, where `value(at:)` walks it for each
    /// column; the caller's buffer takes the values without a uniqueness check per write.
    public func decode(into row: UnsafeMutableBufferPointer<Value>, at start: Int, columnCount: Int, columns: [Bool]?) throws {
        precondition(start >= 0 && start + columnCount <= row.count && (columns?.count ?? columnCount) >= columnCount,
                     "decode(into:) given a row of \(row.count) values for \(columnCount) columns from \(start)")
        let last = columns.map { $0.prefix(columnCount).lastIndex(of: true) ?? -1 } ?? columnCount - 1
        guard offsetWidthBytes == 0 else {
            for column in 0..<(last + 1) where columns?[column] ?? true {
                row[start + column] = column < self.columnCount ? try value(at: column) : .null
            }
            return
        }
        var position = tagsStart
        var payload = payloadStart
        for column in 0..<(last + 1) {
            guard column < self.columnCount else {
                if columns?[column] ?? true { row[start + column] = .null }
                continue
            }
            // `init` checked that the lengths add up to the payload: every span lies in it.
            let (tagByte, length) = try Self.compactEntry(bytes, at: &position)
            if columns?[column] ?? true {
                row[start + column] = try value(try Self.tag(tagByte, column), payload..<(payload + length), column)
            }
            payload += length
        }
    }

    /// Decodes column `index` alone.
    public func value(at index: Int) throws -> Value {
        let (tag, span) = try field(at: index)
        return try value(tag, span, index)
    }

    private func value(_ tag: RecordCodec.Tag, _ span: Range<Int>, _ index: Int) throws -> Value {
        switch tag {
        case .null: try expectEmpty(span, index); return .null
        case .falseValue: try expectEmpty(span, index); return .bool(false)
        case .trueValue: try expectEmpty(span, index); return .bool(true)
        case .int: return .int(try readInteger(span, index))
        case .timestamp: return .timestamp(try readInteger(span, index))
        case .double:
            return .double(offsetWidthBytes == 0 ? try readTrimmedDouble(span, index) : try readDouble(span, index))
        case .text: return .text(try readText(span, index))
        case .json: return .json(try readText(span, index))
        case .bytes: return .bytes(Array(UnsafeRawBufferPointer(rebasing: bytes[span])))
        case .vector: return .vector(try readVectorCopy(span, index))
        case .interval: return .interval(try readInterval(span, index))
        case .array:
            // A nested array is a sub-array of a multi-dimensional one (Value+Array.swift).
            return .array(try RecordView(UnsafeRawBufferPointer(rebasing: bytes[span])).values())
        case .numeric: return .numeric(try readNumeric(span, index))
        case .rowID:
            guard let rowID else { throw Self.corrupt("column \(index) holds the row id, which was not given") }
            try expectEmpty(span, index)
            return .int(rowID)
        }
    }

    private func readNumeric(_ span: Range<Int>, _ index: Int) throws -> Numeric {
        let field = UnsafeRawBufferPointer(rebasing: bytes[span])
        var offset = 0
        let scale = try Varint.read(from: field, at: &offset)
        guard scale <= UInt64(Numeric.scaleMax), offset < field.count, field[offset] <= 4,
              field.last != 0 || field.count == offset + 1, field[offset] <= 1 || field.count == offset + 1 && scale == 0 else {
            throw Self.corrupt("column \(index) numeric is malformed")
        }
        switch field[offset] {
        case 2: return .nan
        case 3: return .infinity
        case 4: return .negativeInfinity
        default: break
        }
        return Numeric(negative: field[offset] == 1,
                       coefficient: Magnitude(littleEndianBytes: field[(offset + 1)...]), scale: Int(scale))
    }

    /// Whether column `index` is NULL, without decoding it.
    public func isNull(at index: Int) throws -> Bool {
        try field(at: index).tag == .null
    }

    /// Calls `body` with the elements of vector column `index`, in place when they are 4-byte
    /// aligned in memory and the host is little-endian, else from a temporary copy.
    /// Returns nil when the column is NULL; throws `.typeMismatch` when it holds a non-vector.
    public func withVector<Result>(
        at index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) throws -> Result? {
        let (tag, span) = try field(at: index)
        switch tag {
        case .null: return nil
        case .vector: break
        default: throw VireoError(.typeMismatch, "record column \(index) does not hold a vector")
        }
        let elements = try vectorElements(span, index)
        #if _endian(little)
        if let base = elements.start, UInt(bitPattern: base) % UInt(MemoryLayout<Float>.alignment) == 0 {
            return try base.withMemoryRebound(to: Float.self, capacity: elements.count) {
                try body(UnsafeBufferPointer(start: $0, count: elements.count))
            }
        }
        #endif
        return try withUnsafeTemporaryAllocation(of: Float.self, capacity: elements.count) { copy in
            copyFloats(from: elements, to: copy)
            return try body(UnsafeBufferPointer(copy))
        }
    }

    // MARK: Header access

    /// The tag and absolute byte range of column `index`, in either layout.
    @inline(__always)
    func field(at index: Int) throws -> (tag: RecordCodec.Tag, span: Range<Int>) {
        guard offsetWidthBytes == 0 else { return (try tag(at: index), try span(ofColumn: index)) }
        guard index >= 0 && index < columnCount else {
            throw Self.corrupt("column \(index) requested from a record of \(columnCount) columns")
        }
        var position = tagsStart
        var start = payloadStart
        for _ in 0..<index { start += try Self.compactEntry(bytes, at: &position).length }
        let (tagByte, length) = try Self.compactEntry(bytes, at: &position)
        return (try Self.tag(tagByte, index), start..<(start + length))
    }

    /// Reads one compact header entry at `position` and moves past it.
    @inline(__always)
    private static func compactEntry(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws -> (tag: UInt8, length: Int) {
        guard position < bytes.count else { throw Self.corrupt("truncated header") }
        let byte = bytes[position]
        position += 1
        let nibble = Int(byte >> 4)
        guard nibble == RecordCodec.compactLengthEscape else { return (byte & 0x0F, nibble) }
        let length = try Varint.read(from: bytes, at: &position)
        guard length >= UInt64(RecordCodec.compactLengthEscape), length <= UInt64(bytes.count) else {
            throw Self.corrupt("column length \(length) is not a valid escaped length")
        }
        return (byte & 0x0F, Int(length))
    }

    func tag(at index: Int) throws -> RecordCodec.Tag {
        guard index >= 0 && index < columnCount else {
            throw Self.corrupt("column \(index) requested from a record of \(columnCount) columns")
        }
        return try Self.tag(bytes[tagsStart + index], index)
    }

    private static func tag(_ byte: UInt8, _ index: Int) throws -> RecordCodec.Tag {
        guard let tag = RecordCodec.Tag(rawValue: byte) else {
            throw corrupt("unknown type tag \(byte) in column \(index)")
        }
        return tag
    }

    /// The absolute byte range of column `index`'s value.
    func span(ofColumn index: Int) throws -> Range<Int> {
        let start = index == 0 ? 0 : try end(ofColumn: index - 1)
        let end = try end(ofColumn: index)
        guard start <= end else { throw Self.corrupt("offsets decrease at column \(index)") }
        return (payloadStart + start)..<(payloadStart + end)
    }

    private func end(ofColumn index: Int) throws -> Int {
        let entryStart = tableStart + index * offsetWidthBytes
        // One little-endian load of the entry's width (1, 2, 4 or 8 bytes, from the header's
        // flags) instead of a loop over its bytes: every column read passes here twice.
        let end: UInt64
        switch offsetWidthBytes {
        case 1: end = UInt64(bytes[entryStart])
        case 2: end = UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: entryStart, as: UInt16.self)))
        case 4: end = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: entryStart, as: UInt32.self)))
        default: end = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: entryStart, as: UInt64.self))
        }
        guard end <= UInt64(bytes.count - payloadStart) else {
            throw Self.corrupt("column \(index) ends at \(end), past the payload")
        }
        return Int(end)
    }

    // MARK: Value readers

    private func expectEmpty(_ span: Range<Int>, _ index: Int) throws {
        guard span.isEmpty else { throw Self.corrupt("column \(index) should hold no bytes") }
    }

    private func readInteger(_ span: Range<Int>, _ index: Int) throws -> Int64 {
        let field = UnsafeRawBufferPointer(rebasing: bytes[span])
        var offset = 0
        let encoded = try Varint.read(from: field, at: &offset)
        guard offset == field.count else { throw Self.corrupt("column \(index) has bytes after its integer") }
        return Varint.unZigZag(encoded)
    }

    private func readDouble(_ span: Range<Int>, _ index: Int) throws -> Double {
        guard span.count == 8 else { throw Self.corrupt("column \(index) double is \(span.count) bytes") }
        let pattern = bytes.loadUnaligned(fromByteOffset: span.lowerBound, as: UInt64.self)
        return Double(bitPattern: UInt64(littleEndian: pattern))
    }

    /// A compact record's double: the high bytes of its bit pattern, low zero bytes left out.
    private func readTrimmedDouble(_ span: Range<Int>, _ index: Int) throws -> Double {
        guard span.count <= 8, span.isEmpty || bytes[span.lowerBound] != 0 else {
            throw Self.corrupt("column \(index) double of \(span.count) bytes is not in its shortest form")
        }
        // Each byte shifts the ones before it down: the last one kept ends as the top byte.
        var pattern: UInt64 = 0
        for offset in span { pattern = pattern >> 8 | UInt64(bytes[offset]) << 56 }
        return Double(bitPattern: pattern)
    }

    private func readInterval(_ span: Range<Int>, _ index: Int) throws -> Interval {
        guard span.count == 16 else { throw Self.corrupt("column \(index) interval is \(span.count) bytes") }
        let start = span.lowerBound
        return Interval(months: Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: Int32.self)),
                        days: Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 4, as: Int32.self)),
                        micros: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8, as: Int64.self)))
    }

    private func readText(_ span: Range<Int>, _ index: Int) throws -> String {
        let field = UnsafeRawBufferPointer(rebasing: bytes[span])
        guard let text = UTF8Text.decode(field) else {
            throw Self.corrupt("column \(index) is not valid UTF-8")
        }
        return text
    }

    private func readVectorCopy(_ span: Range<Int>, _ index: Int) throws -> [Float] {
        let elements = try vectorElements(span, index)
        return [Float](unsafeUninitializedCapacity: elements.count) { buffer, initialized in
            copyFloats(from: elements, to: buffer)
            initialized = elements.count
        }
    }

    /// Where a vector's float32s lie: checks the dimension, the padding and the span's size.
    private func vectorElements(_ span: Range<Int>, _ index: Int) throws -> (start: UnsafeRawPointer?, count: Int) {
        var offset = span.lowerBound
        let field = UnsafeRawBufferPointer(rebasing: bytes[..<span.upperBound])
        let dimension = try Varint.read(from: field, at: &offset)
        let alignment = RecordCodec.vectorAlignmentBytes
        let floatsStart = (offset + alignment - 1) / alignment * alignment
        guard floatsStart <= span.upperBound,
              bytes[offset..<floatsStart].allSatisfy({ $0 == 0 }),
              dimension == UInt64(span.upperBound - floatsStart) / UInt64(MemoryLayout<Float>.size),
              (span.upperBound - floatsStart) % MemoryLayout<Float>.size == 0
        else { throw Self.corrupt("column \(index) vector of dimension \(dimension) does not fit its span") }
        return (bytes.baseAddress.map { $0 + floatsStart }, Int(dimension))
    }

    private func copyFloats(from elements: (start: UnsafeRawPointer?, count: Int), to buffer: UnsafeMutableBufferPointer<Float>) {
        guard let source = elements.start, let target = buffer.baseAddress else { return }
        #if _endian(little)
        UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: elements.count * MemoryLayout<Float>.size)
        #else
        for elementIndex in 0..<elements.count {
            let pattern = source.loadUnaligned(fromByteOffset: elementIndex * 4, as: UInt32.self)
            buffer[elementIndex] = Float(bitPattern: UInt32(littleEndian: pattern))
        }
        #endif
    }

    private static func corrupt(_ detail: String) -> VireoError {
        VireoError(.corruption, "malformed record: \(detail)")
    }
}
