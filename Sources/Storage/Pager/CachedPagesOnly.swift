#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads on this thread that may not wait for the disk: inside `run`, a page that is not
/// in the buffer pool throws `PageNotCached` instead of being read. An event loop uses it
/// to answer a point lookup at once when its pages are cached, and hands the statement
/// to the engine's threads otherwise (a read-only statement can simply run again there).
public enum CachedPagesOnly {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key is left for CachedPagesOnly")
        return key
    }()

    /// Whether reads on this thread are limited to cached pages now.
    public static var isActive: Bool { pthread_getspecific(key) != nil }

    /// Runs `body` with reads on this thread limited to cached pages.
    public static func run<R>(_ body: () throws -> R) rethrows -> R {
        let wasActive = isActive
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { if !wasActive { pthread_setspecific(key, nil) } }
        return try body()
    }
}

/// A read inside `CachedPagesOnly.run` needed a page from the disk.
public struct PageNotCached: Error {
    public let pageNumber: PageNumber
}
