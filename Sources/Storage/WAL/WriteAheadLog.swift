// WAL format — the file `<database>-wal` holds full page images of committed transactions.
//
// Header (32 bytes, at offset 0):
//   0   8  magic "VIREOWAL"
//   8   4  format version
//   12  4  page size in bytes
//   16  4  salt: changes at every reset; frames carrying another salt are stale
//   20  8  reserved, zero
//   28  4  CRC32C of bytes 0 ..< 28
//
// Frame (32-byte header followed by one page image), appended from offset 32:
//   0   4  page number
//   4   4  flags: bit 0 set on the last frame of a transaction (the commit frame)
//   8   4  database size in pages after the transaction (commit frames)
//   12  4  salt, equal to the header's
//   16  8  LSN of the transaction
//   24  4  CRC32C of frame bytes 0 ..< 24 followed by the page image
//   28  4  reserved, zero
//
// Invariants:
//   W1. A transaction is acknowledged only after all of its frames, ending in a commit
//       frame, are written and the file is fsynced.
//   W2. Recovery reads frames in order and stops at the first frame that is short, has
//       another salt or a bad checksum. Frames after the last commit frame before that
//       point belong to an unfinished transaction and are discarded, never applied.
//   W3. A reset (after a checkpoint made every page durable in the database file)
//       writes a header with a new salt and fsyncs it before any new frame is written.
//       Nothing else resets the log: a recovery that fails leaves it as it was.
//   W4. Damage is told apart from a torn tail. Transaction N+1's frames are written only
//       after transaction N's fsync, so a bad frame followed by a valid frame of the same
//       salt that is a commit frame, or that belongs to another transaction, means
//       acknowledged frames were damaged: the log is refused (see WALDamage) unless the
//       loss is accepted. Bad frames followed by nothing valid, or only by frames of the
//       one unfinished transaction, are a torn tail, discarded (W2).
//   W5. A header that does not read back is what a crash during a reset can leave (the
//       header write lands as noise). Such a log is obsolete if every committed frame
//       in it is already in the database file (each page there has the frame's LSN or a
//       later one); then it is reset. A log with committed frames missing from the file
//       is damaged (W4), and a log with no valid frame at all is not Vireo's.

import CVireoSupport
import Synchronization

/// Why a WAL header did not read back (invariant W5).
enum WALHeaderProblem: Equatable, CustomStringConvertible {
    /// Another magic: the file begins with what `signature` describes.
    case foreignMagic(String)
    /// Vireo's magic, but the header's checksum does not match.
    case badChecksum

    var description: String {
        switch self {
        case .foreignMagic(let signature): "it begins with \(signature), not a WAL header"
        case .badChecksum: "its header's checksum does not match"
        }
    }
}

/// The write-ahead log: appends committed transactions' page images and replays them.
final class WriteAheadLog: @unchecked Sendable {
    static let headerBytes = 32
    static let frameHeaderBytes = 32
    static let magic: [UInt8] = Array("VIREOWAL".utf8)
    static let commitFlag: UInt32 = 1

    let file: any StorageFile
    let pageSizeBytes: Int
    private(set) var salt: UInt32
    /// Where the next frame goes; also the log's logical size.
    private(set) var endOffset: Int
    /// Bytes of frames appended, and fsyncs of committed transactions, since open.
    let bytesWrittenCount = Atomic<Int>(0)
    let commitSyncCount = Atomic<Int>(0)
    /// Why the header did not read back, if it did not; until a reset no frame is trusted.
    private(set) var headerProblem: WALHeaderProblem?

    var frameBytes: Int { Self.frameHeaderBytes + pageSizeBytes }

    private init(file: any StorageFile, pageSizeBytes: Int, salt: UInt32, endOffset: Int) {
        self.file = file
        self.pageSizeBytes = pageSizeBytes
        self.salt = salt
        self.endOffset = endOffset
    }

    /// Opens the log. An empty file, or one shorter than a header (a creation a crash
    /// interrupted), holds no frames and gets a fresh header unless `readOnly`. A header
    /// that does not read back (another magic, a bad checksum) is left as it is and
    /// noted in `headerProblem`: the pager decides whether its frames still matter (W5).
    static func open(file: any StorageFile, pageSizeBytes: Int, readOnly: Bool) throws -> WriteAheadLog {
        var header = [UInt8](repeating: 0, count: headerBytes)
        let bytesRead = try header.withUnsafeMutableBytes { try file.read(offset: 0, into: $0) }
        let log = WriteAheadLog(file: file, pageSizeBytes: pageSizeBytes, salt: 0, endOffset: headerBytes)
        if bytesRead == headerBytes {
            switch try parseHeader(header, pageSizeBytes: pageSizeBytes, path: file.path) {
            case .valid(let salt): log.salt = salt
            case .unreadable(let problem): log.headerProblem = problem
            }
        } else if !readOnly {
            try log.reset()
        }
        return log
    }

