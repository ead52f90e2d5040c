// Group commit.
//
// Transactions over snapshots commit through a queue. The first committer to find no
// leader becomes the leader: it takes the writer gate, takes every waiting commit as one
// batch, and writes the batch as one WAL commit with one fsync. Each member is checked
// (C1), then its pages are taken as they are when none changed since its snapshot (C4),
// or the unchanged part is taken and the rest replayed (C5), or all of it is replayed
// (C2), under a savepoint, so a member that fails is undone alone and told why. Every
// member is answered only after the batch is durable and visible, and then releases its
// row locks in its own thread, out of the leader's chain. Meanwhile newer commits queue up
// and form the next batch: the more sessions commit at once, the fewer fsyncs per commit.

import Dispatch
import Synchronization

/// How many transactions over snapshots a leader committed by each path (C4, C5, C2).
public final class CommitPathCounts: Sendable {
    let movedWholeCount = Atomic<Int>(0)
    let movedInPartCount = Atomic<Int>(0)
    let replayedCount = Atomic<Int>(0)

    public struct Counts: Sendable, CustomStringConvertible {
        public var movedWhole: Int
        public var movedInPart: Int
        public var replayed: Int
        public var description: String { "pages moved whole \(movedWhole), in part \(movedInPart), replayed \(replayed)" }
    }

    // Where the commit chain's time goes (wall clock, nanoseconds, summed over batches):
    // a leader waiting for the writer gate, checking and applying its members, publishing
    // them (seal, WAL deltas, write, fsync, install), answering them, and the hand-over
    // from one leader to the next while commits wait. A few clock reads per batch.
    let batchCount = Atomic<Int>(0)
    let batchMemberCount = Atomic<Int>(0)
    let rerunOperationCount = Atomic<Int>(0)
    let gateNanos = Atomic<Int>(0)
    let applyNanos = Atomic<Int>(0)
    let publishNanos = Atomic<Int>(0)
    let answerNanos = Atomic<Int>(0)
    let handoffNanos = Atomic<Int>(0)
    let handoffCount = Atomic<Int>(0)
    /// When the last leader left with commits waiting (0: none waited).
    let leftWithWaitingAt = Atomic<Int>(0)

    /// Sums of the commit chain's steps since open (see above).
    public struct ChainTimes: Sendable {
        public var batches = 0
        public var members = 0
        /// Logged row operations a leader re-ran on pages changed since its member's snapshot.
        public var rerunOperations = 0
        public var gateNanos = 0
        public var applyNanos = 0
        public var publishNanos = 0
        /// The WAL fsyncs' share of `publishNanos`.
        public var syncNanos = 0
        public var answerNanos = 0
        public var handoffNanos = 0
        public var handoffs = 0

        /// The steps' averages per batch, in microseconds, since `earlier`.
        public func perBatch(since earlier: ChainTimes) -> String {
            let batches = max(1, self.batches - earlier.batches)
            func micros(_ nanos: KeyPath<ChainTimes, Int>, per count: Int) -> String {
                String(format: "%.0f", Double(self[keyPath: nanos] - earlier[keyPath: nanos]) / Double(max(1, count)) / 1000)
            }
            return "batches \(self.batches - earlier.batches), members per batch "
                + String(format: "%.1f", Double(members - earlier.members) / Double(batches))
                + ", row operations re-run \(rerunOperations - earlier.rerunOperations); µs per batch: gate \(micros(\.gateNanos, per: batches)), "
                + "check+apply \(micros(\.applyNanos, per: batches)), publish \(micros(\.publishNanos, per: batches)) "
                + "(fsync \(micros(\.syncNanos, per: batches))), answer \(micros(\.answerNanos, per: batches)), "
                + "hand-over \(micros(\.handoffNanos, per: handoffs - earlier.handoffs))"
        }
    }

    func chainTimes(syncNanos: Int) -> ChainTimes {
        ChainTimes(batches: batchCount.load(ordering: .relaxed), members: batchMemberCount.load(ordering: .relaxed),
                   rerunOperations: rerunOperationCount.load(ordering: .relaxed), gateNanos: gateNanos.load(ordering: .relaxed),
                   applyNanos: applyNanos.load(ordering: .relaxed), publishNanos: publishNanos.load(ordering: .relaxed),
                   syncNanos: syncNanos, answerNanos: answerNanos.load(ordering: .relaxed),
                   handoffNanos: handoffNanos.load(ordering: .relaxed), handoffs: handoffCount.load(ordering: .relaxed))
    }

    static var nanosNow: Int { Int(DispatchTime.now().uptimeNanoseconds) }

