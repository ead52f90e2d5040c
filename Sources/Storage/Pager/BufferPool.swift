// The buffer pool caches committed pages of the database file.
//
// Invariants:
//   B1. Every cached page is a committed version: a write transaction's pages live in
//       its own overlay until commit, then are installed here (see Pager).
//   B2. A cached page's bytes never change after it is cached; a newer version replaces
//       the buffer (at publish, under the pager's exclusive publish lock).
//   B3. A dirty page (committed, its WAL frames durable, not yet in the database file) is
//       never evicted; a checkpoint writes it back and marks it clean.
//   B4. The pool holds at most `capacityPages` pages plus pinned pages plus dirty pages;
//       the pager checkpoints when dirty pages pass half the capacity.

import Synchronization

/// A fixed-budget cache of committed pages with pin counts and clock eviction.
final class BufferPool: @unchecked Sendable {
    private struct Slot {
        var pageNumber: PageNumber
        var buffer: UnsafeMutableRawPointer
        var pins: Int32 = 0
        var dirty = false
        var referenced = true
    }

    let pageSizeBytes: Int
    let capacityPages: Int
    private let file: any StorageFile
    private let lock = Lock()
    private var slots: [Slot] = []
    private var slotOfPage: [PageNumber: Int] = [:]
    private var emptySlots: [Int] = []
    private var clockHand = 0
    private var dirtyPageCount = 0
    /// Page requests answered from the cache, and those that read the file.
    let hitCount = Atomic<Int>(0)
    let missCount = Atomic<Int>(0)

    /// Committed pages not yet written to the database file.
    var dirtyCount: Int { lock.withLock { dirtyPageCount } }

    init(file: any StorageFile, pageSizeBytes: Int, capacityPages: Int) {
        precondition(capacityPages >= 8, "a buffer pool needs at least 8 pages")
        self.file = file
        self.pageSizeBytes = pageSizeBytes
        self.capacityPages = capacityPages
    }

    deinit {
        for slot in slots where slot.pageNumber != PageNumber.max { slot.buffer.deallocate() }
    }

    static func allocatePage(_ sizeBytes: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer.allocate(byteCount: sizeBytes, alignment: 64)
    }

