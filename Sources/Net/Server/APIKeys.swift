import Crypto
import Foundation
import VireoStorage

/// The API keys a server accepts. Compared in constant time, so a client learns nothing
/// from how long a wrong key takes to refuse.
public struct APIKeys: Sendable {
    /// The file in the data directory that holds a generated key.
    public static let fileName = "api-key"
    static let generatedKeyBytes = 24

    public let keys: [String]

    public init(_ keys: [String]) { self.keys = keys }

    /// Whether `candidate` is one of the keys.
    public func accepts(_ candidate: String) -> Bool {
        var accepted = false
        for key in keys where Self.constantTimeEqual(Array(key.utf8), Array(candidate.utf8)) { accepted = true }
        return accepted
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// The configured keys, or else the key kept in `dataDirectory`, generating and saving
    /// it (mode 0600) on first start. `generated` is the key when this call created it.
    public static func load(configured: [String], dataDirectory: String) throws -> (keys: APIKeys, generated: String?) {
        if !configured.isEmpty { return (APIKeys(configured), nil) }
        let path = dataDirectory + "/" + fileName
        if let saved = try? String(contentsOfFile: path, encoding: .utf8) {
            let key = saved.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw VireoError(.invalidParameter, "'\(path)' is empty: delete it to generate a new API key") }
            return (APIKeys([key]), nil)
        }
        let key = "vireo_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0.prefix(generatedKeyBytes)) }
            .base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        guard FileManager.default.createFile(atPath: path, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw VireoError(.ioError, "cannot write the API key to '\(path)'")
        }
        return (APIKeys([key]), key)
    }
}
