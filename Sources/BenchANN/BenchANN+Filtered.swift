import ArgumentParser
import Foundation
import VireoIndex

/// `vireo bench ann --filter-percent 50,10,1,0.1`: filtered search in this process, the way
/// the SQL engine asks the index once it has a bitmap of the matching rows (a B-tree range
/// or the filter cache gave it), against the exact top k among the matching rows.
///
/// Every base row gets a category in 0..<`categoryCount`, each value on count / 1000 rows
/// (a seeded shuffle, independent of the vectors), so `category < s` with s = 10 × percent
/// matches that percent of the rows; as Benchmarks/net/bench_ann_filtered.py does over
/// pgwire. The categories and each filter's exact answers are written beside the vectors
/// (`categories.i32`, `filtered-truth-S.ivecs`) so that Benchmarks/ann_filtered.py asks
/// hnswlib the same questions on the same rows.
struct FilteredWorkload {
    static let categoryCount = 1000

    let categories: [Int32]

    /// A seeded shuffle of `count` rows over the categories.
    init(count: Int, seed: UInt64) {
        var random = BenchRandom(seed: seed ^ 0x5EED_CA7E)
        var categories = (0..<count).map { Int32($0 % Self.categoryCount) }
        categories.shuffle(using: &random)
        self.categories = categories
    }

    /// s in `category < s` for a percent of the rows (at least 1).
    static func bound(percent: Double) -> Int32 { max(1, Int32((percent * Double(categoryCount) / 100).rounded())) }

    /// The labels (row numbers) passing `category < bound`, ascending.
    func matching(below bound: Int32) -> [Int64] {
        categories.indices.compactMap { categories[$0] < bound ? Int64($0) : nil }
    }

    func write(to folder: String) throws {
        try categories.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: "\(folder)/categories.i32")) }
    }
}

/// One filter's figures at one ef_search.
struct FilteredPoint: Codable {
    var percent: Double
    var matchingCount: Int
    var efSearch: Int
    var recall: Double
    var qps: Double
    var latencyMsP50: Double
    var latencyMsP99: Double
    var cpuMicrosPerQuery: Double
    /// Whether the index ranked the matching rows exactly (`HNSWIndex.prefersExactScan`).
    var rankedExactly: Bool
    /// Answers with fewer than min(k, matching) rows, and rows outside the filter (both
    /// must be 0).
    var shortAnswers: Int
    var rowsOutsideFilter: Int
}

extension BenchANN {
    var filterPercents: [Double] {
        (filterPercent ?? "").split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The filtered sweep: for each percent, the exact answers by BLAS over the matching
    /// rows, then each ef_search `repeats` times (the fastest run counts, as unfiltered).
    func measureFiltered(_ index: HNSWIndex, _ data: BenchData, _ metric: VectorMetric) throws -> [FilteredPoint] {
        let workload = FilteredWorkload(count: data.baseCount, seed: seed)
        try workload.write(to: dataOut)
        var points: [FilteredPoint] = []
        for percent in filterPercents {
            let bound = FilteredWorkload.bound(percent: percent)
            let matching = workload.matching(below: bound)
            let truth = filteredTruth(data, metric, matching: matching)
            try VectorFiles.writeIvecs("\(dataOut)/filtered-truth-\(bound).ivecs", truth)
            var bits = [Bool](repeating: false, count: data.baseCount)
            for label in matching { bits[Int(label)] = true }
            _ = try measureFiltered(index, data, truth, bits: bits, matchingCount: matching.count, percent: percent, ef: efSweep.max()!)
            for ef in efSweep {
                var best: FilteredPoint?
                for _ in 0..<max(1, repeats) {
                    let run = try measureFiltered(index, data, truth, bits: bits, matchingCount: matching.count, percent: percent, ef: ef)
                    if run.qps > best?.qps ?? 0 { best = run }
                }
                points.append(best!)
            }
        }
        return points
    }

    /// The exact top min(k, matching) labels among `matching`, per query (BLAS).
    func filteredTruth(_ data: BenchData, _ metric: VectorMetric, matching: [Int64]) -> [[Int32]] {
        guard !matching.isEmpty else { return Array(repeating: [], count: data.queryCount) }
        var rows = [Float]()
        rows.reserveCapacity(matching.count * data.dimension)
        for label in matching { rows += data.base[Int(label) * data.dimension..<(Int(label) + 1) * data.dimension] }
        let positions = rows.withUnsafeBufferPointer { b in
            data.queries.withUnsafeBufferPointer { q in
                ExactSearch.groundTruth(queries: q, base: MatrixView(base: b.baseAddress!, rowCount: matching.count, dimension: data.dimension),
                                        k: min(k, matching.count), metric: metric)
            }
        }
        return positions.map { $0.map { Int32(matching[Int($0)]) } }
    }

    /// One timed pass over the queries with the filter `bits[label]`; the answers are
    /// checked afterwards.
    func measureFiltered(_ index: HNSWIndex, _ data: BenchData, _ truth: [[Int32]], bits: [Bool], matchingCount: Int,
                         percent: Double, ef: Int) throws -> FilteredPoint {
        // As the SQL engine does with a bitmap: the exact count decides the route, unless
        // --filter-route forces one.
        let exact = filterRoute == "auto" ? index.prefersExactScan(matchingCount: matchingCount, efSearch: ef) : filterRoute == "exact"
        let filter: (Int64) -> Bool = { label in label >= 0 && label < Int64(bits.count) && bits[Int(label)] }
        let pass = try timedPass(data) { try index.search($0, k: k, efSearch: ef, filter: filter, exactScanDecided: exact, rerankCount: rerank) }
        var hits = 0, wanted = 0, short = 0, outside = 0
        for (i, found) in pass.answers.enumerated() {
            let expected = Set(truth[i].map(Int64.init))
            hits += found.filter { expected.contains($0.label) }.count
            wanted += expected.count
            if found.count < min(k, matchingCount) { short += 1 }
            outside += found.filter { !filter($0.label) }.count
        }
        return FilteredPoint(percent: percent, matchingCount: matchingCount, efSearch: ef, recall: Double(hits) / Double(max(wanted, 1)),
                             qps: pass.qps, latencyMsP50: pass.latencyMsP50, latencyMsP99: pass.latencyMsP99,
                             cpuMicrosPerQuery: pass.cpuMicrosPerQuery, rankedExactly: exact, shortAnswers: short, rowsOutsideFilter: outside)
    }
}

extension ANNReport {
    /// The filtered sweep's table.
    func filteredMarkdown() -> String {
        var lines = [
            "",
            "| filter | matching rows | ef_search | route | recall@\(k) | QPS (1 thread) | p50 ms | p99 ms | CPU µs/query | short answers | rows outside |",
            "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for p in filtered {
            let route = p.rankedExactly ? "exact" : "graph"
            lines.append(String(format: "| %g%% | %d | %d | ", p.percent, p.matchingCount, p.efSearch) + route
                         + String(format: " | %.4f | %.0f | %.3f | %.3f | %.1f | %d | %d |", p.recall, p.qps, p.latencyMsP50,
                                  p.latencyMsP99, p.cpuMicrosPerQuery, p.shortAnswers, p.rowsOutsideFilter))
        }
        return lines.joined(separator: "\n")
    }
}
