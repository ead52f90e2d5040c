import Synchronization
import Logging

/// The storage engine's public face: a database file with its schema, row tables and
/// B+tree indexes, read through snapshots and changed by write transactions that run
/// concurrently and commit in groups (Store+Commit.swift).
public final class Store: @unchecked Sendable {
    public let pager: Pager
    private let catalogLock = Lock()
    /// Boxed: a snapshot keeps the box (one retain), not a copy of the schema's five
    /// tables (a retain of each at open and a release of each at close, per statement).
    private var publishedCatalog: PublishedCatalog
    let catalogTree: BTree
    /// Row operations past this count make a transaction take the writer gate, so its log
    /// (rows kept in memory for replay) stays bounded; bulk loads then run as the one writer.
    public var loggedOperationsMax = 50_000
    /// Commits waiting for a leader, and whether one is at work (Store+Commit.swift).
    let commitQueue = Condition()
    var pendingCommits: [CommitRequest] = []
    /// How the leaders brought transactions over snapshots into their batches.
    public let commitPaths = CommitPathCounts()
    var commitLeaderActive = false
    /// The version that last changed each row, for conflict checks (C1); guarded by `rowLock`.
    private let rowLock = Lock()
    private var lastWrites: [RowKey: UInt64] = [:]
    /// The version of the last commit that key-shared each row (a FOREIGN KEY check found it).
    private var lastShares: [RowKey: UInt64] = [:]
    /// Sizes past which `recordWrites` next drops entries no open transaction can conflict with.
    private var lastWritesPruneCount = Store.rememberedWritesMin
    private var lastSharesPruneCount = Store.rememberedWritesMin
    /// Row ids and sequence values handed out, so concurrent transactions never share one
    /// (the floors are looked up and retired under `rowLock`, raised without it).
    private var allocatedRowIDs: [String: RowIDFloor] = [:]
    private var sequenceValues: [String: SequenceState] = [:]
    /// Row locks of open transactions (RowLocks.swift).
    let rowLocks = RowLockTable()

    /// Opens (creating if absent) the database at `path`, recovering it after a crash.
    public static func open(path: String, options: StorageOptions = StorageOptions()) throws -> Store {
        try Store(pager: Pager.open(path: path, options: options))
    }

    private init(pager: Pager) throws {
        self.pager = pager
        let root: PageNumber = try pager.read { view in try view.withPage(0) { $0.loadLE(at: MetaPage.catalogRootOffset) } }
        catalogTree = BTree(root: root)
        publishedCatalog = PublishedCatalog(try pager.read { try Catalog.load(tree: BTree(root: root), from: $0) })
    }

    /// The schema as last committed.
    public var catalog: Catalog { catalogLock.withLock { publishedCatalog.catalog } }

    /// Runs `body` on a consistent snapshot of committed data and schema: the newest
    /// version's, which the reads that start before the next publish share
    /// (SharedSnapshot.swift). It stays open while `body` or anything it kept holds it.
    public func read<R>(_ body: (StoreSnapshot) throws -> R) throws -> R {
        try body(try sharedSnapshot())
    }

    /// The snapshot kept for the version published last, or one opened now and kept.
    @inline(__always)
    private func sharedSnapshot() throws -> StoreSnapshot {
        if let kept = pager.sharedRead.load() { return kept }
        return try pager.openSharedSnapshot { pages in
            StoreSnapshot(pages: ReadView(pool: pager.pool, snapshot: pages, path: pager.path),
                          published: catalogLock.withLock { publishedCatalog })
        }
    }

    /// A snapshot of committed data and schema that stays open until `close()`.
    public func openSnapshot() throws -> StoreSnapshot {
        let (pages, published) = try pager.openSnapshot { catalogLock.withLock { publishedCatalog } }
        return StoreSnapshot(pages: ReadView(pool: pager.pool, snapshot: pages, path: pager.path), published: published)
    }

    /// Starts a write transaction over the newest version. Any number may be open at once;
    /// none waits for another until commit (see StoreTransaction+Concurrency.swift).
    public func beginTransaction() throws -> StoreTransaction {
        let (snapshot, catalog) = try pager.openSnapshot { self.catalog }
        return StoreTransaction(store: self, pages: try pager.beginTransaction(over: snapshot), catalog: catalog)
    }

    /// Starts a write transaction holding the writer gate, waiting for the holder (or, with
    /// `waiting: false`, throwing if the gate is held). Nothing else commits until it ends.
    public func beginWrite(waiting: Bool = true) throws -> StoreTransaction {
        let pages = try pager.beginWrite(waiting: waiting)
        return StoreTransaction(store: self, pages: pages, catalog: catalog)
    }

