// The pager owns the database file, its WAL and the buffer pool, and runs transactions.
//
// Life cycle (PagerState):
//
//        open()                 beginWrite()               commit() / rollback()
//   ──────────▶ .idle ─────────────────────────▶ .writing ────────────────────────▶ .idle
//                 │ ▲                                │
//                 │ └── checkpoint() ◀── commit() ───┘ (when the WAL or dirty set is large)
//                 │
//                 ├── an I/O failure in commit or checkpoint ──▶ .failed  (reads go on,
//                 │                                                writes are refused
//                 │                                                until reopen)
//                 └── close() ──▶ .closed
//
// Invariants:
//   G1. At most one write transaction exists (the writer gate), and only in `.writing`.
//   G2. A write transaction's pages stay in its private overlay until its WAL frames are
//       durable; then they are installed in the pool under the exclusive publish lock, so
//       a reader (who holds the shared lock for its whole read) sees all of a transaction
//       or none of it.
//   G3. No page reaches the database file before the WAL frames holding it are durable:
//       the pool holds only committed pages, and the file is written only by checkpoints
//       and by recovery.
//   G4. In `.failed` no write transaction starts; reopening runs recovery.

import Logging

/// States of the pager (see the diagram above).
enum PagerState: Equatable {
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
    public var logger: Logger

    public init(backend: (any IOBackend)? = nil, bufferPoolBytes: Int = 256 << 20,
                walCheckpointBytes: Int = 64 << 20, logger: Logger = Logger(label: "vireo.storage")) {
        self.backend = backend
        self.bufferPoolBytes = bufferPoolBytes
        self.walCheckpointBytes = walCheckpointBytes
        self.logger = logger
    }
}

/// Owns the files, the WAL and the pool; hands out read views and write transactions.
public final class Pager: @unchecked Sendable {
    public let path: String
    public let pageSizeBytes = StorageFormat.pageSizeBytes
    public let backend: any IOBackend
    let options: StorageOptions
    let databaseFile: any StorageFile
    let wal: WriteAheadLog
    let pool: BufferPool
    let writerGate = Gate()
    let publishLock = ReadWriteLock()
    private let stateLock = Lock()
    private var stateStorage = PagerState.idle
    /// LSN the next commit gets; guarded by the writer gate.
    var nextLSN: UInt64 = 1

    var state: PagerState {
        get { stateLock.withLock { stateStorage } }
        set { stateLock.withLock { stateStorage = newValue } }
    }

    /// Opens the database at `path`, creating it if absent and replaying its WAL.
    public static func open(path: String, options: StorageOptions = StorageOptions()) throws -> Pager {
        let backend = try options.backend ?? IOBackends.makeDefault(logger: options.logger)
        let databaseFile = try backend.openFile(path: path, create: true)
        do {
            let walFile = try backend.openFile(path: path + "-wal", create: true)
            let wal = try WriteAheadLog.open(file: walFile, pageSizeBytes: StorageFormat.pageSizeBytes)
            return try Pager(path: path, backend: backend, options: options, databaseFile: databaseFile, wal: wal)
        } catch {
            databaseFile.close()
            throw error
        }
    }

    private init(path: String, backend: any IOBackend, options: StorageOptions,
                 databaseFile: any StorageFile, wal: WriteAheadLog) throws {
        self.path = path
        self.backend = backend
        self.options = options
        self.databaseFile = databaseFile
        self.wal = wal
        let capacity = max(8, options.bufferPoolBytes / StorageFormat.pageSizeBytes)
        self.pool = BufferPool(file: databaseFile, pageSizeBytes: StorageFormat.pageSizeBytes, capacityPages: capacity)
        let recovered = try recover()
        try initializeIfEmpty()
        try pool.withPage(0) { try MetaPage.validate($0, pageSizeBytes: pageSizeBytes, path: path) }
        nextLSN = max(recovered.lastLSN, try maxLSNOnMeta()) + 1
        assertInvariants()
    }

    deinit { if state != .closed { try? close() } }

    /// Checkpoints (when healthy) and closes the files; later calls throw. Refuses, rather
    /// than waits, while a write transaction is open (it could be this thread's own).
    public func close() throws {
        guard writerGate.tryEnter() else {
            throw VireoError(.transactionState, "database '\(path)' has an open write transaction: commit or roll it back before closing")
        }
        defer { writerGate.leave() }
        guard state != .closed else { return }
        var checkpointError: Error?
        if state == .idle {
            do {
                try checkpointLocked()
                try wal.shrink()
            } catch {
                checkpointError = error
            }
        }
        // Readers hold the publish lock while they use pool pages: wait them out.
        publishLock.withWriteLock {
            state = .closed
            pool.discardAll()
        }
        wal.file.close()
        databaseFile.close()
        if let checkpointError { throw checkpointError }
    }

    /// Debug-only check of the state-machine invariants (G1, G4).
    func assertInvariants() {
        #if DEBUG
        let current = state
        if case .failed = current { return }
        assert(current != .closed || pool.countPages == 0, "a closed pager caches no pages")
        #endif
    }

    private func maxLSNOnMeta() throws -> UInt64 {
        try pool.withPage(0) { $0.loadLE(at: PageLayout.lsnOffset) }
    }

    /// Fails with a clear error unless writes may proceed (invariant G4).
    func requireWritable() throws {
        switch state {
        case .idle, .writing: return
        case .closed: throw VireoError(.transactionState, "database '\(path)' is closed")
        case .failed(let cause):
            throw VireoError(.readOnly, "database '\(path)' refuses writes after an I/O failure (\(cause.message)); close and reopen it to recover")
        }
    }
}
