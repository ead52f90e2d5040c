import CVireoSupport
import VireoStorage

/// Writes little-endian values to `sink` in chunks of about `chunkBytes`, keeping the
/// CRC32C of every byte written: a multi-gigabyte snapshot never exists whole in memory.
struct ByteWriter {
    private var buffer: [UInt8] = []
    private let chunkBytes: Int
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private(set) var checksum: UInt32 = 0
    private(set) var byteCount = 0

    init(chunkBytes: Int, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.chunkBytes = chunkBytes
        self.sink = sink
        buffer.reserveCapacity(chunkBytes)
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try append($0) }
    }

    /// Appends raw memory as it is (the caller's values are little-endian on every
    /// platform Vireo runs on; `HNSWSnapshot` asserts that at compile time).
    mutating func append(raw pointer: UnsafeRawPointer, byteCount: Int) throws {
        try append(UnsafeRawBufferPointer(start: pointer, count: byteCount))
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > chunkBytes { try flush() }
        if bytes.count >= chunkBytes { return try emit(bytes) }
        buffer.append(contentsOf: bytes)
    }

    /// Hands every buffered byte to the sink.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        var pending: [UInt8] = []
        swap(&pending, &buffer)  // emit changes self: the bytes must not be borrowed from it
        try pending.withUnsafeBytes { try emit($0) }
        pending.removeAll(keepingCapacity: true)
        buffer = pending
    }

    private mutating func emit(_ bytes: UnsafeRawBufferPointer) throws {
        checksum = vireo_crc32c(checksum, bytes.baseAddress, bytes.count)
        byteCount += bytes.count
        try sink(bytes)
    }
}

/// Reads little-endian values with bounds checks; running past the end throws
/// `corruption` naming `source`, never traps.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let source: String
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, source: String) {
        self.bytes = bytes
        self.source = source
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated(size) }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + size])) }
        offset += size
        return T(littleEndian: value)
    }

    /// Copies `byteCount` bytes into `destination`.
    mutating func read(into destination: UnsafeMutableRawPointer, byteCount: Int) throws {
        guard byteCount >= 0, remaining >= byteCount else { throw truncated(byteCount) }
        if byteCount > 0 { destination.copyMemory(from: bytes.baseAddress! + offset, byteCount: byteCount) }
        offset += byteCount
    }

    /// Moves past `byteCount` bytes.
    mutating func skip(_ byteCount: Int) throws {
        guard byteCount >= 0, remaining >= byteCount else { throw truncated(byteCount) }
        offset += byteCount
    }

    func corrupt(_ detail: String) -> VireoError {
        VireoError(.corruption, "corruption in '\(source)': \(detail)")
    }

    private func truncated(_ wanted: Int) -> VireoError {
        corrupt("truncated at byte \(offset): wanted \(wanted) more bytes, \(remaining) left")
    }
}
