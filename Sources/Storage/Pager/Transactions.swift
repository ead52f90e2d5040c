/// Read access to pages, as a read view or a write transaction sees them.
public protocol PageSource {
    /// The database file's path, for error messages.
    var path: String { get }
    /// Calls `body` with page `pageNumber`'s bytes, valid only during the call.
    func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    /// Hints that these pages will be read soon (a scan reading ahead).
    func prefetch(_ pageNumbers: [PageNumber])
}

extension PageSource {
    public func prefetch(_ pageNumbers: [PageNumber]) {}
}

/// Read and write access to pages inside a write transaction.
public protocol PageSink: PageSource {
    /// Calls `body` with a private, writable copy of page `pageNumber`.
    func withMutablePage<R>(_ pageNumber: PageNumber, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R
    /// A fresh page of `type`, taken from the free list or appended to the file.
    func allocatePage(type: PageType) throws -> PageNumber
    /// Returns a page to the free list.
    func freePage(_ pageNumber: PageNumber) throws
}

/// A consistent view of committed pages; exists only inside `Pager.read`.
public struct ReadView: PageSource {
    let pool: BufferPool
    public let path: String

    public func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try pool.withPage(pageNumber, body)
    }

    public func prefetch(_ pageNumbers: [PageNumber]) { pool.prefetch(pageNumbers) }
}

extension Pager {
    /// Runs `body` on a consistent snapshot of committed data: no commit is published
    /// while it runs (invariant G2), but write transactions proceed up to their commit.
    public func read<R>(_ body: (ReadView) throws -> R) throws -> R {
        try publishLock.withReadLock {
            if state == .closed { throw VireoError(.transactionState, "database '\(path)' is closed") }
            return try body(ReadView(pool: pool, path: path))
        }
    }

    /// Starts the one write transaction, waiting for the current one to finish (G1), or
    /// without `waiting`, throwing when one is open.
    public func beginWrite(waiting: Bool = true) throws -> WriteTransaction {
        if waiting {
            writerGate.enter()
        } else if !writerGate.tryEnter() {
            throw VireoError(.transactionState, "database '\(path)' has an open write transaction")
        }
        return try startWriting()
    }

    /// Starts the one write transaction, waiting at most `timeoutMs` for the current one
    /// to finish (G1): nil waits without limit, 0 not at all. Past the limit it throws
    /// 55P03 with PostgreSQL's lock_timeout message. `checkCancel` runs every few
    /// milliseconds while it waits, and what it throws ends the wait (a cancelled statement).
    public func beginWrite(timeoutMs: Int?, checkCancel: () throws -> Void = {}) throws -> WriteTransaction {
        guard try writerGate.enter(timeoutMs: timeoutMs, checkCancel: checkCancel) else {
            throw VireoError(.lockNotAvailable, "canceling statement due to lock timeout")
        }
        return try startWriting()
    }

    /// The caller has just passed the writer gate.
    private func startWriting() throws -> WriteTransaction {
        do {
            try requireWritable()
        } catch {
            writerGate.leave()
            throw error
        }
        state = .writing
        return WriteTransaction(pager: self)
    }
}

/// The single write transaction: a private overlay of modified pages that `commit`
/// makes durable through the WAL and then publishes, or `rollback` discards.
public final class WriteTransaction: PageSink, @unchecked Sendable {
    public let pager: Pager
    private var overlay: [PageNumber: UnsafeMutableRawPointer] = [:]
    private(set) var isFinished = false
    /// For each tree (by root) written in this transaction: its rightmost leaf, while the
    /// tree's shape is unchanged since it was found (see `BTree.insert`).
    var rightmostLeaves: [PageNumber: PageNumber] = [:]

    init(pager: Pager) { self.pager = pager }

    public var path: String { pager.path }

    deinit {
        if !isFinished { rollback() }
    }

    private var pageSizeBytes: Int { pager.pageSizeBytes }

