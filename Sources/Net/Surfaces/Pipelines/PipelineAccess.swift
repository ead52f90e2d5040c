import Foundation
import VireoQuery

/// Who made a request: an API key (an administrator) or a user's access token.
public struct Principal: Sendable, Equatable {
    /// What a principal may do; each role can do what the ones below it can.
    public enum Role: String, Sendable, CaseIterable, Comparable {
        case viewer, editor, admin
        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
        public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
    }

    /// `api-key`, or the user's id.
    public var subject: String
    public var role: Role
    /// The access token's id, for logout; nil for API keys.
    public var tokenID: String?
    /// When the access token expires (seconds since 1970); nil for API keys.
    public var expiresAt: Int64?
    /// The login the access token belongs to (its refresh-token family).
    public var family: String?

    static let apiKey = Principal(subject: "api-key", role: .admin)
}

extension RouteInput {
    /// The caller, when it may do what `role` may; else 403 PERMISSION_DENIED. Requests reach
    /// routes only through the access middleware, so a missing principal is a keyless probe.
    @discardableResult
    func require(_ role: Principal.Role) throws -> Principal {
        guard let principal else { throw RESTError(.unauthorized, code: "unauthorized", "authentication is required") }
        guard principal.role >= role else {
            throw PipelineErrors.permissionDenied("this needs the \(role.rawValue) role; you are \(principal.role.rawValue)")
        }
        return principal
    }
}

/// Identifiers and clocks the surface shares.
enum PipelineIDs {
    static func make(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }

    static var nowSeconds: Int64 { Int64(Date().timeIntervalSince1970) }
    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Seconds (or ms with `milliseconds`) since 1970 as ISO 8601 in UTC.
    static func iso(_ seconds: Int64?, milliseconds: Bool = false) -> JSONValue {
        guard let seconds else { return .null }
        let date = Date(timeIntervalSince1970: milliseconds ? Double(seconds) / 1000 : Double(seconds))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = milliseconds ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return .string(formatter.string(from: date))
    }
}
