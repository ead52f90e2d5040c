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
