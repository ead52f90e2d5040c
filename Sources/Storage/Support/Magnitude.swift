/// An unsigned integer of any size: the coefficient of a `Numeric`. Limbs are base 2³²,
/// least significant first, with no high zero limbs (zero is no limbs).
public struct Magnitude: Sendable, Hashable, Comparable {
    private(set) var limbs: [UInt32]

    public init() { limbs = [] }

    public init(_ value: UInt64) {
        limbs = [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
        trim()
    }

    init(limbs: [UInt32]) {
        self.limbs = limbs
        trim()
    }

    public var isZero: Bool { limbs.isEmpty }

    /// Bytes the limbs take in memory.
    public var byteCount: Int { limbs.count * 4 }

    /// The value when it fits 64 bits.
    public var uint64: UInt64? {
        switch limbs.count {
        case 0: 0
        case 1: UInt64(limbs[0])
        case 2: UInt64(limbs[1]) << 32 | UInt64(limbs[0])
        default: nil
        }
    }

    private mutating func trim() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    public static func < (a: Magnitude, b: Magnitude) -> Bool { compare(a, b) < 0 }

    public static func compare(_ a: Magnitude, _ b: Magnitude) -> Int {
        if a.limbs.count != b.limbs.count { return a.limbs.count < b.limbs.count ? -1 : 1 }
        for index in stride(from: a.limbs.count - 1, through: 0, by: -1) where a.limbs[index] != b.limbs[index] {
            return a.limbs[index] < b.limbs[index] ? -1 : 1
        }
        return 0
    }

    public static func + (a: Magnitude, b: Magnitude) -> Magnitude {
        var result = [UInt32]()
        result.reserveCapacity(max(a.limbs.count, b.limbs.count) + 1)
        var carry: UInt64 = 0
        for index in 0..<max(a.limbs.count, b.limbs.count) {
            let sum = UInt64(a.limbs[safe: index]) + UInt64(b.limbs[safe: index]) + carry
            result.append(UInt32(truncatingIfNeeded: sum))
            carry = sum >> 32
        }
        if carry != 0 { result.append(UInt32(carry)) }
        return Magnitude(limbs: result)
    }

    /// `a - b`; `a` must be at least `b`.
    public static func - (a: Magnitude, b: Magnitude) -> Magnitude {
        precondition(compare(a, b) >= 0, "Magnitude subtraction below zero")
        var result = a.limbs
        var borrow: Int64 = 0
        for index in 0..<result.count {
            var difference = Int64(result[index]) - Int64(b.limbs[safe: index]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 1 << 32 }
            result[index] = UInt32(difference)
        }
        return Magnitude(limbs: result)
    }

    public static func * (a: Magnitude, b: Magnitude) -> Magnitude {
        if a.isZero || b.isZero { return Magnitude() }
        var result = [UInt32](repeating: 0, count: a.limbs.count + b.limbs.count)
        for i in 0..<a.limbs.count {
            var carry: UInt64 = 0
            let x = UInt64(a.limbs[i])
            for j in 0..<b.limbs.count {
                let product = x * UInt64(b.limbs[j]) + UInt64(result[i + j]) + carry
                result[i + j] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            result[i + b.limbs.count] = UInt32(carry)
        }
        return Magnitude(limbs: result)
    }

    /// `self * factor + addend` for small numbers, the step of decimal parsing and scaling.
    func multiplied(by factor: UInt32, adding addend: UInt32 = 0) -> Magnitude {
        var result = [UInt32]()
        result.reserveCapacity(limbs.count + 1)
        var carry = UInt64(addend)
        for limb in limbs {
            let product = UInt64(limb) * UInt64(factor) + carry
            result.append(UInt32(truncatingIfNeeded: product))
            carry = product >> 32
        }
        if carry != 0 { result.append(UInt32(carry)) }
        return Magnitude(limbs: result)
    }

    /// Division by a small divisor: quotient and remainder.
    func divided(by divisor: UInt32) -> (quotient: Magnitude, remainder: UInt32) {
        precondition(divisor != 0)
        var quotient = [UInt32](repeating: 0, count: limbs.count)
        var remainder: UInt64 = 0
        for index in stride(from: limbs.count - 1, through: 0, by: -1) {
            let current = remainder << 32 | UInt64(limbs[index])
            quotient[index] = UInt32(current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        return (Magnitude(limbs: quotient), UInt32(remainder))
    }

    /// Long division (Knuth's algorithm D): quotient and remainder. The divisor must not be zero.
    public func quotientAndRemainder(dividingBy divisor: Magnitude) -> (quotient: Magnitude, remainder: Magnitude) {
        precondition(!divisor.isZero, "Magnitude division by zero")
        if Magnitude.compare(self, divisor) < 0 { return (Magnitude(), self) }
        if divisor.limbs.count == 1 {
            let (quotient, remainder) = divided(by: divisor.limbs[0])
            return (quotient, Magnitude(UInt64(remainder)))
        }
        // Normalise so the divisor's top limb has its high bit set; each quotient limb's
        // estimate from the top two limbs is then at most two too large.
        let shift = UInt32(divisor.limbs.last!.leadingZeroBitCount)
        let v = divisor.shiftedLeft(shift).limbs
        var u = shiftedLeft(shift).limbs
        if u.count == limbs.count { u.append(0) }
        let n = v.count, m = u.count - n
        var quotient = [UInt32](repeating: 0, count: m)
        let base: UInt64 = 1 << 32
        for j in stride(from: m - 1, through: 0, by: -1) {
            let top = UInt64(u[j + n]) << 32 | UInt64(u[j + n - 1])
            var estimate = top / UInt64(v[n - 1])
            var rest = top % UInt64(v[n - 1])
            while estimate >= base || estimate * UInt64(v[n - 2]) > (rest << 32 | UInt64(u[j + n - 2])) {
                estimate -= 1
                rest += UInt64(v[n - 1])
                if rest >= base { break }
            }
            // u[j...j+n] -= estimate * v
            var borrow: Int64 = 0
            var carry: UInt64 = 0
            for i in 0..<n {
                let product = estimate * UInt64(v[i]) + carry
                carry = product >> 32
                let difference = Int64(u[i + j]) - Int64(product & 0xFFFF_FFFF) - borrow
                u[i + j] = UInt32(truncatingIfNeeded: difference)
                borrow = difference < 0 ? 1 : 0
            }
            let difference = Int64(u[j + n]) - Int64(carry) - borrow
            u[j + n] = UInt32(truncatingIfNeeded: difference)
            if difference < 0 {
                // The estimate was one too large: add the divisor back.
                estimate -= 1
                var carryBack: UInt64 = 0
                for i in 0..<n {
                    let sum = UInt64(u[i + j]) + UInt64(v[i]) + carryBack
                    u[i + j] = UInt32(truncatingIfNeeded: sum)
                    carryBack = sum >> 32
                }
                u[j + n] = UInt32(truncatingIfNeeded: UInt64(u[j + n]) + carryBack)
            }
            quotient[j] = UInt32(estimate)
        }
        let remainder = Magnitude(limbs: Array(u[0..<n])).shiftedRight(shift)
        return (Magnitude(limbs: quotient), remainder)
    }

    private func shiftedLeft(_ bits: UInt32) -> Magnitude {
        guard bits > 0 else { return self }
        var result = [UInt32]()
        result.reserveCapacity(limbs.count + 1)
        var carry: UInt32 = 0
        for limb in limbs {
            result.append(limb << bits | carry)
            carry = limb >> (32 - bits)
        }
        if carry != 0 { result.append(carry) }
        return Magnitude(limbs: result)
    }

    private func shiftedRight(_ bits: UInt32) -> Magnitude {
        guard bits > 0 else { return self }
        var result = limbs
        for index in 0..<result.count {
            let high = index + 1 < limbs.count ? limbs[index + 1] << (32 - bits) : 0
            result[index] = limbs[index] >> bits | high
        }
        return Magnitude(limbs: result)
    }

    /// The value as little-endian bytes without high zero bytes (none for zero).
    var littleEndianBytes: [UInt8] {
        var bytes = limbs.flatMap { limb in (0..<4).map { UInt8(truncatingIfNeeded: limb >> ($0 * 8)) } }
        while bytes.last == 0 { bytes.removeLast() }
        return bytes
    }

    init(littleEndianBytes bytes: some Collection<UInt8>) {
        var limbs = [UInt32](repeating: 0, count: (bytes.count + 3) / 4)
        for (index, byte) in bytes.enumerated() { limbs[index / 4] |= UInt32(byte) << ((index % 4) * 8) }
        self.init(limbs: limbs)
    }

    /// 10^exponent.
    public static func powerOfTen(_ exponent: Int) -> Magnitude {
        var result = Magnitude(1)
        var remaining = exponent
        while remaining >= 9 {
            result = result.multiplied(by: 1_000_000_000)
            remaining -= 9
        }
        var last: UInt32 = 1
        for _ in 0..<remaining { last *= 10 }
        return result.multiplied(by: last)
    }

    /// The value from decimal digits (ASCII '0'...'9' only; the caller checks).
    public init(decimalDigits digits: some Collection<UInt8>) {
        var result = Magnitude()
        var chunk: UInt32 = 0, chunkLength = 0
        for digit in digits {
            chunk = chunk * 10 + UInt32(digit &- 48)
            chunkLength += 1
            if chunkLength == 9 {
                result = result.multiplied(by: 1_000_000_000, adding: chunk)
                chunk = 0
                chunkLength = 0
            }
        }
        if chunkLength > 0 {
            var factor: UInt32 = 1
            for _ in 0..<chunkLength { factor *= 10 }
            result = result.multiplied(by: factor, adding: chunk)
        }
        self = result
    }

    /// The value in decimal digits, without leading zeros ("0" for zero).
    public var decimalString: String {
        if let small = uint64 { return String(small) }
        var chunks = [UInt32]()
        var rest = self
        while !rest.isZero {
            let (quotient, remainder) = rest.divided(by: 1_000_000_000)
            chunks.append(remainder)
            rest = quotient
        }
        var text = String(chunks.removeLast())
        for chunk in chunks.reversed() {
            let part = String(chunk)
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        return text
    }
}

private extension Array where Element == UInt32 {
    subscript(safe index: Int) -> UInt32 { index < count ? self[index] : 0 }
}
