import Testing
@testable import VireoStorage

/// The order keys must reproduce: NULL first; doubles with -0.0 == 0.0 and every NaN equal
/// and above +infinity; text, JSON and bytes by their bytes (COLLATE "C"); vectors element by
/// element, a prefix first. Only values of one kind are compared with each other.
func naturalOrder(_ left: Value, _ right: Value) -> Int {
    switch (left, right) {
    case (.null, .null): return 0
    case (.null, _): return -1
    case (_, .null): return 1
    case (.bool(let a), .bool(let b)): return compare(a ? 1 : 0, b ? 1 : 0)
    case (.int(let a), .int(let b)), (.timestamp(let a), .timestamp(let b)): return compare(a, b)
    case (.double(let a), .double(let b)): return compareTotal(a, b)
    case (.text(let a), .text(let b)), (.json(let a), .json(let b)): return compareBytes(Array(a.utf8), Array(b.utf8))
    case (.bytes(let a), .bytes(let b)): return compareBytes(a, b)
    case (.vector(let a), .vector(let b)):
        for (x, y) in zip(a, b) where compareTotal(Double(x), Double(y)) != 0 { return compareTotal(Double(x), Double(y)) }
        return compare(a.count, b.count)
    default: preconditionFailure("test compares values of different kinds: \(left) and \(right)")
    }
}

func naturalOrder(_ left: [Value], _ right: [Value], descending: [Bool]) -> Int {
    for (index, (a, b)) in zip(left, right).enumerated() {
        let order = naturalOrder(a, b)
        if order != 0 { return descending[index] ? -order : order }
    }
    return compare(left.count, right.count)
}

func compare<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a > b ? 1 : 0) }

func compareTotal(_ a: Double, _ b: Double) -> Int {
    switch (a.isNaN, b.isNaN) {
    case (true, true): 0
    case (true, false): 1
    case (false, true): -1
    case (false, false): compare(a, b)
    }
}

func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.lexicographicallyPrecedes(b) ? -1 : (b.lexicographicallyPrecedes(a) ? 1 : 0)
}

@Suite("KeyCodec")
struct KeyCodecTests {
    @Test("every type round trips, ascending and descending, alone and in tuples")
    func roundTrip() throws {
        let values: [Value] = [
            .null, .bool(false), .bool(true), .int(.min), .int(-1), .int(0), .int(.max),
            .double(-.infinity), .double(-1.5), .double(0), .double(.greatestFiniteMagnitude), .double(.infinity),
            .text(""), .text("a\0b\0"), .text("😀 é"), .bytes([]), .bytes([0, 0, 0xFF, 0]), .json("{\"k\":1}"),
            .timestamp(.min), .timestamp(1_700_000_000_000_000), .vector([]), .vector([0, -2, .infinity, 1e-30]),
        ]
        for descending in [false, true] {
            for value in values {
                var bytes: [UInt8] = []
                KeyCodec.append(value, descending: descending, to: &bytes)
                let decoded = try KeyCodec.decode(bytes)
                #expect(sameBits(decoded, [value]), "descending \(descending): expected \(value), got \(decoded)")
            }
            let flags = values.indices.map { $0 % 2 == 0 ? descending : !descending }
            let decoded = try KeyCodec.decode(KeyCodec.encode(values, descending: flags))
            #expect(sameBits(decoded, values), "tuple: expected \(describe(values)), got \(describe(decoded))")
        }
    }

    @Test("-0.0 encodes like 0.0, every NaN like one NaN above +infinity")
    func doubleNormalisation() throws {
        #expect(KeyCodec.encode([.double(-0.0)]) == KeyCodec.encode([.double(0.0)]), "-0.0 and 0.0 keys differ")
        let nan = KeyCodec.encode([.double(.nan)])
        for other in [-Double.nan, .signalingNaN, Double(bitPattern: 0xFFF0_0000_0000_0001)] {
            #expect(KeyCodec.encode([.double(other)]) == nan, "NaN with bits \(other.bitPattern) encodes differently")
        }
        #expect(KeyCodec.encode([.double(.infinity)]).lexicographicallyPrecedes(nan), "NaN should sort after +infinity")
        let decoded = try KeyCodec.decode(nan)
        guard case .double(let back) = decoded.first, back.isNaN else {
            Issue.record("expected a NaN back, got \(decoded)")
            return
        }
    }