    /// Starts a write transaction holding the writer gate, waiting at most `timeoutMs` for
    /// the holder (nil: without limit); 55P03 past it. What `checkCancel` throws while it waits ends the wait.
    public func beginWrite(timeoutMs: Int?, checkCancel: () throws -> Void = {}) throws -> StoreTransaction {
        let pages = try pager.beginWrite(timeoutMs: timeoutMs, checkCancel: checkCancel)
        return StoreTransaction(store: self, pages: pages, catalog: catalog)
    }

    /// Runs `body` in a write transaction: commits when it returns, rolls back on a throw.
    /// Without `waiting`, throws at once when another transaction holds the gate.
    public func write<R>(waiting: Bool = true, _ body: (StoreTransaction) throws -> R) throws -> R {
        let transaction = try beginWrite(waiting: waiting)
        do {
            let result = try body(transaction)
            try transaction.commit()
            return result
        } catch {
            transaction.rollback()
            throw error
        }
    }

    func publish(_ catalog: Catalog) {
        let published = PublishedCatalog(catalog)
        catalogLock.withLock { publishedCatalog = published }
    }

    // MARK: Row versions and allocation

    /// The version of the last commit that updated or deleted the row (0: none remembered).
    func lastWriteVersion(of key: RowKey) -> UInt64 {
        rowLock.withLock { lastWrites[key] ?? 0 }
    }

    /// Whether a commit after `version` updated or deleted (`shared`: key-shared) one of
    /// `keys`, or one of them is in `alsoIn`: the conflict checks of a commit, under one lock.
    func anyChanged(_ keys: Set<RowKey>, after version: UInt64, shared: Bool = false, alsoIn: Set<RowKey> = []) -> Bool {
        guard !keys.isEmpty else { return false }
        if !alsoIn.isEmpty, !keys.isDisjoint(with: alsoIn) { return true }
        return rowLock.withLock {
            let versions = shared ? lastShares : lastWrites
            return keys.contains { (versions[$0] ?? 0) > version }
        }
    }

    /// Remembers the rows the transactions changed as written at `version` (one commit,
    /// or one batch), under one lock. Entries no open transaction can conflict with (at or
    /// below the oldest snapshot) are dropped now and then; only then is the oldest
    /// snapshot looked up.
    func recordWrites(_ transactions: some Sequence<StoreTransaction>, version: UInt64) {
        let pruneDue = rowLock.withLock { () -> Bool in
            for transaction in transactions {
                for key in transaction.writtenRows { lastWrites[key] = version }
                for key in transaction.keySharedRows { lastShares[key] = version }
            }
            return lastWrites.count > lastWritesPruneCount || lastShares.count > lastSharesPruneCount
        }
        guard pruneDue else { return }
        let oldest = pager.oldestSnapshotVersion
        rowLock.withLock {
            Self.prune(&lastWrites, past: &lastWritesPruneCount, keepingAfter: oldest)
            Self.prune(&lastShares, past: &lastSharesPruneCount, keepingAfter: oldest)
        }
    }

    /// Past `count` entries, keeps only those after `oldest` (the oldest open snapshot;
    /// nil: none), and prunes next at twice what is left, between the bounds below: the
    /// table stays small enough to stay in cache, and pruning costs little per commit.
    /// The kept table has room for that many from the start, so it does not regrow on the way.
    private static func prune(_ versions: inout [RowKey: UInt64], past count: inout Int, keepingAfter oldest: UInt64?) {
        guard versions.count > count else { return }
        let floor = oldest ?? UInt64.max
        var kept = versions.filter { $0.value > floor }
        count = min(rememberedWritesMax, max(rememberedWritesMin, 2 * kept.count))
        kept.reserveCapacity(count + 1)
        versions = kept
    }

    static let rememberedWritesMin = 4_096
    static let rememberedWritesMax = 100_000

    /// A row id for a new row of `table`, at least `atLeast` and above every one handed out.
    func allocateRowID(_ table: String, atLeast: Int64) -> Int64 {
        rowLock.withLock {
            let floor = floorLocked(table)
            while true {
                let next = floor.next.load(ordering: .relaxed)
                let rowID = max(atLeast, next)
                if floor.next.compareExchange(expected: next, desired: RowIDFloor.past(rowID), ordering: .relaxed).exchanged {
                    return rowID
                }
            }
        }
    }

    /// The current floor of `table`'s row ids: a transaction keeps it and raises it for
    /// each row it inserts (`RowIDFloor.raise`) without looking the table's name up again.
    func rowIDFloor(_ table: String) -> RowIDFloor {
        rowLock.withLock { floorLocked(table) }
    }

