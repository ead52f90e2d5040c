import CVireoSupport

/// What a scan of the log found: the newest committed image of each page.
struct RecoveredLog {
    /// Offset in the log of the newest committed image of each page.
    var imageOffsets: [PageNumber: Int] = [:]
    /// Database size in pages after the last committed transaction, if any committed.
    var pageCount: UInt32?
    var lastLSN: UInt64 = 0
    var committedTransactions = 0
    /// Frames after the last commit frame: an unfinished transaction, discarded.
    var discardedFrames = 0
}

extension WriteAheadLog {
    static let scanChunkFrames = 64

    /// Reads the log from the start and collects every committed transaction
    /// (invariant W2). The pager then applies them and resets the log.
    func scanCommitted() throws -> RecoveredLog {
        var result = RecoveredLog()
        var pending: [(PageNumber, Int)] = []
        var offset = Self.headerBytes
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scanChunkFrames * frameBytes, alignment: 4096)
        defer { chunk.deallocate() }
        scanning: while true {
            let bytesRead = try file.read(offset: offset, into: chunk)
            let framesRead = bytesRead / frameBytes
            for index in 0..<framesRead {
                let frame = UnsafeRawBufferPointer(rebasing: chunk[(index * frameBytes)..<((index + 1) * frameBytes)])
                guard isValid(frame) else { break scanning }
                let frameOffset = offset + index * frameBytes
                pending.append((frame.loadLE(at: 0), frameOffset + Self.frameHeaderBytes))
                let flags: UInt32 = frame.loadLE(at: 4)
                if flags & Self.commitFlag != 0 {
                    for (pageNumber, imageOffset) in pending { result.imageOffsets[pageNumber] = imageOffset }
                    pending.removeAll(keepingCapacity: true)
                    result.pageCount = frame.loadLE(at: 8)
                    result.lastLSN = frame.loadLE(at: 16)
                    result.committedTransactions += 1
                }
            }
            if framesRead < Self.scanChunkFrames { break }
            offset += framesRead * frameBytes
        }
        result.discardedFrames = pending.count
        return result
    }

    private func isValid(_ frame: UnsafeRawBufferPointer) -> Bool {
        let frameSalt: UInt32 = frame.loadLE(at: 12)
        guard frameSalt == salt else { return false }
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
}
