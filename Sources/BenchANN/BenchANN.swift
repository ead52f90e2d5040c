import ArgumentParser
import Foundation
import VireoIndex
import VireoStorage

/// `vireo bench ann` (and the light `vireo-bench-ann`, which links only the index): recall and throughput of the HNSW index (and the BLAS exact
/// search) on files or synthetic data. Writes the vectors it used, so peers
/// (Benchmarks/ann_peers.py) run on exactly the same data.
public struct BenchANN: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ann", abstract: "Recall/QPS of the vector index on .fvecs/raw files or synthetic data.")

    @Option(help: "Base vectors (.fvecs, or raw little-endian float32 with --dim).") var base: String?
    @Option(help: "Query vectors (.fvecs or raw float32).") var queries: String?
    @Option(name: .customLong("ground-truth"), help: "Exact neighbours (.ivecs or raw int32); computed with BLAS when absent.")
    var groundTruth: String?
    @Option(help: "Dimension of raw (non-.fvecs) files; of synthetic data.") var dim: Int?
    @Option(help: "l2, ip or cosine.") var metric: String = "l2"
    @Option(help: "HNSW links per node.") var m: Int = 16
    @Option(name: .customLong("ef-construction")) var efConstruction: Int = 200
    @Option(name: .customLong("ef-search"), help: "Comma-separated ef_search sweep.") var efSearch: String = "10,20,40,80,160"
    @Option(help: "none, int8 or binary (int8 or 1-bit codes in the graph, float re-ranking).") var quantization: String = "none"
    @Option(name: .customLong("rerank-from"),
            help: "int8, binary: where re-ranking reads the float vectors: pages (rows of a Vireo table, through the buffer pool) or memory (an array).")
    var rerankFrom: String = "pages"
    @Option(help: "int8, binary: candidates re-ranked exactly per query (default: HNSWIndex.defaultRerankCount, all ef candidates with binary).") var rerank: Int?
    @Option(name: .customLong("buffer-pool-mib"), help: "int8 with --rerank-from pages: the store's buffer pool.")
    var bufferPoolMiB: Int = 256
    @Option(help: "Neighbours per query.") var k: Int = 10
    @Option(help: "Runs of each ef_search; the fastest counts (the machine may be shared).") var repeats: Int = 3
    @Option(help: "Build threads.") var threads: Int = 2
    @Option(name: .customLong("search-threads"),
            help: "Also time the queries split over this many threads, alternating with one thread; > 1 adds the scaling column.")
    var searchThreads: Int = 1
    @Option(help: "Write the figures as JSON here.") var json: String?
    @Option(help: "clustered or uniform (used when --base is absent).") var synthetic: String = "clustered"
    @Option(help: "Synthetic base size.") var count: Int = 100_000
    @Option(name: .customLong("query-count"), help: "Synthetic query count.") var queryCount: Int = 1000
    @Flag(help: "Scale synthetic vectors to unit length.") var normalize = false
    @Option(help: "Seed of the synthetic generator and of the index.") var seed: UInt64 = 42
    @Option(name: .customLong("data-out"), help: "Folder where the vectors used are written (.fvecs/.ivecs).")
    var dataOut: String = "bench-out"
    @Flag(name: .customLong("skip-exact"), help: "Skip timing the BLAS exact search.") var skipExact = false
    @Option(name: .customLong("index-cache"),
            help: "Snapshot file: loaded instead of building when it exists, written after a build when not (build figures are then those of the load).")
    var indexCache: String?
    @Option(name: .customLong("filter-percent"),
            help: "Comma-separated shares of rows a filter matches (e.g. 50,10,1,0.1): time filtered searches instead of unfiltered ones.")
    var filterPercent: String?
    @Option(name: .customLong("filter-route"),
            help: "With --filter-percent: auto (the cost model chooses, as SQL does), graph or exact (forced, to calibrate the model).")
    var filterRoute: String = "auto"

    public init() {}

    public mutating func validate() throws {
        guard VectorMetric(name: metric) != nil else { throw ValidationError("--metric must be l2, ip or cosine") }
        guard k > 0, threads > 0, searchThreads > 0, m >= 2, efConstruction > 0 else {
            throw ValidationError("k, threads, search-threads, m, ef-construction must be positive")
        }
        guard VectorQuantization(rawValue: quantization) != nil else { throw ValidationError("--quantization must be none, int8 or binary") }
        guard ["auto", "graph", "exact"].contains(filterRoute) else { throw ValidationError("--filter-route must be auto, graph or exact") }
        guard ["pages", "memory"].contains(rerankFrom) else { throw ValidationError("--rerank-from must be pages or memory") }
        guard (rerank ?? 1) > 0, bufferPoolMiB >= 1 else { throw ValidationError("--rerank and --buffer-pool-mib must be positive") }
        guard !efSweep.isEmpty else { throw ValidationError("--ef-search needs at least one positive integer") }
        guard filterPercent == nil || (!filterPercents.isEmpty && filterPercents.allSatisfy { $0 > 0 && $0 <= 100 }) else {
            throw ValidationError("--filter-percent needs percents in (0, 100]")
        }
    }

    var efSweep: [Int] { efSearch.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 } }

    public mutating func run() throws {
        let metric = VectorMetric(name: metric)!
        let data = try loadData()
        let paths = try writeData(data)
        if filterPercent != nil { return try runFiltered(data, metric, paths) }
        let truth = try groundTruth.map { try VectorFiles.readInt32($0, dimension: nil).rows } ?? computeTruth(data, metric)
        var report = newReport(data, metric, paths)
        let index = try buildIndex(data, metric, &report)
        let pages = try attachSource(index, data, &report)
        _ = try measure(index, data, truth, ef: efSweep.max()!)  // warm-up: caches, search contexts
        report.searchThreads = searchThreads
        for ef in efSweep { report.sweep.append(try sweepPoint(index, data, truth, ef: ef)) }
        if let pages {
            report.sourceResidentBytes = pages.residentPages * StorageFormat.pageSizeBytes
            report.sourceFileBytes = pages.fileBytes
        }
        if !skipExact { measureExact(data, metric, &report) }
        report.peakRSSBytes = ProcessMemory.peakRSSBytes()
        try finish(report)
    }

    /// With `--filter-percent`: the index, then the filtered sweep in place of the unfiltered one.
    private func runFiltered(_ data: BenchData, _ metric: VectorMetric, _ paths: [String: String]) throws {
        var report = newReport(data, metric, paths)
        let index = try buildIndex(data, metric, &report)
        _ = try attachSource(index, data, &report)
        report.filtered = try measureFiltered(index, data, metric)
        report.peakRSSBytes = ProcessMemory.peakRSSBytes()
        try finish(report)
    }

    private func newReport(_ data: BenchData, _ metric: VectorMetric, _ paths: [String: String]) -> ANNReport {
        var report = ANNReport(quantization: quantization, dataset: data.name, count: data.baseCount, dimension: data.dimension,
                               queryCount: data.queryCount, metric: metric.rawValue, m: m,
                               efConstruction: efConstruction, k: k, threads: threads, files: paths)
        if quantization != "none" { report.system = "vireo-\(quantization)" }
        return report
    }

    /// Prints the report and writes it as JSON with `--json`.
    private func finish(_ report: ANNReport) throws {
        print(report.filtered.isEmpty ? report.markdown() : report.filteredMarkdown())
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }

    func loadData() throws -> BenchData {
        if let base {
            guard let queries else { throw ValidationError("--queries is required with --base") }
            let b = try VectorFiles.readFloat32(base, dimension: dim)
            let q = try VectorFiles.readFloat32(queries, dimension: b.dimension)
            return BenchData(name: (base as NSString).lastPathComponent, dimension: b.dimension, base: b.values, queries: q.values)
        }
        let d = dim ?? 128
        var random = BenchRandom(seed: seed)
        let (b, q) = Synthetic.make(kind: synthetic, count: count, queryCount: queryCount, dimension: d, random: &random)
        var data = BenchData(name: "\(synthetic)-\(count)x\(d)\(normalize ? "-normalized" : "")", dimension: d, base: b, queries: q)
        if normalize { data.normalize() }
        return data
    }

    func writeData(_ data: BenchData) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: dataOut, withIntermediateDirectories: true)
        let basePath = "\(dataOut)/base.fvecs", queryPath = "\(dataOut)/queries.fvecs"
        try VectorFiles.writeFvecs(basePath, data.base, dimension: data.dimension)
        try VectorFiles.writeFvecs(queryPath, data.queries, dimension: data.dimension)
        return ["base": basePath, "queries": queryPath, "groundTruth": groundTruth ?? "\(dataOut)/groundtruth.ivecs"]
    }

    /// Exact neighbours by BLAS, also written next to the vectors for the peers.
    func computeTruth(_ data: BenchData, _ metric: VectorMetric) throws -> [[Int32]] {
        let rows = data.base.withUnsafeBufferPointer { b in
            data.queries.withUnsafeBufferPointer { q in
                ExactSearch.groundTruth(queries: q, base: MatrixView(base: b.baseAddress!, rowCount: data.baseCount, dimension: data.dimension),
                                        k: k, metric: metric)
            }
        }
        try VectorFiles.writeIvecs("\(dataOut)/groundtruth.ivecs", rows)
        return rows
    }

    /// Gives an int8 index the float vectors it re-ranks with: rows of a Vireo table (read
    /// through the buffer pool, whose resident pages are reported apart from the index) or
    /// an in-memory array. Returns the table's store when there is one.
    func attachSource(_ index: HNSWIndex, _ data: BenchData, _ report: inout ANNReport) throws -> PageVectorStore? {
        guard index.quantization != .none else { return nil }
        report.rerankFrom = rerankFrom
        report.rerankCount = rerank ?? (index.quantization == .binary ? nil : index.defaultRerankCount(k: k))
        guard rerankFrom == "pages" else {
            index.vectorSource = ArrayVectorSource(dimension: data.dimension, labels: (0..<data.baseCount).map(Int64.init),
                                                   vectors: data.base)
            report.sourceResidentBytes = data.base.count * 4
            return nil
        }
        let pages = try PageVectorStore.create(path: "\(dataOut)/vectors.vireo", data: data, bufferPoolBytes: bufferPoolMiB << 20)
        index.vectorSource = pages.source
        report.sourceLoadSeconds = pages.loadSeconds
        report.bufferPoolBytes = bufferPoolMiB << 20
        return pages
    }

    func buildIndex(_ data: BenchData, _ metric: VectorMetric, _ report: inout ANNReport) throws -> HNSWIndex {
        let index = try HNSWIndex(dimension: data.dimension, metric: metric, m: m, efConstruction: efConstruction,
                                  seed: seed, quantization: VectorQuantization(rawValue: quantization) ?? .none,
                                  initialCapacity: data.baseCount)
        let rssBefore = ProcessMemory.currentRSSBytes()
        let start = Clock.seconds()
        if let indexCache, FileManager.default.fileExists(atPath: indexCache) {
            let loaded = try MappedFile.withBytes(indexCache) { try HNSWIndex(deserializing: $0, source: indexCache) }
            guard loaded.dimension == data.dimension, loaded.metric == metric, loaded.quantization == index.quantization,
                  loaded.count == data.baseCount
            else { throw ValidationError("\(indexCache) holds another index; remove it") }
            report.buildSeconds = Clock.seconds() - start
            report.indexBytes = loaded.memoryBytes
            report.buildRSSDeltaBytes = ProcessMemory.currentRSSBytes() - rssBefore
            report.integrityProblems = loaded.integrityProblems().count
            return loaded
        }
        try index.insert(labels: (0..<data.baseCount).map(Int64.init), vectors: data.base, threads: threads)
        report.buildSeconds = Clock.seconds() - start
        if let indexCache {
            let file = try OutputFile(path: indexCache)
            try index.serialize { try file.write($0) }
            try file.close()
        }
        report.indexBytes = index.memoryBytes
        report.buildRSSDeltaBytes = ProcessMemory.currentRSSBytes() - rssBefore
        report.integrityProblems = index.integrityProblems().count
        return index
    }

    /// The fastest of `repeats` one-thread runs at `ef`; with several search threads, each
    /// run is followed by one over all threads, and the scaling is the median of the
    /// pairs' ratios (pairs keep the ratio fair when the machine's speed drifts).
    func sweepPoint(_ index: HNSWIndex, _ data: BenchData, _ truth: [[Int32]], ef: Int) throws -> SweepPoint {
        var runs: [SweepPoint] = [], parallel: [(qps: Double, cpuMicros: Double)] = [], ratios: [Double] = []
        for _ in 0..<max(1, repeats) {
            let single = try measure(index, data, truth, ef: ef)
            runs.append(single)
            guard searchThreads > 1 else { continue }
            let run = try measureParallel(index, data, truth, ef: ef)
            guard run.hits == single.hits else {
                throw ValidationError("ef_search \(ef): \(searchThreads) threads found \(run.hits) true neighbours, one thread \(single.hits)")
            }
            parallel.append((run.qps, run.cpuMicros))
            ratios.append(run.qps / single.qps)
        }
        var best = runs.max { $0.qps < $1.qps }!
        if !ratios.isEmpty {
            let fastest = parallel.max { $0.qps < $1.qps }!
            (best.qpsThreads, best.cpuMicrosPerQueryThreads) = (fastest.qps, fastest.cpuMicros)
            best.threadScaling = ratios.sorted()[ratios.count / 2]
        }
        return best
    }

    /// Queries per second with the queries dealt round-robin to `searchThreads` threads
    /// searching the same index at once, the CPU µs a query took on them, and the hits.
    func measureParallel(_ index: HNSWIndex, _ data: BenchData, _ truth: [[Int32]], ef: Int) throws -> (qps: Double, cpuMicros: Double, hits: Int) {
        let failure = FirstError()
        let totals = ThreadTotals()
        let (threadCount, k, dimension, queryCount, rerank) = (searchThreads, k, data.dimension, data.queryCount, rerank)
        let start = Clock.seconds()
        data.queries.withUnsafeBufferPointer { q in
            nonisolated(unsafe) let queries = q  // read-only while the threads run
            DispatchQueue.concurrentPerform(iterations: threadCount) { thread in
                let cpuStart = Clock.threadCPUSeconds()
                defer { totals.add(cpuSeconds: Clock.threadCPUSeconds() - cpuStart) }
                for i in stride(from: thread, to: queryCount, by: threadCount) {
                    let query = UnsafeBufferPointer(rebasing: queries[i * dimension..<(i + 1) * dimension])
                    do {
                        // The same recall count as one thread's run: the CPU per query compares,
                        // and the hits must be the same (searches share the index, not results).
                        let found = try index.search(query, k: k, efSearch: ef, rerankCount: rerank)
                        let expected = Set(truth[i].prefix(k).map(Int64.init))
                        totals.add(hits: found.filter { expected.contains($0.label) }.count)
                    } catch { failure.record(error); return }
                }
            }
        }
        let elapsed = Clock.seconds() - start
        if let error = failure.error { throw error }
        return (Double(data.queryCount) / elapsed, totals.cpuSeconds / Double(data.queryCount) * 1e6, totals.hits)
    }

    /// One query at a time on this thread: recall@k, QPS and latency percentiles.
    func measure(_ index: HNSWIndex, _ data: BenchData, _ truth: [[Int32]], ef: Int) throws -> SweepPoint {
        let pass = try timedPass(data) { try index.search($0, k: k, efSearch: ef, rerankCount: rerank) }
        var hits = 0, wanted = 0
        for (i, found) in pass.answers.enumerated() {
            let expected = Set(truth[i].prefix(k).map(Int64.init))
            hits += found.filter { expected.contains($0.label) }.count
            wanted += expected.count
        }
        return SweepPoint(efSearch: ef, recall: Double(hits) / Double(max(wanted, 1)), qps: pass.qps,
                          latencyMsP50: pass.latencyMsP50, latencyMsP99: pass.latencyMsP99,
                          cpuMicrosPerQuery: pass.cpuMicrosPerQuery, hits: hits)
    }

    /// Each query searched in turn on this thread by `search`, timed one at a time. The timed
    /// loop only searches and keeps the answers; callers count recall afterwards, as the
    /// peers' batch calls are timed without it.
    func timedPass(_ data: BenchData, _ search: (UnsafeBufferPointer<Float>) throws -> [(label: Int64, distance: Float)]) throws -> TimedPass {
        var answers: [[(label: Int64, distance: Float)]] = [], latencies: [Double] = []
        answers.reserveCapacity(data.queryCount)
        latencies.reserveCapacity(data.queryCount)
        let total = Clock.seconds(), cpuStart = Clock.threadCPUSeconds()
        try data.queries.withUnsafeBufferPointer { q in
            for i in 0..<data.queryCount {
                let start = Clock.seconds()
                answers.append(try search(UnsafeBufferPointer(rebasing: q[i * data.dimension..<(i + 1) * data.dimension])))
                latencies.append(Clock.seconds() - start)
            }
        }
        let elapsed = Clock.seconds() - total
        let cpuMicros = (Clock.threadCPUSeconds() - cpuStart) / Double(data.queryCount) * 1e6
        latencies.sort()
        return TimedPass(answers: answers, qps: Double(data.queryCount) / elapsed,
                         latencyMsP50: latencies[latencies.count / 2] * 1000,
                         latencyMsP99: latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1000,
                         cpuMicrosPerQuery: cpuMicros)
    }

    /// BLAS exact search: one query at a time, and one batch of up to 1,000 queries.
    func measureExact(_ data: BenchData, _ metric: VectorMetric, _ report: inout ANNReport) {
        data.base.withUnsafeBufferPointer { b in
            data.queries.withUnsafeBufferPointer { q in
                let view = MatrixView(base: b.baseAddress!, rowCount: data.baseCount, dimension: data.dimension)
                let terms = ExactSearch.rowTerms(view, metric: metric)
                let single = min(data.queryCount, 100)
                var start = Clock.seconds()
                for i in 0..<single {
                    _ = ExactSearch.topK(queries: UnsafeBufferPointer(rebasing: q[i * data.dimension..<(i + 1) * data.dimension]),
                                         base: view, k: k, metric: metric, rowTerms: terms)
                }
                report.exactSingleQPS = Double(single) / (Clock.seconds() - start)
                let batch = min(data.queryCount, 1000)
                start = Clock.seconds()
                _ = ExactSearch.topK(queries: UnsafeBufferPointer(rebasing: q[0..<batch * data.dimension]),
                                     base: view, k: k, metric: metric, rowTerms: terms)
                report.exactBatchSeconds = Clock.seconds() - start
                report.exactBatchQPS = Double(batch) / report.exactBatchSeconds
                report.exactBatchSize = batch
            }
        }
    }
}

/// The first error any of several threads met.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?

    func record(_ error: Error) { lock.withLock { if first == nil { first = error } } }

    var error: Error? { lock.withLock { first } }
}

/// CPU seconds and hits added up over several threads.
final class ThreadTotals: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds = 0.0
    private var hitCount = 0

    func add(cpuSeconds: Double = 0, hits: Int = 0) { lock.withLock { seconds += cpuSeconds; hitCount += hits } }

    var cpuSeconds: Double { lock.withLock { seconds } }
    var hits: Int { lock.withLock { hitCount } }
}