    public var snapshot: Counts {
        Counts(movedWhole: movedWholeCount.load(ordering: .relaxed), movedInPart: movedInPartCount.load(ordering: .relaxed),
               replayed: replayedCount.load(ordering: .relaxed))
    }
}

/// One transaction waiting in the commit queue, and its outcome once a leader ran it.
final class CommitRequest {
    let transaction: StoreTransaction
    let onPublish: () -> Void
    let afterPublish: () throws -> Void
    /// Set by the leader, under the queue's lock.
    var outcome: Result<Void, Error>?
    /// Woken when the outcome is set, or when its thread should lead the next batch.
    let waiter = Condition.Waiter()

    init(_ transaction: StoreTransaction, onPublish: @escaping () -> Void, afterPublish: @escaping () throws -> Void) {
        self.transaction = transaction
        self.onPublish = onPublish
        self.afterPublish = afterPublish
    }
}

extension Store {
    /// Where the commit chain's time went since open (`CommitPathCounts.ChainTimes`).
    public var commitChainTimes: CommitPathCounts.ChainTimes { commitPaths.chainTimes(syncNanos: pager.walCommitSyncNanos) }

    /// Most transactions committed as one batch.
    static let commitBatchMax = 256

    /// Commits a transaction over a snapshot (see above); returns once it is durable and
    /// visible, or throws why it was not committed (40001, 23505, 55P03, an I/O error).
    func commitConcurrently(_ transaction: StoreTransaction, onPublish: @escaping () -> Void,
                            afterPublish: @escaping () throws -> Void) throws {
        if transaction.isUnchanged {
            transaction.rollback()
            return try afterPublish()
        }
        let request = CommitRequest(transaction, onPublish: onPublish, afterPublish: afterPublish)
        commitQueue.withLock { pendingCommits.append(request) }
        if waitForLeader(request) {
            leadOrWithdraw(request)
            // Out of the chain: the next leader goes on meanwhile (W8 in WriteAheadLog.swift).
            pager.zeroLogAheadIfDue()
        }
        let outcome = commitQueue.withLock { request.outcome }
        guard let outcome else { preconditionFailure("a commit request left the queue without an outcome") }
        try outcome.get()
    }

    /// As leader: commits a batch, then hands on leadership.
    private func leadOrWithdraw(_ request: CommitRequest) {
        defer {
            commitQueue.withLock {
                commitLeaderActive = false
                commitPaths.leftWithWaitingAt.store(pendingCommits.isEmpty ? 0 : CommitPathCounts.nanosNow, ordering: .relaxed)
                wakeNextLeader()
            }
        }
        do {
            try lead(waitingMs: request.transaction.lockTimeoutMs, checkCancel: request.transaction.checkCancel)
        } catch {
            // The gate did not come in time: withdraw, unless a batch already took it.
            commitQueue.withLock {
                if let position = pendingCommits.firstIndex(where: { $0 === request }) {
                    pendingCommits.remove(at: position)
                    request.outcome = .failure(error)
                }
            }
        }
    }

    /// Waits until the request has an outcome (false) or there is no leader, in which
    /// case the caller becomes it (true).
    private func waitForLeader(_ request: CommitRequest) -> Bool {
        commitQueue.withLock {
            while request.outcome == nil && commitLeaderActive {
                commitQueue.wait(request.waiter, timeoutMs: Gate.cancelCheckIntervalMs)
            }
            if request.outcome != nil { return false }
            commitLeaderActive = true
            let left = commitPaths.leftWithWaitingAt.exchange(0, ordering: .relaxed)
            if left > 0 {
                commitPaths.handoffNanos.add(CommitPathCounts.nanosNow - left, ordering: .relaxed)
                commitPaths.handoffCount.add(1, ordering: .relaxed)
            }
            return true
        }
    }

    /// As leader: takes the gate, then commits the waiting batch.
    private func lead(waitingMs timeoutMs: Int?, checkCancel: () throws -> Void) throws {
        let started = CommitPathCounts.nanosNow
        let gated = try pager.beginWrite(timeoutMs: timeoutMs, checkCancel: checkCancel)
        commitPaths.gateNanos.add(CommitPathCounts.nanosNow - started, ordering: .relaxed)
        let batch = commitQueue.withLock { () -> [CommitRequest] in
            let batch = Array(pendingCommits.prefix(Self.commitBatchMax))
            pendingCommits.removeFirst(batch.count)
            return batch
        }
        let outcomes = commit(batch, in: gated)
        let answering = CommitPathCounts.nanosNow
        commitQueue.withLock {
            for (request, outcome) in zip(batch, outcomes) {
                request.outcome = outcome
                commitQueue.signal(request.waiter)
            }
        }
        commitPaths.answerNanos.add(CommitPathCounts.nanosNow - answering, ordering: .relaxed)
        commitPaths.batchCount.add(1, ordering: .relaxed)
        commitPaths.batchMemberCount.add(batch.count, ordering: .relaxed)
    }

