import Foundation
import VireoQuery
import VireoStorage

/// `storage/recommend`: rules over the figures of a data profile, each advice with its reason.
enum StorageAdvice {
    /// A petabyte: beyond it the figures are surely a mistake.
    static let sizeGBMax = 1e6

    static let recommend = RouteDeclaration(
        .post, "/api/v1/storage/recommend", summary: "Storage advice from a data profile (size, growth, access pattern, query types), with reasons",
        requestBody: .object([("data_profile", .object([
            ("size_gb", .number), ("growth_rate", .string(length: 0...64)),
            ("access_pattern", .string(allowed: ["read_heavy", "write_heavy", "mixed"])),
            ("query_types", .array(of: .string(allowed: ["analytical", "time_series", "transactional", "vector_search", "full_text", "key_value"]), count: 0...6)),
            ("row_count", .integer()), ("retention_days", .integer(range: 1...36500)),
        ]))], required: ["data_profile"]),
        response: .object([("storage", .string()), ("layout", .string()), ("partitioning", .any), ("indexes", .array(of: .string())),
                           ("compression", .string()), ("projected_size_gb_12_months", .number), ("reasons", .array(of: .string()))])
    ) { input, _ in
        try input.require(.viewer)
        let profile = input.field("data_profile") ?? .null
        let size = profile.member("size_gb").flatMap { if case .number(let n) = $0 { n } else { nil } } ?? 0
        guard size.isFinite, (0...sizeGBMax).contains(size) else { throw RESTError.invalid("data_profile.size_gb", "must be from 0 to \(Int(sizeGBMax))") }
        let growth = monthlyGrowthGB(profile.member("growth_rate")?.unquotedText ?? "")
        guard growth <= sizeGBMax else { throw RESTError.invalid("data_profile.growth_rate", "must be at most \(Int(sizeGBMax)) GB a month") }
        let access = profile.member("access_pattern")?.unquotedText ?? "mixed"
        let kinds = Set((profile.member("query_types")?.items ?? []).compactMap(\.unquotedText))
        return RouteOutput(advise(sizeGB: size, growthGBPerMonth: growth, access: access, kinds: kinds))
    }

    /// "10GB/month", "500 MB per day", "1TB/year" → GB a month; unreadable text is 0.
    static func monthlyGrowthGB(_ text: String) -> Double {
        let lower = text.lowercased().replacingOccurrences(of: " ", with: "")
        guard let match = PipelineGenerator.captures(#"^([0-9]+(?:\.[0-9]+)?)(kb|mb|gb|tb)(?:/|per)(day|week|month|year)$"#, lower), match.count == 3,
              let amount = Double(match[0]) else { return 0 }
        let units: [String: Double] = ["kb": 1e-6, "mb": 1e-3, "gb": 1.0, "tb": 1e3]
        let periods: [String: Double] = ["day": 30.0, "week": 30.0 / 7, "month": 1.0, "year": 1.0 / 12]
        let unit = units[match[1]] ?? 1, perMonth = periods[match[2]] ?? 1
        return amount * unit * perMonth
    }

    static func advise(sizeGB: Double, growthGBPerMonth: Double, access: String, kinds: Set<String>) -> JSONValue {
        var reasons: [String] = [], indexes: [String] = []
        let projected = sizeGB + 12 * growthGBPerMonth
        let analytical = kinds.contains("analytical") || kinds.contains("time_series")
        let layout = analytical && access != "write_heavy" ? "columnar" : "row"
        reasons.append(layout == "columnar"
            ? "analytical scans read few columns of many rows: a columnar copy reads less"
            : (access == "write_heavy" ? "write-heavy: a row store with a write-ahead log takes inserts at the lowest cost" : "point reads and updates favour a row store"))
        let storage = projected > 1000 ? "object storage (Parquet) with a query engine" : (layout == "columnar" ? "columnar warehouse table" : "Vireo table")
        reasons.append(String(format: "%.1f GB now, about %.1f GB in 12 months at %.1f GB a month", sizeGB, projected, growthGBPerMonth))
        var partitioning: JSONValue = .null
        if kinds.contains("time_series") || (projected > 100 && analytical) {
            let grain = growthGBPerMonth > 300 ? "day" : "month"
            partitioning = .fields(("strategy", .string("by_date")), ("granularity", .string(grain)))
            reasons.append("time-ordered data over \(String(format: "%.0f", projected)) GB: partition by \(grain) so old partitions can be dropped and filters skip them")
        }
        if kinds.contains("time_series") { indexes.append("btree on the timestamp column") }
        if kinds.contains("transactional") || kinds.contains("key_value") { indexes.append("primary key / unique btree on the lookup key") }
        if kinds.contains("vector_search") { indexes.append("hnsw (vector_cosine_ops) on the embedding column"); reasons.append("vector search: an HNSW index answers top-k without a full scan") }
        if kinds.contains("full_text") { indexes.append("gin on a generated tsvector column"); reasons.append("full-text search: a GIN index over tsvector") }
        if access == "write_heavy", indexes.count > 2 { reasons.append("write-heavy: keep to the indexes listed, each one costs every insert") }
        let compression = layout == "columnar" ? "zstd" : (sizeGB > 50 ? "lz4" : "none")
        return .fields(("storage", .string(storage)), ("layout", .string(layout)), ("partitioning", partitioning),
                       ("indexes", .array(indexes.map(JSONValue.string))), ("compression", .string(compression)),
                       ("projected_size_gb_12_months", .number((projected * 10).rounded() / 10)), ("reasons", .array(reasons.map(JSONValue.string))))
    }
}

/// `observability/metrics`: runs as time series over a range, bucketed, with aggregates.
enum PipelineMetrics {
    static let names = ["pipeline_executions", "pipeline_failures", "pipeline_duration_seconds", "rows_processed"]
    static let intervals: [String: Int64] = ["minute": 60_000, "hour": 3_600_000, "day": 86_400_000]

