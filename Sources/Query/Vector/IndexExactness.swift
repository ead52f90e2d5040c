import Synchronization
import VireoIndex
import VireoStorage

/// Whether an in-memory vector index holds exactly the rows a read snapshot sees, so that
/// a vector scan may return the labels it found without looking each one up in the
/// snapshot (for a query that reads nothing but the row id, that look-up was a fifth of
/// the statement's time).
///
/// An index follows commits: a commit that changes indexed rows applies its changes after
/// it is published, still under the writer gate (`VectorIndexes.applyCommitted`). While
/// such a commit is in flight, and for any snapshot older than the last one, the index and
/// a snapshot can disagree (a deleted row still in the index, a row the snapshot does not
/// see yet). So such a commit announces itself before it starts (`begin`) and again once
/// its changes are applied (`end`). A reader takes a stamp before its search, which it
/// gets only when no such commit is in flight, its snapshot is at least as new as the last
/// one, and the index is one known to follow every commit; it trusts the labels only if no
/// such commit began or ended during the search (`holds`).
final class IndexExactness: @unchecked Sendable {
    struct Stamp {
        fileprivate let events: UInt64
    }

    private let lock = Lock()
    /// Commits that change indexed rows, begun and not yet ended.
    private var inFlight = 0
    /// Counts every `begin` and `end`; changed under `lock`, read by `holds` without it
    /// (one lock pair less per search).
    private let events = Atomic<UInt64>(0)
    /// The newest published version whose changes to indexed rows were applied.
    private var lastChangeVersion: UInt64 = 0
    /// Indexes that hold exactly the committed rows as of `lastChangeVersion`, by name; an
    /// index loaded while a commit raced it, or built by a transaction not yet committed,
    /// is not among them.
    private var exact: [String: HNSWIndex] = [:]

    func begin() {
        lock.withLock { inFlight += 1; events.wrappingAdd(1, ordering: .sequentiallyConsistent) }
    }

    /// Inside a commit's begin and end, once its changes (published as `version`) are in
    /// the indexes.
    func applied(version: UInt64) {
        lock.withLock { lastChangeVersion = max(lastChangeVersion, version) }
    }

    func end() {
        lock.withLock { inFlight -= 1; events.wrappingAdd(1, ordering: .sequentiallyConsistent) }
    }

    func markExact(_ name: String, _ index: HNSWIndex) {
        lock.withLock { exact[name] = index }
    }

    func forget(_ name: String) {
        lock.withLock { _ = exact.removeValue(forKey: name) }
    }

    /// A stamp for a search of `index` by a reader of the snapshot at `snapshotVersion`, or
    /// nil when the rows found must be looked up in the snapshot.
    func stamp(_ index: HNSWIndex, named name: String, snapshotVersion: UInt64) -> Stamp? {
        lock.withLock {
            guard inFlight == 0, lastChangeVersion <= snapshotVersion, exact[name] === index else { return nil }
            return Stamp(events: events.load(ordering: .sequentiallyConsistent))
        }
    }

    /// Whether no commit changing indexed rows began or ended since `stamp` was taken. A
    /// begin counts before its commit touches the index, so a search that overlapped it
    /// reads a changed count here.
    func holds(_ stamp: Stamp) -> Bool {
        events.load(ordering: .sequentiallyConsistent) == stamp.events
    }
}
