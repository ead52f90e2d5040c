/// One snapshot of the version published last, kept for the reads that start before the
/// next publish to share (`Store.read`), so that a statement outside a transaction block
/// does not open and close a snapshot of its own: the shared publish lock, the pool's lock
/// twice (its count of open snapshots) and two objects made and freed per statement were
/// about a tenth of what a prepared k-NN query spent outside the index search
/// (docs/benchmarks-sql.md).
///
/// Invariants:
///   S1. What the slot holds sees the version published last: it is filled only under the
///       pager's publish lock held shared (so no publish runs between the snapshot's
///       opening and its keeping), and emptied under the lock held exclusively, before a
///       publish looks for open snapshots (so a publish that finds none retains no page
///       version for it).
///   S2. A read that took the kept object keeps its snapshot open by its own reference: the
///       snapshot closes when the last holder lets it go (`PageSnapshot.deinit`).
///   S3. The slot is empty once the pager is closed, and `close` empties it before it counts
///       open snapshots, so an idle kept snapshot never makes a close refuse.
final class SharedSnapshot: @unchecked Sendable {
    private let lock = Lock()
    private var kept: StoreSnapshot?

    /// The snapshot kept for the current version, if any.
    @inline(__always)
    func load() -> StoreSnapshot? { lock.withLock { kept } }

    /// Keeps `snapshot` (caller holds the publish lock shared: S1).
    func keep(_ snapshot: StoreSnapshot) { lock.withLock { kept = snapshot } }

    /// Lets the kept snapshot go (caller holds the publish lock exclusively, or is closing:
    /// S1, S3). Released after the lock, so that a snapshot it closes takes the pool's lock
    /// outside this one.
    func empty() {
        let dropped = lock.withLock { () -> StoreSnapshot? in
            defer { kept = nil }
            return kept
        }
        withExtendedLifetime(dropped) {}
    }

    /// Whether a snapshot is kept that no read holds now: it is open, but no statement reads
    /// it, so the counts a user sees leave it out.
    var holdsIdle: Bool {
        lock.withLock { kept != nil && isKnownUniquelyReferenced(&kept) }
    }
}

extension Pager {
    /// A snapshot of the version published last as `make` builds it, kept in `sharedRead`
    /// for the reads that follow until the next publish (S1).
    func openSharedSnapshot(_ make: (PageSnapshot) -> StoreSnapshot) throws -> StoreSnapshot {
        try publishLock.withReadLock {
            let snapshot = make(try openSnapshotLocked())
            sharedRead.keep(snapshot)
            return snapshot
        }
    }
}
