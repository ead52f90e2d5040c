import Glibc

/// The POSIX calls both kernel backends share: open, pread/pwrite loops that retry on
/// EINTR and continue after short transfers, fstat, ftruncate and fdatasync. Every failure
/// becomes a `VireoError` naming the file and byte range.
enum FileCalls {
    /// Opens `path` as `mode` says. A newly created file's directory entry is made durable
    /// before returning, so a crash cannot lose a file the engine has started to use.
    static func open(path: String, mode: FileOpenMode) throws -> Int32 {
        let existed = access(path, F_OK) == 0
        let flags: Int32 = switch mode {
        case .readOnly: O_RDONLY | O_CLOEXEC
        case .readWrite: O_RDWR | O_CLOEXEC
        case .create: O_RDWR | O_CLOEXEC | O_CREAT
        }
        let fd = try retryingInterrupts("open", path: path) { Glibc.open(path, flags, 0o644) }
        if mode == .create && !existed {
            do { try syncParentDirectory(of: path) } catch { _ = Glibc.close(fd); throw error }
        }
        return fd
    }

    /// flock(2) without waiting: false when another open file holds a conflicting lock.
    /// flock locks belong to the open file, not the process, so a second open of the same
    /// file in this process conflicts too (fcntl locks would not, and would vanish when
    /// any descriptor of the file closes).
    static func tryLock(fd: Int32, path: String, kind: FileLockKind) throws -> Bool {
        let operation = (kind == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB
        while flock(fd, operation) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw VireoError.io("flock", path: path, errno: errno)
        }
        return true
    }

    /// The process that holds a flock on the file behind `fd`, read from /proc/locks
    /// (lines like `3: FLOCK ADVISORY WRITE 1234 fd:01:5678 0 EOF`); nil when unknown.
    static func lockHolderProcessID(fd: Int32) -> Int32? {
        var info = stat()
        guard fstat(fd, &info) == 0, let table = readSmallFile("/proc/locks") else { return nil }
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let fileID = String(major, radix: 16).leftPadded(to: 2) + ":" + String(minor, radix: 16).leftPadded(to: 2) + ":\(info.st_ino)"
        for line in table.split(separator: "\n") where !line.contains("->") {
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == fileID else { continue }
            return Int32(fields[4])
        }
        return nil
    }

    /// A file of /proc, read whole (its size is not known in advance); nil on failure.
    private static func readSmallFile(_ path: String, bytesMax: Int = 1 << 20) -> String? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while bytes.count < bytesMax {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Removes `path` if present and makes the removal durable.
    static func remove(path: String) throws {
        if unlink(path) != 0 {
            if errno == ENOENT { return }
            throw VireoError.io("unlink", path: path, errno: errno)
        }
        try syncParentDirectory(of: path)
    }

    /// Reads `buffer.count` bytes at `offset`; bytes past end of file are zero-filled.
    /// Returns the number of bytes that really came from the file.
    static func read(fd: Int32, path: String, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try VireoError.checkRange("pread", path: path, offset: offset, sizeBytes: buffer.count)
        guard let base = buffer.baseAddress else { return 0 }
        var doneBytes = 0
        while doneBytes < buffer.count {
            let count = pread(fd, base + doneBytes, buffer.count - doneBytes, off_t(offset + doneBytes))
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw VireoError.io("pread", path: path, offset: offset, sizeBytes: buffer.count, errno: errno)
            }
            doneBytes += count
        }
        (base + doneBytes).initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count - doneBytes)
        return doneBytes
    }

    /// Writes all of `buffer` at `offset`, continuing after short writes.
    static func write(fd: Int32, path: String, offset: Int, from buffer: UnsafeRawBufferPointer) throws {
        try VireoError.checkRange("pwrite", path: path, offset: offset, sizeBytes: buffer.count)
        guard let base = buffer.baseAddress else { return }
        var doneBytes = 0
        while doneBytes < buffer.count {
            let count = pwrite(fd, base + doneBytes, buffer.count - doneBytes, off_t(offset + doneBytes))
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                // A zero-byte write of a non-empty buffer makes no progress; report it as EIO.
                let code = count == 0 ? EIO : errno
                throw VireoError.io("pwrite", path: path, offset: offset, sizeBytes: buffer.count, errno: code)
            }
            doneBytes += count
        }
    }

    static func size(fd: Int32, path: String) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw VireoError.io("fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    static func truncate(fd: Int32, path: String, sizeBytes: Int) throws {
        try VireoError.checkRange("ftruncate", path: path, offset: sizeBytes, sizeBytes: 0)
        _ = try retryingInterrupts("ftruncate", path: path) { ftruncate(fd, off_t(sizeBytes)) }
    }

    static func dataSync(fd: Int32, path: String) throws {
        _ = try retryingInterrupts("fdatasync", path: path) { fdatasync(fd) }
    }

    /// fsyncs the directory holding `path`, which makes a create or unlink durable.
    static func syncParentDirectory(of path: String) throws {
        let directory = parentDirectory(of: path)
        let fd = try retryingInterrupts("open", path: directory) {
            Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { _ = Glibc.close(fd) }
        _ = try retryingInterrupts("fsync", path: directory) { fsync(fd) }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Runs a call returning -1 on failure, retrying while it fails with EINTR.
    private static func retryingInterrupts(
        _ operation: String, path: String, _ call: () -> Int32
    ) throws -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return result }
            if errno != EINTR { throw VireoError.io(operation, path: path, errno: errno) }
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
