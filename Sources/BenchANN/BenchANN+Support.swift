import ArgumentParser
import Foundation
import VireoStorage
import VireoIndex
#if canImport(Glibc)
import Glibc
#endif

/// Base and query vectors, row-major.
struct BenchData {
    var name: String
    var dimension: Int
    var base: [Float]
    var queries: [Float]

    var baseCount: Int { base.count / dimension }
    var queryCount: Int { queries.count / dimension }

    mutating func normalize() {
        Self.normalize(&base, dimension)
        Self.normalize(&queries, dimension)
    }

    static func normalize(_ values: inout [Float], _ dimension: Int) {
        for row in 0..<values.count / dimension {
            let range = row * dimension..<(row + 1) * dimension
            let norm = values[range].reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for i in range { values[i] /= norm } }
        }
    }
}

/// The benchmark's generator: SplitMix64, with a Box–Muller normal draw.
typealias BenchRandom = SplitMix64

extension SplitMix64 {
    mutating func normal() -> Float {
        let u1 = Double(next() >> 11 | 1) / Double(1 << 53), u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}

enum Synthetic {
    /// `clustered`: gaussian blobs (centres N(0, 1), spread N(0, 0.35²)) with queries from
    /// the same blobs; `uniform`: every coordinate U(−1, 1).
    static func make(kind: String, count: Int, queryCount: Int, dimension: Int, random: inout BenchRandom) -> ([Float], [Float]) {
        if kind == "uniform" {
            let draw = { (n: Int, r: inout BenchRandom) in (0..<n * dimension).map { _ in Float.random(in: -1...1, using: &r) } }
            return (draw(count, &random), draw(queryCount, &random))
        }
        let clusters = max(1, min(count / 1000, 100))
        let centres = (0..<clusters * dimension).map { _ in random.normal() }
        let draw = { (n: Int, r: inout BenchRandom) -> [Float] in
            var out = [Float]()
            out.reserveCapacity(n * dimension)
            for _ in 0..<n {
                let c = Int.random(in: 0..<clusters, using: &r)
                for d in 0..<dimension { out.append(centres[c * dimension + d] + 0.35 * r.normal()) }
            }
            return out
        }
        return (draw(count, &random), draw(queryCount, &random))
    }
}

/// .fvecs/.ivecs (each row: int32 dimension, then the values) and raw little-endian files.
enum VectorFiles {
    static func readFloat32(_ path: String, dimension: Int?) throws -> (dimension: Int, values: [Float]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let words = data.withUnsafeBytes { raw in (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) } }
        if path.hasSuffix(".fvecs") {
            let (d, rows) = try unpackVecs(words, path)
            return (d, rows.flatMap { $0.map { Float(bitPattern: $0) } })
        }
        guard let dimension, dimension > 0, words.count % dimension == 0 else {
            throw ValidationError("\(path): raw files need --dim dividing their size")
        }
        return (dimension, words.map { Float(bitPattern: $0) })
    }

