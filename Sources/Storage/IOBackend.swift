import Logging

/// Every byte the engine reads or writes goes through an `IOBackend`: io_uring by default,
/// POSIX pread/pwrite where io_uring cannot be set up, and a simulated disk in tests that
/// can hold, drop, tear or fail writes.
public protocol IOBackend: Sendable {
    /// A short name for logs and diagnostics ("io_uring", "posix", "simulated").
    var name: String { get }
    /// Opens the file at `path` as `mode` says.
    func openFile(path: String, mode: FileOpenMode) throws -> any StorageFile
    /// Whether a file exists at `path`.
    func fileExists(path: String) -> Bool
    /// Removes the file at `path`, if any.
    func removeFile(path: String) throws
}

/// How `IOBackend.openFile` opens a file.
public enum FileOpenMode: Sendable {
    /// Reads only; the file must exist. Writes through the handle fail.
    case readOnly
    /// Reads and writes; the file must exist.
    case readWrite
    /// Reads and writes, creating an empty file if there is none.
    case create
}

/// The advisory lock a process holds on a database file: many readers or one writer.
public enum FileLockKind: Sendable {
    /// Held by read-only opens; any number of processes may share it.
    case shared
    /// Held by the one process that may write.
    case exclusive
}

extension IOBackend {
    /// Opens (and with `create`, creates) the file at `path` for reading and writing.
    public func openFile(path: String, create: Bool) throws -> any StorageFile {
        try openFile(path: path, mode: create ? .create : .readWrite)
    }
}

/// One request of a batched read or write: `buffer.count` bytes at `offset`.
public struct IORequest {
    public var offset: Int
    public var buffer: UnsafeMutableRawBufferPointer
    public init(offset: Int, buffer: UnsafeMutableRawBufferPointer) {
        self.offset = offset
        self.buffer = buffer
    }
}

/// An open file. Methods are thread-safe. Reads past the end of the file fill zeros and
/// report how many bytes were really read; writes are complete or throw.
public protocol StorageFile: AnyObject, Sendable {
    var path: String { get }
    /// Current size of the file in bytes.
    func size() throws -> Int
    /// Reads `buffer.count` bytes at `offset`; returns the bytes read before end of file.
    @discardableResult
    func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Writes all of `buffer` at `offset`.
    func write(offset: Int, from buffer: UnsafeRawBufferPointer) throws
    /// Submits every read together and waits for all of them (short reads fill zeros).
    func readBatch(_ requests: [IORequest]) throws
    /// Submits every write together and waits for all of them.
    func writeBatch(_ requests: [IORequest]) throws
    /// Makes every completed write durable (fdatasync).
    func sync() throws
    /// Sets the file's size.
    func truncate(size: Int) throws
    /// Takes the advisory lock `kind` on the file without waiting; false when another
    /// open file (in this process or another) holds a conflicting lock. The lock goes
    /// with `close()` and with the process, so a crash never leaves a file locked.
    func tryLock(_ kind: FileLockKind) throws -> Bool
    /// The process holding a lock on this file, when the system can tell.
    func lockHolderProcessID() -> Int32?
    /// Releases the file descriptor and any lock. Further calls are programmer errors.
    func close()
}
