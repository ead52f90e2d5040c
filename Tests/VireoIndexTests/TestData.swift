import VireoStorage
@testable import VireoIndex

/// Seeded test vectors, so a failure reproduces from the printed seed.
enum TestData {
    static func uniform(count: Int, dimension: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count * dimension).map { _ in Float.random(in: -1...1, using: &random) }
    }

    /// Gaussian-ish clusters: points scattered around `clusters` random centres.
    static func clustered(count: Int, dimension: Int, clusters: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        let centres = (0..<clusters * dimension).map { _ in Float.random(in: -3...3, using: &random) }
        var out = [Float]()
        out.reserveCapacity(count * dimension)
        for _ in 0..<count {
            let c = Int.random(in: 0..<clusters, using: &random)
            for d in 0..<dimension {
                let noise = (0..<3).map { _ in Float.random(in: -0.5...0.5, using: &random) }.reduce(0, +)
                out.append(centres[c * dimension + d] + noise)
            }
        }
        return out
    }

    static func row(_ data: [Float], _ i: Int, _ dimension: Int) -> [Float] {
        Array(data[i * dimension..<(i + 1) * dimension])
    }

    /// Brute force with the scalar definition of each distance: the reference.
    static func bruteForce(
        _ query: [Float], _ data: [Float], dimension: Int, k: Int, metric: VectorMetric,
        where keep: (Int) -> Bool = { _ in true }
    ) -> [(label: Int64, distance: Float)] {
        let n = data.count / dimension
        var all: [(label: Int64, distance: Float)] = []
        for i in 0..<n where keep(i) {
            all.append((Int64(i), metric.distance(query, row(data, i, dimension))))
        }
        all.sort { $0.distance < $1.distance }
        return Array(all.prefix(k))
    }

    static func recall(_ got: [[Int64]], _ truth: [[Int64]]) -> Double {
        var hits = 0, total = 0
        for (g, t) in zip(got, truth) {
            hits += Set(g).intersection(t).count
            total += t.count
        }
        return total == 0 ? 1 : Double(hits) / Double(total)
    }
}