    /// Calls `body` with the committed bytes of page `pageNumber`, reading and verifying it
    /// from the file on a miss. The page stays pinned while `body` runs.
    func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let (slot, buffer) = try pin(pageNumber)
        defer { unpin(slot) }
        return try body(UnsafeRawBufferPointer(start: buffer, count: pageSizeBytes))
    }

    /// Number of pages cached now.
    var countPages: Int { lock.withLock { slotOfPage.count } }

    private func pin(_ pageNumber: PageNumber) throws -> (Int, UnsafeMutableRawPointer) {
        if let hit = lock.withLock({ pinCached(pageNumber) }) {
            hitCount.add(1, ordering: .relaxed)
            return hit
        }
        missCount.add(1, ordering: .relaxed)
        let buffer = try load(pageNumber)
        return lock.withLock {
            if let hit = pinCached(pageNumber) {  // another reader loaded it meanwhile
                buffer.deallocate()
                return hit
            }
            let slot = insert(pageNumber, buffer: buffer, dirty: false)
            slots[slot].pins = 1
            return (slot, buffer)
        }
    }

    private func pinCached(_ pageNumber: PageNumber) -> (Int, UnsafeMutableRawPointer)? {
        guard let slot = slotOfPage[pageNumber] else { return nil }
        slots[slot].pins += 1
        slots[slot].referenced = true
        return (slot, slots[slot].buffer)
    }

    private func unpin(_ slot: Int) {
        lock.withLock {
            assert(slots[slot].pins > 0, "unpin of a page that is not pinned")
            slots[slot].pins -= 1
        }
    }

    private func load(_ pageNumber: PageNumber) throws -> UnsafeMutableRawPointer {
        let buffer = Self.allocatePage(pageSizeBytes)
        do {
            let page = UnsafeMutableRawBufferPointer(start: buffer, count: pageSizeBytes)
            let bytesRead = try file.read(offset: Int(pageNumber) * pageSizeBytes, into: page)
            if bytesRead < pageSizeBytes {
                throw VireoError.corrupt(file.path, page: pageNumber, "page lies past the end of the file")
            }
            try PageLayout.verify(UnsafeRawBufferPointer(page), pageNumber: pageNumber, file: file.path)
            return buffer
        } catch {
            buffer.deallocate()
            throw error
        }
    }

    /// Reads the given pages that are not cached in one batch (read-ahead for scans), as
    /// far as the budget has room. A page that fails to read or verify is skipped here and
    /// reported when it is really needed.
    func prefetch(_ pageNumbers: [PageNumber]) {
        let missing: [PageNumber] = lock.withLock {
            let room = capacityPages - slotOfPage.count
            return Array(pageNumbers.filter { slotOfPage[$0] == nil }.prefix(max(0, room)))
        }
        guard missing.count > 1 else { return }
        let buffers = missing.map { _ in Self.allocatePage(pageSizeBytes) }
        let requests = zip(missing, buffers).map {
            IORequest(offset: Int($0.0) * pageSizeBytes, buffer: UnsafeMutableRawBufferPointer(start: $0.1, count: pageSizeBytes))
        }
        let loaded = (try? file.readBatch(requests)) != nil
        lock.withLock {
            for (pageNumber, buffer) in zip(missing, buffers) {
                let page = UnsafeRawBufferPointer(start: buffer, count: pageSizeBytes)
                if loaded, slotOfPage[pageNumber] == nil,
                   (try? PageLayout.verify(page, pageNumber: pageNumber, file: file.path)) != nil {
                    let slot = insert(pageNumber, buffer: buffer, dirty: false)
                    slots[slot].referenced = false
                } else {
                    buffer.deallocate()
                }
            }
        }
    }

    /// Installs committed page versions (invariant B1), taking ownership of the buffers.
    /// The caller holds the pager's exclusive publish lock, so no page is pinned.
    func install(_ pages: [(PageNumber, UnsafeMutableRawPointer)]) {
        lock.withLock {
            for (pageNumber, buffer) in pages {
                if let slot = slotOfPage[pageNumber] {
                    precondition(slots[slot].pins == 0, "publishing over a pinned page")
                    slots[slot].buffer.deallocate()
                    slots[slot].buffer = buffer
                    if !slots[slot].dirty { dirtyPageCount += 1 }
                    slots[slot].dirty = true
                    slots[slot].referenced = true
                } else {
                    _ = insert(pageNumber, buffer: buffer, dirty: true)
                }
            }
        }
    }

    /// The dirty pages, for a checkpoint. Their buffers stay owned by the pool and do not
    /// change while the caller (the only writer) holds the writer gate (invariant B2).
    func dirtyPages() -> [(PageNumber, UnsafeMutableRawPointer)] {
        lock.withLock {
            slots.filter { $0.dirty }.map { ($0.pageNumber, $0.buffer) }.sorted { $0.0 < $1.0 }
        }
    }

    /// Marks the given pages clean once they are durable in the database file.
    func markClean(_ pageNumbers: [PageNumber]) {
        lock.withLock {
            for pageNumber in pageNumbers {
                guard let slot = slotOfPage[pageNumber], slots[slot].dirty else { continue }
                slots[slot].dirty = false
                dirtyPageCount -= 1
            }
            evictToCapacity()
        }
    }

    private func insert(_ pageNumber: PageNumber, buffer: UnsafeMutableRawPointer, dirty: Bool) -> Int {
        if slotOfPage.count >= capacityPages { evictToCapacity(reserve: 1) }
        let slot: Int
        let entry = Slot(pageNumber: pageNumber, buffer: buffer, dirty: dirty)
        if let reused = emptySlots.popLast() {
            slot = reused
            slots[slot] = entry
        } else {
            slot = slots.count
            slots.append(entry)
        }
        slotOfPage[pageNumber] = slot
        if dirty { dirtyPageCount += 1 }
        return slot
    }

    /// Clock sweep over clean, unpinned pages (invariant B3) until the pool is within
    /// budget with `reserve` free places, or no page can go.
    private func evictToCapacity(reserve: Int = 0) {
        var examined = 0
        let limit = slots.count * 2
        while slotOfPage.count + reserve > capacityPages && examined < limit && !slots.isEmpty {
            examined += 1
            clockHand = (clockHand + 1) % slots.count
            let slot = slots[clockHand]
            guard slot.pageNumber != PageNumber.max, slot.pins == 0, !slot.dirty else { continue }
            if slot.referenced {
                slots[clockHand].referenced = false
                continue
            }
            slot.buffer.deallocate()
            slotOfPage[slot.pageNumber] = nil
            slots[clockHand].pageNumber = PageNumber.max
            emptySlots.append(clockHand)
        }
    }

    /// Drops every cached page (after a failure, before recovery re-reads the file).
    func discardAll() {
        lock.withLock {
            for slot in slots where slot.pageNumber != PageNumber.max { slot.buffer.deallocate() }
            slots = []
            slotOfPage = [:]
            emptySlots = []
            dirtyPageCount = 0
        }
    }
}
