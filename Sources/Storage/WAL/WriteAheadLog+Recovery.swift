import CVireoSupport

/// What a scan of the log found: the newest committed version of each page, as an image
/// in the log or as a page rebuilt from an image and the deltas after it.
struct RecoveredLog {
    /// Offset in the log of each page whose newest committed version is an image there.
    var imageOffsets: [PageNumber: Int] = [:]
    /// Each page whose newest committed version is a delta, rebuilt (not yet verified).
    var rebuiltPages: [PageNumber: [UInt8]] = [:]
    /// Database size in pages after the last committed transaction, if any committed.
    var pageCount: UInt32?
    var lastLSN: UInt64 = 0
    var committedTransactions = 0
    /// Frames after the last commit frame: an unfinished transaction, discarded.
    var discardedFrames = 0
    /// Damage the scan found (invariant W4); the images above stop before it.
    var damage: WALDamage?
    /// When the header did not read back (W5): each committed frame found, of any salt.
    var committedFramesWithoutHeader: [(pageNumber: PageNumber, lsn: UInt64)]?
    /// When the header did not read back: how many frames had a valid checksum.
    var validFramesWithoutHeader = 0

    /// Whether the log holds a committed version of page `pageNumber`.
    func holds(_ pageNumber: PageNumber) -> Bool { imageOffsets[pageNumber] != nil || rebuiltPages[pageNumber] != nil }

    /// How many pages the log holds committed versions of.
    var loggedPageCount: Int { imageOffsets.count + rebuiltPages.count }
}

/// A page change of a transaction whose commit frame the scan has not reached yet.
private enum PendingChange {
    case image(PageNumber, offset: Int)
    case delta(PageNumber, record: [UInt8])
}

/// Acknowledged frames of a WAL that are damaged (invariant W4): where, and what is lost.
public struct WALDamage: Sendable, Equatable, CustomStringConvertible {
    /// The WAL file.
    public var path: String
    /// Where the damage starts: "the header", or "frame 12 (offset 98336)".
    public var location: String
    /// LSNs of the transactions with valid frames after the damage, which recovery
    /// cannot apply: every transaction after the damage depends on the damaged one.
    public var transactionsAtStake: [UInt64]

    /// How a user opens the database anyway (documented in docs/operations.md).
    /// What to run, for the database at `path`.
    public static func acceptLossAdvice(_ path: String) -> String {
        "To open the database without them, run `vireo recover \(path) --accept-wal-loss` (the damaged WAL is kept beside the database as \(path)-wal.damaged); `vireo check \(path)` shows what would be lost."
    }

    public var description: String {
        let lost = transactionsAtStake.isEmpty ? "" : "; \(transactionsAtStake.count) transaction(s) after it cannot be recovered (LSN \(Self.ranges(transactionsAtStake)))"
        return "the WAL '\(path)' is damaged at \(location)\(lost)"
    }

    /// `3…7, 9` for [3, 4, 5, 6, 7, 9].
    static func ranges(_ values: [UInt64]) -> String {
        var parts: [String] = []
        var start = values.first, previous = values.first
        for value in values.dropFirst() + [UInt64.max] {
            guard let first = start, let last = previous else { break }
            if value == last + 1 { previous = value; continue }
            parts.append(first == last ? "\(first)" : "\(first)…\(last)")
            (start, previous) = (value, value)
        }
        return parts.joined(separator: ", ")
    }
}

extension WriteAheadLog {
    static let scanChunkFrames = 64

    /// Reads the log from the start and collects every committed transaction up to the
    /// first bad frame (invariant W2), then looks past it for damage (invariant W4).
    func scanCommitted() throws -> RecoveredLog {
        var result = RecoveredLog()
        if headerProblem != nil {
            (result.committedFramesWithoutHeader, result.validFramesWithoutHeader) = try committedFramesOfAnySalt()
            return result
        }
        var pending: [PendingChange] = []
        var pendingLSN: UInt64?
        var badFrame: (index: Int, offset: Int)?
        try forEachFrame(from: Self.headerBytes) { index, frameOffset, frame in
            guard isValid(frame) else {
                badFrame = (index, frameOffset)
                return false
            }
            try pending.append(contentsOf: changes(in: frame, at: frameOffset))
            pendingLSN = frame.loadLE(at: 16)
            let flags: UInt32 = frame.loadLE(at: 4)
            if flags & Self.commitFlag != 0 {
                for change in pending { try apply(change, to: &result) }
                pending.removeAll(keepingCapacity: true)
                pendingLSN = nil
                result.pageCount = frame.loadLE(at: 8)
                result.lastLSN = frame.loadLE(at: 16)
                result.committedTransactions += 1
            }
            return true
        }
        result.discardedFrames = pending.count
        if let badFrame {
            let expectedLSN = pendingLSN ?? (result.committedTransactions > 0 ? result.lastLSN + 1 : nil)
            result.damage = try damage(after: badFrame, expectedLSN: expectedLSN)
        }
        return result
    }

