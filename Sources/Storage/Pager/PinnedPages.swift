// Pages of one snapshot kept pinned across many look-ups (a join's probes).
//
// A page visit through `ReadView.withPage` takes the buffer pool's lock to pin the page
// and again to unpin it. A statement that probes the same tree again and again (an index
// nested loop join probing a small table or the upper levels of a large one) visits the
// same pages each time; `PinnedPages` pins each of them once and keeps it until `release`.
//
// Why it is safe (BufferPool V1–V3, B2):
//   P1. The bytes a snapshot sees for a page never change while the snapshot is open: a
//       publish replaces a cached page's buffer and, while any snapshot is open, keeps
//       the replaced one as a retained version until no snapshot older than the publish
//       is open (V2). So a buffer found for page p stays p as this snapshot sees it.
//   P2. A current version is kept from eviction by its pin, held until `release`; a
//       retained version is not pinned and lives as long as the snapshot (V2).
//   P3. `release` runs before the snapshot closes (the owner's `defer`): a publish with no
//       snapshot open requires unpinned pages, and a pool may not close with a snapshot
//       open, so no pin outlives the rules above.
//   P4. At most `capacityPages` pages are kept. A page is dropped (unpinned) only when no
//       body is running on a kept page: a visit inside another visit (an overflow chain
//       read while its leaf is in use) reads through the view without keeping anything.
//
// The object belongs to one statement on one thread; it is not Sendable.

/// A snapshot's page view that keeps up to `capacityPages` pages pinned until `release`.
public final class PinnedPages: PageSource {
    /// How many pages one holder keeps pinned at most (P4): the path of a three-level tree
    /// and a few leaves.
    public static let capacityPages = 8

    let view: ReadView
    private var pageNumbers: [PageNumber] = []
    /// The pool slot pinned for each kept page; nil for a retained version (P2).
    private var slots: [Int?] = []
    private var buffers: [UnsafeRawBufferPointer] = []
    /// The entry to drop when the next page must be kept and all places are taken.
    private var nextVictim = 0
    /// How many `withPage` bodies are running (P4).
    private var depth = 0
    private var isReleased = false

    init(_ view: ReadView) {
        self.view = view
        pageNumbers.reserveCapacity(Self.capacityPages)
        slots.reserveCapacity(Self.capacityPages)
        buffers.reserveCapacity(Self.capacityPages)
    }

    deinit {
        assert(isReleased, "PinnedPages dropped without release(): its pins would outlive the snapshot (P3)")
        if !isReleased { release() }
    }

    public var path: String { view.path }
    public var locatorDomain: UInt64 { view.locatorDomain }
    public func prefetch(_ pageNumbers: [PageNumber]) { view.prefetch(pageNumbers) }

    public func withCachedPages<R>(_ pageNumbers: UnsafeBufferPointer<PageNumber>,
                                   _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        try view.withCachedPages(pageNumbers, body)
    }

    public func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        precondition(!isReleased, "use of released PinnedPages")
        if let index = pageNumbers.firstIndex(of: pageNumber) { return try visit(buffers[index], body) }
        guard depth == 0 else { return try view.withPage(pageNumber, body) }
        return try visit(try keep(pageNumber), body)
    }

    private func visit<R>(_ page: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        depth += 1
        defer { depth -= 1 }
        return try body(page)
    }

    /// Pins `pageNumber` as the snapshot sees it and keeps it, dropping the oldest kept
    /// page when all places are taken (no body runs: depth is 0).
    private func keep(_ pageNumber: PageNumber) throws -> UnsafeRawBufferPointer {
        let (slot, buffer) = try view.pool.pin(pageNumber, asOf: view.snapshot.version)
        let page = UnsafeRawBufferPointer(start: buffer, count: view.pool.pageSizeBytes)
        if pageNumbers.count < Self.capacityPages {
            pageNumbers.append(pageNumber)
            slots.append(slot)
            buffers.append(page)
            return page
        }
        if let old = slots[nextVictim] { view.pool.unpin(old) }
        pageNumbers[nextVictim] = pageNumber
        slots[nextVictim] = slot
        buffers[nextVictim] = page
        nextVictim = (nextVictim + 1) % Self.capacityPages
        return page
    }

    /// Unpins every kept page, under one hold of the pool's lock. Call it before the
    /// snapshot closes (P3); the object cannot be used afterwards.
    public func release() {
        guard !isReleased else { return }
        isReleased = true
        view.pool.unpin(slots.compactMap { $0 })
        pageNumbers = []
        slots = []
        buffers = []
    }
}

extension StoreSnapshot {
    /// A page view of this snapshot that keeps the pages it reads pinned until `release()`,
    /// which the caller runs before the snapshot closes (PinnedPages P3).
    public func pinningPages() -> PinnedPages { PinnedPages(pages) }
}

extension PinnedPages {
    /// Calls `body` with the record of row `rowID` in a table's row tree (`TableDefinition.tree`,
    /// keys in `.rowKeyForm`); false when there is no such row. The caller takes the tree and
    /// form from the definition once: passing the definition itself to each probe copied it,
    /// a retain and release for each of its references.
    public func visitRow(in tree: BTree, form: RowKeyForm, rowID: Int64, _ body: (RecordView) throws -> Void) throws -> Bool {
        try tree.withRecord(rowID: rowID, form: form, in: self, body) != nil
    }
}
