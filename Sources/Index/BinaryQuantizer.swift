import CVireoSupport

/// The centres binary codes are measured from: one (zero) until the index learns them,
/// then up to `BinaryQuantizer.centreCountMax` k-means centroids of the first vectors, as
/// RaBitQ codes each vector against its IVF cluster's centroid. Written only under the
/// index's exclusive lock; shared by the graph copies a grow makes.
final class BinaryCentres: @unchecked Sendable {
    let dimension: Int
    private(set) var count = 1
    let values: UnsafeMutablePointer<Float>

    init(dimension: Int, capacity: Int) {
        self.dimension = dimension
        values = .allocate(capacity: max(capacity, 1) * dimension)
        values.initialize(repeating: 0, count: max(capacity, 1) * dimension)
    }

    deinit { values.deallocate() }

    func centre(_ k: Int) -> UnsafeMutablePointer<Float> { values + k * dimension }

    /// Replaces the centres (`count` × dimension floats, row-major).
    func set(_ centres: UnsafePointer<Float>, count: Int) {
        values.update(from: centres, count: count * dimension)
        self.count = count
    }

    /// The centre closest (squared L2) to `vector`.
    func nearest(_ vector: UnsafePointer<Float>) -> Int {
        var best = 0, bestDistance = Float.infinity
        for k in 0..<count {
            let d = vireo_l2sq_f32(vector, centre(k), dimension)
            if d < bestDistance { (best, bestDistance) = (k, d) }
        }
        return best
    }
}

/// One bit per dimension (RaBitQ-style, without its random rotation): a vector x is coded
/// as the signs of its residual r = x − c from its nearest centre c, plus ‖r‖², the factor
/// f = ‖r‖²/‖r‖₁, a constant of the centre's sums, the centre's number and ⟨r, c⟩. Decoded,
/// the code is r̃ = f · s with sᵢ = ±1, the multiple of the sign vector whose inner product
/// with r is exactly ‖r‖², which makes ⟨r̃, q − c⟩ RaBitQ's estimate of ⟨r, q − c⟩ for a
/// query kept at higher precision (`BinaryQueryDistance`).
enum BinaryQuantizer {
    /// Vectors kept as floats until the centres are learned from them (then coded again).
    static let trainingCount = 4096
    /// Most centres; the count is the training vectors / `vectorsPerCentre`, at most this.
    static let centreCountMax = 256
    static let vectorsPerCentre = 16
    /// Lloyd iterations of the k-means that learns the centres.
    static let kMeansIterations = 8

    /// Bit planes of the query's scalar code. RaBitQ keeps 4 (after its rotation, which
    /// evens out the coordinates); without the rotation a unit query's range is set by a few
    /// large coordinates and 4 bits are coarse: on 100k × 384 cosine 8 bits raised recall@10
    /// from 0.687 / 0.860 / 0.902 to 0.740 / 0.900 / 0.939 at ef 40 / 80 / 160 (best 100
    /// re-ranked) at the same QPS; 1 bit gave 0.18 / 0.29 / 0.34.
    static let queryBits = 8

    static func words(dimension: Int) -> Int { (dimension + 63) / 64 }

    /// Bytes of a node's code in the level-0 record: the header and the bit words.
    static func codeBytes(dimension: Int) -> Int { Int(VIREO_BIN_HEADER_BYTES) + 8 * words(dimension: dimension) }

    /// Writes the code of `vector` against its nearest centre (header, then bits) at `destination`.
    static func encode(_ vector: UnsafePointer<Float>, centres: BinaryCentres, into destination: UnsafeMutableRawPointer) {
        let dimension = centres.dimension, words = self.words(dimension: dimension)
        let k = centres.nearest(vector), centre = centres.centre(k)
        let bits = (destination + Int(VIREO_BIN_HEADER_BYTES)).bindMemory(to: UInt64.self, capacity: words)
        bits.initialize(repeating: 0, count: words)
        var squared: Float = 0, absolute: Float = 0, dotCentre: Float = 0, centreSum: Float = 0, setCentreSum: Float = 0
        var set: UInt32 = 0
        for i in 0..<dimension {
            let r = vector[i] - centre[i]
            squared += r * r
            absolute += abs(r)
            dotCentre += r * centre[i]
            centreSum += centre[i]
            if r > 0 {
                bits[i >> 6] |= 1 << UInt64(i & 63)
                set += 1
                setCentreSum += centre[i]
            }
        }
        let factor = absolute > 0 ? squared / absolute : 0
        destination.storeBytes(of: squared, as: Float.self)
        destination.storeBytes(of: factor, toByteOffset: 4, as: Float.self)
        destination.storeBytes(of: factor * (centreSum - 2 * setCentreSum), toByteOffset: 8, as: Float.self)
        destination.storeBytes(of: set, toByteOffset: 12, as: UInt32.self)
        destination.storeBytes(of: UInt32(k), toByteOffset: 16, as: UInt32.self)
        destination.storeBytes(of: dotCentre, toByteOffset: 20, as: Float.self)
        destination.storeBytes(of: UInt64(0), toByteOffset: 24, as: UInt64.self)
    }

    /// The vector a code stands for, c + f · s: what a node is measured from when there is
    /// no float vector (a rebuild, a relink, pruning without a source).
    static func decode(_ code: UnsafeRawPointer, centres: BinaryCentres, into destination: UnsafeMutablePointer<Float>) {
        let factor = code.load(fromByteOffset: 4, as: Float.self)
        let centre = centres.centre(min(Int(code.load(fromByteOffset: 16, as: UInt32.self)), centres.count - 1))
        let bits = code + Int(VIREO_BIN_HEADER_BYTES)
        for i in 0..<centres.dimension {
            let word = bits.load(fromByteOffset: 8 * (i >> 6), as: UInt64.self)
            destination[i] = centre[i] + (word >> UInt64(i & 63) & 1 == 1 ? factor : -factor)
        }
    }