    /// The page changes a valid frame at `frameOffset` carries: an image, or delta records.
    private func changes(in frame: UnsafeRawBufferPointer, at frameOffset: Int) throws -> [PendingChange] {
        let flags: UInt32 = frame.loadLE(at: 4)
        guard flags & Self.deltaFlag != 0 else { return [.image(frame.loadLE(at: 0), offset: frameOffset + Self.frameHeaderBytes)] }
        return try deltaRecords(in: frame, at: frameOffset).map { .delta($0.pageNumber, record: Array($0.bytes)) }
    }

    /// The delta records of a valid delta frame; a frame whose records do not parse
    /// passed its checksum, so it was written that way: corruption, not a torn write.
    private func deltaRecords(in frame: UnsafeRawBufferPointer, at frameOffset: Int) throws -> [(pageNumber: PageNumber, bytes: UnsafeRawBufferPointer)] {
        let count = Int(frame.loadLE(at: 0) as UInt32)
        var records: [(pageNumber: PageNumber, bytes: UnsafeRawBufferPointer)] = []
        var offset = Self.frameHeaderBytes
        for _ in 0..<count {
            let rest = UnsafeRawBufferPointer(rebasing: frame[offset...])
            guard let (pageNumber, byteCount) = PageDelta.parseHeader(rest) else {
                throw VireoError.corrupt(file.path, "WAL delta frame at offset \(frameOffset) holds a malformed record")
            }
            records.append((pageNumber, UnsafeRawBufferPointer(rebasing: rest[rest.startIndex..<(rest.startIndex + byteCount)])))
            offset += byteCount
        }
        return records
    }

    /// Makes a committed change the newest version of its page (W6: a delta applies to
    /// the version before it in this log, an image or a page rebuilt from one).
    private func apply(_ change: PendingChange, to result: inout RecoveredLog) throws {
        switch change {
        case .image(let pageNumber, let offset):
            result.imageOffsets[pageNumber] = offset
            result.rebuiltPages[pageNumber] = nil
        case .delta(let pageNumber, let record):
            var page: [UInt8]
            if let rebuilt = result.rebuiltPages[pageNumber] {
                page = rebuilt
            } else if let offset = result.imageOffsets[pageNumber] {
                page = [UInt8](repeating: 0, count: pageSizeBytes)
                try page.withUnsafeMutableBytes { try readImage(at: offset, into: $0) }
            } else {
                throw VireoError.corrupt(file.path, "WAL delta for page \(pageNumber) has no earlier image of the page in the log")
            }
            try page.withUnsafeMutableBytes { bytes in
                try record.withUnsafeBytes { try PageDelta.apply($0, to: bytes, file: file.path) }
            }
            result.imageOffsets[pageNumber] = nil
            result.rebuiltPages[pageNumber] = page
        }
    }

    /// Scans the frames after a bad one (invariant W4). A torn tail leaves no valid frame
    /// after it, or only non-commit frames of the transaction it was writing.
    private func damage(after bad: (index: Int, offset: Int), expectedLSN: UInt64?) throws -> WALDamage? {
        var tornLSN = expectedLSN
        var atStake: Set<UInt64> = []
        var isDamage = false
        try forEachFrame(from: bad.offset + frameBytes) { _, _, frame in
            guard isValid(frame) else { return true }
            let lsn: UInt64 = frame.loadLE(at: 16)
            let flags: UInt32 = frame.loadLE(at: 4)
            if tornLSN == nil { tornLSN = lsn }
            if flags & Self.commitFlag != 0 || lsn != tornLSN { isDamage = true }
            atStake.insert(lsn)
            return true
        }
        guard isDamage else { return nil }
        if let expectedLSN { atStake.insert(expectedLSN) }
        return WALDamage(path: file.path, location: "frame \(bad.index + 1) (offset \(bad.offset))",
                         transactionsAtStake: atStake.sorted())
    }

