import Foundation
import VireoStorage

/// pgvector's `sparsevec`: a dimension and its non-zero elements, indices 0-based and
/// ascending, values finite and not zero. Vireo keeps a sparsevec value as its text form
/// (`{1:1.5,3:2}/5`, indices 1-based), which is canonical: equal vectors have equal texts.
/// The distances accumulate in float32, as pgvector's do, so they give its digits.
public struct SparseVector: Sendable, Equatable {
    /// pgvector's limits: dimensions, and non-zero elements.
    public static let dimensionsMax = 1_000_000_000
    public static let nonZeroMax = 16_000

    public private(set) var dimension: Int
    /// 0-based, ascending, distinct, each below `dimension`.
    public private(set) var indices: [Int32]
    /// Non-zero and finite, one per index.
    public private(set) var values: [Float]

    /// A checked vector (pgvector's CheckDim, CheckNnz, CheckIndex, CheckElement).
    init(dimension: Int, indices: [Int32], values: [Float]) throws {
        try Self.checkDimension(dimension)
        guard indices.count <= Self.nonZeroMax else {
            throw VireoError(.limitExceeded, "sparsevec cannot have more than \(Self.nonZeroMax) non-zero elements")
        }
        guard indices.count <= dimension else {
            throw VireoError(.limitExceeded, "sparsevec cannot have more elements than dimensions")
        }
        for position in indices.indices { try Self.checkIndex(indices, position, dimension: dimension) }
        for value in values { try Self.checkElement(value) }
        self.dimension = dimension
        self.indices = indices
        self.values = values
    }

    /// The non-zero elements of a dense vector (pgvector's vector_to_sparsevec).
    public init(dense: [Float]) throws {
        let nonZero = dense.indices.filter { dense[$0] != 0 }
        try self.init(dimension: dense.count, indices: nonZero.map { Int32($0) }, values: nonZero.map { dense[$0] })
    }

    /// The dense vector (pgvector's sparsevec_to_vector): 54000 past a vector's dimensions.
    public var dense: [Float] {
        get throws {
            guard dimension <= VectorText.dimensionsMax else {
                throw VireoError(.limitExceeded, "vector cannot have more than \(VectorText.dimensionsMax) dimensions")
            }
            var result = [Float](repeating: 0, count: dimension)
            for (index, value) in zip(indices, values) { result[Int(index)] = value }
            return result
        }
    }

    /// The text form, each value in its shortest exact spelling.
    public var text: String {
        let elements = zip(indices, values).map { "\($0 + 1):\(VectorText.formatElement($1))" }
        return "{" + elements.joined(separator: ",") + "}/\(dimension)"
    }

    /// Checks the declared dimension of a `sparsevec(n)` (pgvector's typmod check).
    public func check(dimension declared: Int?) throws { try Self.check(dimension, declared: declared) }

    static func check(_ dimension: Int, declared: Int?) throws {
        guard let declared, declared != dimension else { return }
        throw VireoError(.dataException, "expected \(declared) dimensions, not \(dimension)")
    }

    static func checkDimension(_ dimension: Int) throws {
        guard dimension >= 1 else { throw VireoError(.dataException, "sparsevec must have at least 1 dimension") }
        guard dimension <= dimensionsMax else {
            throw VireoError(.limitExceeded, "sparsevec cannot have more than \(dimensionsMax) dimensions")
        }
    }

    static func checkIndex(_ indices: [Int32], _ position: Int, dimension: Int) throws {
        let index = indices[position]
        guard index >= 0, Int(index) < dimension else { throw VireoError(.dataException, "sparsevec index out of bounds") }
        guard position > 0 else { return }
        if index < indices[position - 1] { throw VireoError(.dataException, "sparsevec indices must be in ascending order") }
        if index == indices[position - 1] { throw VireoError(.dataException, "sparsevec indices must not contain duplicates") }
    }

    static func checkElement(_ value: Float) throws {
        if value.isNaN { throw VireoError(.dataException, "NaN not allowed in sparsevec") }
        if value.isInfinite { throw VireoError(.dataException, "infinite value not allowed in sparsevec") }
    }
}

