#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VireoStorage

/// A fixed array of mutexes; node `id` uses mutex `id % stripeCount`. A writer holds at
/// most one stripe at a time, so stripes shared by two nodes cannot deadlock.
final class StripedLocks: @unchecked Sendable {
    static let stripeCount = 1024
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutexes = .allocate(capacity: Self.stripeCount)
        for i in 0..<Self.stripeCount {
            (mutexes + i).initialize(to: pthread_mutex_t())
            precondition(pthread_mutex_init(mutexes + i, nil) == 0, "pthread_mutex_init failed")
        }
    }

    deinit {
        for i in 0..<Self.stripeCount { pthread_mutex_destroy(mutexes + i) }
        mutexes.deallocate()
    }

    @inline(__always)
    func withLock<T>(_ id: UInt32, _ body: () throws -> T) rethrows -> T {
        let mutex = mutexes + Int(id) % Self.stripeCount
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A value behind a pthread mutex. Used instead of `Synchronization.Mutex` because the
/// thread sanitizer understands pthread locks (it reports false races inside `Mutex`,
/// which waits on futexes directly).
final class Locked<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
