import Foundation
import VireoQuery
import VireoStorage

/// Users of the AI-ETL surface: created by `vireo user add` or an administrator's
/// POST /api/v1/users; their passwords kept only as scrypt hashes.
public enum PipelineUsers {
    /// Emails as the seed's clients send them: something@something, at most this long.
    static let emailBytesMax = 254

    /// Adds a user; 409 when the email is taken. Returns the user's JSON.
    public static func add(_ session: Session, email rawEmail: String, password: String, role: String) throws -> JSONValue {
        let email = try normalized(rawEmail)
        guard Principal.Role(rawValue: role) != nil else {
            throw RESTError.invalid("role", "must be one of admin, editor, viewer")
        }
        let length = password.utf8.count
        guard length >= PasswordHash.passwordBytesMin, length <= PasswordHash.passwordBytesMax else {
            throw RESTError.invalid("password", "must be \(PasswordHash.passwordBytesMin) to \(PasswordHash.passwordBytesMax) bytes long")
        }
        try PipelineSchema.create(session)
        let id = PipelineIDs.make("user")
        let hash = try PasswordHash.make(password)
        do {
            try session.execute("INSERT INTO \(PipelineSchema.users) (id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
                                [.text(id), .text(email), .text(hash), .text(role), .int(PipelineIDs.nowSeconds)])
        } catch let error as VireoError where error.code == .uniqueViolation {
            throw PipelineErrors.conflict("a user with email \(email) already exists", field: "email")
        }
        return json(id: id, email: email, role: role, createdAt: PipelineIDs.nowSeconds)
    }

    static func normalized(_ email: String) throws -> String {
        let trimmed = email.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), trimmed.utf8.count <= emailBytesMax,
              !trimmed.contains(where: \.isWhitespace) else {
            throw RESTError.invalid("email", "must be an email address")
        }
        return trimmed
    }

    static func json(id: String, email: String, role: String, createdAt: Int64) -> JSONValue {
        .fields(("id", .string(id)), ("email", .string(email)), ("role", .string(role)), ("created_at", PipelineIDs.iso(createdAt)))
    }

    struct Record { var id: String, email: String, hash: String, role: String }

    static func find(_ session: Session, email: String) throws -> Record? {
        let rows = try session.execute("SELECT id, email, password_hash, role FROM \(PipelineSchema.users) WHERE email = $1", [.text(email)]).rows
        guard let row = rows.first, let id = row.text(0), let email = row.text(1), let hash = row.text(2), let role = row.text(3) else { return nil }
        return Record(id: id, email: email, hash: hash, role: role)
    }
}

/// Failed logins counted per email in windows of `windowSeconds`; past `failuresMax` the
/// email is refused (429) until the window ends, right password or not.
enum LoginThrottle {
    static let failuresMax = 5
    static let windowSeconds: Int64 = 300

    /// Seconds until the email may try again, or nil when it may now.
    static func blockedSeconds(_ session: Session, email: String) throws -> Int64? {
        let now = PipelineIDs.nowSeconds
        let rows = try session.execute("SELECT window_start, failures FROM \(PipelineSchema.loginFailures) WHERE email = $1", [.text(email)]).rows
        guard let row = rows.first, let start = row.int(0), let failures = row.int(1) else { return nil }
        guard now - start < windowSeconds, failures >= failuresMax else { return nil }
        return windowSeconds - (now - start)
    }

    static func recordFailure(_ session: Session, email: String) throws {
        let now = PipelineIDs.nowSeconds
        try session.execute("""
            INSERT INTO \(PipelineSchema.loginFailures) (email, window_start, failures) VALUES ($1, $2, 1)
            ON CONFLICT (email) DO UPDATE SET
              failures = CASE WHEN $2 - \(PipelineSchema.loginFailures).window_start >= \(windowSeconds) THEN 1 ELSE \(PipelineSchema.loginFailures).failures + 1 END,
              window_start = CASE WHEN $2 - \(PipelineSchema.loginFailures).window_start >= \(windowSeconds) THEN $2 ELSE \(PipelineSchema.loginFailures).window_start END
            """, [.text(email), .int(now)])
    }

    static func clear(_ session: Session, email: String) throws {
        try session.execute("DELETE FROM \(PipelineSchema.loginFailures) WHERE email = $1", [.text(email)])
    }
}
