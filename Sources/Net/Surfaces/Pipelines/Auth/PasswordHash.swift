import Crypto
import Foundation
import _CryptoExtras

/// Password hashes with scrypt (RFC 7914, memory-hard: N × r × 128 bytes per hash, 16 MiB
/// at the defaults), through swift-crypto's `KDF.Scrypt`. Stored as
/// `scrypt$N$r$p$salt$hash` (salt and hash in base64), so the cost can rise later while
/// old hashes still verify with the cost they were made with.
public enum PasswordHash {
    public struct Cost: Sendable, Equatable {
        public var rounds: Int
        public var blockSize: Int
        public var parallelism: Int
        /// N = 2^14, r = 8, p = 1: the cost RFC 7914 and OWASP name for interactive logins.
        public static let standard = Cost(rounds: 1 << 14, blockSize: 8, parallelism: 1)
    }

    static let saltBytes = 16
    static let hashBytes = 32
    /// Passwords longer than this are refused rather than hashed (a cheap denial of service).
    public static let passwordBytesMax = 1024
    public static let passwordBytesMin = 8

    /// A new salted hash of `password`.
    public static func make(_ password: String, cost: Cost = .standard) throws -> String {
        let salt = (0..<saltBytes).map { _ in UInt8.random(in: 0...255) }
        let hash = try derive(password, salt: salt, cost: cost)
        return ["scrypt", String(cost.rounds), String(cost.blockSize), String(cost.parallelism),
                Data(salt).base64EncodedString(), Data(hash).base64EncodedString()].joined(separator: "$")
    }

    /// Whether `password` gives `stored`; false for a malformed stored string.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let blockSize = Int(parts[2]),
              let parallelism = Int(parts[3]), let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
              rounds <= 1 << 20, blockSize <= 32, parallelism <= 16,
              let actual = try? derive(password, salt: Array(salt), cost: Cost(rounds: rounds, blockSize: blockSize, parallelism: parallelism),
                                       byteCount: expected.count)
        else { return false }
        return APIKeys.constantTimeEqual(actual, Array(expected))
    }

    static func derive(_ password: String, salt: [UInt8], cost: Cost, byteCount: Int = hashBytes) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: byteCount,
                                           rounds: cost.rounds, blockSize: cost.blockSize, parallelism: cost.parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}
