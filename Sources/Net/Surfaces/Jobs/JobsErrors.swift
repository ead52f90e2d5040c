import Hummingbird
import VireoQuery

/// Seed 003's error envelope, FastAPI's `{"detail": "…"}`, for every path of the surface.
/// Validation errors stay 422 as FastAPI answers them; the message names the field.
enum JobsErrors {
    static let prefixes = ["/api/jobs/", "/api/nodes/", "/api/frontend/", "/api/usage-report", "/ws/"]

    static let schema = Schema.object([("detail", .string())], required: ["detail"])

    static let formats = prefixes.map { prefix in
        ErrorFormat(pathPrefix: prefix, schema: schema) { error, _ in
            let message = error.field.map { "\($0): \(error.message)" } ?? error.message
            return (error.status, .fields(("detail", .string(message))), error.headers)
        }
    }

    static func jobNotFound(_ jobID: String) -> RESTError {
        RESTError(.notFound, code: "job_not_found", "Job \(jobID) not found")
    }
}
