import CURing
import Glibc

/// One io_uring instance and the loop that drives a batch of reads or writes through it.
/// Not thread-safe by itself: `UringFile` keeps it inside a `Mutex`.
///
/// Invariants of `transfer`:
///  1. At most `depth` requests are in the ring (prepared or submitted) at any time.
///  2. It returns only when no request it submitted is still in the kernel, even when one
///     failed: the buffers belong to the caller and must not be touched after return.
///  3. A short transfer is resubmitted for its remainder; a read that reaches end of file
///     zero-fills the rest of its buffer.
final class UringRing {
    enum Operation { case read, write }

    /// Largest single submission; Linux caps one transfer near 2 GiB anyway, and the
    /// remainder of anything larger goes round again as a short transfer.
    static let submissionSizeBytesMax = 1 << 30
    /// How often one request may come back with EINTR or EAGAIN before we give up.
    static let retriesMax = 1_000

    private let ring: UnsafeMutablePointer<io_uring>
    let depth: Int
    /// Set when the ring itself failed (not one request): its state is unknown, so it
    /// takes no more work.
    private(set) var isBroken = false

    /// Sets up a ring of `depth` entries; throws the negated errno of io_uring_queue_init
    /// (EPERM where seccomp or sysctl forbids io_uring, ENOSYS on old kernels).
    init(depth: Int) throws(Errno) {
        ring = .allocate(capacity: 1)
        let result = io_uring_queue_init(UInt32(depth), ring, 0)
        if result < 0 { ring.deallocate(); throw Errno(code: -result) }
        self.depth = depth
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
    }

    /// Whether the kernel supports every opcode the backend uses.
    func supportsRequiredOperations() -> Bool {
        guard let probe = io_uring_get_probe_ring(ring) else { return false }
        defer { io_uring_free_probe(probe) }
        let needed = [IORING_OP_READ, IORING_OP_WRITE]
        return needed.allSatisfy { io_uring_opcode_supported(probe, Int32($0.rawValue)) != 0 }
    }
}

/// An errno value, thrown by the ring's setup before it becomes a `VireoError`.
struct Errno: Error {
    var code: Int32
    var description: String { String(cString: strerror(code)) }
}

// MARK: - Batches

extension UringRing {
    /// Progress of one request of a batch.
    private struct Transfer {
        var offset: Int
        var base: UnsafeMutableRawPointer?
        var count: Int
        var doneBytes = 0
        var retries = 0
        var remaining: Int { count - doneBytes }
    }

    /// The mutable state of one batch: what waits to be prepared, how many entries are in
    /// the ring, and the first failure.
    private struct Batch {
        var transfers: [Transfer]
        var waiting: [Int]
        var preparedCount = 0
        var submittedCount = 0
        var failure: VireoError?
    }

    /// Reads or writes every request, `depth` at a time, and waits for all of them.
    func transfer(_ operation: Operation, fd: Int32, path: String, requests: [IORequest]) throws {
        let name = operation == .read ? "io_uring read" : "io_uring write"
        for request in requests {
            try VireoError.checkRange(name, path: path, offset: request.offset, sizeBytes: request.buffer.count)
        }
        try checkUsable(path: path)
        let transfers = requests.map { Transfer(offset: $0.offset, base: $0.buffer.baseAddress, count: $0.buffer.count) }
        let waiting = transfers.indices.reversed().filter { transfers[$0].count > 0 }
        var batch = Batch(transfers: transfers, waiting: waiting)
        while true {
            if batch.failure == nil { prepare(operation, fd: fd, batch: &batch) }
            if batch.preparedCount + batch.submittedCount == 0 { break }
            try submitAndWait(path: path, batch: &batch)
            reapCompletions(operation, path: path, batch: &batch)
        }
        if let failure = batch.failure { throw failure }
    }