    static func readInt32(_ path: String, dimension: Int?) throws -> (dimension: Int, rows: [[Int32]]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let words = data.withUnsafeBytes { raw in (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) } }
        if path.hasSuffix(".ivecs") {
            let (d, rows) = try unpackVecs(words, path)
            return (d, rows.map { $0.map { Int32(bitPattern: $0) } })
        }
        guard let dimension, dimension > 0 else { throw ValidationError("\(path): raw ground truth needs --k columns") }
        return (dimension, stride(from: 0, to: words.count, by: dimension).map { i in words[i..<min(i + dimension, words.count)].map { Int32(bitPattern: $0) } })
    }

    private static func unpackVecs(_ words: [UInt32], _ path: String) throws -> (Int, [ArraySlice<UInt32>]) {
        guard let first = words.first, first > 0, words.count % (Int(first) + 1) == 0 else {
            throw ValidationError("\(path): not a .fvecs/.ivecs file")
        }
        let d = Int(first)
        let rows = stride(from: 0, to: words.count, by: d + 1).map { words[$0 + 1..<$0 + 1 + d] }
        return (d, rows)
    }

    static func writeFvecs(_ path: String, _ values: [Float], dimension: Int) throws {
        try write(path, rows: values.count / dimension, dimension: dimension) { values[$0].bitPattern }
    }

    static func writeIvecs(_ path: String, _ rows: [[Int32]]) throws {
        let d = rows.first?.count ?? 0
        let flat = rows.flatMap { $0 + Array(repeating: -1, count: d - $0.count) }
        try write(path, rows: rows.count, dimension: d) { UInt32(bitPattern: flat[$0]) }
    }

    /// Writes `rows` rows a few thousand at a time: a copy of a multi-gigabyte base never
    /// exists in memory.
    private static func write(_ path: String, rows: Int, dimension: Int, word: (Int) -> UInt32) throws {
        let file = try OutputFile(path: path)
        let rowsPerChunk = max(1, (1 << 20) / (dimension + 1))
        var out = [UInt32]()
        out.reserveCapacity(rowsPerChunk * (dimension + 1))
        for first in stride(from: 0, to: rows, by: rowsPerChunk) {
            out.removeAll(keepingCapacity: true)
            for r in first..<min(first + rowsPerChunk, rows) {
                out.append(UInt32(dimension).littleEndian)
                for c in 0..<dimension { out.append(word(r * dimension + c).littleEndian) }
            }
            try out.withUnsafeBytes { try file.write($0) }
        }
        try file.close()
    }
}

