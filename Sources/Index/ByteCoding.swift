import VireoStorage

/// Appends little-endian fixed-width values to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw memory as it is (the caller's values are little-endian on every
    /// platform Vireo runs on; `HNSWSnapshot` asserts that at compile time).
    mutating func append(raw pointer: UnsafeRawPointer, byteCount: Int) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: byteCount))
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
