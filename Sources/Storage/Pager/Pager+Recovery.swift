// Recovery, at open, in this order:
//   1. Scan the WAL for committed transactions and for damage (W2, W4); damage refuses
//      the open unless the loss is accepted.
//   2. Check that the database file is empty, a Vireo database, or about to get its
//      meta page from the WAL; anything else is not ours and is refused untouched.
//   3. A writable open writes the WAL's images into the file, fsyncs it, and only then
//      resets the WAL (W3). If any step fails, the file is cut back to its old size and
//      the WAL is left alone, so the next open replays again. A read-only open installs
//      the images in the buffer pool instead (G5).
//   4. An empty file becomes a new database through an ordinary commit to the WAL, so a
//      crash during creation leaves an empty file or a complete database, never a torn
//      one.

extension Pager {
    static let recoveryBatchPages = 256

    /// Recovery (see above) of a file found in `fileState`; the pager moves from
    /// `.opening` to `.idle`.
    func recover(_ fileState: DatabaseFileState) throws {
        var recovered = try wal?.scanCommitted() ?? RecoveredLog()
        try judgeUnreadableHeader(&recovered)
        if let damage = recovered.damage {
            guard options.acceptWALLoss else {
                throw VireoError(.corruption, "\(damage). \(WALDamage.acceptLossAdvice(path))")
            }
            walDamage = damage
            options.logger.warning("opening without the transactions at and after the WAL damage", metadata: ["damage": "\(damage)"])
        }
        try fileState.checkRecoverable(with: recovered, path: path)
        if isReadOnly {
            try installImages(recovered)
        } else {
            try applyImages(recovered, fileSizeBytes: fileState.sizeBytes)
        }
        nextLSN = recovered.lastLSN + 1
        if !recovered.holds(0) && fileState.isEmpty {
            try createDatabase()
        }
        try pool.withPage(0) { try MetaPage.validate($0, pageSizeBytes: pageSizeBytes, path: path) }
        nextLSN = max(nextLSN, try pool.withPage(0) { $0.loadLE(at: PageLayout.lsnOffset) } + 1)
        state = .idle
        assertInvariants()
    }

    /// Invariant W5: a log whose header does not read back is obsolete when the database
    /// file already holds every committed frame in it, damaged when it does not, and not
    /// Vireo's when it has another magic and no valid frame at all.
    private func judgeUnreadableHeader(_ recovered: inout RecoveredLog) throws {
        guard let wal, let problem = wal.headerProblem, let frames = recovered.committedFramesWithoutHeader else { return }
        if frames.isEmpty {
            if case .foreignMagic = problem, recovered.validFramesWithoutHeader == 0, try wal.file.size() > WriteAheadLog.headerBytes {
                throw VireoError(.corruption, "'\(wal.file.path)' is not a Vireo WAL (\(problem)); move it away if it is not this database's log")
            }
        } else {
            let missing = try frames.filter { frame in try appliedLSN(of: frame.pageNumber) < frame.lsn }
            if !missing.isEmpty {
                recovered.damage = WALDamage(path: wal.file.path, location: "the header (\(problem))",
                                             transactionsAtStake: Set(missing.map(\.lsn)).sorted())
                return
            }
        }
        options.logger.notice("the WAL's header does not read back, but nothing in it is missing from the database: starting a new log", metadata: [
            "path": "\(wal.file.path)", "problem": "\(problem)",
        ])
    }

