import Foundation
import Hummingbird
import VireoQuery
import VireoStorage

/// Seed 001's authentication: login, refresh (rotating), logout, who am I; and the
/// administrators' user management.
enum AuthRoutes {
    static var all: [RouteDeclaration] { [login, refresh, logout, me, createUser, listUsers, deleteUser] }

    static let tokenPair = Schema.object([
        ("access_token", .string()), ("refresh_token", .string()), ("token_type", .string()), ("expires_in", .integer()),
    ])
    static let user = Schema.object([("id", .string()), ("email", .string()), ("role", .string()), ("created_at", .string())])
    /// Verified when an email is unknown, so that answering takes as long as for a known one.
    static let decoyHash = (try? PasswordHash.make("vireo-decoy-password")) ?? ""

    static let login = RouteDeclaration(
        .post, "/api/v1/auth/login", summary: "Log in with email and password: an access token and a refresh token",
        requiresKey: false,
        requestBody: .object([("email", .string(length: 1...PipelineUsers.emailBytesMax)),
                              ("password", .string(length: 1...PasswordHash.passwordBytesMax))], required: ["email", "password"]),
        response: tokenPair
    ) { input, services in
        let email = (input.field("email")?.unquotedText ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = input.field("password")?.unquotedText ?? ""
        if let seconds = try await services.session({ try LoginThrottle.blockedSeconds($0, email: email) }) {
            var error = RESTError(.tooManyRequests, code: "rate_limited",
                                  "too many failed logins for this email; try again in \(seconds) s")
            error.headers[.retryAfter] = String(seconds)
            throw error
        }
        let record = try await services.session { try PipelineUsers.find($0, email: email) }
        let accepted = try await services.blocking { PasswordHash.verify(password, against: record?.hash ?? decoyHash) }
        guard accepted, let record else {
            try await services.session { try LoginThrottle.recordFailure($0, email: email) }
            throw RESTError(.unauthorized, code: "invalid_credentials", "wrong email or password")
        }
        try await services.session { try LoginThrottle.clear($0, email: email) }
        return RouteOutput(try await issuePair(services, userID: record.id, role: record.role, family: PipelineIDs.make("fam")))
    }

    static let refresh = RouteDeclaration(
        .post, "/api/v1/auth/refresh", summary: "Trade a refresh token for a new pair; a reused refresh token revokes its whole family",
        requiresKey: false,
        requestBody: .object([("refresh_token", .string(length: 1...4096))], required: ["refresh_token"]),
        response: tokenPair
    ) { input, services in
        let pipelines = try services.pipelines
        guard let claims = await pipelines.tokens.verify(input.field("refresh_token")?.unquotedText ?? ""), claims.typ == "refresh",
              let family = claims.fam else {
            throw RESTError(.unauthorized, code: "invalid_token", "the refresh token is invalid or expired", field: "refresh_token")
        }
        let jti = claims.jti.value
        let outcome = try await services.session { session in try TableSQL.transaction(session) { try rotate(session, jti: jti, family: family) } }
        switch outcome {
        case .reused: throw RESTError(.unauthorized, code: "token_reused", "this refresh token was already used: every token of its login is now revoked")
        case .revoked: throw RESTError(.unauthorized, code: "token_revoked", "this refresh token has been revoked")
        case .rotated(let userID, let role):
            return RouteOutput(try await issuePair(services, userID: userID, role: role, family: family))
        }
    }

    static let logout = RouteDeclaration(
        .post, "/api/v1/auth/logout", summary: "Revoke the access token presented and every refresh token of its login",
        response: .object([("revoked", .boolean)])
    ) { input, services in
        let principal = try input.require(.viewer)
        guard let jti = principal.tokenID else {
            throw RESTError.invalid("Authorization", "log out with an access token; API keys are revoked by removing them from the server")
        }
        let family = principal.family
        try await services.session { session in
            try TableSQL.transaction(session) {
                try revoke(session, jti, expiresAt: principal.expiresAt ?? PipelineIDs.nowSeconds)
                if let family { try revokeFamily(session, family) }
            }
        }
        return RouteOutput(.fields(("revoked", .bool(true))))
    }

    static let me = RouteDeclaration(
        .get, "/api/v1/auth/me", summary: "Who the token (or API key) belongs to",
        response: .object([("subject", .string()), ("role", .string()), ("email", .nullable(.string()))])
    ) { input, session in
        let principal = try input.require(.viewer)
        let email = try session.execute("SELECT email FROM \(PipelineSchema.users) WHERE id = $1", [.text(principal.subject)]).rows.first?.text(0)
        return RouteOutput(.fields(("subject", .string(principal.subject)), ("role", .string(principal.role.rawValue)),
                                   ("email", email.map(JSONValue.string) ?? .null)))
    }

    static let createUser = RouteDeclaration(
        .post, "/api/v1/users", summary: "Add a user (administrators only)",
        requestBody: .object([("email", .string(length: 1...PipelineUsers.emailBytesMax)),
                              ("password", .string(length: PasswordHash.passwordBytesMin...PasswordHash.passwordBytesMax)),
                              ("role", .string(allowed: Principal.Role.allCases.map(\.rawValue)))], required: ["email", "password"]),
        status: .created, response: user
    ) { input, services in
        try input.require(.admin)
        let email = input.field("email")?.unquotedText ?? "", password = input.field("password")?.unquotedText ?? ""
        let role = input.field("role")?.unquotedText ?? "viewer"
        return RouteOutput(try await services.session { try PipelineUsers.add($0, email: email, password: password, role: role) })
    }

    static let listUsers = RouteDeclaration(
        .get, "/api/v1/users", summary: "List users (administrators only)", parameters: Pagination.parameters,
        response: .object([("users", .array(of: user)), ("total", .integer()), ("page", .integer()), ("per_page", .integer())])
    ) { input, session in
        try input.require(.admin)
        let page = Pagination(input)
        let total = try Pagination.count(session, "SELECT count(*) FROM \(PipelineSchema.users)")
        let rows = try session.execute("SELECT id, email, role, created_at FROM \(PipelineSchema.users) ORDER BY seq" + page.sqlClause).rows
        let users = rows.map { PipelineUsers.json(id: $0.text(0) ?? "", email: $0.text(1) ?? "", role: $0.text(2) ?? "", createdAt: $0.int(3) ?? 0) }
        return page.output(users, key: "users", total: total, path: "/api/v1/users", query: input.query)
    }

    static let deleteUser = RouteDeclaration(
        .delete, "/api/v1/users/{id}", summary: "Remove a user and revoke their refresh tokens (administrators only)",
        parameters: [ParameterDeclaration("id", in: .path, .string(length: 1...64))],
        response: .object([("id", .string()), ("deleted", .boolean)])
    ) { input, session in
        try input.require(.admin)
        let id = input.path("id")
        let deleted = try TableSQL.transaction(session) { () throws -> Int in
            try session.execute("UPDATE \(PipelineSchema.refreshTokens) SET revoked = true WHERE user_id = $1", [.text(id)])
            return try session.execute("DELETE FROM \(PipelineSchema.users) WHERE id = $1", [.text(id)]).rowCount
        }
        guard deleted == 1 else { throw RESTError.notFound("no user \(id)", field: "id") }
        return RouteOutput(.fields(("id", .string(id)), ("deleted", .bool(true))))
    }

    enum Rotation { case rotated(userID: String, role: String), reused, revoked }

    /// Marks the refresh token used; a token already used revokes its family (a thief and the
    /// owner both holding it: neither keeps the login).
    static func rotate(_ session: Session, jti: String, family: String) throws -> Rotation {
        let rows = try session.execute("""
            SELECT t.used, t.revoked, u.id, u.role FROM \(PipelineSchema.refreshTokens) t
              LEFT JOIN \(PipelineSchema.users) u ON u.id = t.user_id WHERE t.jti = $1
            """, [.text(jti)]).rows
        guard let row = rows.first, case .bool(let used) = row[0], case .bool(let revoked) = row[1] else { return .revoked }
        if revoked { return .revoked }
        if used {
            try revokeFamily(session, family)
            return .reused
        }
        guard let userID = row.text(2), let role = row.text(3) else { return .revoked }
        try session.execute("UPDATE \(PipelineSchema.refreshTokens) SET used = true WHERE jti = $1", [.text(jti)])
        return .rotated(userID: userID, role: role)
    }

    /// Every refresh token of the family, and the access tokens made with them (by family id).
    static func revokeFamily(_ session: Session, _ family: String) throws {
        try session.execute("UPDATE \(PipelineSchema.refreshTokens) SET revoked = true WHERE family = $1", [.text(family)])
        try revoke(session, "family:" + family, expiresAt: PipelineIDs.nowSeconds + Int64(TokenIssuer.refreshSecondsDefault))
    }

    static func revoke(_ session: Session, _ jti: String, expiresAt: Int64) throws {
        try session.execute("INSERT INTO \(PipelineSchema.revokedTokens) (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
                            [.text(jti), .int(expiresAt)])
    }

    /// A new access token and refresh token of `family`, the refresh token recorded.
    static func issuePair(_ services: RouteServices, userID: String, role: String, family: String) async throws -> JSONValue {
        let tokens = try services.pipelines.tokens
        let access = try await tokens.issue(userID: userID, role: role, typ: "access", family: family)
        let refresh = try await tokens.issue(userID: userID, role: role, typ: "refresh", family: family)
        try await services.session { session in
            try session.execute("""
                INSERT INTO \(PipelineSchema.refreshTokens) (jti, family, user_id, expires_at, used, revoked, created_at)
                VALUES ($1, $2, $3, $4, false, false, $5)
                """, [.text(refresh.jti), .text(family), .text(userID), .int(refresh.expiresAt), .int(PipelineIDs.nowSeconds)])
        }
        return .fields(("access_token", .string(access.token)), ("refresh_token", .string(refresh.token)),
                       ("token_type", .string("bearer")), ("expires_in", .integer(tokens.accessSeconds)))
    }

    /// The principal of an access token: good signature, not expired, not revoked (itself or
    /// its family), and its user still there, with the user's role as it is now.
    static func principal(token: String, tokens: TokenIssuer, engine: EngineAccess) async -> Principal? {
        guard let claims = await tokens.verify(token), claims.typ == "access" else { return nil }
        let jti = claims.jti.value, family = "family:" + (claims.fam ?? ""), userID = claims.sub.value
        let role = try? await engine.session { session -> String? in
            let revoked = try session.execute("SELECT count(*) FROM \(PipelineSchema.revokedTokens) WHERE jti = $1 OR jti = $2",
                                              [.text(jti), .text(family)]).rows.first?.int(0) ?? 1
            guard revoked == 0 else { return nil }
            return try session.execute("SELECT role FROM \(PipelineSchema.users) WHERE id = $1", [.text(userID)]).rows.first?.text(0)
        }
        guard let role, let parsed = Principal.Role(rawValue: role) else { return nil }
        return Principal(subject: userID, role: parsed, tokenID: jti, expiresAt: Int64(claims.exp.value.timeIntervalSince1970), family: claims.fam)
    }
}
