import COpenBLAS
import CVireoSupport
import Dispatch

/// A read-only row-major float32 matrix in caller-owned memory: `rowCount` rows of
/// `dimension` floats whose starts are `rowStride` floats apart (rowStride ≥ dimension,
/// so rows may sit inside larger records, as HNSW's level-0 records do).
public struct MatrixView: @unchecked Sendable {
    /// First float of row 0.
    public let base: UnsafePointer<Float>
    /// Number of rows.
    public let rowCount: Int
    /// Floats per row.
    public let dimension: Int
    /// Floats from the start of one row to the start of the next.
    public let rowStride: Int

    /// Wraps memory the caller keeps alive for as long as the view is used.
    public init(base: UnsafePointer<Float>, rowCount: Int, dimension: Int, rowStride: Int? = nil) {
        precondition(dimension > 0 && rowCount >= 0, "matrix needs a positive dimension")
        self.base = base
        self.rowCount = rowCount
        self.dimension = dimension
        self.rowStride = rowStride ?? dimension
        precondition(self.rowStride >= dimension, "row stride shorter than a row")
    }

    @inline(__always)
    func row(_ i: Int) -> UnsafePointer<Float> { base + i * rowStride }
}

/// Exact (brute-force) nearest neighbours through OpenBLAS: distances come from
/// `sgemm` (batches) or `sgemv` (one query) over blocks of rows plus precomputed row
/// norms, and a bounded heap per query keeps the best k. Memory stays bounded by
/// `queryBlockMax × rowBlockMax` floats whatever the input size.
public enum ExactSearch {
    /// One result: the row's label (its row index unless the caller maps it) and its
    /// pgvector-style distance.
    public typealias Neighbor = (label: Int64, distance: Float)

    static let rowBlockMax = 4096
    static let queryBlockMax = 512

    /// The per-row term each metric needs next to the dot product: |x|² for L2,
    /// 1/|x| for cosine (0 for a zero row), nothing for inner product.
    public static func rowTerms(_ matrix: MatrixView, metric: VectorMetric) -> [Float] {
        guard metric != .innerProduct else { return [] }
        var terms = [Float](repeating: 0, count: matrix.rowCount)
        for i in 0..<matrix.rowCount {
            terms[i] = rowTerm(matrix.row(i), matrix.dimension, metric)
        }
        return terms
    }

    @inline(__always)
    static func rowTerm(_ row: UnsafePointer<Float>, _ dimension: Int, _ metric: VectorMetric) -> Float {
        let squared = vireo_dot_f32(row, row, dimension)
        switch metric {
        case .l2: return squared
        case .cosine: return squared > 0 ? 1 / squared.squareRoot() : 0
        case .innerProduct: return 0
        }
    }

    /// Exact top-k of every query (row-major, `dimension` floats each) over all rows of
    /// `base`. Labels are row indices. `rowTerms` may come from `rowTerms(_:metric:)`
    /// to skip recomputing them. Each list has min(k, rowCount) entries, best first.
    public static func topK(
        queries: UnsafeBufferPointer<Float>, base: MatrixView, k: Int, metric: VectorMetric,
        rowTerms: [Float]? = nil
    ) -> [[Neighbor]] {
        let terms = rowTerms ?? Self.rowTerms(base, metric: metric)
        return terms.withUnsafeBufferPointer { termsBuffer in
            let source = BlockSource.contiguous(base, terms: termsBuffer.baseAddress)
            return run(queries: queries, dimension: base.dimension, rowCount: base.rowCount,
                       k: k, metric: metric, source: source)
                .map { list in list.map { (Int64($0.id), $0.distance) } }
        }
    }

    /// Exact top-k of every query over only the rows whose indices are in `rows`
    /// (a filtered scan). Labels are row indices of `base`.
    public static func topK(
        queries: UnsafeBufferPointer<Float>, base: MatrixView, rows: [Int], k: Int,
        metric: VectorMetric
    ) -> [[Neighbor]] {
        let source = BlockSource.gathered(base, rows: rows)
        return run(queries: queries, dimension: base.dimension, rowCount: rows.count,
                   k: k, metric: metric, source: source)
            .map { list in list.map { (Int64(rows[$0.id]), $0.distance) } }
    }

