import Foundation
import VireoQuery
import VireoStorage

/// Profile and preview a connector's table, storage advice, and pipeline metrics.
enum DataRoutes {
    static var all: [RouteDeclaration] { [profile, preview, StorageAdvice.recommend, PipelineMetrics.metrics, NLQueryRoute.route] }
    static let sampleRowsMax = 100_000
    static let previewRowsMax = 1000

    static let profile = RouteDeclaration.etl(
        .post, "/api/v1/data/profile",
        summary: "Profile a table through its connector: per-column type, nulls, distinct values, min/max, top values; duplicates, size; partitioning and index advice",
        requestBody: .object([("source", .string(length: 1...64)), ("table", .string(length: 1...200)),
                              ("sample_size", .integer(range: 1...Int64(sampleRowsMax)))], required: ["source", "table"]),
        response: .object([("row_count", .integer()), ("sampled_rows", .integer()), ("columns", .array(of: .any)),
                           ("statistics", .any), ("recommendations", .any)])
    ) { input, session, service in
        try input.require(.viewer)
        let connector = try service.store.find(session, input.field("source")?.unquotedText ?? "")
        let reader = try service.reader(connector, session)
        let table = input.field("table")?.unquotedText ?? ""
        let sampleSize = input.field("sample_size").flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 1000
        let (columns, rows) = try sample(reader, table, limit: sampleSize)
        let total = try reader.count(table)
        var fileBytes: Int?
        if let path = connector.setting("path")?.unquotedText, connector.type != "vireo",
           let resolved = try? service.roots.confine(path), let size = try? FileManager.default.attributesOfItem(atPath: resolved)[.size] as? Int {
            fileBytes = size
        }
        return RouteOutput(Profiler(columns: columns, rows: rows, totalRows: total, fileBytes: fileBytes).json)
    }

    /// At most `limit` rows of the table, read in batches.
    static func sample(_ reader: any ConnectorReader, _ table: String, limit: Int) throws -> ([SourceColumn], [[Value]]) {
        var columns: [SourceColumn] = [], rows: [[Value]] = []
        try reader.read(.table(table), parameters: [:], batchRows: min(limit, 1000)) { batchColumns, batch in
            columns = batchColumns
            rows += batch.prefix(limit - rows.count)
            return rows.count < limit
        }
        return (columns, rows)
    }

    static let preview = RouteDeclaration.etl(
        .get, "/api/v1/data/preview", summary: "The first rows of a table through its connector, with column types",
        parameters: [ParameterDeclaration("source", in: .query, .string(length: 1...64), required: true, summary: "connector id"),
                     ParameterDeclaration("table", in: .query, .string(length: 1...200), required: true),
                     ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(previewRowsMax)), summary: "rows (default 100)")],
        response: .object([("columns", .array(of: .object([("name", .string()), ("type", .string())]))), ("rows", .array(of: .any)),
                           ("row_count", .integer())])
    ) { input, session, service in
        try input.require(.viewer)
        let connector = try service.store.find(session, input.query("source") ?? "")
        let reader = try service.reader(connector, session)
        let (columns, rows) = try sample(reader, input.query("table") ?? "", limit: input.query("limit").flatMap { Int($0) } ?? 100)
        let objects: [JSONValue] = rows.map { row in .object(zip(columns, row).map { ($0.name, JSONValue($1)) }) }
        return RouteOutput(.fields(("columns", .array(columns.map { .fields(("name", .string($0.name)), ("type", .string($0.type))) })),
                                   ("rows", .array(objects)), ("row_count", .integer(rows.count))))
    }
}

/// The figures of a sample and the advice they support.
struct Profiler {
    static let topValuesMax = 5
    let columns: [SourceColumn]
    let rows: [[Value]]
    let totalRows: Int?
    let fileBytes: Int?

    struct ColumnFigures {
        var nulls = 0, distinct = 0, top: [(Value, Int)] = [], minimum: Value?, maximum: Value?
    }