    @Test("text with embedded NULs and prefixes sorts by bytes, also as a tuple's first column")
    func embeddedNulsAndPrefixes() {
        let ordered = ["", "\0", "\0\0", "\0a", "a", "a\0", "a\0\0", "a\u{1}", "ab", "b"]
        for (smaller, larger) in zip(ordered, ordered.dropFirst()) {
            for suffix: [Value] in [[], [.int(.max)], [.text("zzz")]] {
                let small = KeyCodec.encode([.text(smaller)] + suffix)
                let large = KeyCodec.encode([.text(larger)] + [.null])
                #expect(small.lexicographicallyPrecedes(large), "expected \(smaller.debugDescription)+\(suffix) < \(larger.debugDescription)+NULL")
            }
        }
    }

    @Test("NULL sorts before every value ascending and after every value descending")
    func nullFirst() {
        var generator = CodecValueGenerator(random: CodecTestRandom(seed: 0x1111))
        for kind in CodecTestKind.allCases {
            for _ in 0..<20 {
                let value = generator.value(kind, nullPercent: 0)
                let null = KeyCodec.encode([.null]), key = KeyCodec.encode([value])
                #expect(null.lexicographicallyPrecedes(key), "ascending: NULL should precede \(value)")
                let nullDown = KeyCodec.encode([.null], descending: [true]), keyDown = KeyCodec.encode([value], descending: [true])
                #expect(keyDown.lexicographicallyPrecedes(nullDown), "descending: \(value) should precede NULL")
            }
        }
    }

    @Test("memcmp order of keys equals the values' natural order for random pairs of every kind")
    func orderPropertySingle() {
        let seed: UInt64 = 0x0DE2
        var generator = CodecValueGenerator(random: CodecTestRandom(seed: seed))
        for kind in CodecTestKind.allCases {
            for _ in 0..<400 {
                let left = generator.value(kind), right = generator.value(kind)
                let expected = naturalOrder(left, right)
                let got = compareBytes(KeyCodec.encode([left]), KeyCodec.encode([right]))
                #expect(got == expected, "seed \(seed): \(left) vs \(right): expected \(expected), got \(got)")
            }
        }
    }

    @Test("memcmp order of tuple keys equals lexicographic tuple order, with descending columns")
    func orderPropertyTuples() {
        let seed: UInt64 = 0x7091E
        var generator = CodecValueGenerator(random: CodecTestRandom(seed: seed))
        for _ in 0..<300 {
            let schema = (0..<Int.random(in: 1...4, using: &generator.random)).map { _ in
                CodecTestKind.allCases.randomElement(using: &generator.random) ?? .int
            }
            let descending = schema.map { _ in Int.random(in: 0..<4, using: &generator.random) == 0 }
            for _ in 0..<10 {
                let left = schema.map { generator.value($0, nullPercent: 20) }
                let right = schema.map { generator.value($0, nullPercent: 20) }
                let expected = naturalOrder(left, right, descending: descending)
                let got = compareBytes(KeyCodec.encode(left, descending: descending), KeyCodec.encode(right, descending: descending))
                #expect(got == expected, "seed \(seed): \(left) vs \(right) desc \(descending): expected \(expected), got \(got)")
            }
        }
    }

