import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension Pager {
    /// Longest pause between two attempts to take a busy lock.
    static let lockRetryDelayMsMax = 50

    /// Opens the database at `path`: locks the file against other processes (G0), then
    /// recovers it from its WAL. Only a missing or empty file becomes a new database; a
    /// file that is not a Vireo database is refused and left as it is. A recovery that
    /// fails leaves every file as it found it, and the next open tries again.
    public static func open(path: String, options: StorageOptions = StorageOptions()) throws -> Pager {
        let backend = try options.backend ?? IOBackends.makeDefault(logger: options.logger)
        let databaseFile = try openDatabaseFile(path: path, backend: backend, options: options)
        var wal: WriteAheadLog?
        do {
            let fileState = try DatabaseFileState.read(databaseFile, path: path, pageSizeBytes: StorageFormat.pageSizeBytes)
            if !backend.fileExists(path: path + "-wal") {
                // Refuse a foreign file before creating anything beside it.
                try fileState.checkRecoverable(with: RecoveredLog(), path: path)
            }
            wal = try openLog(path: path, backend: backend, options: options)
            let pager = Pager(path: path, backend: backend, options: options, databaseFile: databaseFile, wal: wal)
            do {
                try pager.recover(fileState)
            } catch {
                pager.state = .closed
                pager.pool.discardAll()
                throw error
            }
            return pager
        } catch {
            wal?.close()
            databaseFile.close()
            throw error
        }
    }

    /// Opens and locks the database file; a writable open creates a missing file (empty).
    private static func openDatabaseFile(path: String, backend: any IOBackend, options: StorageOptions) throws -> any StorageFile {
        if options.readOnly && !backend.fileExists(path: path) {
            throw VireoError(.ioError, "no database at '\(path)'")
        }
        let file = try backend.openFile(path: path, mode: options.readOnly ? .readOnly : .create)
        do {
            try lock(file, kind: options.readOnly ? .shared : .exclusive, options: options)
        } catch {
            file.close()
            throw error
        }
        return file
    }

    /// Opens the WAL beside the database; a read-only open of a database without one has none.
    private static func openLog(path: String, backend: any IOBackend, options: StorageOptions) throws -> WriteAheadLog? {
        let walPath = path + "-wal"
        if options.readOnly && !backend.fileExists(path: walPath) { return nil }
        let file = try backend.openFile(path: walPath, mode: options.readOnly ? .readOnly : .create)
        do {
            return try WriteAheadLog.open(file: file, pageSizeBytes: StorageFormat.pageSizeBytes, readOnly: options.readOnly)
        } catch {
            file.close()
            throw error
        }
    }

    /// Takes the lock, retrying with growing pauses until `busyTimeoutMs` has passed.
    static func lock(_ file: any StorageFile, kind: FileLockKind, options: StorageOptions) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        var delayMs = 1
        while try !file.tryLock(kind) {
            let waitedMs = Int((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
            // This process holding the lock is a second open of the same file: waiting cannot help.
            guard waitedMs < options.busyTimeoutMs, file.lockHolderProcessID() != getpid() else {
                throw lockedError(file, kind: kind, waitedMs: waitedMs)
            }
            usleep(UInt32(min(delayMs, options.busyTimeoutMs - waitedMs)) * 1000)
            delayMs = min(delayMs * 2, lockRetryDelayMsMax)
        }
    }

    private static func lockedError(_ file: any StorageFile, kind: FileLockKind, waitedMs: Int) -> VireoError {
        let holder = file.lockHolderProcessID().map { pid in
            pid == getpid() ? "this process (it is already open here)" : "process \(pid)"
        } ?? "another process"
        let waited = waitedMs > 0 ? " after waiting \(waitedMs) ms" : ""
        let rule = kind == .exclusive
            ? "one process at a time may open a database for writing (a busy timeout makes an open wait for it)"
            : "a read-only open waits for the writing process to close the database"
        return VireoError(.lockNotAvailable, "database \"\(file.path)\" is locked by \(holder)\(waited): \(rule)")
    }
}
