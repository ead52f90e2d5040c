import CVireoSupport

/// One bit per dimension (RaBitQ-style, without its random rotation): a vector x is coded
/// as the signs of its residual r = x − c from the index's centre c (the mean of the first
/// vectors inserted), plus three floats: ‖r‖², ‖r‖²/‖r‖₁ and ⟨r, c⟩. Decoded, the code is
/// r̃ = ‖r‖²/‖r‖₁ · s with sᵢ = ±1, the multiple of the sign vector whose inner product
/// with r is exactly ‖r‖², which makes ⟨r̃, q − c⟩ RaBitQ's unbiased-by-construction
/// estimate of ⟨r, q − c⟩ for a query kept at higher precision (`BinaryQuery`).
enum BinaryQuantizer {
    /// Vectors whose mean becomes the centre; until then the centre is zero (plain signs)
    /// and these vectors are kept as floats to be coded again once it is known.
    static let trainingCount = 1024

    /// Bit planes of the query's scalar code: 4 bits, as RaBitQ keeps its queries.
    static let queryBits = 4

    static func words(dimension: Int) -> Int { (dimension + 63) / 64 }

    /// Bytes of a node's code in the level-0 record: the 16-byte header and the bit words.
    static func codeBytes(dimension: Int) -> Int { Int(VIREO_BIN_HEADER_BYTES) + 8 * words(dimension: dimension) }

    /// Writes the code of `vector` (header, then bits) at `destination`.
    static func encode(_ vector: UnsafePointer<Float>, centre: UnsafePointer<Float>, dimension: Int,
                       into destination: UnsafeMutableRawPointer) {
        let words = self.words(dimension: dimension)
        let bits = (destination + Int(VIREO_BIN_HEADER_BYTES)).bindMemory(to: UInt64.self, capacity: words)
        bits.initialize(repeating: 0, count: words)
        var squared: Float = 0, absolute: Float = 0, dotCentre: Float = 0
        var set: UInt32 = 0
        for i in 0..<dimension {
            let r = vector[i] - centre[i]
            squared += r * r
            absolute += abs(r)
            dotCentre += r * centre[i]
            if r > 0 {
                bits[i >> 6] |= 1 << UInt64(i & 63)
                set += 1
            }
        }
        destination.storeBytes(of: squared, as: Float.self)
        destination.storeBytes(of: absolute > 0 ? squared / absolute : 0, toByteOffset: 4, as: Float.self)
        destination.storeBytes(of: dotCentre, toByteOffset: 8, as: Float.self)
        destination.storeBytes(of: set, toByteOffset: 12, as: UInt32.self)
    }

    /// The vector a code stands for, c + ‖r‖²/‖r‖₁ · s: what a node is measured from when
    /// there is no float vector (a rebuild, a relink, pruning without a source).
    static func decode(_ code: UnsafeRawPointer, centre: UnsafePointer<Float>, dimension: Int,
                       into destination: UnsafeMutablePointer<Float>) {
        let factor = code.load(fromByteOffset: 4, as: Float.self)
        let bits = code + Int(VIREO_BIN_HEADER_BYTES)
        for i in 0..<dimension {
            let word = bits.load(fromByteOffset: 8 * (i >> 6), as: UInt64.self)
            destination[i] = centre[i] + (word >> UInt64(i & 63) & 1 == 1 ? factor : -factor)
        }
    }

    /// Problems of one stored code: non-finite or negative fields, a bit count that does not
    /// match the bits, bits set past the dimension.
    static func problems(_ code: UnsafeRawPointer, dimension: Int) -> String? {
        let squared = code.load(as: Float.self), factor = code.load(fromByteOffset: 4, as: Float.self)
        let dotCentre = code.load(fromByteOffset: 8, as: Float.self), set = code.load(fromByteOffset: 12, as: UInt32.self)
        guard squared.isFinite, squared >= 0, factor.isFinite, factor >= 0, dotCentre.isFinite else {
            return "code header out of range (‖r‖² \(squared), factor \(factor), ⟨r,c⟩ \(dotCentre))"
        }
        var counted = 0
        let words = self.words(dimension: dimension)
        for w in 0..<words {
            let word = code.load(fromByteOffset: Int(VIREO_BIN_HEADER_BYTES) + 8 * w, as: UInt64.self)
            counted += word.nonzeroBitCount
            if w == words - 1, dimension % 64 != 0, word >> UInt64(dimension % 64) != 0 { return "bits set past dimension \(dimension)" }
        }
        return counted == Int(set) ? nil : "bit count \(set) stored, \(counted) in the code"
    }
}

/// A query prepared for 1-bit codes: its residual q − c as `queryBits` bit planes of a
/// scalar code, with the sums the estimator needs (see vireo_distances_bin).
struct BinaryQueryDistance: BatchedQueryDistance {
    let graph: HNSWGraph
    let kind: Int32
    let planes: UnsafePointer<UInt64>
    let low: Float
    let step: Float
    let querySum: Float
    let residualSquared: Float
    let centreDotQuery: Float

    /// Codes `query` (prepared: normalised for cosine) into `planes` (queryBits × words).
    init(graph g: HNSWGraph, metric: VectorMetric, query: UnsafePointer<Float>, planes: UnsafeMutablePointer<UInt64>) {
        let dimension = g.dimension, words = BinaryQuantizer.words(dimension: dimension), centre = g.centre
        var low = Float.infinity, high = -Float.infinity
        var residualSquared: Float = 0, centreDotQuery: Float = 0
        for i in 0..<dimension {
            let r = query[i] - centre[i]
            low = min(low, r)
            high = max(high, r)
            residualSquared += r * r
            centreDotQuery += centre[i] * query[i]
        }
        let levels = Float((1 << BinaryQuantizer.queryBits) - 1)
        let step = high > low ? (high - low) / levels : 0
        let inverse = step > 0 ? 1 / step : 0
        planes.initialize(repeating: 0, count: BinaryQuantizer.queryBits * words)
        var codeSum = 0
        for i in 0..<dimension {
            let u = Int(((query[i] - centre[i] - low) * inverse).rounded())
            codeSum += u
            for j in 0..<BinaryQuantizer.queryBits where u >> j & 1 == 1 {
                planes[j * words + i >> 6] |= 1 << UInt64(i & 63)
            }
        }
        graph = g
        kind = metric.kernelKind
        self.planes = UnsafePointer(planes)
        self.low = low
        self.step = step
        querySum = low * Float(dimension) + step * Float(codeSum)
        self.residualSquared = residualSquared
        self.centreDotQuery = centreDotQuery
    }

    @inline(__always)
    func distances(to ids: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        vireo_distances_bin(kind, planes, BinaryQuantizer.queryBits, low, step, querySum, residualSquared, centreDotQuery,
                            graph.payloadBase, graph.recordBytes, ids, count, BinaryQuantizer.words(dimension: graph.dimension), out)
    }

    @inline(__always)
    func prefetch(_ id: UInt32) { vireo_prefetch(graph.payloadBase + Int(id) * graph.recordBytes, 64) }
}
