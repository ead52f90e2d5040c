import Foundation
import Testing
@testable import VireoStorage

/// Blobs written whole or in pieces of any size (how an index snapshot streams into its
/// pages) read back as the same bytes, after a reopen too, and free every page they took.
@Suite("Blobs written in pieces")
struct BlobTests {
    static let capacity = Overflow.capacityBytes

    /// Lengths around the page boundaries, counting the blob's 8-byte length prefix.
    static let lengths = [0, 1, capacity - 8, capacity - 7, capacity, 3 * capacity + 5, 40_000]

    static func bytes(_ length: Int, seed: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ $0 >> 8) }
    }

    /// Writes `value` in pieces whose sizes cycle through `pieces`.
    static func writeInPieces(_ value: [UInt8], pieces: [Int], in sink: some PageSink) throws -> PageNumber {
        try Blob.write(in: sink) { append in
            var offset = 0, turn = 0
            while offset < value.count {
                let count = min(pieces[turn % pieces.count], value.count - offset)
                try value[offset..<offset + count].withUnsafeBytes { try append($0) }
                (offset, turn) = (offset + count, turn + 1)
            }
        }
    }

    @Test("whole and in pieces of 1, 7, 3,000 and 20,000 bytes: the same bytes, before and after a reopen; freeing returns every page")
    func piecesReadBackWhole() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/blobs.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            let pieceSizes: [[Int]] = [[Int.max], [1, 7], [3_000], [20_000, 5]]
            var written: [(first: PageNumber, value: [UInt8])] = []
            try store.write { transaction in
                for (n, length) in Self.lengths.enumerated() {
                    for (k, pieces) in pieceSizes.enumerated() {
                        let value = Self.bytes(length, seed: n * 10 + k)
                        let first = pieces == [Int.max]
                            ? try value.withUnsafeBytes { try Blob.write($0, in: transaction.pages) }
                            : try Self.writeInPieces(value, pieces: pieces, in: transaction.pages)
                        written.append((first, value))
                    }
                }
            }
            #expect(try !store.checkIntegrity().isSound, "blobs no table names are leaked pages: the check must see them")
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            try store.read { snapshot in
                for (first, value) in written {
                    let read = try Blob.read(first: first, in: snapshot.pages)
                    #expect(read == value, "a blob of \(value.count) bytes at page \(first) read back as \(read.count) other bytes")
                    var pages = 0
                    try Blob.walkPages(first: first, in: snapshot.pages) { _ in pages += 1 }
                    #expect(pages == max(1, (value.count + 8 + Self.capacity - 1) / Self.capacity),
                            "a blob of \(value.count) bytes takes \(pages) pages, more than it needs")
                }
            }
            try store.write { transaction in
                for (first, _) in written { try Blob.free(first: first, in: transaction.pages) }
            }
            let report = try store.checkIntegrity()
            #expect(report.isSound, "after freeing every blob: \(report.problems)")
        }
    }
}
