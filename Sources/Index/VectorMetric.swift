import CVireoSupport

/// How two vectors are compared. Reported distances follow pgvector: `l2` is the
/// Euclidean distance (`<->`), `innerProduct` the negative inner product (`<#>`),
/// `cosine` 1 − cosine similarity (`<=>`). Smaller is always closer.
public enum VectorMetric: String, Sendable, CaseIterable, Codable {
    case l2
    case innerProduct = "ip"
    case cosine

    /// Parses `l2`, `ip`/`inner_product`, `cosine`; nil for anything else.
    public init?(name: String) {
        switch name.lowercased() {
        case "l2", "euclidean": self = .l2
        case "ip", "inner_product", "innerproduct", "dot": self = .innerProduct
        case "cosine", "cos": self = .cosine
        default: return nil
        }
    }

    /// Stable one-byte code used in serialized indexes.
    var code: UInt8 {
        switch self {
        case .l2: 0
        case .innerProduct: 1
        case .cosine: 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .l2
        case 1: self = .innerProduct
        case 2: self = .cosine
        default: return nil
        }
    }

    /// Whether stored vectors (and queries) are scaled to unit length first; cosine then
    /// becomes 1 − dot, which is cheaper than dividing by norms at every hop.
    var normalizesVectors: Bool { self == .cosine }

    /// The internal ordering distance between two prepared vectors: squared L2, −dot, or
    /// 1 − dot on unit vectors. Monotone in the reported distance.
    @inline(__always)
    func internalDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        switch self {
        case .l2: vireo_l2sq_f32(a, b, count)
        case .innerProduct: -vireo_dot_f32(a, b, count)
        case .cosine: 1 - vireo_dot_f32(a, b, count)
        }
    }

    /// Converts an internal distance to the pgvector-style distance callers see.
    @inline(__always)
    func reportedDistance(_ value: Float) -> Float {
        self == .l2 ? value.squareRoot() : value
    }

    /// The pgvector-style distance between two raw (unprepared) vectors.
    public func distance(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "distance of vectors with different dimensions")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                guard let x = pa.baseAddress, let y = pb.baseAddress else { return 0 }
                switch self {
                case .l2: return vireo_l2sq_f32(x, y, a.count).squareRoot()
                case .innerProduct: return -vireo_dot_f32(x, y, a.count)
                case .cosine: return vireo_cosine_distance_f32(x, y, a.count)
                }
            }
        }
    }
}

/// Scales `count` floats at `vector` to unit length in place; leaves a zero vector alone.
@inline(__always)
func normalizeInPlace(_ vector: UnsafeMutablePointer<Float>, count: Int) {
    let squared = vireo_dot_f32(vector, vector, count)
    guard squared > 0 else { return }
    let scale = 1 / squared.squareRoot()
    for i in 0..<count { vector[i] *= scale }
}