    @Test("row ids are 8 bytes that sort like the integers and round trip")
    func rowIDs() throws {
        let ids: [Int64] = [.min, .min + 1, -1, 0, 1, 1 << 40, .max]
        for (smaller, larger) in zip(ids, ids.dropFirst()) {
            #expect(KeyCodec.encodeRowID(smaller, form: .fixed).lexicographicallyPrecedes(KeyCodec.encodeRowID(larger, form: .fixed)), "\(smaller) should sort before \(larger)")
        }
        for id in ids {
            let bytes = KeyCodec.encodeRowID(id, form: .fixed)
            #expect(bytes.count == 8, "expected 8 bytes, got \(bytes.count)")
            let back = try KeyCodec.decodeRowID(bytes, form: .fixed)
            #expect(back == id, "expected \(id), got \(back)")
        }
        #expect(throws: VireoError.self) { try KeyCodec.decodeRowID([1, 2, 3], form: .fixed) }
    }

    @Test("decodePrefix splits a secondary-index key from the row id after it")
    func decodePrefixThenRowID() throws {
        var key = KeyCodec.encode([.text("a\0b"), .int(-4)], descending: [false, true])
        let prefixBytes = key.count
        KeyCodec.appendRowID(42, form: .fixed, to: &key)
        let (values, byteCount) = try key.withUnsafeBytes { try KeyCodec.decodePrefix($0, count: 2) }
        #expect(values == [.text("a\0b"), .int(-4)], "expected the two components, got \(values)")
        #expect(byteCount == prefixBytes, "expected \(prefixBytes) bytes, got \(byteCount)")
        let id = try key.withUnsafeBytes { try KeyCodec.decodeRowID(UnsafeRawBufferPointer(rebasing: $0[byteCount...]), form: .fixed) }
        #expect(id == 42, "expected row id 42, got \(id)")
    }

    @Test("prefixUpperBound bounds exactly the keys starting with the prefix")
    func prefixUpperBound() {
        let prefix = KeyCodec.encode([.int(5)])
        guard let bound = KeyCodec.prefixUpperBound(prefix) else {
            Issue.record("expected a bound for \(prefix)")
            return
        }
        let inside = KeyCodec.encode([.int(5), .vector([.infinity, .nan])])
        let outside = KeyCodec.encode([.int(6), .null])
        #expect(inside.lexicographicallyPrecedes(bound) && !outside.lexicographicallyPrecedes(bound), "bound \(bound)")
        #expect(KeyCodec.prefixUpperBound([0x01, 0xFF, 0xFF]) == [0x02], "trailing 0xFF bytes should be dropped")
        #expect(KeyCodec.prefixUpperBound([0xFF]) == nil && KeyCodec.prefixUpperBound([]) == nil, "no bound exists")
    }

    @Test("a truncated single-component key throws corruption")
    func truncationsThrow() {
        var generator = CodecValueGenerator(random: CodecTestRandom(seed: 0x5407))
        for kind in CodecTestKind.allCases {
            for descending in [false, true] {
                let key = KeyCodec.encode([generator.value(kind, nullPercent: 0)], descending: [descending])
                for length in 1..<key.count {
                    let result = key.withUnsafeBytes { whole in Result { try KeyCodec.decode(UnsafeRawBufferPointer(rebasing: whole[..<length])) } }
                    guard case .failure(let failure) = result else {
                        Issue.record("prefix of \(length)/\(key.count) bytes of \(key) decoded; expected an error")
                        continue
                    }
                    #expect((failure as? VireoError)?.code == .corruption, "expected corruption, got \(failure)")
                }
            }
        }
    }

    @Test("random bytes never trap the key decoder")
    func garbageNeverTraps() {
        let seed: UInt64 = 0xF00D
        var random = CodecTestRandom(seed: seed)
        let tags: [UInt8] = [0x01, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80]
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = (0..<Int.random(in: 0...24, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if !bytes.isEmpty, let tag = tags.randomElement(using: &random) {
                bytes[0] = Bool.random(using: &random) ? tag : ~tag  // start with a real tag more often
            }
            if (try? KeyCodec.decode(bytes)) != nil { accepted += 1 }
            _ = bytes.withUnsafeBytes { try? KeyCodec.decodePrefix($0, count: 3) }
            _ = try? KeyCodec.decodeRowID(bytes, form: .fixed)
        }
        print("seed \(seed): \(accepted) of 3000 random keys decoded as valid keys")
    }
}
