import VireoStorage

/// PostgreSQL's bit strings (`bit(n)`, `bit varying(n)`), held as `Value.text` of `0` and `1`
/// characters, and pgvector's functions on them: binary_quantize and the Hamming and Jaccard
/// distances (the `<~>` and `<%>` operators).
public enum BitString {
    /// PostgreSQL's bit input: binary digits, or after a leading `x` hexadecimal ones (4 bits
    /// each); a leading `b` (a `B'1010'` literal's form) is allowed. 22P02 for other characters.
    static func parse(_ text: String) throws -> String {
        var body = Substring(text)
        let hex = body.first == "x" || body.first == "X"
        if hex || body.first == "b" || body.first == "B" { body = body.dropFirst() }
        var bits = ""
        bits.reserveCapacity(body.count * (hex ? 4 : 1))
        for character in body {
            if !hex {
                guard character == "0" || character == "1" else {
                    throw VireoError(.invalidTextRepresentation, "\"\(character)\" is not a valid binary digit")
                }
                bits.append(character)
                continue
            }
            guard let digit = character.hexDigitValue, character.isASCII else {
                throw VireoError(.invalidTextRepresentation, "\"\(character)\" is not a valid hexadecimal digit")
            }
            for shift in [3, 2, 1, 0] { bits.append((digit >> shift) & 1 == 1 ? Character("1") : Character("0")) }
        }
        return bits
    }

    /// A bit string taking the type `bit(length)` or `bit varying(length)` as an assignment
    /// does: a bit(n) must have n bits (22026), a bit varying(n) at most n (22001).
    static func assigned(_ bits: String, length: Int?, varying: Bool) throws -> String {
        guard let length else { return bits }
        if varying, bits.count > length {
            throw VireoError(.stringDataRightTruncation, "bit string too long for type bit varying(\(length))")
        }
        if !varying, bits.count != length {
            throw VireoError(.stringDataLengthMismatch, "bit string length \(bits.count) does not match type bit(\(length))")
        }
        return bits
    }

    /// An explicit cast to `bit(length)` (cut or padded with zeros on the right) or
    /// `bit varying(length)` (cut), as PostgreSQL's length coercion does.
    static func resized(length: Int, varying: Bool) -> ScalarFunction {
        ScalarFunction(varying ? "varbit" : "bit", 1...1, [.bit(nil, varying: varying)], returns: .bit(length, varying: varying)) { arguments in
            let bits = Functions.string(arguments[0])
            if bits.count > length { return .text(String(bits.prefix(length))) }
            return .text(varying ? bits : bits + String(repeating: "0", count: length - bits.count))
        }
    }

    /// pgvector's binary_quantize: 1 for each element above zero, else 0.
    static func quantized(_ vector: [Float]) -> String {
        String(vector.map { $0 > 0 ? Character("1") : Character("0") })
    }