    /// Problems of one stored code: non-finite or negative fields, a centre number out of
    /// range, a bit count that does not match the bits, bits set past the dimension.
    static func problems(_ code: UnsafeRawPointer, centreCount: Int, dimension: Int) -> String? {
        let fields = (0..<6).map { code.load(fromByteOffset: 4 * $0, as: Float.self) }
        let set = code.load(fromByteOffset: 12, as: UInt32.self), centre = code.load(fromByteOffset: 16, as: UInt32.self)
        guard fields[0].isFinite, fields[0] >= 0, fields[1].isFinite, fields[1] >= 0, fields[2].isFinite, fields[5].isFinite else {
            return "code header out of range (‖r‖² \(fields[0]), factor \(fields[1]), \(fields[2]), ⟨r,c⟩ \(fields[5]))"
        }
        guard Int(centre) < centreCount else { return "centre \(centre) of \(centreCount)" }
        var counted = 0
        let words = self.words(dimension: dimension)
        for w in 0..<words {
            let word = code.load(fromByteOffset: Int(VIREO_BIN_HEADER_BYTES) + 8 * w, as: UInt64.self)
            counted += word.nonzeroBitCount
            if w == words - 1, dimension % 64 != 0, word >> UInt64(dimension % 64) != 0 { return "bits set past dimension \(dimension)" }
        }
        return counted == Int(set) ? nil : "bit count \(set) stored, \(counted) in the code"
    }

    /// k-means (Lloyd, squared L2) of `vectors` (count × dimension) into `centreCount`
    /// centres, started from evenly spaced vectors: deterministic. Returns the centres.
    static func kMeans(_ vectors: [[Float]], centreCount: Int, dimension: Int) -> [Float] {
        let step = max(1, vectors.count / centreCount)
        var centres = (0..<centreCount).flatMap { vectors[min($0 * step, vectors.count - 1)] }
        var assignment = [Int](repeating: 0, count: vectors.count)
        for _ in 0..<kMeansIterations {
            centres.withUnsafeBufferPointer { c in
                for (n, vector) in vectors.enumerated() {
                    var best = 0, bestDistance = Float.infinity
                    for k in 0..<centreCount {
                        let d = vireo_l2sq_f32(vector, c.baseAddress! + k * dimension, dimension)
                        if d < bestDistance { (best, bestDistance) = (k, d) }
                    }
                    assignment[n] = best
                }
            }
            var sums = [Double](repeating: 0, count: centreCount * dimension), members = [Int](repeating: 0, count: centreCount)
            for (n, vector) in vectors.enumerated() {
                members[assignment[n]] += 1
                for i in 0..<dimension { sums[assignment[n] * dimension + i] += Double(vector[i]) }
            }
            // A centre left without members keeps its place.
            for k in 0..<centreCount where members[k] > 0 {
                for i in 0..<dimension { centres[k * dimension + i] = Float(sums[k * dimension + i] / Double(members[k])) }
            }
        }
        return centres
    }
}

/// A query prepared for 1-bit codes: q as `queryBits` bit planes of a scalar code, and per
/// centre ‖q − c‖² (or ⟨c, q⟩ for inner product), as vireo_distances_bin reads them.
struct BinaryQueryDistance: BatchedQueryDistance {
    let graph: HNSWGraph
    let kind: Int32
    let planes: UnsafePointer<UInt64>
    let centreTable: UnsafePointer<Float>
    let low: Float
    let step: Float
    let querySum: Float

    /// Codes `query` (prepared: normalised for cosine) into `planes` (queryBits × words) and
    /// `centreTable` (one float per centre).
    init(graph g: HNSWGraph, metric: VectorMetric, query: UnsafePointer<Float>, planes: UnsafeMutablePointer<UInt64>,
         centreTable: UnsafeMutablePointer<Float>) {
        let dimension = g.dimension, words = BinaryQuantizer.words(dimension: dimension), centres = g.centres
        var low = Float.infinity, high = -Float.infinity
        for i in 0..<dimension {
            low = min(low, query[i])
            high = max(high, query[i])
        }
        let levels = Float((1 << BinaryQuantizer.queryBits) - 1)
        let step = high > low ? (high - low) / levels : 0
        let inverse = step > 0 ? 1 / step : 0
        planes.initialize(repeating: 0, count: BinaryQuantizer.queryBits * words)
        var codeSum = 0
        for i in 0..<dimension {
            let u = Int(((query[i] - low) * inverse).rounded())
            codeSum += u
            for j in 0..<BinaryQuantizer.queryBits where u >> j & 1 == 1 {
                planes[j * words + i >> 6] |= 1 << UInt64(i & 63)
            }
        }
        for k in 0..<centres.count {
            centreTable[k] = metric == .innerProduct ? vireo_dot_f32(query, centres.centre(k), dimension)
                : vireo_l2sq_f32(query, centres.centre(k), dimension)
        }
        graph = g
        kind = metric.kernelKind
        self.planes = UnsafePointer(planes)
        self.centreTable = UnsafePointer(centreTable)
        self.low = low
        self.step = step
        querySum = low * Float(dimension) + step * Float(codeSum)
    }

    @inline(__always)
    func distances(to ids: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        vireo_distances_bin(kind, planes, BinaryQuantizer.queryBits, low, step, querySum, centreTable,
                            graph.payloadBase, graph.recordBytes, ids, count, BinaryQuantizer.words(dimension: graph.dimension), out)
    }

    @inline(__always)
    func prefetch(_ id: UInt32) { vireo_prefetch(graph.payloadBase + Int(id) * graph.recordBytes, 64) }
}
