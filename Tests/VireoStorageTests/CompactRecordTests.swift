import Testing
@testable import VireoStorage

/// The compact record layout (flags 0x04): one header byte per column, doubles without
/// their low zero bytes; and the offset-table layout older databases hold, still read.
@Suite("Compact records")
struct CompactRecordTests {
    static func decode(_ bytes: [UInt8]) throws -> [Value] { try RecordCodec.decode(bytes) }

    static func expectCorrupt(_ bytes: [UInt8], _ why: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = Result { try decode(bytes) }
        guard case .failure(let error) = result else {
            Issue.record("\(why): \(bytes) decoded as \(result); expected corruption", sourceLocation: sourceLocation)
            return
        }
        #expect((error as? VireoError)?.code == .corruption, "\(why): expected corruption, got \(error)", sourceLocation: sourceLocation)
    }

    static let edgeDoubles: [Double] = [0, -0.0, 1, 1.5, -2.75, 12_345.75, .pi, .nan, -.nan, .infinity, -.infinity,
                                        .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                                        Double(bitPattern: 0x7FF8_0000_0000_0001), 1e-300, 123_456_789.123]

    @Test("every type but vectors and arrays, with edge values, round trips bit for bit in the compact layout")
    func everyTypeRoundTrips() throws {
        let texts = ["", "a", String(repeating: "x", count: 14), String(repeating: "y", count: 15), "héllo wörld 😀 日本",
                     String(repeating: "z", count: 70_000)]
        var row: [Value] = [.null, .bool(false), .bool(true), .int(0), .int(.min), .int(.max), .int(-1), .int(100_000),
                            .timestamp(.min), .timestamp(1_700_000_000_000_000), .bytes([]), .bytes([0, 255]),
                            .json("{\"a\": 1}"), .interval(Interval(months: -1, days: 2, micros: .max)),
                            .numeric(Numeric(negative: true, coefficient: Magnitude(littleEndianBytes: [1, 2, 3][...]), scale: 2)),
                            .numeric(.nan), .numeric(.infinity), .numeric(.negativeInfinity)]
        row += texts.map(Value.text) + Self.edgeDoubles.map(Value.double)
        for start in stride(from: 0, to: row.count, by: RecordCodec.compactColumnCountMax) {
            let part = Array(row[start..<min(start + RecordCodec.compactColumnCountMax, row.count)])
            let bytes = RecordCodec.encode(part)
            #expect(bytes[Varint.size(of: UInt64(part.count))] == RecordCodec.compactFlags, "expected the compact layout for \(describe(part))")
            let decoded = try Self.decode(bytes)
            #expect(sameBits(decoded, part), "expected \(describe(part)), got \(describe(decoded))")
            for index in part.indices {
                let single = try bytes.withUnsafeBytes { try RecordCodec.decodeColumn($0, at: index) }
                #expect(sameBits([single], [part[index]]), "column \(index): expected \(part[index]), got \(single)")
            }
        }
        for value in row { #expect(sameBits(try Self.decode(RecordCodec.encode([value])), [value]), "\(value) alone") }
        #expect(try Self.decode(RecordCodec.encode([])) == [], "the empty row")
    }

    @Test("doubles keep only their bit pattern's high bytes down to the last non-zero one")
    func doubleSizes() throws {
        let expected: [(Double, Int)] = [(0, 0), (-0.0, 1), (1.5, 2), (12_345.75, 4), (.infinity, 2), (.pi, 8),
                                         (.leastNonzeroMagnitude, 8)]
        for (number, size) in expected {
            let bytes = RecordCodec.encode([.double(number)])
            #expect(bytes.count == 3 + size, "\(number): expected \(3 + size) bytes, got \(bytes.count): \(bytes)")
        }
    }

    @Test("a row of (bigint, int, 14-byte text, double) takes 28 bytes rather than 36")
    func benchmarkRowSize() throws {
        let row: [Value] = [.int(100_000), .int(42), .text("item-000100000"), .double(12_345.75)]
        var compact: [UInt8] = []
        var table: [UInt8] = []
        RecordCodec.encode(row, into: &compact, layout: .compact)
        RecordCodec.encode(row, into: &table, layout: .offsetTable)
        #expect(compact.count == 28 && table.count == 36, "expected 28 and 36 bytes, got \(compact.count) and \(table.count)")
        #expect(try Self.decode(compact) == row && Self.decode(table) == row, "both layouts decode to the row")
    }

    /// The compact layout written the plain way, byte by byte: what `encodeCompact`, which
    /// writes in place, must give.
    static func referenceCompact(_ row: [Value], rowIDColumn: Int?) -> [UInt8] {
        var bytes: [UInt8] = []
        Varint.append(UInt64(row.count), to: &bytes)
        bytes.append(RecordCodec.compactFlags)
        var payload: [UInt8] = []
        for (column, value) in row.enumerated() {
            if column == rowIDColumn {
                bytes.append(RecordCodec.Tag.rowID.rawValue)
                continue
            }
            var valueBytes: [UInt8] = []
            if case .double(let number) = value {
                let pattern = number.bitPattern
                valueBytes = (0..<8).map { UInt8(truncatingIfNeeded: pattern >> (8 * UInt64($0))) }
                while valueBytes.first == 0 { valueBytes.removeFirst() }
            } else {
                RecordCodec.appendPayload(value, to: &valueBytes, recordStart: 0)
            }
            let nibble = min(valueBytes.count, RecordCodec.compactLengthEscape)
            bytes.append(RecordCodec.tag(of: value).rawValue | UInt8(nibble) << 4)
            if nibble == RecordCodec.compactLengthEscape { Varint.append(UInt64(valueBytes.count), to: &bytes) }
            payload += valueBytes
        }
        return bytes + payload
    }

    @Test("compact records are written in place with the bytes the layout gives byte by byte, after what the buffer held")
    func inPlaceWritingMatchesTheLayout() throws {
        let benchmarkRow: [Value] = [.int(100_000), .int(42), .text("item-000100000"), .double(12_345.75)]
        // Four columns, flags; headers: the row id's tag, an int of 1 byte, a text of 14, a
        // double of 4; then 42 zig-zagged, the text, and 12,345.75's four high bytes.
        let handMade: [UInt8] = [4, 0x04, 0x0D, 0x13, 0xE5, 0x44, 0x54] + Array("item-000100000".utf8) + [0xE0, 0x1C, 0xC8, 0x40]
        var written: [UInt8] = []
        RecordCodec.encodeCompact(benchmarkRow, into: &written, rowIDColumn: 0)
        #expect(written == handMade, "expected \(handMade), got \(written)")
        var generator = CodecValueGenerator(random: CodecTestRandom(seed: 0xC0DE))
        // Lengths past the header nibble's escape, and the kinds written through `appendPayload`.
        let longer: [Value] = [.text(String(repeating: "é", count: 40_000)), .bytes(Array(repeating: 7, count: 300)),
                               .interval(Interval(months: 1, days: -2, micros: 3)), .numeric(.nan),
                               .numeric(Numeric(negative: false, coefficient: Magnitude(littleEndianBytes: [9, 8, 7][...]), scale: 4))]
        for round in 0..<500 {
            var row = generator.row(columnCount: Int.random(in: 0...RecordCodec.compactColumnCountMax, using: &generator.random))
            row = row.map { value -> Value in
                if case .vector = value { return .null }
                return value
            }
            if round % 7 == 0, !row.isEmpty { row[Int.random(in: row.indices, using: &generator.random)] = longer[round / 7 % longer.count] }
            let rowIDColumn = row.isEmpty || round % 3 == 0 ? nil : Int.random(in: row.indices, using: &generator.random)
            let held: [UInt8] = Array(repeating: 0xAB, count: round % 5)
            var bytes = held
            RecordCodec.encodeCompact(row, into: &bytes, rowIDColumn: rowIDColumn)
            let expected = held + Self.referenceCompact(row, rowIDColumn: rowIDColumn)
            #expect(bytes == expected, "\(describe(row)), row id column \(String(describing: rowIDColumn)): expected \(expected), got \(bytes)")
        }
    }

    @Test("records in the offset-table layout, as older databases hold them, still decode")
    func offsetTableRecordsStillRead() throws {
        // [.int(1), .text("ab"), .double(1.5)] as written before the compact layout existed.
        let older: [UInt8] = [3, 0, 3, 5, 4, 1, 3, 11, 0x02, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F]
        #expect(try Self.decode(older) == [.int(1), .text("ab"), .double(1.5)], "hand-made older record")
        var generator = CodecValueGenerator(random: CodecTestRandom(seed: 0x01D))
        for _ in 0..<200 {
            let row = generator.row(columnCount: Int.random(in: 0...12, using: &generator.random))
            var bytes: [UInt8] = []
            RecordCodec.encode(row, into: &bytes, layout: .offsetTable)
            #expect(sameBits(try Self.decode(bytes), row), "offset-table layout of \(describe(row))")
            for index in row.indices {
                let single = try bytes.withUnsafeBytes { try RecordCodec.decodeColumn($0, at: index) }
                #expect(sameBits([single], [row[index]]), "column \(index) of \(describe(row))")
            }
        }
    }

    @Test("rows with a vector, an array or more than 16 columns keep the offset-table layout")
    func wideAndVectorRowsKeepOffsetTable() throws {
        let rows: [[Value]] = [[.int(1), .vector([1, 2, 3])], [.array([.int(1), .int(2)])],
                               Array(repeating: .int(7), count: RecordCodec.compactColumnCountMax + 1)]
        for row in rows {
            let bytes = RecordCodec.encode(row)
            #expect(bytes[Varint.size(of: UInt64(row.count))] & RecordCodec.compactFlags == 0, "\(describe(row)) should use offsets")
            #expect(try Self.decode(bytes) == row)
        }
        let sixteen = Array(repeating: Value.int(7), count: RecordCodec.compactColumnCountMax)
        #expect(RecordCodec.encode(sixteen)[1] == RecordCodec.compactFlags, "16 columns are compact")
    }

    /// `decode(into:at:columnCount:columns:)` walks a compact header once for all the columns
    /// marked; it must give what `value(at:)` gives column by column, in both layouts.
    @Test("decoding marked columns into a row gives each column's value, NULL past the record, and leaves the rest")
    func decodeMarkedColumns() throws {
        var generator = CodecValueGenerator(random: CodecTestRandom(seed: 0xDEC0DE))
        let sentinel = Value.text("untouched")
        for trial in 0..<300 {
            var row = generator.row(columnCount: Int.random(in: 0...12, using: &generator.random))
            if trial % 3 == 0, !row.isEmpty { row[0] = .text(String(repeating: "é", count: 20) + "😀") }  // escaped lengths
            let layout: RecordCodec.Layout = trial % 4 == 0 || !RecordCodec.fitsCompactLayout(row) ? .offsetTable : .compact
            var bytes: [UInt8] = []
            RecordCodec.encode(row, into: &bytes, layout: layout)
            let columnCount = row.count + Int.random(in: 0...2, using: &generator.random)  // columns added later
            let marks: [Bool]? = trial % 5 == 0 ? nil : (0..<columnCount + 1).map { _ in Bool.random(using: &generator.random) }
            let start = Int.random(in: 0...2, using: &generator.random)
            var decoded = [Value](repeating: sentinel, count: start + columnCount + 1)
            try bytes.withUnsafeBytes { record in
                try decoded.withUnsafeMutableBufferPointer { buffer in
                    try RecordView(record).decode(into: buffer, at: start, columnCount: columnCount, columns: marks)
                }
            }
            var expected = [Value](repeating: sentinel, count: start + columnCount + 1)
            for column in 0..<columnCount where marks?[column] ?? true {
                expected[start + column] = column < row.count ? row[column] : .null
            }
            #expect(sameBits(decoded, expected), "seed 0xDEC0DE trial \(trial), \(layout) layout, marks \(String(describing: marks)): expected \(describe(expected)), got \(describe(decoded))")
        }
        // A compact record whose lengths overrun it is refused before any column is read.
        let bad: [UInt8] = [2, RecordCodec.compactFlags, RecordCodec.Tag.int.rawValue | 1 << 4, RecordCodec.Tag.text.rawValue | 5 << 4, 2, 0x61]
        #expect(throws: VireoError.self) {
            var row = [Value](repeating: .null, count: 2)
            try bad.withUnsafeBytes { record in
                try row.withUnsafeMutableBufferPointer { try RecordView(record).decode(into: $0, at: 0, columnCount: 2, columns: nil) }
            }
        }
    }

