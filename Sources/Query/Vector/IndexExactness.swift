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

    /// What one caller (a prepared query's plan, for the index it resolved) learnt of its
    /// index's exactness: `exactGeneration + 1` when the index was found exact under that
    /// generation, 0 before. While the generation holds, the index is still in `exact`
    /// under its name (it holds the index, so only `markExact` or `forget` can take it out,
    /// and each makes a new generation), so `stamp` needs neither the lock nor the name's
    /// hash: both were about half of a prepared k-NN query's search setup.
    final class Memo: @unchecked Sendable {
        fileprivate let exactAsOf = Atomic<UInt64>(0)
    }

    private let lock = Lock()
    /// Commits that change indexed rows, begun and not yet ended. It, `events` and
    /// `lastChangeVersion` are changed under `lock` and read by `stamp` and `holds` without it,
    /// in one total order (sequentially consistent): a begin counts in `inFlight` before it
    /// counts an event, so a stamp whose `events` predate a begin either sees that begin in
    /// flight or fails `holds`.
    private let inFlight = Atomic<Int>(0)
    /// Counts every `begin` and `end`.
    private let events = Atomic<UInt64>(0)
    /// The newest published version whose changes to indexed rows were applied.
    private let lastChangeVersion = Atomic<UInt64>(0)
    /// Indexes that hold exactly the committed rows as of `lastChangeVersion`, by name; an
    /// index loaded while a commit raced it, or built by a transaction not yet committed,
    /// is not among them.
    private var exact: [String: HNSWIndex] = [:]
    /// Counts every change of `exact` (under `lock`).
    private let exactGeneration = Atomic<UInt64>(0)

    func begin() {
        lock.withLock {
            inFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
            events.wrappingAdd(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Inside a commit's begin and end, once its changes (published as `version`) are in
    /// the indexes.
    func applied(version: UInt64) {
        lock.withLock {
            let last = lastChangeVersion.load(ordering: .sequentiallyConsistent)
            lastChangeVersion.store(max(last, version), ordering: .sequentiallyConsistent)
        }
    }

    func end() {
        lock.withLock {
            inFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            events.wrappingAdd(1, ordering: .sequentiallyConsistent)
        }
    }

    func markExact(_ name: String, _ index: HNSWIndex) {
        lock.withLock {
            exact[name] = index
            exactGeneration.wrappingAdd(1, ordering: .sequentiallyConsistent)
        }
    }

    func forget(_ name: String) {
        lock.withLock {
            _ = exact.removeValue(forKey: name)
            exactGeneration.wrappingAdd(1, ordering: .sequentiallyConsistent)
        }
    }

    /// A stamp for a search of `index` by a reader of the snapshot at `snapshotVersion`, or
    /// nil when the rows found must be looked up in the snapshot. `memo`, kept by the caller
    /// for this index object, spares the look-up of the index by name while nothing marked
    /// or forgot an index since.
    func stamp(_ index: HNSWIndex, named name: String, snapshotVersion: UInt64, memo: Memo? = nil) -> Stamp? {
        let stamp = Stamp(events: events.load(ordering: .sequentiallyConsistent))
        guard inFlight.load(ordering: .sequentiallyConsistent) == 0,
              lastChangeVersion.load(ordering: .sequentiallyConsistent) <= snapshotVersion,
              isExact(index, named: name, memo: memo) else { return nil }
        return stamp
    }

    private func isExact(_ index: HNSWIndex, named name: String, memo: Memo?) -> Bool {
        let generation = exactGeneration.load(ordering: .sequentiallyConsistent)
        if let memo, memo.exactAsOf.load(ordering: .relaxed) == generation &+ 1 { return true }
        return lock.withLock {
            guard exact[name] === index else { return false }
            // The generation under the lock, which `exact` cannot change under.
            memo?.exactAsOf.store(exactGeneration.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            return true
        }
    }

    /// Whether no commit changing indexed rows began or ended since `stamp` was taken. A
    /// begin counts before its commit touches the index, so a search that overlapped it
    /// reads a changed count here.
    func holds(_ stamp: Stamp) -> Bool {
        events.load(ordering: .sequentiallyConsistent) == stamp.events
    }
}