    func figures(_ index: Int) -> ColumnFigures {
        var counts: [Value: Int] = [:], figures = ColumnFigures()
        for row in rows {
            let value = row[index]
            if value == .null { figures.nulls += 1; continue }
            counts[value, default: 0] += 1
            if figures.minimum.map({ Self.less(value, $0) }) ?? true { figures.minimum = value }
            if figures.maximum.map({ Self.less($0, value) }) ?? true { figures.maximum = value }
        }
        figures.distinct = counts.count
        figures.top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : (JSONValue($0.key).text < JSONValue($1.key).text) }
            .prefix(Self.topValuesMax).map { ($0.key, $0.value) }
        return figures
    }

    static func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): x < y
        case (.double(let x), .double(let y)): x < y
        case (.int(let x), .double(let y)): Double(x) < y
        case (.double(let x), .int(let y)): x < Double(y)
        default: (a.text ?? "") < (b.text ?? "")
        }
    }

    var json: JSONValue {
        let sampled = rows.count
        var columnsJSON: [JSONValue] = [], nullCells = 0, uniqueColumns: [String] = [], dateColumns: [String] = []
        for (index, column) in columns.enumerated() {
            let figures = figures(index)
            nullCells += figures.nulls
            let unique = sampled > 0 && figures.nulls == 0 && figures.distinct == sampled
            if unique { uniqueColumns.append(column.name) }
            if column.type.hasPrefix("timestamp") || column.type == "date" || InferredType.looksLikeTimestamp(figures.minimum?.text ?? "") {
                dateColumns.append(column.name)
            }
            columnsJSON.append(.fields(
                ("name", .string(column.name)), ("type", .string(column.type)), ("nullable", .bool(figures.nulls > 0)),
                ("null_percentage", .number(percentage(figures.nulls, sampled))), ("distinct_count", .integer(figures.distinct)),
                ("unique", .bool(unique)), ("min", figures.minimum.map(JSONValue.init) ?? .null), ("max", figures.maximum.map(JSONValue.init) ?? .null),
                ("top_values", .array(figures.top.map { .fields(("value", JSONValue($0.0)), ("count", .integer($0.1))) }))))
        }
        let duplicates = sampled - Set(rows).count
        let sampleBytes = rows.reduce(0) { $0 + $1.reduce(0) { $0 + ($1.text?.utf8.count ?? 0) } }
        let estimatedBytes = fileBytes ?? (sampled > 0 ? sampleBytes * (totalRows ?? sampled) / sampled : 0)
        let statistics = JSONValue.fields(
            ("null_percentage", .number(percentage(nullCells, sampled * max(1, columns.count)))),
            ("duplicate_percentage", .number(percentage(duplicates, sampled))), ("duplicate_rows", .integer(duplicates)),
            ("size_mb", .number((Double(estimatedBytes) / 1_048_576 * 1000).rounded() / 1000)),
            ("size_is_estimate", .bool(fileBytes == nil)))
        return .fields(("row_count", .integer(totalRows ?? sampled)), ("sampled_rows", .integer(sampled)), ("columns", .array(columnsJSON)),
                       ("statistics", statistics), ("recommendations", recommendations(uniqueColumns, dateColumns)))
    }

    func percentage(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : (Double(part) / Double(whole) * 10000).rounded() / 10000 }

    /// Partition by the first date column of a large table; index unique columns and the
    /// `*_id` columns joins go through.
    func recommendations(_ unique: [String], _ dates: [String]) -> JSONValue {
        let rowsTotal = totalRows ?? rows.count
        var reasons: [String] = [], indexing = unique
        let partitioning: String
        if let date = dates.first, rowsTotal >= 100_000 {
            partitioning = "by_date"
            reasons.append("\(date) is a date and the table has \(rowsTotal) rows: range-partition by it (monthly) so time filters skip old data")
        } else {
            partitioning = "none"
            reasons.append(dates.isEmpty ? "no date column to partition by" : "\(rowsTotal) rows is small enough that one partition serves")
        }
        for column in columns.map(\.name) where column.hasSuffix("_id") && !indexing.contains(column) { indexing.append(column) }
        for date in dates where !indexing.contains(date) { indexing.append(date) }
        if !unique.isEmpty { reasons.append("unique in the sample: \(unique.joined(separator: ", ")) (a unique index, or the primary key)") }
        return .fields(("partitioning", .string(partitioning)), ("partition_column", dates.first.map(JSONValue.string) ?? .null),
                       ("indexing", .array(indexing.map(JSONValue.string))), ("reasons", .array(reasons.map(JSONValue.string))))
    }
}
