import CVireoSupport
import Synchronization

// Row locators: where a row was seen, so that a later lookup of the same row can read its
// leaf page directly instead of descending the tree (as PostgreSQL's TIDs do), and falls
// back to the descent when the hint no longer holds.
//
// A locator names a leaf page, the slot the row's cell had in it and the page's LSN at the
// time. It is trusted only as far as it is checked on every read:
//   L1. The page, as the reader's view has it, is a B+tree leaf whose LSN is the locator's,
//       and the LSN is not 0. Every commit seals the pages it writes with a new LSN, higher
//       than any before it in this pager's life (Pager.commitPages), so a page with the same
//       non-zero LSN holds the bytes the locator was taken from: the same tree's leaf. A page
//       freed since is sealed as a free page, one freed and taken again inside a write
//       transaction is blank (LSN 0) until its commit, and one changed inside a transaction
//       keeps its LSN but stays a node of its tree (the B+tree moves no page to another tree
//       without freeing it).
//   L2. The row's key is in that leaf: at the locator's slot, or found by the leaf's binary
//       search (a page changed inside a transaction). A leaf of the tree that holds the key
//       holds the row, as the view sees it: a key lives in one leaf.
//   L3. A locator that fails either check, or whose page cannot be read, says nothing: the
//       row is looked up by the descent, which alone may conclude that a row is absent.
// LSNs restart from the meta page's after a reopen, so locators are only valid within one
// pager's life: `PageSource.locatorDomain` names that life, and a holder of locators drops
// them when the domain changes (they are never written to disk).

/// Where a row was found: its leaf page, its slot there and the page's LSN then.
/// `RowLocator.none` (LSN 0) means unknown.
public struct RowLocator: Sendable, Hashable {
    public var page: PageNumber
    public var slot: UInt16
    public var lsn: UInt64

    public static let none = RowLocator(page: 0, slot: 0, lsn: 0)
    public var isKnown: Bool { lsn != 0 }
}

extension BufferPool {
    /// A number no other buffer pool of this process has: the life of one pager, within
    /// which LSNs only grow (invariant L1).
    static let instanceCounter = Atomic<UInt64>(0)
}

extension ReadView {
    public var locatorDomain: UInt64 { pool.instanceID }
}

extension WriteTransaction {
    public var locatorDomain: UInt64 { pager.pool.instanceID }
}

