import Crypto
import Foundation
import JWTKit

/// Signs and checks the surface's JWTs (HS256 through jwt-kit) with a secret kept in the
/// data directory (`jwt-secret`, mode 0600, made on first start), so tokens outlive a
/// restart. Access tokens live `accessSeconds`, refresh tokens `refreshSeconds`; both carry
/// sub, exp, iat and jti, plus the role and the kind (`typ`: access or refresh), and a
/// refresh token its family.
public final class TokenIssuer: Sendable {
    public static let secretFileName = "jwt-secret"
    public static let accessSecondsDefault = 3600
    public static let refreshSecondsDefault = 14 * 24 * 3600

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var jti: IDClaim
        var role: String
        var typ: String
        var fam: String?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    let keys: JWTKeyCollection
    let accessSeconds: Int
    let refreshSeconds: Int

    init(keys: JWTKeyCollection, accessSeconds: Int, refreshSeconds: Int) {
        self.keys = keys
        self.accessSeconds = accessSeconds
        self.refreshSeconds = refreshSeconds
    }

    /// An issuer with the secret of `dataDirectory`, generating it on first start.
    public static func load(dataDirectory: String, accessSeconds: Int = accessSecondsDefault,
                            refreshSeconds: Int = refreshSecondsDefault) async throws -> TokenIssuer {
        let secret = try SecretFile.load(dataDirectory + "/" + secretFileName)
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)
        return TokenIssuer(keys: keys, accessSeconds: accessSeconds, refreshSeconds: refreshSeconds)
    }

    /// A signed token of `typ` for `userID`; returns the token, its id and its expiry.
    func issue(userID: String, role: String, typ: String, family: String? = nil) async throws -> (token: String, jti: String, expiresAt: Int64) {
        let now = Date()
        let lifetime = typ == "refresh" ? refreshSeconds : accessSeconds
        let expires = now.addingTimeInterval(Double(lifetime))
        let jti = UUID().uuidString.lowercased()
        let claims = Claims(sub: .init(value: userID), exp: .init(value: expires), iat: .init(value: now), jti: .init(value: jti),
                            role: role, typ: typ, fam: family)
        return (try await keys.sign(claims), jti, Int64(expires.timeIntervalSince1970))
    }

    /// The claims of a token with a good signature that has not expired; nil otherwise.
    func verify(_ token: String) async -> Claims? {
        guard token.split(separator: ".").count == 3 else { return nil }
        return try? await keys.verify(token, as: Claims.self)
    }
}

/// A random secret kept in a file of the data directory, made (mode 0600) on first use.
enum SecretFile {
    static let bytes = 32

    static func load(_ path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == bytes else {
                throw RESTError(.internalServerError, code: "internal_error", "'\(path)' is not a \(bytes)-byte secret; delete it to make a new one")
            }
            return Array(data)
        }
        let secret = (0..<bytes).map { _ in UInt8.random(in: 0...255) }
        guard FileManager.default.createFile(atPath: path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw RESTError(.internalServerError, code: "internal_error", "cannot write '\(path)'")
        }
        return secret
    }
}