    /// Every frame with a valid checksum whose transaction (same salt and LSN) has a valid
    /// commit frame: what a log whose header is unreadable could still hold (W5).
    private func committedFramesOfAnySalt() throws -> (committed: [(pageNumber: PageNumber, lsn: UInt64)], validCount: Int) {
        struct Transaction: Hashable { var salt: UInt32; var lsn: UInt64 }
        var frames: [(Transaction, PageNumber)] = []
        var committed: Set<Transaction> = []
        var validCount = 0
        try forEachFrame(from: Self.headerBytes) { _, _, frame in
            guard hasValidChecksum(frame) else { return true }
            validCount += 1
            let transaction = Transaction(salt: frame.loadLE(at: 12), lsn: frame.loadLE(at: 16))
            let flags: UInt32 = frame.loadLE(at: 4)
            if flags & Self.deltaFlag != 0 {
                // A malformed frame names no page; the pages of the others are what counts here.
                let records = (try? deltaRecords(in: frame, at: 0)) ?? []
                frames.append(contentsOf: records.map { (transaction, $0.pageNumber) })
            } else {
                frames.append((transaction, frame.loadLE(at: 0)))
            }
            if flags & Self.commitFlag != 0 { committed.insert(transaction) }
            return true
        }
        return (frames.filter { committed.contains($0.0) }.map { (pageNumber: $0.1, lsn: $0.0.lsn) }, validCount)
    }

    /// Calls `body` with each whole frame from `offset` on, in chunks, until it returns false.
    private func forEachFrame(
        from offset: Int, _ body: (_ index: Int, _ offset: Int, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scanChunkFrames * frameBytes, alignment: 4096)
        defer { chunk.deallocate() }
        var chunkOffset = offset
        while true {
            let framesRead = try file.read(offset: chunkOffset, into: chunk) / frameBytes
            for index in 0..<framesRead {
                let frame = UnsafeRawBufferPointer(rebasing: chunk[(index * frameBytes)..<((index + 1) * frameBytes)])
                let frameOffset = chunkOffset + index * frameBytes
                guard try body((frameOffset - Self.headerBytes) / frameBytes, frameOffset, frame) else { return }
            }
            if framesRead < Self.scanChunkFrames { return }
            chunkOffset += framesRead * frameBytes
        }
    }

    private func isValid(_ frame: UnsafeRawBufferPointer) -> Bool {
        let frameSalt: UInt32 = frame.loadLE(at: 12)
        return frameSalt == salt && hasValidChecksum(frame)
    }

    private func hasValidChecksum(_ frame: UnsafeRawBufferPointer) -> Bool {
        let stored: UInt32 = frame.loadLE(at: 24)
        let headerSum = vireo_crc32c(0, frame.baseAddress!, 24)
        return stored == vireo_crc32c(headerSum, frame.baseAddress! + Self.frameHeaderBytes, pageSizeBytes)
    }

    /// Reads the page image at `imageOffset` (from `scanCommitted`) into `page`.
    func readImage(at imageOffset: Int, into page: UnsafeMutableRawBufferPointer) throws {
        let bytesRead = try file.read(offset: imageOffset, into: page)
        guard bytesRead == pageSizeBytes else {
            throw VireoError.corrupt(file.path, "WAL image at offset \(imageOffset) is short")
        }
    }

    /// Copies the whole log to `path` and makes the copy durable, so that damage a user
    /// accepted to lose stays available for inspection.
    func preserveCopy(at path: String, backend: any IOBackend) throws {
        let copy = try backend.openFile(path: path, mode: .create)
        defer { copy.close() }
        let sizeBytes = try file.size()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scanChunkFrames * frameBytes, alignment: 4096)
        defer { chunk.deallocate() }
        var offset = 0
        try copy.truncate(size: 0)
        while offset < sizeBytes {
            let count = min(chunk.count, sizeBytes - offset)
            let part = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<count])
            try file.read(offset: offset, into: part)
            try copy.write(offset: offset, from: UnsafeRawBufferPointer(part))
            offset += count
        }
        try copy.sync()
    }
}
