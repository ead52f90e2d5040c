#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A mutual-exclusion lock for short critical sections.
///
/// `withLock` is inlinable: called from another module (a session's request lock, the plan
/// cache), a plain public generic was an unspecialized call, its result moved through value
/// witnesses, at every prepared statement's execution.
public final class Lock: @unchecked Sendable {
    @usableFromInline let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inlinable @inline(__always)
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Runs `body` under the lock if nobody holds it now; nil, without waiting, if someone does.
    @inlinable @discardableResult
    public func withLockIfAvailable<R>(_ body: () throws -> R) rethrows -> R? {
        guard pthread_mutex_trylock(mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A readers-writer lock (pthreads, readers preferred). Readers may nest: a read that
/// starts another read on the same thread (a query loading a vector index) cannot
/// deadlock behind a waiting writer, as it could with a writer-preferring lock.
public final class ReadWriteLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    public init() {
        lock.initialize(to: pthread_rwlock_t())
        precondition(pthread_rwlock_init(lock, nil) == 0, "pthread_rwlock_init failed")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    public func withReadLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// `body` under the lock held shared, or nil at once when a writer holds it (a thread
    /// that must not wait, such as a server's event loop, then hands the work elsewhere).
    public func withReadLockIfFree<R>(_ body: () throws -> R) rethrows -> R? {
        guard pthread_rwlock_tryrdlock(lock) == 0 else { return nil }
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    public func withWriteLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}

/// A gate one holder passes at a time; unlike a mutex it may be released from another
/// thread, which a write transaction begun on one thread and committed on another needs.
final class Gate: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 1)
    /// How often a timed wait wakes to ask whether its statement was cancelled: the
    /// longest a cancel can go unnoticed by a waiter.
    static let cancelCheckIntervalMs = 10

    func enter() { semaphore.wait() }

    /// Enters within `timeoutMs` (nil: no limit, 0: only if free now); false when the time
    /// ran out. The wait is cut into slices of `cancelCheckIntervalMs`, and `checkCancel`
    /// runs before each: what it throws ends the wait, so a waiter stays cancellable even
    /// without a limit (a semaphore cannot be woken for one waiter alone).
    func enter(timeoutMs: Int?, checkCancel: () throws -> Void) rethrows -> Bool {
        let deadline = timeoutMs.map { DispatchTime.now() + .milliseconds(max(0, $0)) }
        while true {
            try checkCancel()
            let sliceEnd = DispatchTime.now() + .milliseconds(Self.cancelCheckIntervalMs)
            let wakeAt = deadline.map { min($0, sliceEnd) } ?? sliceEnd
            if semaphore.wait(timeout: wakeAt) == .success { return true }
            if let deadline, DispatchTime.now() >= deadline { return false }
        }
    }

    /// Enters only if nobody holds the gate now.
    func tryEnter() -> Bool { semaphore.wait(timeout: .now()) == .success }
    func leave() { semaphore.signal() }
}

/// A mutex with a condition variable, for threads that wait for a state change.
final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Inside `withLock`: releases the lock until `broadcast` or `timeoutMs` passes.
    func wait(timeoutMs: Int) {
        var deadline = Self.deadline(afterMs: timeoutMs)
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    /// Inside `withLock`: wakes every waiter.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// A waiter of its own, for waking one thread without waking the others.
    final class Waiter: @unchecked Sendable {
        fileprivate let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        init() { pthread_cond_init(condition, nil) }
        deinit {
            pthread_cond_destroy(condition)
            condition.deallocate()
        }
    }

    /// Inside `withLock`: releases the lock until `signal(waiter)` or `timeoutMs` passes.
    func wait(_ waiter: Waiter, timeoutMs: Int) {
        var deadline = Self.deadline(afterMs: timeoutMs)
        pthread_cond_timedwait(waiter.condition, mutex, &deadline)
    }

    /// Inside `withLock`: wakes the thread waiting as `waiter`, if it is waiting.
    func signal(_ waiter: Waiter) { pthread_cond_signal(waiter.condition) }

    private static func deadline(afterMs timeoutMs: Int) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int(now.tv_nsec) + timeoutMs * 1_000_000
        return timespec(tv_sec: now.tv_sec + nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
    }
}
