import VireoStorage

/// Where each node's row was last found in the table its index re-ranks from (see
/// `RowLocator` in VireoStorage): a hint that lets the re-ranking read a row's leaf page
/// directly instead of descending the table's B+tree. Storage checks every locator on read
/// and falls back to the descent, so a stale or mismatched entry (a row moved by a split,
/// updated, deleted; a node id reused after a rebuild) costs one descent and is replaced.
///
/// Kept by node id, under its own mutex (not the index's growth lock: a search writes what
/// it learned after releasing that lock). Locators hold only within one pager's life, so the
/// table remembers the domain they came from and forgets them all when it changes. They are
/// not in snapshots: the first searches after a load find them again.
final class RowLocatorTable: @unchecked Sendable {
    private struct Contents {
        var domain: UInt64 = 0
        var locators: [RowLocator] = []
    }
    private let contents = Locked(Contents())

    /// Writes the locators of `ids` taken in `domain` into `destination` (`RowLocator.none`
    /// for those not known).
    func read(_ ids: [UInt32], domain: UInt64, into destination: UnsafeMutablePointer<RowLocator>) {
        contents.withLock { c in
            let known = c.domain == domain ? c.locators.count : 0
            for (i, id) in ids.enumerated() { destination[i] = Int(id) < known ? c.locators[Int(id)] : .none }
        }
    }

    /// Records `locators[i]` for `ids[i]`, found in `domain`, where it differs from `before[i]`
    /// (what `read` gave); takes the lock only when one does.
    func write(_ ids: [UInt32], domain: UInt64, _ locators: UnsafePointer<RowLocator>, before: UnsafePointer<RowLocator>) {
        guard ids.indices.contains(where: { locators[$0] != before[$0] }) else { return }
        contents.withLock { c in
            if c.domain != domain { c = Contents(domain: domain) }
            for (i, id) in ids.enumerated() where locators[i] != before[i] {
                let index = Int(id)
                if index >= c.locators.count {
                    c.locators.append(contentsOf: repeatElement(.none, count: max(index + 1, 2 * c.locators.count) - c.locators.count))
                }
                c.locators[index] = locators[i]
            }
        }
    }

    /// Forgets every locator (node ids are renumbered).
    func removeAll() { contents.withLock { $0 = Contents() } }

    var memoryBytes: Int { contents.withLock { $0.locators.capacity * MemoryLayout<RowLocator>.stride } }
}
