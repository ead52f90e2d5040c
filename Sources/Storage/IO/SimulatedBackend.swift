import Glibc

/// An in-memory disk for tests, after SQLite's crash-simulating test VFS and TigerBeetle's
/// simulated storage. Each file keeps the image reads see and the image that would
/// survive a power loss; writes and truncations stay pending until `sync()`.
///
/// - `crash(seed:)` simulates a power loss: every pending write is kept, dropped, torn
///   (only a prefix of its 512-byte sectors lands) or garbled, chosen by a seeded random
///   generator, and every handle opened before it stops working.
/// - `faults` injects failed writes, syncs and reads, short writes, a full disk and
///   corrupted reads.
/// - `stats` counts operations, so a test can fail the 1st, 2nd … Nth write until no
///   fault fires.
///
/// Simplifications: creating and removing a file are durable at once (the real backends
/// fsync the directory to match); all files share one mutex. Advisory file locks behave
/// as flock's between the backend's open files, and a crash releases them.
public final class SimulatedBackend: IOBackend {
    public var name: String { "simulated" }
    /// The seed of the generator that picks crash seeds when `crash()` is given none.
    public let seed: UInt64
    /// Fault injection; see `SimulatedFaults`.
    public let faults: SimulatedFaults
    let disk: SimulatedDisk

    /// A backend with no files. Print `seed` when a test fails so the run can be replayed.
    public init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.seed = seed
        self.disk = SimulatedDisk(seed: seed)
        self.faults = SimulatedFaults(disk: disk)
    }

    public func openFile(path: String, mode: FileOpenMode) throws -> any StorageFile {
        let handle = try disk.withState { try $0.open(path: path, mode: mode) }
        return SimulatedFile(handle: handle, disk: disk)
    }

    public func fileExists(path: String) -> Bool {
        disk.withState { $0.files[path] != nil }
    }

    public func removeFile(path: String) throws {
        disk.withState { _ = $0.files.removeValue(forKey: path) }
    }

    /// Counts of operations attempted so far, and of faults that fired.
    public var stats: SimulatedIOStats { disk.withState { $0.stats } }

    /// Simulates a power loss; see `SimulatedCrashPolicy`. Without a `seed`, one is drawn
    /// from the backend's generator; the report carries it so the crash can be replayed.
    /// Faults stay armed: call `faults.clear()` to recover on a healthy disk.
    @discardableResult
    public func crash(seed: UInt64? = nil, policy: SimulatedCrashPolicy = .random) -> SimulatedCrashReport {
        disk.withState { state in
            let crashSeed = seed ?? state.random.next()
            return state.crash(seed: crashSeed, policy: policy)
        }
    }

    /// The bytes of `path` that a crash right now could not take away, or nil if no such file.
    public func durableContents(path: String) -> [UInt8]? {
        disk.withState { $0.files[path]?.durable }
    }

    /// The bytes of `path` as reads see them (without read corruption), or nil if no such file.
    public func currentContents(path: String) -> [UInt8]? {
        disk.withState { $0.files[path]?.current }
    }
}

/// Counts of a `SimulatedBackend`'s operations. Each request of a batch counts once.
public struct SimulatedIOStats: Sendable, Equatable {
    /// Read requests, including failed ones.
    public var reads = 0
    /// Write requests, including failed and short ones.
    public var writes = 0
    /// Calls of `sync()`, including failed ones.
    public var syncs = 0
    /// Calls of `truncate(size:)`.
    public var truncates = 0
    /// Bytes requested by reads.
    public var bytesReadCount = 0
    /// Bytes requested by writes (stored or not).
    public var bytesWrittenCount = 0
    /// Faults that fired (failed, short or full-disk operations, corrupted reads).
    public var faultsInjected = 0

    /// All counts zero.
    public init() {}
}

/// A handle on a simulated file. It stays bound to the file it opened: after a crash or
/// after the file is removed, every call throws.
final class SimulatedFile: StorageFile {
    let handle: SimulatedHandle
    let disk: SimulatedDisk

    init(handle: SimulatedHandle, disk: SimulatedDisk) {
        self.handle = handle
        self.disk = disk
    }

    deinit { close() }

    var path: String { handle.path }

    func size() throws -> Int {
        try disk.withState { try $0.image(handle).current.count }
    }

    @discardableResult
    func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try disk.withState { try $0.read(handle, offset: offset, into: buffer) }
    }

    func write(offset: Int, from buffer: UnsafeRawBufferPointer) throws {
        try disk.withState { try $0.write(handle, offset: offset, from: buffer) }
    }

    func readBatch(_ requests: [IORequest]) throws {
        for request in requests { try read(offset: request.offset, into: request.buffer) }
    }

    func writeBatch(_ requests: [IORequest]) throws {
        for request in requests { try write(offset: request.offset, from: UnsafeRawBufferPointer(request.buffer)) }
    }

    func sync() throws {
        try disk.withState { try $0.sync(handle) }
    }

    func truncate(size: Int) throws {
        try disk.withState { try $0.truncate(handle, sizeBytes: size) }
    }

    func tryLock(_ kind: FileLockKind) throws -> Bool {
        try disk.withState { try $0.tryLock(handle, kind) }
    }

    func lockHolderProcessID() -> Int32? { nil }

    func close() {
        disk.withState { $0.unlock(handle) }
    }
}
