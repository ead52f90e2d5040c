import VireoStorage

/// An exact index: vectors kept row-major in one array and searched by BLAS. The right
/// choice for small tables and the reference HNSW's recall is measured against.
/// Thread-safe: searches share a lock, inserts and removals hold it exclusively.
public final class FlatIndex: @unchecked Sendable {
    /// Floats per vector.
    public let dimension: Int
    /// How vectors are compared.
    public let metric: VectorMetric
    private let lock = ReadWriteLock()
    private var labels: [Int64] = []
    private var vectors: [Float] = []
    /// Per-row term for the metric (|x|² or 1/|x|), kept in step with `vectors`.
    private var terms: [Float] = []
    private var rows: [Int64: Int] = [:]

    /// Creates an empty index; throws `invalidParameter` for a dimension out of range.
    public init(dimension: Int, metric: VectorMetric) throws {
        guard (1...HNSWIndex.dimensionMax).contains(dimension) else {
            throw VireoError(.invalidParameter, "dimension must be in 1...\(HNSWIndex.dimensionMax), got \(dimension)")
        }
        self.dimension = dimension
        self.metric = metric
    }

    /// Number of vectors.
    public var count: Int { lock.withReadLock { labels.count } }

    /// Adds or replaces the vector of `label`.
    public func insert(label: Int64, vector: [Float]) throws {
        guard vector.count == dimension else {
            throw VireoError(.invalidParameter, "expected a vector of \(dimension) dimensions, got \(vector.count)")
        }
        guard vector.allSatisfy(\.isFinite) else {
            throw VireoError(.dataException, "vector contains a NaN or infinite value")
        }
        let term = vector.withUnsafeBufferPointer { ExactSearch.rowTerm($0.baseAddress!, dimension, metric) }
        lock.withWriteLock {
            if let row = rows[label] {
                vectors.replaceSubrange(row * dimension..<(row + 1) * dimension, with: vector)
                terms[row] = term
                return
            }
            rows[label] = labels.count
            labels.append(label)
            vectors.append(contentsOf: vector)
            terms.append(term)
        }
    }

    /// Removes `label` (the last row moves into its place); false when absent.
    @discardableResult
    public func remove(label: Int64) -> Bool {
        lock.withWriteLock {
            guard let row = rows.removeValue(forKey: label) else { return false }
            let last = labels.count - 1
            if row != last {
                labels[row] = labels[last]
                rows[labels[row]] = row
                terms[row] = terms[last]
                vectors.withUnsafeMutableBufferPointer { v in
                    (v.baseAddress! + row * dimension).update(from: v.baseAddress! + last * dimension, count: dimension)
                }
            }
            labels.removeLast()
            terms.removeLast()
            vectors.removeLast(dimension)
            return true
        }
    }

    /// The exact k nearest vectors to `query` whose label passes `filter`, best first.
    public func search(
        _ query: [Float], k: Int, filter: ((Int64) -> Bool)? = nil
    ) throws -> [(label: Int64, distance: Float)] {
        try search(batch: query, k: k, filter: filter).first ?? []
    }

    /// Exact top-k for each of several queries stored row-major in `queries`.
    public func search(
        batch queries: [Float], k: Int, filter: ((Int64) -> Bool)? = nil
    ) throws -> [[(label: Int64, distance: Float)]] {
        guard queries.count % dimension == 0, queries.allSatisfy(\.isFinite) else {
            throw VireoError(.invalidParameter, "queries must be finite and a multiple of \(dimension) floats")
        }
        return lock.withReadLock {
            vectors.withUnsafeBufferPointer { v in
                queries.withUnsafeBufferPointer { q in
                    guard let base = v.baseAddress else { return Array(repeating: [], count: queries.count / dimension) }
                    let view = MatrixView(base: base, rowCount: labels.count, dimension: dimension)
                    let found = filter.map { keep in
                        let passing = labels.indices.filter { keep(labels[$0]) }
                        return ExactSearch.topK(queries: q, base: view, rows: passing, k: k, metric: metric)
                    } ?? ExactSearch.topK(queries: q, base: view, k: k, metric: metric, rowTerms: terms)
                    return found.map { $0.map { (labels[Int($0.label)], $0.distance) } }
                }
            }
        }
    }
}
