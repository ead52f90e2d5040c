// Varint: unsigned LEB128, the variable-length integer of every Vireo byte format.
//
// A UInt64 is written seven bits at a time, least significant group first; every byte but
// the last has its high bit (0x80) set. So 0...127 take one byte, 128...16383 two, and
// UInt64.max ten. Invariants a reader checks: at most ten bytes, the tenth holds at most
// the value's top bit (0x01), and the bytes do not run past the buffer. Signed integers are
// zig-zag mapped first (0, -1, 1, -2, … → 0, 1, 2, 3, …) so small magnitudes stay short.

/// LEB128 variable-length integers and the zig-zag mapping for signed ones.
public enum Varint {
    /// The longest encoding of a UInt64.
    public static let byteCountMax = 10

    /// Appends `value` in LEB128 to `bytes`.
    @inlinable
    public static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Reads one LEB128 integer starting at `offset` and advances `offset` past it.
    /// Throws a corruption error if it is truncated or longer than ten bytes / 64 bits.
    /// A one-byte integer (a record's column count, most lengths and small values) is read
    /// inline; the loop is a call (it was 3% of a primary-key join, called for each of them).
    @inlinable @inline(__always)
    public static func read(from bytes: UnsafeRawBufferPointer, at offset: inout Int) throws -> UInt64 {
        if offset < bytes.count, bytes[offset] < 0x80 {
            offset += 1
            return UInt64(bytes[offset - 1])
        }
        return try readLonger(from: bytes, at: &offset)
    }

    /// `read` of an integer of more than one byte, or of none left.
    @usableFromInline
    static func readLonger(from bytes: UnsafeRawBufferPointer, at offset: inout Int) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var position = offset
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw overflowError() }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                offset = position
                return result
            }
            shift += 7
        }
        throw VireoError(.corruption, "truncated varint at byte \(offset) of \(bytes.count)")
    }

    /// The number of bytes `append` writes for `value`.
    @inlinable
    public static func size(of value: UInt64) -> Int {
        // One byte per started group of seven significant bits; zero still takes one byte.
        let significantBits = 64 - (value | 1).leadingZeroBitCount
        return (significantBits + 6) / 7
    }

    /// Maps a signed integer onto an unsigned one so that small magnitudes stay small.
    @inlinable
    public static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// Inverse of `zigZag`.
    @inlinable
    public static func unZigZag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    @usableFromInline
    static func overflowError() -> VireoError {
        VireoError(.corruption, "varint longer than 64 bits")
    }
}
