// The pager owns the database file, its WAL and the buffer pool, and runs transactions.
//
// Life cycle (PagerState):
//
//   open()  ─▶ .opening ── recovery fails: files closed, untouched ──▶ (thrown)
//                 │ recovery done (Pager+Recovery.swift)
//                 ▼          beginWrite()               commit() / rollback()
//               .idle ─────────────────────────▶ .writing ────────────────────────▶ .idle
//                 │ ▲                                │
//                 │ └── checkpoint() ◀── commit() ───┘ (when the WAL or dirty set is large)
//                 │
//                 ├── an I/O failure in commit or checkpoint ──▶ .failed  (reads go on,
//                 │                                                writes are refused
//                 │                                                until reopen)
//                 └── close() ──▶ .closed
//
// Invariants:
//   G0. One process at a time has a database open for writing: the pager holds an
//       exclusive flock on the database file from open to close (a read-only pager a
//       shared one), so two processes never write the same file.
//   G1. At most one write transaction holds the writer gate, and only in `.writing`; it
//       alone commits. Any number of transactions over snapshots may be open: their pages
//       reach the WAL through a gate holder (`WriteTransaction.movePages`, or a replay by
//       the store), so commits stay serial.
//   G2. A write transaction's pages stay in its private overlay until its WAL frames are
//       durable; then they are installed in the pool as the next version under the
//       exclusive publish lock. A reader reads one snapshot's version of every page
//       (BufferPool V1–V3), so it sees all of a transaction or none of it, and never
//       holds up a commit.
//   G3. No page reaches the database file before the WAL frames holding it are durable:
//       the pool holds only committed pages, and the file is written only by checkpoints
//       and by recovery.
//   G4. In `.failed` no write transaction starts; reopening runs recovery.
//   G5. A read-only pager writes no file: it recovers into its buffer pool only.

import Logging

/// States of the pager (see the diagram above).
enum PagerState: Equatable {
    case opening
    case idle
    case writing
    case failed(VireoError)
    case closed
}

/// Settings for opening a database.
public struct StorageOptions: Sendable {
    /// The I/O backend; `nil` picks io_uring, or POSIX when io_uring is unavailable.
    public var backend: (any IOBackend)?
    /// Memory budget of the buffer pool.
    public var bufferPoolBytes: Int
    /// A commit that leaves the WAL larger than this triggers a checkpoint.
    public var walCheckpointBytes: Int
    /// Open without writing anything: no file is created, recovery happens in memory,
    /// and write transactions are refused. Other read-only opens may share the file.
    public var readOnly: Bool
    /// How long an open waits for another process's lock on the database file before
    /// failing with `lock_not_available`; 0 fails at once. The default rides out a
    /// process that is closing, and the moment after a kill during which the kernel
    /// still holds a dead process's io_uring files (and so its lock).
    public var busyTimeoutMs: Int
    /// Whether to open a database whose WAL is damaged (invariant W4) by dropping every
    /// transaction from the damage on. A writable open keeps a copy of the damaged WAL.
    public var acceptWALLoss: Bool
    public var logger: Logger

    public init(backend: (any IOBackend)? = nil, bufferPoolBytes: Int = 256 << 20,
                walCheckpointBytes: Int = 64 << 20, readOnly: Bool = false, busyTimeoutMs: Int = 5_000,
                acceptWALLoss: Bool = false, logger: Logger = Logger(label: "vireo.storage")) {
        self.backend = backend
        self.bufferPoolBytes = bufferPoolBytes
        self.walCheckpointBytes = walCheckpointBytes
        self.readOnly = readOnly
        self.busyTimeoutMs = busyTimeoutMs
        self.acceptWALLoss = acceptWALLoss
        self.logger = logger
    }
}

/// What the storage engine has done since open (counters) and holds now (gauges).
public struct StorageStatistics: Sendable {
    public var walBytesWritten: Int
    /// One per WAL commit that wrote pages: a group commit counts once for its whole batch.
    public var walCommitSyncs: Int
    public var bufferPoolHits: Int
    public var bufferPoolMisses: Int
    public var bufferPoolPages: Int
    public var dirtyPages: Int
    /// Snapshots open now (statements reading, transactions open), and the replaced page
    /// versions kept in memory for them (a long snapshot under many commits keeps many).
    public var openSnapshots: Int
    public var retainedPageVersions: Int
}

