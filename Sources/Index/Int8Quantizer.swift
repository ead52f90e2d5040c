import CVireoSupport

/// How an HNSW index stores the vectors its graph search reads.
public enum VectorQuantization: String, Sendable, CaseIterable {
    /// float32 in the level-0 records (the default).
    case none
    /// int8 codes in the level-0 records (a quarter of the bytes read per hop, a quarter of
    /// the memory); no float32 copy is kept: every search re-ranks its best candidates by
    /// the float vectors its `VectorSource` reads (in the SQL engine, the table's rows).
    case int8
    /// One bit per dimension (signs of the vector minus a learned centre, see
    /// `BinaryQuantizer`): a 32nd of float32's bytes. Like int8, no float copy; every search
    /// re-ranks its best candidates (more of them than int8) from its `VectorSource`.
    case binary

    var code: UInt8 {
        switch self {
        case .none: 0
        case .int8: 1
        case .binary: 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .none
        case 1: self = .int8
        case 2: self = .binary
        default: return nil
        }
    }
}

/// Symmetric per-vector int8 quantization: x ≈ scale · c with c in −127…127 and
/// scale = max|xᵢ| / 127. Needs no training, so vectors can arrive one at a time, and
/// a · b ≈ scaleₐ · scale_b · Σ cₐ c_b is an exact integer dot product.
enum Int8Quantizer {
    /// Writes the codes of `vector`; returns its scale and exact squared norm.
    static func encode(_ vector: UnsafePointer<Float>, count: Int, into codes: UnsafeMutablePointer<Int8>) -> (Float, Float) {
        var largest: Float = 0
        for i in 0..<count { largest = max(largest, abs(vector[i])) }
        let scale = largest / 127
        let inverse = scale > 0 ? 1 / scale : 0
        for i in 0..<count {
            codes[i] = Int8(max(-127, min(127, (vector[i] * inverse).rounded())))
        }
        return (scale, vireo_dot_f32(vector, vector, count))
    }
}
