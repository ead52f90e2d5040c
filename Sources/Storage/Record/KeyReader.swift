// Reading side of the key format described in KeyCodec.swift. Each component's direction is
// read from its tag (a descending component's tag is inverted); every byte read is XORed
// with that direction's mask so the body decoders see ascending bytes. Never traps.

/// A cursor over an encoded key.
struct KeyReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    /// 0x00 while reading an ascending component, 0xFF while reading a descending one.
    private var mask: UInt8 = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func readComponent() throws -> Value {
        let rawTag = try nextByte()
        guard let tag = KeyCodec.Tag(rawValue: rawTag) ?? KeyCodec.Tag(rawValue: ~rawTag) else {
            throw Self.corrupt("unknown tag \(rawTag) at byte \(offset - 1)")
        }
        let outerMask = mask
        mask = outerMask ^ (KeyCodec.Tag(rawValue: rawTag) == nil ? 0xFF : 0x00)
        defer { mask = outerMask }
        switch tag {
        case .null: return .null
        case .bool: return .bool(try readBool())
        case .int: return .int(Int64(bitPattern: try readUInt64() ^ KeyCodec.signBit64))
        case .timestamp: return .timestamp(Int64(bitPattern: try readUInt64() ^ KeyCodec.signBit64))
        case .double: return .double(Self.double(fromOrdered: try readUInt64()))
        case .text: return .text(try readText())
        case .json: return .json(try readText())
        case .bytes: return .bytes(try readEscaped())
        case .vector: return .vector(try readVector())
        case .interval:
            let high = try readUInt64(), low = try readUInt64()
            let span = Int128(bitPattern: (UInt128(high) << 64 | UInt128(low)) ^ (UInt128(1) << 127))
            let day = Int128(Interval.microsPerDay)
            return .interval(Interval(days: Int32(clamping: span / day), micros: Int64(span % day)))
        case .array: return .array(try readArrayElements())
        case .numeric: return .numeric(try readNumeric())
        }
    }

    /// Reads a numeric body (see KeyCodec.swift): class, exponent, digits.
    private mutating func readNumeric() throws -> Numeric {
        let sign = try nextByte()
        switch sign {
        case 0x02: return .zero
        case 0x00: return .negativeInfinity
        case 0x04: return .infinity
        case 0x05: return .nan
        default: break
        }
        guard sign == 0x01 || sign == 0x03 else { throw Self.corrupt("numeric class \(sign)") }
        let inner: UInt8 = sign == 0x01 ? 0xFF : 0x00
        var exponentBits: UInt32 = 0
        for _ in 0..<4 { exponentBits = exponentBits << 8 | UInt32(try nextByte() ^ inner) }
        let exponent = Int(Int32(bitPattern: exponentBits ^ KeyCodec.signBit32))
        var digits: [UInt8] = []
        while true {
            let byte = try nextByte() ^ inner
            if byte == 0 { break }
            guard (1...10).contains(byte), digits.count < 200_000 else { throw Self.corrupt("numeric digit \(byte)") }
            digits.append(byte + 47)
        }
        let scale = digits.count - exponent
        var coefficient = Magnitude(decimalDigits: digits)
        if scale < 0 { coefficient = coefficient * .powerOfTen(-scale) }
        return Numeric(negative: sign == 0x01, coefficient: coefficient, scale: max(scale, 0))
    }

    /// Reads an array's elements up to its 0x00 terminator. Each element carries its own
    /// (inverted, in a descending component) tag, so `readComponent` reads it.
    private mutating func readArrayElements() throws -> [Value] {
        var elements: [Value] = []
        while true {
            guard offset < bytes.count else { throw Self.corrupt("truncated array at byte \(offset)") }
            switch bytes[offset] ^ mask {
            case 0x00: offset += 1; return elements
            case KeyCodec.nullElement: offset += 1; elements.append(.null)
            default: elements.append(try readComponent())
            }
        }
    }

    private mutating func nextByte() throws -> UInt8 {
        guard offset < bytes.count else { throw Self.corrupt("truncated at byte \(offset)") }
        defer { offset += 1 }
        return bytes[offset] ^ mask
    }

    private mutating func readBool() throws -> Bool {
        switch try nextByte() {
        case 0: return false
        case 1: return true
        case let other: throw Self.corrupt("bool byte \(other)")
        }
    }

    private mutating func readUInt64() throws -> UInt64 {
        var bits: UInt64 = 0
        for _ in 0..<8 { bits = bits << 8 | UInt64(try nextByte()) }
        return bits
    }

    private mutating func readText() throws -> String {
        let data = try readEscaped()
        guard let text = data.withUnsafeBytes({ UTF8Text.decode($0) }) else {
            throw Self.corrupt("text is not valid UTF-8")
        }
        return text
    }

    /// Reads an escaped, terminated byte string (0x00 0xFF is a zero byte, 0x00 0x00 the end).
    private mutating func readEscaped() throws -> [UInt8] {
        var data: [UInt8] = []
        while true {
            let byte = try nextByte()
            if byte != 0 {
                data.append(byte)
                continue
            }
            switch try nextByte() {
            case 0x00: return data
            case 0xFF: data.append(0)
            case let other: throw Self.corrupt("bad escape 0x00 \(other) at byte \(offset - 1)")
            }
        }
    }

    private mutating func readVector() throws -> [Float] {
        let data = try readEscaped()
        guard data.count % 4 == 0 else { throw Self.corrupt("vector of \(data.count) bytes") }
        return stride(from: 0, to: data.count, by: 4).map { start in
            let bits = data[start..<start + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return Self.float(fromOrdered: bits)
        }
    }

    static func double(fromOrdered bits: UInt64) -> Double {
        Double(bitPattern: bits & KeyCodec.signBit64 != 0 ? bits ^ KeyCodec.signBit64 : ~bits)
    }

    static func float(fromOrdered bits: UInt32) -> Float {
        Float(bitPattern: bits & KeyCodec.signBit32 != 0 ? bits ^ KeyCodec.signBit32 : ~bits)
    }

    private static func corrupt(_ detail: String) -> VireoError {
        VireoError(.corruption, "malformed key: \(detail)")
    }
}
