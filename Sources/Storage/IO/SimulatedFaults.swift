import Glibc

/// Fault injection for a `SimulatedBackend`. Counts start when a fault is armed: `number: 1`
/// is the next operation of that kind. Every request of a batch counts as one operation.
/// Each injected fault throws a `VireoError` (`.ioError`, or `.diskFull` for ENOSPC) whose
/// message says "injected".
public struct SimulatedFaults: Sendable {
    let disk: SimulatedDisk

    /// The `number`th write from now fails, writing nothing, with `errno` (EIO by
    /// default; ENOSPC gives `.diskFull`). Fires once.
    public func failWrite(number: Int, errno code: Int32 = EIO) {
        edit { $0.writeFailure = .init(remaining: number, errno: code) }
    }

    /// The next `count` writes succeed; every write after them fails with EIO.
    public func failWrite(after count: Int) {
        edit { $0.writesBeforeFailingAll = count }
    }

    /// The `number`th write from now stores only its first `keptBytes` (by default half)
    /// and then fails with EIO, like a short write whose retry failed. Fires once.
    public func shortWrite(number: Int, keptBytes: Int? = nil) {
        edit { $0.shortWrite = .init(remaining: number, keptBytes: keptBytes) }
    }

    /// The `number`th sync from now fails with EIO, and the file's unsynced writes are
    /// lost at the next crash even if a later sync succeeds (as on Linux). Fires once.
    public func failSync(number: Int) {
        edit { $0.syncFailure = .init(remaining: number) }
    }

    /// The `number`th read from now fails with EIO. Fires once.
    public func failRead(number: Int) {
        edit { $0.readFailure = .init(remaining: number) }
    }

    /// The disk holds `bytes` in all: a write that would grow the files past it stores
    /// what fits and fails with ENOSPC (`.diskFull`). Stays until `clear()`.
    public func limitCapacity(bytes: Int) {
        edit { $0.capacityBytes = bytes }
    }

    /// Every read of `path` that covers any of `byteRange` returns those bytes with all
    /// their bits flipped, as a torn or rotted page would read. Stays until `clear()`.
    public func corruptReads(path: String, byteRange: Range<Int>) {
        edit { $0.corruptions.append(.init(path: path, byteRange: byteRange)) }
    }

    /// Disarms every fault.
    public func clear() {
        edit { $0 = SimulatedFaultPlan() }
    }

    private func edit(_ body: (inout SimulatedFaultPlan) -> Void) {
        disk.withState { body(&$0.faults) }
    }
}

/// The armed faults of a simulated disk.
struct SimulatedFaultPlan {
    /// Fires on the `remaining`th call of `fire()`, once.
    struct Countdown {
        var remaining: Int?
        var errno: Int32 = EIO
        var keptBytes: Int?

        mutating func fire() -> Bool {
            guard let left = remaining else { return false }
            remaining = left > 1 ? left - 1 : nil
            return left <= 1
        }
    }

    struct Corruption {
        var path: String
        var byteRange: Range<Int>
    }

    var writeFailure = Countdown()
    var writesBeforeFailingAll: Int?
    var shortWrite = Countdown()
    var syncFailure = Countdown()
    var readFailure = Countdown()
    var capacityBytes: Int?
    var corruptions: [Corruption] = []

    /// How many bytes of the next write of `sizeBytes` to store, and the errno to fail with.
    mutating func nextWrite(sizeBytes: Int) -> (keptBytes: Int, errno: Int32?) {
        let failAll = writesBeforeFailingAll.map { $0 <= 0 } ?? false
        writesBeforeFailingAll = writesBeforeFailingAll.map { $0 - 1 }
        let failure = writeFailure.errno
        let failsOnce = writeFailure.fire()
        let keptBytes = shortWrite.keptBytes
        let isShort = shortWrite.fire()
        if failAll || failsOnce { return (0, failAll ? EIO : failure) }
        if isShort { return (min(sizeBytes, keptBytes ?? sizeBytes / 2), EIO) }
        return (sizeBytes, nil)
    }

    /// Flips the bits of every byte of `buffer` (read at `offset` of `path`) that falls in
    /// a corrupted range; returns whether any did.
    func corruptRead(path: String, offset: Int, buffer: UnsafeMutableRawBufferPointer) -> Bool {
        var corrupted = false
        for corruption in corruptions where corruption.path == path {
            let overlap = corruption.byteRange.clamped(to: offset..<offset + buffer.count)
            for fileOffset in overlap { buffer[fileOffset - offset] ^= 0xFF }
            corrupted = corrupted || !overlap.isEmpty
        }
        return corrupted
    }
}
