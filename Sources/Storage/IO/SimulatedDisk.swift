import Glibc

/// The state behind a `SimulatedBackend`, under one lock.
///
/// The lock is the pthread-based `Lock`, not `Synchronization.Mutex`: ThreadSanitizer does
/// not model the Mutex's futex waits and reported every access to this state as a race.
final class SimulatedDisk: @unchecked Sendable {
    private let lock = Lock()
    private var state: SimulatedDiskState

    init(seed: UInt64) {
        state = SimulatedDiskState(random: SplitMix64(seed: seed))
    }

    func withState<R>(_ body: (inout SimulatedDiskState) throws -> R) rethrows -> R {
        try lock.withLock { try body(&state) }
    }
}

/// Which file a handle was opened on, and before which crash.
struct SimulatedHandle: Sendable {
    var path: String
    var fileID: Int
    var epoch: Int
    /// Distinguishes open files, as lock owners.
    var openID: Int
    var readOnly: Bool
}

/// The flock-like locks on one simulated file: the open files holding it and how.
struct SimulatedLock {
    var exclusive = false
    var holders: Set<Int> = []
}

/// One simulated file.
///
/// Invariant: applying `pending` in order to `durable` gives `current`, except after a
/// failed sync, whose pending writes stay in `current` but can never become durable
/// (Linux marks such pages clean; see `sync`).
struct SimulatedFileImage {
    let id: Int
    /// What reads see: the durable bytes plus every pending change.
    var current: [UInt8] = []
    /// What survives a crash for certain.
    var durable: [UInt8] = []
    /// Changes since the last sync, oldest first.
    var pending: [SimulatedPendingChange] = []
}

/// A change not yet made durable.
enum SimulatedPendingChange {
    case write(offset: Int, bytes: [UInt8])
    case truncate(sizeBytes: Int)

    func apply(to image: inout [UInt8]) {
        switch self {
        case .write(let offset, let bytes): image.overwrite(at: offset, with: bytes)
        case .truncate(let sizeBytes): image.resize(to: sizeBytes)
        }
    }
}

struct SimulatedDiskState {
    /// Largest simulated file; a bigger offset is a bug in the test, not a disk to emulate.
    static let fileSizeBytesMax = 1 << 32

    var files: [String: SimulatedFileImage] = [:]
    var nextFileID = 1
    var nextOpenID = 1
    /// Locks by path; a crash (the process dying) releases them all.
    var locks: [String: SimulatedLock] = [:]
    /// Bumped by every crash; handles of an older epoch are dead.
    var epoch = 0
    var faults = SimulatedFaultPlan()
    var stats = SimulatedIOStats()
    var random: SplitMix64

    mutating func open(path: String, mode: FileOpenMode) throws -> SimulatedHandle {
        if files[path] == nil {
            guard mode == .create else { throw VireoError.io("open", path: path, errno: ENOENT) }
            files[path] = SimulatedFileImage(id: nextFileID)
            nextFileID += 1
        }
        let id = files[path]?.id ?? 0
        nextOpenID += 1
        return SimulatedHandle(path: path, fileID: id, epoch: epoch, openID: nextOpenID, readOnly: mode == .readOnly)
    }

    /// flock semantics: shared locks coexist, an exclusive one excludes every other holder.
    mutating func tryLock(_ handle: SimulatedHandle, _ kind: FileLockKind) throws -> Bool {
        _ = try image(handle)
        var lock = locks[handle.path] ?? SimulatedLock()
        let others = lock.holders.subtracting([handle.openID])
        if !others.isEmpty && (lock.exclusive || kind == .exclusive) { return false }
        lock.holders.insert(handle.openID)
        lock.exclusive = kind == .exclusive
        locks[handle.path] = lock
        return true
    }

    mutating func unlock(_ handle: SimulatedHandle) {
        guard handle.epoch == epoch, var lock = locks[handle.path] else { return }
        lock.holders.remove(handle.openID)
        locks[handle.path] = lock.holders.isEmpty ? nil : lock
    }

    /// The file behind `handle`, if the handle is still alive.
    func image(_ handle: SimulatedHandle) throws -> SimulatedFileImage {
        guard handle.epoch == epoch else {
            throw VireoError(.ioError, "'\(handle.path)' was opened before a simulated crash; reopen it")
        }
        guard let image = files[handle.path], image.id == handle.fileID else {
            throw VireoError.io("access", path: handle.path, errno: ENOENT, note: " (file removed)")
        }
        return image
    }

    /// The file behind `handle`, if it is alive and open for writing (else EBADF, as Linux).
    func writableImage(_ handle: SimulatedHandle) throws -> SimulatedFileImage {
        let image = try image(handle)
        if handle.readOnly { throw VireoError.io("pwrite", path: handle.path, errno: EBADF, note: " (opened read-only)") }
        return image
    }

    private mutating func update<Result>(
        _ handle: SimulatedHandle, _ body: (inout SimulatedFileImage) throws -> Result
    ) throws -> Result {
        _ = try image(handle)  // the handle is alive and names this file
        // Mutated where it is stored: a copy taken out and put back would share the byte
        // arrays with the dictionary's, and every write would then copy the whole file.
        return try body(&files[handle.path]!)
    }

