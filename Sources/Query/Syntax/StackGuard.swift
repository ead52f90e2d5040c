#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses deeper nesting before the thread's stack runs out.
///
/// `SyntaxLimits.nestingDepthMax` bounds the depth, but what one level costs depends on the
/// build (a debug build's frames are several times larger than a release build's) and the
/// thread (a main thread has 8 MiB, other threads may have far less). So past a modest
/// depth the parser also measures: it may use at most half of the stack that was left
/// when parsing began, keeping the other half for whoever walks the tree it returns.
struct StackGuard {
    /// Depth below which the stack is not measured (cheap statements pay nothing).
    static let checkDepthMin = 4

    /// The lowest stack address the parser may reach; nil when the platform cannot tell.
    let lowestAddress: UInt?

    /// A guard for parsing that began with the stack at `entryAddress`.
    init(entryAddress: UInt) {
        guard let stackBottom = Self.currentStackBottom(), entryAddress > stackBottom else {
            lowestAddress = nil
            return
        }
        lowestAddress = entryAddress - (entryAddress - stackBottom) / 2
    }

    /// Whether the caller's frame is still above the lowest address allowed.
    func hasRoom() -> Bool {
        guard let lowestAddress else { return true }
        return currentStackAddress() > lowestAddress
    }

    /// The lowest address of the current thread's stack (stacks grow down on every platform
    /// Vireo runs on).
    private static func currentStackBottom() -> UInt? {
        #if canImport(Glibc)
        var attributes = pthread_attr_t()
        guard let getAttributes = Self.pthreadGetAttributes, getAttributes(pthread_self(), &attributes) == 0 else { return nil }
        defer { pthread_attr_destroy(&attributes) }
        var base: UnsafeMutableRawPointer?
        var size = 0
        guard pthread_attr_getstack(&attributes, &base, &size) == 0, let base else { return nil }
        return UInt(bitPattern: base)
        #elseif canImport(Darwin)
        let top = UInt(bitPattern: pthread_get_stackaddr_np(pthread_self()))
        return top - UInt(pthread_get_stacksize_np(pthread_self()))
        #else
        return nil
        #endif
    }
}

#if canImport(Glibc)
extension StackGuard {
    private typealias GetAttributes = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32

    /// glibc's `pthread_getattr_np`, which Swift's Glibc module does not export (it is a GNU
    /// extension), looked up once by name.
    private static let pthreadGetAttributes: GetAttributes? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_getattr_np") else { return nil }
        return unsafeBitCast(symbol, to: GetAttributes.self)
    }()
}
#endif

/// An address in the caller's stack frame, close to the stack pointer.
@inline(never)
func currentStackAddress() -> UInt {
    var marker: UInt8 = 0
    return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
}