    /// Convenience over Swift arrays: all rows of a row-major `base`.
    public static func topK(
        queries: [Float], base: [Float], dimension: Int, k: Int, metric: VectorMetric
    ) -> [[Neighbor]] {
        precondition(dimension > 0 && queries.count % dimension == 0 && base.count % dimension == 0,
                     "array sizes are not multiples of the dimension")
        return base.withUnsafeBufferPointer { b in
            queries.withUnsafeBufferPointer { q in
                guard let pointer = b.baseAddress else { return Array(repeating: [], count: queries.count / dimension) }
                let view = MatrixView(base: pointer, rowCount: base.count / dimension, dimension: dimension)
                return topK(queries: q, base: view, k: k, metric: metric)
            }
        }
    }

    /// Ground truth for recall measurements: the row indices of each query's exact top-k.
    public static func groundTruth(
        queries: UnsafeBufferPointer<Float>, base: MatrixView, k: Int, metric: VectorMetric
    ) -> [[Int32]] {
        topK(queries: queries, base: base, k: k, metric: metric).map { $0.map { Int32($0.label) } }
    }
}

/// Where the rows of one block come from: a strided slice of a matrix (no copy) or
/// rows gathered by index into a scratch buffer.
enum BlockSource {
    case contiguous(MatrixView, terms: UnsafePointer<Float>?)
    case gathered(MatrixView, rows: [Int])
}

extension ExactSearch {
    struct Block {
        var rows: UnsafePointer<Float>
        var stride: Int
        var terms: UnsafePointer<Float>
    }

    /// Scratch owned by one `run`: the dot-product block, gathered rows and terms.
    final class Scratch {
        let dots: UnsafeMutablePointer<Float>
        let rows: UnsafeMutablePointer<Float>
        let terms: UnsafeMutablePointer<Float>
        let queryTerms: UnsafeMutablePointer<Float>
        let prepared: UnsafeMutablePointer<Float>

        init(queryBlock: Int, rowBlock: Int, dimension: Int, gathers: Bool) {
            dots = .allocate(capacity: queryBlock * rowBlock)
            rows = .allocate(capacity: gathers ? rowBlock * dimension : 1)
            terms = .allocate(capacity: rowBlock)
            terms.initialize(repeating: 0, count: rowBlock)
            queryTerms = .allocate(capacity: queryBlock)
            prepared = .allocate(capacity: queryBlock * dimension)
        }

        deinit {
            dots.deallocate()
            rows.deallocate()
            terms.deallocate()
            queryTerms.deallocate()
            prepared.deallocate()
        }
    }

    static func block(_ source: BlockSource, start: Int, count: Int, scratch: Scratch, metric: VectorMetric) -> Block {
        switch source {
        case .contiguous(let matrix, let terms):
            return Block(rows: matrix.row(start), stride: matrix.rowStride,
                         terms: terms.map { $0 + start } ?? UnsafePointer(scratch.terms))
        case .gathered(let matrix, let rows):
            let d = matrix.dimension
            for j in 0..<count {
                let source = matrix.row(rows[start + j])
                (scratch.rows + j * d).update(from: source, count: d)
                scratch.terms[j] = rowTerm(source, d, metric)
            }
            return Block(rows: scratch.rows, stride: d, terms: scratch.terms)
        }
    }

    static func run(
        queries: UnsafeBufferPointer<Float>, dimension: Int, rowCount: Int, k: Int,
        metric: VectorMetric, source: BlockSource
    ) -> [[(id: Int, distance: Float)]] {
        precondition(queries.count % dimension == 0, "query buffer is not a multiple of the dimension")
        let queryCount = queries.count / dimension
        guard queryCount > 0 else { return [] }
        guard k > 0, rowCount > 0, let queryBase = queries.baseAddress else {
            return Array(repeating: [], count: queryCount)
        }
        let queryBlock = min(queryCount, queryBlockMax), rowBlock = min(rowCount, rowBlockMax)
        var gathers = false
        if case .gathered = source { gathers = true }
        let scratch = Scratch(queryBlock: queryBlock, rowBlock: rowBlock, dimension: dimension, gathers: gathers)
        var results: [[(id: Int, distance: Float)]] = []
        results.reserveCapacity(queryCount)
        var queryStart = 0
        while queryStart < queryCount {
            let count = min(queryBlock, queryCount - queryStart)
            let block = UnsafeBufferPointer(start: queryBase + queryStart * dimension, count: count * dimension)
            results += runQueryBlock(block, dimension: dimension, rowCount: rowCount, k: min(k, rowCount),
                                     metric: metric, source: source, scratch: scratch)
            queryStart += count
        }
        return results
    }
}
