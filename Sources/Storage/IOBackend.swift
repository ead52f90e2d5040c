import Logging

/// Every byte the engine reads or writes goes through an `IOBackend`: io_uring by default,
/// POSIX pread/pwrite where io_uring cannot be set up, and a simulated disk in tests that
/// can hold, drop, tear or fail writes.
public protocol IOBackend: Sendable {
    /// A short name for logs and diagnostics ("io_uring", "posix", "simulated").
    var name: String { get }
    /// Opens (and with `create`, creates) the file at `path`.
    func openFile(path: String, create: Bool) throws -> any StorageFile
    /// Whether a file exists at `path`.
    func fileExists(path: String) -> Bool
    /// Removes the file at `path`, if any.
    func removeFile(path: String) throws
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
    /// Releases the file descriptor. Further calls are programmer errors.
    func close()
}
