import Synchronization

/// Read access to pages, as a read view or a write transaction sees them.
public protocol PageSource {
    /// The database file's path, for error messages.
    var path: String { get }
    /// Calls `body` with page `pageNumber`'s bytes, valid only during the call.
    func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    /// Hints that these pages will be read soon (a scan reading ahead).
    func prefetch(_ pageNumbers: [PageNumber])
    /// The life of the pager behind the pages, within which row locators hold (see
    /// RowLocator); 0 for a source whose pages take none.
    var locatorDomain: UInt64 { get }
    /// Calls `body` with the bytes of each of `pageNumbers` that is in memory (an empty
    /// buffer for the others), all valid until it returns. A source without such a cache
    /// gives only empty buffers; the caller reads those pages through `withPage`.
    func withCachedPages<R>(_ pageNumbers: UnsafeBufferPointer<PageNumber>,
                            _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R
}

extension PageSource {
    public func prefetch(_ pageNumbers: [PageNumber]) {}
    public var locatorDomain: UInt64 { 0 }

    public func withCachedPages<R>(_ pageNumbers: UnsafeBufferPointer<PageNumber>,
                                   _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        let empty = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: pageNumbers.count)
        return try empty.withUnsafeBufferPointer(body)
    }
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

/// A published version of the database that stays readable while it is open, however
/// many commits follow (invariants V1–V3 in BufferPool.swift). Old page versions it can
/// see stay in memory until it closes, so close it promptly (it closes itself when freed).
public final class PageSnapshot: @unchecked Sendable {
    let pool: BufferPool
    /// The published version it sees.
    public let version: UInt64
    private let isClosed = Atomic<Bool>(false)

    init(pool: BufferPool) {
        self.pool = pool
        version = pool.openSnapshot()
    }

    deinit { close() }

    /// Ends the snapshot; later reads through it are a programmer error.
    public func close() {
        if !isClosed.exchange(true, ordering: .acquiringAndReleasing) { pool.closeSnapshot(version) }
    }
}

/// A consistent view of committed pages: one snapshot's version of each.
public struct ReadView: PageSource {
    let pool: BufferPool
    public let snapshot: PageSnapshot
    public let path: String

    public func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try pool.withPage(pageNumber, asOf: snapshot.version, body)
    }

    public func prefetch(_ pageNumbers: [PageNumber]) { pool.prefetch(pageNumbers) }

    public func withCachedPages<R>(_ pageNumbers: UnsafeBufferPointer<PageNumber>,
                                   _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        try pool.withCachedPages(pageNumbers, asOf: snapshot.version, body)
    }
}

extension Pager {
    /// Opens a snapshot of the last published version. `capture` runs in the same instant,
    /// so state published with the pages (the catalog) is read as of that version.
    public func openSnapshot<T>(capturing capture: () -> T) throws -> (PageSnapshot, T) {
        try publishLock.withReadLock { (try openSnapshotLocked(), capture()) }
    }

    /// A snapshot of the last published version; the caller holds the publish lock shared.
    func openSnapshotLocked() throws -> PageSnapshot {
        if state == .closed { throw VireoError(.transactionState, "database '\(path)' is closed") }
        return PageSnapshot(pool: pool)
    }

    /// Runs `body` on a snapshot of committed data (invariant G2). Commits go on meanwhile;
    /// the snapshot keeps seeing the version it opened on.
    public func read<R>(_ body: (ReadView) throws -> R) throws -> R {
        let (snapshot, _) = try openSnapshot { () }
        defer { snapshot.close() }
        return try body(ReadView(pool: pool, snapshot: snapshot, path: path))
    }

    /// The version published last.
    public var publishedVersion: UInt64 { pool.currentVersion }

    /// A write transaction over `snapshot` (G1): any number may be open at once. It cannot
    /// commit itself: a holder of the writer gate takes its pages (`movePages`) when none
    /// was published since its snapshot, or the store replays its changes.
    public func beginTransaction(over snapshot: PageSnapshot) throws -> WriteTransaction {
        try requireWritable()
        return WriteTransaction(pager: self, base: snapshot)
    }

