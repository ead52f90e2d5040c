import Foundation
import Testing
@testable import VireoNet

@Suite("API keys")
struct APIKeysTests {
    @Test("a key is generated once, kept with mode 0600, and accepted; others are not")
    func generatedKeyIsKept() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try APIKeys.load(configured: [], dataDirectory: directory)
        let key = try #require(first.generated)
        #expect(first.keys.accepts(key))
        #expect(!first.keys.accepts(key + "x") && !first.keys.accepts(""))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + APIKeys.fileName)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let second = try APIKeys.load(configured: [], dataDirectory: directory)
        #expect(second.generated == nil && second.keys.accepts(key), "the kept key is reused")
        let configured = try APIKeys.load(configured: ["k1", "k2"], dataDirectory: directory)
        #expect(configured.keys.accepts("k2") && !configured.keys.accepts(key))
    }
}