/// Owns the files, the WAL and the pool; hands out read views and write transactions.
public final class Pager: @unchecked Sendable {
    public let path: String
    public let pageSizeBytes = StorageFormat.pageSizeBytes
    public let backend: any IOBackend
    let options: StorageOptions
    let databaseFile: any StorageFile
    /// The log; nil for a read-only open of a database that has none.
    let wal: WriteAheadLog?
    /// Nanoseconds the WAL's commit fsyncs took since open.
    var walCommitSyncNanos: Int { wal?.commitSyncNanos.load(ordering: .relaxed) ?? 0 }
    let pool: BufferPool
    let writerGate = Gate()
    let publishLock = ReadWriteLock()
    /// The snapshot statement reads share until the next publish (SharedSnapshot.swift).
    let sharedRead = SharedSnapshot()
    private let stateLock = Lock()
    private var stateStorage = PagerState.opening
    /// LSN the next commit gets; guarded by the writer gate.
    var nextLSN: UInt64 = 1
    /// Damage found in the WAL at open, when `acceptWALLoss` let the open go on.
    public internal(set) var walDamage: WALDamage?

    var state: PagerState {
        get { stateLock.withLock { stateStorage } }
        set { stateLock.withLock { stateStorage = newValue } }
    }

    /// Counters since open, for monitoring.
    public var statistics: StorageStatistics {
        let versions = pool.versionCounts
        return StorageStatistics(walBytesWritten: wal?.bytesWrittenCount.load(ordering: .relaxed) ?? 0,
                          walCommitSyncs: wal?.commitSyncCount.load(ordering: .relaxed) ?? 0,
                          bufferPoolHits: pool.hitCount.load(ordering: .relaxed),
                          bufferPoolMisses: pool.missCount.load(ordering: .relaxed),
                          bufferPoolPages: pool.countPages, dirtyPages: pool.dirtyCount,
                          openSnapshots: versions.snapshots - (sharedRead.holdsIdle ? 1 : 0),
                          retainedPageVersions: versions.retainedPages)
    }

    /// Whether this pager was opened read-only.
    public var isReadOnly: Bool { options.readOnly }

    init(path: String, backend: any IOBackend, options: StorageOptions,
         databaseFile: any StorageFile, wal: WriteAheadLog?) {
        self.path = path
        self.backend = backend
        self.options = options
        self.databaseFile = databaseFile
        self.wal = wal
        let capacity = max(8, options.bufferPoolBytes / StorageFormat.pageSizeBytes)
        self.pool = BufferPool(file: databaseFile, pageSizeBytes: StorageFormat.pageSizeBytes, capacityPages: capacity)
    }

    deinit {
        switch state {
        case .opening, .closed: return
        default: try? close()
        }
    }

    /// Checkpoints (when healthy) and closes the files; later calls throw. Refuses, rather
    /// than waits, while a write transaction is open (it could be this thread's own).
    public func close() throws {
        guard writerGate.tryEnter() else {
            throw VireoError(.transactionState, "database '\(path)' has an open write transaction: commit or roll it back before closing")
        }
        defer { writerGate.leave() }
        guard state != .closed else { return }
        sharedRead.empty()
        let openSnapshots = pool.versionCounts.snapshots
        guard openSnapshots == 0 else {
            throw VireoError(.transactionState, "database '\(path)' has \(openSnapshots) open snapshot(s) (reads or transactions in progress): end them before closing")
        }
        var checkpointError: Error?
        if state == .idle, !isReadOnly, let wal {
            do {
                try checkpointLocked()
                try wal.shrink()
            } catch {
                checkpointError = error
            }
        }
        publishLock.withWriteLock {
            state = .closed
            sharedRead.empty()  // one a read kept since the count above (S3)
            pool.discardAll()
        }
        closeFiles()
        if let checkpointError { throw checkpointError }
    }

    /// Closes the log, then the database file, whose descriptor holds the lock (G0).
    func closeFiles() {
        wal?.close()
        databaseFile.close()
    }

    /// Debug-only check of the state-machine invariants (G1, G4).
    func assertInvariants() {
        #if DEBUG
        let current = state
        if case .failed = current { return }
        assert(current != .closed || pool.countPages == 0, "a closed pager caches no pages")
        #endif
    }

    /// The log of a writable pager; every write path has passed `requireWritable()`.
    var writableLog: WriteAheadLog {
        guard let wal else { preconditionFailure("a read-only pager has no WAL to write: requireWritable() guards writes") }
        return wal
    }

    /// Fails with a clear error unless writes may proceed (invariants G4, G5).
    func requireWritable() throws {
        if isReadOnly { throw VireoError(.readOnly, "database '\(path)' is open read-only") }
        switch state {
        case .opening, .idle, .writing: return
        case .closed: throw VireoError(.transactionState, "database '\(path)' is closed")
        case .failed(let cause):
            throw VireoError(.readOnly, "database '\(path)' refuses writes after an I/O failure (\(cause.message)); close and reopen it to recover")
        }
    }
}