/// A file written through POSIX calls, for outputs too large to gather in memory first.
final class OutputFile {
    private var descriptor: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    func close() throws {
        defer { descriptor = -1 }
        guard Glibc.close(descriptor) == 0 else { throw ValidationError("cannot close \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { if descriptor >= 0 { _ = Glibc.close(descriptor) } }
}

/// A file mapped read-only: a snapshot of many gigabytes is read in place, through the
/// page cache, instead of being copied into the process first.
enum MappedFile {
    static func withBytes<R>(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { _ = Glibc.close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ValidationError("cannot stat \(path): \(String(cString: strerror(errno)))") }
        let size = Int(status.st_size)
        guard size > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw ValidationError("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        defer { munmap(address, size) }
        _ = madvise(address, size, MADV_SEQUENTIAL)
        return try body(UnsafeRawBufferPointer(start: address, count: size))
    }
}

enum Clock {
    static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// CPU time the calling thread has used: unlike wall time, it does not grow when other
    /// processes take the cores, so it shows contention between search threads on a busy machine.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

enum ProcessMemory {
    /// VmHWM: the peak resident set of this process.
    static func peakRSSBytes() -> Int { statusField("VmHWM:") }
    static func currentRSSBytes() -> Int { statusField("VmRSS:") }

    private static func statusField(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kib = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")  // "VmHWM:\t16156752 kB"
        else { return 0 }
        return kib * 1024
    }
}

struct SweepPoint: Codable {
    var efSearch: Int
    var recall: Double
    var qps: Double
    var latencyMsP50: Double
    var latencyMsP99: Double
    /// With --search-threads above 1: the best QPS over all threads, and the median ratio
    /// of that QPS to one thread's in the same round.
    var qpsThreads: Double? = nil
    var threadScaling: Double? = nil
    /// CPU µs a query costs on one thread, and on each of the search threads (the best run).
    var cpuMicrosPerQuery = 0.0
    var cpuMicrosPerQueryThreads: Double? = nil
    /// True neighbours found over all queries (recall's numerator).
    var hits = 0
}

struct ANNReport: Codable {
    var system = "vireo"
    var quantization: String
    var dataset: String
    var count: Int, dimension: Int, queryCount: Int
    var metric: String
    var m: Int, efConstruction: Int, k: Int, threads: Int
    var searchThreads = 1
    var files: [String: String]
    var buildSeconds = 0.0
    var indexBytes = 0
    var buildRSSDeltaBytes = 0
    var peakRSSBytes = 0
    var integrityProblems = 0
    /// int8: where re-ranking read the float vectors ("pages" or "memory"), how many
    /// candidates it re-ranked (nil: the index's default), and what that source held in memory at the end
    /// (the array, or the buffer pool's resident pages), beside the index's own bytes.
    var rerankFrom: String?
    var rerankCount: Int?
    var sourceResidentBytes: Int?
    var sourceFileBytes: Int?
    var sourceLoadSeconds: Double?
    var bufferPoolBytes: Int?
    var sweep: [SweepPoint] = []
    /// With `--filter-percent`: the filtered sweep (`sweep` is then empty).
    var filtered: [FilteredPoint] = []
    var exactSingleQPS = 0.0
    var exactBatchSize = 0
    var exactBatchSeconds = 0.0
    var exactBatchQPS = 0.0

    func markdown() -> String {
        var lines = [
            "Vireo HNSW (\(quantization)) — \(dataset), \(count) × \(dimension), \(metric), m=\(m), ef_construction=\(efConstruction), k=\(k), \(threads) build threads",
            "build \(String(format: "%.2f", buildSeconds)) s, index \(indexBytes / 1_048_576) MiB, peak RSS \(peakRSSBytes / 1_048_576) MiB, integrity problems \(integrityProblems)",
        ] + sourceLines() + [
            "",
            "| ef_search | recall@\(k) | QPS (1 thread) | p50 ms | p99 ms |" + (searchThreads > 1 ? " QPS (\(searchThreads) threads) | scaling | CPU µs/query, 1 → \(searchThreads) threads |" : ""),
            "|---:|---:|---:|---:|---:|" + (searchThreads > 1 ? "---:|---:|---:|" : ""),
        ]
        for p in sweep {
            var line = String(format: "| %d | %.4f | %.0f | %.3f | %.3f |", p.efSearch, p.recall, p.qps, p.latencyMsP50, p.latencyMsP99)
            if let qps = p.qpsThreads, let scaling = p.threadScaling, let cpu = p.cpuMicrosPerQueryThreads {
                line += String(format: " %.0f | %.2f× | %.1f → %.1f |", qps, scaling, p.cpuMicrosPerQuery, cpu)
            }
            lines.append(line)
        }
        lines.append("")
        lines.append(String(format: "exact (BLAS): %.1f QPS one query at a time; batch of %d in %.3f s = %.0f QPS",
                            exactSingleQPS, exactBatchSize, exactBatchSeconds, exactBatchQPS))
        return lines.joined(separator: "\n")
    }

    /// The int8 or binary re-ranking source's line: the index above holds only graph, codes and labels.
    func sourceLines() -> [String] {
        guard let rerankFrom, let resident = sourceResidentBytes else { return [] }
        let count = rerankCount.map { "best \($0)" } ?? (quantization == "binary" ? "every candidate" : "best \(HNSWIndex.rerankPerResult * k)")
        guard rerankFrom == "pages" else {
            return ["re-rank (\(count)) from an in-memory float array: \(resident / 1_048_576) MiB"]
        }
        return [String(format: "re-rank (%@) from table pages: buffer pool %d MiB resident after the sweep (of %d MiB), table file %d MiB, loaded in %.1f s",
                       count, resident / 1_048_576, (bufferPoolBytes ?? 0) / 1_048_576, (sourceFileBytes ?? 0) / 1_048_576,
                       sourceLoadSeconds ?? 0)]
    }
}

/// One timed pass over the queries (`BenchANN.timedPass`): the answers, kept for recall.
struct TimedPass {
    var answers: [[(label: Int64, distance: Float)]]
    var qps: Double
    var latencyMsP50: Double
    var latencyMsP99: Double
    var cpuMicrosPerQuery: Double
}