extension BTree {
    /// Calls `body(i, value)` for `key` found through `locator` (invariants L1, L2), and
    /// returns the locator as it now is (the slot corrected); nil when the locator does
    /// not hold, and the caller must descend (L3).
    func withValue(forKey key: UnsafeRawBufferPointer, at locator: RowLocator, in source: some PageSource,
                   _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> RowLocator? {
        guard locator.isKnown else { return nil }
        // A page that cannot be read says nothing either (L3): the descent reports real
        // damage. What `body` throws is the caller's.
        var bodyError: (any Error)?
        let found = try? source.withPage(locator.page) { page in
            try withValue(forKey: key, at: locator, onPage: page, in: source) { value in
                do { try body(value) } catch { bodyError = error }
            }
        }
        if let bodyError { throw bodyError }
        return found ?? nil
    }

    /// `withValue(forKey:at:in:_:)` on the locator's page, already in hand.
    func withValue(forKey key: UnsafeRawBufferPointer, at locator: RowLocator, onPage page: UnsafeRawBufferPointer,
                   in source: some PageSource, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> RowLocator? {
        guard let slot = Self.slot(of: key, at: locator, onPage: page) else { return nil }
        try withLeafValue(page, slot, source, body)
        return RowLocator(page: locator.page, slot: UInt16(slot), lsn: locator.lsn)
    }

    /// The slot of `key` on `page` if the page is the locator's (L1) and holds the key (L2).
    static func slot(of key: UnsafeRawBufferPointer, at locator: RowLocator, onPage page: UnsafeRawBufferPointer) -> Int? {
        guard locator.isKnown, page.count > BTreeNode.slotArrayOffset, PageLayout.type(page) == .btreeLeaf,
              page.loadLE(at: PageLayout.lsnOffset) as UInt64 == locator.lsn else { return nil }
        let slot = Int(locator.slot)
        if slot < BTreeNode.cellCount(page), let atSlot = try? BTreeNode.key(page, slot), compareKeys(atSlot, key) == 0 {
            return slot
        }
        guard let (index, found) = try? BTreeNode.search(page, key), found else { return nil }
        return index
    }
}

extension RowSource {
    /// `withRows`, reading each row through `locators[i]` when it holds (see RowLocator) and
    /// descending the tree once for the others; `locators[i]` is left naming where row i
    /// was found (`RowLocator.none` when it was not). Locators must come from this
    /// `pages.locatorDomain` (a holder drops its own when the domain changes).
    ///
    /// The located pages are pinned together (`withCachedPages`) and their rows' cells
    /// prefetched before any is read, so the cache misses of the rows overlap instead of
    /// following one another.
    public func withRows(_ table: TableDefinition, rowIDs: [Int64], locators: UnsafeMutablePointer<RowLocator>,
                         _ body: (Int, RecordView) throws -> Void) throws {
        let keys = rowIDs.map { KeyCodec.encodeRowID($0, form: table.rowKeyForm) }
        let located = rowIDs.indices.filter { locators[$0].isKnown }
        var missing = rowIDs.indices.filter { !locators[$0].isKnown }
        if !located.isEmpty {
            let pageNumbers = located.map { locators[$0].page }
            try pageNumbers.withUnsafeBufferPointer { numbers in
                try pages.withCachedPages(numbers) { buffers in
                    try withLocatedRows(table, located, rowIDs, keys, locators, buffers, &missing, body)
                }
            }
        }
        guard !missing.isEmpty else { return }
        let order = missing.sorted { rowIDs[$0] < rowIDs[$1] }
        try table.tree.withValues(forSortedKeys: order.map { keys[$0] }, in: pages, located: { sortedIndex, locator in
            locators[order[sortedIndex]] = locator
        }) { sortedIndex, value in
            try body(order[sortedIndex], try RecordView(value, rowID: rowIDs[order[sortedIndex]]))
        }
    }

    /// The rows `located` through their locators' pages (`buffers`, empty for a page not in
    /// memory, read then through `withPage`); those whose locator does not hold go to `missing`.
    private func withLocatedRows(_ table: TableDefinition, _ located: [Int], _ rowIDs: [Int64], _ keys: [[UInt8]],
                                 _ locators: UnsafeMutablePointer<RowLocator>, _ buffers: UnsafeBufferPointer<UnsafeRawBufferPointer>,
                                 _ missing: inout [Int], _ body: (Int, RecordView) throws -> Void) throws {
        for buffer in buffers where buffer.baseAddress != nil { vireo_prefetch(buffer.baseAddress, 64) }
        var slots = [Int](repeating: -1, count: located.count)
        for (j, i) in located.enumerated() {
            let page = buffers[j]
            guard page.baseAddress != nil, let slot = keys[i].withUnsafeBytes({ BTree.slot(of: $0, at: locators[i], onPage: page) })
            else { continue }
            slots[j] = slot
            if let offset = try? BTreeNode.cellOffset(page, slot) { vireo_prefetch(page.baseAddress! + offset, 128) }
        }
        for (j, i) in located.enumerated() {
            let page = buffers[j]
            var found: RowLocator?
            if page.baseAddress == nil {
                found = try keys[i].withUnsafeBytes { key in
                    try table.tree.withValue(forKey: key, at: locators[i], in: pages) { try body(i, try RecordView($0, rowID: rowIDs[i])) }
                }
            } else if slots[j] >= 0 {
                if j + 1 < located.count, slots[j + 1] >= 0, let next = try? BTreeNode.cellOffset(buffers[j + 1], slots[j + 1]) {
                    vireo_prefetch(buffers[j + 1].baseAddress! + next, min(buffers[j + 1].count - next, 2048))
                }
                try table.tree.withLeafValue(page, slots[j], pages) { try body(i, try RecordView($0, rowID: rowIDs[i])) }
                found = RowLocator(page: locators[i].page, slot: UInt16(slots[j]), lsn: locators[i].lsn)
            }
            if let found {
                locators[i] = found
            } else {
                locators[i] = .none
                missing.append(i)
            }
        }
    }
}
