#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Allocation for the index's big arrays. Blocks of 2 MiB or more are 2 MiB-aligned and
/// advised for transparent huge pages: a graph search touches nodes at random, and with
/// 4 KiB pages nearly every hop misses the TLB. Free with `LargeAllocation.free`.
enum LargeAllocation {
    static let hugePageBytes = 2 << 20

    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let bytes = max(byteCount, 64)
        let alignment = bytes >= hugePageBytes ? hugePageBytes : 64
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, alignment, bytes) == 0, let pointer else {
            fatalError("out of memory allocating \(bytes) bytes for the vector index")
        }
        #if os(Linux)
        if alignment == hugePageBytes {
            _ = madvise(pointer, bytes / hugePageBytes * hugePageBytes, MADV_HUGEPAGE)
        }
        #endif
        return pointer
    }

    static func free(_ pointer: UnsafeMutableRawPointer?) {
        #if canImport(Glibc)
        Glibc.free(pointer)
        #else
        Darwin.free(pointer)
        #endif
    }
}