    public func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        precondition(!isFinished, "use of a finished transaction")
        if let page = overlay[pageNumber] {
            return try body(UnsafeRawBufferPointer(start: page, count: pageSizeBytes))
        }
        return try pager.pool.withPage(pageNumber, body)
    }

    public func withMutablePage<R>(_ pageNumber: PageNumber, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        precondition(!isFinished, "use of a finished transaction")
        let page = try overlay[pageNumber] ?? copyIntoOverlay(pageNumber)
        return try body(UnsafeMutableRawBufferPointer(start: page, count: pageSizeBytes))
    }

    private func copyIntoOverlay(_ pageNumber: PageNumber) throws -> UnsafeMutableRawPointer {
        let copy = BufferPool.allocatePage(pageSizeBytes)
        do {
            try pager.pool.withPage(pageNumber) { copy.copyMemory(from: $0.baseAddress!, byteCount: pageSizeBytes) }
        } catch {
            copy.deallocate()
            throw error
        }
        overlay[pageNumber] = copy
        return copy
    }

    /// A page whose old contents do not matter (allocation, freeing): no read needed.
    private func blankPage(_ pageNumber: PageNumber, type: PageType) -> UnsafeMutableRawBufferPointer {
        let page = overlay[pageNumber] ?? BufferPool.allocatePage(pageSizeBytes)
        overlay[pageNumber] = page
        let bytes = UnsafeMutableRawBufferPointer(start: page, count: pageSizeBytes)
        PageLayout.initialize(bytes, type: type)
        return bytes
    }

    public func allocatePage(type: PageType) throws -> PageNumber {
        let (pageCount, freeHead): (UInt32, UInt32) = try withPage(0) {
            ($0.loadLE(at: MetaPage.pageCountOffset), $0.loadLE(at: MetaPage.freeListHeadOffset))
        }
        if freeHead != 0 {
            guard freeHead < pageCount else {
                throw VireoError.corrupt(pager.path, page: 0, "free list head \(freeHead) is past the page count \(pageCount)")
            }
            let next: UInt32 = try withPage(freeHead) { page in
                guard PageLayout.type(page) == .free else {
                    throw VireoError.corrupt(pager.path, page: freeHead, "page on the free list is not free")
                }
                return page.loadLE(at: MetaPage.nextFreeOffset)
            }
            try withMutablePage(0) { meta in
                meta.storeLE(next, at: MetaPage.freeListHeadOffset)
                let freeCount: UInt32 = meta.loadLE(at: MetaPage.freePageCountOffset)
                meta.storeLE(freeCount &- 1, at: MetaPage.freePageCountOffset)
            }
            _ = blankPage(freeHead, type: type)
            return freeHead
        }
        guard pageCount < PageNumber.max - 1 else { throw VireoError(.diskFull, "database '\(pager.path)' has reached its page limit") }
        try withMutablePage(0) { $0.storeLE(pageCount + 1, at: MetaPage.pageCountOffset) }
        _ = blankPage(pageCount, type: type)
        return pageCount
    }

    public func freePage(_ pageNumber: PageNumber) throws {
        precondition(pageNumber != 0, "the meta page is never freed")
        let head: UInt32 = try withPage(0) { $0.loadLE(at: MetaPage.freeListHeadOffset) }
        blankPage(pageNumber, type: .free).storeLE(head, at: MetaPage.nextFreeOffset)
        try withMutablePage(0) { meta in
            meta.storeLE(pageNumber, at: MetaPage.freeListHeadOffset)
            let freeCount: UInt32 = meta.loadLE(at: MetaPage.freePageCountOffset)
            meta.storeLE(freeCount + 1, at: MetaPage.freePageCountOffset)
        }
    }

    /// Makes the transaction durable, then visible. Returns once its WAL frames are
    /// fsynced (invariant W1); on a throw nothing of it is visible or durable.
    /// `onPublish` runs while readers are held off, as the pages become visible, so
    /// state derived from them (the catalog) changes in the same instant (invariant C2).
    /// `afterPublish` runs after that, still before the writer gate opens.
    public func commit(onPublish: () -> Void = {}, afterPublish: () throws -> Void = {}) throws {
        precondition(!isFinished, "commit of a finished transaction")
        isFinished = true
        defer { pager.finishWrite() }
        guard !overlay.isEmpty else { return try afterPublish() }
        let pages = overlay.sorted { $0.key < $1.key }
        overlay = [:]
        try pager.commitPages(pages, onPublish: onPublish)
        try afterPublish()
    }

    /// Discards every change of the transaction.
    public func rollback() {
        guard !isFinished else { return }
        isFinished = true
        for page in overlay.values { page.deallocate() }
        overlay = [:]
        pager.finishWrite()
    }
}

extension Pager {
    /// Seals, logs and publishes a committing transaction's pages, then checkpoints
    /// when due. Takes ownership of the page buffers.
    func commitPages(_ pages: [(PageNumber, UnsafeMutableRawPointer)], onPublish: () -> Void) throws {
        let lsn = nextLSN
        for (pageNumber, page) in pages {
            PageLayout.seal(UnsafeMutableRawBufferPointer(start: page, count: pageSizeBytes), pageNumber: pageNumber, lsn: lsn)
        }
        do {
            try writableLog.appendCommit(pages: pages, lsn: lsn, pageCount: try pageCount(after: pages))
        } catch {
            for (_, page) in pages { page.deallocate() }
            fail(error)
            throw error
        }
        nextLSN += 1
        publishLock.withWriteLock {
            pool.install(pages)
            onPublish()
        }
        if checkpointIsDue {
            // The commit is durable already; a failed checkpoint only stops later writes.
            try? checkpointLocked()
        }
    }

    /// The database size in pages once `pages` are committed.
    private func pageCount(after pages: [(PageNumber, UnsafeMutableRawPointer)]) throws -> UInt32 {
        if let meta = pages.first(where: { $0.0 == 0 }) {
            return UnsafeRawBufferPointer(start: meta.1, count: pageSizeBytes).loadLE(at: MetaPage.pageCountOffset)
        }
        return try pool.withPage(0) { $0.loadLE(at: MetaPage.pageCountOffset) }
    }

    /// Ends the write transaction: back to `.idle` unless the pager failed meanwhile.
    func finishWrite() {
        if state == .writing { state = .idle }
        assertInvariants()
        writerGate.leave()
    }
}