    static let metrics = RouteDeclaration(
        .get, "/api/v1/observability/metrics", summary: "Pipeline executions, failures, durations and rows as time series over [start, end), with aggregates",
        parameters: [ParameterDeclaration("start", in: .query, .string(length: 1...40), summary: "ISO 8601; default 24 hours ago"),
                     ParameterDeclaration("end", in: .query, .string(length: 1...40), summary: "ISO 8601; default now"),
                     ParameterDeclaration("metric", in: .query, .string(allowed: names)),
                     ParameterDeclaration("interval", in: .query, .string(allowed: Array(intervals.keys).sorted())),
                     ParameterDeclaration("pipeline_id", in: .query, .string(length: 1...64))],
        response: .object([("metric", .string()), ("interval", .string()), ("metrics", .array(of: .any)), ("aggregates", .any)])
    ) { input, session in
        try input.require(.viewer)
        let end = try time(input.query("end"), field: "end") ?? PipelineIDs.nowMs
        let start = try time(input.query("start"), field: "start") ?? end - 86_400_000
        guard start < end else { throw RESTError.invalid("start", "must be before end") }
        let metric = input.query("metric") ?? "pipeline_executions", interval = input.query("interval") ?? "hour"
        let bucket = intervals[interval] ?? 3_600_000
        var filter = "r.created_at >= $1 AND r.created_at < $2 AND r.status IN ('succeeded', 'failed')"
        var parameters: [Value] = [.int(start), .int(end)]
        if let pipeline = input.query("pipeline_id") { filter += " AND r.pipeline_id = $3"; parameters.append(.text(pipeline)) }
        let value = switch metric {
        case "pipeline_duration_seconds": "avg((r.finished_at - r.started_at) / 1000.0)"
        case "rows_processed": "sum(r.rows_written)"
        default: "count(*)"
        }
        let statusFilter = metric == "pipeline_failures" ? " AND r.status = 'failed'" : ""
        let series = try session.execute("""
            SELECT (r.created_at / \(bucket)) * \(bucket) AS bucket, p.name, r.status, \(value)
            FROM \(PipelineSchema.runs) r JOIN \(PipelineSchema.pipelines) p ON p.id = r.pipeline_id
            WHERE \(filter)\(statusFilter) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """, parameters).rows.map { row -> JSONValue in
            .fields(("timestamp", PipelineIDs.iso(row.int(0), milliseconds: true)), ("value", JSONValue(row[3])),
                    ("labels", .fields(("pipeline", .string(row.text(1) ?? "")), ("status", .string(row.text(2) == "succeeded" ? "success" : "failure")))))
        }
        let totals = try session.execute("""
            SELECT count(*), count(*) FILTER (WHERE r.status = 'succeeded'), avg((r.finished_at - r.started_at) / 1000.0), coalesce(sum(r.rows_written), 0)
            FROM \(PipelineSchema.runs) r WHERE \(filter)
            """, parameters).rows.first ?? []
        let total: Int = totals.isEmpty ? 0 : Int(totals.int(0) ?? 0)
        let succeeded: Int = totals.count > 1 ? Int(totals.int(1) ?? 0) : 0
        let aggregates = JSONValue.fields(
            ("total", .integer(total)), ("succeeded", .integer(succeeded)), ("failed", .integer(total - succeeded)),
            ("success_rate", total == 0 ? .null : .number(Double(succeeded) / Double(total))),
            ("avg_duration_seconds", totals.count > 2 ? JSONValue(totals[2]) : .null),
            ("rows_processed", totals.count > 3 ? JSONValue(totals[3]) : .integer(0)))
        return RouteOutput(.fields(("metric", .string(metric)), ("interval", .string(interval)), ("metrics", .array(series)), ("aggregates", aggregates)))
    }

    static func time(_ text: String?, field: String) throws -> Int64? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? fractional.date(from: text) else {
            throw RESTError.invalid(field, "must be an ISO 8601 time such as 2024-01-26T00:00:00Z")
        }
        return Int64(date.timeIntervalSince1970 * 1000)
    }
}