    /// Starts a write transaction that holds the writer gate, waiting for the holder to
    /// leave, or without `waiting`, throwing when the gate is held. It reads the current
    /// pages and commits by itself.
    public func beginWrite(waiting: Bool = true) throws -> WriteTransaction {
        if waiting {
            writerGate.enter()
        } else if !writerGate.tryEnter() {
            throw VireoError(.transactionState, "database '\(path)' has an open write transaction")
        }
        return try startWriting()
    }

    /// Starts a write transaction that holds the writer gate, waiting at most `timeoutMs`
    /// for the holder: nil waits without limit, 0 not at all. Past the limit it throws
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
        return WriteTransaction(pager: self, base: nil)
    }
}

/// A write transaction: a private overlay of modified pages over a base. The holder of the
/// writer gate (base nil) reads the current pages and commits through the WAL; the others
/// read their snapshot and are committed by a gate holder (see `Pager.beginTransaction`).
/// Savepoints keep the overlay's earlier contents so a failed part can be undone alone.
public final class WriteTransaction: PageSink, @unchecked Sendable {
    public let pager: Pager
    /// The snapshot unchanged pages are read from; nil for the gate holder.
    public let base: PageSnapshot?
    private var overlay: [PageNumber: UnsafeMutableRawPointer] = [:]
    /// One map per open savepoint: each page's overlay contents when first changed after
    /// it (nil: not in the overlay then).
    private var undoLevels: [[PageNumber: UnsafeMutableRawPointer?]] = []
    private(set) var isFinished = false
    /// For each tree (by root) written in this transaction: its rightmost leaf, while the
    /// tree's shape is unchanged since it was found (see `BTree.insert`).
    var rightmostLeaves: [PageNumber: PageNumber] = [:]
    /// Pages changed since the last `takeChangedPages`, so the store can tell which pages
    /// each logged row operation wrote; counted while `tracksChangedPages` (by default
    /// over a snapshot: a gate holder's bulk load would only grow the set).
    private var changedSinceTaken = ChangedPageSet()
    var tracksChangedPages: Bool

    init(pager: Pager, base: PageSnapshot?) {
        self.pager = pager
        self.base = base
        self.tracksChangedPages = base != nil
    }

    public var path: String { pager.path }

    /// Whether it holds the writer gate (and so may commit by itself).
    public var holdsGate: Bool { base == nil }

    /// Whether it has changed no page.
    public var isEmpty: Bool { overlay.isEmpty }

    /// The pages it changed.
    var overlayPages: Set<PageNumber> { Set(overlay.keys) }
    var overlayPageCount: Int { overlay.count }
    var hasNoSavepoints: Bool { undoLevels.isEmpty }

    /// The published version its unchanged pages come from.
    public var baseVersion: UInt64 { base?.version ?? pager.publishedVersion }

    deinit {
        if !isFinished { rollback() }
    }

    private var pageSizeBytes: Int { pager.pageSizeBytes }

