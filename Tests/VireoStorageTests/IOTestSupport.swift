import Foundation
import Testing
@testable import VireoStorage

/// The backends every behaviour test runs on.
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case uring, posix, simulated

    var testDescription: String { rawValue }

    /// io_uring with a small queue so that batches exercise chunking; nil (with a note)
    /// where io_uring cannot be set up.
    func makeBackend() throws -> (any IOBackend)? {
        switch self {
        case .posix: return POSIXBackend()
        case .simulated: return SimulatedBackend(seed: 7)
        case .uring:
            do { return try UringBackend(queueDepth: 8) } catch {
                print("io_uring unavailable here, skipping its run: \(error)")
                return nil
            }
        }
    }
}

/// Runs `body` with a fresh backend of `kind` and a temporary directory removed afterwards.
func withBackend(_ kind: BackendKind, _ body: (any IOBackend, String) throws -> Void) throws {
    guard let backend = try kind.makeBackend() else { return }
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("vireo-io-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try body(backend, directory)
}

/// Deterministic test bytes, different for each `seed`.
func pattern(count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 17 &+ ($0 >> 8)) }
}

func write(_ file: any StorageFile, _ bytes: [UInt8], at offset: Int) throws {
    try bytes.withUnsafeBytes { try file.write(offset: offset, from: $0) }
}

/// Reads `count` bytes at `offset` into a buffer first filled with 0xAA, so zero-filling shows.
func read(_ file: any StorageFile, count: Int, at offset: Int) throws -> (bytes: [UInt8], readCount: Int) {
    var bytes = [UInt8](repeating: 0xAA, count: count)
    let readCount = try bytes.withUnsafeMutableBytes { try file.read(offset: offset, into: $0) }
    return (bytes, readCount)
}

/// Runs `body`, expecting a `VireoError`; returns it (or records an issue and returns nil).
func expectVireoError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> VireoError? {
    do {
        try body()
        Issue.record("expected a VireoError, got success", sourceLocation: sourceLocation)
    } catch let error as VireoError {
        return error
    } catch {
        Issue.record("expected a VireoError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