// MARK: Distances, norms, order

extension SparseVector {
    func checkSameDimension(_ other: SparseVector) throws {
        guard dimension == other.dimension else {
            throw VireoError(.dataException, "different sparsevec dimensions \(dimension) and \(other.dimension)")
        }
    }

    /// Calls `body` for each index set in either vector, ascending, with both values (0 where unset).
    private func merged(_ other: SparseVector, _ body: (Float, Float) -> Void) {
        var i = 0, j = 0
        while i < indices.count || j < other.indices.count {
            let a = i < indices.count ? indices[i] : Int32.max, b = j < other.indices.count ? other.indices[j] : Int32.max
            if a == b {
                body(values[i], other.values[j])
                (i, j) = (i + 1, j + 1)
            } else if a < b {
                body(values[i], 0)
                i += 1
            } else {
                body(0, other.values[j])
                j += 1
            }
        }
    }

    /// The distance `op` (`<->`, `<#>`, `<=>`, `<+>`) between two sparse vectors of one dimension.
    public func distance(_ op: BinaryOperator, _ other: SparseVector) throws -> Double {
        try checkSameDimension(other)
        switch op {
        case .l2Distance: return Double(squaredDistance(other)).squareRoot()
        case .negativeInnerProduct: return Double(-innerProduct(other))
        case .cosineDistance: return cosineDistance(other)
        default:
            var distance: Float = 0
            merged(other) { distance += abs($0 - $1) }
            return Double(distance)
        }
    }

    func squaredDistance(_ other: SparseVector) -> Float {
        var distance: Float = 0
        merged(other) { distance += ($0 - $1) * ($0 - $1) }
        return distance
    }

    func innerProduct(_ other: SparseVector) -> Float {
        var product: Float = 0
        merged(other) { product += $0 * $1 }
        return product
    }

    /// 1 − cosine similarity, the similarity kept in [−1, 1]; NaN for a zero vector.
    private func cosineDistance(_ other: SparseVector) -> Double {
        let normA = values.reduce(Float(0)) { $0 + $1 * $1 }, normB = other.values.reduce(Float(0)) { $0 + $1 * $1 }
        let similarity = Double(innerProduct(other)) / (Double(normA) * Double(normB)).squareRoot()
        if similarity.isNaN { return .nan }
        return 1 - min(1, max(-1, similarity))
    }

    /// The Euclidean norm, accumulated in double (pgvector's sparsevec_l2_norm).
    public var norm: Double { values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

    /// Scaled to unit length (zero stays zero; elements that become zero are dropped);
    /// 22003 when an element overflows.
    public func normalized() throws -> SparseVector {
        let norm = self.norm
        guard norm > 0 else { return self }
        var result = self
        result.values = values.map { Float(Double($0) / norm) }
        if result.values.contains(where: \.isInfinite) { throw VireoError(.numericOutOfRange, "value out of range: overflow") }
        let kept = result.values.indices.filter { result.values[$0] != 0 }
        result.indices = kept.map { indices[$0] }
        result.values = kept.map { result.values[$0] }
        return result
    }

    /// pgvector's sparsevec_cmp: values first, as arrays compare, then dimensions.
    public func compare(_ other: SparseVector) -> Int {
        let shared = min(indices.count, other.indices.count)
        for i in 0..<shared {
            if indices[i] < other.indices[i] { return values[i] < 0 ? -1 : 1 }
            if indices[i] > other.indices[i] { return other.values[i] < 0 ? 1 : -1 }
            if values[i] != other.values[i] { return values[i] < other.values[i] ? -1 : 1 }
        }
        if indices.count < other.indices.count, Int(other.indices[shared]) < dimension { return other.values[shared] < 0 ? 1 : -1 }
        if indices.count > other.indices.count, Int(indices[shared]) < other.dimension { return values[shared] < 0 ? -1 : 1 }
        return dimension == other.dimension ? 0 : dimension < other.dimension ? -1 : 1
    }
}
