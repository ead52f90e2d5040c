import VireoIndex
import VireoStorage

/// What an HNSW index holds for a column's value: a vector's or halfvec's floats, or a
/// bit(n)'s bits as n floats of 0 and 1.
///
/// Bits as 0/1 floats make pgvector's bit operator classes exact on the float graph: the
/// squared L2 distance of two 0/1 vectors is their Hamming distance (bit_hamming_ops
/// builds an l2 graph), and their dot product is the number of bits set in both, so
/// cosine, |a ∧ b| / √(|a|·|b|), ranks as Jaccard's |a ∧ b| / |a ∨ b| nearly does. A
/// bit_jaccard_ops search re-ranks its ef candidates by Jaccard distance itself
/// (`VectorScan.rerankExactly`). The price of bits held as floats is memory: 32 bits per bit.
enum IndexedVector {
    /// The floats the index holds for `value`; nil for NULL (no node) and other values.
    static func floats(_ value: Value) -> [Float]? {
        switch value {
        case .vector(let vector): vector
        case .text(let bits): bits.utf8.map { $0 == UInt8(ascii: "1") ? 1 : 0 }
        default: nil
        }
    }

    /// The dimension of an index over a column of `type`; nil for a type none covers.
    static func dimension(of type: ColumnType) -> Int? {
        switch type {
        case .bit(let length?, varying: false): length
        default:
            if case .vector(let dimension) = type.storageType { dimension } else { nil }
        }
    }

    /// The metric the graph measures with for an index definition's `metric` option.
    static func graphMetric(_ name: String) -> VectorMetric {
        switch name {
        case "hamming": .l2
        case "jaccard": .cosine
        default: VectorMetric(name: name) ?? .l2
        }
    }
}
