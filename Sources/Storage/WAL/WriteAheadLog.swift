// WAL format — the file `<database>-wal` holds the pages of committed transactions: a
// page's whole image the first time a log generation writes it, and after that a delta
// against its previous version (PageDelta.swift), several deltas packed in a frame.
//
// Header (32 bytes, at offset 0):
//   0   8  magic "VIREOWAL"
//   8   4  format version (2; version 1 logs, which hold images only, are read too)
//   12  4  page size in bytes
//   16  4  salt: changes at every reset; frames carrying another salt are stale
//   20  8  reserved, zero
//   28  4  CRC32C of bytes 0 ..< 28
//
// Frame (32-byte header followed by a page-sized payload), appended from offset 32:
//   0   4  image frames: the page number; delta frames: how many delta records follow
//   4   4  flags: bit 0 set on the last frame of a transaction (the commit frame);
//          bit 1 set on a delta frame, whose payload is delta records, then zeros
//   8   4  database size in pages after the transaction (commit frames)
//   12  4  salt, equal to the header's
//   16  8  LSN of the transaction
//   24  4  CRC32C of frame bytes 0 ..< 24 followed by the payload
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
//   W6. Deltas follow D1 and D2 (PageDelta.swift): a delta's base is the page's previous
//       image or delta in the same generation, so a reset starts every page afresh.
//   W7. A commit whose frames would end past what the file holds also writes zeros up
//       to the next multiple of `growthBytes`, made durable by the same fsync. Later
//       commits overwrite blocks the file already has, so their fdatasync journals no
//       change of size (PostgreSQL zero-fills its WAL segments for the same reason; on
//       ext4 this takes the fsync of a small commit from about 150 to 90 µs). A zero
//       frame has salt 0, which no generation has, so recovery stops there (W2).
//   W8. Group commit zeroes ahead off its chain: a commit that leaves less than half a
//       step of zeros after its frames asks for the next step (`zeroAheadIfDue`), which
//       the leader writes and fsyncs after it has handed on leadership, while the next
//       batch goes on. The two never write the same bytes: a commit writes its frames
//       below `zeroedBytes` without `growthLock`, and under it otherwise, while zeroing
//       holds `growthLock` and writes only from `zeroedBytes` on, raising it once durable.
//   W9. The fsync of zeros ahead (W8) may be the one that reports a failed writeback of a
//       commit's frames (Linux reports a writeback error to one fsync of the file, and the
//       commit's own fsync then succeeds). So a commit is acknowledged only once no fsync of
//       zeros that overlapped its own is still running, and none failed: a failed one makes
//       this and every later commit fail (the pager then refuses writes until reopened).