    /// The number of positions where the bits differ (pgvector's hamming_distance).
    static func hammingDistance(_ a: String, _ b: String) throws -> Double {
        try checkSameLength(a, b)
        return Double(zip(a.utf8, b.utf8).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) })
    }

    /// 1 − |a ∧ b| / |a ∨ b| over the set bits; 1 when no bit is set in both (pgvector's
    /// jaccard_distance).
    static func jaccardDistance(_ a: String, _ b: String) throws -> Double {
        try checkSameLength(a, b)
        let one = UInt8(ascii: "1")
        var (both, inA, inB) = (0, 0, 0)
        for (x, y) in zip(a.utf8, b.utf8) {
            if x == one { inA += 1 }
            if y == one { inB += 1 }
            if x == one && y == one { both += 1 }
        }
        if both == 0 { return 1 }
        return 1 - Double(both) / Double(inA + inB - both)
    }

    private static func checkSameLength(_ a: String, _ b: String) throws {
        guard a.utf8.count == b.utf8.count else {
            throw VireoError(.dataException, "different bit lengths \(a.utf8.count) and \(b.utf8.count)")
        }
    }

    /// `&`, `|`, `#` of two bit strings of one length (22026 otherwise, as PostgreSQL words it).
    static func bitwise(_ op: BinaryOperator) -> ScalarFunction {
        let (name, verb): (String, String) = switch op {
        case .bitAnd: ("bitand", "AND")
        case .bitOr: ("bitor", "OR")
        default: ("bitxor", "XOR")
        }
        return ScalarFunction(name, 2...2, [.bit(nil, varying: false)], returns: .bit(nil, varying: false)) { arguments in
            let (a, b) = (Array(Functions.string(arguments[0]).utf8), Array(Functions.string(arguments[1]).utf8))
            guard a.count == b.count else {
                throw VireoError(.stringDataLengthMismatch, "cannot \(verb) bit strings of different sizes")
            }
            let one = UInt8(ascii: "1")
            return .text(String(zip(a, b).map { x, y in
                let set = switch op {
                case .bitAnd: x == one && y == one
                case .bitOr: x == one || y == one
                default: (x == one) != (y == one)
                }
                return set ? Character("1") : Character("0")
            }))
        }
    }

    /// `~b`: every bit flipped.
    static let not = ScalarFunction("bitnot", 1...1, [.bit(nil, varying: false)], returns: .bit(nil, varying: false)) { arguments in
        .text(String(Functions.string(arguments[0]).map { $0 == "1" ? Character("0") : Character("1") }))
    }

    /// `b << n` and `b >> n`: the bits moved, zeros shifted in, the length kept (a negative
    /// count shifts the other way), as PostgreSQL's bitshiftleft and bitshiftright.
    static func shift(left: Bool) -> ScalarFunction {
        ScalarFunction(left ? "bitshiftleft" : "bitshiftright", 2...2, [.bit(nil, varying: false), .integer],
                       returns: .bit(nil, varying: false)) { arguments in
            let bits = Array(Functions.string(arguments[0]))
            guard case .int(let count) = arguments[1] else { return .null }
            let leftward = (count >= 0) == left
            let distance = Int(min(count.magnitude, UInt64(bits.count)))
            let zeros = Array(repeating: Character("0"), count: distance)
            return .text(String(leftward ? Array(bits.dropFirst(distance)) + zeros : zeros + bits.dropLast(distance)))
        }
    }

    /// `b::integer` / `b::bigint`: the bits as a two's complement number of the type's width,
    /// the leftmost bit the highest (22003 for more bits than the width).
    static func toInteger(_ type: SQLType) -> ScalarFunction {
        let width = type == .integer ? 32 : 64
        return ScalarFunction(type == .integer ? "bittoint4" : "bittoint8", 1...1, [.bit(nil, varying: false)], returns: type) { arguments in
            let bits = Functions.string(arguments[0]).utf8
            guard bits.count <= width else {
                throw VireoError(.numericOutOfRange, type == .integer ? "integer out of range" : "bigint out of range")
            }
            let pattern = bits.reduce(UInt64(0)) { $0 << 1 | ($1 == UInt8(ascii: "1") ? 1 : 0) }
            return .int(width == 32 ? Int64(Int32(truncatingIfNeeded: pattern)) : Int64(bitPattern: pattern))
        }
    }

    /// `n::bit(length)`: the integer's low `length` bits of its type's width (int4 for
    /// smallint), sign-extended on the left beyond that width, as PostgreSQL's bitfromint4/8.
    static func fromInteger(_ type: SQLType, length: Int) -> ScalarFunction {
        let width = type == .int ? 64 : 32
        return ScalarFunction("bitfromint", 1...1, [type], returns: .bit(length, varying: false)) { arguments in
            guard case .int(let number) = arguments[0] else { return .null }
            let value = width == 32 ? Int64(Int32(truncatingIfNeeded: number)) : number
            return .text(String((0..<length).reversed().map { position -> Character in
                let shift = min(position, width - 1)  // beyond the width: the sign bit repeats
                return (value >> shift) & 1 == 1 ? "1" : "0"
            }))
        }
    }

    /// `position(needle IN haystack)` of bit strings (haystack first, as strpos): as text's,
    /// but nothing is found in an empty string, not even the empty one (PostgreSQL's bitposition).
    static let position = ScalarFunction("position", 2...2, [.bit(nil, varying: false)], returns: .integer) { arguments in
        Functions.string(arguments[0]).isEmpty ? .int(0) : try Functions.textPosition(arguments)
    }

    /// get_bit(b, n): bit n, counted from 0 at the left (2202E outside the string).
    static let getBit = ScalarFunction("get_bit", 2...2, [.bit(nil, varying: false), .integer], returns: .integer) { arguments in
        let bits = Array(Functions.string(arguments[0]).utf8)
        let index = try bitIndex(arguments[1], count: bits.count)
        return .int(bits[index] == UInt8(ascii: "1") ? 1 : 0)
    }

    /// set_bit(b, n, v): bit n set to v (0 or 1, else 22023).
    static let setBit = ScalarFunction("set_bit", 3...3, [.bit(nil, varying: false), .integer, .integer],
                                       returns: .bit(nil, varying: false)) { arguments in
        var bits = Array(Functions.string(arguments[0]))
        let index = try bitIndex(arguments[1], count: bits.count)
        guard case .int(let value) = arguments[2], value == 0 || value == 1 else {
            throw VireoError(.invalidParameter, "new bit must be 0 or 1")
        }
        bits[index] = value == 1 ? "1" : "0"
        return .text(String(bits))
    }

    private static func bitIndex(_ value: Value, count: Int) throws -> Int {
        guard case .int(let index) = value, index >= 0, index < count else {
            throw VireoError(.arraySubscriptError, "bit index \(Functions.string(value)) out of valid range (0..\(count - 1))")
        }
        return Int(index)
    }

    /// The functions of text that PostgreSQL also defines on bit strings, by name: a bit
    /// string's length is its bit count, its octet_length the bytes that hold them.
    static let measures: [String: ScalarFunction] = [
        "bit_count": ScalarFunction("bit_count", 1...1, [.bit(nil, varying: false)], returns: .int) { arguments in
            .int(Int64(Functions.string(arguments[0]).utf8.filter { $0 == UInt8(ascii: "1") }.count))
        },
        "length": ScalarFunction("length", 1...1, [.bit(nil, varying: false)], returns: .integer) { arguments in
            .int(Int64(Functions.string(arguments[0]).utf8.count))
        },
        "bit_length": ScalarFunction("bit_length", 1...1, [.bit(nil, varying: false)], returns: .integer) { arguments in
            .int(Int64(Functions.string(arguments[0]).utf8.count))
        },
        "octet_length": ScalarFunction("octet_length", 1...1, [.bit(nil, varying: false)], returns: .integer) { arguments in
            .int(Int64((Functions.string(arguments[0]).utf8.count + 7) / 8))
        },
        "get_bit": getBit,
        "set_bit": setBit,
    ]

    static let functions: [ScalarFunction] = [
        ScalarFunction("binary_quantize", 1...1, [.vector(nil)], returns: .bit(nil, varying: false)) { arguments in
            guard case .vector(let vector) = arguments[0] else { throw VireoError(.typeMismatch, "binary_quantize takes a vector") }
            return .text(quantized(vector))
        },
        ScalarFunction("hamming_distance", 2...2, [.bit(nil, varying: false)], returns: .double) { arguments in
            .double(try hammingDistance(Functions.string(arguments[0]), Functions.string(arguments[1])))
        },
        ScalarFunction("jaccard_distance", 2...2, [.bit(nil, varying: false)], returns: .double) { arguments in
            .double(try jaccardDistance(Functions.string(arguments[0]), Functions.string(arguments[1])))
        },
    ]
}
