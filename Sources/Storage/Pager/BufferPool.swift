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
//
// Versions (many readers and write transactions see the database while commits go on):
//   V1. `publishedVersion` counts publishes. A snapshot is the version that was published
//       when it opened; it sees exactly the pages of publishes up to that version.
//   V2. When publish N replaces a page while any snapshot is open (all of them older than
//       N), the replaced version is retained in memory as "valid until N", until no open
//       snapshot is older than N. A replaced page that was not cached is read from the
//       file first (the checkpoint after the publish may overwrite it).
//   V3. A snapshot at version v reads page p as the retained version of p with the
//       smallest `until` above v; without one, as the current version.

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
    /// Slots the clock sweeps have examined, ever (a test's check that eviction stays linear).
    private var sweptSlots = 0
    var sweptSlotCount: Int { lock.withLock { sweptSlots } }
    private var dirtyPageCount = 0
    /// Version state (V1–V3), guarded by `lock`.
    private var publishedVersion: UInt64 = 0 {
        didSet { publishedVersionCopy.store(publishedVersion, ordering: .releasing) }
    }
    /// `publishedVersion`, stored under `lock` as it changes and read without it
    /// (`currentVersion`): every statement of a READ COMMITTED block asks for it, and a
    /// lock pair each was work on every prepared INSERT inside BEGIN … COMMIT. A reader
    /// that races a publish sees the version before or after it, as it would had it taken
    /// the lock just before or after the publish did.
    private let publishedVersionCopy = Atomic<UInt64>(0)
    private var openSnapshots: [UInt64: Int] = [:]
    private var retained: [PageNumber: [(until: UInt64, buffer: UnsafeMutableRawPointer)]] = [:]
    /// Every retained version in order of `until`, for freeing from the front.
    private var retainedOrder: [(until: UInt64, pageNumber: PageNumber)] = []
    private var retainedOrderStart = 0
    /// Page requests answered from the cache, and those that read the file.
    let hitCount = Atomic<Int>(0)
    let missCount = Atomic<Int>(0)
    /// This pool's number among the process's pools (row locators' domain, BTree+Locator).
    let instanceID = BufferPool.instanceCounter.wrappingAdd(1, ordering: .relaxed).newValue

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
        for versions in retained.values { for version in versions { version.buffer.deallocate() } }
    }

    static func allocatePage(_ sizeBytes: Int) -> UnsafeMutableRawPointer {
        PageBuffers.shared.take(sizeBytes)
    }

    /// Gives back a buffer from `allocatePage(sizeBytes)` for reuse.
    static func deallocatePage(_ buffer: UnsafeMutableRawPointer, _ sizeBytes: Int) {
        PageBuffers.shared.give(buffer, sizeBytes)
    }

    /// Calls `body` with the committed bytes of page `pageNumber`, reading and verifying it
    /// from the file on a miss. The page stays pinned while `body` runs.
    func withPage<R>(_ pageNumber: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let (slot, buffer) = try pin(pageNumber)
        defer { unpin(slot) }
        return try body(UnsafeRawBufferPointer(start: buffer, count: pageSizeBytes))
    }

    /// Calls `body` with page `pageNumber` as snapshot `version` sees it (invariant V3).
    func withPage<R>(_ pageNumber: PageNumber, asOf version: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let (slot, buffer) = try pin(pageNumber, asOf: version)
        defer { if let slot { unpin(slot) } }
        return try body(UnsafeRawBufferPointer(start: buffer, count: pageSizeBytes))
    }

    /// Calls `body` with the bytes of each of `pageNumbers` as snapshot `version` sees them
    /// (V3), or an empty buffer for a page not in memory, all pinned under one hold of the lock for the
    /// whole call and unpinned under another: a batch of lookups (the rows an int8 search
    /// re-ranks) pays the lock twice instead of twice per page. Nothing is read from the file.
    func withCachedPages<R>(_ pageNumbers: UnsafeBufferPointer<PageNumber>, asOf version: UInt64,
                            _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: pageNumbers.count) { buffers in
            try withUnsafeTemporaryAllocation(of: Int.self, capacity: pageNumbers.count) { pinned in
                var pinnedCount = 0, hits = 0
                lock.withLock {
                    for (i, pageNumber) in pageNumbers.enumerated() {
                        guard let (slot, buffer) = retainedOrCached(pageNumber, asOf: version) else {
                            buffers.initializeElement(at: i, to: UnsafeRawBufferPointer(start: nil, count: 0))
                            continue
                        }
                        hits += 1
                        buffers.initializeElement(at: i, to: UnsafeRawBufferPointer(start: buffer, count: pageSizeBytes))
                        if let slot {
                            pinned[pinnedCount] = slot
                            pinnedCount += 1
                        }
                    }
                }
                hitCount.add(hits, ordering: .relaxed)
                defer {
                    lock.withLock {
                        for slot in pinned.prefix(pinnedCount) {
                            assert(slots[slot].pins > 0, "unpin of a page that is not pinned")
                            slots[slot].pins -= 1
                        }
                    }
                }
                return try body(UnsafeBufferPointer(buffers))
            }
        }
    }

    /// Number of pages cached now.
    var countPages: Int { lock.withLock { slotOfPage.count } }

    private func pin(_ pageNumber: PageNumber) throws -> (Int, UnsafeMutableRawPointer) {
        let (slot, buffer) = try pin(pageNumber, asOf: nil)
        guard let slot else { preconditionFailure("a read of the current version always pins a slot") }
        return (slot, buffer)
    }

    /// Pins the version of the page that `version` sees (nil: the current one). A retained
    /// version is not pinned (slot nil): it lives as long as the snapshot reading it.
    func pin(_ pageNumber: PageNumber, asOf version: UInt64?) throws -> (Int?, UnsafeMutableRawPointer) {
        if let hit = lock.withLock({ retainedOrCached(pageNumber, asOf: version) }) {
            hitCount.add(1, ordering: .relaxed)
            return hit
        }
        if CachedPagesOnly.isActive { throw PageNotCached(pageNumber: pageNumber) }
        missCount.add(1, ordering: .relaxed)
        let buffer = try load(pageNumber)
        return lock.withLock {
            // Another reader loaded it, or a publish retained the version we want, meanwhile.
            if let hit = retainedOrCached(pageNumber, asOf: version) {
                Self.deallocatePage(buffer, pageSizeBytes)
                return hit
            }
            let slot = insert(pageNumber, buffer: buffer, dirty: false)
            slots[slot].pins = 1
            return (slot, buffer)
        }
    }

    private func retainedOrCached(_ pageNumber: PageNumber, asOf version: UInt64?) -> (Int?, UnsafeMutableRawPointer)? {
        if let version, let buffer = retainedVersion(pageNumber, asOf: version) { return (nil, buffer) }
        return pinCached(pageNumber).map { ($0.0, $0.1) }
    }

    /// The retained version of the page valid for `version` (V3), if any.
    private func retainedVersion(_ pageNumber: PageNumber, asOf version: UInt64) -> UnsafeMutableRawPointer? {
        guard let versions = retained[pageNumber] else { return nil }
        // Appended in publish order: the first whose `until` is above `version` is the smallest.
        return versions.first { $0.until > version }?.buffer
    }

    private func pinCached(_ pageNumber: PageNumber) -> (Int, UnsafeMutableRawPointer)? {
        guard let slot = slotOfPage[pageNumber] else { return nil }
        slots[slot].pins += 1
        slots[slot].referenced = true
        return (slot, slots[slot].buffer)
    }

    func unpin(_ slot: Int) {
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
            Self.deallocatePage(buffer, pageSizeBytes)
            throw error
        }
    }

    /// Reads the given pages that are not cached in one batch (read-ahead for scans), as
    /// far as the budget has room. A page that fails to read or verify is skipped here and
    /// reported when it is really needed.
    func prefetch(_ pageNumbers: [PageNumber]) {
        guard !CachedPagesOnly.isActive else { return }
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
                    Self.deallocatePage(buffer, pageSizeBytes)
                }
            }
        }
    }

    // MARK: Versions

    /// The version published last.
    var currentVersion: UInt64 { publishedVersionCopy.load(ordering: .acquiring) }

    /// Opens a snapshot of the version published last (V1); `closeSnapshot` ends it. The
    /// caller holds the pager's publish lock shared, so no publish is half done.
    func openSnapshot() -> UInt64 {
        lock.withLock {
            openSnapshots[publishedVersion, default: 0] += 1
            return publishedVersion
        }
    }

    func closeSnapshot(_ version: UInt64) {
        lock.withLock {
            guard let count = openSnapshots[version] else { preconditionFailure("closing a snapshot that is not open") }
            openSnapshots[version] = count == 1 ? nil : count - 1
            freeUnneededVersions()
        }
    }

    var oldestSnapshotVersion: UInt64? { lock.withLock { openSnapshots.keys.min() } }

    /// Those of `pageNumbers` that a publish after `version` replaced. Exact while a
    /// snapshot at `version` is open: V2 keeps what each such publish replaced.
    func replaced(_ pageNumbers: some Sequence<PageNumber>, after version: UInt64) -> Set<PageNumber> {
        lock.withLock {
            precondition(openSnapshots[version] != nil, "asking about versions after \(version) with no snapshot of it open")
            return Set(pageNumbers.filter { pageNumber in retained[pageNumber]?.contains { $0.until > version } ?? false })
        }
    }

    /// How many snapshots are open, and how many old page versions they keep in memory.
    var versionCounts: (snapshots: Int, retainedPages: Int) {
        lock.withLock { (openSnapshots.values.reduce(0, +), retainedOrder.count - retainedOrderStart) }
    }

    /// Before a publish replaces `pageNumbers` while a snapshot is open, pins each of them
    /// (reading the uncached ones), so their current versions are cached and can be
    /// retained (V2). Returns the slots to `unpin` after `install`, and whether `install`
    /// must retain what it replaces: snapshots may close meanwhile, but none opens (the
    /// caller holds the pager's exclusive publish lock), so the answer cannot turn to yes.
    func pinForPublish(_ pageNumbers: [PageNumber]) throws -> (pinned: [Int], retainOld: Bool) {
        guard lock.withLock({ !openSnapshots.isEmpty }) else { return ([], false) }
        var pinned: [Int] = []
        do {
            for pageNumber in pageNumbers { pinned.append(try pin(pageNumber).0) }
        } catch {
            unpin(pinned)
            throw error
        }
        return (pinned, true)
    }

    /// Unpins each of `pinned` under one hold of the lock.
    func unpin(_ pinned: [Int]) {
        guard !pinned.isEmpty else { return }
        lock.withLock {
            for slot in pinned {
                assert(slots[slot].pins > 0, "unpin of a page that is not pinned")
                slots[slot].pins -= 1
            }
        }
    }

    /// Frees retained versions no open snapshot can see any more (V2).
    private func freeUnneededVersions() {
        let oldest = openSnapshots.keys.min() ?? UInt64.max
        while retainedOrderStart < retainedOrder.count, retainedOrder[retainedOrderStart].until <= oldest {
            let (until, pageNumber) = retainedOrder[retainedOrderStart]
            retainedOrderStart += 1
            guard var versions = retained[pageNumber], let position = versions.firstIndex(where: { $0.until == until }) else { continue }
            Self.deallocatePage(versions[position].buffer, pageSizeBytes)
            versions.remove(at: position)
            retained[pageNumber] = versions.isEmpty ? nil : versions
        }
        if retainedOrderStart > 1024 && retainedOrderStart * 2 > retainedOrder.count {
            retainedOrder.removeFirst(retainedOrderStart)
            retainedOrderStart = 0
        }
    }

    private func retain(_ buffer: UnsafeMutableRawPointer, of pageNumber: PageNumber, until version: UInt64) {
        retained[pageNumber, default: []].append((version, buffer))
        retainedOrder.append((version, pageNumber))
    }

    /// Installs committed page versions as the next published version (B1, V1), taking
    /// ownership of the buffers. With `retainOld` (from `pinForPublish`, which pinned the
    /// replaced pages) the replaced versions are kept for open snapshots; without it no
    /// snapshot is open, so no reader holds them. The caller holds the exclusive publish lock.
    func install(_ pages: [(PageNumber, UnsafeMutableRawPointer)], retainOld keepOld: Bool = false) {
        lock.withLock {
            publishedVersion += 1
            for (pageNumber, buffer) in pages {
                if let slot = slotOfPage[pageNumber] {
                    if keepOld {
                        retain(slots[slot].buffer, of: pageNumber, until: publishedVersion)
                    } else {
                        precondition(slots[slot].pins == 0, "publishing over a page pinned by a reader without a snapshot")
                        Self.deallocatePage(slots[slot].buffer, pageSizeBytes)
                    }
                    slots[slot].buffer = buffer
                    if !slots[slot].dirty { dirtyPageCount += 1 }
                    slots[slot].dirty = true
                    slots[slot].referenced = true
                } else {
                    _ = insert(pageNumber, buffer: buffer, dirty: true, evicting: false)
                }
            }
            // One sweep for the whole commit, not one per new page: once the clean pages
            // were gone, each of those sweeps walked every slot and found only this
            // commit's dirty pages, quadratic in a large commit (a CREATE INDEX writing a
            // 1.7 GB snapshot spent minutes here).
            if slotOfPage.count > capacityPages { evictToCapacity() }
            // Snapshots that needed the replaced versions may have closed meanwhile.
            freeUnneededVersions()
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

    private func insert(_ pageNumber: PageNumber, buffer: UnsafeMutableRawPointer, dirty: Bool, evicting: Bool = true) -> Int {
        if evicting && slotOfPage.count >= capacityPages { evictToCapacity(reserve: 1) }
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
    /// budget with `reserve` free places, or no page can go. With no clean page there is
    /// nothing to sweep (the pool is over budget with dirty pages until the checkpoint).
    private func evictToCapacity(reserve: Int = 0) {
        guard slotOfPage.count > dirtyPageCount else { return }
        var examined = 0
        let limit = slots.count * 2
        defer { sweptSlots += examined }
        while slotOfPage.count + reserve > capacityPages && examined < limit && !slots.isEmpty {
            examined += 1
            clockHand = (clockHand + 1) % slots.count
            let slot = slots[clockHand]
            guard slot.pageNumber != PageNumber.max, slot.pins == 0, !slot.dirty else { continue }
            if slot.referenced {
                slots[clockHand].referenced = false
                continue
            }
            Self.deallocatePage(slot.buffer, pageSizeBytes)
            slotOfPage[slot.pageNumber] = nil
            slots[clockHand].pageNumber = PageNumber.max
            emptySlots.append(clockHand)
        }
    }

    /// Drops every cached page (after a failure, before recovery re-reads the file).
    func discardAll() {
        lock.withLock {
            for slot in slots where slot.pageNumber != PageNumber.max { slot.buffer.deallocate() }
            for versions in retained.values { for version in versions { version.buffer.deallocate() } }
            retained = [:]
            retainedOrder = []
            retainedOrderStart = 0
            slots = []
            slotOfPage = [:]
            emptySlots = []
            dirtyPageCount = 0
        }
    }
}

/// Page buffers kept for reuse. Every commit copies each page it writes into a fresh
/// buffer, and the version it replaces is freed later by another thread; glibc serves
/// such 8 KiB blocks from locked arenas and consolidates them, which cost a tenth of the
/// CPU of many small concurrent commits. Buffers of the most recent size are kept, up to
/// `keptMax`; others go straight back to the system.
final class PageBuffers: @unchecked Sendable {
    static let shared = PageBuffers()
    static let keptMax = 2048
    private let lock = Lock()
    private var sizeBytes = 0
    private var kept: [UnsafeMutableRawPointer] = []

    deinit { for buffer in kept { buffer.deallocate() } }

    func take(_ sizeBytes: Int) -> UnsafeMutableRawPointer {
        let reused = lock.withLock { self.sizeBytes == sizeBytes ? kept.popLast() : nil }
        return reused ?? UnsafeMutableRawPointer.allocate(byteCount: sizeBytes, alignment: 64)
    }

    func give(_ buffer: UnsafeMutableRawPointer, _ sizeBytes: Int) {
        let keep = lock.withLock { () -> Bool in
            if self.sizeBytes != sizeBytes {
                guard kept.isEmpty else { return false }
                self.sizeBytes = sizeBytes
            }
            guard kept.count < Self.keptMax else { return false }
            kept.append(buffer)
            return true
        }
        if !keep { buffer.deallocate() }
    }

    /// How many buffers are kept now (tests).
    var keptCount: Int { lock.withLock { kept.count } }
}
