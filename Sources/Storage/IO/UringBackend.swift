import CURing
import Glibc
import Synchronization

/// The default backend: batches of reads and writes (checkpoints, WAL appends, read-ahead)
/// go through io_uring, `depth` requests at a time, so the kernel works on them together.
///
/// Each open file owns its ring, guarded by a mutex, so batches on the WAL and on the
/// database file never wait for each other. Single reads and writes use pread/pwrite and
/// sync uses fdatasync: a lone synchronous request gains nothing from a ring and would
/// serialize concurrent readers on its lock.
public struct UringBackend: IOBackend {
    /// Most entries one ring may hold; bounds the memory a ring pins.
    public static let queueDepthMax = 4096

    public var name: String { "io_uring" }
    /// Entries per ring: how many requests of a batch are in the kernel at once.
    public let queueDepth: Int

    /// Checks that io_uring can be set up here with the operations the backend needs;
    /// throws `.ioError` if not (EPERM in containers that forbid it, ENOSYS on old kernels).
    public init(queueDepth: Int = 64) throws {
        guard (1...Self.queueDepthMax).contains(queueDepth) else {
            throw VireoError(.invalidParameter, "io_uring queue depth must be in 1...\(Self.queueDepthMax), got \(queueDepth)")
        }
        self.queueDepth = queueDepth
        let probe = try Self.makeRing(depth: queueDepth, path: "(probe)")
        guard probe.supportsRequiredOperations() else {
            throw VireoError(.ioError, "io_uring lacks the read and write operations on this kernel")
        }
    }

    public func openFile(path: String, mode: FileOpenMode) throws -> any StorageFile {
        let file = try POSIXFile(path: path, mode: mode)
        return UringFile(file: file, ring: try Self.makeRing(depth: queueDepth, path: path))
    }

    public func fileExists(path: String) -> Bool { access(path, F_OK) == 0 }

    public func removeFile(path: String) throws { try FileCalls.remove(path: path) }

    static func makeRing(depth: Int, path: String) throws -> UringRing {
        do {
            return try UringRing(depth: depth)
        } catch {
            throw VireoError(.ioError, "io_uring_queue_init for '\(path)' failed: \(error.description)")
        }
    }
}

/// A file of the io_uring backend: its own ring for batches; pread/pwrite and fdatasync
/// for single requests and sync (through the POSIX file it wraps).
final class UringFile: StorageFile {
    private let file: POSIXFile
    /// nil once closed.
    private let ring: Mutex<UringRing?>

    init(file: POSIXFile, ring: sending UringRing) {
        self.file = file
        self.ring = Mutex(ring)
    }

    var path: String { file.path }

    func size() throws -> Int { try file.size() }

    @discardableResult
    func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try file.read(offset: offset, into: buffer)
    }

    func write(offset: Int, from buffer: UnsafeRawBufferPointer) throws {
        try file.write(offset: offset, from: buffer)
    }

    func readBatch(_ requests: [IORequest]) throws {
        try withRing { try $0.transfer(.read, fd: file.fd, path: path, requests: requests) }
    }

    func writeBatch(_ requests: [IORequest]) throws {
        try withRing { try $0.transfer(.write, fd: file.fd, path: path, requests: requests) }
    }

    /// fdatasync directly: IORING_OP_FSYNC always runs on a kernel worker thread, which
    /// measured slower here, and it would hold the ring's lock for the whole flush.
    func sync() throws { try file.sync() }

    func truncate(size: Int) throws { try file.truncate(size: size) }

    func tryLock(_ kind: FileLockKind) throws -> Bool { try file.tryLock(kind) }

    func lockHolderProcessID() -> Int32? { file.lockHolderProcessID() }

    func close() {
        ring.withLock { $0 = nil }
        file.close()
    }

    private func withRing(_ body: (UringRing) throws -> Void) throws {
        try ring.withLock { ring in
            guard let ring else { throw VireoError(.ioError, "'\(path)' is closed") }
            try body(ring)
        }
    }
}
