#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension VireoError {
    /// The error for a failed system call on a file: `.diskFull` for ENOSPC, `.ioError`
    /// otherwise. The message names the operation, the file, the byte range and strerror.
    static func io(
        _ operation: String, path: String, offset: Int = 0, sizeBytes: Int = 0,
        errno code: Int32, note: String = ""
    ) -> VireoError {
        let kind: Code = code == ENOSPC ? .diskFull : .ioError
        let reason = String(cString: strerror(code))
        let range = sizeBytes > 0 ? " of \(sizeBytes) bytes at offset \(offset)" : ""
        return VireoError(kind, "\(operation)\(range) in '\(path)' failed: \(reason)\(note)")
    }

    /// Rejects a negative offset, or a range whose end does not fit in an `Int`, before it
    /// reaches the kernel (where it would wrap around or read the wrong place).
    static func checkRange(_ operation: String, path: String, offset: Int, sizeBytes: Int) throws {
        let (end, overflow) = offset.addingReportingOverflow(sizeBytes)
        if offset < 0 || sizeBytes < 0 || overflow || end > Int(Int64.max) {
            throw io(operation, path: path, offset: offset, sizeBytes: sizeBytes, errno: EINVAL)
        }
    }
}
