import Foundation
import Testing
@testable import VireoStorage

/// Options for a test database on `backend` with a small pool, so eviction happens.
func testOptions(_ backend: any IOBackend, poolPages: Int = 64, walCheckpointBytes: Int = 4 << 20) -> StorageOptions {
    StorageOptions(backend: backend, bufferPoolBytes: poolPages * StorageFormat.pageSizeBytes,
                   walCheckpointBytes: walCheckpointBytes)
}

/// Commits `body` as one write transaction of the pager.
func writePages(_ pager: Pager, _ body: (WriteTransaction) throws -> Void) throws {
    let transaction = try pager.beginWrite()
    do {
        try body(transaction)
        try transaction.commit()
    } catch {
        transaction.rollback()
        throw error
    }
}

/// A tree's contents as a dictionary, read on a snapshot.
func contents(of tree: BTree, in pager: Pager) throws -> [[UInt8]: [UInt8]] {
    try pager.read { view in
        var result: [[UInt8]: [UInt8]] = [:]
        try tree.scan(in: view) { key, value in
            result[Array(key)] = Array(value)
            return true
        }
        return result
    }
}

/// A deterministic value of `length` bytes for `key`.
func valueBytes(_ seed: Int, length: Int) -> [UInt8] {
    (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed &* 13) }
}

/// Asserts that the store passes the integrity check.
func expectSound(_ store: Store, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let report = try store.checkIntegrity()
    #expect(report.isSound, "integrity check: \(report)", sourceLocation: sourceLocation)
}
