import Foundation
import Synchronization
import VireoQuery
import VireoStorage

/// The server's counters, served at /metrics in Prometheus' text format: requests and
/// their latency per route, pgwire connections and statements per kind, and the storage
/// engine's WAL and buffer-pool counters. Labels are route templates and statement kinds,
/// never paths or values, so their number stays bounded.
public final class ServerMetrics: Sendable {
    /// Latency histogram bounds, in seconds.
    static let latencyBucketsSeconds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct RequestKey: Hashable { var route: String; var method: String; var status: Int }
    struct Latency {
        var bucketCounts = [Int](repeating: 0, count: ServerMetrics.latencyBucketsSeconds.count)
        var count = 0
        var sumSeconds = 0.0
    }
    struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Latency] = [:]
        var statements: [String: Int] = [:]
        var pgConnections = 0
    }

    private let state = Mutex(State())
    /// The commonest statement kinds, counted without the lock that every connection's
    /// statements would otherwise take in turn (one per point select).
    static let commonKinds = ["SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "SET"]
    private let commonKindCounts = commonKinds.map { _ in Counter() }
    final class Counter: Sendable { let value = Atomic<Int>(0) }

    public init() {}

    /// One REST request, by route template (not path).
    public func recordRequest(route: String, method: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[RequestKey(route: route, method: method, status: status), default: 0] += 1
            var latency = state.latency[route] ?? Latency()
            for (index, bound) in Self.latencyBucketsSeconds.enumerated() where seconds <= bound { latency.bucketCounts[index] += 1 }
            latency.count += 1
            latency.sumSeconds += seconds
            state.latency[route] = latency
        }
    }

    /// One statement run for a pgwire client, by its command (the tag's first word).
    public func recordStatement(commandTag: String) {
        // The tag's first word, without splitting the tag into an array (this runs per statement).
        let end = commandTag.utf8.firstIndex(of: UInt8(ascii: " ")) ?? commandTag.utf8.endIndex
        // A short word is a small string (no allocation), compared with the kinds as a whole.
        let word = String(commandTag[..<end])
        if let common = Self.commonKinds.firstIndex(of: word) {
            commonKindCounts[common].value.wrappingAdd(1, ordering: .relaxed)
            return
        }
        let kind = word.isEmpty ? "OTHER" : word
        state.withLock { $0.statements[kind, default: 0] += 1 }
    }

    public func pgConnectionOpened() { state.withLock { $0.pgConnections += 1 } }
    public func pgConnectionClosed() { state.withLock { $0.pgConnections -= 1 } }

    /// Everything, in Prometheus' text exposition format 0.0.4.
    public func render(storage: StorageStatistics, commitPaths: CommitPathCounts.Counts? = nil,
                       vectorIndexSizes: [String: Int] = [:]) -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        family(&lines, "vireo_http_requests_total", "counter", "REST requests by route, method and status.")
        for (key, count) in snapshot.requests.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            lines.append("vireo_http_requests_total{route=\(quoted(key.route)),method=\(quoted(key.method)),status=\"\(key.status)\"} \(count)")
        }
        family(&lines, "vireo_http_request_duration_seconds", "histogram", "REST request latency by route.")
        for (route, latency) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            for (bound, count) in zip(Self.latencyBucketsSeconds, latency.bucketCounts) {
                lines.append("vireo_http_request_duration_seconds_bucket{route=\(quoted(route)),le=\"\(bound)\"} \(count)")
            }
            lines.append("vireo_http_request_duration_seconds_bucket{route=\(quoted(route)),le=\"+Inf\"} \(latency.count)")
            lines.append("vireo_http_request_duration_seconds_sum{route=\(quoted(route))} \(latency.sumSeconds)")
            lines.append("vireo_http_request_duration_seconds_count{route=\(quoted(route))} \(latency.count)")
        }
        family(&lines, "vireo_pgwire_statements_total", "counter", "Statements run for pgwire clients, by command.")
        var statements = snapshot.statements
        for (kind, counter) in zip(Self.commonKinds, commonKindCounts) where counter.value.load(ordering: .relaxed) > 0 {
            statements[kind] = counter.value.load(ordering: .relaxed)
        }
        for (kind, count) in statements.sorted(by: { $0.key < $1.key }) {
            lines.append("vireo_pgwire_statements_total{command=\(quoted(kind))} \(count)")
        }
        gauge(&lines, "vireo_pgwire_connections", "Open pgwire connections.", snapshot.pgConnections)
        storageLines(&lines, storage)
        if let commitPaths {
            family(&lines, "vireo_commits_merged_total", "counter",
                   "Concurrent commits by how the group-commit leader took them: pages moved whole, moved in part, or replayed.")
            for (path, count) in [("moved_whole", commitPaths.movedWhole), ("moved_in_part", commitPaths.movedInPart),
                                  ("replayed", commitPaths.replayed)] {
                lines.append("vireo_commits_merged_total{path=\(quoted(path))} \(count)")
            }
        }
        family(&lines, "vireo_vector_index_vectors", "gauge", "Live vectors in each HNSW index loaded in memory.")
        for (name, count) in vectorIndexSizes.sorted(by: { $0.key < $1.key }) {
            lines.append("vireo_vector_index_vectors{index=\(quoted(name))} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func storageLines(_ lines: inout [String], _ storage: StorageStatistics) {
        counter(&lines, "vireo_wal_bytes_written_total", "Bytes of WAL frames written.", storage.walBytesWritten)
        counter(&lines, "vireo_wal_fsyncs_total", "WAL fsyncs of committed transactions.", storage.walCommitSyncs)
        counter(&lines, "vireo_buffer_pool_hits_total", "Page requests answered from the buffer pool.", storage.bufferPoolHits)
        counter(&lines, "vireo_buffer_pool_misses_total", "Page requests that read the database file.", storage.bufferPoolMisses)
        gauge(&lines, "vireo_buffer_pool_pages", "Pages cached in the buffer pool.", storage.bufferPoolPages)
        gauge(&lines, "vireo_buffer_pool_dirty_pages", "Committed pages not yet checkpointed.", storage.dirtyPages)
        gauge(&lines, "vireo_open_snapshots", "Snapshots open: statements reading and transactions open.", storage.openSnapshots)
        gauge(&lines, "vireo_retained_page_versions", "Replaced page versions kept in memory for open snapshots.",
              storage.retainedPageVersions)
    }

    private func family(_ lines: inout [String], _ name: String, _ type: String, _ help: String) {
        lines.append("# HELP \(name) \(help)")
        lines.append("# TYPE \(name) \(type)")
    }

    private func counter(_ lines: inout [String], _ name: String, _ help: String, _ value: Int) {
        family(&lines, name, "counter", help)
        lines.append("\(name) \(value)")
    }

    private func gauge(_ lines: inout [String], _ name: String, _ help: String, _ value: Int) {
        family(&lines, name, "gauge", help)
        lines.append("\(name) \(value)")
    }

    /// A label value with `\`, `"` and newlines escaped.
    private func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
