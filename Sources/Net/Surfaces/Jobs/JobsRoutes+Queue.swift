import Crypto
import Foundation
import VireoQuery

/// Creating jobs and giving them scripts (seed 003's POST /api/jobs/create and upload-script).
enum JobsQueueRoutes {
    static var all: [RouteDeclaration] { [create, uploadScript] }

    static let jobIDPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
    static let entrypointPattern = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\\.(py|sh)$"
    static let outputFilePattern = "^[A-Za-z0-9_][A-Za-z0-9_./-]{0,255}$"

    static let create = RouteDeclaration(
        .post, "/api/jobs/create", summary: "Create a job (pending until it has a script and a node takes it)",
        requestBody: .object([
            ("jobId", .string(length: 1...128, pattern: jobIDPattern)), ("datasetName", .nullable(.string(length: 0...1024))),
            ("datasetUrl", .nullable(.string(length: 0...4096))), ("datasetHash", .nullable(.string(length: 0...256))),
            ("runtimeMinutesEstimate", .nullable(.number)), ("meta", .nullable(.map(of: .any, count: 0...256))),
            ("maxAttempts", .integer(range: 1...100)),
        ]),
        response: JobShapes.job
    ) { input, services in
        let jobs = services.jobs
        let jobID = input.field("jobId")?.unquotedText
        if let jobID { try matches(jobID, jobIDPattern, field: "jobId", "1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit") }
        let estimate: Double? = if case .number(let minutes)? = input.field("runtimeMinutesEstimate") { minutes } else { nil }
        if let estimate, !(estimate > 0 && estimate <= 7 * 24 * 60) {
            throw RESTError.invalid("runtimeMinutesEstimate", "must be more than 0 and at most a week (10080 minutes)")
        }
        let attemptsMax = input.field("maxAttempts").flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? jobs.configuration.attemptsMax
        let new = JobQueue.NewJob(jobID: jobID, datasetName: input.field("datasetName")?.unquotedText,
                                  datasetURL: input.field("datasetUrl")?.unquotedText, datasetHash: input.field("datasetHash")?.unquotedText,
                                  runtimeMinutesEstimate: estimate, meta: input.field("meta") ?? .null, attemptsMax: attemptsMax)
        let job = try await jobs.changing { try JobQueue.create($0, new) }
        return RouteOutput(JobShapes.json(job))
    }

    static let uploadScript = RouteDeclaration(
        .post, "/api/jobs/upload-script", summary: "Give a job its script (Python or shell), requirements and output file",
        requestBody: .object([
            ("jobId", .string(length: 1...128)), ("script", .string()), ("requirements", .nullable(.string())),
            ("entrypoint", .string(length: 1...131, pattern: entrypointPattern)), ("outputFile", .nullable(.string(length: 1...256, pattern: outputFilePattern))),
        ], required: ["jobId", "script"]),
        response: .object([("jobId", .string()), ("scriptHash", .string()), ("entrypoint", .string()), ("bytes", .integer())],
                          required: ["jobId", "scriptHash", "entrypoint", "bytes"])
    ) { input, services in
        let jobs = services.jobs, limits = jobs.configuration
        let jobID = input.field("jobId")?.unquotedText ?? ""
        let script = input.field("script")?.unquotedText ?? ""
        let requirements = input.field("requirements")?.unquotedText.flatMap { $0.isEmpty ? nil : $0 }
        let entrypoint = input.field("entrypoint")?.unquotedText ?? "train.py"
        let outputFile = input.field("outputFile")?.unquotedText
        try matches(entrypoint, entrypointPattern, field: "entrypoint", "a file name ending in .py or .sh")
        if let outputFile {
            try matches(outputFile, outputFilePattern, field: "outputFile", "a relative path of letters, digits, '_', '.', '-' and '/'")
            if outputFile.split(separator: "/").contains("..") { throw RESTError.invalid("outputFile", "must stay inside the job's directory") }
        }
        guard !script.isEmpty else { throw RESTError.invalid("script", "must not be empty") }
        guard script.utf8.count <= limits.scriptBytesMax else {
            throw RESTError(.contentTooLarge, code: "script_too_large", "the script is \(script.utf8.count) bytes; the limit is \(limits.scriptBytesMax)", field: "script")
        }
        guard (requirements?.utf8.count ?? 0) <= limits.requirementsBytesMax else {
            throw RESTError(.contentTooLarge, code: "requirements_too_large", "the requirements are longer than \(limits.requirementsBytesMax) bytes", field: "requirements")
        }
        let sha256 = scriptDigest(script: script, requirements: requirements, entrypoint: entrypoint)
        let record = JobQueue.Script(script: script, requirements: requirements, entrypoint: entrypoint, outputFile: outputFile, sha256: sha256)
        try await jobs.changing { try JobQueue.uploadScript($0, jobID: jobID, record) }
        jobs.work.notify()
        return RouteOutput(.fields(("jobId", .string(jobID)), ("scriptHash", .string(sha256)), ("entrypoint", .string(entrypoint)),
                                   ("bytes", .number(Double(script.utf8.count)))))
    }

    /// What a run depends on: the script, its requirements and how it is started.
    static func scriptDigest(script: String, requirements: String?, entrypoint: String) -> String {
        let material = entrypoint + "\u{0}" + script + "\u{0}" + (requirements ?? "")
        return SHA256.hash(data: Data(material.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func matches(_ text: String, _ pattern: String, field: String, _ expected: String) throws {
        guard text.range(of: pattern, options: .regularExpression) != nil else { throw RESTError.invalid(field, "must be \(expected)") }
    }
}