    /// Under the queue's lock, as a leader leaves: wakes the oldest waiting commit, whose
    /// thread leads the next batch. Only the threads whose turn it is wake up; the others
    /// sleep until a batch answers them (or a cancel check, every few milliseconds).
    private func wakeNextLeader() {
        if let next = pendingCommits.first { commitQueue.signal(next.waiter) }
    }

    /// Applies each member to `gated` (its pages moved, or replayed), then commits them as one.
    private func commit(_ batch: [CommitRequest], in gated: WriteTransaction) -> [Result<Void, Error>] {
        // Each member's thread releases its row locks once answered (L4): not in the chain.
        defer { for request in batch { request.transaction.pages.rollback() } }
        let catalog = self.catalog
        var outcomes: [Result<Void, Error>] = []
        var written = Set<RowKey>()
        var shared = Set<RowKey>()
        var sequences = Set<String>()
        let applying = CommitPathCounts.nanosNow
        for request in batch {
            let member = request.transaction
            do {
                try apply(member, to: gated, catalog: catalog, alsoWritten: written, alsoShared: shared)
                written.formUnion(member.writtenRows)
                shared.formUnion(member.keySharedRows)
                sequences.formUnion(member.changedSequences)
                outcomes.append(.success(()))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        let accepted = zip(batch, outcomes).compactMap { request, outcome in (try? outcome.get()).map { request } }
        let publishing = CommitPathCounts.nanosNow
        commitPaths.applyNanos.add(publishing - applying, ordering: .relaxed)
        defer { commitPaths.publishNanos.add(CommitPathCounts.nanosNow - publishing, ordering: .relaxed) }
        do {
            try publish(accepted, sequences: sequences, catalog: catalog, in: gated)
        } catch {
            return outcomes.map { outcome in outcome.flatMap { .failure(error) } }
        }
        return outcomes
    }

    /// Checks `member` for conflicts (C1), then takes its pages as they are when none of
    /// them changed since its snapshot (C4), or else takes the unchanged part and replays
    /// the rest (C5), or replays it all (C2), under a savepoint.
    private func apply(_ member: StoreTransaction, to gated: WriteTransaction, catalog: Catalog, alsoWritten: Set<RowKey>,
                       alsoShared: Set<RowKey>) throws {
        try member.checkConflicts(with: catalog, alsoWritten: alsoWritten, alsoShared: alsoShared)
        if member.pages.movePages(into: gated) {
            commitPaths.movedWholeCount.add(1, ordering: .relaxed)
            return
        }
        let savepoint = gated.savepoint()
        do {
            if try member.moveOrReplayPart(into: StoreTransaction(store: self, pages: gated, catalog: catalog)) {
                commitPaths.movedInPartCount.add(1, ordering: .relaxed)
            } else {
                gated.rollback(toSavepoint: savepoint)
                commitPaths.rerunOperationCount.add(member.operations.count, ordering: .relaxed)
                try member.replay(into: StoreTransaction(store: self, pages: gated, catalog: catalog))
                commitPaths.replayedCount.add(1, ordering: .relaxed)
            }
            gated.release(savepoint: savepoint)
        } catch {
            gated.rollback(toSavepoint: savepoint)
            gated.release(savepoint: savepoint)
            throw error
        }
    }

    /// Writes the batch's sequence values and commits `gated`: one WAL write, one fsync.
    private func publish(_ accepted: [CommitRequest], sequences: Set<String>, catalog: Catalog, in gated: WriteTransaction) throws {
        let tail = StoreTransaction(store: self, pages: gated, catalog: catalog)
        for name in sequences {
            tail.catalog.sequences[name] = sequenceState(name) ?? catalog.sequences[name]
        }
        tail.changedSequences = sequences
        let version = pager.publishedVersion + 1
        do {
            try tail.writeCatalogChanges()
        } catch {
            gated.rollback()
            throw error
        }
        let published = tail.catalog
        try gated.commit(onPublish: {
            self.publish(published)
            self.recordWrites(accepted.lazy.map(\.transaction), version: version)
            for request in accepted { request.onPublish() }
        }, afterPublish: {
            for request in accepted { try? request.afterPublish() }
        })
    }
}