    /// Fills the submission queue from the waiting requests (invariant 1).
    private func prepare(_ operation: Operation, fd: Int32, batch: inout Batch) {
        while batch.preparedCount + batch.submittedCount < depth, let index = batch.waiting.last {
            guard let sqe = io_uring_get_sqe(ring) else { return }
            batch.waiting.removeLast()
            let transfer = batch.transfers[index]
            let pointer = transfer.base.map { $0 + transfer.doneBytes }
            let count = UInt32(min(transfer.remaining, Self.submissionSizeBytesMax))
            let offset = UInt64(transfer.offset + transfer.doneBytes)
            switch operation {
            case .read: io_uring_prep_read(sqe, fd, pointer, count, offset)
            case .write: io_uring_prep_write(sqe, fd, pointer, count, offset)
            }
            io_uring_sqe_set_data64(sqe, UInt64(index))
            batch.preparedCount += 1
        }
    }

    /// Submits what is prepared and waits for at least one completion. If the ring itself
    /// fails, drains what the kernel holds (invariant 2) and marks the ring broken.
    private func submitAndWait(path: String, batch: inout Batch) throws {
        while true {
            let result = io_uring_submit_and_wait(ring, 1)
            if result >= 0 {
                batch.preparedCount -= Int(result)
                batch.submittedCount += Int(result)
                return
            }
            if result == -EINTR { continue }
            if (result == -EAGAIN || result == -EBUSY) && batch.submittedCount > 0 {
                // The kernel wants completions reaped before it takes more.
                waitForCompletion()
                return
            }
            isBroken = true
            drain(count: batch.submittedCount)
            throw VireoError.io("io_uring_submit", path: path, errno: -result)
        }
    }

    /// Handles every completion that is ready (invariant 3).
    private func reapCompletions(_ operation: Operation, path: String, batch: inout Batch) {
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        while batch.submittedCount > 0, io_uring_peek_cqe(ring, &cqe) == 0, let completion = cqe {
            let index = Int(completion.pointee.user_data)
            let result = Int(completion.pointee.res)
            io_uring_cqe_seen(ring, completion)
            batch.submittedCount -= 1
            complete(operation, index: index, result: result, path: path, batch: &batch)
        }
    }

    private func complete(_ operation: Operation, index: Int, result: Int, path: String, batch: inout Batch) {
        var transfer = batch.transfers[index]
        defer { batch.transfers[index] = transfer }
        let retryable = result == -Int(EINTR) || result == -Int(EAGAIN)
        if retryable && transfer.retries < Self.retriesMax {
            transfer.retries += 1
            batch.waiting.append(index)
        } else if result < 0 || (result == 0 && operation == .write) {
            // A write that moves no bytes makes no progress; report it as EIO.
            let code = result < 0 ? Int32(-result) : EIO
            let name = operation == .read ? "io_uring read" : "io_uring write"
            batch.failure = batch.failure
                ?? VireoError.io(name, path: path, offset: transfer.offset, sizeBytes: transfer.count, errno: code)
        } else if result == 0 {
            if let base = transfer.base {
                (base + transfer.doneBytes).initializeMemory(as: UInt8.self, repeating: 0, count: transfer.remaining)
            }
            transfer.doneBytes = transfer.count
        } else {
            transfer.doneBytes += result
            if transfer.remaining > 0 { batch.waiting.append(index) }
        }
    }

    /// Waits until a completion is ready, without consuming it.
    private func waitForCompletion() {
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        while io_uring_wait_cqe(ring, &cqe) == -EINTR {}
    }

    /// Waits for `count` completions, ignoring their results; used only once the ring
    /// has failed, so that no caller buffer stays in the kernel's hands.
    private func drain(count: Int) {
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        var left = count
        while left > 0 {
            let result = io_uring_wait_cqe(ring, &cqe)
            if result == -EINTR { continue }
            guard result == 0, let completion = cqe else { return }
            io_uring_cqe_seen(ring, completion)
            left -= 1
        }
    }

    private func checkUsable(path: String) throws {
        if isBroken {
            throw VireoError(.ioError, "io_uring for '\(path)' is unusable after an earlier failure of the ring")
        }
    }
}