    /// The LSN of page `pageNumber` in the database file; 0 when absent or unreadable.
    private func appliedLSN(of pageNumber: PageNumber) throws -> UInt64 {
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSizeBytes, alignment: 64)
        defer { page.deallocate() }
        let bytesRead = try databaseFile.read(offset: Int(pageNumber) * pageSizeBytes, into: page)
        guard bytesRead == pageSizeBytes,
              (try? PageLayout.verify(UnsafeRawBufferPointer(page), pageNumber: pageNumber, file: path)) != nil else { return 0 }
        return page.loadLE(at: PageLayout.lsnOffset)
    }

    /// Writes the committed images into the database file and makes them durable, then
    /// resets the WAL; on failure cuts the file back to `fileSizeBytes` and leaves the WAL.
    private func applyImages(_ recovered: RecoveredLog, fileSizeBytes: Int) throws {
        let log = writableLog
        if recovered.committedTransactions > 0 {
            do {
                try forEachImageBatch(recovered) { try databaseFile.writeBatch($0) }
                try databaseFile.sync()
            } catch {
                // Best effort: give back the space; the WAL still holds every image.
                try? databaseFile.truncate(size: fileSizeBytes)
                try? databaseFile.sync()
                throw error
            }
            logRecovery(recovered)
        }
        if recovered.damage != nil { try preserveDamagedLog(log) }
        if recovered.committedTransactions > 0 || recovered.discardedFrames > 0 || recovered.damage != nil || log.headerProblem != nil
            || log.headerVersion != WriteAheadLog.formatVersion {
            try log.reset()
        }
    }

    /// Read-only recovery: the committed images become dirty pool pages, which are
    /// never evicted and, in a read-only pager, never written (G5).
    private func installImages(_ recovered: RecoveredLog) throws {
        try forEachImageBatch(recovered) { requests in
            let pages = requests.map { request in
                let copy = BufferPool.allocatePage(pageSizeBytes)
                copy.copyMemory(from: request.buffer.baseAddress!, byteCount: pageSizeBytes)
                return (PageNumber(request.offset / pageSizeBytes), copy)
            }
            pool.install(pages)
        }
    }

    /// Reads the committed pages (images from the log, pages rebuilt from deltas) in
    /// batches, each verified (D2), as writes to their pages.
    private func forEachImageBatch(_ recovered: RecoveredLog, _ body: ([IORequest]) throws -> Void) throws {
        guard let wal, recovered.loggedPageCount > 0 else { return }
        let pageNumbers = (Array(recovered.imageOffsets.keys) + Array(recovered.rebuiltPages.keys)).sorted()
        let batch = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.recoveryBatchPages * pageSizeBytes, alignment: 4096)
        defer { batch.deallocate() }
        var start = 0
        while start < pageNumbers.count {
            let end = min(start + Self.recoveryBatchPages, pageNumbers.count)
            var requests: [IORequest] = []
            for (slot, pageNumber) in pageNumbers[start..<end].enumerated() {
                let page = UnsafeMutableRawBufferPointer(rebasing: batch[(slot * pageSizeBytes)..<((slot + 1) * pageSizeBytes)])
                if let imageOffset = recovered.imageOffsets[pageNumber] {
                    try wal.readImage(at: imageOffset, into: page)
                } else if let rebuilt = recovered.rebuiltPages[pageNumber] {
                    page.copyBytes(from: rebuilt)
                }
                try PageLayout.verify(UnsafeRawBufferPointer(page), pageNumber: pageNumber, file: wal.file.path)
                requests.append(IORequest(offset: Int(pageNumber) * pageSizeBytes, buffer: page))
            }
            try body(requests)
            start = end
        }
    }

    private func logRecovery(_ recovered: RecoveredLog) {
        options.logger.info("recovered database from its WAL", metadata: [
            "path": "\(path)", "transactions": "\(recovered.committedTransactions)",
            "pages": "\(recovered.loggedPageCount)", "discardedFrames": "\(recovered.discardedFrames)",
        ])
    }

    /// Keeps the damaged log as `<database>-wal.damaged` (or `.damaged.2` …) before the
    /// reset overwrites it: the user accepted to lose its transactions, not its bytes.
    private func preserveDamagedLog(_ log: WriteAheadLog) throws {
        var copyPath = log.file.path + ".damaged"
        var suffix = 2
        while backend.fileExists(path: copyPath) {
            copyPath = log.file.path + ".damaged.\(suffix)"
            suffix += 1
        }
        try log.preserveCopy(at: copyPath, backend: backend)
        options.logger.warning("kept the damaged WAL", metadata: ["copy": "\(copyPath)"])
    }

    /// A new database: the meta page and an empty catalog tree, committed through the WAL.
    private func createDatabase() throws {
        if isReadOnly { throw VireoError(.ioError, "'\(path)' is empty: it holds no database yet") }
        let meta = BufferPool.allocatePage(pageSizeBytes)
        let catalog = BufferPool.allocatePage(pageSizeBytes)
        MetaPage.initialize(UnsafeMutableRawBufferPointer(start: meta, count: pageSizeBytes), pageSizeBytes: pageSizeBytes, catalogRoot: 1)
        BTreeNode.initialize(UnsafeMutableRawBufferPointer(start: catalog, count: pageSizeBytes), type: .btreeLeaf)
        try commitPages([(0, meta), (1, catalog)], onPublish: {})
        options.logger.info("created database", metadata: ["path": "\(path)"])
    }
}