    @Test("malformed compact records throw corruption")
    func malformedCompactRecords() {
        let flags = RecordCodec.compactFlags
        let double = RecordCodec.Tag.double.rawValue
        let text = RecordCodec.Tag.text.rawValue
        Self.expectCorrupt([1, flags, double | 9 << 4] + Array(repeating: 1, count: 9), "a 9-byte double")
        Self.expectCorrupt([1, flags, double | 2 << 4, 0x00, 0x3F], "a double whose lowest kept byte is zero")
        Self.expectCorrupt([1, flags, text | 15 << 4, 3, 0x61, 0x62, 0x63], "an escaped length under 15")
        Self.expectCorrupt([1, flags, text | 2 << 4, 0x61], "lengths longer than the payload")
        Self.expectCorrupt([1, flags, text | 1 << 4, 0x61, 0x62], "bytes after the last value")
        Self.expectCorrupt([1, flags, 13], "an unknown tag")
        Self.expectCorrupt([2, flags, 0], "a header shorter than its column count")
        Self.expectCorrupt([1, flags | 1, 0], "compact flag with an offset width")
        Self.expectCorrupt([1, flags, RecordCodec.Tag.int.rawValue | 2 << 4, 0x80, 0x80], "an int whose varint runs past its span")
    }
}

/// The row-id column of a table row is stored once, in the key: the record keeps its tag.
@Suite("Row id column stored once")
struct RowIDColumnTests {
    @Test("the id column keeps only its tag; every reader gives the id back; update, reopen and check pass")
    func rowIDColumnStoredOnce() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/rowid.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            try store.write { try $0.createTable(BTreeFillTests.table) }
            try BTreeFillTests.insertRows(Array(1...500), into: store, perTransaction: 100)
            try store.write { transaction in
                _ = try transaction.update("items", rowID: 5, to: [.int(5), .int(1), .text("changed"), .double(0.5)])
            }
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            let table = try store.catalog.table("items")
            try store.read { snapshot in
                let raw = try KeyCodec.withRowIDKey(300, form: table.rowKeyForm) { key in
                    try table.tree.withValue(forKey: key, in: snapshot.pages) { Array($0) }
                }
                #expect(raw?[2] == RecordCodec.Tag.rowID.rawValue, "expected the row id tag first in \(String(describing: raw))")
                #expect(throws: VireoError.self, "a reader that does not give the id must fail, not guess") {
                    try raw?.withUnsafeBytes { _ = try RecordView($0).values() }
                }
                #expect(try snapshot.row(table, rowID: 300)?.first == .int(300))
                #expect(try snapshot.row(table, rowID: 5) == [.int(5), .int(1), .text("changed"), .double(0.5)])
                var scanned = 0
                try snapshot.scanRows(table) { rowID, record in
                    let value = try record.value(at: 0)
                    #expect(value == .int(rowID), "scan of row \(rowID)")
                    scanned += 1
                    return true
                }
                #expect(scanned == 500, "expected 500 rows scanned, got \(scanned)")
                let wanted: [Int64] = [499, 3, 250]
                var batch: [Int64: Value] = [:]
                try snapshot.withRows(table, rowIDs: wanted) { index, record in batch[wanted[index]] = try record.value(at: 0) }
                var locators = [RowLocator](repeating: .none, count: wanted.count)
                for _ in 0..<2 {  // the second pass goes through the locators the first one found
                    try locators.withUnsafeMutableBufferPointer { buffer in
                        try snapshot.withRows(table, rowIDs: wanted, locators: buffer.baseAddress!) { index, record in
                            let value = try record.value(at: 0)
                            #expect(value == .int(wanted[index]), "located row \(wanted[index])")
                        }
                    }
                }
                #expect(batch == [499: .int(499), 3: .int(3), 250: .int(250)], "batch read: \(batch)")
            }
            try expectSound(store)
            try store.close()
        }
    }
}