    public func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        precondition(!isFinished, "use of a finished transaction")
        if let page = overlay[pageNumber] {
            return try body(UnsafeRawBufferPointer(start: page, count: pageSizeBytes))
        }
        return try readBase(pageNumber, body)
    }

    private func readBase<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if let base { return try pager.pool.withPage(pageNumber, asOf: base.version, body) }
        return try pager.pool.withPage(pageNumber, body)
    }

    public func withMutablePage<R>(_ pageNumber: PageNumber, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        precondition(!isFinished, "use of a finished transaction")
        noteUndo(pageNumber)
        if tracksChangedPages { changedSinceTaken.insert(pageNumber) }
        let page = try overlay[pageNumber] ?? copyIntoOverlay(pageNumber)
        return try body(UnsafeMutableRawBufferPointer(start: page, count: pageSizeBytes))
    }

    private func copyIntoOverlay(_ pageNumber: PageNumber) throws -> UnsafeMutableRawPointer {
        let copy = BufferPool.allocatePage(pageSizeBytes)
        do {
            try readBase(pageNumber) { copy.copyMemory(from: $0.baseAddress!, byteCount: pageSizeBytes) }
        } catch {
            BufferPool.deallocatePage(copy, pageSizeBytes)
            throw error
        }
        overlay[pageNumber] = copy
        return copy
    }

    /// A page whose old contents do not matter (allocation, freeing): no read needed.
    private func blankPage(_ pageNumber: PageNumber, type: PageType) -> UnsafeMutableRawBufferPointer {
        noteUndo(pageNumber)
        if tracksChangedPages { changedSinceTaken.insert(pageNumber) }
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

    // MARK: Savepoints

    /// Opens a savepoint; returns its level for `rollback(toSavepoint:)` and `release`.
    public func savepoint() -> Int {
        undoLevels.append([:])
        return undoLevels.count
    }

    /// Undoes every change since savepoint `level`, which stays open (as in SQL).
    public func rollback(toSavepoint level: Int) {
        precondition(level >= 1 && level <= undoLevels.count, "no savepoint at level \(level)")
        while undoLevels.count >= level {
            for (pageNumber, saved) in undoLevels.removeLast() {
                if let page = overlay[pageNumber] { BufferPool.deallocatePage(page, pageSizeBytes) }
                overlay[pageNumber] = saved
            }
        }
        rightmostLeaves = [:]
        undoLevels.append([:])
    }

    /// Closes savepoint `level` and those after it, keeping their changes.
    public func release(savepoint level: Int) {
        precondition(level >= 1 && level <= undoLevels.count, "no savepoint at level \(level)")
        while undoLevels.count >= level {
            let top = undoLevels.removeLast()
            if undoLevels.isEmpty { free(top) } else { mergeIntoTop(top) }
        }
    }

    private func mergeIntoTop(_ level: [PageNumber: UnsafeMutableRawPointer?]) {
        for (pageNumber, saved) in level {
            if undoLevels[undoLevels.count - 1].keys.contains(pageNumber) {
                if let saved { BufferPool.deallocatePage(saved, pageSizeBytes) }
            } else {
                undoLevels[undoLevels.count - 1][pageNumber] = saved
            }
        }
    }

    private func free(_ level: [PageNumber: UnsafeMutableRawPointer?]) {
        for case let saved? in level.values { BufferPool.deallocatePage(saved, pageSizeBytes) }
    }

    /// Keeps the page's contents before its first change under the innermost savepoint.
    private func noteUndo(_ pageNumber: PageNumber) {
        guard !undoLevels.isEmpty, !undoLevels[undoLevels.count - 1].keys.contains(pageNumber) else { return }
        var saved: UnsafeMutableRawPointer?
        if let page = overlay[pageNumber] {
            let copy = BufferPool.allocatePage(pageSizeBytes)
            copy.copyMemory(from: page, byteCount: pageSizeBytes)
            saved = copy
        }
        undoLevels[undoLevels.count - 1][pageNumber] = saved
    }

    // MARK: Ending

    /// Moves every page of this transaction into `target` and ends this one, if none of
    /// them changed after this one's snapshot (`pagesChanged`). Then the pages are what
    /// replaying this transaction's row changes on `target` would write, since each change
    /// found its row on a page that is still as it saw it (page allocation included: it
    /// changes the meta page). Returns false, changing nothing, otherwise, or while
    /// savepoints are open in this one.
    public func movePages(into target: WriteTransaction) -> Bool {
        guard base != nil, undoLevels.isEmpty, pagesChanged(comparedTo: target).isEmpty else { return false }
        movePages(Set(overlay.keys), into: target)
        return true
    }

    /// The pages changed since the last call (or the start), and starts a new count.
    func takeChangedPages() -> Set<PageNumber> {
        changedSinceTaken.take()
    }

    /// As `takeChangedPages`, but hands back `previous` itself when the same pages changed
    /// (consecutive inserts into one leaf): the operation log then shares one set, where
    /// a copy for each row was allocated and later freed.
    func takeChangedPages(sameAs previous: Set<PageNumber>?) -> Set<PageNumber> {
        guard let previous, changedSinceTaken.matches(previous) else { return takeChangedPages() }
        changedSinceTaken.removeAll()
        return previous
    }

    /// The pages of this transaction that changed after its snapshot, by a publish or in
    /// `target`'s overlay: those `movePages` refuses to move.
    func pagesChanged(comparedTo target: WriteTransaction) -> Set<PageNumber> {
        guard let base else { return Set(overlay.keys) }
        var changed = Set(overlay.keys.filter { target.overlay[$0] != nil })
        if target.baseVersion != base.version { changed.formUnion(pager.pool.replaced(overlay.keys, after: base.version)) }
        return changed
    }

    /// Moves `pageNumbers` (pages of this transaction that `pagesChanged` did not name,
    /// and that `target` has not changed since) into `target`'s overlay, under its open
    /// savepoint if any, and ends this transaction: the caller has replayed the row
    /// changes of its other pages.
    func movePages(_ pageNumbers: Set<PageNumber>, into target: WriteTransaction) {
        precondition(!isFinished && !target.isFinished && undoLevels.isEmpty, "moving pages of or into a finished transaction")
        for pageNumber in pageNumbers {
            guard let page = overlay.removeValue(forKey: pageNumber) else { continue }
            precondition(target.overlay[pageNumber] == nil, "moving a page over one the target changed")
            target.noteUndo(pageNumber)
            target.overlay[pageNumber] = page
        }
        target.rightmostLeaves = [:]
        rollback()
    }

    /// Makes the transaction durable, then visible; only the gate holder commits. Returns
    /// once its WAL frames are fsynced (invariant W1); on a throw nothing of it is visible
    /// or durable. `onPublish` runs while snapshots cannot open, as the pages become
    /// visible, so state derived from them (the catalog) changes in the same instant
    /// (invariant C2). `afterPublish` runs after that, still before the writer gate opens.
    public func commit(onPublish: () -> Void = {}, afterPublish: () throws -> Void = {}) throws {
        precondition(!isFinished, "commit of a finished transaction")
        precondition(holdsGate, "a transaction over a snapshot is committed by the store")
        isFinished = true
        for level in undoLevels { free(level) }
        undoLevels = []
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
        for page in overlay.values { BufferPool.deallocatePage(page, pageSizeBytes) }
        for level in undoLevels { free(level) }
        overlay = [:]
        undoLevels = []
        if holdsGate { pager.finishWrite() } else { base?.close() }
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
            let (images, deltas) = try imagesAndDeltas(pages)
            try writableLog.appendCommit(images: images, deltas: deltas, lsn: lsn, pageCount: try pageCount(after: pages))
        } catch {
            for (_, page) in pages { page.deallocate() }
            fail(error)
            throw error
        }
        nextLSN += 1
        try publish(pages, onPublish: onPublish)
        if checkpointIsDue {
            // The commit is durable already; a failed checkpoint only stops later writes.
            try? checkpointLocked()
        }
    }

    /// Splits sealed pages into those the WAL logs whole and, for pages it already holds
    /// an image of (W6), deltas against their current version, unless too large to pay.
    private func imagesAndDeltas(_ pages: [(PageNumber, UnsafeMutableRawPointer)]) throws
        -> (images: [(PageNumber, UnsafeMutableRawPointer)], deltas: [[UInt8]]) {
        let log = writableLog
        var images: [(PageNumber, UnsafeMutableRawPointer)] = []
        var deltas: [[UInt8]] = []
        for (pageNumber, page) in pages {
            let new = UnsafeRawBufferPointer(start: page, count: pageSizeBytes)
            if log.holdsImage(of: pageNumber),
               let delta = try pool.withPage(pageNumber, { PageDelta.encode(pageNumber: pageNumber, from: $0, to: new) }) {
                deltas.append(delta)
            } else {
                images.append((pageNumber, page))
            }
        }
        return (images, deltas)
    }

    /// Installs durable pages as the next version (V1, V2). Snapshots cannot open
    /// meanwhile; those open keep the replaced versions, pinned here so they stay cached.
    private func publish(_ pages: [(PageNumber, UnsafeMutableRawPointer)], onPublish: () -> Void) throws {
        // No page 0 yet: this commit creates the database, so it replaces nothing.
        let pageCountBefore: UInt32 = (try? pool.withPage(0) { $0.loadLE(at: MetaPage.pageCountOffset) }) ?? 0
        try publishLock.withWriteLock {
            // The reads' shared snapshot goes first: unless a read still holds it, no open
            // snapshot is left to make this publish retain what it replaces (S1).
            sharedRead.empty()
            let replaced = pages.map(\.0).filter { $0 < pageCountBefore }
            let pinned: (pinned: [Int], retainOld: Bool)
            do {
                pinned = try pool.pinForPublish(replaced)
            } catch {
                // The commit is durable but cannot be shown consistently: stop writing.
                for (_, page) in pages { page.deallocate() }
                fail(error)
                throw error
            }
            pool.install(pages, retainOld: pinned.retainOld)
            pool.unpin(pinned.pinned)
            onPublish()
        }
    }

    /// The database size in pages once `pages` are committed.
    private func pageCount(after pages: [(PageNumber, UnsafeMutableRawPointer)]) throws -> UInt32 {
        if let meta = pages.first(where: { $0.0 == 0 }) {
            return UnsafeRawBufferPointer(start: meta.1, count: pageSizeBytes).loadLE(at: MetaPage.pageCountOffset)
        }
        return try pool.withPage(0) { $0.loadLE(at: MetaPage.pageCountOffset) }
    }

    /// Writes the WAL's next step of zeros if a commit asked for it (W8), without the
    /// writer gate: a group-commit leader calls it once it has handed on leadership.
    func zeroLogAheadIfDue() { wal?.zeroAheadIfDue() }

    /// Ends the write transaction: back to `.idle` unless the pager failed meanwhile.
    func finishWrite() {
        if state == .writing { state = .idle }
        assertInvariants()
        writerGate.leave()
    }
}

