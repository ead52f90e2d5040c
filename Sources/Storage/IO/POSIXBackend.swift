import Glibc
import Synchronization

/// The portable backend: pread/pwrite and fdatasync, one system call per request. Chosen
/// when io_uring cannot be set up (some containers forbid it) or when `VIREO_IO=posix`.
public struct POSIXBackend: IOBackend {
    public var name: String { "posix" }

    public init() {}

    public func openFile(path: String, mode: FileOpenMode) throws -> any StorageFile {
        try POSIXFile(path: path, mode: mode)
    }

    public func fileExists(path: String) -> Bool { access(path, F_OK) == 0 }

    public func removeFile(path: String) throws { try FileCalls.remove(path: path) }
}

/// A file of the POSIX backend. Batches are plain loops over the requests. The io_uring
/// backend reuses it for single reads and writes, which gain nothing from a ring.
final class POSIXFile: StorageFile {
    let path: String
    let fd: Int32
    private let closed = Atomic<Bool>(false)

    init(path: String, mode: FileOpenMode) throws {
        self.path = path
        self.fd = try FileCalls.open(path: path, mode: mode)
    }

    deinit { close() }

    func size() throws -> Int { try FileCalls.size(fd: fd, path: path) }

    @discardableResult
    func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try FileCalls.read(fd: fd, path: path, offset: offset, into: buffer)
    }

    func write(offset: Int, from buffer: UnsafeRawBufferPointer) throws {
        try FileCalls.write(fd: fd, path: path, offset: offset, from: buffer)
    }

    func readBatch(_ requests: [IORequest]) throws {
        for request in requests { try read(offset: request.offset, into: request.buffer) }
    }

    func writeBatch(_ requests: [IORequest]) throws {
        for request in requests { try write(offset: request.offset, from: UnsafeRawBufferPointer(request.buffer)) }
    }

    func sync() throws { try FileCalls.dataSync(fd: fd, path: path) }

    func truncate(size: Int) throws { try FileCalls.truncate(fd: fd, path: path, sizeBytes: size) }

    func tryLock(_ kind: FileLockKind) throws -> Bool { try FileCalls.tryLock(fd: fd, path: path, kind: kind) }

    func lockHolderProcessID() -> Int32? { FileCalls.lockHolderProcessID(fd: fd) }

    func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) { _ = Glibc.close(fd) }
    }
}
