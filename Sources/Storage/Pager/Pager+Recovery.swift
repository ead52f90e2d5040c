extension Pager {
    static let recoveryBatchPages = 256

    /// Applies every committed transaction found in the WAL to the database file, makes
    /// the file durable, then resets the WAL (invariants W2, W3).
    func recover() throws -> RecoveredLog {
        let recovered = try wal.scanCommitted()
        if recovered.committedTransactions > 0 {
            try applyImages(recovered)
            try databaseFile.sync()
            options.logger.info("recovered database from its WAL", metadata: [
                "path": "\(path)", "transactions": "\(recovered.committedTransactions)",
                "pages": "\(recovered.imageOffsets.count)", "discardedFrames": "\(recovered.discardedFrames)",
            ])
        } else if recovered.discardedFrames > 0 {
            options.logger.info("discarded an unfinished transaction from the WAL", metadata: [
                "path": "\(path)", "frames": "\(recovered.discardedFrames)",
            ])
        }
        try wal.reset()
        return recovered
    }

    private func applyImages(_ recovered: RecoveredLog) throws {
        let images = recovered.imageOffsets.sorted { $0.key < $1.key }
        let batch = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.recoveryBatchPages * pageSizeBytes, alignment: 4096)
        defer { batch.deallocate() }
        var start = 0
        while start < images.count {
            let end = min(start + Self.recoveryBatchPages, images.count)
            var writes: [IORequest] = []
            for (slot, (pageNumber, imageOffset)) in images[start..<end].enumerated() {
                let page = UnsafeMutableRawBufferPointer(rebasing: batch[(slot * pageSizeBytes)..<((slot + 1) * pageSizeBytes)])
                try wal.readImage(at: imageOffset, into: page)
                try PageLayout.verify(UnsafeRawBufferPointer(page), pageNumber: pageNumber, file: wal.file.path)
                writes.append(IORequest(offset: Int(pageNumber) * pageSizeBytes, buffer: page))
            }
            try databaseFile.writeBatch(writes)
            start = end
        }
    }

    /// Writes a new meta page and an empty catalog tree to a file that has none.
    /// A file shorter than two pages whose meta page is unreadable is a creation that a
    /// crash interrupted before anything was committed, so it is initialized again.
    func initializeIfEmpty() throws {
        // A damaged meta page of a larger file is corruption, reported when it is read.
        let sizeBytes = try databaseFile.size()
        if metaPageIsValid() || sizeBytes >= 2 * pageSizeBytes { return }
        let pages = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * pageSizeBytes, alignment: 4096)
        defer { pages.deallocate() }
        let meta = UnsafeMutableRawBufferPointer(rebasing: pages[0..<pageSizeBytes])
        let catalog = UnsafeMutableRawBufferPointer(rebasing: pages[pageSizeBytes...])
        MetaPage.initialize(meta, pageSizeBytes: pageSizeBytes, catalogRoot: 1)
        BTreeNode.initialize(catalog, type: .btreeLeaf)
        PageLayout.seal(meta, pageNumber: 0, lsn: 0)
        PageLayout.seal(catalog, pageNumber: 1, lsn: 0)
        try databaseFile.write(offset: 0, from: UnsafeRawBufferPointer(pages))
        try databaseFile.sync()
        options.logger.info("created database", metadata: ["path": "\(path)"])
    }

    private func metaPageIsValid() -> Bool {
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSizeBytes, alignment: 64)
        defer { page.deallocate() }
        guard (try? databaseFile.read(offset: 0, into: page)) == pageSizeBytes else { return false }
        return (try? PageLayout.verify(UnsafeRawBufferPointer(page), pageNumber: 0, file: path)) != nil
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
            try wal.reset()
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
        wal.endOffset >= options.walCheckpointBytes || pool.dirtyCount >= pool.capacityPages / 2
    }
}
