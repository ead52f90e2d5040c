import VireoQuery
import VireoStorage

/// The pipelines' figures in Prometheus's text format, appended to /metrics: finished runs,
/// their total duration and rows written by pipeline and status, and the runs queued and
/// running now. Counted from `vireo_pipeline_runs`, so they survive a restart.
extension PipelineService {
    public func prometheusText() async -> String {
        guard let rows = try? await engine.session({ session in
            try session.execute("""
                SELECT p.name, r.status, count(*), coalesce(sum(r.finished_at - r.started_at), 0), coalesce(sum(r.rows_written), 0)
                FROM \(PipelineSchema.runs) r JOIN \(PipelineSchema.pipelines) p ON p.id = r.pipeline_id GROUP BY p.name, r.status ORDER BY 1, 2
                """).rows
        }) else { return "" }
        var runs: [String] = [], seconds: [String] = [], written: [String] = [], now: [String: Int64] = ["queued": 0, "running": 0]
        for row in rows {
            guard let name = row.text(0), let status = row.text(1), let count = row.int(2) else { continue }
            if status == "queued" || status == "running" { now[status, default: 0] += count; continue }
            let labels = "{pipeline=\"\(Self.escapedLabel(name))\",status=\"\(status)\"}"
            runs.append("vireo_pipeline_runs_total\(labels) \(count)")
            seconds.append("vireo_pipeline_run_duration_seconds_total\(labels) \(Double(row.int(3) ?? 0) / 1000)")
            written.append("vireo_pipeline_rows_written_total\(labels) \(row.int(4) ?? 0)")
        }
        let sections = [
            ("vireo_pipeline_runs_total", "counter", "Pipeline runs finished, by pipeline and status.", runs),
            ("vireo_pipeline_run_duration_seconds_total", "counter", "Seconds spent in finished pipeline runs.", seconds),
            ("vireo_pipeline_rows_written_total", "counter", "Rows pipeline runs wrote to their targets.", written),
            ("vireo_pipeline_runs_active", "gauge", "Pipeline runs queued or running now.",
             now.sorted { $0.key < $1.key }.map { "vireo_pipeline_runs_active{state=\"\($0.key)\"} \($0.value)" }),
        ]
        return sections.map { name, type, help, lines in
            (["# HELP \(name) \(help)", "# TYPE \(name) \(type)"] + lines).joined(separator: "\n") + "\n"
        }.joined()
    }

    /// A label value with `\`, `"` and newlines escaped, as the text format asks.
    static func escapedLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