    /// What a WAL header read as.
    private enum HeaderReading {
        case valid(salt: UInt32)
        case unreadable(WALHeaderProblem)
    }

    private static func parseHeader(_ header: [UInt8], pageSizeBytes: Int, path: String) throws -> HeaderReading {
        try header.withUnsafeBytes { bytes in
            guard Array(bytes[0..<8]) == magic else {
                return .unreadable(.foreignMagic(FileSignature.describe(Array(bytes))))
            }
            let checksum: UInt32 = bytes.loadLE(at: 28)
            guard checksum == vireo_crc32c(0, bytes.baseAddress!, 28) else { return .unreadable(.badChecksum) }
            let version: UInt32 = bytes.loadLE(at: 8)
            let pageSize: UInt32 = bytes.loadLE(at: 12)
            guard version == StorageFormat.version else {
                throw VireoError.corrupt(path, "WAL format version \(version), this build reads \(StorageFormat.version)")
            }
            guard Int(pageSize) == pageSizeBytes else {
                throw VireoError.corrupt(path, "WAL page size \(pageSize) differs from the database's \(pageSizeBytes)")
            }
            return .valid(salt: bytes.loadLE(at: 16))
        }
    }

    /// Starts a new generation of the log (invariant W3).
    func reset() throws {
        var next = UInt32.random(in: 1...UInt32.max)
        while next == salt { next = UInt32.random(in: 1...UInt32.max) }
        var header = [UInt8](repeating: 0, count: Self.headerBytes)
        header.withUnsafeMutableBytes { bytes in
            bytes.copyBytes(from: Self.magic)
            bytes.storeLE(StorageFormat.version, at: 8)
            bytes.storeLE(UInt32(pageSizeBytes), at: 12)
            bytes.storeLE(next, at: 16)
            bytes.storeLE(vireo_crc32c(0, bytes.baseAddress!, 28), at: 28)
        }
        try header.withUnsafeBytes { try file.write(offset: 0, from: $0) }
        try file.sync()
        salt = next
        endOffset = Self.headerBytes
        headerProblem = nil
    }

    /// Gives back the disk space of frames a checkpoint made obsolete (at close).
    func shrink() throws {
        precondition(endOffset == Self.headerBytes, "shrinking a WAL that still holds frames")
        try file.truncate(size: Self.headerBytes)
        try file.sync()
    }

    /// Appends one transaction's sealed pages as frames, the last one a commit frame, and
    /// fsyncs (invariant W1). On a throw the transaction is not committed.
    func appendCommit(pages: [(PageNumber, UnsafeMutableRawPointer)], lsn: UInt64, pageCount: UInt32) throws {
        precondition(!pages.isEmpty, "a commit with no pages writes no frames")
        let totalBytes = pages.count * frameBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: totalBytes, alignment: 4096)
        defer { buffer.deallocate() }
        for (index, (pageNumber, page)) in pages.enumerated() {
            let frame = UnsafeMutableRawBufferPointer(rebasing: buffer[(index * frameBytes)..<((index + 1) * frameBytes)])
            let isCommit = index == pages.count - 1
            encodeFrame(frame, pageNumber: pageNumber, page: page, lsn: lsn,
                        flags: isCommit ? Self.commitFlag : 0, pageCount: isCommit ? pageCount : 0)
        }
        try file.write(offset: endOffset, from: UnsafeRawBufferPointer(buffer))
        bytesWrittenCount.add(totalBytes, ordering: .relaxed)
        try file.sync()
        commitSyncCount.add(1, ordering: .relaxed)
        endOffset += totalBytes
    }

    private func encodeFrame(_ frame: UnsafeMutableRawBufferPointer, pageNumber: PageNumber,
                             page: UnsafeMutableRawPointer, lsn: UInt64, flags: UInt32, pageCount: UInt32) {
        frame.initializeMemory(as: UInt8.self, repeating: 0)
        frame.storeLE(pageNumber, at: 0)
        frame.storeLE(flags, at: 4)
        frame.storeLE(pageCount, at: 8)
        frame.storeLE(salt, at: 12)
        frame.storeLE(lsn, at: 16)
        (frame.baseAddress! + Self.frameHeaderBytes).copyMemory(from: page, byteCount: pageSizeBytes)
        frame.storeLE(frameChecksum(UnsafeRawBufferPointer(frame)), at: 24)
    }

    private func frameChecksum(_ frame: UnsafeRawBufferPointer) -> UInt32 {
        let headerSum = vireo_crc32c(0, frame.baseAddress!, 24)
        return vireo_crc32c(headerSum, frame.baseAddress! + Self.frameHeaderBytes, pageSizeBytes)
    }
}