extension Pager {
    /// The version of the oldest open snapshot, if any.
    var oldestSnapshotVersion: UInt64? { pool.oldestSnapshotVersion }
}

/// The pages a write transaction changed since the operation log last took them. The first
/// is kept apart from the set: a row written to one leaf (most rows) then hashes nothing
/// as it is noted, and one look-up when the log compares it with the last row's pages.
struct ChangedPageSet {
    private var first: PageNumber?
    /// The pages after the first, never the first itself.
    private var others = Set<PageNumber>()

    mutating func insert(_ pageNumber: PageNumber) {
        guard let first else {
            first = pageNumber
            return
        }
        if first != pageNumber { others.insert(pageNumber) }
    }

    /// Whether it holds exactly the pages of `pages`.
    func matches(_ pages: Set<PageNumber>) -> Bool {
        guard let first else { return pages.isEmpty }
        guard pages.count == others.count + 1, pages.contains(first) else { return false }
        return others.allSatisfy { pages.contains($0) }
    }

    /// Its pages, leaving it empty.
    mutating func take() -> Set<PageNumber> {
        guard let first else { return [] }
        var pages = others
        others = []
        pages.insert(first)
        self.first = nil
        return pages
    }

    mutating func removeAll() {
        first = nil
        if !others.isEmpty { others.removeAll() }
    }
}