/// What the database file holds before recovery: empty, or with a valid meta page, or
/// something else (damaged, or not a Vireo database at all).
struct DatabaseFileState {
    var sizeBytes: Int
    var firstBytes: [UInt8]
    /// Why page 0 is not a valid meta page; nil when it is (or the file is empty).
    var metaProblem: VireoError?

    var isEmpty: Bool { sizeBytes == 0 }

    static func read(_ file: any StorageFile, path: String, pageSizeBytes: Int) throws -> DatabaseFileState {
        let sizeBytes = try file.size()
        var state = DatabaseFileState(sizeBytes: sizeBytes, firstBytes: [])
        guard sizeBytes > 0 else { return state }
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSizeBytes, alignment: 64)
        defer { page.deallocate() }
        let bytesRead = try file.read(offset: 0, into: page)
        state.firstBytes = Array(page.prefix(min(bytesRead, 64)))
        do {
            guard bytesRead == pageSizeBytes else { throw VireoError.corrupt(path, page: 0, "the file is shorter than one page") }
            try PageLayout.verify(UnsafeRawBufferPointer(page), pageNumber: 0, file: path)
            try MetaPage.validate(UnsafeRawBufferPointer(page), pageSizeBytes: pageSizeBytes, path: path)
        } catch let error as VireoError {
            state.metaProblem = error
        }
        return state
    }

    /// Refuses a file that recovery must not write into: one whose meta page is invalid
    /// while the WAL has no committed image of it. A foreign file is named as such.
    func checkRecoverable(with recovered: RecoveredLog, path: String) throws {
        if isEmpty && !recovered.holds(0) && recovered.loggedPageCount > 0 {
            throw VireoError.corrupt(path, "the database file is empty but its WAL holds pages of a database; the file may have been replaced or truncated")
        }
        guard let metaProblem, !recovered.holds(0) else { return }
        guard firstBytes.count >= 32, Array(firstBytes[24..<32]) == MetaPage.magic else {
            throw VireoError(.corruption, "'\(path)' is not a Vireo database (it begins with \(FileSignature.describe(firstBytes))); Vireo leaves it as it is")
        }
        if firstBytes.count >= MetaPage.versionOffset + 4,
           firstBytes.withUnsafeBytes({ $0.loadLE(at: MetaPage.versionOffset) as UInt32 }) > StorageFormat.version {
            throw metaProblem  // a newer build's file, not a damaged one
        }
        throw VireoError(.corruption, "'\(path)' has a damaged header, so it cannot be opened: \(metaProblem.message)")
    }
}

extension Pager {
    /// Writes every dirty page to the database file, makes it durable and resets the WAL.
    /// Takes the writer gate, so it waits for a running write transaction to finish.
    public func checkpoint() throws {
        writerGate.enter()
        defer { writerGate.leave() }
        try requireWritable()
        try checkpointLocked()
    }

    /// The checkpoint proper; the caller holds the writer gate. A failure moves the pager
    /// to `.failed` (invariant G4): the WAL still holds every committed page.
    func checkpointLocked() throws {
        let dirty = pool.dirtyPages()
        do {
            if !dirty.isEmpty {
                let writes = dirty.map {
                    IORequest(offset: Int($0.0) * pageSizeBytes,
                              buffer: UnsafeMutableRawBufferPointer(start: $0.1, count: pageSizeBytes))
                }
                try databaseFile.writeBatch(writes)
                try databaseFile.sync()
            }
            try writableLog.reset()
        } catch {
            fail(error)
            throw error
        }
        pool.markClean(dirty.map { $0.0 })
    }

    /// Moves the pager to `.failed` after an I/O error that leaves durability in doubt.
    func fail(_ error: Error) {
        let cause = error as? VireoError ?? VireoError(.ioError, "\(error)")
        state = .failed(cause)
        options.logger.error("database refuses further writes after an I/O failure", metadata: [
            "path": "\(path)", "error": "\(cause.message)",
        ])
    }

    /// Whether the last commit left enough behind to make a checkpoint worthwhile.
    var checkpointIsDue: Bool {
        (wal?.endOffset ?? 0) >= options.walCheckpointBytes || pool.dirtyCount >= pool.capacityPages / 2
    }
}