import CVireoSupport
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    static let deltaFlag: UInt32 = 2
    /// The version this build writes, and those it reads.
    static let formatVersion: UInt32 = 2
    static let readableVersions: ClosedRange<UInt32> = 1...2

    let file: any StorageFile
    let pageSizeBytes: Int
    private(set) var salt: UInt32
    /// Where the next frame goes; also the log's logical size.
    private(set) var endOffset: Int
    /// Bytes of frames appended, and fsyncs of committed transactions, since open.
    let bytesWrittenCount = Atomic<Int>(0)
    let commitSyncCount = Atomic<Int>(0)
    /// Nanoseconds spent in those fsyncs (the commit chain's wait for the disk).
    let commitSyncNanos = Atomic<Int>(0)
    /// Why the header did not read back, if it did not; until a reset no frame is trusted.
    private(set) var headerProblem: WALHeaderProblem?
    /// The format version in the header; a reset writes `formatVersion`.
    private(set) var headerVersion = formatVersion
    /// Pages with an image in this generation, so later commits may log deltas (W6).
    private var loggedPages = Set<PageNumber>()
    /// How far the file holds written bytes (frames, older frames, or zeros; W7). Raised
    /// only under `growthLock`; commits read it without the lock (W8).
    private let zeroedBytes = Atomic<Int>(0)
    /// Held while zeros are written ahead, and by a commit whose frames pass `zeroedBytes`.
    private let growthLock = Lock()
    /// Set by a commit that left less than half a step of zeros (W8).
    private let zeroAheadDue = Atomic<Bool>(false)
    /// True while zeros ahead are written and fsynced; set and cleared under `growthLock` (W9).
    private let zeroAheadRunning = Atomic<Bool>(false)
    /// Set (for good) once an fsync of zeros ahead failed; the error is `zeroAheadFailure` (W9).
    private let zeroAheadFailed = Atomic<Bool>(false)
    /// Read and written under `growthLock`.
    private var zeroAheadFailure: (any Error)?
    /// Set under `growthLock` once the file is closed: no zeroing after that.
    private var isClosed = false
    /// The step, in bytes, by which the file grows with zeros ahead of its frames (W7).
    static let growthBytes = 1 << 20

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
        log.zeroedBytes.store(try file.size(), ordering: .releasing)
        if bytesRead == headerBytes {
            switch try parseHeader(header, pageSizeBytes: pageSizeBytes, path: file.path) {
            case .valid(let salt, let version): (log.salt, log.headerVersion) = (salt, version)
            case .unreadable(let problem): log.headerProblem = problem
            }
        } else if !readOnly {
            try log.reset()
        }
        return log
    }

    /// What a WAL header read as.
    private enum HeaderReading {
        case valid(salt: UInt32, version: UInt32)
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
            guard readableVersions.contains(version) else {
                throw VireoError.corrupt(path, "WAL format version \(version), this build reads versions \(readableVersions.lowerBound)…\(readableVersions.upperBound)")
            }
            guard Int(pageSize) == pageSizeBytes else {
                throw VireoError.corrupt(path, "WAL page size \(pageSize) differs from the database's \(pageSizeBytes)")
            }
            return .valid(salt: bytes.loadLE(at: 16), version: version)
        }
    }

    /// Starts a new generation of the log (invariant W3).
    func reset() throws {
        var next = UInt32.random(in: 1...UInt32.max)
        while next == salt { next = UInt32.random(in: 1...UInt32.max) }
        var header = [UInt8](repeating: 0, count: Self.headerBytes)
        header.withUnsafeMutableBytes { bytes in
            bytes.copyBytes(from: Self.magic)
            bytes.storeLE(Self.formatVersion, at: 8)
            bytes.storeLE(UInt32(pageSizeBytes), at: 12)
            bytes.storeLE(next, at: 16)
            bytes.storeLE(vireo_crc32c(0, bytes.baseAddress!, 28), at: 28)
        }
        try header.withUnsafeBytes { try file.write(offset: 0, from: $0) }
        try file.sync()
        salt = next
        endOffset = Self.headerBytes
        if zeroedBytes.load(ordering: .acquiring) < Self.headerBytes { zeroedBytes.store(Self.headerBytes, ordering: .releasing) }
        headerProblem = nil
        headerVersion = Self.formatVersion
        loggedPages.removeAll(keepingCapacity: true)
    }

    /// Gives back the disk space of frames a checkpoint made obsolete (at close).
    func shrink() throws {
        precondition(endOffset == Self.headerBytes, "shrinking a WAL that still holds frames")
        try growthLock.withLock {
            zeroAheadDue.store(false, ordering: .relaxed)
            try file.truncate(size: Self.headerBytes)
            try file.sync()
            zeroedBytes.store(Self.headerBytes, ordering: .releasing)
        }
    }

    /// Closes the file, once zeros being written ahead (W8) are done; none are written after.
    func close() {
        growthLock.withLock {
            isClosed = true
            file.close()
        }
    }

    /// Whether a commit may log page `pageNumber` as a delta against its current version (W6).
    func holdsImage(of pageNumber: PageNumber) -> Bool { loggedPages.contains(pageNumber) }

    /// Appends one transaction's sealed pages, as images and delta records (from
    /// `PageDelta.encode`, for pages `holdsImage` said yes to), as frames, the last one a
    /// commit frame, and fsyncs (invariant W1). On a throw the transaction is not committed.
    func appendCommit(images: [(PageNumber, UnsafeMutableRawPointer)], deltas: [[UInt8]], lsn: UInt64, pageCount: UInt32) throws {
        precondition(!images.isEmpty || !deltas.isEmpty, "a commit with no pages writes no frames")
        let deltaFrames = packDeltas(deltas)
        let frameCount = images.count + deltaFrames.count
        let totalBytes = frameCount * frameBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: totalBytes, alignment: 4096)
        defer { buffer.deallocate() }
        func frame(_ index: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(rebasing: buffer[(index * frameBytes)..<((index + 1) * frameBytes)])
        }
        func flags(_ index: Int, _ base: UInt32) -> UInt32 { index == frameCount - 1 ? base | Self.commitFlag : base }
        let commitPageCount = { (index: Int) in index == frameCount - 1 ? pageCount : 0 }
        for (index, (pageNumber, page)) in images.enumerated() {
            encodeFrame(frame(index), first: pageNumber, flags: flags(index, 0), pageCount: commitPageCount(index), lsn: lsn) {
                $0.copyMemory(from: page, byteCount: pageSizeBytes)
            }
        }
        for (offset, records) in deltaFrames.enumerated() {
            let index = images.count + offset
            encodeFrame(frame(index), first: UInt32(records.count), flags: flags(index, Self.deltaFlag),
                        pageCount: commitPageCount(index), lsn: lsn) { payload in
                var at = 0
                for record in records {
                    (payload + at).copyMemory(from: record, byteCount: record.count)
                    at += record.count
                }
            }
        }
        let end = endOffset + totalBytes
        if end <= zeroedBytes.load(ordering: .acquiring) {
            try file.write(offset: endOffset, from: UnsafeRawBufferPointer(buffer))
        } else {
            // Past the zeros: wait for any zeroing ahead (W8), then grow here if still short.
            try growthLock.withLock {
                try file.write(offset: endOffset, from: UnsafeRawBufferPointer(buffer))
                if end > zeroedBytes.load(ordering: .acquiring) { try growZeroed(past: end) }
            }
        }
        bytesWrittenCount.add(totalBytes, ordering: .relaxed)
        let syncStart = DispatchTime.now().uptimeNanoseconds
        try file.sync()
        try checkZerosAheadSynced()
        commitSyncNanos.add(Int(DispatchTime.now().uptimeNanoseconds - syncStart), ordering: .relaxed)
        commitSyncCount.add(1, ordering: .relaxed)
        endOffset = end
        for (pageNumber, _) in images { loggedPages.insert(pageNumber) }
        if zeroedBytes.load(ordering: .acquiring) - end < Self.growthBytes / 2 { zeroAheadDue.store(true, ordering: .releasing) }
    }

    /// Writes zeros from `end` to the next multiple of `growthBytes` (W7), under
    /// `growthLock`; the caller's fsync makes them durable with its frames.
    private func growZeroed(past end: Int) throws {
        let target = (end / Self.growthBytes + 1) * Self.growthBytes
        try file.write(offset: end, from: Self.zeros(target - end))
        zeroedBytes.store(target, ordering: .releasing)
    }

    /// W8: when a commit asked for it, writes zeros from `zeroedBytes` to the next multiple
    /// of `growthBytes` and fsyncs them, then raises `zeroedBytes`. Called by a group-commit
    /// leader once it has handed on leadership, so commits go on meanwhile (below the old
    /// `zeroedBytes`, or waiting for this). Does nothing while another thread grows the file.
    /// A failure is left for the next commit, which grows the file itself and reports it.
    func zeroAheadIfDue() {
        guard zeroAheadDue.load(ordering: .acquiring), zeroAheadDue.exchange(false, ordering: .acquiringAndReleasing) else { return }
        growthLock.withLockIfAvailable {
            guard !isClosed else { return }
            let start = zeroedBytes.load(ordering: .acquiring)
            let target = (start / Self.growthBytes + 1) * Self.growthBytes
            zeroAheadRunning.store(true, ordering: .releasing)
            defer { zeroAheadRunning.store(false, ordering: .releasing) }
            do {
                try file.write(offset: start, from: Self.zeros(target - start))
            } catch {
                return  // nothing reached the disk: the next commit grows the file itself
            }
            do {
                try file.sync()
            } catch {
                zeroAheadFailure = error
                zeroAheadFailed.store(true, ordering: .releasing)
                return
            }
            zeroedBytes.store(target, ordering: .releasing)
        }
    }

    /// W9: throws the failure of an fsync of zeros ahead that may have swallowed the report
    /// of this commit's lost frames, after waiting for one still running.
    private func checkZerosAheadSynced() throws {
        if zeroAheadRunning.load(ordering: .acquiring) { growthLock.withLock {} }
        guard zeroAheadFailed.load(ordering: .acquiring) else { return }
        throw growthLock.withLock { zeroAheadFailure } ?? VireoError(.ioError, "an fsync of the write-ahead log failed")
    }

    /// Zeros to write ahead of the frames: one buffer of `growthBytes`, never written to,
    /// allocated once (the system maps it to its zero page, so it costs no memory).
    private nonisolated(unsafe) static let zeroBuffer = UnsafeRawPointer(calloc(growthBytes, 1)!)

    private static func zeros(_ count: Int) -> UnsafeRawBufferPointer {
        precondition(count <= growthBytes, "zeros ahead of the frames span at most one step")
        return UnsafeRawBufferPointer(start: zeroBuffer, count: count)
    }

    /// Delta records grouped into frames' payloads, in order.
    private func packDeltas(_ deltas: [[UInt8]]) -> [[[UInt8]]] {
        var frames: [[[UInt8]]] = []
        var used = pageSizeBytes
        for record in deltas {
            precondition(record.count <= pageSizeBytes, "a delta record fits in a frame")
            if used + record.count > pageSizeBytes {
                frames.append([])
                used = 0
            }
            frames[frames.count - 1].append(record)
            used += record.count
        }
        return frames
    }

    private func encodeFrame(_ frame: UnsafeMutableRawBufferPointer, first: UInt32, flags: UInt32, pageCount: UInt32,
                             lsn: UInt64, payload: (UnsafeMutableRawPointer) -> Void) {
        frame.initializeMemory(as: UInt8.self, repeating: 0)
        frame.storeLE(first, at: 0)
        frame.storeLE(flags, at: 4)
        frame.storeLE(pageCount, at: 8)
        frame.storeLE(salt, at: 12)
        frame.storeLE(lsn, at: 16)
        payload(frame.baseAddress! + Self.frameHeaderBytes)
        frame.storeLE(frameChecksum(UnsafeRawBufferPointer(frame)), at: 24)
    }

    private func frameChecksum(_ frame: UnsafeRawBufferPointer) -> UInt32 {
        let headerSum = vireo_crc32c(0, frame.baseAddress!, 24)
        return vireo_crc32c(headerSum, frame.baseAddress! + Self.frameHeaderBytes, pageSizeBytes)
    }
}
