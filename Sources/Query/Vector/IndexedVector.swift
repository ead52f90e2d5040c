import VireoIndex
import VireoStorage

/// What an HNSW index holds for a column's value: a vector's or halfvec's floats, a
/// sparsevec's dense floats, or a bit(n)'s bits as n floats of 0 and 1.
///
/// Bits as 0/1 floats make pgvector's bit operator classes exact on the float graph: the
/// squared L2 distance of two 0/1 vectors is their Hamming distance (bit_hamming_ops
/// builds an l2 graph), and their dot product is the number of bits set in both, so
/// cosine, |a ∧ b| / √(|a|·|b|), ranks as Jaccard's |a ∧ b| / |a ∨ b| nearly does. A
/// search of a metric the graph does not measure (jaccard on the cosine graph, l1 on the
/// l2 graph) re-ranks its ef candidates by the operator itself (`VectorScan.rerankExactly`).
/// The price of holding bits and sparse vectors dense is memory: 32 bits per bit, 4 bytes
/// per dimension.
enum IndexedVector {
    /// The most non-zero elements of a sparsevec an HNSW index takes, as in pgvector.
    static let sparseNonZeroMax = 1_000

    /// The floats the index holds for `value`; nil for NULL (no node) and other values.
    /// The texts a bit or sparsevec column stores tell themselves apart: a sparsevec's
    /// starts with `{`.
    static func floats(_ value: Value) -> [Float]? {
        switch value {
        case .vector(let vector): return vector
        case .text(let text) where text.hasPrefix("{"):
            guard let sparse = try? SparseVector(parsing: text) else { return nil }
            var dense = [Float](repeating: 0, count: sparse.dimension)
            for (index, element) in zip(sparse.indices, sparse.values) { dense[Int(index)] = element }
            return dense
        case .text(let bits): return bits.utf8.map { $0 == UInt8(ascii: "1") ? 1 : 0 }
        default: return nil
        }
    }

    /// pgvector's limit on what one row of a sparsevec index may hold (54000).
    static func checkIndexable(_ value: Value) throws {
        guard case .text(let text) = value, text.hasPrefix("{"),
              try SparseVector(parsing: text).indices.count > sparseNonZeroMax else { return }
        throw VireoError(.limitExceeded, "sparsevec cannot have more than \(sparseNonZeroMax) non-zero elements for hnsw index")
    }

    /// The dimension of an index over a column of `type`; nil for a type none covers.
    static func dimension(of type: ColumnType) -> Int? {
        switch type {
        case .bit(let length?, varying: false): length
        case .sparsevec(let dimension): dimension
        default:
            if case .vector(let dimension) = type.storageType { dimension } else { nil }
        }
    }

    /// The metric the graph measures with for an index definition's `metric` option.
    static func graphMetric(_ name: String) -> VectorMetric {
        switch name {
        case "hamming", "l1": .l2
        case "jaccard": .cosine
        default: VectorMetric(name: name) ?? .l2
        }
    }
}