    private func floorLocked(_ table: String) -> RowIDFloor {
        if let floor = allocatedRowIDs[table] { return floor }
        let floor = RowIDFloor()
        allocatedRowIDs[table] = floor
        return floor
    }

    /// A schema change to `table` (under the gate) makes the next allocation look again:
    /// the table's floor is retired, and a transaction holding it takes the new one.
    func forgetAllocatedRowIDs(_ table: String) {
        rowLock.withLock { allocatedRowIDs.removeValue(forKey: table)?.retire() }
    }

    /// nextval: advances the newest state of sequence `definition` (this process's, else
    /// `committed`, else its start) and keeps it (Q1).
    func advanceSequence(_ definition: SequenceDefinition, committed: SequenceState?) throws -> SequenceState {
        try rowLock.withLock {
            let next = try definition.advanced(from: sequenceValues[definition.name] ?? committed ?? definition.initialState)
            sequenceValues[definition.name] = next
            return next
        }
    }

    /// nextval outside a write transaction (a read): the caller writes the state later
    /// (`StoreTransaction.persistSequences`).
    public func nextSequenceValue(_ definition: SequenceDefinition) throws -> Int64 {
        try advanceSequence(definition, committed: catalog.sequences[definition.name]).lastValue
    }

    /// setval: the state every transaction's next nextval of `name` starts from.
    public func setSequenceState(_ name: String, _ state: SequenceState) {
        rowLock.withLock { sequenceValues[name] = state }
    }

    /// The newest state of sequence `name` in this process, if it was used since open.
    public func sequenceState(_ name: String) -> SequenceState? { rowLock.withLock { sequenceValues[name] } }

    func forgetSequence(_ name: String) {
        rowLock.withLock { _ = sequenceValues.removeValue(forKey: name) }
    }

    /// The number of rows an open transaction has locked (SELECT … FOR, UPDATE, DELETE).
    public var lockedRowCount: Int { rowLocks.lockedRowCount }

    /// The number of transactions waiting for a row lock now.
    public var rowLockWaiterCount: Int { rowLocks.waiterCount }

    /// Writes every committed page to the database file and resets the WAL.
    public func checkpoint() throws { try pager.checkpoint() }

    /// Checkpoints and closes the files.
    public func close() throws { try pager.close() }
}

/// Committed data and schema, consistent with each other, for the length of a read.
///
/// A class: a statement hands its snapshot to every row it reads (a join probes the right
/// table once per left row), and a struct of a page view and a catalog of dictionaries cost
/// seven retains and releases per copy — a quarter of a primary-key join's time.
public final class StoreSnapshot: RowSource {
    public let pages: ReadView
    @usableFromInline let published: PublishedCatalog
    /// The schema as of the snapshot's version. Inlinable, so that a caller reading one
    /// field of it (a plan cache's check of `version`) copies nothing (a copy is a retain
    /// and a release of each of its tables).
    @inlinable public var catalog: Catalog { published.catalog }

    init(pages: ReadView, published: PublishedCatalog) {
        self.pages = pages
        self.published = published
    }

    /// Ends a snapshot from `Store.openSnapshot` (`read` closes its own).
    public func close() { pages.snapshot.close() }
}

/// A committed schema, shared by the snapshots that see it.
@usableFromInline
final class PublishedCatalog: Sendable {
    @usableFromInline let catalog: Catalog
    init(_ catalog: Catalog) { self.catalog = catalog }
}

/// One past the largest row id of a table handed out or inserted in this process since its
/// last schema change (`Store.allocateRowID`, `StoreTransaction.noteRowID`), Int64.max once
/// that id is used. Looked up by the table's name and retired under the store's `rowLock`;
/// raised with an atomic compare-and-exchange, so an insert takes neither the lock nor a
/// hash of the name per row (two hashes and the lock were 6% of a prepared INSERT).
/// A raise and a retirement never cross: a retired floor refuses raises, and its holder
/// looks the table's current floor up.
final class RowIDFloor: @unchecked Sendable {
    /// The floor, or `retired`.
    fileprivate let next = Atomic<Int64>(0)
    private static let retired = Int64.min

    /// What the floor becomes once `rowID` is in use.
    fileprivate static func past(_ rowID: Int64) -> Int64 { rowID == Int64.max ? rowID : rowID + 1 }

    /// Raises the floor past `rowID`; false, having changed nothing, when it is retired.
    func raise(past rowID: Int64) -> Bool {
        let floor = Self.past(rowID)
        var current = next.load(ordering: .relaxed)
        while current < floor {
            guard current != Self.retired else { return false }
            let (exchanged, original) = next.compareExchange(expected: current, desired: floor, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return true
    }

    fileprivate func retire() { next.store(Self.retired, ordering: .relaxed) }
}