    private func checkRange(_ operation: String, path: String, offset: Int, sizeBytes: Int) throws {
        try VireoError.checkRange(operation, path: path, offset: offset, sizeBytes: sizeBytes)
        if offset + sizeBytes > Self.fileSizeBytesMax {
            throw VireoError.io(operation, path: path, offset: offset, sizeBytes: sizeBytes, errno: EFBIG)
        }
    }
}

// MARK: - Operations

extension SimulatedDiskState {
    mutating func read(_ handle: SimulatedHandle, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let image = try image(handle)
        try checkRange("pread", path: handle.path, offset: offset, sizeBytes: buffer.count)
        stats.reads += 1
        stats.bytesReadCount += buffer.count
        if faults.readFailure.fire() {
            throw injected("pread", handle, offset: offset, sizeBytes: buffer.count, errno: EIO)
        }
        let available = max(0, min(buffer.count, image.current.count - offset))
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        if available > 0 {
            image.current.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + available])) }
        }
        if faults.corruptRead(path: handle.path, offset: offset, buffer: buffer) { stats.faultsInjected += 1 }
        return available
    }

    /// Applies whatever part of the write the faults let through, then throws if a fault fired.
    mutating func write(_ handle: SimulatedHandle, offset: Int, from buffer: UnsafeRawBufferPointer) throws {
        _ = try writableImage(handle)
        try checkRange("pwrite", path: handle.path, offset: offset, sizeBytes: buffer.count)
        stats.writes += 1
        stats.bytesWrittenCount += buffer.count
        var (keptBytes, failure) = faults.nextWrite(sizeBytes: buffer.count)
        let fitting = bytesFitting(handle.path, offset: offset, sizeBytes: keptBytes)
        if fitting < keptBytes { (keptBytes, failure) = (fitting, ENOSPC) }
        if keptBytes > 0 {
            let change = SimulatedPendingChange.write(offset: offset, bytes: [UInt8](UnsafeRawBufferPointer(rebasing: buffer[..<keptBytes])))
            try record(change, handle)
        }
        if let failure {
            let note = keptBytes > 0 ? " (injected; \(keptBytes) bytes written)" : " (injected)"
            throw injected("pwrite", handle, offset: offset, sizeBytes: buffer.count, errno: failure, note: note)
        }
    }

    /// Makes the file's pending changes durable. A failed sync loses them for good, as
    /// Linux does when writeback fails: the pages stay readable but are marked clean.
    mutating func sync(_ handle: SimulatedHandle) throws {
        _ = try image(handle)
        stats.syncs += 1
        let fails = faults.syncFailure.fire()
        try update(handle) { image in
            if !fails { image.pending.forEach { $0.apply(to: &image.durable) } }
            image.pending = []
        }
        if fails { throw injected("fdatasync", handle, offset: 0, sizeBytes: 0, errno: EIO) }
    }

    mutating func truncate(_ handle: SimulatedHandle, sizeBytes: Int) throws {
        _ = try writableImage(handle)
        try checkRange("ftruncate", path: handle.path, offset: sizeBytes, sizeBytes: 0)
        stats.truncates += 1
        try record(.truncate(sizeBytes: sizeBytes), handle)
    }

    private mutating func record(_ change: SimulatedPendingChange, _ handle: SimulatedHandle) throws {
        try update(handle) { image in
            change.apply(to: &image.current)
            image.pending.append(change)
        }
    }

    /// How many of `sizeBytes` at `offset` fit under the capacity limit, if any.
    private func bytesFitting(_ path: String, offset: Int, sizeBytes: Int) -> Int {
        guard let capacityBytes = faults.capacityBytes, let fileSize = files[path]?.current.count else { return sizeBytes }
        let usedBytes = files.values.reduce(0) { $0 + $1.current.count }
        let allowedEnd = fileSize + max(0, capacityBytes - usedBytes)
        return max(0, min(sizeBytes, allowedEnd - offset))
    }

    private mutating func injected(
        _ operation: String, _ handle: SimulatedHandle, offset: Int, sizeBytes: Int, errno code: Int32,
        note: String = " (injected)"
    ) -> VireoError {
        stats.faultsInjected += 1
        return VireoError.io(operation, path: handle.path, offset: offset, sizeBytes: sizeBytes, errno: code, note: note)
    }
}

extension [UInt8] {
    /// Writes `bytes` at `offset`, zero-filling any gap past the current end.
    // Whole-buffer copies, not element-wise collection calls: the fault sweeps replay
    // thousands of writes and zero-fills, and in a debug build the generic per-byte paths
    // (`repeatElement`, `replaceSubrange`) took nearly all of their time.
    mutating func overwrite(at offset: Int, with bytes: [UInt8]) {
        let end = offset + bytes.count
        if count < end { resize(to: end) }
        guard !bytes.isEmpty else { return }
        withUnsafeMutableBytes { image in
            bytes.withUnsafeBytes { image.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    mutating func resize(to sizeBytes: Int) {
        if count > sizeBytes {
            removeLast(count - sizeBytes)
        } else if count < sizeBytes {
            append(contentsOf: [UInt8](repeating: 0, count: sizeBytes - count))
        }
    }
}
