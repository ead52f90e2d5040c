import VireoQuery

/// The surface's camelCase shapes: times in whole seconds since 1970 as the seed writes
/// them, `duration` in seconds (to the millisecond).
enum JobShapes {
    static let timestamp = Schema.nullable(.integer())

    static let job = Schema.object([
        ("jobId", .string()), ("status", .string(allowed: JobStatus.all)), ("datasetName", .nullable(.string())),
        ("datasetUrl", .nullable(.string())), ("datasetHash", .nullable(.string())), ("runtimeMinutesEstimate", .nullable(.number)),
        ("meta", .any), ("createdAt", .integer()), ("assignedNode", .nullable(.string())), ("assignedAt", timestamp),
        ("startedAt", timestamp), ("finishedAt", timestamp), ("duration", .nullable(.number)), ("modelHash", .nullable(.string())),
        ("exitCode", .nullable(.integer())), ("error", .nullable(.string())), ("metadata", .any), ("attempts", .integer()),
        ("attempt", .integer()), ("maxAttempts", .integer()), ("leaseExpiresAt", timestamp), ("scriptHash", .nullable(.string())),
    ], required: ["jobId", "status", "createdAt", "attempts", "attempt", "maxAttempts"])

    static func json(_ job: JobRecord) -> JSONValue {
        .fields(("jobId", .string(job.jobID)), ("status", .string(job.status)), ("datasetName", string(job.datasetName)),
                ("datasetUrl", string(job.datasetURL)), ("datasetHash", string(job.datasetHash)),
                ("runtimeMinutesEstimate", job.runtimeMinutesEstimate.map(JSONValue.number) ?? .null),
                ("meta", job.meta == .null ? .object([]) : job.meta), ("createdAt", seconds(job.createdAtMs)),
                ("assignedNode", string(job.assignedNode)), ("assignedAt", seconds(job.assignedAtMs)),
                ("startedAt", seconds(job.startedAtMs)), ("finishedAt", seconds(job.finishedAtMs)),
                ("duration", job.durationMs.map { .number(Double($0) / 1000) } ?? .null), ("modelHash", string(job.modelHash)),
                ("exitCode", job.exitCode.map { .number(Double($0)) } ?? .null), ("error", string(job.error)),
                ("metadata", job.metadata == .null ? .object([]) : job.metadata), ("attempts", .number(Double(job.attempts))),
                ("attempt", .number(Double(job.attemptTotal))), ("maxAttempts", .number(Double(job.attemptsMax))),
                ("leaseExpiresAt", seconds(job.leaseExpiresAtMs)), ("scriptHash", string(job.scriptSHA256)))
    }

    static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    static func seconds(_ milliseconds: Int64?) -> JSONValue {
        milliseconds.map { .number(Double($0 / 1000)) } ?? .null
    }

    static let logLine = Schema.object([
        ("line", .string()), ("timestamp", .integer()), ("stream", .string()), ("attempt", .integer()), ("lineNo", .integer()),
    ], required: ["line", "timestamp"])

    static let event = Schema.object([
        ("event", .string()), ("nodeId", .nullable(.string())), ("attempt", .nullable(.integer())), ("timestamp", .integer()),
        ("detail", .any),
    ], required: ["event", "timestamp"])
}
